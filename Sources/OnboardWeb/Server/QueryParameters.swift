import Foundation

/// The query string of a request, decoded as a browser's GET form sends it (`+` is a space, then
/// percent-decoding). Hummingbird's `queryParameters` percent-decodes but keeps `+`, which would turn a key filter
/// `acme mobile` into `acme+mobile`.
struct QueryParameters: Sendable {
    private var values: [String: String] = [:]

    init(_ query: String?) {
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (text: Substring) in
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            let name = decode(parts[0])
            if values[name] == nil { values[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
    }

    /// The value, trimmed; nil when absent or empty.
    subscript(_ name: String) -> String? {
        guard let value = values[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    /// A whole number in `range`, else `fallback`.
    func int(_ name: String, in range: ClosedRange<Int>, default fallback: Int) -> Int {
        guard let value = self[name].flatMap(Int.init) else { return fallback }
        return min(max(value, range.lowerBound), range.upperBound)
    }
}
