import Foundation
import OnboardCore

/// How the pages write times, durations and counts: short, unambiguous, in UTC.
enum Display {
    /// `2026-12-01 09:30:05`, UTC.
    static func time(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0,
            c.second ?? 0)
    }

    /// `4 s ago`, `12 min ago`, `3 h ago`, `2 d ago` (`in 5 s` for the future).
    static func ago(_ date: Date, now: Date) -> String {
        let seconds = now.timeIntervalSince(date)
        let text = span(abs(seconds))
        return seconds >= 0 ? "\(text) ago" : "in \(text)"
    }

    /// A length of time in the largest unit that keeps it readable: `850 ms`, `4.2 s`, `12 min`, `3 h 5 min`.
    static func span(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "—" }
        if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
        if seconds < 10 { return String(format: "%.1f s", seconds) }
        if seconds < 120 { return "\(Int(seconds.rounded())) s" }
        if seconds < 7_200 { return "\(Int((seconds / 60).rounded())) min" }
        if seconds < 172_800 {
            let minutes = Int((seconds / 60).rounded())
            return "\(minutes / 60) h \(minutes % 60) min"
        }
        return "\(Int((seconds / 86_400).rounded())) d"
    }

    /// `100,000`.
    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(digit)
        }
        return (value < 0 ? "-" : "") + grouped
    }

    /// Every run status in the order pages list them: work left first, then what needs a person, then done.
    static let statusOrder: [RunStatus] = [.running, .pending, .inDoubt, .failed, .interrupted, .done]

    /// `in doubt` for `in_doubt`: what a person reads (the raw value stays in classes, filters and JSON).
    static func label(_ status: String) -> String { status.replacingOccurrences(of: "_", with: " ") }
}

/// Percent-encoding for the parts of URLs the pages build from stored values.
enum URLText {
    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func component(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    /// `/runs/ID` with the id encoded.
    static func run(_ id: String) -> String { "/runs/" + component(id) }
    static func batch(_ id: String) -> String { "/batches/" + component(id) }

    /// `path?name=value&…` with the pairs whose value is non-empty, encoded.
    static func path(_ path: String, _ query: [(String, String?)]) -> String {
        let pairs = query.compactMap { name, value -> String? in
            guard let value, !value.isEmpty else { return nil }
            return component(name) + "=" + component(value)
        }
        return pairs.isEmpty ? path : path + "?" + pairs.joined(separator: "&")
    }
}
