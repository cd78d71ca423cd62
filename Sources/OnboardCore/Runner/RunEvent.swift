import Foundation
import Synchronization

/// What a run reports as it goes, for progress output. Never carries a secret.
public enum RunEvent: Sendable {
    case runStarted(runID: String, key: String)
    case stepSkipped(runID: String, step: String)
    case stepStarted(runID: String, step: String, title: String)
    case stepDone(runID: String, step: String, outputs: [String: JSONValue], adopted: Bool)
    case retrying(runID: String, step: String, attempt: Int, delay: Duration, reason: String)
    case lookingUp(runID: String, step: String)
    /// A lookup found nothing while an unanswered request may still be applied: waiting before looking again.
    case waitingForInFlight(runID: String, step: String, seconds: Double)
    case polling(runID: String, step: String, status: String)
    case stepFailed(runID: String, step: String, message: String)
    case runFinished(runID: String, status: RunStatus)
}

/// Receives run events; must be cheap and thread-safe.
public typealias RunEventSink = @Sendable (RunEvent) -> Void

/// Set by Ctrl-C / SIGTERM: runners stop starting requests, finish the one in flight, commit, and return
/// `interrupted`.
public final class ShutdownSignal: Sendable {
    private let state = Mutex(false)

    public init() {}

    public func request() { state.withLock { $0 = true } }

    public var isRequested: Bool { state.withLock { $0 } }

    /// Sleeps for `duration`, returning early (false) when shutdown is requested; true when the full time passed.
    public func sleep(for duration: Duration) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: duration)
        while clock.now < deadline {
            if isRequested { return false }
            let step = min(deadline - clock.now, .milliseconds(100))
            do { try await clock.sleep(for: step) } catch { return false }
        }
        return !isRequested
    }
}
