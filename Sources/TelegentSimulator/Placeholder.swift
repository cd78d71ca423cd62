enum _PlaceholderTelegentSimulator {}
