import Foundation
import Testing

@testable import OnboardCore

/// `JSONValue(jsonData:)` reads bytes itself; it must give what decoding through `JSONDecoder` (the `Decodable`
/// conformance, which it replaced on the hot path) gave, and refuse what that refused.
@Suite("JSON parsing")
struct JSONParserTests {
    /// The value through `JSONDecoder`, or nil when it refuses the text.
    static func reference(_ bytes: [UInt8]) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    static func parsed(_ bytes: [UInt8]) -> JSONValue? {
        try? JSONValue(jsonData: bytes)
    }

    @Test(
        "Numbers, strings, escapes, nesting and errors as JSONDecoder read them",
        arguments: [
            "1", "-1", "0", "-0", "-0.0", "1.0", "1e2", "1E+2", "1.5", "1e-2", "0.1e1", "9223372036854775807",
            "-9223372036854775808", "9223372036854775808", "100000000000000000000", "12345678901234567890.0", "1E400",
            "01", "1.", ".5", "-", "+1", "1e", "tru", "true", "false", "null", "nul", "\"\"", "\"a\"",
            "\"\\u00e9\\ud83d\\ude00\"", "\"\\ud83d\"", "\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"", "\"\\x\"", "\"a\u{01}\"", "\"é\"",
            "[]", "{}", "[1,]", "{\"a\":1,}", "[,]", "{,}", "[1 2]", "{\"a\" 1}", "{\"a\":1,\"a\":2}", "{1:2}",
            " [ 1 , { \"b\" : [ null , true ] } ] ", "[1]x", "", " ", "[", "{\"a\":", "\"unterminated",
            "{\"AccountId\":\"AID-1\",\"Results\":[{\"RouteName\":\"r\",\"Id\":3}],\"Total\":2.5}",
        ])
    func matchesJSONDecoder(_ text: String) {
        let bytes = Array(text.utf8)
        #expect(Self.parsed(bytes) == Self.reference(bytes), "\(text)")
    }

    @Test("Generated values and every prefix of their text agree with JSONDecoder")
    func generated() {
        var generator = SplitMix(seed: 14)
        for _ in 0..<200 {
            let value = Self.randomValue(&generator, depth: 0)
            for text in [value.canonicalData(), try! JSONEncoder().encode(value)] {
                let bytes = Array(text)
                #expect(Self.parsed(bytes) == value)
                #expect(Self.parsed(bytes) == Self.reference(bytes))
                for end in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 7)) {
                    let prefix = Array(bytes[..<end])
                    #expect(Self.parsed(prefix) == Self.reference(prefix), "\(String(decoding: prefix, as: UTF8.self))")
                }
            }
        }
    }

    @Test("A path given as components reads what the dotted path reads")
    func components() {
        let value: JSONValue = ["a": ["b": ["c": 1], "x.y": 2, "": 3], "list": [["id": "first"], ["id": "second"]]]
        let paths = [
            [""], [], ["a"], ["a", "b"], ["a", "b", "c"], ["a", "x.y"], ["a", "x", "y"], ["a", ""], ["a", "b.c"],
            ["list", "1", "id"], ["list", "2"], ["list", "x"], ["missing"], ["a", "b", "c", "d"], ["", ""],
        ]
        for path in paths {
            #expect(value.value(atPathComponents: path) == value.value(atPath: path.joined(separator: ".")), "\(path)")
        }
    }

    @Test("Nesting is bounded")
    func depth() {
        #expect(Self.parsed(Array((String(repeating: "[", count: 600) + String(repeating: "]", count: 600)).utf8)) == nil)
        #expect(Self.parsed(Array((String(repeating: "[", count: 100) + String(repeating: "]", count: 100)).utf8)) != nil)
    }

    static func randomValue(_ generator: inout SplitMix, depth: Int) -> JSONValue {
        switch generator.next() % (depth > 3 ? 5 : 7) {
        case 0: return .null
        case 1: return .bool(generator.next() % 2 == 0)
        case 2: return .int(Int(truncatingIfNeeded: generator.next()) >> Int(generator.next() % 60))
        case 3: return .double(Double(Int(generator.next() % 1_000_000)) / 7.0 + 0.5)
        case 4:
            let alphabet = Array("aZ09 \"\\/é😀\n\t\u{01}-_".unicodeScalars)
            let count = Int(generator.next() % 12)
            return .string(String(String.UnicodeScalarView((0..<count).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })))
        case 5: return .array((0..<Int(generator.next() % 5)).map { _ in randomValue(&generator, depth: depth + 1) })
        default:
            var object: [String: JSONValue] = [:]
            for index in 0..<Int(generator.next() % 5) { object["k\(index)\(generator.next() % 3)"] = randomValue(&generator, depth: depth + 1) }
            return .object(object)
        }
    }
}
