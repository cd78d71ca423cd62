/// What really happened inside the simulator: how many effects each kind of call had, and how many requests it
/// answered how. `GET /_sim/ledger` serves the same content.
///
/// Tests assert here rather than on what a client believes, e.g. that a crash during provisioning bought one
/// number, not two: `#expect(simulator.world.ledger().purchases == 1)`.
public struct Ledger: Sendable, Codable, Hashable {
    public var accounts = 0
    public var messageRoutes = 0
    public var voiceRoutes = 0
    public var purchases = 0
    public var subscribers = 0
    public var messages = 0
    public var tokensIssued = 0
    /// API requests received (token calls included, `/_sim/` excluded), 429s and faulted ones too.
    public var requests = 0
    /// Requests the rate limiter answered with 429.
    public var rateLimited = 0
    /// Connections closed by a `drop` fault instead of answering (not in ``responsesByStatus``).
    public var droppedResponses = 0
    /// `"METHOD /path"` (query left out) to count.
    public var requestsByEndpoint: [String: Int] = [:]
    /// HTTP status (as a string) to count, for every answer sent.
    public var responsesByStatus: [String: Int] = [:]
    /// Accounts created per `AccountName`: a count above 1 is a duplicate a client made.
    public var accountNames: [String: Int] = [:]
    /// Message routes per `"<AccountId or ->/<RouteName>"`.
    public var messageRouteNames: [String: Int] = [:]
    /// Voice routes per `"<AccountId or ->/<RouteName>"`.
    public var voiceRouteNames: [String: Int] = [:]
    /// Subscribers per lowercased e-mail (the platform refuses a second, so these stay at 1).
    public var subscriberEmails: [String: Int] = [:]
    /// Numbers bought per AccountId (`-` for numbers under no account).
    public var purchasesByAccount: [String: Int] = [:]
    /// Messages per `"<From>-><To>"`, one per recipient.
    public var messagesByRoute: [String: Int] = [:]

    public init() {}

    enum CodingKeys: String, CodingKey {
        case accounts
        case messageRoutes = "message_routes"
        case voiceRoutes = "voice_routes"
        case purchases, subscribers, messages
        case tokensIssued = "tokens_issued"
        case requests
        case rateLimited = "rate_limited"
        case droppedResponses = "dropped_responses"
        case requestsByEndpoint = "requests_by_endpoint"
        case responsesByStatus = "responses_by_status"
        case accountNames = "account_names"
        case messageRouteNames = "message_route_names"
        case voiceRouteNames = "voice_route_names"
        case subscriberEmails = "subscriber_emails"
        case purchasesByAccount = "purchases_by_account"
        case messagesByRoute = "messages_by_route"
    }
}
