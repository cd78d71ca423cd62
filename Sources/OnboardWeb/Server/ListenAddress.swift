import Foundation

/// Where `onboard serve` listens, as `--listen` writes it: `HOST:PORT`, `[IPv6]:PORT`, or `:PORT` (loopback).
///
/// The pages show every run's key and IDs and have no login, so only a loopback address is served unless the
/// caller says otherwise (``isLoopback``; the CLI asks for `--allow-remote` and prints a warning).
///
/// ```swift
/// let address = try ListenAddress(parsing: "127.0.0.1:8081")
/// address.isLoopback   // true
/// ```
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    /// 0 asks the system for a free port (the server reports the one it bound).
    public var port: Int

    public static let `default` = ListenAddress(host: "127.0.0.1", port: 8081)

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`, `[IPv6]:PORT` or `:PORT`.
    ///
    /// - Throws: ``ListenAddressError`` saying what a good value looks like.
    public init(parsing text: String) throws(ListenAddressError) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw ListenAddressError(text: text)
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else {
                throw ListenAddressError(text: text)
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let port = Int(portText), (0...65_535).contains(port) else { throw ListenAddressError(text: text) }
        self.init(host: host.isEmpty ? "127.0.0.1" : String(host), port: port)
    }

    /// `localhost`, `127.0.0.0/8` or `::1`: reachable from this machine only.
    public var isLoopback: Bool {
        let lowered = host.lowercased()
        if lowered == "localhost" || lowered == "::1" || lowered == "0:0:0:0:0:0:0:1" { return true }
        let parts = lowered.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// `http://HOST:PORT` for people to open (the bracketed form for IPv6, loopback for a wildcard address).
    public func url(port boundPort: Int? = nil) -> String {
        let shown = ["0.0.0.0", "::", ""].contains(host) ? "127.0.0.1" : host
        let hostPart = shown.contains(":") ? "[\(shown)]" : shown
        return "http://\(hostPart):\(boundPort ?? port)"
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A `--listen` value that is not an address.
public struct ListenAddressError: Error, CustomStringConvertible, Sendable {
    public var text: String
    public var description: String {
        "--listen \(text): write HOST:PORT, like 127.0.0.1:8081, [::1]:8081 or :8081 (port 0: any free port)"
    }
}
