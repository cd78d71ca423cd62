/// A JSON value as the simulator reads requests and writes responses.
///
/// Objects keep their keys in order, so a response lists its fields in the order the API reference prints them;
/// integers and floating-point numbers stay apart, so an `AreaCode` of `801` is written `801`, never `801.0`.
///
/// ```swift
/// let account: JSON = ["AccountId": .string(id), "TotalSubscribers": 0, "MailingAddress": .null]
/// ```
enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSON])
    case object(JSONObject)

    /// `.string(value)`, or `.null` when `value` is nil.
    init(_ value: String?) {
        self = value.map(JSON.string) ?? .null
    }

    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    var isNull: Bool { self == .null }

    /// The JSON type's name, for error messages ("expected a boolean, got a string").
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A JSON object: key–value pairs in their written order. Lookups are linear, which beats hashing at the
/// dozen keys a Telegent body has.
struct JSONObject: Sendable, Equatable {
    var pairs: [(key: String, value: JSON)]

    init(_ pairs: [(key: String, value: JSON)] = []) {
        self.pairs = pairs
    }

    /// The first value under `key` (exact, case-sensitive), or nil when the key is absent.
    subscript(key: String) -> JSON? {
        for pair in pairs where pair.key == key { return pair.value }
        return nil
    }

    func contains(_ key: String) -> Bool { self[key] != nil }

    mutating func append(_ key: String, _ value: JSON) {
        pairs.append((key, value))
    }

    static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.pairs.count == rhs.pairs.count && zip(lhs.pairs, rhs.pairs).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

extension JSON: ExpressibleByDictionaryLiteral {
    init(dictionaryLiteral elements: (String, JSON)...) {
        self = .object(JSONObject(elements.map { (key: $0.0, value: $0.1) }))
    }
}

extension JSON: ExpressibleByArrayLiteral {
    init(arrayLiteral elements: JSON...) { self = .array(elements) }
}

extension JSON: ExpressibleByStringLiteral {
    init(stringLiteral value: String) { self = .string(value) }
}

extension JSON: ExpressibleByIntegerLiteral {
    init(integerLiteral value: Int) { self = .int(value) }
}

extension JSON: ExpressibleByFloatLiteral {
    init(floatLiteral value: Double) { self = .double(value) }
}

extension JSON: ExpressibleByBooleanLiteral {
    init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension JSON: ExpressibleByNilLiteral {
    init(nilLiteral: ()) { self = .null }
}
