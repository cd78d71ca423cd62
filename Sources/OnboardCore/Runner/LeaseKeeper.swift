import Foundation
import Synchronization

/// An execution's own view of its lease, on a monotonic clock: the deadline before which it may still send.
///
/// The store fences commits with the lease; this fences sends. The deadline is the start of the last successful
/// renewal plus the lease duration, less a margin, counted on `ContinuousClock` (which keeps running while the
/// process is stopped, so a process resumed after Ctrl-Z or `kill -STOP` sees at once that its lease may be gone).
/// The runner calls `check()` immediately before every request leaves; a renewal that fails, or that completes
/// after the deadline, marks the lease lost for good.
final class LeaseKeeper: Sendable {
    let lease: Lease
    let duration: Duration
    let margin: Duration
    private let clock = ContinuousClock()
    private let state: Mutex<(deadline: ContinuousClock.Instant, lost: String?)>

    /// - Parameter acquiredAt: a reading taken before the lease was asked for.
    init(lease: Lease, duration: Duration, margin: Duration, acquiredAt: ContinuousClock.Instant) {
        self.lease = lease
        self.duration = duration
        self.margin = margin
        state = Mutex((acquiredAt.advanced(by: duration - margin), nil))
    }

    /// Throws `LeaseLostError` when the lease was lost or its deadline has passed.
    func check() throws {
        let now = clock.now
        let (deadline, lost) = state.withLock { ($0.deadline, $0.lost) }
        if let lost { throw LeaseLostError(detail: lost) }
        if now >= deadline {
            lose("its last renewal is too old (the process was paused or the database slow)")
            throw LeaseLostError(detail: lost ?? "its last renewal is too old")
        }
    }

    var isLost: Bool {
        let now = clock.now
        return state.withLock { $0.lost != nil || now >= $0.deadline }
    }

    var lostReason: String? { state.withLock { $0.lost } }

    var deadline: ContinuousClock.Instant { state.withLock { $0.deadline } }

    /// A renewal that started at `startedAt` succeeded; returns false (and marks the lease lost) when it completed
    /// after the deadline.
    func renewed(startedAt: ContinuousClock.Instant) -> Bool {
        let now = clock.now
        return state.withLock { state in
            guard state.lost == nil, now < state.deadline else {
                if state.lost == nil { state.lost = "its renewal came too late" }
                return false
            }
            state.deadline = max(state.deadline, startedAt.advanced(by: duration - margin))
            return true
        }
    }

    func lose(_ reason: String) {
        state.withLock { if $0.lost == nil { $0.lost = reason } }
    }
}
