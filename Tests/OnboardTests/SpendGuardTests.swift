import Foundation
import OnboardCore
import TelegentSimulator
import Testing

/// The spend guard: what an invocation may buy is said before the first request; on a terminal above
/// `--confirm-above` it asks, and only "yes" proceeds; scripts are never asked.
@Suite struct SpendGuardTests {
    static let manifest = """
        batch: spend-test
        defaults:
          message_route: {url: "https://hooks.example/m"}
          subscriber: {password: "${env.ONBOARD_SUBSCRIBER_PASSWORD}"}
          test_message: {to: "+13105559999"}
          number: {area_code: "801"}
        accounts:
          - key: acme
            account: {name: Acme Spend, admin_email: a@acme.example}
            message_route: {name: Acme route}
            subscribers_csv: subscribers.csv
        """

    static func subscribers(_ count: Int) -> String {
        (["name,email"] + (1...count).map { "Sub \($0),sub\($0)@acme.example" }).joined(separator: "\n") + "\n"
    }

    /// `script` runs a command on a pseudo-terminal, feeding it `input`: what a person at a terminal would do.
    static func onTerminal(_ command: [String], input: String, directory: URL) async throws -> Shell.Result? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { return nil }
        let line = command.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        return try await Shell.run(
            "printf '\(input)\\n' | /usr/bin/script -qec \(shellQuote(line)) /dev/null", directory: directory,
            environment: OnboardBinary.environment())
    }

    static func shellQuote(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    @Test func aTerminalIsAskedAndOnlyYesBuys() async throws {
        try await Harness.with { harness in
            let manifest = try CLITests.write(Self.manifest, "batch.yaml", in: harness.directory)
            _ = try CLITests.write(Self.subscribers(3), "subscribers.csv", in: harness.directory)
            let command = [OnboardBinary.path, "batch", manifest, "--db", harness.dbPath, "--base-url", harness.simulator.baseURL]
            guard let refused = try await Self.onTerminal(command, input: "no", directory: harness.directory) else {
                print("skipped: no `script` (util-linux) to make a pseudo-terminal")
                return
            }
            #expect(refused.status == 1, "\(refused.stdout)")
            #expect(refused.stdout.contains("this may make 3 purchases and 8 other creates"), "\(refused.stdout)")
            #expect(refused.stdout.contains("Do you want to buy up to 3 numbers?"), "\(refused.stdout)")
            #expect(refused.stdout.contains("nothing was sent, nothing bought"))
            #expect(harness.ledger.requests == 0)

            let accepted = try #require(try await Self.onTerminal(command, input: "yes", directory: harness.directory))
            #expect(accepted.status == 0, "\(accepted.stdout)")
            #expect(harness.ledger.purchases == 3)

            // A rerun has nothing left to buy: nothing to ask.
            let rerun = try #require(try await Self.onTerminal(command, input: "", directory: harness.directory))
            #expect(rerun.status == 0)
            #expect(rerun.stdout.contains("this may make 0 purchases"), "\(rerun.stdout)")
            #expect(!rerun.stdout.contains("Do you want to buy"))
        }
    }

    @Test func yesAndTheThresholdSkipTheQuestion() async throws {
        try await Harness.with { harness in
            let input = try CLITests.write(CLITests.validInput, "input.yaml", in: harness.directory)
            let base = [OnboardBinary.path, "run", input, "--db", harness.dbPath, "--base-url", harness.simulator.baseURL]
            // One purchase is not above the default threshold of 1: no question.
            guard let single = try await Self.onTerminal(base, input: "", directory: harness.directory) else {
                print("skipped: no `script` (util-linux) to make a pseudo-terminal")
                return
            }
            #expect(single.status == 0, "\(single.stdout)")
            #expect(!single.stdout.contains("Do you want to buy"))

            let manifest = try CLITests.write(Self.manifest, "batch.yaml", in: harness.directory)
            _ = try CLITests.write(Self.subscribers(2), "subscribers.csv", in: harness.directory)
            let batch = [OnboardBinary.path, "batch", manifest, "--db", harness.dbPath, "--base-url", harness.simulator.baseURL]
            let skipped = try #require(try await Self.onTerminal(batch + ["--yes"], input: "", directory: harness.directory))
            #expect(skipped.status == 0, "\(skipped.stdout)")
            #expect(!skipped.stdout.contains("Do you want to buy"))
            #expect(harness.ledger.purchases == 3)
        }
    }

    @Test func scriptsAreNeverAsked() async throws {
        try await Harness.with { harness in
            let manifest = try CLITests.write(Self.manifest, "batch.yaml", in: harness.directory)
            _ = try CLITests.write(Self.subscribers(4), "subscribers.csv", in: harness.directory)
            // Standard input and output are not a terminal here.
            let result = try await OnboardBinary.run(
                ["batch", manifest, "--db", harness.dbPath, "--base-url", harness.simulator.baseURL], directory: harness.directory)
            #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("this may make 4 purchases"))
            #expect(!result.stdout.contains("Do you want to buy"))
            #expect(harness.ledger.purchases == 4)
        }
    }
}
