enum _PlaceholderTelegentClient {}
