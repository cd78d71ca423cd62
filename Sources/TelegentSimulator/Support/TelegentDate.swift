import Foundation

/// The date formats the Telegent documents show, always in UTC.
///
/// Formatted by hand from the Unix time rather than with `DateFormatter`: these strings are built on every token,
/// availability and provision call, and a civil-date computation is both faster and free of locale surprises
/// (the token expiry must be `en_US_POSIX` 12-hour time whatever the machine's locale).
struct TelegentDate: Sendable {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int
    /// Nanoseconds within the second.
    var nanosecond: Int

    init(_ date: Date) {
        let interval = date.timeIntervalSince1970
        let seconds = Int(interval.rounded(.down))
        nanosecond = min(999_999_999, max(0, Int(((interval - Double(seconds)) * 1e9).rounded(.down))))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        hour = secondOfDay / 3600
        minute = secondOfDay % 3600 / 60
        second = secondOfDay % 60
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// `MM/dd/yyyy hh:mm:ss AM`: the token's `tokenExpiry`.
    var tokenExpiry: String {
        let hour12 = hour % 12 == 0 ? 12 : hour % 12
        return "\(pad(month))/\(pad(day))/\(pad(year, 4)) \(pad(hour12)):\(pad(minute)):\(pad(second)) \(hour < 12 ? "AM" : "PM")"
    }

    /// `MM/dd/yyyy`: the inventory's `OriginalDatePurchased`.
    var usDate: String {
        "\(pad(month))/\(pad(day))/\(pad(year, 4))"
    }

    /// ISO 8601 with seven fractional digits and `Z`, as `RequestDate` is shown: `2025-05-14T18:37:18.2408767Z`.
    var iso8601Z: String {
        "\(isoDateTime).\(pad(nanosecond / 100, 7))Z"
    }

    /// ISO 8601 with six fractional digits and an offset, as `OrderDate` is shown: `2025-10-29T12:36:19.338438+00:00`.
    var iso8601Offset: String {
        "\(isoDateTime).\(pad(nanosecond / 1000, 6))+00:00"
    }

    private var isoDateTime: String {
        "\(pad(year, 4))-\(pad(month))-\(pad(day))T\(pad(hour)):\(pad(minute)):\(pad(second))"
    }

    private func pad(_ value: Int, _ width: Int = 2) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
