import Foundation
import OnboardCore
import OnboardPostgres
import OnboardRuntime
import Testing

/// The backends an end-to-end test of shared work (workers, the spend ceiling across processes) runs on: SQLite
/// always, PostgreSQL when `ONBOARD_TEST_POSTGRES_URL` names a server (`.ci/run` starts one).
enum Backend: String, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }

    static let postgresVariable = "ONBOARD_TEST_POSTGRES_URL"
    static let postgresServer: String? = ProcessInfo.processInfo.environment[postgresVariable].flatMap {
        $0.isEmpty ? nil : $0
    }

    /// SQLite, and PostgreSQL when a server is given; without one, says once that the PostgreSQL cases are skipped.
    static var available: [Backend] {
        guard postgresServer != nil else {
            _ = skippedNotice
            return [.sqlite]
        }
        return [.sqlite, .postgres]
    }

    private static let skippedNotice: Void = {
        FileHandle.standardError.write(
            Data(
                ("note: \(postgresVariable) is not set, so the end-to-end tests of workers and of the spend ceiling "
                    + "run on SQLite only (their PostgreSQL cases are skipped); set it to a PostgreSQL server "
                    + "(postgres://USER@127.0.0.1:PORT/postgres) to run them there too, as .ci/run does\n").utf8))
    }()
}

/// One fresh database for a test: a file in the test's folder, or a schema of its own on the PostgreSQL server
/// (dropped afterwards), so tests never see each other's runs.
struct TestDatabase: Sendable {
    let backend: Backend
    /// What `--db` gets (for PostgreSQL the server URL with `?schema=`).
    let argument: String

    var location: StoreLocation { StoreLocation(argument) }

    /// Runs `body` with a new database of `backend`; removes it afterwards whatever happens.
    static func with<T: Sendable>(
        _ backend: Backend, in directory: URL, _ body: (TestDatabase) async throws -> T
    ) async throws -> T {
        switch backend {
        case .sqlite:
            return try await body(TestDatabase(backend: .sqlite, argument: directory.appendingPathComponent("shared.sqlite").path))
        case .postgres:
            let scratch = try PostgresScratchSchema(on: try #require(Backend.postgresServer), prefix: "onboard_e2e")
            do {
                let result = try await body(TestDatabase(backend: .postgres, argument: scratch.url))
                await scratch.drop()
                return result
            } catch {
                await scratch.drop()
                throw error
            }
        }
    }

    /// Runs `body` with a store open on this database (as another process would see it), closed afterwards.
    func withStore<T: Sendable>(_ body: (any CheckpointStore) async throws -> T) async throws -> T {
        let store = try await location.open(create: false)
        do {
            let result = try await body(store)
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }
}
