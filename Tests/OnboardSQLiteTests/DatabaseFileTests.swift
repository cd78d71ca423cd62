import Foundation
import GRDB
import OnboardCore
import OnboardSQLite
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@Suite("The database file")
struct DatabaseFileTests {
    private func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.posixPermissions] as? Int)
    }

    @Test("A new database and its -wal and -shm files are 0600, whatever the umask")
    func fileMode() async throws {
        try await withTemporaryDirectory { folder in
            let path = folder.appendingPathComponent("onboard.sqlite").path
            // The most permissive umask: only the store's own fchmod keeps group and others out.
            let previous = umask(0)
            defer { umask(previous) }
            let store = try SQLiteCheckpointStore(path: path)
            defer { try? store.close() }
            _ = try await store.createRun(sampleRun("acme"), stepIDs: ["a"])
            for file in [path, path + "-wal", path + "-shm"] {
                #expect(FileManager.default.fileExists(atPath: file), "\(file)")
                #expect(try mode(file) == 0o600, "\(file)")
            }
        }
    }

    @Test("An existing file keeps its mode")
    func existingFileMode() async throws {
        try await withTemporaryDirectory { folder in
            let path = folder.appendingPathComponent("onboard.sqlite").path
            #expect(FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o640]))
            let store = try SQLiteCheckpointStore(path: path)
            defer { try? store.close() }
            #expect(try mode(path) == 0o640)
            #expect(try mode(path + "-wal") == 0o640)
        }
    }

    @Test("A missing folder is a StoreError naming the path")
    func missingFolder() async throws {
        let path = "/nonexistent-\(UUID().uuidString)/onboard.sqlite"
        #expect {
            _ = try SQLiteCheckpointStore(path: path)
        } throws: { error in
            (error as? StoreError)?.code == .io && "\(error)".contains(path)
        }
    }

    @Test(
        "The connection runs WAL, foreign keys, a busy timeout, and the synchronous level of its durability",
        arguments: [(SQLiteCheckpointStore.Durability.beforeRequests, "1"), (.everyCommit, "2")])
    func pragmas(durability: SQLiteCheckpointStore.Durability, synchronous: String) async throws {
        try await withTemporaryDirectory { folder in
            let store = try SQLiteCheckpointStore(path: folder.appendingPathComponent("onboard.sqlite").path, durability: durability)
            defer { try? store.close() }
            let run = try await store.createRun(sampleRun("acme"), stepIDs: ["account"])
            let lease = try await takeLease(store, run.id)
            // A durable attempt (one that may create something) syncs its own commit and leaves the connection as
            // it was.
            _ = try await store.beginAttempt(
                AttemptRecord(
                    runID: run.id, stepID: "account", purpose: .send, effect: .create, idempotencyKey: "k",
                    method: "POST", path: "/x", startedAt: time()),
                lease: lease)
            let values = try await store.pool.write { db in
                [
                    try String.fetchOne(db, sql: "PRAGMA journal_mode"),
                    try String.fetchOne(db, sql: "PRAGMA synchronous"),
                    try String.fetchOne(db, sql: "PRAGMA foreign_keys"),
                    try String.fetchOne(db, sql: "PRAGMA busy_timeout"),
                ]
            }
            #expect(values == ["wal", synchronous, "1", "5000"])
            #expect(try await store.attempts(runID: run.id, stepID: nil).filter { $0.outcome == nil }.count == 1)
        }
    }

    @Test("Data survives closing and reopening the store")
    func reopen() async throws {
        try await withTemporaryDirectory { folder in
            let path = folder.appendingPathComponent("onboard.sqlite").path
            let run = sampleRun("acme", batchID: "b1")
            let batch = BatchRecord(
                id: "b1", manifestPath: "m.yaml", workflow: "quickstart", createdAt: time(), updatedAt: time())
            let claim = Claim(scope: "phone_number", value: "8015550100")
            let (steps, attempts): ([StepRecord], [AttemptRecord])
            let stored: RunRecord
            do {
                let store = try SQLiteCheckpointStore(path: path)
                _ = try await store.createBatch(batch)
                _ = try await store.createRun(run, stepIDs: quickstartSteps)
                let lease = try await takeLease(store, run.id)
                let attempt = try await store.beginAttempt(sampleAttempt(run, "buy_number"), lease: lease)
                try await store.completeStep(
                    lease, stepID: "buy_number", outputs: ["number": "8015550100", "cost": .double(0.5)],
                    inputDigest: "d", claims: [claim], attempt: attempt.id.map { FinishedAttempt(id: $0, statusCode: 200, at: .init(wall: time(20))) })
                _ = try await store.beginAttempt(sampleAttempt(run, "create_subscriber", at: time(13)), lease: lease)
                steps = try await store.steps(runID: run.id)
                attempts = try await store.attempts(runID: run.id, stepID: nil)
                stored = try #require(try await store.run(id: run.id))
                try store.close()
                await #expect(throws: StoreError.self) { try await store.run(id: run.id) }
            }
            let reopened = try SQLiteCheckpointStore(path: path)
            defer { try? reopened.close() }
            #expect(try await reopened.run(key: "acme") == stored)
            #expect(stored.status == .running && stored.leaseEpoch == 1)
            #expect(try await reopened.createBatch(batch) == batch)
            #expect(try await reopened.steps(runID: run.id) == steps)
            #expect(try await reopened.attempts(runID: run.id, stepID: nil) == attempts)
            #expect(try await reopened.attempts(runID: run.id, stepID: nil).filter { $0.outcome == nil }.map(\.stepID) == ["create_subscriber"])
            #expect(try await reopened.claimHolder(claim) == run.id)
        }
    }

    @Test("Times keep sub-millisecond precision")
    func timePrecision() async throws {
        try await withStore { store, _ in
            let now = Date()
            let run = sampleRun("acme", createdAt: now)
            _ = try await store.createRun(run, stepIDs: [])
            let stored = try #require(try await store.run(id: run.id))
            #expect(abs(stored.createdAt.timeIntervalSince(now)) < 1e-6)
        }
    }

    @Test("PRAGMA integrity_check and foreign_key_check pass after a workload")
    func integrity() async throws {
        try await withStore { store, _ in
            for index in 0..<5 {
                let run = sampleRun("acme/\(index)")
                _ = try await store.createRun(run, stepIDs: quickstartSteps)
                let lease = try await takeLease(store, run.id)
                for stepID in quickstartSteps {
                    let attempt = try await store.beginAttempt(sampleAttempt(run, stepID), lease: lease)
                    try await store.completeStep(
                        lease, stepID: stepID, outputs: ["id": .string("\(index)-\(stepID)")], inputDigest: "d",
                        claims: [Claim(scope: stepID, value: "\(index)")], attempt: attempt.id.map { FinishedAttempt(id: $0, statusCode: 200, at: .init(wall: time(20))) })
                }
                try await store.resetSteps(lease, stepIDs: ["create_subscriber"])
                try await store.repin(lease, definitionDigest: "d2", inputsDigest: "i2", inputs: ["x": 1], accepted: ["a"])
            }
            let (integrity, foreignKeyViolations) = try await store.pool.read { db in
                (
                    try String.fetchAll(db, sql: "PRAGMA integrity_check"),
                    try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").count
                )
            }
            #expect(integrity == ["ok"])
            #expect(foreignKeyViolations == 0)
        }
    }

    @Test("A database migrated by a newer release is refused, naming the file")
    func supersededSchema() async throws {
        try await withTemporaryDirectory { folder in
            let path = folder.appendingPathComponent("onboard.sqlite").path
            try SQLiteCheckpointStore(path: path).close()
            let queue = try DatabaseQueue(path: path)
            try await queue.write { db in
                #expect(
                    try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
                        == embeddedMigrations.map(\.id))
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999_from_the_future.sql')")
            }
            try queue.close()
            #expect {
                _ = try SQLiteCheckpointStore(path: path)
            } throws: { error in
                guard let error = error as? StoreError else { return false }
                return error.code == .supersededSchema && error.message.contains(path)
            }
        }
    }
}
