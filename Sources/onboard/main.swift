import OnboardCLI

await Onboard.main()
