import ArgumentParser
import Foundation
import OnboardCLI

/// The `onboard` executable: everything lives in OnboardCLI so tests can drive the commands in-process.
///
/// Parsing is done here rather than by `Onboard.main()` so that a usage error exits 2, like any other bad input
/// (ArgumentParser's own code for it is 64); help and version still exit 0.
@main
struct OnboardMain {
    static func main() async {
        do {
            var command = try Onboard.parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            if Onboard.exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((Onboard.fullMessage(for: error) + "\n").utf8))
                exit(2)
            }
            Onboard.exit(withError: error)
        }
    }
}
