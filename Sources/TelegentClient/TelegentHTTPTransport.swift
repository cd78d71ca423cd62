import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import OnboardCore
import Synchronization

/// The Telegent API over HTTP (AsyncHTTPClient): the `APITransport` the runner uses.
///
/// It fetches a token per endpoint path as the workflow's `auth` section says (the API binds a token to the URL
/// named in `ApiEndpoint`), keeps it in memory until shortly before `tokenExpiry`, and fetches a new one once when
/// a request gets 401 or a 403 naming the token scope. Every request, token calls included, first waits for the
/// shared `RateLimiter`; a 429 pauses that limiter for the server's `Retry-After`.
///
/// ```swift
/// let transport = try TelegentHTTPTransport(
///     baseURL: "https://api.telegent.com", auth: workflow.auth, credentials: credentials,
///     limiter: RateLimiter(limit: 50))
/// ```
public final class TelegentHTTPTransport: APITransport, Sendable {
    public struct Credentials: Sendable {
        public var accountKey: String
        public var accountSecret: String
        public init(accountKey: String, accountSecret: String) {
            self.accountKey = accountKey
            self.accountSecret = accountSecret
        }
    }

    /// Counters for progress lines and benchmarks.
    public struct Statistics: Sendable, Hashable {
        public var requests = 0
        public var tokenRequests = 0
        public var rateLimited = 0
    }

    public let baseURL: String
    let auth: AuthSpec
    let credentials: Credentials
    public let limiter: RateLimiter
    /// A budget shared with other processes (workers on one database), waited for after `limiter`.
    let sharedBudget: (any RequestBudget)?
    let client: HTTPClient
    let ownsClient: Bool
    let tokens = TokenCache()
    let timeout: TimeAmount
    let logger: Logger
    /// What AsyncHTTPClient logs through: `logger` when it shows debug messages (AsyncHTTPClient's are debug and
    /// trace), a no-op otherwise. AsyncHTTPClient sets a request id in its logger's metadata for every request,
    /// which `StreamLogHandler` renders again each time: 3 % of a run's CPU for messages nobody sees.
    let clientLogger: Logger
    private let stats = Mutex(Statistics())

    /// - Parameters:
    ///   - baseURL: `scheme://host[:port]`; `http://` only to a loopback address.
    ///   - client: an `HTTPClient` to use; by default one is made (and shut down by `shutdown()`).
    ///   - timeout: per request, connecting included; past it the request counts as unanswered.
    public init(
        baseURL: String, auth: AuthSpec, credentials: Credentials, limiter: RateLimiter,
        sharedBudget: (any RequestBudget)? = nil, client: HTTPClient? = nil, maximumConnections: Int = 64,
        timeout: Duration = .seconds(30), logger: Logger = Logger(label: "onboard.client")
    ) throws(BaseURLError) {
        self.baseURL = try Self.validate(baseURL: baseURL)
        self.auth = auth
        self.credentials = credentials
        self.limiter = limiter
        self.sharedBudget = sharedBudget
        let timeout = TimeAmount.nanoseconds(Int64(min(max(timeout.seconds, 0.001), 86_400) * 1e9))
        if let client {
            self.client = client
            self.ownsClient = false
        } else {
            var configuration = HTTPClient.Configuration()
            configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = maximumConnections
            // A connection that cannot be made fails the request at once (and visibly, through the step's own
            // retries) instead of being retried silently until the request's deadline.
            configuration.connectionPool.retryConnectionEstablishment = false
            configuration.timeout = .init(connect: min(.seconds(10), timeout), read: timeout)
            self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            self.ownsClient = true
        }
        self.timeout = timeout
        self.logger = logger
        self.clientLogger = logger.logLevel <= .debug ? logger : Logger(label: logger.label) { _ in SwiftLogNoOpLogHandler() }
    }

    /// Shuts down the HTTP client this transport made.
    public func shutdown() async throws {
        if ownsClient { try await client.shutdown() }
    }

    public var statistics: Statistics { stats.withLock { $0 } }

