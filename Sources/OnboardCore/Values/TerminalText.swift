/// Renders text from files, inputs and the API so that printing it cannot act on the terminal.
///
/// A name read from an input file may hold an ESC byte (`"\u{1B}[2J"` clears the screen), a carriage return that
/// overwrites the line before it, or a bidirectional override that makes text read differently from what it is.
/// `escape` shows each of these as a visible Swift-style escape and leaves everything else untouched:
///
/// ```swift
/// TerminalText.escape("Acme\u{1B}[31m")   // "Acme\u{1B}[31m" with a literal backslash: "Acme\\u{1B}[31m"
/// TerminalText.escape("Zoë Møller")       // unchanged
/// ```
///
/// Escaped: C0 controls (U+0000–U+001F, line breaks and tabs included), DEL (U+007F), C1 controls
/// (U+0080–U+009F), the line and paragraph separators (U+2028, U+2029) and the bidirectional controls (U+061C,
/// U+200E, U+200F, U+202A–U+202E, U+2066–U+2069).
public enum TerminalText {
    /// `text` with every character that acts on a terminal written as `\u{XX}`.
    public static func escape(_ text: String) -> String {
        // Fast path: most text has nothing to escape, and this runs for every line `list` prints.
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            if needsEscape(scalar) {
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Whether `scalar` would act on a terminal (or reorder the text around it) instead of being shown.
    public static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: return true
        case 0x2028, 0x2029: return true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    /// `text` escaped and cut to `limit` characters (with `…` and the full length), for quoting a value in an
    /// error message without printing megabytes of it.
    public static func quote(_ text: String, limit: Int = 64) -> String {
        var shown = text
        var suffix = ""
        if text.unicodeScalars.count > limit {
            shown = String(String.UnicodeScalarView(text.unicodeScalars.prefix(limit)))
            suffix = "… (\(text.unicodeScalars.count) characters)"
        }
        return escape(shown) + suffix
    }
}
