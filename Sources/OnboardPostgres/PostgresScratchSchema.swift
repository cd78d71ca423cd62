// Throwaway schemas on a server, for the tests and benchmarks of this package (not part of the public API).
import Foundation
import OnboardCore
import PostgresNIO

/// A schema of its own for one test (or one benchmark) in the database that `serverURL` names, dropped afterwards:
/// every test starts from an empty schema, and tests run in parallel without seeing each other.
///
/// ```swift
/// let scratch = PostgresScratchSchema(on: "postgres://onboard@127.0.0.1:5432/postgres")
/// let store = try await PostgresCheckpointStore(url: scratch.url)   // creates the schema
/// …
/// try await store.close()
/// await scratch.drop()
/// ```
///
/// A schema rather than a database: `CREATE DATABASE` copies a template and `DROP DATABASE` forces a checkpoint,
/// which on a busy machine costs seconds of I/O per test; a schema costs a catalog row. Locks and migrations are
/// keyed by schema, so stores on different schemas of one database do not interfere.
package struct PostgresScratchSchema: Sendable {
    /// `serverURL` with `?schema=` naming the new schema.
    package let url: String
    package let name: String
    private let serverURL: String

    package init(on serverURL: String, prefix: String = "onboard_test") throws {
        name = prefix + "_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        guard var components = URLComponents(string: serverURL) else {
            throw StoreError(.io, "the database URL \(PostgresEndpoint.redacting(serverURL)) is not a URL")
        }
        components.queryItems = (components.queryItems ?? []).filter { $0.name != "schema" }
            + [URLQueryItem(name: "schema", value: name)]
        url = components.string ?? serverURL
        self.serverURL = serverURL
    }

    /// Drops the schema and everything in it.
    package func drop() async {
        try? await Self.run("DROP SCHEMA IF EXISTS \(name) CASCADE", on: serverURL)
    }

    /// Runs one statement on a connection of its own to `serverURL`'s database.
    package static func run(_ sql: String, on serverURL: String) async throws {
        let endpoint = try PostgresEndpoint(url: serverURL)
        do {
            let connection = try await PostgresConnection.connect(
                configuration: endpoint.connectionConfiguration(), id: 1, logger: PostgresCheckpointStore.quiet)
            do {
                try await connection.execute(PostgresQuery(unsafeSQL: sql))
            } catch {
                try? await connection.close()
                throw error
            }
            try? await connection.close()
        } catch {
            throw PostgresFailure.map(error, doing: sql, database: endpoint.description)
        }
    }
}
