import Foundation
import OnboardCore
import UnixSignals

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Ctrl-C / SIGTERM: the first asks runs to stop starting requests, finish the one in flight and commit (they
/// then return `interrupted`, exit 130); a second, or 15 s without the process having exited, exits 130 at once (a
/// request still in flight is then in doubt, which the next resume reconciles).
///
/// The signals arrive through swift-service-lifecycle's `UnixSignalsSequence`, as in Hummingbird's own `run`,
/// instead of a signal source of our own: one maintained place knows how each platform delivers them.
///
/// ```swift
/// let trap = SignalTrap(shutdown: shutdown, reporter: reporter)
/// defer { trap.cancel() }
/// let status = try await runner.execute(run, inputs: inputs)
/// ```
///
/// `UnixSignalsSequence` registers its handlers asynchronously, and this initializer is synchronous (a command
/// creates the trap and defers its `cancel()`). So the signals are ignored from the first instant, as before: a
/// Ctrl-C in the moment before the registration is lost rather than killing the process half-way through a commit.
/// On Linux, libdispatch replaces that disposition with its own handler when it registers.
final class SignalTrap: Sendable {
    /// Waits for the signals; cancelled by ``cancel()``, which ends the sequence and releases its handlers.
    private let listener: Task<Void, Never>

    static let grace: TimeInterval = 15

    init(shutdown: ShutdownSignal, reporter: Reporter) {
        for number in [SIGINT, SIGTERM] { signal(number, SIG_IGN) }
        let json = reporter.json
        listener = Task {
            let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
            for await _ in signals {
                if shutdown.isRequested { _exit(130) }
                shutdown.request()
                if !json {
                    FileHandle.standardError.write(
                        Data("\nstopping: finishing the request in flight and saving (Ctrl-C again to quit now)\n".utf8))
                }
                Self.exitAfterGrace()
            }
        }
    }

    /// Stops trapping: SIGINT and SIGTERM get their default action again (a Ctrl-C after the run ends the process).
    /// A grace period already started still runs out: the process must then be gone within it.
    func cancel() {
        listener.cancel()
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }

    /// Exits 130 after ``grace`` unless the process ended before. On a thread of its own rather than a task: it
    /// must fire even when every task of the cooperative pool is stuck, which is exactly when it is needed.
    private static func exitAfterGrace() {
        let thread = Thread {
            Thread.sleep(forTimeInterval: grace)
            _exit(130)
        }
        thread.name = "onboard.shutdown-grace"
        thread.start()
    }
}
