import Crypto
import Foundation
import OnboardCore
import OnboardPostgres
import PostgresNIO
import Testing

/// The repository's `migrations/` folder, found from this file's place in the source tree.
private let migrationsRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // OnboardPostgresTests
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()  // the package root
    .appendingPathComponent("migrations", isDirectory: true)
private let migrationsFolder = migrationsRoot.appendingPathComponent("postgres", isDirectory: true)

/// SHA-256 of every shipped migration. A shipped file is never edited: if this test fails for an existing file,
/// undo the edit and add a new migration instead. A new file gets its pin here when it ships
/// (`scripts/embed-migrations.sh` prints the hashes).
private let pinnedHashes: [String: String] = [
    "0001_initial.sql": "fa0bdad6da05f4b3d2eaea711878ee7bbec069b7e4acecb1ad417081094682f5",
    "0002_fencing.sql": "f2aeb6e0f9dc959653e9d333c69c96ea2f406f3b0115d39bd821c8462c640134",
    "0003_coordination.sql": "6b3f81bc3e5bfd504d3b96a2a5387d34fb137e4b5cdbb6c89b16c3310e642bb2",
    "0004_pages.sql": "25cb0c828c5ddcc6f1c3686d2b76a461b4636017c921c43132a46ef9b8e6fb8c",
    "0005_accepted_changes.sql": "fdc9b07f64a38ac73662581d5f1e42f38880af62ae5efe3382b48163a9a786c0",
]

private func sha256Hex(_ data: Data) -> String {
    SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}

private func names(in folder: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
}

@Suite("PostgreSQL migrations: files")
struct MigrationFileTests {
    private func filesOnDisk() throws -> [(name: String, data: Data)] {
        try names(in: migrationsFolder).map { ($0, try Data(contentsOf: migrationsFolder.appendingPathComponent($0))) }
    }

    @Test("Files are named NNNN_name.sql, numbered from 0001 without gaps, as migrations/sqlite/ is")
    func namesMatchSQLite() throws {
        let postgres = try names(in: migrationsFolder)
        #expect(!postgres.isEmpty)
        for (index, name) in postgres.enumerated() {
            #expect(name.wholeMatch(of: /[0-9]{4}_[a-z0-9_]+\.sql/) != nil, "\(name)")
            #expect(name.hasPrefix(String(format: "%04d_", index + 1)), "\(name)")
        }
        #expect(postgres == (try names(in: migrationsRoot.appendingPathComponent("sqlite"))), "one migration per number in both folders")
    }

    @Test("The embedded copy equals migrations/postgres/ byte for byte (else run scripts/embed-migrations.sh)")
    func embeddedCopyIsCurrent() throws {
        let disk = try filesOnDisk()
        #expect(embeddedMigrations.map(\.id) == disk.map(\.name))
        for (embedded, file) in zip(embeddedMigrations, disk) {
            #expect(Data(embedded.sql.utf8) == file.data, "\(file.name) differs from its embedded copy")
        }
    }

    @Test("Shipped migrations match their pinned SHA-256")
    func pinnedHashesHold() throws {
        let disk = try filesOnDisk()
        #expect(Set(pinnedHashes.keys) == Set(disk.map(\.name)), "every file is pinned, and every pin has its file")
        for file in disk {
            #expect(sha256Hex(file.data) == pinnedHashes[file.name], "\(file.name) was edited after it shipped")
        }
    }
}

