import Foundation
import Testing
import TelegentSimulator

@Suite("Messages")
struct MessageTests {
    @Test func outboundAnswersTheMessageObject() async throws {
        try await withSimulator { simulator, client in
            let owner = try await Fixture.numberOwner(client)
            let reply = try await client.post(
                "/v1.0/message/outbound", ["To": [["Number": "+13105559999"]], "From": owner.number, "Body": "Hello from the test"]
            )
            #expect(reply.status == 200)
            let id = try #require(reply.string("MessageId"))
            #expect(isID(id, "TMID-"))
            #expect(reply.string("Direction") == "Outbound")
            #expect(reply.string("Type") == "p2p")
            #expect(reply["Cost"] as? Double == 0.0045)
            #expect(reply.string("Status") == "Queued")
            #expect((reply["To"] as? [[String: Any]])?.first?["Number"] as? String == "+13105559999")
            #expect(reply.string("From") == owner.number)
            #expect(reply.string("Body") == "Hello from the test")
            #expect(matches(reply["CreatedOn"], #"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+Z"#))
            #expect(simulator.world.ledger().messagesByRoute == ["\(owner.number)->+13105559999": 1])

            let details = try await client.get("/v1.0/message/details?MessageId=\(id)")
            #expect(details.string("MessageId") == id)
            #expect(details.string("To") == "+13105559999")
            #expect(details["CampaignId"] is NSNull)
            #expect(details.string("Region") == "United States")
            #expect(details.string("MessageType") == "sms")
            #expect(details.string("Status") == "Queued")
            #expect(details.string("Body") == "Hello from the test")
            #expect(try await client.get("/v1.0/message/details?MessageId=TMID-nope").status == 404)
        }
    }

    @Test func outboundRules() async throws {
        try await withSimulator { _, client in
            let owner = try await Fixture.numberOwner(client)
            let notOurs = try await client.post("/v1.0/message/outbound", ["To": [["Number": "+13105559999"]], "From": "+12125550000", "Body": "x"])
            #expect(notOurs.status == 400)
            #expect(notOurs.message.hasPrefix(badRequestSentence) && notOurs.message.contains("+12125550000"))
            let noRecipients = try await client.post("/v1.0/message/outbound", ["To": [] as [Any], "From": owner.number, "Body": "x"])
            #expect(noRecipients.status == 400 && noRecipients.message.contains("To"))
            let badRecipient = try await client.post("/v1.0/message/outbound", ["To": [["Number": "555"]], "From": owner.number, "Body": "x"])
            #expect(badRecipient.status == 400)
            let noBody = try await client.post("/v1.0/message/outbound", ["To": [["Number": "+13105559999"]], "From": owner.number, "Body": ""])
            #expect(noBody.message == "\(badRequestSentence) Body is required.")
        }
    }

    @Test func messagingDisabledNumbersCannotSend() async throws {
        try await withSimulator { _, client in
            let routeId = try await Fixture.messageRoute(client, accountId: nil)
            var body = Fixture.provisionBody(messageRouteId: routeId)
            body["MessageEnabled"] = false
            body["ProductType"] = "Data-Only"
            let number = try await client.created("/v1.0/numbers/provision", body).string("PhoneNumberAssigned")!
            let reply = try await client.post("/v1.0/message/outbound", ["To": [["Number": "+13105559999"]], "From": number, "Body": "x"])
            #expect(reply.status == 400)
        }
    }

    @Test(arguments: ["/message/send", "/v1.0/message/send"])
    func guideSendMapsOntoTheSameMessage(path: String) async throws {
        try await withSimulator { _, client in
            let owner = try await Fixture.numberOwner(client)
            let token = try await client.guideToken()
            let reply = try await client.send(.POST, path, body: ["From": owner.number, "To": "+13105559999", "Message": "Hello!"], token: token)
            #expect(reply.status == 200)
            #expect(isID(reply["MessageId"], "TMID-"))
            #expect(reply.string("Body") == "Hello!")
            #expect(reply.string("Message") == "Hello!")
            #expect((reply["To"] as? [[String: Any]])?.first?["Number"] as? String == "+13105559999")
        }
    }

    @Test func searchFindsMessagesFromOrToANumberOldestFirst() async throws {
        try await withSimulator { _, client in
            let owner = try await Fixture.numberOwner(client)
            var ids: [String] = []
            for (index, recipient) in ["+13105559999", "+13105558888", "+13105559999"].enumerated() {
                let reply = try await client.created("/v1.0/message/outbound", ["To": [["Number": recipient]], "From": owner.number, "Body": "m\(index)"])
                ids.append(reply.string("MessageId")!)
            }
            let encodedFrom = owner.number.replacingOccurrences(of: "+", with: "%2B")
            for query in ["phoneNumber=\(owner.number)", "phoneNumber=\(encodedFrom)", "phoneNumber=%20\(owner.number.dropFirst())"] {
                let reply = try await client.get("/v1.0/message/search?\(query)&PageNumber=1&PageSize=50")
                #expect(reply.status == 200, "\(query)")
                #expect(reply["TotalResults"] as? Int == 3)
                #expect(reply["PageSize"] as? Int == 50)
                #expect((reply["Messages"] as? [[String: Any]])?.compactMap { $0["MessageId"] as? String } == ids)
            }
            let toRecipient = try await client.get("/v1.0/message/search?phoneNumber=%2B13105559999&PageSize=1&PageNumber=2")
            #expect(toRecipient["TotalResults"] as? Int == 2)
            let page = toRecipient["Messages"] as? [[String: Any]] ?? []
            #expect(page.compactMap { $0["MessageId"] as? String } == [ids[2]])
            #expect(page.first?["Body"] as? String == "m2")
            #expect(page.first?["To"] is [Any])
            #expect(try await client.get("/v1.0/message/search?phoneNumber=%2B19995550000")["TotalResults"] as? Int == 0)
            #expect(try await client.get("/v1.0/message/search?phoneNumber=%2B19995550000&PageSize=1001").status == 400)
            #expect(try await client.get("/v1.0/message/search").status == 400)
        }
    }
}
