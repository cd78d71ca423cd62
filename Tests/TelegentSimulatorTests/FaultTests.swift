import Foundation
import Testing
@testable import TelegentSimulator

@Suite("Fault injection")
struct FaultTests {
    @Test func statusFaultAnswersWithoutTheEffectForItsCount() async throws {
        try await withSimulator { simulator, client in
            let routeId = try await Fixture.messageRoute(client, accountId: nil)
            simulator.world.addFaults([FaultRule(method: "POST", path: "/v1.0/numbers/provision", action: .status, status: 503, retryAfter: 7, count: 2)])
            let body = Fixture.provisionBody(messageRouteId: routeId)
            for remaining in [1, 0] {
                let reply = try await client.post("/v1.0/numbers/provision", body)
                #expect(reply.status == 503)
                #expect(
                    reply.json as NSDictionary
                        == ["StatusCode": 503, "Message": "Service unavailable: the API is temporarily unavailable. Retry after a short delay."] as NSDictionary
                )
                #expect(reply.header("Retry-After") == "7")
                #expect(simulator.world.faults().first?.count == (remaining > 0 ? remaining : nil))
            }
            #expect(simulator.world.faults().isEmpty)
            #expect(simulator.world.ledger().purchases == 0)
            #expect(try await client.post("/v1.0/numbers/provision", body).status == 200)
            #expect(simulator.world.ledger().purchases == 1)
            #expect(simulator.world.ledger().responsesByStatus["503"] == 2)
        }
    }

    @Test func probabilityDrawsFromTheSeed() async throws {
        func pattern(seed: UInt64) async throws -> [Int] {
            let rule = FaultRule(method: "GET", path: "/v1.0/distributor/accounts", action: .status, status: 500, probability: 0.5)
            let configuration = SimulatorConfiguration(rateLimitPerMinute: nil, seed: seed, faults: [rule])
            return try await withSimulator(configuration) { _, client in
                let token = try await client.guideToken()
                var statuses: [Int] = []
                for _ in 0..<24 { statuses.append(try await client.send(.GET, "/v1.0/distributor/accounts", token: token).status) }
                return statuses
            }
        }
        let first = try await pattern(seed: 99)
        #expect(Set(first) == [200, 500])
        #expect(try await pattern(seed: 99) == first)
    }

    @Test func latencyFaultDelaysThenAnswersNormally() async throws {
        try await withSimulator { simulator, client in
            let token = try await client.guideToken()
            simulator.world.addFaults([FaultRule(path: "/v1.0/distributor/*", action: .latency, latencyMs: 250, count: 1)])
            let clock = ContinuousClock()
            var reply: Reply?
            let elapsed = try await clock.measure { reply = try await client.send(.GET, "/v1.0/distributor/accounts", token: token) }
            #expect(reply?.status == 200)
            #expect(elapsed >= .milliseconds(250))
            #expect(simulator.world.faults().isEmpty)
        }
    }

    @Test func dropAppliesTheEffectThenClosesTheConnectionUnanswered() async throws {
        try await withSimulator { simulator, client in
            let routeId = try await Fixture.messageRoute(client, accountId: nil)
            let token = try await client.token(for: "/v1.0/numbers/provision")
            simulator.world.addFaults([FaultRule(method: "POST", path: "/v1.0/numbers/provision", action: .drop, count: 1)])
            await #expect(throws: (any Error).self) {
                _ = try await client.send(.POST, "/v1.0/numbers/provision", body: Fixture.provisionBody(messageRouteId: routeId), token: token)
            }
            var ledger = simulator.world.ledger()
            #expect(ledger.purchases == 1)
            #expect(ledger.droppedResponses == 1)
            #expect(ledger.responsesByStatus.values.reduce(0, +) == ledger.requests - 1)
            // The number was bought: the inventory shows it, and the next request is answered normally.
            let inventory = try await client.get("/v1.0/numbers/inventory")
            #expect(inventory["TotalResults"] as? Int == 1)
            #expect((inventory["PhoneNumbers"] as? [[String: Any]])?.first?["MessageRouteId"] as? String == routeId)
            #expect(try await client.send(.POST, "/v1.0/numbers/provision", body: Fixture.provisionBody(messageRouteId: routeId), token: token).status == 200)
            ledger = simulator.world.ledger()
            #expect(ledger.purchases == 2)
        }
    }

    @Test func rulesMatchMethodAndPathInOrder() {
        let rule = FaultRule(method: "post", path: "/v1.0/numbers/*", action: .drop)
        #expect(rule.matches(method: "POST", path: "/v1.0/numbers/provision"))
        #expect(!rule.matches(method: "GET", path: "/v1.0/numbers/provision"))
        #expect(!rule.matches(method: "POST", path: "/v1.0/message/outbound"))
        #expect(FaultRule(action: .drop).matches(method: "GET", path: "/anything"))
        #expect(FaultRule(path: "/v1.0/account", action: .drop).matches(method: "GET", path: "/v1.0/account"))
        #expect(!FaultRule(path: "/v1.0/account", action: .drop).matches(method: "GET", path: "/v1.0/account/create"))
    }

    @Test func adminEndpointsManageRules() async throws {
        try await withSimulator { simulator, client in
            let added = try await client.send(
                .POST, "/_sim/faults",
                rawBody: #"{"rules": [{"method": "GET", "path": "/v1.0/account", "action": "status", "status": 504, "count": 3}, {"action": "latency", "latency_ms": 5, "probability": 0.1}]}"#
            )
            #expect(added.status == 200)
            let listed = try await client.send(.GET, "/_sim/faults")
            let rules = try #require(listed["rules"] as? [[String: Any]])
            #expect(rules.count == 2)
            #expect(rules.first?["status"] as? Int == 504)
            #expect(rules.first?["count"] as? Int == 3)
            #expect(rules.last?["latency_ms"] as? Int == 5)
            #expect(simulator.world.faults().map(\.action) == [.status, .latency])
            let invalid = try await client.send(.POST, "/_sim/faults", rawBody: #"{"rules": [{"action": "status"}]}"#)
            #expect(invalid.status == 400)
            #expect(invalid.message.contains("needs a status"))
            #expect(try await client.send(.DELETE, "/_sim/faults").status == 200)
            #expect(simulator.world.faults().isEmpty)
            #expect(simulator.world.ledger().requests == 0)  // admin calls are not API requests
        }
    }

    @Test func faultFilesLoadAsYAMLOrJSONAndBadOnesNameTheFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sim-faults-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let yaml = directory.appendingPathComponent("faults.yaml")
        try """
            rules:
              - {method: POST, path: /v1.0/numbers/provision, action: drop, count: 1}
              - path: "*"
                action: status
                status: 503
                retry_after: 2
                probability: 0.25
            """.write(to: yaml, atomically: true, encoding: .utf8)
        let rules = try FaultRuleSet.load(fromFile: yaml.path)
        #expect(rules == [
            FaultRule(method: "POST", path: "/v1.0/numbers/provision", action: .drop, count: 1),
            FaultRule(path: "*", action: .status, status: 503, retryAfter: 2, probability: 0.25),
        ])
        let json = directory.appendingPathComponent("faults.json")
        try #"{"rules": [{"path": "/v1.0/account", "action": "latency", "latency_ms": 20}]}"#.write(to: json, atomically: true, encoding: .utf8)
        #expect(try FaultRuleSet.load(fromFile: json.path) == [FaultRule(path: "/v1.0/account", action: .latency, latencyMs: 20)])

        let bad = directory.appendingPathComponent("bad.yaml")
        try "rules:\n  - {action: explode}\n".write(to: bad, atomically: true, encoding: .utf8)
        #expect {
            try FaultRuleSet.load(fromFile: bad.path)
        } throws: { error in
            "\(error)".contains(bad.path) && "\(error)".contains("rules[0]")
        }
        let negative = directory.appendingPathComponent("negative.json")
        try #"{"rules": [{"action": "latency", "latency_ms": -1}]}"#.write(to: negative, atomically: true, encoding: .utf8)
        #expect { try FaultRuleSet.load(fromFile: negative.path) } throws: { "\($0)".contains("latency_ms must be from 0 to 3600000 (got -1)") }
        #expect { try FaultRuleSet.load(fromFile: directory.appendingPathComponent("missing.yaml").path) } throws: { "\($0)".contains("missing.yaml") }
        #expect { try FaultRuleSet.load(fromFile: yaml.path.replacingOccurrences(of: "faults.yaml", with: "")) } throws: { _ in true }
    }
}
