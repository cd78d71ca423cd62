/// How a simulator behaves: where it listens, its limits, its timing and its faults.
///
/// ```swift
/// let configuration = SimulatorConfiguration(rateLimitPerMinute: nil, orderSettleDelay: .milliseconds(200))
/// try await TelegentSimulator.withRunning(configuration) { simulator in
///     print(simulator.baseURL)
/// }
/// ```
public struct SimulatorConfiguration: Sendable {
    /// Address to bind; tests keep the default loopback.
    public var host: String
    /// Port to bind; 0 picks a free one, published as ``RunningSimulator/port``.
    public var port: Int
    /// Requests each credential may make in any sliding 60-second window (token calls included); nil turns the
    /// limit off. The standard tier's 50 is the default.
    public var rateLimitPerMinute: Int?
    /// Added to every API request (not to `/_sim/` ones).
    public var latency: Duration
    /// How long a token stays valid after it is issued.
    public var tokenTTL: Duration
    /// nil: orders are `Complete` at once. Otherwise an order is `Pending` until this long after it was placed.
    public var orderSettleDelay: Duration?
    /// Seeds the number inventory and every random choice the simulator makes.
    public var seed: UInt64
    /// Numbers in each seeded area code.
    public var numbersPerArea: Int
    /// The credentials the token endpoints accept.
    public var credentials: [SimulatorCredential]
    /// Fault rules in force from the start (more can be added at run time).
    public var faults: [FaultRule]

    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        rateLimitPerMinute: Int? = 50,
        latency: Duration = .zero,
        tokenTTL: Duration = .seconds(3600),
        orderSettleDelay: Duration? = nil,
        seed: UInt64 = 1,
        numbersPerArea: Int = 1000,
        credentials: [SimulatorCredential] = [.demo],
        faults: [FaultRule] = []
    ) {
        self.host = host
        self.port = port
        self.rateLimitPerMinute = rateLimitPerMinute
        self.latency = latency
        self.tokenTTL = tokenTTL
        self.orderSettleDelay = orderSettleDelay
        self.seed = seed
        self.numbersPerArea = numbersPerArea
        self.credentials = credentials
        self.faults = faults
    }
}
