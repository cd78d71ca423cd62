/// Everything the simulated platform holds, mutated only under ``SimulatorWorld``'s lock.
///
/// Records live in dictionaries by ID; each credential's ``Distributor`` keeps their creation order (lists are
/// "oldest first") and the indexes its lookups need.
struct WorldState: Sendable {
    var inventory: Inventory
    /// Seeded choices other than faults: which number a provision gets, the order of areas in availability.
    var generator: SeededGenerator
    var faults: FaultInjector
    var limiter: RateLimiter
    var ledger = Ledger()
    /// When each API request arrived (`GET /_sim/requests`).
    var arrivals: RequestArrivals
    var tokens: [String: TokenGrant] = [:]
    var accounts: [String: Account] = [:]
    var messageRoutes: [String: MessageRoute] = [:]
    var voiceRoutes: [String: VoiceRoute] = [:]
    /// Bought numbers by E.164 number.
    var numbers: [String: PurchasedNumber] = [:]
    var subscribers: [String: Subscriber] = [:]
    var messages: [String: Message] = [:]
    /// Lowercased e-mail addresses of every subscriber on the platform, all credentials together.
    var subscriberEmails: Set<String> = []
    var distributors: [String: Distributor] = [:]

    /// One credential's view: its records in creation order, and its orders and message index.
    struct Distributor: Sendable {
        var accountIds: [String] = []
        var messageRouteIds: [String] = []
        var voiceRouteIds: [String] = []
        var numbers: [String] = []
        var subscriberIds: [String] = []
        var messageIds: [String] = []
        /// By OrderId: `JNUOID-...`, or the client's own OrderId in the guide dialect.
        var orders: [String: Order] = [:]
        /// Message IDs by the numbers they were sent from or to, oldest first.
        var messageIdsByNumber: [String: [String]] = [:]
        var subscriberCountByAccount: [String: Int] = [:]
    }

    init(configuration: SimulatorConfiguration) {
        inventory = Inventory(seed: configuration.seed, numbersPerArea: configuration.numbersPerArea)
        generator = SeededGenerator(seed: configuration.seed &+ 0x5EED)
        faults = FaultInjector(rules: configuration.faults, seed: configuration.seed)
        limiter = RateLimiter(limit: configuration.rateLimitPerMinute)
        arrivals = RequestArrivals(started: .now)
    }

    // MARK: Requests and answers

    /// What the front door decided about a request.
    enum Admission: Sendable {
        case proceed(grant: TokenGrant?, fault: FaultRule?)
        case rateLimited(retryAfter: Int)
    }

    /// Counts (and logs the arrival of) an API request, resolves its bearer token, applies the rate limit of the credential it is charged to
    /// (the token's, or for token calls `accountKey`), and picks the fault rule that acts on it.
    mutating func admit(
        endpoint: String,
        method: String,
        path: String,
        bearer: String?,
        accountKey: String?,
        now: ContinuousClock.Instant
    ) -> Admission {
        ledger.requests += 1
        ledger.requestsByEndpoint[endpoint, default: 0] += 1
        arrivals.record(now)
        let grant = bearer.flatMap { tokens[$0] }
        if let owner = grant?.owner ?? accountKey, let retryAfter = limiter.admit(owner, at: now) {
            ledger.rateLimited += 1
            return .rateLimited(retryAfter: retryAfter)
        }
        return .proceed(grant: grant, fault: faults.fault(method: method, path: path))
    }

    mutating func recordResponse(status: Int) {
        ledger.responsesByStatus[String(status), default: 0] += 1
    }

    mutating func recordDrop() {
        ledger.droppedResponses += 1
    }

    // MARK: Tokens

    mutating func issueToken(owner: String, scope: String?, expiresAt: ContinuousClock.Instant, now: ContinuousClock.Instant) -> String {
        let token = Identifier.randomHex(bytes: 24)
        tokens[token] = TokenGrant(owner: owner, scope: scope, expiresAt: expiresAt)
        ledger.tokensIssued += 1
        if ledger.tokensIssued % 4096 == 0 {
            tokens = tokens.filter { $0.value.expiresAt > now }
        }
        return token
    }

    // MARK: Ownership checks shared by the endpoints

    /// The credential's account, or the documented "Invalid AccountId" 404.
    func account(_ id: String, of owner: String) throws(APIError) -> Account {
        guard let account = accounts[id], account.owner == owner else { throw .invalidAccount(id) }
        return account
    }

    func messageRoute(_ id: String, of owner: String) throws(APIError) -> MessageRoute {
        guard let route = messageRoutes[id], route.owner == owner else { throw .notFound("MessageRouteId \(id) was not found.") }
        return route
    }

    func voiceRoute(_ id: String, of owner: String) throws(APIError) -> VoiceRoute {
        guard let route = voiceRoutes[id], route.owner == owner else { throw .notFound("VoiceRouteId \(id) was not found.") }
        return route
    }

    func subscriber(_ id: String, of owner: String) throws(APIError) -> Subscriber {
        guard let subscriber = subscribers[id], subscriber.owner == owner else {
            throw .notFound("SubscriberId \(id) was not found.")
        }
        return subscriber
    }

    func distributor(_ owner: String) -> Distributor {
        distributors[owner] ?? Distributor()
    }
}
