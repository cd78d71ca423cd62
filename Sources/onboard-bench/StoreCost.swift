import ArgumentParser
import Foundation
import OnboardCore
import OnboardRuntime
import OnboardSQLite

/// `store`: the cost of one checkpoint write and one read, the unit the engine's overhead is made of; of the
/// commit pair every step of a run pays (its attempt, then its outputs); and of the coordination calls a worker
/// makes (a request slot, a lock, a claim). On SQLite (the default, a new file) or PostgreSQL (`--db URL`).
struct StoreCost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Cost of single store calls (write, synced write, read), of a step's commit pair, and of coordination calls.",
        discussion: """
            Examples:
              swift run -c release onboard-bench store --count 2000
              swift run -c release onboard-bench store --count 2000 --db postgres://onboard@127.0.0.1:5432/bench
            On PostgreSQL the runs are written under new keys, so the same database can be measured again.
            """)

    @Option(help: "Calls per kind.")
    var count: Int = 2000

    @Option(help: "The database: a SQLite file (default: a new temporary one) or a postgres:// URL.")
    var db: String?

    @Option(help: "Write the figures as JSON to this file.")
    var json: String?

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive (got \(count)).") }
    }

    func run() async throws {
        let directory = try BenchFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let location = db.map { StoreLocation($0) } ?? .sqlite(path: directory.appendingPathComponent("s.sqlite").path)
        let store = try await location.open(create: true)
        var figures: [String: JSONValue]
        do {
            figures = try await measure(store)
            try await store.close()
        } catch {
            try? await store.close()
            throw error
        }
        if case .sqlite = location {
            // The other durability, on a file of its own (PostgreSQL has no such switch: see its store's docs).
            let path = directory.appendingPathComponent("every-commit.sqlite").path
            let everyCommit = try SQLiteCheckpointStore(path: path, durability: .everyCommit)
            defer { try? everyCommit.close() }
            figures["step_pair_every_commit_us"] = .double(try await stepCommitPair(everyCommit, tag: UUID().uuidString))
        }
        figures["backend"] = .string(location.isPostgres ? "postgres" : "sqlite")
        try writeFigures(figures, to: json)
    }

    private func measure(_ store: any CheckpointStore) async throws -> [String: JSONValue] {
        let tag = UUID().uuidString
        let (run, lease) = try await leasedRun(store, key: "bench-\(tag)", stepIDs: ["a"])
        let clock = ContinuousClock()
        var start = clock.now
        for _ in 0..<count {
            try await store.setStepState(lease, stepID: "a", status: .running, lastError: nil, nextRetryAt: nil)
        }
        let write = microseconds(since: start)
        start = clock.now
        for index in 0..<count {
            _ = try await store.beginAttempt(
                AttemptRecord(
                    runID: run.id, stepID: "a", purpose: .send, effect: .purchase, idempotencyKey: "k\(index)",
                    method: "POST", path: "/x", startedAt: Date()),
                lease: lease)
        }
        let synced = microseconds(since: start)
        start = clock.now
        for _ in 0..<count { _ = try await store.steps(runID: run.id) }
        let read = microseconds(since: start)
        let pair = try await stepCommitPair(store, tag: tag)
        start = clock.now
        for _ in 0..<count {
            _ = try await store.reserveRequestSlot(credential: "bench-\(tag)", limit: 1_000_000, window: .seconds(1))
        }
        let reserve = microseconds(since: start)
        start = clock.now
        for _ in 0..<count { try await store.withLock("bench-\(tag)", exclusive: false) {} }
        let lock = microseconds(since: start)
        let claim = try await claimCost(store, tag: tag)
        return [
            "scenario": "store", "count": .int(count), "write_us": .double(write), "synced_write_us": .double(synced),
            "read_us": .double(read), "step_pair_us": .double(pair), "reserve_us": .double(reserve),
            "lock_us": .double(lock), "claim_us": .double(claim),
        ]
    }

    /// Mean µs of `beginAttempt` (a send that creates) + `completeStep` (outputs, digest, a claim), each pair on a
    /// step of its own: what checkpointing one step costs.
    private func stepCommitPair(_ store: any CheckpointStore, tag: String) async throws -> Double {
        let stepIDs = (0..<count).map { "step_\($0)" }
        let (run, lease) = try await leasedRun(store, key: "pair-\(tag)", stepIDs: stepIDs)
        let start = ContinuousClock.now
        for stepID in stepIDs {
            let attempt = try await store.beginAttempt(
                AttemptRecord(
                    runID: run.id, stepID: stepID, purpose: .send, effect: .create,
                    idempotencyKey: "\(run.id)/\(stepID)/1", method: "POST", path: "/x", startedAt: Date()),
                lease: lease)
            try await store.completeStep(
                lease, stepID: stepID, outputs: ["id": .string("ID-\(stepID)"), "number": "8015550100"],
                inputDigest: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                claims: [Claim(scope: "thing-\(tag)", value: stepID)],
                attempt: attempt.id.map { FinishedAttempt(id: $0, statusCode: 200, at: ClockReading(wall: Date())) })
        }
        return microseconds(since: start)
    }

    /// Mean µs of `claimRunnable` taking one of `count` pending runs of a batch (the runs are created first, not
    /// timed).
    private func claimCost(_ store: any CheckpointStore, tag: String) async throws -> Double {
        let batch = "claims-\(tag)"
        let now = Date()
        for index in 0..<count {
            _ = try await store.createRun(
                RunRecord(
                    id: "c\(index)-\(tag)", key: "claim-\(index)-\(tag)", kind: .single, batchID: batch, workflow: "w",
                    definitionDigest: "d", inputsDigest: "i", inputs: [:], createdAt: now, updatedAt: now),
                stepIDs: ["a"])
        }
        let owner = LeaseOwner.make().rawValue
        let start = ContinuousClock.now
        for _ in 0..<count {
            guard try await store.claimRunnable(batchID: batch, owners: [owner], duration: .seconds(600)).count == 1 else {
                throw ValidationError("a benchmark run could not be claimed")
            }
        }
        return microseconds(since: start)
    }

    private func leasedRun(_ store: any CheckpointStore, key: String, stepIDs: [String]) async throws -> (RunRecord, Lease) {
        let now = Date()
        let run = try await store.createRun(
            RunRecord(id: "r-\(key)", key: key, kind: .single, workflow: "w", definitionDigest: "d", inputsDigest: "i",
                inputs: [:], createdAt: now, updatedAt: now), stepIDs: stepIDs)
        guard case .acquired(let lease) = try await store.acquireLease(
            runID: run.id, owner: LeaseOwner.make().rawValue, duration: .seconds(600), replacing: nil)
        else { throw ValidationError("could not take the lease of the benchmark's run") }
        return (run, lease)
    }

    private func microseconds(since start: ContinuousClock.Instant) -> Double {
        (ContinuousClock.now - start).seconds * 1e6 / Double(count)
    }
}

extension StoreLocation {
    var isPostgres: Bool {
        if case .postgres = self { return true }
        return false
    }
}
