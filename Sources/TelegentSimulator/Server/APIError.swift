/// An error answer in the API reference's shape: `{"StatusCode": N, "Message": "..."}`.
///
/// Messages are the documented sentence for the status (research-api.md 1.2), followed by what exactly was wrong,
/// except for the business rules the documents quote word for word ("Email already exists", "MessageRouteId is
/// required: ...", "The ApiEndpoint field is required."), which are sent as quoted.
struct APIError: Error, Sendable, Equatable {
    var status: Int
    var message: String
    /// Seconds for a `Retry-After` header.
    var retryAfter: Int?

    init(status: Int, message: String, retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
    }

    /// The documented sentence for `status`, with `detail` after it.
    static func documented(_ status: Int, _ detail: String? = nil, retryAfter: Int? = nil) -> APIError {
        let sentence = documentedMessages[status] ?? "Simulated fault: HTTP \(status)."
        return APIError(status: status, message: detail.map { "\(sentence) \($0)" } ?? sentence, retryAfter: retryAfter)
    }

    /// 400 naming the field: "Bad request: one or more required fields ... invalid value. NumberType is required."
    static func badRequest(_ detail: String) -> APIError { documented(400, detail) }

    static func notFound(_ detail: String) -> APIError { documented(404, detail) }

    static let unauthorized = documented(401)
    static let forbidden = documented(403)
    static let methodNotAllowed = documented(405)

    /// A rule the documents quote: sent exactly as given.
    static func rule(_ status: Int, _ message: String) -> APIError {
        APIError(status: status, message: message)
    }

    static func invalidAccount(_ accountId: String) -> APIError {
        rule(404, "Invalid AccountId: \(accountId) does not exist or belongs to a different distributor.")
    }

    static let documentedMessages: [Int: String] = [
        400: "Bad request: one or more required fields are missing or contain an invalid value.",
        401: "Unauthorized: Bearer token is missing, expired, or invalid. Re-authenticate via POST /v1.0/oauth2/tokens.",
        403: "Forbidden: your token does not have permission to access this resource. Check the ApiEndpoint scope.",
        404: "Not found: the requested resource does not exist or belongs to a different account.",
        405: "Method not allowed: verify the HTTP method required for this endpoint.",
        408: "Request timeout: the server did not receive a complete request within the allowed time. Retry with exponential backoff.",
        409: "Conflict: the request conflicts with the current state of the resource.",
        429: "Too many requests: rate limit exceeded. Slow your request cadence and retry after a short delay.",
        500: "Internal server error: an unexpected error occurred. If the problem persists contact support@telegent.com.",
        503: "Service unavailable: the API is temporarily unavailable. Retry after a short delay.",
        504: "Gateway timeout: an upstream service did not respond in time. Retry with exponential backoff.",
    ]

    var body: JSON {
        ["StatusCode": .int(status), "Message": .string(message)]
    }
}
