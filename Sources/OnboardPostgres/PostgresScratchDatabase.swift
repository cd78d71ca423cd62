// Throwaway databases on a server, for the tests and benchmarks of this package (not part of the public API).
import Foundation
import OnboardCore
import PostgresNIO

/// A database created for one test (or one benchmark) on the server that `serverURL` names, and dropped
/// afterwards: every test then starts from an empty schema, and tests run in parallel without seeing each other.
///
/// ```swift
/// let scratch = try await PostgresScratchDatabase.create(on: "postgres://onboard@127.0.0.1:5432/postgres")
/// let store = try await PostgresCheckpointStore(url: scratch.url)
/// …
/// try await store.close()
/// await scratch.drop()
/// ```
///
/// The user of `serverURL` needs the `CREATEDB` privilege; the database in `serverURL` is only used to connect.
package struct PostgresScratchDatabase: Sendable {
    /// The new database's URL (the server URL with its database replaced).
    package let url: String
    package let name: String
    let endpoint: PostgresEndpoint

    package static func create(on serverURL: String, prefix: String = "onboard_test") async throws -> PostgresScratchDatabase {
        let endpoint = try PostgresEndpoint(url: serverURL)
        let name = prefix + "_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await run("CREATE DATABASE \(name)", on: endpoint)
        guard var components = URLComponents(string: serverURL) else {
            throw StoreError(.io, "the database URL \(endpoint) is not a URL")
        }
        components.path = "/" + name
        return PostgresScratchDatabase(url: components.string ?? serverURL, name: name, endpoint: endpoint)
    }

    /// Drops the database, ending any session still connected to it (a store a failed test did not close).
    package func drop() async {
        try? await Self.run("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", on: endpoint)
    }

    private static func run(_ sql: String, on endpoint: PostgresEndpoint) async throws {
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
