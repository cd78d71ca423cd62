import Foundation
import Testing
import TelegentSimulator

@Suite("Message and voice routes")
struct RouteTests {
    @Test func referenceMessageRouteEchoesAndMasksPasswords() async throws {
        try await withSimulator { simulator, client in
            let accountId = try await Fixture.account(client)
            let reply = try await client.post(
                "/v1.0/message/routes",
                [
                    "RouteName": "Primary", "MessageUrl": "https://hooks.example/sms", "MessageUrlMethod": "POST",
                    "MessageAuthenticationType": "Basic", "MessageUsername": "u", "MessagePasswordToken": "secret-pw",
                    "CallbackMessageUrl": "https://hooks.example/dlr", "CallbackMessagePasswordToken": "cb-secret",
                    "InboundBypass": true, "AccountId": accountId,
                ]
            )
            #expect(reply.status == 200)
            #expect(isID(reply["MessageRouteId"], "MRID-"))
            #expect(reply.string("AccountId") == accountId)
            #expect(reply.string("RouteName") == "Primary")
            #expect(reply.string("MessageUrl") == "https://hooks.example/sms")
            #expect(reply.string("MessageUrlMethod") == "POST")
            #expect(reply["MessageRouteEnabled"] as? Bool == true)
            #expect(reply.string("MessageAuthenticationType") == "Basic")
            #expect(reply.string("MessagePasswordToken") == "****")
            #expect(reply.string("CallbackMessagePasswordToken") == "****")
            #expect(reply["InboundBypass"] as? Bool == true)
            #expect(reply["OutboundBypass"] as? Bool == false)
            #expect(!reply.text.contains("secret"))
            #expect(simulator.world.ledger().messageRouteNames == ["\(accountId)/Primary": 1])
        }
    }

    @Test func routeWithoutAccountIsAtDistributorLevel() async throws {
        try await withSimulator { simulator, client in
            let id = try await Fixture.messageRoute(client, accountId: nil)
            let reply = try await client.get("/v1.0/message/routes?MessageRouteId=\(id)")
            #expect(reply.status == 200)
            #expect(reply["AccountId"] is NSNull)
            #expect(simulator.world.ledger().messageRouteNames == ["-/Primary": 1])
        }
    }

    @Test(arguments: ["/message/routes", "/v1.0/message/routes"])
    func guideMessageRouteMapsOntoTheSameRoute(path: String) async throws {
        try await withSimulator { _, client in
            let token = try await client.guideToken()
            let reply = try await client.send(
                .POST, path,
                body: ["RouteName": "Primary Message Route", "RouteUrl": "https://your-webhook-url.com/messages", "RouteType": "POST", "RouteEnabled": true, "DeliveryReports": true],
                token: token
            )
            #expect(reply.status == 200)
            #expect(isID(reply["MessageRouteId"], "MRID-"))
            #expect(reply.string("MessageUrl") == "https://your-webhook-url.com/messages")
            #expect(reply.string("MessageUrlMethod") == "POST")
            #expect(reply.string("RouteUrl") == "https://your-webhook-url.com/messages")
            #expect(reply.string("RouteType") == "POST")
            #expect(reply["RouteEnabled"] as? Bool == true)
            #expect(reply["DeliveryReports"] as? Bool == true)
            let fetched = try await client.get("/v1.0/message/routes?MessageRouteId=\(reply.string("MessageRouteId")!)")
            #expect(fetched.string("RouteName") == "Primary Message Route")
        }
    }

    @Test func messageRouteRules() async throws {
        try await withSimulator { _, client in
            let base: [String: Any] = ["RouteName": "R", "MessageUrl": "https://h.example", "MessageUrlMethod": "POST"]
            let unknownAccount = try await client.post("/v1.0/message/routes", base.merging(["AccountId": "AID-nope"]) { $1 })
            #expect(unknownAccount.status == 404)
            #expect(unknownAccount.message.hasPrefix("Invalid AccountId: AID-nope"))
            let badURL = try await client.post("/v1.0/message/routes", base.merging(["MessageUrl": "ftp://h.example"]) { $1 })
            #expect(badURL.status == 400)
            #expect(badURL.message.hasPrefix(badRequestSentence) && badURL.message.contains("MessageUrl"))
            let badMethod = try await client.post("/v1.0/message/routes", base.merging(["MessageUrlMethod": "PUT"]) { $1 })
            #expect(badMethod.message == "\(badRequestSentence) MessageUrlMethod must be one of: GET, POST.")
            let noName = try await client.post("/v1.0/message/routes", ["MessageUrl": "https://h.example", "MessageUrlMethod": "GET"])
            #expect(noName.message == "\(badRequestSentence) RouteName is required.")
            #expect(try await client.get("/v1.0/message/routes?MessageRouteId=MRID-nope").status == 404)
        }
    }

