enum _PlaceholderOnboardCLI {}
