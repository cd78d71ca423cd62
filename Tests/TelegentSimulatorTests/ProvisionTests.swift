import Foundation
import Testing
import TelegentSimulator

@Suite("Provisioning, orders and inventory")
struct ProvisionTests {
    @Test func referenceProvisionAnswersTheDocumentedFields() async throws {
        try await withSimulator { simulator, client in
            let accountId = try await Fixture.account(client)
            let routeId = try await Fixture.messageRoute(client, accountId: accountId)
            let voiceId = try await Fixture.voiceRoute(client, accountId: accountId)
            var body = Fixture.provisionBody(messageRouteId: routeId, areaCode: "201", voiceRouteId: voiceId)
            body["ZipCode"] = "84043"
            body["ICCID"] = "8901240397190195850"
            body["DataEnabled"] = true
            let reply = try await client.post("/v1.0/numbers/provision", body)
            #expect(reply.status == 200)
            #expect(matches(reply["OrderDate"], #"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00"#))
            #expect(isID(reply["OrderId"], "JNUOID-"))
            #expect(reply.string("OrderStatus") == "Complete")
            #expect(matches(reply["PhoneNumberAssigned"], #"\+1201\d{7}"#))  // AreaCode wins over ZipCode
            #expect(isID(reply["PhoneNumberId"], "NID-"))
            #expect(reply.string("QRCode")?.hasPrefix("https://") == true)
            #expect(reply.string("ZipCode") == "07001")
            #expect(reply.string("ICCID") == "8901240397190195850")
            #expect(reply.json.keys.contains("ErrorMessage") && reply["ErrorMessage"] is NSNull)
            #expect(reply["SubscriberId"] is NSNull)
            #expect(reply["PhoneNumber"] == nil && reply["TNID"] == nil)
            let ledger = simulator.world.ledger()
            #expect(ledger.purchases == 1)
            #expect(ledger.purchasesByAccount == [accountId: 1])
        }
    }

    @Test func documentedRulesAnswerTheirMessages() async throws {
        try await withSimulator { simulator, client in
            let routeId = try await Fixture.messageRoute(client, accountId: nil)
            func provision(_ change: [String: Any?]) async throws -> Reply {
                var body = Fixture.provisionBody(messageRouteId: routeId)
                for (key, value) in change { body[key] = value }
                return try await client.post("/v1.0/numbers/provision", body)
            }
            let iot = try await provision(["NumberType": "iot", "MessageType": "a2p"])
            #expect(iot.status == 400)
            #expect(iot.message == "Invalid NumberType and MessageType combination. IOT numbers can only be provisioned with p2p MessageType.")
            for missing in [nil, ""] as [String?] {
                let noRoute = try await provision(["MessageRouteId": missing])
                #expect(noRoute.status == 400)
                #expect(noRoute.message == "MessageRouteId is required: create a message route before provisioning numbers.")
            }
            let unknownRoute = try await provision(["MessageRouteId": "MRID-00000000-0000-4000-8000-000000000000"])
            #expect(unknownRoute.status == 404)
            #expect(unknownRoute.message.hasPrefix(notFoundSentence))
            let voiceNoRoute = try await provision(["VoiceEnabled": true])
            #expect(voiceNoRoute.status == 400)
            #expect(voiceNoRoute.message == "VoiceRouteId is required when VoiceEnabled is true.")
            #expect(try await provision(["VoiceEnabled": true, "VoiceRouteId": "CRID-nope"]).status == 404)
            let badAccount = try await provision(["AccountId": "AID-nope"])
            #expect(badAccount.status == 404)
            #expect(badAccount.message.hasPrefix("Invalid AccountId: AID-nope"))
            #expect(try await provision(["AssignedSubscriberId": "TSUID-nope"]).status == 404)
            #expect(try await provision(["AreaCode": "8011"]).message == "\(badRequestSentence) AreaCode must be 3 digits or blank (got \"8011\").")
            #expect(try await provision(["ZipCode": "123"]).status == 400)
            #expect(try await provision(["NumberType": "voip"]).message == "\(badRequestSentence) NumberType must be one of: mvno, iot.")
            #expect(try await provision(["ProductType": nil]).message == "\(badRequestSentence) ProductType is required.")
            #expect(try await provision(["ProductType": "sms+data"]).status == 400)
            #expect(try await provision(["MessageEnabled": nil]).status == 400)
            #expect(simulator.world.ledger().purchases == 0)
            #expect(try await provision(["NumberType": "iot", "MessageType": "p2p"]).status == 200)
        }
    }

