import Foundation

/// The one reader of `Retry-After` (RFC 9110, section 10.2.3): delta-seconds (`120`) or an HTTP-date
/// (`Wed, 21 Oct 2026 07:28:00 GMT`). Anything else (`inf`, `1e309`, `-5`, text) is ignored, so the caller's own
/// backoff applies; a usable value is clamped to `maximum`.
public enum RetryAfter {
    /// The longest pause a server can impose through `Retry-After`: 10 minutes. A longer one is taken as 10
    /// minutes; the step's retry budget then decides whether to go on.
    public static let maximum: Double = 600

    /// Seconds to wait, or nil when the header is absent or unusable.
    public static func seconds(from header: String?, now: Date = Date()) -> Double? {
        guard let text = header?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        if text.allSatisfy(\.isASCIIDigit) {
            // delta-seconds: 1*DIGIT. Huge values saturate instead of overflowing.
            return min(Double(text.prefix(12)) ?? maximum, maximum)
        }
        guard let date = httpDate(text) else { return nil }
        return min(max(date.timeIntervalSince(now), 0), maximum)
    }

    /// IMF-fixdate, plus the two obsolete forms RFC 9110 asks recipients to accept.
    static func httpDate(_ text: String) -> Date? {
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

extension Duration {
    /// `seconds` as a duration, safe for any Double: NaN and negatives give zero, anything above `maximum`
    /// (infinity included) gives `maximum`. Every conversion of a user's or a server's number to a duration goes
    /// through here, so none can trap.
    public static func seconds(clamping seconds: Double, maximum: Double) -> Duration {
        // Above ~292 years the nanoseconds no longer fit an Int64.
        let cap = maximum.isFinite ? min(max(maximum, 0), 9e9) : 9e9
        guard !seconds.isNaN else { return .zero }
        let bounded = min(max(seconds, 0), cap)
        return .nanoseconds(Int64((bounded * 1e9).rounded(.up)))
    }
}
