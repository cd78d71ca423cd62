/// Typed, validated reads of a request's JSON body; each failure is a 400 that names the field.
///
/// Keys are matched exactly as the documents spell them. `null` counts as absent, and a required string must not be
/// blank.
struct Fields: Sendable {
    let object: JSONObject

    init(_ object: JSONObject) {
        self.object = object
    }

    func has(_ key: String) -> Bool {
        if let value = object[key], !value.isNull { return true }
        return false
    }

    /// The raw value, nil when absent or null.
    func value(_ key: String) -> JSON? {
        guard let value = object[key], !value.isNull else { return nil }
        return value
    }

    func string(_ key: String) throws(APIError) -> String {
        guard let value = try optionalString(key), !value.isBlank else { throw .badRequest("\(key) is required.") }
        return value
    }

    /// The string, or nil when absent or null; "" is returned as "".
    func optionalString(_ key: String) throws(APIError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let string) = value else { throw .badRequest("\(key) must be a string, not \(value.typeName).") }
        return string
    }

    /// A non-blank string, or nil when absent, null or blank.
    func nonBlankString(_ key: String) throws(APIError) -> String? {
        guard let value = try optionalString(key), !value.isBlank else { return nil }
        return value
    }

    func bool(_ key: String) throws(APIError) -> Bool {
        guard let value = try optionalBool(key) else { throw .badRequest("\(key) is required (true or false).") }
        return value
    }

    func optionalBool(_ key: String) throws(APIError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let bool) = value else { throw .badRequest("\(key) must be true or false, not \(value.typeName).") }
        return bool
    }

    func optionalInt(_ key: String) throws(APIError) -> Int? {
        guard let value = value(key) else { return nil }
        switch value {
        case .int(let int): return int
        case .double(let double) where double == double.rounded() && abs(double) < 1e15: return Int(double)
        default: throw .badRequest("\(key) must be an integer, not \(value.typeName).")
        }
    }

    /// A required string that must be one of `allowed` (exact spelling).
    func oneOf(_ key: String, _ allowed: [String]) throws(APIError) -> String {
        let value = try string(key)
        guard allowed.contains(value) else { throw .badRequest("\(key) must be one of: \(allowed.joined(separator: ", ")).") }
        return value
    }

    func optionalOneOf(_ key: String, _ allowed: [String]) throws(APIError) -> String? {
        guard let value = try nonBlankString(key) else { return nil }
        guard allowed.contains(value) else { throw .badRequest("\(key) must be one of: \(allowed.joined(separator: ", ")).") }
        return value
    }

    /// "" or exactly `length` digits (AreaCode 3, ZipCode 5); absent and null read as "".
    func digits(_ key: String, length: Int) throws(APIError) -> String {
        let value = (try optionalString(key) ?? "").trimmed
        guard value.isEmpty || (value.count == length && value.allSatisfy(\.isASCIIDigit)) else {
            throw .badRequest("\(key) must be \(length) digits or blank (got \"\(value)\").")
        }
        return value
    }

    func email(_ key: String) throws(APIError) -> String {
        let value = try string(key).trimmed
        guard value.isPlausibleEmail else { throw .badRequest("\(key) must be a valid e-mail address (got \"\(value)\").") }
        return value
    }

    func httpURL(_ key: String) throws(APIError) -> String {
        let value = try string(key).trimmed
        guard value.isHTTPURL else { throw .badRequest("\(key) must be an http or https URL (got \"\(value)\").") }
        return value
    }

    func e164(_ key: String) throws(APIError) -> String {
        let value = try string(key).trimmed
        guard value.isE164 else { throw .badRequest("\(key) must be an E.164 phone number such as +18015551234 (got \"\(value)\").") }
        return value
    }

    func object(_ key: String) throws(APIError) -> Fields? {
        guard let value = value(key) else { return nil }
        guard case .object(let object) = value else { throw .badRequest("\(key) must be an object, not \(value.typeName).") }
        return Fields(object)
    }

    func array(_ key: String) throws(APIError) -> [JSON]? {
        guard let value = value(key) else { return nil }
        guard case .array(let elements) = value else { throw .badRequest("\(key) must be an array, not \(value.typeName).") }
        return elements
    }
}

extension String {
    var trimmed: String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace }) else {
            return ""
        }
        return String(self[first...last])
    }

    var isBlank: Bool { allSatisfy(\.isWhitespace) }

    /// `+` then 2 to 15 digits, the first not 0.
    var isE164: Bool {
        let utf8 = self.utf8
        guard utf8.count >= 3, utf8.count <= 16, utf8.first == UInt8(ascii: "+") else { return false }
        let digits = utf8.dropFirst()
        return digits.first != UInt8(ascii: "0") && digits.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// local@domain.tld with no spaces: what a sign-up form would accept.
    var isPlausibleEmail: Bool {
        let parts = split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !contains(where: \.isWhitespace) else { return false }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && labels.allSatisfy { !$0.isEmpty }
    }

    var isHTTPURL: Bool {
        let lower = lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") {
            rest = lower.dropFirst(8)
        } else if lower.hasPrefix("http://") {
            rest = lower.dropFirst(7)
        } else {
            return false
        }
        let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return !host.isEmpty && !host.hasPrefix(":") && !host.contains(where: \.isWhitespace)
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
