// Turning `--db postgres://…` into the settings of a connection: host, credentials, database and TLS.
import Foundation
import NIOSSL
import OnboardCore
import PostgresNIO

/// A PostgreSQL database as `--db` names it:
///
/// ```
/// postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE&sslrootcert=FILE&schema=NAME]
/// postgresql://onboard@127.0.0.1:5432/onboard
/// postgres://onboard@db.internal/onboard?sslrootcert=/etc/ssl/our-ca.pem
/// postgres://onboard@db.internal/shared?schema=onboard
/// ```
///
/// - The user is required (or `PGUSER`); the port defaults to 5432 and the database to the user's name.
/// - `schema`: the store's tables live in that schema of the database (created when the store first writes)
///   instead of the user's default (`public`), so several onboard installations, or tests, can share one database.
///   A lowercase identifier: letters, digits and `_`.
/// - A password is better kept out of command lines (other users of the machine can read them): when the URL has
///   none, `PGPASSWORD` is used, as libpq does. The password is never printed; ``description`` leaves it out.
/// - **TLS.** To a loopback host (`localhost`, `127.0.0.0/8`, `::1`) the connection is plain unless `sslmode` says
///   otherwise: the traffic never leaves the machine. To any other host TLS is required and the server's
///   certificate is verified, chain and host name, against the system's trust roots or `sslrootcert`; only
///   `?sslmode=disable` turns it off. `sslmode=require` verifies too (libpq's `require` does not: a pipeline that
///   sends purchases should not talk to a server it cannot identify); `verify-ca` skips the host name check;
///   `prefer` uses TLS when the server offers it.
public struct PostgresEndpoint: Sendable, Hashable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, CaseIterable {
        case disable
        case prefer
        case require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    /// Never printed.
    var password: String?
    public var database: String
    public var tls: TLSMode
    /// A PEM file of the certificate authorities to trust instead of the system's.
    public var rootCertificates: String?
    /// The schema that holds the store's tables; nil: the connection's default `search_path`.
    public var schema: String?

    /// Parses `url` (`postgres://` or `postgresql://`).
    ///
    /// - Throws: `StoreError` `io` naming what is wrong, never the password.
    public init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let shown = Self.redacting(url)
        func invalid(_ reason: String) -> StoreError {
            StoreError(.io, "the database URL \(shown) \(reason)")
        }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "postgres" || scheme == "postgresql"
        else { throw invalid("is not a postgres://USER@HOST[:PORT]/DATABASE URL") }
        guard var host = components.host, !host.isEmpty else { throw invalid("has no host") }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard let user = components.user.flatMap({ $0.isEmpty ? nil : $0 }) ?? environment["PGUSER"] else {
            throw invalid("has no user (postgres://USER@HOST/DATABASE, or set PGUSER)")
        }
        self.host = host
        self.port = components.port ?? 5432
        self.user = user
        self.password = components.password ?? environment["PGPASSWORD"]
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.contains("/") else { throw invalid("names a database with a slash in it") }
        self.database = path.isEmpty ? user : path
        var tls: TLSMode?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    let modes = TLSMode.allCases.map(\.rawValue).joined(separator: ", ")
                    throw invalid("has sslmode=\(item.value ?? ""); use one of \(modes)")
                }
                tls = mode
            case "sslrootcert":
                guard let file = item.value, !file.isEmpty else { throw invalid("has an empty sslrootcert") }
                rootCertificates = file
            case "schema":
                guard let name = item.value, name.wholeMatch(of: /[a-z_][a-z0-9_]{0,62}/) != nil else {
                    throw invalid("has schema=\(item.value ?? ""); a schema is a lowercase identifier (a-z, 0-9, _)")
                }
                schema = name
            default:
                throw invalid(
                    "has the parameter \(item.name), which onboard does not know (sslmode, sslrootcert, schema)")
            }
        }
        self.tls = tls ?? (Self.isLoopback(host) ? .disable : .verifyFull)
    }

    /// The URL without its password (and without the parameters that are the defaults).
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        var parameters: [String] = []
        if tls != (Self.isLoopback(host) ? .disable : .verifyFull) { parameters.append("sslmode=\(tls.rawValue)") }
        if let schema { parameters.append("schema=\(schema)") }
        let query = parameters.isEmpty ? "" : "?" + parameters.joined(separator: "&")
        return "postgres://\(user)@\(shownHost):\(port)/\(database)\(query)"
    }

    /// Whether `host` is this machine: `localhost`, an IPv4 address in 127.0.0.0/8, or `::1`.
    public static func isLoopback(_ host: String) -> Bool {
        let lowered = host.lowercased()
        if lowered == "localhost" || lowered == "::1" || lowered == "0:0:0:0:0:0:0:1" { return true }
        let parts = lowered.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    /// `url` with any password replaced by `***`, for messages about a URL that did not parse.
    static func redacting(_ url: String) -> String {
        guard var components = URLComponents(string: url) else {
            // Not even a URL: show the scheme at most, since a password may be anywhere in it.
            return url.contains("@") ? String(url.prefix { $0 != ":" }) + "://…" : url
        }
        if components.password != nil { components.password = "***" }
        return components.string ?? url
    }

    // MARK: Connection settings

    /// Settings sent when each connection starts. The keepalives let the server notice within about 25 s a
    /// client whose machine died or dropped off the network (the default is two hours), so the locks and the
    /// transaction of such a client do not outlive it for long.
    static let startupParameters: [(String, String)] = [
        ("application_name", "onboard"),
        ("tcp_keepalives_idle", "10"),
        ("tcp_keepalives_interval", "5"),
        ("tcp_keepalives_count", "3"),
    ]

    /// `startupParameters`, and the schema as the whole `search_path` when one is given.
    var connectionParameters: [(String, String)] {
        Self.startupParameters + (schema.map { [("search_path", $0)] } ?? [])
    }

    /// The settings of the store's pools (`extraParameters` are added to `connectionParameters`).
    func clientConfiguration(
        maximumConnections: Int, extraParameters: [(String, String)] = []
    ) throws -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch self.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try tlsConfiguration())
        case .require, .verifyCA, .verifyFull: tls = .require(try tlsConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tls)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.additionalStartupParameters = connectionParameters + extraParameters
        return configuration
    }

    /// The settings of the one connection that opens the store and applies migrations (a plain connection fails
    /// at once when the server cannot be reached, where a pool would keep trying for a minute).
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        switch self.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try NIOSSLContext(configuration: tlsConfiguration()))
        case .require, .verifyCA, .verifyFull: tls = .require(try NIOSSLContext(configuration: tlsConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tls)
        configuration.options.additionalStartupParameters = connectionParameters
        configuration.options.connectTimeout = .seconds(10)
        return configuration
    }

    private func tlsConfiguration() throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = tls == .verifyCA ? .noHostnameVerification : .fullVerification
        if let rootCertificates {
            guard FileManager.default.isReadableFile(atPath: rootCertificates) else {
                throw StoreError(.io, "cannot read sslrootcert \(rootCertificates) for \(self)")
            }
            configuration.trustRoots = .file(rootCertificates)
        }
        return configuration
    }
}
