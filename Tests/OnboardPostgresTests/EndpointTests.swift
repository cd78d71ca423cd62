import Foundation
import OnboardCore
import OnboardPostgres
import Testing

@Suite("PostgreSQL URLs")
struct EndpointTests {
    @Test("Parts of the URL, defaults, and PGUSER / PGPASSWORD")
    func parts() throws {
        let full = try PostgresEndpoint(url: "postgresql://me:pw@db.example.com:6543/onboard?sslmode=verify-ca", environment: [:])
        #expect(full.host == "db.example.com" && full.port == 6543 && full.user == "me" && full.database == "onboard")
        #expect(full.tls == .verifyCA)
        let short = try PostgresEndpoint(url: "postgres://me@localhost", environment: ["PGPASSWORD": "pw"])
        #expect(short.port == 5432 && short.database == "me" && short.tls == .disable)
        let fromEnvironment = try PostgresEndpoint(url: "postgres://127.0.0.1/db", environment: ["PGUSER": "ci"])
        #expect(fromEnvironment.user == "ci")
        let ipv6 = try PostgresEndpoint(url: "postgres://me@[::1]:5433/db", environment: [:])
        #expect(ipv6.host == "::1" && ipv6.tls == .disable && ipv6.description == "postgres://me@[::1]:5433/db")
        let schema = try PostgresEndpoint(url: "postgres://me@db.internal/shared?schema=onboard_1&sslmode=require", environment: [:])
        #expect(schema.schema == "onboard_1" && schema.description == "postgres://me@db.internal:5432/shared?sslmode=require&schema=onboard_1")
    }

    @Test("TLS is off to loopback hosts and required, verified, elsewhere unless sslmode=disable", arguments: [
        ("postgres://u@localhost/db", PostgresEndpoint.TLSMode.disable),
        ("postgres://u@127.0.0.1/db", .disable),
        ("postgres://u@127.9.9.9/db", .disable),
        ("postgres://u@10.0.0.5/db", .verifyFull),
        ("postgres://u@db.internal/db", .verifyFull),
        ("postgres://u@127.0.0.1.evil.example/db", .verifyFull),
        ("postgres://u@db.internal/db?sslmode=disable", .disable),
        ("postgres://u@localhost/db?sslmode=require", .require),
    ])
    func tlsDefaults(_ url: String, _ mode: PostgresEndpoint.TLSMode) throws {
        #expect(try PostgresEndpoint(url: url, environment: [:]).tls == mode)
    }

    @Test("The description never holds the password; malformed URLs are refused without showing it")
    func redaction() throws {
        let endpoint = try PostgresEndpoint(url: "postgres://me:hunter2@db.internal/onboard", environment: [:])
        #expect(endpoint.description == "postgres://me@db.internal:5432/onboard")
        for bad in [
            "postgres://me:hunter2@/onboard", "postgres://:hunter2@host/db", "postgres://me:hunter2@host/db?sslmode=maybe",
            "postgres://me:hunter2@host/db?timeout=3", "mysql://me:hunter2@host/db", "postgres://me:hunter2@host/a/b",
            "postgres://me:hunter2@host/db?schema=Bad-Name", "postgres://me:hunter2@host/db?schema=x;drop",
        ] {
            #expect {
                _ = try PostgresEndpoint(url: bad, environment: [:])
            } throws: { error in
                (error as? StoreError)?.code == .io && !"\(error)".contains("hunter2")
            }
        }
    }
}