    @Test func exhaustedInventoryIs409() async throws {
        try await withSimulator(SimulatorConfiguration(rateLimitPerMinute: nil, numbersPerArea: 2)) { simulator, client in
            let routeId = try await Fixture.messageRoute(client, accountId: nil)
            let body = Fixture.provisionBody(messageRouteId: routeId, areaCode: "415")
            let first = try await client.created("/v1.0/numbers/provision", body).string("PhoneNumberAssigned")
            let second = try await client.created("/v1.0/numbers/provision", body).string("PhoneNumberAssigned")
            #expect(first != second)
            let third = try await client.post("/v1.0/numbers/provision", body)
            #expect(third.status == 409)
            #expect(
                third.json as NSDictionary
                    == [
                        "StatusCode": 409,
                        "Message": "Phone number already in use: no available number matches; check availability again and select a different number.",
                    ] as NSDictionary
            )
            #expect(simulator.world.ledger().purchases == 2)
        }
    }

    @Test func numberBelongsToTheRoutesAccountUnlessAccountIdIsGiven() async throws {
        try await withSimulator { simulator, client in
            let first = try await Fixture.account(client, name: "A")
            let second = try await Fixture.account(client, name: "B")
            let routeId = try await Fixture.messageRoute(client, accountId: first)
            _ = try await client.created("/v1.0/numbers/provision", Fixture.provisionBody(messageRouteId: routeId))
            var body = Fixture.provisionBody(messageRouteId: routeId)
            body["AccountId"] = second
            _ = try await client.created("/v1.0/numbers/provision", body)
            #expect(simulator.world.ledger().purchasesByAccount == [first: 1, second: 1])
            let inventory = try await client.get("/v1.0/numbers/inventory?AccountId=\(second)")
            #expect(inventory.string("AccountId") == second)
            #expect(inventory["TotalResults"] as? Int == 1)
        }
    }

    @Test func guideDialectTakesTheChosenNumberAndTheClientsOrderId() async throws {
        try await withSimulator(
            SimulatorConfiguration(rateLimitPerMinute: nil, credentials: [.demo, SimulatorCredential(accountKey: "DID-rival", accountSecret: "r")])
        ) { simulator, client in
            let token = try await client.guideToken()
            let routeId = try #require(
                try await client.send(.POST, "/message/routes", body: ["RouteName": "R", "RouteUrl": "https://h.example", "RouteType": "POST"], token: token)
                    .string("MessageRouteId")
            )
            let body: [String: Any] = [
                "OrderId": "TEST-ORDER-001", "PhoneNumber": "+13105551234", "NumberType": "mvno", "MessageType": "p2p",
                "MessageRouteId": routeId, "MessageEnabled": true, "VoiceEnabled": false,
            ]
            let reply = try await client.send(.POST, "/numbers/provision", body: body, token: token)
            #expect(reply.status == 200)
            #expect(reply.string("OrderId") == "TEST-ORDER-001")
            #expect(reply.string("PhoneNumber") == "+13105551234")
            #expect(reply.string("PhoneNumberAssigned") == "+13105551234")
            #expect(isID(reply["TNID"], "NID-"))
            #expect(reply.string("TNID") == reply.string("PhoneNumberId"))

            let again = try await client.send(.POST, "/numbers/provision", body: body, token: token)
            #expect(again.status == 409)
            #expect(again.message == "Order TEST-ORDER-001 already exists.")

            // Someone else claimed it: another credential asking for the same number.
            let rival = SimClient(simulator, credential: SimulatorCredential(accountKey: "DID-rival", accountSecret: "r"))
            let rivalToken = try await rival.guideToken()
            let rivalRoute = try #require(
                try await rival.send(.POST, "/message/routes", body: ["RouteName": "R", "RouteUrl": "https://h.example", "RouteType": "POST"], token: rivalToken)
                    .string("MessageRouteId")
            )
            var rivalBody = body
            rivalBody["MessageRouteId"] = rivalRoute
            let claimed = try await rival.send(.POST, "/v1.0/numbers/provision", body: rivalBody, token: rivalToken)
            #expect(claimed.status == 409)
            #expect(claimed.message.hasPrefix("Phone number already in use"))
            let order = try await client.get("/v1.0/numbers/order?OrderId=TEST-ORDER-001")
            #expect(order.string("OrderStatus") == "Complete")
            #expect(simulator.world.ledger().purchases == 1)
        }
    }

    @Test func ordersSettleAfterTheConfiguredDelay() async throws {
        // Long enough that a loaded machine still reads the order before it settles.
        try await withSimulator(SimulatorConfiguration(rateLimitPerMinute: nil, orderSettleDelay: .seconds(8))) { _, client in
            let routeId = try await Fixture.messageRoute(client, accountId: nil)
            let reply = try await client.created("/v1.0/numbers/provision", Fixture.provisionBody(messageRouteId: routeId))
            #expect(reply.string("OrderStatus") == "Pending")
            let orderId = try #require(reply.string("OrderId"))
            let pending = try await client.get("/v1.0/numbers/order?OrderId=\(orderId)")
            #expect(pending.string("OrderStatus") == "Pending")
            #expect(pending.string("OrderId") == orderId)
            #expect(pending["OrderStatusMessage"] is NSNull)
            #expect(pending.string("OrderType") == "Provision")
            #expect((pending["PhoneNumbersOrdered"] as? [[String: Any]])?.first?["Number"] as? String == reply.string("PhoneNumberAssigned"))
            #expect(pending.string("PhoneNumberId") == reply.string("PhoneNumberId"))
            #expect(pending.string("OrderDate") == reply.string("OrderDate"))
            try await Task.sleep(for: .milliseconds(8_100))
            #expect(try await client.get("/v1.0/numbers/order?OrderId=\(orderId)").string("OrderStatus") == "Complete")
            #expect(try await client.get("/v1.0/numbers/order?OrderId=JNUOID-nope").status == 404)
        }
    }

    @Test func inventoryListsPurchasesInOrderWithTheirRoutes() async throws {
        try await withSimulator { _, client in
            let accountId = try await Fixture.account(client)
            let routeId = try await Fixture.messageRoute(client, accountId: accountId)
            let voiceId = try await Fixture.voiceRoute(client, accountId: accountId)
            var numbers: [String] = []
            for areaCode in ["801", "305", "206"] {
                let body = Fixture.provisionBody(messageRouteId: routeId, areaCode: areaCode, voiceRouteId: areaCode == "305" ? voiceId : nil)
                numbers.append(try await client.created("/v1.0/numbers/provision", body).string("PhoneNumberAssigned")!)
            }
            let page = try await client.get("/v1.0/numbers/inventory?PageNumber=1&Filter=All&TotalNumbersRequested=100")
            #expect(page["TotalResults"] as? Int == 3)
            #expect(page["PageNumber"] as? Int == 1)
            #expect(page.string("Filter") == "All")
            let items = page["PhoneNumbers"] as? [[String: Any]] ?? []
            #expect(items.compactMap { $0["Number"] as? String } == numbers)
            let item = try #require(items.dropFirst().first)
            #expect(isID(item["Tnid"], "NID-") && item["Tnid"] as? String == item["PhoneNumberId"] as? String)
            #expect(isID(item["OrderId"], "JNUOID-"))
            #expect(item["MessageRouteId"] as? String == routeId)
            #expect(item["VoiceRouteId"] as? String == voiceId)
            #expect(item["Classification"] as? String == "MVNO")
            #expect(item["Status"] as? String == "Active")
            #expect(item["MessageType"] as? String == "p2p")
            #expect(item["ProductType"] as? String == "Sms+Data+Voice")
            #expect(item["AssignedSubscriberId"] is NSNull)
            #expect(matches(item["OriginalDatePurchased"], #"\d{2}/\d{2}/\d{4}"#))
            for key in ["NumberType", "MessageEnabled", "VoiceEnabled", "Iccid", "QrActivationLink"] { #expect(item[key] != nil, "\(key)") }

            let second = try await client.get("/v1.0/numbers/inventory?PageNumber=2&TotalNumbersRequested=2")
            #expect((second["PhoneNumbers"] as? [[String: Any]])?.compactMap { $0["Number"] as? String } == [numbers[2]])
            #expect(try await client.get("/v1.0/numbers/inventory?TotalNumbersRequested=1001").status == 400)
            #expect(try await client.get("/v1.0/numbers/inventory?PageNumber=0").status == 400)
        }
    }
}
