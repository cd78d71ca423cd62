/// How a YAML scalar becomes a `JSONValue`: YAML 1.1's types as Yams resolves them, except that a number whose
/// text would not survive the conversion stays text.
///
/// | written | value |
/// |---|---|
/// | `"801"`, `'x'`, `|` and `>` blocks | text, always |
/// | `~`, `null`, `Null`, `NULL`, nothing | null |
/// | `true`/`yes`/`on`, `false`/`no`/`off` (3 casings each) | true / false |
/// | `801`, `-5` | integer |
/// | `+13105559999` (E.164), `07001` (a zip code), `0x1F`, `1_000` | text: the integer would not print back the same |
/// | `1.5`, `1e3`, `.5` | floating point |
/// | `+1.5`, `0801`, `.inf`, `.nan` | text |
/// | `!!str 5`, `!!int 5`, `!!bool yes`, `!!null ~`, `!!float 1.5` | as tagged; another tag gives text |
///
/// The patterns are Yams's `Resolver.default` (bool, int, float, null), matched by hand because a manifest has
/// hundreds of thousands of scalars and `NSRegularExpression` costs microseconds each. A test compares the two on
/// many generated strings.
enum YAMLScalarTyping {
    enum Kind: Equatable {
        case null, bool, int, float, string
    }

    static func value(of scalar: YAMLScalar) -> JSONValue {
        guard scalar.isPlain else { return .string(scalar.text) }
        let text = scalar.text
        let kind: Kind
        switch scalar.tag {
        case nil: kind = implicitKind(of: text)
        case "tag:yaml.org,2002:null": kind = .null
        case "tag:yaml.org,2002:bool": kind = .bool
        case "tag:yaml.org,2002:int": kind = .int
        case "tag:yaml.org,2002:float": kind = .float
        default: kind = .string
        }
        switch kind {
        case .null:
            return .null
        case .bool:
            return .bool(["true", "yes", "on"].contains(text.lowercased()))
        case .int:
            if let int = Int(text), String(int) == text { return .int(int) }
            return .string(text)
        case .float:
            if let double = Double(text), !text.hasPrefix("+"), !text.hasPrefix("0") || text.hasPrefix("0.") {
                return .double(double)
            }
            return .string(text)
        case .string:
            return .string(text)
        }
    }

    /// The type YAML 1.1 gives an untagged plain scalar, tried in Yams's order: bool, int, float, null.
    static func implicitKind(of text: String) -> Kind {
        let bytes = Array(text.utf8)
        if isBool(text) { return .bool }
        if isInt(bytes) { return .int }
        if isFloat(bytes) { return .float }
        if ["~", "null", "Null", "NULL", ""].contains(text) { return .null }
        return .string
    }

    private static let bools: Set<String> = [
        "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
        "on", "On", "ON", "off", "Off", "OFF",
    ]

    static func isBool(_ text: String) -> Bool { text.utf8.count <= 5 && bools.contains(text) }

    /// `[-+]?0b[0-1_]+ | [-+]?0o?[0-7_]+ | [-+]?(0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+ | [-+]?[1-9][0-9_]*(:[0-5]?[0-9])+`
    static func isInt(_ bytes: [UInt8]) -> Bool {
        var cursor = Cursor(bytes)
        cursor.skipSign()
        let start = cursor.index
        if cursor.take("0") {
            if cursor.atEnd { return true }
            let afterZero = cursor.index
            if cursor.take("b") { return cursor.takeAll(isBinary) > 0 && cursor.atEnd }
            if cursor.take("x") { return cursor.takeAll(isHex) > 0 && cursor.atEnd }
            cursor.index = afterZero
            _ = cursor.take("o")
            return cursor.takeAll(isOctal) > 0 && cursor.atEnd
        }
        cursor.index = start
        guard cursor.take(where: { $0 >= UInt8(ascii: "1") && $0 <= UInt8(ascii: "9") }) else { return false }
        cursor.takeAll(isDecimal)
        if cursor.atEnd { return true }
        return cursor.takeSexagesimalGroups() && cursor.atEnd
    }

    /// `[-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)? | \.[0-9_]+([eE][-+][0-9]+)?
    /// | [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN)`
    static func isFloat(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        if [".nan", ".NaN", ".NAN"].contains(text) { return true }
        var cursor = Cursor(bytes)
        let hasSign = cursor.skipSign()
        let start = cursor.index
        if cursor.take(".") {
            let rest = String(decoding: bytes[cursor.index...], as: UTF8.self)
            if ["inf", "Inf", "INF"].contains(rest) { return true }
            // `\.[0-9_]+([eE][-+][0-9]+)?` takes no sign.
            guard !hasSign, cursor.takeAll(isDecimal) > 0 else { return false }
            if cursor.atEnd { return true }
            guard cursor.take(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }),
                cursor.take(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") })
            else { return false }
            return cursor.takeAll(isDigit) > 0 && cursor.atEnd
        }
        cursor.index = start
        guard cursor.take(where: isDigit) else { return false }
        cursor.takeAll(isDecimal)
        let afterInteger = cursor.index
        // Sexagesimal: `(:[0-5]?[0-9])+\.[0-9_]*`.
        if cursor.takeSexagesimalGroups(), cursor.take(".") {
            cursor.takeAll(isDecimal)
            if cursor.atEnd { return true }
        }
        cursor.index = afterInteger
        if cursor.take(".") { cursor.takeAll(isDecimal) }
        if cursor.atEnd { return true }
        guard cursor.take(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) else { return false }
        _ = cursor.take(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") })
        return cursor.takeAll(isDigit) > 0 && cursor.atEnd
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    private static func isDecimal(_ byte: UInt8) -> Bool { isDigit(byte) || byte == UInt8(ascii: "_") }
    private static func isBinary(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "0") || byte == UInt8(ascii: "1") || byte == UInt8(ascii: "_")
    }
    private static func isOctal(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "7")) || byte == UInt8(ascii: "_")
    }
    private static func isHex(_ byte: UInt8) -> Bool {
        isDecimal(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"))
    }

    /// A position in a scalar's bytes, for the hand-written matchers above.
    private struct Cursor {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { index == bytes.count }

        mutating func take(_ character: Unicode.Scalar) -> Bool {
            take { $0 == UInt8(ascii: character) }
        }

        mutating func take(where predicate: (UInt8) -> Bool) -> Bool {
            guard index < bytes.count, predicate(bytes[index]) else { return false }
            index += 1
            return true
        }

        @discardableResult
        mutating func takeAll(_ predicate: (UInt8) -> Bool) -> Int {
            let start = index
            while index < bytes.count, predicate(bytes[index]) { index += 1 }
            return index - start
        }

        @discardableResult
        mutating func skipSign() -> Bool {
            take { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }
        }

        /// `(:[0-5]?[0-9])+`, as many groups as there are; false when there is none.
        mutating func takeSexagesimalGroups() -> Bool {
            var groups = 0
            while index < bytes.count, bytes[index] == UInt8(ascii: ":") {
                let groupStart = index
                index += 1
                let digits = takeAll(YAMLScalarTyping.isDigit)
                // `[0-5]?[0-9]`: one digit, or two with the first at most 5.
                if digits == 1 || (digits == 2 && bytes[index - 2] <= UInt8(ascii: "5")) {
                    groups += 1
                } else {
                    index = groupStart
                    break
                }
            }
            return groups > 0
        }
    }
}
