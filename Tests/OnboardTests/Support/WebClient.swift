import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OnboardCore
import OnboardRuntime
import OnboardSQLite
import OnboardWeb
import Testing

/// A page server over a database, for tests: started on a free loopback port, stopped when the test's body ends.
enum WebFixture {
    static func withServer<T: Sendable>(
        dbPath: String, findWorkflow: @escaping @Sendable (String) -> String? = { _ in nil },
        _ body: (WebClient) async throws -> T
    ) async throws -> T {
        let store = try SQLiteCheckpointStore(path: dbPath)
        defer { try? store.close() }
        let configuration = WebConfiguration(
            listen: ListenAddress(host: "127.0.0.1", port: 0), database: .sqlite(path: dbPath), findWorkflow: findWorkflow)
        return try await WebServer.withRunning(store: store, configuration: configuration) { server in
            try await body(WebClient(base: server.url))
        }
    }
}

/// GETs against a running page server.
struct WebClient: Sendable {
    struct Answer: Sendable {
        var status: Int
        var contentType: String
        var headers: [String: String]
        var body: String

        var json: JSONValue? { try? JSONValue(jsonData: Data(body.utf8)) }
    }

    let base: String

    func get(_ path: String) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = .GET
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        var headers: [String: String] = [:]
        for header in response.headers { headers[header.name.lowercased()] = header.value }
        return Answer(
            status: Int(response.status.code), contentType: response.headers.first(name: "content-type") ?? "",
            headers: headers, body: String(buffer: body))
    }
}
