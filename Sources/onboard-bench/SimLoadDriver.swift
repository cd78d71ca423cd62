import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import TelegentSimulator

/// Sends the simload call mix: prepared requests (tokens fetched and IDs created once), replayed by
/// `concurrency` workers until the deadline.
struct LoadDriver: Sendable {
    enum Call: String, CaseIterable, Sendable {
        case token, availability, provision, inventory, order, messageRoute
    }

    /// 20 calls: 2 token, 6 availability, 3 provision, 3 inventory, 3 order, 3 message-route lookups.
    static let schedule: [Call] = [
        .token, .availability, .provision, .inventory, .order, .messageRoute, .availability,
        .availability, .provision, .inventory, .order, .messageRoute, .availability,
        .token, .availability, .provision, .inventory, .order, .messageRoute, .availability,
    ]

    let client: HTTPClient
    let requests: [Call: HTTPClientRequest]

    /// Fetches a token per path, creates the account, message route and one order the lookups read, and builds
    /// the request of each call.
    static func prepare(client: HTTPClient, baseURL: String) async throws -> LoadDriver {
        let credential = SimulatorCredential.demo
        func request(_ method: HTTPMethod, _ path: String, body: [String: Any]? = nil, token: String? = nil) throws -> HTTPClientRequest {
            var request = HTTPClientRequest(url: baseURL + path)
            request.method = method
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
            }
            return request
        }
        func send(_ request: HTTPClientRequest) async throws -> [String: Any] {
            let response = try await client.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 1 << 20)
            guard response.status == .ok, let json = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
                throw LoadError("\(request.method) \(request.url) answered \(response.status): \(String(buffer: body))")
            }
            return json
        }
        func tokenRequest(_ path: String) throws -> HTTPClientRequest {
            try request(
                .POST, "/v1.0/oauth2/tokens",
                body: ["AccountKey": credential.accountKey, "AccountSecret": credential.accountSecret, "ApiEndpoint": "https://api.telegent.com" + path]
            )
        }
        var tokens: [String: String] = [:]
        for path in ["/v1.0/account/create", "/v1.0/message/routes", "/v1.0/numbers/availability", "/v1.0/numbers/provision", "/v1.0/numbers/inventory", "/v1.0/numbers/order"] {
            tokens[path] = try await send(try tokenRequest(path))["token"] as? String
        }
        let account = try await send(
            try request(.POST, "/v1.0/account/create", body: ["AccountName": "Load", "AccountAdmin": "load@bench.example"], token: tokens["/v1.0/account/create"])
        )
        let route = try await send(
            try request(
                .POST, "/v1.0/message/routes",
                body: ["RouteName": "load", "MessageUrl": "https://bench.example/sms", "MessageUrlMethod": "POST", "AccountId": account["AccountId"] ?? ""],
                token: tokens["/v1.0/message/routes"]
            )
        )
        let routeId = route["MessageRouteId"] as? String ?? ""
        let provisionBody: [String: Any] = [
            "NumberType": "mvno", "MessageType": "p2p", "MessageEnabled": true, "VoiceEnabled": false, "ProductType": "Sms+Data",
            "MessageRouteId": routeId, "AreaCode": "", "ZipCode": "",
        ]
        let provision = try request(.POST, "/v1.0/numbers/provision", body: provisionBody, token: tokens["/v1.0/numbers/provision"])
        let orderId = try await send(provision)["OrderId"] as? String ?? ""
        let requests: [Call: HTTPClientRequest] = [
            .token: try tokenRequest("/v1.0/numbers/availability"),
            .availability: try request(
                .POST, "/v1.0/numbers/availability",
                body: ["NumberType": "mobile", "MessageType": "p2p", "MessageEnabled": true, "VoiceEnabled": false, "PageNumber": 1, "AreaCode": "801", "ZipCode": ""],
                token: tokens["/v1.0/numbers/availability"]
            ),
            .provision: provision,
            .inventory: try request(.GET, "/v1.0/numbers/inventory?PageNumber=1&Filter=All&TotalNumbersRequested=10", token: tokens["/v1.0/numbers/inventory"]),
            .order: try request(.GET, "/v1.0/numbers/order?OrderId=\(orderId)", token: tokens["/v1.0/numbers/order"]),
            .messageRoute: try request(.GET, "/v1.0/message/routes?MessageRouteId=\(routeId)", token: tokens["/v1.0/message/routes"]),
        ]
        return LoadDriver(client: client, requests: requests)
    }

    /// What one worker saw.
    private struct WorkerResult: Sendable {
        var latencies: [Int64] = []
        var errors: [String: Int] = [:]
        var calls: [String: Int] = [:]
    }

    func run(concurrency: Int, duration: Duration) async throws -> LoadReport {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + duration
        let results = try await withThrowingTaskGroup(of: WorkerResult.self) { group in
            for worker in 0..<concurrency {
                group.addTask { try await self.work(offset: worker, until: deadline, clock: clock) }
            }
            return try await group.reduce(into: [WorkerResult]()) { $0.append($1) }
        }
        let seconds = Self.seconds(start.duration(to: clock.now))
        var latencies = results.flatMap(\.latencies)
        latencies.sort()
        func percentile(_ fraction: Double) -> Double {
            guard !latencies.isEmpty else { return 0 }
            return Double(latencies[min(latencies.count - 1, Int(Double(latencies.count) * fraction))]) / 1e6
        }
        let errors = results.reduce(into: [String: Int]()) { total, result in total.merge(result.errors, uniquingKeysWith: +) }
        return LoadReport(
            requests: latencies.count,
            seconds: seconds,
            requestsPerSecond: Double(latencies.count) / seconds,
            p50Milliseconds: percentile(0.50),
            p99Milliseconds: percentile(0.99),
            maxMilliseconds: Double(latencies.last ?? 0) / 1e6,
            errors: errors.values.reduce(0, +),
            errorsByKind: errors,
            requestsByCall: results.reduce(into: [String: Int]()) { total, result in total.merge(result.calls, uniquingKeysWith: +) }
        )
    }

    private func work(offset: Int, until deadline: ContinuousClock.Instant, clock: ContinuousClock) async throws -> WorkerResult {
        var result = WorkerResult()
        result.latencies.reserveCapacity(4096)
        var index = offset
        while clock.now < deadline {
            let call = Self.schedule[index % Self.schedule.count]
            index += 1
            let started = clock.now
            do {
                let response = try await client.execute(requests[call]!, timeout: .seconds(30))
                _ = try await response.body.collect(upTo: 1 << 20)
                if response.status != .ok { result.errors["\(call.rawValue) \(response.status.code)", default: 0] += 1 }
            } catch {
                result.errors["\(call.rawValue) transport", default: 0] += 1
            }
            let elapsed = started.duration(to: clock.now)
            result.latencies.append(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
            result.calls[call.rawValue, default: 0] += 1
        }
        return result
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}

struct LoadError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
