import Foundation
import Testing
import TelegentSimulator

@Suite("Number availability")
struct AvailabilityTests {
    static func body(areaCode: String = "", zipCode: String = "", numberType: String = "mobile") -> [String: Any] {
        ["NumberType": numberType, "MessageType": "p2p", "MessageEnabled": true, "VoiceEnabled": true, "PageNumber": 1, "AreaCode": areaCode, "ZipCode": zipCode]
    }

    static func areas(_ reply: Reply) -> [[String: Any]] {
        reply["AvailableNumberAreas"] as? [[String: Any]] ?? []
    }

    @Test func areaCodeAnswerHasTheDocumentedShape() async throws {
        try await withSimulator { _, client in
            let reply = try await client.post("/v1.0/numbers/availability", Self.body(areaCode: "801"))
            #expect(reply.status == 200)
            #expect(matches(reply["RequestId"], #"T-\d{5}"#))
            #expect(matches(reply["RequestDate"], #"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z"#))
            #expect(reply.string("NumberType") == "mobile")
            #expect(reply["VoiceEnabled"] as? Bool == true)
            #expect(reply["MessageEnabled"] as? Bool == true)
            #expect(reply.string("AreaCode") == "801")
            #expect(reply.string("ZipCode") == "")
            #expect(reply["PageNumber"] as? Int == 1)
            #expect(reply["ResultsTotal"] as? Int == 1000)
            let areas = Self.areas(reply)
            #expect(areas.count == 3)
            #expect(areas.allSatisfy { $0["NGP"] as? String == "SAG" && $0["AreaCode"] as? Int == 801 })
            #expect(Set(areas.compactMap { $0["Zipcode"] as? String }) == ["84043", "84003", "84601"])
        }
    }

    @Test func zipCodeIsTheFallbackAndSoldOutAreasAnswerZero() async throws {
        try await withSimulator { _, client in
            var byZip = 0
            for zip in ["84043", "84003", "84601"] {
                let reply = try await client.post("/v1.0/numbers/availability", Self.body(zipCode: zip))
                let total = try #require(reply["ResultsTotal"] as? Int)
                #expect(total > 0)
                #expect(Self.areas(reply).map { $0["Zipcode"] as? String } == [zip])
                byZip += total
            }
            #expect(byZip == 1000)
            let soldOut = try await client.post("/v1.0/numbers/availability", Self.body(areaCode: "907"))
            #expect(soldOut["ResultsTotal"] as? Int == 0)
            #expect(Self.areas(soldOut).isEmpty)
            // An area code with nothing left falls back to the zip code.
            let fallback = try await client.post("/v1.0/numbers/availability", Self.body(areaCode: "907", zipCode: "07001"))
            #expect(fallback["ResultsTotal"] as? Int == 1000)
            #expect(Self.areas(fallback).first?["AreaCode"] as? Int == 201)
            let unknown = try await client.post("/v1.0/numbers/availability", Self.body(areaCode: "999"))
            #expect(unknown["ResultsTotal"] as? Int == 0)
        }
    }

    @Test func bothBlankListsEveryAreaInASeededRandomOrder() async throws {
        func order(seed: UInt64) async throws -> [String] {
            try await withSimulator(SimulatorConfiguration(rateLimitPerMinute: nil, seed: seed, numbersPerArea: 10)) { _, client in
                let reply = try await client.post("/numbers/availability", Self.body(numberType: "voip"))
                #expect(reply["ResultsTotal"] as? Int == 110)
                return Self.areas(reply).map { "\($0["AreaCode"] as? Int ?? 0)/\($0["Zipcode"] as? String ?? "")" }
            }
        }
        let first = try await order(seed: 7)
        #expect(first.count == 13)
        #expect(try await order(seed: 7) == first)
        #expect(Set(try await order(seed: 8)) == Set(first))
        #expect(!first.contains { $0.hasPrefix("907/") })
    }

    @Test func pagesHoldTenThousandAreas() async throws {
        try await withSimulator { _, client in
            var body = Self.body(areaCode: "801")
            body["PageNumber"] = 2
            let reply = try await client.post("/v1.0/numbers/availability", body)
            #expect(reply["ResultsTotal"] as? Int == 1000)
            #expect(Self.areas(reply).isEmpty)
            #expect(reply["PageNumber"] as? Int == 2)
        }
    }

    @Test func validation() async throws {
        try await withSimulator { _, client in
            let badType = try await client.post("/v1.0/numbers/availability", Self.body(numberType: "landline"))
            #expect(badType.status == 400)
            #expect(badType.message == "\(badRequestSentence) NumberType must be one of: mobile, voip.")
            let badArea = try await client.post("/v1.0/numbers/availability", Self.body(areaCode: "80"))
            #expect(badArea.message == "\(badRequestSentence) AreaCode must be 3 digits or blank (got \"80\").")
            let badZip = try await client.post("/v1.0/numbers/availability", Self.body(zipCode: "8404A"))
            #expect(badZip.status == 400)
            var missing = Self.body()
            missing["VoiceEnabled"] = nil
            #expect(try await client.post("/v1.0/numbers/availability", missing).message == "\(badRequestSentence) VoiceEnabled is required (true or false).")
            var stringBool = Self.body()
            stringBool["MessageEnabled"] = "true"
            #expect(try await client.post("/v1.0/numbers/availability", stringBool).status == 400)
        }
    }

    @Test func provisioningLowersTheCountByOne() async throws {
        try await withSimulator { _, client in
            let routeId = try await Fixture.messageRoute(client, accountId: nil)
            let before = try await client.post("/v1.0/numbers/availability", Self.body(areaCode: "212"))["ResultsTotal"] as? Int
            let provision = try await client.created("/v1.0/numbers/provision", Fixture.provisionBody(messageRouteId: routeId, areaCode: "212"))
            #expect(provision.string("PhoneNumberAssigned")?.hasPrefix("+1212") == true)
            let after = try await client.post("/v1.0/numbers/availability", Self.body(areaCode: "212"))["ResultsTotal"] as? Int
            #expect(after == before.map { $0 - 1 })
        }
    }
}
