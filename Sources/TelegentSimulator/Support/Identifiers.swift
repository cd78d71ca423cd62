/// Telegent identifiers: a prefix and a lowercase UUID (`AID-ceb82085-2725-45a1-bd5e-526ed19799d7`).
///
/// IDs are random, not seeded: after `/_sim/reset` a client that still holds old IDs must not find them again.
enum Identifier: String, Sendable {
    case account = "AID-"
    case messageRoute = "MRID-"
    case voiceRoute = "CRID-"
    case number = "NID-"
    case order = "JNUOID-"
    case subscriber = "TSUID-"
    case message = "TMID-"

    func make() -> String {
        rawValue + Self.uuid()
    }

    /// A version-4 UUID in lowercase hex, formatted 8-4-4-4-12.
    static func uuid() -> String {
        var generator = SystemRandomNumberGenerator()
        var high = generator.next() as UInt64
        var low = generator.next() as UInt64
        high = (high & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000  // version 4
        low = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000  // RFC 4122 variant
        var bytes = [UInt8]()
        bytes.reserveCapacity(36)
        appendHex(high >> 32, digits: 8, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendHex(high >> 16, digits: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendHex(high, digits: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendHex(low >> 48, digits: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendHex(low, digits: 12, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `count` random bytes as lowercase hex: bearer tokens.
    static func randomHex(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8]()
        bytes.reserveCapacity(count * 2)
        for _ in 0..<(count + 7) / 8 {
            appendHex(generator.next(), digits: 16, to: &bytes)
        }
        return String(decoding: bytes.prefix(count * 2), as: UTF8.self)
    }

    private static func appendHex(_ value: UInt64, digits: Int, to bytes: inout [UInt8]) {
        let alphabet: StaticString = "0123456789abcdef"
        for shift in stride(from: (digits - 1) * 4, through: 0, by: -4) {
            bytes.append(alphabet.utf8Start[Int((value >> UInt64(shift)) & 0xF)])
        }
    }
}
