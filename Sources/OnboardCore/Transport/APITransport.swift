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

/// An API answer of any status: HTTP status is data here; `OutcomeClass` decides what it means.
public struct APIResponse: Sendable, Hashable {
    public var status: Int
    public var body: JSONValue?
    /// `Retry-After`, in seconds, when the server sent a usable one (finite, within `RetryAfter.maximum`).
    public var retryAfter: Double?
    /// A 401, or a 403 naming the token's scope: the transport has dropped the token it used, so sending again
    /// fetches a new one.
    public var tokenRejected: Bool

    public init(status: Int, body: JSONValue?, retryAfter: Double? = nil, tokenRejected: Bool = false) {
        self.status = status
        self.body = body
        self.retryAfter = retryAfter
        self.tokenRejected = tokenRejected
    }

    public var isSuccess: Bool { (200..<300).contains(status) }

    /// The API's `Message` (or `message`, `Detail`, `Title`): what it said went wrong.
    public var apiMessage: String? {
        for key in ["Message", "message", "Detail", "Title", "error"] {
            if let text = body?[key]?.stringValue, !text.isEmpty { return text }
        }
        return nil
    }

    /// `HTTP 400: the API's message`.
    public var summary: String { "HTTP \(status)" + (apiMessage.map { ": \($0)" } ?? "") }
}

/// The request got no answer.
public struct TransportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, as far as the client can tell.
    public enum Kind: String, Sendable, Hashable {
        /// The host name did not resolve.
        case dns
        /// The server refused the connection (nothing listening).
        case refused
        /// No connection could be established in time.
        case connectTimeout = "connect_timeout"
        /// The TLS handshake failed (certificate, protocol).
        case tls
        /// Connected and sent, but no answer came within the request timeout.
        case timeout
        /// The connection closed before the answer was complete.
        case closed
        case other
    }

    public var kind: Kind
    /// `scheme://host:port` the request went to.
    public var host: String
    public var message: String
    /// False only when the request certainly never left (DNS, refused, connect timeout, TLS): the one case a
    /// create step may be sent again without a lookup. An unknown error counts as "may have arrived".
    public var mayHaveArrived: Bool

    public init(kind: Kind, host: String, message: String, mayHaveArrived: Bool) {
        self.kind = kind
        self.host = host
        self.message = message
        self.mayHaveArrived = mayHaveArrived
    }

    public var description: String { "\(host): \(message)" }
}

/// Getting a token failed: the credentials were refused, or the token endpoint did not answer. The request that
/// needed the token never left.
public struct AuthenticationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var status: Int?
    public var message: String
    public var retryAfter: Double?
    /// The token call itself got no answer.
    public var transport: TransportError?

    public init(status: Int?, message: String, retryAfter: Double? = nil, transport: TransportError? = nil) {
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
        self.transport = transport
    }

    /// Worth trying again later (no answer, or 408/429/5xx from the token endpoint); a refusal of the
    /// credentials is not.
    public var isRetryable: Bool {
        guard let status else { return true }
        if case .retryable = OutcomeClass.classify(status: status) { return true }
        return false
    }

    public var description: String {
        "authentication failed" + (status.map { " (HTTP \($0))" } ?? "") + ": \(message)"
    }
}

/// How the runner reaches the API. `TelegentClient.TelegentHTTPTransport` is the implementation that ships: it
/// holds the token cache (a token per endpoint path) and passes every request, token calls included, through the
/// shared rate limiter.
public protocol APITransport: Sendable {
    /// Sends one request and returns the answer whatever its status.
    ///
    /// `willSend` is called once, after every wait (a token fetched, a rate-limit slot granted) and immediately
    /// before the request leaves; if it throws, the request is not sent and the error is rethrown. The runner
    /// records the attempt and checks its lease there, so an attempt's start is the moment it really left.
    ///
    /// A 401, or a 403 naming the token scope, comes back as an answer with `tokenRejected` set, after the
    /// transport has dropped that token; it is not retried here.
    ///
    /// - Throws: `TransportError` when there is no answer (after `willSend`), `AuthenticationError` when no
    ///   token could be had (before `willSend`: nothing was sent), whatever `willSend` throws, and
    ///   `CancellationError`.
    func send(_ request: APIRequest, willSend: @Sendable () async throws -> Void) async throws -> APIResponse
}

extension APITransport {
    /// Sends with nothing to do before the request leaves.
    public func send(_ request: APIRequest) async throws -> APIResponse {
        try await send(request, willSend: {})
    }
}
