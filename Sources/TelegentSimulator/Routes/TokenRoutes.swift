import Foundation

/// `POST /v1.0/oauth2/tokens` (a token for one endpoint path) and the guide's `POST /v1.1/oauth/token` (a token
/// for every path).
enum TokenRoutes {
    static func issueScoped(_ world: SimulatorWorld, _ call: Call) throws(APIError) -> JSON {
        let fields = call.fields
        let key = try fields.string("AccountKey")
        let secret = try fields.string("AccountSecret")
        guard let endpoint = try fields.nonBlankString("ApiEndpoint") else {
            throw .rule(400, "The ApiEndpoint field is required.")
        }
        return try issue(world, call, key: key, secret: secret, scope: scopePath(endpoint))
    }

    static func issueUnscoped(_ world: SimulatorWorld, _ call: Call) throws(APIError) -> JSON {
        let key = try call.fields.string("AccountKey")
        let secret = try call.fields.string("AccountSecret")
        return try issue(world, call, key: key, secret: secret, scope: nil)
    }

    private static func issue(_ world: SimulatorWorld, _ call: Call, key: String, secret: String, scope: String?) throws(APIError) -> JSON {
        guard world.secrets[key] == secret else {
            throw .rule(401, "Unauthorized: AccountKey or AccountSecret is invalid.")
        }
        let ttl = world.configuration.tokenTTL
        let now = call.now
        let token = world.withState { $0.issueToken(owner: key, scope: scope, expiresAt: now + ttl, now: now) }
        let (seconds, attoseconds) = ttl.components
        let expiry = call.date.addingTimeInterval(Double(seconds) + Double(attoseconds) * 1e-18)
        return [
            "token": .string(token),
            "successful": true,
            "tokenExpiry": .string(TelegentDate(expiry).tokenExpiry),
        ]
    }

    /// The path a token is scoped to: ApiEndpoint may be a full URL or a bare path; the query is ignored.
    static func scopePath(_ endpoint: String) -> String {
        var path = Substring(endpoint.trimmed)
        if let schemeEnd = path.range(of: "://") {
            let authorityAndPath = path[schemeEnd.upperBound...]
            path = authorityAndPath.firstIndex(of: "/").map { authorityAndPath[$0...] } ?? "/"
        }
        if let end = path.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            path = path[..<end]
        }
        return path.hasPrefix("/") ? String(path) : "/" + path
    }
}
