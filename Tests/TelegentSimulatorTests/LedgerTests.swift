import Foundation
import Testing
import TelegentSimulator

@Suite("Ledger, reset and health")
struct LedgerTests {
    @Test func ledgerCountsEffectsRequestsAndAnswers() async throws {
        try await withSimulator { simulator, client in
            let owner = try await Fixture.numberOwner(client)
            _ = try await client.created(
                "/v1.0/subscribers/create",
                ["Name": "N", "Email": "Mixed@Case.example", "Password": "p", "AccountId": owner.accountId, "PhoneNumbers": [owner.number], "Role": "Manager"]
            )
            _ = try await client.created("/v1.0/message/outbound", ["To": [["Number": "+12065550100"]], "From": owner.number, "Body": "hi"])
            _ = try await client.post("/v1.0/account/create", ["AccountName": ""])  // a 400

            let reply = try await client.send(.GET, "/_sim/ledger")
            #expect(reply.status == 200)
            let json = reply.json
            for key in [
                "accounts", "message_routes", "voice_routes", "purchases", "subscribers", "messages", "tokens_issued", "requests",
                "rate_limited", "requests_by_endpoint", "responses_by_status", "account_names", "message_route_names",
                "voice_route_names", "subscriber_emails", "purchases_by_account", "messages_by_route",
            ] {
                #expect(json[key] != nil, "\(key)")
            }
            #expect(json["accounts"] as? Int == 1)
            #expect(json["purchases"] as? Int == 1)
            #expect(json["subscribers"] as? Int == 1)
            #expect(json["messages"] as? Int == 1)
            #expect(json["tokens_issued"] as? Int == 6)
            #expect(json["requests"] as? Int == 12)
            #expect((json["requests_by_endpoint"] as? [String: Int])?["POST /v1.0/numbers/provision"] == 1)
            #expect((json["requests_by_endpoint"] as? [String: Int])?["POST /v1.0/oauth2/tokens"] == 6)
            #expect(json["responses_by_status"] as? [String: Int] == ["200": 11, "400": 1])
            #expect(json["subscriber_emails"] as? [String: Int] == ["mixed@case.example": 1])
            #expect(json["purchases_by_account"] as? [String: Int] == [owner.accountId: 1])
            #expect(json["messages_by_route"] as? [String: Int] == ["\(owner.number)->+12065550100": 1])
            #expect(try JSONDecoder().decode(Ledger.self, from: reply.data) == simulator.world.ledger())
        }
    }

    @Test func requestLogHasOneArrivalPerAPIRequestOldestFirst() async throws {
        try await withSimulator { simulator, client in
            _ = try await Fixture.numberOwner(client)
            _ = try await client.send(.GET, "/_sim/ledger")  // admin calls are not logged
            let reply = try await client.send(.GET, "/_sim/requests")
            #expect(reply.status == 200)
            let log = try JSONDecoder().decode(RequestLog.self, from: reply.data)
            #expect(log.arrivalsMs.count == simulator.world.ledger().requests)
            #expect(log.arrivalsMs == log.arrivalsMs.sorted())
            #expect(log.forgotten == 0)
            #expect(log.mostInAnyWindow(of: .seconds(3600)).count == log.arrivalsMs.count)

            #expect(try await client.send(.POST, "/_sim/reset").status == 200)
            #expect(simulator.world.requestLog() == RequestLog())
        }
    }

    @Test func requestLogCountsTheBusiestWindow() {
        let log = RequestLog(arrivalsMs: [0, 100, 900, 1_000, 1_001, 1_500, 2_600, 2_601])
        // [0, 1000] holds 4 arrivals (both ends count), [900, 1900] holds 4 too; the first such span starts at 0.
        #expect(log.mostInAnyWindow(of: .seconds(1)) == (4, 0))
        #expect(log.mostInAnyWindow(of: .milliseconds(1)).count == 2)
        #expect(log.countsPerWindow(of: .seconds(1)) == [3, 3, 2])
        #expect(RequestLog().mostInAnyWindow(of: .seconds(60)) == (0, 0))
        #expect(RequestLog().countsPerWindow(of: .seconds(60)) == [])
    }

    @Test func resetForgetsEverythingAndRebuildsTheInventory() async throws {
        try await withSimulator { simulator, client in
            let owner = try await Fixture.numberOwner(client)
            let token = try await client.token(for: "/v1.0/distributor/accounts")
            simulator.world.addFaults([FaultRule(path: "/v1.0/account", action: .status, status: 500)])
            let availability: [String: Any] = ["NumberType": "mobile", "MessageEnabled": true, "VoiceEnabled": false, "AreaCode": "801"]
            #expect(try await client.post("/v1.0/numbers/availability", availability)["ResultsTotal"] as? Int == 999)

            #expect(try await client.send(.POST, "/_sim/reset").status == 200)
            #expect(simulator.world.ledger() == Ledger())
            #expect(simulator.world.faults().isEmpty)
            #expect(try await client.send(.GET, "/v1.0/distributor/accounts", token: token).status == 401)
            #expect(try await client.get("/v1.0/distributor/accounts")["TotalAccounts"] as? Int == 0)
            #expect(try await client.get("/v1.0/account?AccountId=\(owner.accountId)").status == 404)
            #expect(try await client.post("/v1.0/numbers/availability", availability)["ResultsTotal"] as? Int == 1000)
        }
    }

    @Test func healthAndUnknownAdminPaths() async throws {
        try await withSimulator { simulator, client in
            let health = try await client.send(.GET, "/_sim/health")
            #expect(health.status == 200)
            #expect(health["ok"] as? Bool == true)
            #expect(try await client.send(.GET, "/_sim/nothing").status == 404)
            #expect(try await client.send(.POST, "/_sim/ledger").status == 405)
            #expect(simulator.world.ledger().requests == 0)
        }
    }

    @Test func runningSimulatorPublishesItsPortAndStopsOnThrow() async throws {
        struct Boom: Error {}
        let port = try await TelegentSimulator.withRunning(SimulatorConfiguration()) { simulator in
            #expect(simulator.port > 0)
            #expect(simulator.baseURL == "http://127.0.0.1:\(simulator.port)")
            return simulator.port
        }
        // Stopped: nothing listens there any more.
        await #expect(throws: (any Error).self) { _ = try await SimClient.probe(port: port) }
        await #expect(throws: Boom.self) {
            try await TelegentSimulator.withRunning(SimulatorConfiguration()) { _ in throw Boom() }
        }
    }
}
