import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TelegentSimulator

/// A simulator answer: status, headers, and the body as JSON.
struct Reply: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var data: Data

    /// The body as a JSON object (empty when it is not one).
    var json: [String: Any] { (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:] }

    var message: String { json["Message"] as? String ?? "" }
    var text: String { String(decoding: data, as: UTF8.self) }

    subscript(key: String) -> Any? { json[key] }

    func header(_ name: String) -> String? { headers.first(name: name) }

    func string(_ key: String) -> String? { json[key] as? String }
}

/// The methods the tests send (kept apart from NIO's `HTTPMethod` so test files need no NIO import).
enum Verb: String, Sendable {
    case GET, POST, DELETE

    var method: HTTPMethod {
        switch self {
        case .GET: .GET
        case .POST: .POST
        case .DELETE: .DELETE
        }
    }
}

/// A small independent client for the simulator: builds JSON with `JSONSerialization`, fetches a token scoped
/// to each path the way the reference asks, and sends with AsyncHTTPClient.
struct SimClient: Sendable {
    let baseURL: String
    var credential: SimulatorCredential = .demo

    init(_ simulator: RunningSimulator, credential: SimulatorCredential = .demo) {
        self.init(baseURL: simulator.baseURL, credential: credential)
    }

    init(baseURL: String, credential: SimulatorCredential = .demo) {
        self.baseURL = baseURL
        self.credential = credential
    }

    /// Sends `body` (a JSON-serializable value, or raw text) with an optional bearer token.
    func send(_ method: Verb, _ pathAndQuery: String, body: Any? = nil, rawBody: String? = nil, token: String? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + pathAndQuery)
        request.method = method.method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            let data = try JSONSerialization.data(withJSONObject: body)
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: data))
        } else if let rawBody {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: rawBody))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let buffer = try await response.body.collect(upTo: 16 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, data: Data(buffer.readableBytesView))
    }

    /// `POST /v1.0/oauth2/tokens` with `apiEndpoint` sent as given.
    func tokenReply(for apiEndpoint: String?) async throws -> Reply {
        var body: [String: Any] = ["AccountKey": credential.accountKey, "AccountSecret": credential.accountSecret]
        body["ApiEndpoint"] = apiEndpoint
        return try await send(.POST, "/v1.0/oauth2/tokens", body: body)
    }

    /// A token for `path`, asked for with the full URL as the reference's examples do.
    func token(for path: String) async throws -> String {
        let reply = try await tokenReply(for: "https://api.telegent.com" + path)
        guard reply.status == 200, let token = reply.string("token") else { throw TestFailure("token for \(path): \(reply.text)") }
        return token
    }

    /// The guide's unscoped token, `POST /v1.1/oauth/token`.
    func guideToken() async throws -> String {
        let reply = try await send(.POST, "/v1.1/oauth/token", body: ["AccountKey": credential.accountKey, "AccountSecret": credential.accountSecret])
        guard let token = reply.string("token") else { throw TestFailure("guide token: \(reply.text)") }
        return token
    }

    /// Fetches a token scoped to the path (query left out), then sends.
    func call(_ method: Verb, _ pathAndQuery: String, _ body: Any? = nil) async throws -> Reply {
        let path = String(pathAndQuery.prefix { $0 != "?" })
        return try await send(method, pathAndQuery, body: body, token: try await token(for: path))
    }

    func post(_ path: String, _ body: Any) async throws -> Reply { try await call(.POST, path, body) }
    func get(_ pathAndQuery: String) async throws -> Reply { try await call(.GET, pathAndQuery) }

    /// Like `post`, but fails the test unless the answer is 200.
    func created(_ path: String, _ body: Any) async throws -> Reply {
        let reply = try await post(path, body)
        guard reply.status == 200 else { throw TestFailure("POST \(path) answered \(reply.status): \(reply.text)") }
        return reply
    }
}

extension SimClient {
    /// A health check against a port that fails at once when nothing listens (the shared client would keep
    /// retrying the connection until its 10-second connect timeout).
    static func probe(port: Int) async throws {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            _ = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/_sim/health"), timeout: .seconds(2))
            try await client.shutdown()
        } catch {
            try await client.shutdown()
            throw error
        }
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