    @Test func messageRouteListsFilterByAccount() async throws {
        try await withSimulator { _, client in
            let first = try await Fixture.account(client, name: "A")
            let second = try await Fixture.account(client, name: "B")
            let routeA = try await Fixture.messageRoute(client, accountId: first, name: "ra")
            let routeB = try await Fixture.messageRoute(client, accountId: second, name: "rb")
            let byAccount = try await client.get("/v1.0/account/message/routes?AccountId=\(first)")
            #expect(byAccount.string("AccountID") == first)
            #expect(byAccount["TotalRoutes"] as? Int == 1)
            #expect((byAccount["Results"] as? [[String: Any]])?.first?["MessageRouteId"] as? String == routeA)
            let all = try await client.get("/v1.0/account/message/routes")
            #expect(all["TotalRoutes"] as? Int == 2)
            #expect((all["Results"] as? [[String: Any]])?.compactMap { $0["MessageRouteId"] as? String } == [routeA, routeB])
            #expect(try await client.get("/v1.0/account/message/routes?AccountId=AID-nope").status == 404)
        }
    }

    @Test func voiceRouteTypesAndTheirRequirements() async throws {
        try await withSimulator { _, client in
            let accountId = try await Fixture.account(client)
            let url = try await client.post(
                "/v1.0/voice/routes",
                ["RouteName": "Web", "RouteType": "URL", "VoiceUrl": "https://h.example/voice", "VoiceUrlMethod": "POST", "VoicePasswordToken": "pw", "AccountId": accountId]
            )
            #expect(url.status == 200)
            #expect(isID(url["CallRouteId"], "CRID-"))
            #expect(url.string("AccountId") == accountId)
            #expect(url.string("RouteType") == "URL")
            #expect(url.string("VoiceUrl") == "https://h.example/voice")
            #expect(url.string("VoicePasswordToken") == "****")
            #expect(url["RouteEnabled"] as? Bool == true)
            #expect(url.string("CallRouteStatus") == "Active")

            let urlWithoutURL = try await client.post("/v1.0/voice/routes", ["RouteName": "W", "RouteType": "URL"])
            #expect(urlWithoutURL.message == "\(badRequestSentence) VoiceUrl is required.")
            let sipAsURL = try await client.post("/v1.0/voice/routes", ["RouteName": "W", "RouteType": "URL", "VoiceUrl": "sip:pbx.example"])
            #expect(sipAsURL.status == 400)

            let trunk = try await client.post(
                "/v1.0/voice/routes", ["RouteName": "T", "RouteType": "Trunk", "TrunkIp1": "203.0.113.5", "TrunkPort1": "5060", "TrunkTransport1": "UDP"]
            )
            #expect(trunk.status == 200)
            #expect(trunk.string("TrunkIp1") == "203.0.113.5")
            let bareTrunk = try await client.post("/v1.0/voice/routes", ["RouteName": "T", "RouteType": "Trunk"])
            #expect(bareTrunk.status == 400)
            #expect(bareTrunk.message.contains("TrunkIp1"))
            let badTransport = try await client.post("/v1.0/voice/routes", ["RouteName": "T", "RouteType": "Trunk", "TrunkUri1": "sip:a", "TrunkTransport1": "SCTP"])
            #expect(badTransport.message == "\(badRequestSentence) TrunkTransport1 must be one of: UDP, TCP, TLS.")
            #expect(try await client.post("/v1.0/voice/routes", ["RouteName": "F", "RouteType": "Forward"]).status == 200)
            let badType = try await client.post("/v1.0/voice/routes", ["RouteName": "X", "RouteType": "Webhook"])
            #expect(badType.message == "\(badRequestSentence) RouteType must be one of: Trunk, URL, Forward.")
            #expect(try await client.post("/v1.0/voice/routes", ["RouteName": "X", "RouteType": "Forward", "AccountId": "AID-x"]).status == 404)
        }
    }

    @Test func guideVoiceRouteWithSipUrlAndLookups() async throws {
        try await withSimulator { _, client in
            let token = try await client.guideToken()
            let reply = try await client.send(
                .POST, "/voice/routes",
                body: ["RouteName": "Primary SIP Trunk", "RouteType": "Trunk", "VoiceUrl": "sip:your-sip-domain.com", "RouteEnabled": true],
                token: token
            )
            #expect(reply.status == 200)
            let id = try #require(reply.string("CallRouteId"))
            for parameter in ["CallRouteID", "CallRouteId"] {
                let fetched = try await client.get("/v1.0/voice/routes?\(parameter)=\(id)")
                #expect(fetched.status == 200)
                #expect(fetched.string("VoiceUrl") == "sip:your-sip-domain.com")
            }
            #expect(try await client.get("/v1.0/voice/routes?CallRouteID=CRID-nope").status == 404)
            let list = try await client.get("/v1.0/account/voice/routes")
            #expect(list["TotalRoutes"] as? Int == 1)
            #expect(list.json.keys.contains("AccountId"))
            #expect((list["Results"] as? [[String: Any]])?.first?["CallRouteId"] as? String == id)
        }
    }
}
