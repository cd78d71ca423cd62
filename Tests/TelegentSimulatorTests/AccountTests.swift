import Foundation
import Testing
import TelegentSimulator

@Suite("Accounts in both dialects")
struct AccountTests {
    @Test func referenceCreateAnswersTheAccountObject() async throws {
        try await withSimulator { _, client in
            let reply = try await client.post(
                "/v1.0/account/create",
                [
                    "AccountName": "Acme", "AccountAdmin": "admin@acme.example",
                    "BillingAddress": ["Street1": "1 Main", "Street2": "", "City": "Lehi", "State": "UT", "Zip": "84043", "Country": "USA"],
                ]
            )
            #expect(reply.status == 200)
            #expect(isID(reply["AccountId"], "AID-"))
            #expect(reply.string("AccountName") == "Acme")
            #expect(reply.string("AccountAdmin") == "admin@acme.example")
            #expect(reply["TotalSubscribers"] as? Int == 0)
            let billing = try #require(reply["BillingAddress"] as? [String: Any])
            #expect(billing["City"] as? String == "Lehi")
            #expect(Set(billing.keys) == ["Street1", "Street2", "City", "State", "Zip", "Country"])
            let mailing = try #require(reply["MailingAddress"] as? [String: Any])
            #expect(mailing["Street1"] is NSNull)
            #expect(reply["AccountType"] == nil)
        }
    }

    @Test func namesAreNotUniqueSoASecondCreateIsADuplicate() async throws {
        try await withSimulator { simulator, client in
            let first = try await Fixture.account(client, name: "Acme")
            let second = try await Fixture.account(client, name: "Acme")
            #expect(first != second)
            let ledger = simulator.world.ledger()
            #expect(ledger.accounts == 2)
            #expect(ledger.accountNames == ["Acme": 2])
            let list = try await client.get("/v1.0/distributor/accounts")
            #expect(list["TotalAccounts"] as? Int == 2)
            let ids = (list["Accounts"] as? [[String: Any]] ?? []).compactMap { $0["AccountId"] as? String }
            #expect(ids == [first, second])  // oldest first
        }
    }

    @Test(arguments: ["/accounts/create", "/v1.0/accounts/create", "/v1.0/account/create"])
    func guideDialectIsAcceptedAndEchoed(path: String) async throws {
        try await withSimulator { _, client in
            let token = try await client.guideToken()
            let reply = try await client.send(
                .POST, path,
                body: ["AccountName": "My MVNO Business", "AccountType": "MVNO", "BillingEmail": "billing@x.example", "AdminEmail": "admin@x.example"],
                token: token
            )
            #expect(reply.status == 200)
            #expect(isID(reply["AccountId"], "AID-"))
            #expect(reply.string("AccountType") == "MVNO")
            #expect(reply.string("BillingEmail") == "billing@x.example")
            #expect(reply.string("AdminEmail") == "admin@x.example")
            #expect(reply.string("AccountAdmin") == "admin@x.example")
            #expect(reply["TotalSubscribers"] as? Int == 0)
        }
    }

    @Test func getByIdAndUnknownOrForeignIdsAre404() async throws {
        try await withSimulator(
            SimulatorConfiguration(rateLimitPerMinute: nil, credentials: [.demo, SimulatorCredential(accountKey: "DID-other", accountSecret: "x")])
        ) { simulator, client in
            let id = try await Fixture.account(client)
            let reply = try await client.get("/v1.0/account?AccountId=\(id)")
            #expect(reply.status == 200)
            #expect(reply.string("AccountId") == id)
            let unknown = try await client.get("/v1.0/account?AccountId=AID-00000000-0000-4000-8000-000000000000")
            #expect(unknown.status == 404)
            #expect(unknown.message.hasPrefix("Invalid AccountId: AID-00000000-0000-4000-8000-000000000000"))
            let other = SimClient(simulator, credential: SimulatorCredential(accountKey: "DID-other", accountSecret: "x"))
            #expect(try await other.get("/v1.0/account?AccountId=\(id)").status == 404)
            #expect(try await other.get("/v1.0/distributor/accounts")["TotalAccounts"] as? Int == 0)
            #expect(try await client.get("/v1.0/account").status == 400)
        }
    }

    @Test func validationNamesTheField() async throws {
        try await withSimulator { _, client in
            let missing = try await client.post("/v1.0/account/create", ["AccountAdmin": "a@b.example"])
            #expect(missing.status == 400)
            #expect(missing.message == "\(badRequestSentence) AccountName is required.")
            let badEmail = try await client.post("/v1.0/account/create", ["AccountName": "X", "AccountAdmin": "not-an-email"])
            #expect(badEmail.status == 400)
            #expect(badEmail.message.hasPrefix(badRequestSentence))
            #expect(badEmail.message.contains("AccountAdmin"))
            let wrongType = try await client.post("/v1.0/account/create", ["AccountName": 12, "AccountAdmin": "a@b.example"])
            #expect(wrongType.message == "\(badRequestSentence) AccountName must be a string, not a number.")
        }
    }
}
