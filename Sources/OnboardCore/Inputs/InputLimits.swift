/// How long a text input may be, and which characters it may hold.
///
/// The Telegent API documents no field lengths, so onboard sets bounds of its own: the longest value a real setup
/// needs, far below what would hurt (a 20 MB `account.name` used to be sent to the API and stored). A workflow
/// may set `max_length: N` and `multiline: true` on any input; otherwise:
///
/// | field | at most (characters) | why |
/// |---|---|---|
/// | `format: email` | 254 | RFC 5321's limit for a forward path |
/// | `format: url` | 2,048 | what browsers and most servers accept |
/// | `format: e164`, `area_code`, `zip_code` | 16, 3, 5 | the format itself |
/// | text named `name` (`account.name`, `subscriber.name`, routes) | 256 | a name shown in lists |
/// | text named `body` (`test_message.body`) | 1,600 | ten SMS segments, the longest message carriers deliver |
/// | any other text | 2,048 | room for a URL in a field without a format (`voice_route.url`) |
///
/// Characters are Unicode code points. Control characters are refused everywhere: C0 (U+0000–U+001F), DEL
/// (U+007F) and C1 (U+0080–U+009F), ESC included, and the line separators U+2028 and U+2029. A field that allows
/// line breaks (`multiline: true`, and by default text named `body`) accepts LF, CR and TAB among them.
extension InputField {
    /// The most characters a value of this field may have.
    public var maxLength: Int {
        if let declaredMaxLength { return declaredMaxLength }
        switch format {
        case .email: return 254
        case .url: return 2048
        case .e164: return 16
        case .areaCode: return 3
        case .zipCode: return 5
        case nil:
            switch name {
            case "name": return 256
            case "body": return 1600
            default: return 2048
            }
        }
    }

    /// Whether LF, CR and TAB are allowed.
    public var allowsLineBreaks: Bool { declaredMultiline ?? (format == nil && name == "body") }

    /// The last component of the path (`name` for `account.name`); no allocation, it runs for every value checked.
    var name: Substring { path.lastIndex(of: ".").map { path[path.index(after: $0)...] } ?? path[...] }

    /// This field's bounds, worked out once per schema (validation runs for every item of a manifest).
    public var textLimits: TextLimits { TextLimits(maxLength: maxLength, allowsLineBreaks: allowsLineBreaks) }

    /// How long a text value may be and whether it may break lines.
    public struct TextLimits: Sendable {
        public var maxLength: Int
        public var allowsLineBreaks: Bool

        /// Why `text` is too long or holds a refused character, or nil. Never quotes the value: it may be a
        /// secret, megabytes long, or made to act on the terminal.
        func problem(_ text: String) -> String? {
            // Most values are short ASCII: the byte count bounds the code point count from above.
            if text.utf8.count > maxLength {
                let characters = text.unicodeScalars.count
                if characters > maxLength { return "is \(characters) characters long; at most \(maxLength) are allowed" }
            }
            // Printable ASCII, the usual case, has nothing to refuse.
            if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return nil }
            for (offset, scalar) in text.unicodeScalars.enumerated() {
                let isLineBreak = scalar == "\n" || scalar == "\r" || scalar == "\t"
                if isLineBreak && allowsLineBreaks { continue }
                switch scalar.value {
                case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029:
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                    let what = isLineBreak ? "a line break or tab" : "a control character"
                    return "contains \(what) (\(code)) at character \(offset + 1); it is not allowed in this field"
                default:
                    continue
                }
            }
            return nil
        }
    }
}
