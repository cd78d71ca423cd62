/// The per-credential limit: at most `limit` accepted requests in any sliding 60-second window.
///
/// A request the limiter refuses is not recorded, so a client that keeps knocking during a 429 does not push
/// its own recovery further away.
struct RateLimiter: Sendable {
    static let window: Duration = .seconds(60)

    let limit: Int?
    private var windows: [String: Window] = [:]

    /// Accepted request times of one credential, oldest first, from `head` on.
    private struct Window {
        var times: [ContinuousClock.Instant] = []
        var head = 0
    }

    init(limit: Int?) {
        self.limit = limit
    }

    /// Records a request by `owner` at `now` if the window has room; otherwise returns the whole seconds until it
    /// has (at least 1), for `Retry-After`.
    mutating func admit(_ owner: String, at now: ContinuousClock.Instant) -> Int? {
        guard let limit else { return nil }
        var window = windows.removeValue(forKey: owner) ?? Window()
        defer { windows[owner] = window }
        while window.head < window.times.count, window.times[window.head] + Self.window <= now {
            window.head += 1
        }
        if window.head > 256, window.head * 2 > window.times.count {
            window.times.removeFirst(window.head)
            window.head = 0
        }
        guard window.times.count - window.head >= limit else {
            window.times.append(now)
            return nil
        }
        guard window.head < window.times.count else { return 60 }  // a limit of 0 never admits
        let wait = window.times[window.head] + Self.window - now
        let (seconds, attoseconds) = wait.components
        return max(1, Int(seconds) + (attoseconds > 0 ? 1 : 0))
    }
}
