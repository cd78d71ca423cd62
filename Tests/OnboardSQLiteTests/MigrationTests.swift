import Crypto
import Foundation
import GRDB
import OnboardSQLite
import Testing

/// The repository's `migrations/sqlite/` folder, found from this file's place in the source tree.
private let migrationsFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // OnboardSQLiteTests
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()  // the package root
    .appendingPathComponent("migrations/sqlite", isDirectory: true)

/// SHA-256 of every shipped migration. A shipped file is never edited: if this test fails for an existing file,
/// undo the edit and add a new migration instead. A new file gets its pin here when it ships
/// (`scripts/embed-migrations.sh` prints the hashes).
private let pinnedHashes: [String: String] = [
    "0001_initial.sql": "27a6031217e463196d2c810ef04676826c2240cd54d2936305f06edf3b6cb424",
    "0002_fencing.sql": "fb0b58edafebde76e47864e588f43be981285501ddf4a8ce07895156713e8252",
    "0003_coordination.sql": "393033e6491e63250150c4d3225ac8a833973f3ce58300850e47ad9e91ad4622",
    "0004_pages.sql": "e6f8f244a92e39143c267a54fe4914585d7f1ddab88f31ad06757cc813eec6d4",
    "0005_accepted_changes.sql": "a69f3b214373a29256ce79dc4992b27e4d12ee65f98125d0fcc7f4a1ad740c0f",
]


/// Lowercase hex SHA-256 (swift-crypto), as `sha256sum` and `scripts/embed-migrations.sh` print it.
private func sha256Hex(_ data: Data) -> String {
    SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}

@Suite("Migrations")
struct MigrationTests {
    private func filesOnDisk() throws -> [(name: String, data: Data)] {
        try FileManager.default.contentsOfDirectory(atPath: migrationsFolder.path)
            .sorted()
            .map { name in (name, try Data(contentsOf: migrationsFolder.appendingPathComponent(name))) }
    }

    @Test("Files are named NNNN_name.sql, numbered from 0001 without gaps")
    func names() throws {
        let names = try filesOnDisk().map(\.name)
        #expect(!names.isEmpty)
        for (index, name) in names.enumerated() {
            #expect(name.wholeMatch(of: /[0-9]{4}_[a-z0-9_]+\.sql/) != nil, "\(name)")
            #expect(name.hasPrefix(String(format: "%04d_", index + 1)), "\(name)")
        }
    }

    @Test("The embedded copy equals migrations/ byte for byte (else run scripts/embed-migrations.sh)")
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

    @Test("The migrator registers every file under its name, and a fresh database applies them all")
    func migratorMatchesFiles() async throws {
        let migrator = SQLiteCheckpointStore.migrator()
        #expect(migrator.migrations == embeddedMigrations.map(\.id))
        try await withStore { store, _ in
            let applied = try await store.pool.read { db in try migrator.appliedMigrations(db) }
            #expect(applied == embeddedMigrations.map(\.id))
            let tables = try await store.pool.read { db in
                try String.fetchAll(
                    db,
                    sql:
                        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            }
            #expect(
                tables == [
                    "accepted_changes", "attempts", "batches", "claims", "grdb_migrations", "input_versions", "purchase_budgets",
                    "purchase_slots", "request_budgets", "request_reservations", "runs", "steps", "workflows",
                ])
        }
    }
}
