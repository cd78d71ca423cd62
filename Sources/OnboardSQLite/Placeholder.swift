enum _PlaceholderOnboardSQLite {}