    public func send(_ request: APIRequest, willSend: @Sendable () async throws -> Void) async throws -> APIResponse {
        let scope = auth.scope == .path ? request.path : "*"
        let token = try await tokens.token(for: scope) { try await self.fetchToken(for: request.path) }
        var response = try await execute(request, token: token, willSend: willSend)
        if response.status == 401 || (response.status == 403 && Self.namesTokenScope(response)) {
            await tokens.invalidate(scope: scope, token: token)
            response.tokenRejected = true
        }
        return response
    }

    /// A 403 about the token's scope (as opposed to the resource) mentions the scope or `ApiEndpoint`.
    static func namesTokenScope(_ response: APIResponse) -> Bool {
        let message = (response.apiMessage ?? "").lowercased()
        return message.contains("scope") || message.contains("apiendpoint") || message.contains("token")
    }

    // MARK: HTTP

    private func execute(
        _ request: APIRequest, token: String?, willSend: @Sendable () async throws -> Void
    ) async throws -> APIResponse {
        try await limiter.acquire()
        try await sharedBudget?.acquire()
        var http = HTTPClientRequest(url: url(for: request))
        http.method = HTTPMethod(rawValue: request.method)
        http.headers.add(name: "Accept", value: "application/json")
        if let token { http.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body = request.body {
            http.headers.add(name: "Content-Type", value: "application/json")
            http.body = .bytes(ByteBuffer(bytes: body.canonicalData()))
        }
        try await willSend()
        stats.withLock { $0.requests += 1 }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        let started = ContinuousClock.now
        do {
            response = try await client.execute(http, timeout: timeout, logger: clientLogger)
            bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
        } catch let error as CancellationError {
            throw error
        } catch {
            let failure = TransportFailure.classify(error, host: baseURL)
            OnboardMetrics.requestFinished(
                path: request.path, status: failure.mayHaveArrived ? "no_answer" : "not_sent",
                seconds: (ContinuousClock.now - started).seconds)
            logger.debug("no answer", metadata: ["path": "\(request.path)", "error": "\(failure.message)"])
            throw failure
        }
        OnboardMetrics.requestFinished(
            path: request.path, status: String(response.status.code), seconds: (ContinuousClock.now - started).seconds)
        let retryAfter = RetryAfter.seconds(from: response.headers.first(name: "Retry-After"))
        if response.status.code == 429 {
            stats.withLock { $0.rateLimited += 1 }
            await limiter.pause(for: retryAfter ?? 1)
            await sharedBudget?.pause(for: retryAfter ?? 1)
        }
        let body = bytes.readableBytes == 0 ? nil : try? bytes.withUnsafeReadableBytes { try JSONValue(jsonBytes: $0) }
        logger.debug(
            "api call",
            metadata: ["method": "\(request.method)", "path": "\(request.path)", "status": "\(response.status.code)"])
        return APIResponse(status: Int(response.status.code), body: body, retryAfter: retryAfter)
    }

    private func url(for request: APIRequest) -> String {
        var components = URLComponents()
        components.queryItems = request.query.map { URLQueryItem(name: $0.name, value: $0.value) }
        // `+` is legal in a query but servers read it as a space: encode it (E.164 numbers start with one).
        let query = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        return baseURL + request.path + (query.map { $0.isEmpty ? "" : "?" + $0 } ?? "")
    }

    // MARK: Tokens

    /// One token call. Its failure is the step's to retry (with the step's budget and backoff), never retried
    /// here too: retries do not nest.
    private func fetchToken(for path: String) async throws -> TokenCache.Entry {
        let scope = JSONScope([
            "secrets": ["account_key": .string(credentials.accountKey), "account_secret": .string(credentials.accountSecret)],
            "auth": ["endpoint": .string(baseURL + path), "path": .string(path)],
        ])
        let request = try auth.request.renderForAuth(in: scope)
        stats.withLock { $0.tokenRequests += 1 }
        let response: APIResponse
        do {
            response = try await execute(request, token: nil, willSend: {})
        } catch let error as TransportError {
            throw AuthenticationError(status: nil, message: "no answer from the token endpoint: \(error)", transport: error)
        }
        if response.isSuccess, let token = response.body?.value(atPath: auth.tokenField)?.stringValue, !token.isEmpty {
            return TokenCache.Entry(token: token, expiresAt: expiry(from: response.body))
        }
        let message = response.isSuccess ? "no token in the answer" : (response.apiMessage ?? "no message")
        throw AuthenticationError(
            status: response.status,
            message: response.status == 401
                ? "the API refused the credentials (\(message)); check TELEGENT_ACCOUNT_KEY and TELEGENT_ACCOUNT_SECRET"
                : message,
            retryAfter: response.retryAfter)
    }

    /// The token's expiry, read in UTC with the workflow's format; 5 minutes when absent or unreadable.
    private func expiry(from body: JSONValue?) -> Date {
        guard let field = auth.expiryField, let text = body?.value(atPath: field)?.stringValue else {
            return Date().addingTimeInterval(300)
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = auth.expiryFormat
        return formatter.date(from: text) ?? Date().addingTimeInterval(300)
    }

    // MARK: Base URL

    /// Checks `scheme://host[:port]`: https anywhere, http only to a loopback host (`localhost`, `127.0.0.0/8`,
    /// `[::1]`), since tokens and secrets travel in it. The host is compared after parsing, never as a string prefix,
    /// and user info, a path, a query or a fragment are refused.
    public static func validate(baseURL: String) throws(BaseURLError) -> String {
        var text = baseURL.trimmingCharacters(in: .whitespaces)
        while text.hasSuffix("/") { text.removeLast() }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else { throw BaseURLError(baseURL: baseURL, reason: "not a URL of the form scheme://host[:port]") }
        guard components.user == nil, components.password == nil else {
            throw BaseURLError(baseURL: baseURL, reason: "no user name or password in the URL (credentials come from the environment)")
        }
        guard components.query == nil, components.fragment == nil else {
            throw BaseURLError(baseURL: baseURL, reason: "give only scheme://host[:port], without ?query or #fragment")
        }
        guard components.path.isEmpty else {
            throw BaseURLError(
                baseURL: baseURL, reason: "give only scheme://host[:port]; the workflow's paths carry /v1.0")
        }
        switch scheme {
        case "https":
            return text
        case "http":
            guard isLoopback(host: host) else {
                throw BaseURLError(
                    baseURL: baseURL,
                    reason: "http:// would send credentials and tokens in clear text; use https:// (http is allowed "
                        + "only to a loopback address: localhost, 127.0.0.0/8 or [::1], such as the simulator)")
            }
            return text
        default:
            throw BaseURLError(baseURL: baseURL, reason: "the scheme must be https (or http to loopback)")
        }
    }

    /// `localhost`, an IPv4 address in 127.0.0.0/8 written as four decimal octets, or `::1`.
    static func isLoopback(host: String) -> Bool {
        let name = host.lowercased()
        if name == "localhost" || name == "::1" || name == "[::1]" { return true }
        let octets = name.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return false }
        let values = octets.map { octet -> Int? in
            guard !octet.isEmpty, octet.count <= 3, octet.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return Int(octet).flatMap { $0 <= 255 ? $0 : nil }
        }
        return values.allSatisfy { $0 != nil } && values[0] == 127
    }
}

/// A base URL onboard will not use.
public struct BaseURLError: Error, Sendable, CustomStringConvertible {
    public var baseURL: String
    public var reason: String
    public var description: String { "--base-url \(baseURL): \(reason)" }
}

extension RequestTemplate {
    /// Renders the token request (its templates see `secrets` and `auth`).
    func renderForAuth(in scope: JSONScope) throws -> APIRequest {
        var items: [APIRequest.QueryItem] = []
        for (name, value) in query {
            if let rendered = try value.render(in: scope) {
                items.append(.init(name: name, value: rendered.stringValue ?? rendered.canonicalString()))
            }
        }
        return APIRequest(method: method, path: path, query: items, body: try body?.render(in: scope) ?? nil)
    }
}
