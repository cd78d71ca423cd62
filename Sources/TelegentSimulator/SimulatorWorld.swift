import Synchronization

/// The simulated Telegent platform: accounts, routes, the number inventory, orders, subscribers, messages, tokens,
/// the rate limiter, fault rules and the ledger.
///
/// One lock guards it all. Every request takes it briefly (admission, the handler's state change, the answer's
/// count) and never across an `await`, so a `Mutex` beats an actor's hops here. Tests reach the same world
/// in-process through ``RunningSimulator/world``:
///
/// ```swift
/// simulator.world.addFaults([FaultRule(method: "POST", path: "/v1.0/numbers/provision", action: .drop, count: 1)])
/// // ... drive the client ...
/// #expect(simulator.world.ledger().purchases == 1)
/// ```
public final class SimulatorWorld: Sendable {
    let configuration: SimulatorConfiguration
    /// AccountKey to AccountSecret.
    let secrets: [String: String]
    let clock = ContinuousClock()
    private let state: Mutex<WorldState>

    public init(configuration: SimulatorConfiguration) {
        self.configuration = configuration
        secrets = Dictionary(configuration.credentials.map { ($0.accountKey, $0.accountSecret) }, uniquingKeysWith: { $1 })
        state = Mutex(WorldState(configuration: configuration))
    }

    /// Counts of what happened so far; the content of `GET /_sim/ledger`.
    public func ledger() -> Ledger {
        state.withLock { $0.ledger }
    }

    /// When each API request arrived since the start (or the last reset); the content of `GET /_sim/requests`.
    public func requestLog() -> RequestLog {
        state.withLock { $0.arrivals.log }
    }

    /// Forgets everything: records, tokens, counters, the request log, rate-limit windows and fault rules (those of
    /// the configuration too). The inventory is rebuilt from the seed.
    public func reset() {
        var fresh = WorldState(configuration: configuration)
        fresh.faults.removeAll()
        state.withLock { $0 = fresh }
    }

    /// Appends fault rules after those in force.
    public func addFaults(_ rules: [FaultRule]) {
        state.withLock { $0.faults.add(rules) }
    }

    /// Removes every fault rule.
    public func clearFaults() {
        state.withLock { $0.faults.removeAll() }
    }

    /// The fault rules in force, with their remaining counts.
    public func faults() -> [FaultRule] {
        state.withLock { $0.faults.rules }
    }

    /// Runs `body` with the state locked. `body` must not block or suspend.
    func withState<Result: Sendable>(_ body: (inout WorldState) throws(APIError) -> Result) throws(APIError) -> Result {
        try state.withLock { (state: inout WorldState) throws(APIError) -> Result in try body(&state) }
    }

    func withState<Result: Sendable>(_ body: (inout WorldState) -> Result) -> Result {
        state.withLock { body(&$0) }
    }
}
