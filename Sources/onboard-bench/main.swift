import ArgumentParser
import Logging

/// `onboard-bench`: the figures issues ask for, measured here rather than by timed assertions in tests.
struct OnboardBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "onboard-bench",
        abstract: "Measure onboard and its simulator. Build in release: swift run -c release onboard-bench <subcommand>.",
        subcommands: [
            Overhead.self, BatchBench.self, RateLimitBench.self, ScaleBench.self, SimLoad.self, StoreCost.self, PagesBench.self,
        ]
    )
}

/// The entry point. In main.swift (no `@main`) a bare `OnboardBench.main()` at top level resolves to the
/// synchronous entry point, which only prints help for async subcommands; inside an async function the async
/// overloads win.
func runOnboardBench() async {
    // As the onboard CLI does by default: warnings and errors only, so figures do not include log formatting.
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = .warning
        return handler
    }
    await OnboardBench.main()
}

await runOnboardBench()
