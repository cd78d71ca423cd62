import Foundation
import Testing
import TelegentSimulator

@Suite("Error bodies and the rate limit")
struct ErrorAndLimitTests {
    @Test func unknownPathWrongMethodAndBadJSON() async throws {
        try await withSimulator { _, client in
            let token = try await client.guideToken()
            let unknown = try await client.send(.GET, "/v1.0/nothing/here", token: token)
            #expect(unknown.status == 404)
            #expect(unknown["StatusCode"] as? Int == 404)
            #expect(unknown.message.hasPrefix(notFoundSentence))
            let wrongMethod = try await client.send(.GET, "/v1.0/numbers/provision", token: token)
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.message.hasPrefix("Method not allowed: verify the HTTP method required for this endpoint."))
            let badJSON = try await client.send(.POST, "/v1.0/account/create", rawBody: "{\"AccountName\": ", token: token)
            #expect(badJSON.status == 400)
            #expect(badJSON.message.hasPrefix(badRequestSentence) && badJSON.message.contains("not valid JSON"))
            let array = try await client.send(.POST, "/v1.0/account/create", rawBody: "[1, 2]", token: token)
            #expect(array.message == "\(badRequestSentence) The request body must be a JSON object, not an array.")
            let empty = try await client.send(.POST, "/v1.0/account/create", token: token)
            #expect(empty.status == 400)
            #expect(empty.header("Content-Type")?.hasPrefix("application/json") == true)
        }
    }

    @Test func excessRequestsAre429WithRetryAfterAndAreNotCounted() async throws {
        let other = SimulatorCredential(accountKey: "DID-other", accountSecret: "o")
        try await withSimulator(SimulatorConfiguration(rateLimitPerMinute: 3, credentials: [.demo, other])) { simulator, client in
            let token = try await client.token(for: "/v1.0/distributor/accounts")  // 1: token calls count
            #expect(try await client.send(.GET, "/v1.0/distributor/accounts", token: token).status == 200)  // 2
            #expect(try await client.send(.GET, "/v1.0/distributor/accounts", token: token).status == 200)  // 3
            for _ in 0..<2 {
                let limited = try await client.send(.GET, "/v1.0/distributor/accounts", token: token)
                #expect(limited.status == 429)
                #expect(
                    limited.json as NSDictionary
                        == ["StatusCode": 429, "Message": "Too many requests: rate limit exceeded. Slow your request cadence and retry after a short delay."]
                        as NSDictionary
                )
                let retryAfter = try #require(Int(limited.header("Retry-After") ?? ""))
                #expect((1...60).contains(retryAfter))
            }
            // Token calls are charged to the AccountKey in their body.
            #expect(try await client.tokenReply(for: "/v1.0/account").status == 429)
            // Another credential has its own window; unauthenticated requests are not limited.
            let otherClient = SimClient(simulator, credential: other)
            #expect(try await otherClient.tokenReply(for: "/v1.0/account").status == 200)
            #expect(try await client.send(.GET, "/v1.0/distributor/accounts").status == 401)
            let ledger = simulator.world.ledger()
            #expect(ledger.rateLimited == 3)
            #expect(ledger.responsesByStatus["429"] == 3)
            #expect(ledger.requests == 8)
        }
    }

    @Test func configuredLatencyDelaysApiRequestsOnly() async throws {
        // 4 s: a machine loaded well past its cores (the stress run) once took a second for a health check.
        try await withSimulator(SimulatorConfiguration(rateLimitPerMinute: nil, latency: .seconds(4))) { simulator, client in
            let clock = ContinuousClock()
            let api = try await clock.measure { _ = try await client.guideToken() }
            #expect(api >= .seconds(4), "the API call waited the configured latency")
            // Admin calls are not delayed. The fastest of three (on a warm connection) is taken, so a loaded
            // machine cannot make this fail: the latency alone would keep every one at 4 s or more.
            var admin: [Duration] = []
            for _ in 0..<3 { admin.append(try await clock.measure { _ = try await client.send(.GET, "/_sim/health") }) }
            #expect(admin.min()! < .seconds(4))
        }
    }
}
