import ArgumentParser
import OnboardCLI

/// The `onboard` executable: everything lives in OnboardCLI so tests can drive the commands in-process.
@main
struct OnboardMain {
    static func main() async {
        await Onboard.main(nil)
    }
}
