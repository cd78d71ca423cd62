import Foundation

/// The one rate limiter of a process: every request, token calls and batch items together, passes through it.
///
/// It keeps the send times of the last `limit` requests and lets a request leave only when the one `limit` places
/// before it left at least `window` ago. So no `window`-long span ever holds more than `limit` requests, from a
/// cold start on, whether the server counts a fixed or a sliding window; and a steady stream runs at
/// `limit / window`. The window is the API's minute plus a small margin for clock and network jitter.
///
/// ```swift
/// let limiter = RateLimiter(limit: 50)
/// try await limiter.acquire()   // then send
/// ```
///
/// A 429 calls `pause(for:)`: nobody sends until the server's `Retry-After` has passed.
public actor RateLimiter {
    public nonisolated let limit: Int
    public nonisolated let window: Duration
    private let clock = ContinuousClock()
    /// Reserved send times, oldest first; at most `limit` of them.
    private var reservations: [ContinuousClock.Instant] = []
    private var head = 0
    private var pausedUntil: ContinuousClock.Instant?
    /// Requests waiting for their turn right now (shown as "waiting on the rate limit").
    public private(set) var waiting = 0
    /// Requests let through since creation.
    public private(set) var granted = 0

    /// - Parameters:
    ///   - limit: requests per window (the API's standard tier is 50 per minute).
    ///   - window: the API's window plus a margin (default 61 s for a 60-s window).
    public init(limit: Int, window: Duration = .seconds(61)) {
        precondition(limit > 0, "a rate limit must allow at least one request")
        self.limit = limit
        self.window = window
    }

    /// Waits until a request may leave. Throws `CancellationError` when the task is cancelled while waiting.
    public func acquire() async throws {
        let start = clock.now
        let slot = reserve(at: start)
        waiting += 1
        defer {
            waiting -= 1
            OnboardMetrics.waitedForRateLimit(seconds: (clock.now - start).seconds, waiting: waiting)
        }
        var wakeAt = slot
        while true {
            if wakeAt > clock.now { try await clock.sleep(until: wakeAt) }
            // A 429 may have paused everyone while this request slept.
            guard let pause = pausedUntil, pause > clock.now else { break }
            wakeAt = pause
        }
        granted += 1
    }

    /// Requests let through in the last `window` (the API's minute plus the margin): never above `limit`, so a
    /// progress line can show the rate actually kept.
    public func sentInLastWindow() -> Int {
        let now = clock.now
        let since = now.advanced(by: .zero - window)
        return reservations.filter { $0 <= now && $0 > since }.count
    }

    /// When a request asked for now could leave: the limiter's own schedule, for an ETA.
    public func nextFreeSlot() -> Duration {
        let now = clock.now
        var slot = now
        if reservations.count == limit { slot = max(slot, reservations[head].advanced(by: window)) }
        if let pause = pausedUntil, pause > slot { slot = pause }
        return slot - now
    }

    /// Stops every request until `seconds` from now (a 429's `Retry-After`).
    public func pause(for seconds: Double) {
        let until = clock.now.advanced(by: .seconds(clamping: seconds, maximum: RetryAfter.maximum))
        if pausedUntil.map({ until > $0 }) ?? true { pausedUntil = until }
        // Requests already given a later slot will really leave after the pause: record that, so the window
        // arithmetic stays true.
        let now = clock.now
        for index in reservations.indices where reservations[index] > now && reservations[index] < until {
            reservations[index] = until
        }
    }

    /// Books the earliest send time at or after `now` that keeps every window within the limit. The reserved
    /// times are a ring of `limit` entries; `head` is the oldest once the ring is full.
    func reserve(at now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        var slot = now
        if reservations.count == limit {
            slot = max(slot, reservations[head].advanced(by: window))
        }
        if let pause = pausedUntil, pause > slot { slot = pause }
        if let last = newest, last > slot { slot = last }
        if reservations.count < limit {
            reservations.append(slot)
        } else {
            reservations[head] = slot
            head = (head + 1) % limit
        }
        return slot
    }

    private var newest: ContinuousClock.Instant? {
        guard !reservations.isEmpty else { return nil }
        return reservations.count < limit ? reservations.last : reservations[(head + limit - 1) % limit]
    }
}

/// A rate as users write it: `50`, `50/min`, `50/m`, `2/s`, `100/h`, or over a window of several units: `10/5s`,
/// `100/2min` (for an API that counts its limit over such a window). There is no `off`: every request onboard sends
/// to an API goes through a limiter (an enterprise tier sets its own number); only the simulator's limit can be off.
public struct RateSpec: Sendable, Hashable, CustomStringConvertible {
    public var requests: Int
    public var per: Duration

    public init(requests: Int, per: Duration = .seconds(60)) {
        self.requests = requests
        self.per = per
    }

    /// Parses `50`, `50/min`, `50/minute`, `50/m`, `5/s`, `5/sec`, `50/h`, and a whole number of units before the
    /// unit (`10/5s`, `100/2min`, at most a day); nil for anything else.
    public init?(parsing text: String) {
        let parts = text.lowercased().replacingOccurrences(of: " ", with: "").split(separator: "/")
        guard let first = parts.first, let count = Int(first), count > 0, count <= 1_000_000, parts.count <= 2 else { return nil }
        self.requests = count
        let window = parts.count == 2 ? Substring(parts[1]) : "min"
        let digits = window.prefix { $0.isASCII && $0.isNumber }
        let units = digits.isEmpty ? 1 : Int(digits) ?? 0
        let seconds: Int
        switch window.dropFirst(digits.count) {
        case "min", "m", "minute": seconds = 60
        case "s", "sec", "second": seconds = 1
        case "h", "hour": seconds = 3600
        default: return nil
        }
        guard units >= 1, units <= 86_400 / seconds else { return nil }
        self.per = .seconds(units * seconds)
    }

    public var perMinute: Double { Double(requests) * 60 / per.seconds }

    public var description: String {
        let seconds = Int(per.seconds)
        if Double(seconds) != per.seconds { return "\(requests)/\(per)" }
        if seconds == 60 { return "\(requests)/min" }
        if seconds == 1 { return "\(requests)/s" }
        if seconds == 3600 { return "\(requests)/h" }
        return seconds % 60 == 0 ? "\(requests)/\(seconds / 60)min" : "\(requests)/\(seconds)s"
    }

    /// The limiter for this rate, with a margin of 1/60 of the window (1 s per minute).
    public func makeLimiter() -> RateLimiter {
        RateLimiter(limit: requests, window: per + .milliseconds(Int64(per.seconds * 1000 / 60)))
    }
}
