import Foundation
import Synchronization

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
