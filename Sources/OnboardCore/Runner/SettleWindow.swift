import Foundation

/// When "nothing found" proves an unanswered request had no effect.
///
/// The API may still be working on a request after the client stopped waiting for it (the client timed out, the
/// connection dropped, the sender was killed). The last moment the client could have been waiting is the later of
/// the attempt's end and `start + request timeout`; a lookup that finds nothing is trusted only once the settle
/// window has passed since then. On the same boot the moments are `CLOCK_BOOTTIME` seconds, which a wall-clock jump
/// cannot move; across a reboot (or where there is no such clock) wall time is used.
public enum SettleWindow {
    /// Seconds still to wait before a lookup that finds nothing proves `attempt` had no effect; zero once proven,
    /// and for attempts the API can no longer be working on (answered ones).
    ///
    /// - Parameters:
    ///   - settle: the settle window, in seconds.
    ///   - defaultTimeout: the request timeout to assume for attempts that did not record theirs.
    public static func remaining(
        for attempt: AttemptRecord, settle: Double, defaultTimeout: Double, now: ClockReading
    ) -> Double {
        guard attempt.mayStillBeInFlight else { return 0 }
        let timeout = attempt.timeout ?? defaultTimeout
        if let boot = attempt.bootID, boot == now.bootID, let start = attempt.startedUptime, let current = now.uptime {
            let lastActive = max(attempt.finishedUptime ?? start, start + timeout)
            return max(0, lastActive + settle - current)
        }
        let start = attempt.startedAt.timeIntervalSince1970
        let lastActive = max(attempt.finishedAt?.timeIntervalSince1970 ?? start, start + timeout)
        return max(0, lastActive + settle - now.wall.timeIntervalSince1970)
    }
}