@Suite("PostgreSQL migrations: against a server", .enabled(if: TestServer.url != nil, "ONBOARD_TEST_POSTGRES_URL is not set"))
struct MigrationServerTests {
    @Test("A new schema gets every migration once, even when four processes open it at the same moment")
    func concurrentOpens() async throws {
        try await TestServer.withScratch { scratch in
            let stores = try await withThrowingTaskGroup(of: PostgresCheckpointStore.self) { group in
                for _ in 0..<4 { group.addTask { try await PostgresCheckpointStore(url: scratch.url) } }
                return try await group.reduce(into: [PostgresCheckpointStore]()) { $0.append($1) }
            }
            for store in stores { try await store.close() }
            let applied = try await TestServer.query("SELECT id FROM \(scratch.name).onboard_migrations ORDER BY id")
            #expect(applied == embeddedMigrations.map(\.id))
            let tables = try await TestServer.query(
                "SELECT tablename FROM pg_tables WHERE schemaname = '\(scratch.name)' ORDER BY tablename")
            #expect(
                tables == [
                    "accepted_changes", "attempts", "batches", "claims", "input_versions", "onboard_migrations", "purchase_budgets",
                    "purchase_slots", "request_budgets", "request_reservations", "runs", "steps", "workflows",
                ])
        }
    }

    @Test("A database with a migration this release does not know is refused, and left as it is")
    func supersededSchema() async throws {
        try await TestServer.withScratch { scratch in
            try await PostgresCheckpointStore(url: scratch.url).close()
            _ = try await TestServer.query(
                "INSERT INTO \(scratch.name).onboard_migrations (id) VALUES ('9999_future.sql') RETURNING id")
            await #expect {
                try await PostgresCheckpointStore(url: scratch.url).close()
            } throws: { error in
                guard let error = error as? StoreError else { return false }
                return error.code == .supersededSchema && error.message.contains("9999_future.sql")
            }
            let applied = try await TestServer.query("SELECT id FROM \(scratch.name).onboard_migrations ORDER BY id")
            #expect(applied == embeddedMigrations.map(\.id) + ["9999_future.sql"])
        }
    }

    @Test("Without create, a schema with no onboard tables is refused as notFound and nothing is created")
    func readOnlyCreatesNothing() async throws {
        try await TestServer.withScratch { scratch in
            await #expect {
                try await PostgresCheckpointStore(url: scratch.url, create: false).close()
            } throws: { ($0 as? StoreError)?.code == .notFound }
            let schemas = try await TestServer.query("SELECT nspname::text FROM pg_namespace WHERE nspname = '\(scratch.name)'")
            #expect(schemas.isEmpty)
        }
    }

    @Test("Errors name the database without its password and say what failed")
    func errorsNameTheDatabase() async throws {
        let server = try #require(TestServer.url)
        var components = try #require(URLComponents(string: server))
        components.password = "s3cret-pw"
        components.path = "/onboard_no_such_database"
        let url = try #require(components.string)
        await #expect {
            try await PostgresCheckpointStore(url: url).close()
        } throws: { error in
            let text = "\(error)"
            return (error as? StoreError)?.code == .io && !text.contains("s3cret-pw")
                && text.contains("onboard_no_such_database") && text.contains("3D000")
        }
        components.port = 1  // nothing listens there
        components.path = "/postgres"
        await #expect {
            try await PostgresCheckpointStore(url: try #require(components.string)).close()
        } throws: { error in
            let text = "\(error)"
            return !text.contains("s3cret-pw") && text.contains("connection to the server failed")
        }
    }
}

/// The server of `ONBOARD_TEST_POSTGRES_URL`, when set.
enum TestServer {
    static let url: String? = ProcessInfo.processInfo.environment["ONBOARD_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    static func withScratch(_ body: (PostgresScratchSchema) async throws -> Void) async throws {
        let scratch = try PostgresScratchSchema(on: try #require(url))
        do {
            try await body(scratch)
        } catch {
            await scratch.drop()
            throw error
        }
        await scratch.drop()
    }

    /// The first column of every row of `sql` (text), in the server URL's database.
    static func query(_ sql: String) async throws -> [String] {
        let server = try #require(url)
        let components = try #require(URLComponents(string: server))
        let connection = try await PostgresConnection.connect(
            configuration: .init(
                host: components.host ?? "127.0.0.1", port: components.port ?? 5432, username: components.user ?? "",
                password: components.password, database: String(components.path.dropFirst()), tls: .disable),
            id: 9, logger: .init(label: "test"))
        var values: [String] = []
        do {
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: .init(label: "test")) {
                values.append(try row.decode(String.self))
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try? await connection.close()
        return values
    }
}
