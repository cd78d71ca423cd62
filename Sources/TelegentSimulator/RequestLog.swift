/// When each API request arrived: what a client's rate limit must be checked against, since the ledger only counts.
/// `GET /_sim/requests` serves the same content; in-process, ``SimulatorWorld/requestLog()``.
///
/// ```swift
/// let log = simulator.world.requestLog()
/// #expect(log.mostInAnyWindow(of: .seconds(60)).count <= 50)
/// ```
///
/// Every API request is logged at admission (after `--latency`, before the rate limit and faults), token calls and
/// refused ones included, as the ledger's `requests` counts them; `/_sim/` calls are not. The newest
/// ``capacity`` arrivals are kept (16 bytes each); older ones are forgotten and counted.
public struct RequestLog: Sendable, Codable, Hashable {
    /// How many arrivals are kept at most.
    public static let capacity = 1_000_000

    /// Milliseconds from the simulator's start (or its last reset) to each request's arrival, oldest first.
    public var arrivalsMs: [Double]
    /// Arrivals older than the kept ones, left out because the log was full.
    public var forgotten: Int

    public init(arrivalsMs: [Double] = [], forgotten: Int = 0) {
        self.arrivalsMs = arrivalsMs
        self.forgotten = forgotten
    }

    enum CodingKeys: String, CodingKey {
        case arrivalsMs = "arrivals_ms"
        case forgotten
    }

    /// The most arrivals that fall in one span of `window` (a sliding window: any start, both ends included as a
    /// client's limiter would count them), and where the first such span starts (ms). Zero for an empty log.
    public func mostInAnyWindow(of window: Duration) -> (count: Int, startMs: Double) {
        let times = arrivalsMs.sorted()
        let width = window.milliseconds
        var best = (count: 0, startMs: 0.0)
        var head = 0
        for (tail, time) in times.enumerated() {
            // Arrivals from times[head] to `time` all lie within `width` of each other.
            while time - times[head] > width { head += 1 }
            if tail - head + 1 > best.count { best = (tail - head + 1, times[head]) }
        }
        return best
    }

    /// Arrivals per fixed window from the start: `[0, window)`, `[window, 2·window)`, …, up to the last arrival.
    public func countsPerWindow(of window: Duration) -> [Int] {
        let width = window.milliseconds
        guard width > 0, let last = arrivalsMs.max() else { return [] }
        var counts = Array(repeating: 0, count: Int(last / width) + 1)
        for time in arrivalsMs where time >= 0 { counts[Int(time / width)] += 1 }
        return counts
    }
}

/// The arrivals as the world keeps them: instants, compacted when full.
struct RequestArrivals: Sendable {
    let started: ContinuousClock.Instant
    private var instants: [ContinuousClock.Instant] = []
    private var forgotten = 0

    init(started: ContinuousClock.Instant) {
        self.started = started
    }

    mutating func record(_ instant: ContinuousClock.Instant) {
        if instants.count >= RequestLog.capacity {
            // Forget the oldest tenth at once, so the cost of compaction is spread over many arrivals.
            let drop = RequestLog.capacity / 10
            instants.removeFirst(drop)
            forgotten += drop
        }
        instants.append(instant)
    }

    var log: RequestLog {
        RequestLog(arrivalsMs: instants.map { ($0 - started).milliseconds }, forgotten: forgotten)
    }
}

extension Duration {
    /// This duration in milliseconds, with its fraction.
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1_000 + Double(attoseconds) / 1e15
    }
}
