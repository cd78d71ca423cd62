import Foundation
import Hummingbird
import NIOCore

/// The request context: Hummingbird's core storage plus the connection, which a `drop` fault closes.
struct SimulatorRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Thrown after a `drop` fault has closed the connection, so Hummingbird writes nothing more.
struct DroppedConnection: Error {}

/// The simulator's front door: every request passes here, in this order:
///
/// 1. `/_sim/...` goes to the admin endpoints (no auth, no limit, not counted).
/// 2. The configured latency.
/// 3. Admission under the world lock: count the request, charge it to its credential's rate limit (429 with
///    `Retry-After` when full, not counted against the window), pick the fault rule that acts on it.
/// 4. A `status` fault answers now; a `latency` fault waits; a `drop` or `stall` fault is remembered.
/// 5. Unknown path 404, wrong method 405, unreadable body 400, then the bearer token: 401 when missing, unknown
///    or expired, 403 when scoped to another path.
/// 6. The endpoint's handler. After a `drop` fault its effect stays but the connection is closed unanswered;
///    after a `stall` fault the answer waits `latency_ms`.
///
/// Routing is a dictionary of exact paths rather than Hummingbird's `Router`: every path here is static, and one
/// table gives the 404/405 split and the per-endpoint counts the ledger needs.
struct SimulatorResponder: HTTPResponder {
    typealias Context = SimulatorRequestContext

    let world: SimulatorWorld
    /// Path, then method, to endpoint.
    let routes: [String: [String: Endpoint]]
    static let maximumBodySize = 1 << 20

    init(world: SimulatorWorld) {
        self.world = world
        routes = APIRoutes.table()
    }

    func respond(to request: Request, context: Context) async throws -> Response {
        let path = request.uri.path
        if path == "/_sim" || path.hasPrefix("/_sim/") {
            return await AdminRoutes.respond(to: request, world: world)
        }
        let latency = world.configuration.latency
        if latency > .zero { try await Task.sleep(for: latency) }

        let method = request.method.rawValue
        let endpoint = routes[path]?[method]
        var request = request
        let body = endpoint == nil || request.method == .get ? .success(JSONObject()) : await Self.readBody(&request)
        let accountKey: String? =
            if endpoint?.access == .credentials, case .success(let object) = body,
                let key = object["AccountKey"]?.stringValue, world.secrets[key] != nil
            { key } else { nil }
        let bearer = Self.bearerToken(request.headers[.authorization])
        let now = world.clock.now
        let admission = world.withState { state in
            state.admit(endpoint: "\(method) \(path)", method: method, path: path, bearer: bearer, accountKey: accountKey, now: now)
        }

        let grant: TokenGrant?
        var drop = false
        var stall: Duration?
        switch admission {
        case .rateLimited(let retryAfter):
            return answer(.failure(.documented(429, retryAfter: retryAfter)))
        case .proceed(let tokenGrant, let fault):
            grant = tokenGrant
            switch fault?.action {
            case .status?:
                return answer(.failure(.documented(fault?.status ?? 500, retryAfter: fault?.retryAfter)))
            case .latency?:
                try await Task.sleep(for: .milliseconds(fault?.latencyMs ?? 0))
            case .drop?:
                drop = true
            case .stall?:
                stall = .milliseconds(fault?.latencyMs ?? 0)
            case nil:
                break
            }
        }

        let result = Result { () throws(APIError) -> JSON in
            guard let byMethod = routes[path] else { throw .notFound("There is no endpoint \(method) \(path).") }
            guard let endpoint = byMethod[method] else {
                throw .documented(405, "\(path) accepts \(byMethod.keys.sorted().joined(separator: ", ")).")
            }
            let fields = Fields(try body.get())
            if endpoint.access == .bearer {
                try Self.authorize(grant, path: path, now: now)
            }
            let call = Call(
                method: method,
                path: path,
                query: Query(request.uri.queryParameters.map { (String($0.key), String($0.value)) }),
                fields: fields,
                owner: grant?.owner ?? "",
                date: Date(),
                now: now
            )
            return try endpoint.handle(world, call)
        }
        if let stall { try await Task.sleep(for: stall) }
        if drop {
            // Counted before the close: a client that sees the connection end may read the ledger at once.
            world.withState { $0.recordDrop() }
            try? await context.channel.close()
            throw DroppedConnection()
        }
        return answer(result)
    }

    /// The request body as a JSON object, or the 400 to answer.
    private static func readBody(_ request: inout Request) async -> Result<JSONObject, APIError> {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maximumBodySize)
        } catch {
            return .failure(.badRequest("The request body could not be read or is larger than \(maximumBodySize) bytes."))
        }
        guard buffer.readableBytes > 0 else { return .failure(.badRequest("A JSON request body is required.")) }
        let parsed = buffer.withUnsafeReadableBytes { bytes in Result { () throws(JSONParseError) in try JSONParser.parse(bytes) } }
        switch parsed {
        case .success(.object(let object)):
            return .success(object)
        case .success(let other):
            return .failure(.badRequest("The request body must be a JSON object, not \(other.typeName)."))
        case .failure(let error):
            return .failure(.badRequest("The request body is not valid JSON: \(error)."))
        }
    }

    private static func bearerToken(_ header: String?) -> String? {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        let token = String(header.dropFirst(7)).trimmed
        return token.isEmpty ? nil : token
    }

    private static func authorize(_ grant: TokenGrant?, path: String, now: ContinuousClock.Instant) throws(APIError) {
        guard let grant, now < grant.expiresAt else { throw .unauthorized }
        if let scope = grant.scope, scope != path { throw .forbidden }
    }

    private func answer(_ result: Result<JSON, APIError>) -> Response {
        let status: Int
        let json: JSON
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        switch result {
        case .success(let value):
            status = 200
            json = value
        case .failure(let error):
            status = error.status
            json = error.body
            if let retryAfter = error.retryAfter { headers[.retryAfter] = String(retryAfter) }
        }
        world.withState { $0.recordResponse(status: status) }
        return Self.response(status: status, json: json, headers: headers)
    }

    static func response(status: Int, json: JSON, headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]) -> Response {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(512)
        json.write(to: &buffer)
        return Response(status: HTTPResponse.Status(code: status), headers: headers, body: ResponseBody(byteBuffer: buffer))
    }
}
