import Foundation
import Testing
import TelegentSimulator

@Suite("Tokens: scope, expiry, credentials")
struct TokenTests {
    @Test func scopedTokenHasDocumentedShapeAndWorksOnItsPath() async throws {
        try await withSimulator { _, client in
            let reply = try await client.tokenReply(for: "/v1.0/distributor/accounts")
            #expect(reply.status == 200)
            #expect(reply["successful"] as? Bool == true)
            #expect((reply.string("token") ?? "").count >= 32)
            #expect(matches(reply["tokenExpiry"], #"\d{2}/\d{2}/\d{4} (0[1-9]|1[0-2]):\d{2}:\d{2} (AM|PM)"#))
            let accounts = try await client.send(.GET, "/v1.0/distributor/accounts", token: reply.string("token"))
            #expect(accounts.status == 200)
            #expect(accounts["TotalAccounts"] as? Int == 0)
        }
    }

    @Test func expiryIsTheTTLAheadInUTC() async throws {
        try await withSimulator(SimulatorConfiguration(rateLimitPerMinute: nil, tokenTTL: .seconds(7200))) { _, client in
            let before = Date()
            let reply = try await client.tokenReply(for: "/v1.0/account")
            let after = Date()
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "MM/dd/yyyy hh:mm:ss a"
            let expiry = try #require(formatter.date(from: reply.string("tokenExpiry") ?? ""))
            // Issued between the two readings, to the second (the format has no fractions).
            #expect(expiry >= before.addingTimeInterval(7200 - 1) && expiry <= after.addingTimeInterval(7200 + 1))
        }
    }

    @Test func tokenIsRefusedOnAnotherPathWith403() async throws {
        try await withSimulator { _, client in
            let token = try await client.token(for: "/v1.0/numbers/provision")
            let reply = try await client.send(.GET, "/v1.0/distributor/accounts", token: token)
            #expect(reply.status == 403)
            #expect(reply["StatusCode"] as? Int == 403)
            #expect(reply.message == forbiddenMessage)
        }
    }

    @Test(arguments: [
        "https://api.telegent.com/v1.0/distributor/accounts",
        "https://api.telegent.com/v1.0/distributor/accounts?PageNumber=3",
        "/v1.0/distributor/accounts",
    ])
    func scopeComparesThePathOnly(apiEndpoint: String) async throws {
        try await withSimulator { simulator, client in
            for endpoint in [apiEndpoint, "\(simulator.baseURL)/v1.0/distributor/accounts"] {
                let token = try #require(try await client.tokenReply(for: endpoint).string("token"))
                #expect(try await client.send(.GET, "/v1.0/distributor/accounts", token: token).status == 200)
                #expect(try await client.send(.GET, "/v1.0/distributor/subscribers", token: token).status == 403)
            }
        }
    }

    @Test func missingOrBlankApiEndpointIs400WithTheDocumentedMessage() async throws {
        try await withSimulator { _, client in
            for endpoint in [nil, "", "   "] as [String?] {
                var body: [String: Any] = ["AccountKey": "DID-onboard-demo", "AccountSecret": "demo-secret-not-for-production"]
                body["ApiEndpoint"] = endpoint
                let reply = try await client.send(.POST, "/v1.0/oauth2/tokens", body: body)
                #expect(reply.status == 400)
                #expect(reply.json as NSDictionary == ["StatusCode": 400, "Message": "The ApiEndpoint field is required."] as NSDictionary)
            }
        }
    }

    @Test func wrongSecretOrUnknownKeyIs401() async throws {
        try await withSimulator { simulator, _ in
            for credential in [
                SimulatorCredential(accountKey: "DID-onboard-demo", accountSecret: "wrong"),
                SimulatorCredential(accountKey: "DID-nobody", accountSecret: "demo-secret-not-for-production"),
            ] {
                let reply = try await SimClient(simulator, credential: credential).tokenReply(for: "/v1.0/account")
                #expect(reply.status == 401)
                #expect(reply["StatusCode"] as? Int == 401)
                #expect(reply.message.hasPrefix("Unauthorized"))
            }
            #expect(simulator.world.ledger().tokensIssued == 0)
        }
    }

    @Test func missingGarbageOrExpiredTokenIs401() async throws {
        try await withSimulator(SimulatorConfiguration(rateLimitPerMinute: nil, tokenTTL: .seconds(4))) { _, client in
            let token = try await client.token(for: "/v1.0/distributor/accounts")
            #expect(try await client.send(.GET, "/v1.0/distributor/accounts", token: token).status == 200)
            let missing = try await client.send(.GET, "/v1.0/distributor/accounts")
            #expect(missing.status == 401)
            #expect(missing.message == unauthorizedMessage)
            #expect(try await client.send(.GET, "/v1.0/distributor/accounts", token: "not-a-token").status == 401)
            try await Task.sleep(for: .milliseconds(4_100))
            let expired = try await client.send(.GET, "/v1.0/distributor/accounts", token: token)
            #expect(expired.status == 401)
            #expect(expired.json as NSDictionary == ["StatusCode": 401, "Message": unauthorizedMessage] as NSDictionary)
        }
    }

    @Test func guideTokenIsUnscoped() async throws {
        try await withSimulator { _, client in
            let token = try await client.guideToken()
            #expect(try await client.send(.GET, "/v1.0/distributor/accounts", token: token).status == 200)
            #expect(try await client.send(.GET, "/v1.0/distributor/subscribers", token: token).status == 200)
            let account = try await client.send(
                .POST, "/accounts/create", body: ["AccountName": "Guide", "AccountType": "MVNO", "AdminEmail": "a@guide.example"], token: token
            )
            #expect(account.status == 200)
        }
    }

    @Test func tokenCallNeedsKeyAndSecret() async throws {
        try await withSimulator { _, client in
            let reply = try await client.send(.POST, "/v1.0/oauth2/tokens", body: ["AccountKey": "DID-onboard-demo", "ApiEndpoint": "/v1.0/account"])
            #expect(reply.status == 400)
            #expect(reply.message == "\(badRequestSentence) AccountSecret is required.")
        }
    }
}
