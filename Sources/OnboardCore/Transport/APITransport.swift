import Foundation

/// One API request, rendered (secrets included, so it is never stored or logged whole).
public struct APIRequest: Sendable, Hashable {
    public var method: String
    /// Path without query (`/v1.0/numbers/provision`); the token scope.
    public var path: String
    public var query: [QueryItem]
    public var body: JSONValue?

    public struct QueryItem: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(method: String, path: String, query: [QueryItem] = [], body: JSONValue? = nil) {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
    }
}

/// An API answer of any status: HTTP status is data here; `RetryPolicy` decides what it means.
public struct APIResponse: Sendable, Hashable {
    public var status: Int
    public var body: JSONValue?
    /// `Retry-After`, in seconds, when the server sent one.
    public var retryAfter: Double?

    public init(status: Int, body: JSONValue?, retryAfter: Double? = nil) {
        self.status = status
        self.body = body
        self.retryAfter = retryAfter
    }

    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The API's `Message` (or `message`, `Detail`, `Title`): what it said went wrong.
    public var apiMessage: String? {
        for key in ["Message", "message", "Detail", "Title", "error"] {
            if let text = body?[key]?.stringValue, !text.isEmpty { return text }
        }
        return nil
    }
}

/// The request got no answer. `mayHaveArrived` is false only when it certainly never left (connection refused),
/// which is the one case a create step may be resent without a lookup.
public struct TransportError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public var mayHaveArrived: Bool

    public init(message: String, mayHaveArrived: Bool) {
        self.message = message
        self.mayHaveArrived = mayHaveArrived
    }

    public var description: String { message }
}

/// Getting a token failed: the credentials were refused, or the token endpoint kept failing.
public struct AuthenticationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var status: Int?
    public var message: String
    public var retryAfter: Double?

    public init(status: Int?, message: String, retryAfter: Double? = nil) {
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
    }

    public var description: String {
        "authentication failed" + (status.map { " (HTTP \($0))" } ?? "") + ": \(message)"
    }
}

/// How the runner reaches the API. `TelegentClient.TelegentHTTPTransport` is the implementation that ships: it
/// holds the token cache (fetching a token for the request's path, refreshing once on 401 or a 403 that names the
/// token scope) and passes every request, token calls included, through the shared `RateLimiter`.
public protocol APITransport: Sendable {
    /// Sends one request and returns the answer whatever its status. Throws `TransportError` when there is no
    /// answer, `AuthenticationError` when no token could be had.
    func send(_ request: APIRequest) async throws -> APIResponse
}
