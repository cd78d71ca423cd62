import Foundation

/// One API request as a handler sees it: already authorized, body parsed, query split.
struct Call: Sendable {
    var method: String
    var path: String
    var query: Query
    var fields: Fields
    /// AccountKey of the credential the request acts for ("" on the token endpoints, which authenticate themselves).
    var owner: String
    /// Wall-clock time, for the dates in answers.
    var date: Date
    /// Monotonic time, for expiry and settling.
    var now: ContinuousClock.Instant
}

/// Query parameters, matched case-insensitively (the reference spells `CallRouteID`, other pages `CallRouteId`).
struct Query: Sendable {
    var pairs: [(key: String, value: String)]

    init(_ pairs: [(key: String, value: String)]) {
        self.pairs = pairs
    }

    /// The parameter's value, trimmed; nil when absent or blank.
    subscript(key: String) -> String? {
        for pair in pairs where pair.key.caseInsensitiveCompare(key) == .orderedSame {
            let value = pair.value.trimmed
            return value.isEmpty ? nil : value
        }
        return nil
    }

    func required(_ key: String) throws(APIError) -> String {
        guard let value = self[key] else { throw .badRequest("\(key) is required (query parameter).") }
        return value
    }

    /// An integer parameter within `range`, `defaultValue` when absent.
    func int(_ key: String, default defaultValue: Int, in range: ClosedRange<Int>) throws(APIError) -> Int {
        guard let text = self[key] else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw .badRequest("\(key) must be an integer from \(range.lowerBound) to \(range.upperBound) (got \"\(text)\").")
        }
        return value
    }

    /// A phone number parameter. A raw `+` in a query string is often decoded as a space, so a leading space
    /// (already trimmed away) or a bare run of digits after one reads as `+`.
    func phoneNumber(_ key: String) throws(APIError) -> String {
        guard let raw = pairs.first(where: { $0.key.caseInsensitiveCompare(key) == .orderedSame })?.value,
            !raw.isBlank
        else { throw .badRequest("\(key) is required (query parameter).") }
        var value = raw
        if value.hasPrefix(" ") { value = "+" + value.drop { $0 == " " } }
        value = value.trimmed
        guard value.isE164 else { throw .badRequest("\(key) must be an E.164 phone number such as +18015551234 (got \"\(raw)\").") }
        return value
    }
}

/// A handler of one method on one path.
struct Endpoint: Sendable {
    enum Access: Sendable {
        /// A token call: no bearer token, the body's AccountKey is charged for the rate limit.
        case credentials
        /// Needs `Authorization: Bearer` with a live token scoped to this path (or unscoped).
        case bearer
    }

    var access: Access
    var handle: @Sendable (SimulatorWorld, Call) throws(APIError) -> JSON
}
