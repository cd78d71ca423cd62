import Foundation
import Testing
@testable import TelegentSimulator

@Suite("Internals: JSON, dates, inventory, rate limiter")
struct InternalsTests {
    @Test func parserReadsEveryJSONType() throws {
        let value = try JSONParser.parse(#" {"a": [1, -2.5, 3e2, true, false, null], "s": "x\"\\\/\n\u00e9\ud83d\ude00", "o": {}} "#)
        guard case .object(let object) = value else {
            Issue.record("not an object")
            return
        }
        #expect(object.pairs.map(\.key) == ["a", "s", "o"])
        #expect(object["a"] == [1, -2.5, 300.0, true, false, nil])
        #expect(object["s"] == .string("x\"\\/\né😀"))
        #expect(object["o"] == .object(JSONObject()))
    }

    @Test(arguments: ["", "{", "{\"a\" 1}", "[1,]", "01", "\"\\x\"", "tru", "{} x", "\"\u{01}\"", "1.", "-"])
    func parserRejectsMalformedInput(text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func writerEscapesAndKeepsOrder() throws {
        let value: JSON = ["b": "quote\" slash\\ tab\t \u{01}", "a": 0.0045, "n": nil, "i": 801, "arr": [true]]
        #expect(value.serialized == #"{"b":"quote\" slash\\ tab\t \u0001","a":0.0045,"n":null,"i":801,"arr":[true]}"#)
        #expect(try JSONParser.parse(value.serialized) == value)
    }

    @Test(arguments: [0.0, 951_782_400.5, 1_746_210_973.0, 1_709_210_000.999, 4_102_444_799.25, 43_200.0])
    func datesMatchFoundationFormatters(seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "MM/dd/yyyy hh:mm:ss a"
        #expect(TelegentDate(date).tokenExpiry == formatter.string(from: date))
        formatter.dateFormat = "MM/dd/yyyy"
        #expect(TelegentDate(date).usDate == formatter.string(from: date))
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        #expect(TelegentDate(date).iso8601Z.hasPrefix(formatter.string(from: date) + "."))
        #expect(TelegentDate(date).iso8601Offset.hasSuffix("+00:00"))
    }

    @Test func tokenExpiryOfTheDocumentedJWT() {
        // The Postman sample's JWT exp 1746210973 is shown as "05/02/2025 06:36:13 PM".
        #expect(TelegentDate(Date(timeIntervalSince1970: 1_746_210_973)).tokenExpiry == "05/02/2025 06:36:13 PM")
    }

    @Test func inventoryIsSeededUniqueAndE164() {
        let first = Inventory(seed: 3, numbersPerArea: 50)
        let again = Inventory(seed: 3, numbersPerArea: 50)
        let other = Inventory(seed: 4, numbersPerArea: 50)
        let numbers = first.groups.flatMap(\.available)
        #expect(numbers == again.groups.flatMap(\.available))
        #expect(numbers != other.groups.flatMap(\.available))
        #expect(Set(numbers).count == numbers.count)
        #expect(numbers.count == 50 * 11)
        #expect(numbers.allSatisfy { $0.isE164 && $0.count == 12 })
        #expect(first.isAvailable(Inventory.guideNumber))
        #expect(first.count(of: first.matchingGroups(areaCode: "907", zipCode: "")) == 0)
        for group in first.groups {
            #expect(group.available.allSatisfy { $0.hasPrefix("+1" + group.areaCode) })
        }
    }

    @Test func inventoryClaimsRemoveNumbers() {
        var inventory = Inventory(seed: 1, numbersPerArea: 3)
        var generator = SeededGenerator(seed: 1)
        let groups = inventory.matchingGroups(areaCode: "801", zipCode: "")
        var claimed: Set<String> = []
        while let taken = inventory.claimRandom(from: inventory.matchingGroups(areaCode: "801", zipCode: ""), using: &generator) {
            #expect(claimed.insert(taken.number).inserted)
        }
        #expect(claimed.count == 3 && groups.count == 3)
        #expect(inventory.claim(Inventory.guideNumber)?.zipCode == "90001")
        #expect(inventory.claim(Inventory.guideNumber) == nil)
    }

    @Test func rateLimiterSlidesAndAnswersTheWait() {
        var limiter = RateLimiter(limit: 2)
        let start = ContinuousClock.now
        #expect(limiter.admit("a", at: start) == nil)
        #expect(limiter.admit("a", at: start + .seconds(10)) == nil)
        #expect(limiter.admit("a", at: start + .seconds(20)) == 40)
        #expect(limiter.admit("a", at: start + .milliseconds(59_500)) == 1)
        #expect(limiter.admit("b", at: start + .seconds(20)) == nil)
        #expect(limiter.admit("a", at: start + .seconds(60)) == nil)  // the first left the window
        #expect(limiter.admit("a", at: start + .seconds(61)) == 9)
        var unlimited = RateLimiter(limit: nil)
        #expect((0..<1000).allSatisfy { _ in unlimited.admit("a", at: start) == nil })
    }

    @Test func faultProbabilitiesAreSeeded() {
        func fired(seed: UInt64) -> [Bool] {
            var injector = FaultInjector(rules: [FaultRule(action: .drop, probability: 0.3)], seed: seed)
            return (0..<50).map { _ in injector.fault(method: "GET", path: "/v1.0/account") != nil }
        }
        #expect(fired(seed: 5) == fired(seed: 5))
        #expect((5...25).contains(fired(seed: 5).filter { $0 }.count))
    }

    @Test func scopePathsIgnoreHostAndQuery() {
        #expect(TokenRoutes.scopePath("https://api.telegent.com/v1.0/numbers/provision") == "/v1.0/numbers/provision")
        #expect(TokenRoutes.scopePath("http://127.0.0.1:8080/v1.0/numbers/order?OrderId=x") == "/v1.0/numbers/order")
        #expect(TokenRoutes.scopePath("/v1.0/account") == "/v1.0/account")
        #expect(TokenRoutes.scopePath("v1.0/account") == "/v1.0/account")
        #expect(TokenRoutes.scopePath("https://api.telegent.com") == "/")
    }
}
