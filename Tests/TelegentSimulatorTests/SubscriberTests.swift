import Foundation
import Testing
import TelegentSimulator

@Suite("Subscribers")
struct SubscriberTests {
    static func body(accountId: String, email: String = "john@acme.example", numbers: [String] = []) -> [String: Any] {
        ["Name": "John Smith", "Email": email, "Password": "SecurePass123!", "AccountId": accountId, "PhoneNumbers": numbers, "Role": "Subscriber"]
    }

    @Test func createAssignsTheNumbersAndNeverEchoesThePassword() async throws {
        try await withSimulator { simulator, client in
            let owner = try await Fixture.numberOwner(client)
            let reply = try await client.post("/v1.0/subscribers/create", Self.body(accountId: owner.accountId, numbers: [owner.number]))
            #expect(reply.status == 200)
            let id = try #require(reply.string("SubscriberId"))
            #expect(isID(id, "TSUID-"))
            #expect(reply.string("Name") == "John Smith")
            #expect(reply.string("Email") == "john@acme.example")
            #expect(reply["PhoneNumbers"] as? [String] == [owner.number])
            #expect(reply.string("Role") == "Subscriber")
            let account = try #require(reply["Account"] as? [String: Any])
            #expect(account["AccountId"] as? String == owner.accountId)
            #expect(account["CompanyName"] as? String == "Acme Wireless")
            #expect(!reply.text.contains("SecurePass123!") && reply["Password"] == nil)

            let inventory = try await client.get("/v1.0/numbers/inventory")
            #expect((inventory["PhoneNumbers"] as? [[String: Any]])?.first?["AssignedSubscriberId"] as? String == id)
            let fetched = try await client.get("/v1.0/subscribers/get?SubscriberId=\(id)")
            #expect(fetched.string("SubscriberId") == id)
            #expect(fetched["PhoneNumbers"] as? [String] == [owner.number])
            #expect(try await client.get("/v1.0/account?AccountId=\(owner.accountId)")["TotalSubscribers"] as? Int == 1)
            #expect(simulator.world.ledger().subscriberEmails == ["john@acme.example": 1])
            #expect(try await client.get("/v1.0/subscribers/get?SubscriberId=TSUID-nope").status == 404)
        }
    }

    @Test func emailIsUniqueAcrossThePlatformIgnoringCase() async throws {
        let other = SimulatorCredential(accountKey: "DID-other", accountSecret: "o")
        try await withSimulator(SimulatorConfiguration(rateLimitPerMinute: nil, credentials: [.demo, other])) { simulator, client in
            let accountId = try await Fixture.account(client)
            #expect(try await client.post("/v1.0/subscribers/create", Self.body(accountId: accountId)).status == 200)
            let otherClient = SimClient(simulator, credential: other)
            let otherAccount = try await Fixture.account(otherClient)
            let duplicate = try await otherClient.post("/v1.0/subscribers/create", Self.body(accountId: otherAccount, email: "John@ACME.example"))
            #expect(duplicate.status == 409)
            #expect(duplicate.json as NSDictionary == ["StatusCode": 409, "Message": "Email already exists"] as NSDictionary)
            #expect(simulator.world.ledger().subscribers == 1)
        }
    }

    @Test func documentedErrors() async throws {
        try await withSimulator { _, client in
            let owner = try await Fixture.numberOwner(client)
            let unknownAccount = try await client.post("/v1.0/subscribers/create", Self.body(accountId: "AID-nope"))
            #expect(unknownAccount.status == 404)
            #expect(unknownAccount.message.hasPrefix("Invalid AccountId: AID-nope"))
            let foreignNumber = try await client.post("/v1.0/subscribers/create", Self.body(accountId: owner.accountId, numbers: ["+19995550000"]))
            #expect(foreignNumber.status == 400)
            #expect(foreignNumber.message.hasPrefix("Phone number does not belong to account"))
            let notE164 = try await client.post("/v1.0/subscribers/create", Self.body(accountId: owner.accountId, numbers: ["8015551234"]))
            #expect(notE164.status == 400)
            var badRole = Self.body(accountId: owner.accountId)
            badRole["Role"] = "Admin"
            #expect(try await client.post("/v1.0/subscribers/create", badRole).message == "\(badRequestSentence) Role must be one of: Subscriber, Manager, Account Admin.")
            var noPassword = Self.body(accountId: owner.accountId)
            noPassword["Password"] = nil
            #expect(try await client.post("/v1.0/subscribers/create", noPassword).message == "\(badRequestSentence) Password is required.")
            var noNumbers = Self.body(accountId: owner.accountId)
            noNumbers["PhoneNumbers"] = nil
            #expect(try await client.post("/v1.0/subscribers/create", noNumbers).status == 400)
            #expect(try await client.post("/v1.0/subscribers/create", Self.body(accountId: owner.accountId, email: "nope")).status == 400)
        }
    }

    @Test func distributorListIsPagedOldestFirst() async throws {
        try await withSimulator { _, client in
            let accountId = try await Fixture.account(client)
            var ids: [String] = []
            for index in 0..<3 {
                ids.append(try await client.created("/v1.0/subscribers/create", Self.body(accountId: accountId, email: "s\(index)@acme.example")).string("SubscriberId")!)
            }
            let first = try await client.get("/v1.0/distributor/subscribers?PageNumber=1&TotalPerPage=2")
            #expect(first["PageNumber"] as? Int == 1)
            #expect(first["TotalPerPage"] as? Int == 2)
            #expect(first["TotalSubscribers"] as? Int == 3)
            let items = first["Subscribers"] as? [[String: Any]] ?? []
            #expect(items.compactMap { $0["SubscriberId"] as? String } == Array(ids.prefix(2)))
            #expect(items.first?["Subscriptions"] as? [Any] != nil)
            #expect((items.first?["Account"] as? [String: Any])?["AccountId"] as? String == accountId)
            let second = try await client.get("/v1.0/distributor/subscribers?PageNumber=2&TotalPerPage=2")
            #expect((second["Subscribers"] as? [[String: Any]])?.compactMap { $0["SubscriberId"] as? String } == [ids[2]])
            let defaults = try await client.get("/v1.0/distributor/subscribers")
            #expect(defaults["TotalPerPage"] as? Int == 10)
            #expect(try await client.get("/v1.0/distributor/subscribers?TotalPerPage=1001").status == 400)
        }
    }

    @Test func guidePathCreatesTheSameSubscriber() async throws {
        try await withSimulator { _, client in
            let owner = try await Fixture.numberOwner(client)
            let token = try await client.guideToken()
            let reply = try await client.send(.POST, "/subscribers/create", body: Self.body(accountId: owner.accountId, numbers: [owner.number]), token: token)
            #expect(reply.status == 200)
            #expect(isID(reply["SubscriberId"], "TSUID-"))
        }
    }
}
