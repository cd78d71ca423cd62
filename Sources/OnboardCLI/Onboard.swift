import ArgumentParser
import Foundation
import OnboardCore

/// `onboard`: takes a telecom operator from nothing to a working Telegent mPaaS setup, resumably.
public struct Onboard: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "onboard",
        abstract: "Run Telegent's quick start as a resumable state machine, checkpointed in SQLite.",
        discussion: """
            Each step's IDs are saved the moment they come back, so a run that failed, was killed or hit the rate \
            limit continues exactly where it stopped, and nothing is ever bought twice.

            First time? Try it against the built-in simulator, no credentials needed:
              onboard demo

            Against the real API:
              export TELEGENT_ACCOUNT_KEY=DID-...  TELEGENT_ACCOUNT_SECRET=...
              onboard plan examples/quickstart.yaml
              onboard run examples/quickstart.yaml

            Exit codes: 0 done, 1 a run failed, 2 bad input or usage (nothing was called),
            3 in doubt, 4 busy (another process is executing the run), 130 interrupted.
            """,
        version: OnboardVersion.string,
        subcommands: [
            DemoCommand.self, RunCommand.self, BatchCommand.self, PlanCommand.self, ResumeCommand.self, RetryCommand.self,
            ResolveCommand.self, StatusCommand.self, ListCommand.self, ShowCommand.self, WorkerCommand.self,
            ServeCommand.self, VersionCommand.self, CompletionsCommand.self,
        ]
    )

    public init() {}
}

/// Runs a command body, printing any error once and turning it into the documented exit status.
func withExitStatus(json: Bool, _ body: () async throws -> ExitStatus) async throws {
    let status: ExitStatus
    do {
        status = try await body()
    } catch {
        let failure = CLIError(error)
        if json {
            print(JSONValue.object(["error": .string(failure.message), "exit_code": .int(Int(failure.status.rawValue))]).prettyString())
        } else {
            FileHandle.standardError.write(Data("error: \(failure.message)\n".utf8))
        }
        status = failure.status
    }
    if status != .done { throw ExitCode(status.rawValue) }
}
