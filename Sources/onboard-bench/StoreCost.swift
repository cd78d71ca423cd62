import ArgumentParser
import Foundation
import OnboardCore
import OnboardSQLite

/// `store`: the cost of one checkpoint write and one read, the unit the engine's overhead is made of; and of the
/// commit pair every step of a run pays (its attempt, then its outputs), under each durability.
struct StoreCost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Cost of single store calls (write, synced write, read) and of a step's commit pair per durability.",
        discussion: "Example: swift run -c release onboard-bench store --count 2000")

    @Option(help: "Calls per kind.")
    var count: Int = 2000

    @Option(help: "Write the figures as JSON to this file.")
    var json: String?

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive (got \(count)).") }
    }

    func run() async throws {
        let directory = try BenchFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteCheckpointStore(path: directory.appendingPathComponent("s.sqlite").path)
        let now = Date()
        let run = try await store.createRun(
            RunRecord(id: "r1", key: "k", kind: .single, workflow: "w", definitionDigest: "d", inputsDigest: "i",
                inputs: [:], createdAt: now, updatedAt: now), stepIDs: ["a"])
        guard case .acquired(let lease) = try await store.acquireLease(
            runID: run.id, owner: LeaseOwner.make().rawValue, duration: .seconds(600), replacing: nil)
        else { throw ValidationError("could not take the lease of the benchmark's run") }
        let clock = ContinuousClock()
        var start = clock.now
        for _ in 0..<count {
            try await store.setStepState(lease, stepID: "a", status: .running, lastError: nil, nextRetryAt: nil)
        }
        let write = (clock.now - start).seconds * 1e6 / Double(count)
        start = clock.now
        for index in 0..<count {
            _ = try await store.beginAttempt(
                AttemptRecord(
                    runID: run.id, stepID: "a", purpose: .send, effect: .purchase, idempotencyKey: "k\(index)",
                    method: "POST", path: "/x", startedAt: Date()),
                lease: lease)
        }
        let synced = (clock.now - start).seconds * 1e6 / Double(count)
        start = clock.now
        for _ in 0..<count { _ = try await store.steps(runID: run.id) }
        let read = (clock.now - start).seconds * 1e6 / Double(count)
        let pair = try await stepCommitPair(.beforeRequests, in: directory)
        let pairEveryCommit = try await stepCommitPair(.everyCommit, in: directory)
        try writeFigures([
            "scenario": "store", "count": .int(count), "write_us": .double(write), "synced_write_us": .double(synced),
            "read_us": .double(read), "step_pair_us": .double(pair), "step_pair_every_commit_us": .double(pairEveryCommit),
        ], to: json)
    }

    /// Mean µs of `beginAttempt` (a send) + `completeStep` (outputs, digest, a claim), each pair on a step of its
    /// own, on a new database file with `durability`: what checkpointing one step costs on this disk.
    private func stepCommitPair(_ durability: SQLiteCheckpointStore.Durability, in directory: URL) async throws -> Double {
        let path = directory.appendingPathComponent("pair-\(durability.rawValue).sqlite").path
        let store = try SQLiteCheckpointStore(path: path, durability: durability)
        defer { try? store.close() }
        let stepIDs = (0..<count).map { "step_\($0)" }
        let now = Date()
        let run = try await store.createRun(
            RunRecord(id: "r-pair", key: "pair", kind: .single, workflow: "w", definitionDigest: "d", inputsDigest: "i",
                inputs: [:], createdAt: now, updatedAt: now), stepIDs: stepIDs)
        guard case .acquired(let lease) = try await store.acquireLease(
            runID: run.id, owner: LeaseOwner.make().rawValue, duration: .seconds(600), replacing: nil)
        else { throw ValidationError("could not take the lease of the benchmark's run") }
        let clock = ContinuousClock()
        let start = clock.now
        for stepID in stepIDs {
            let attempt = try await store.beginAttempt(
                AttemptRecord(
                    runID: run.id, stepID: stepID, purpose: .send, effect: .create,
                    idempotencyKey: "\(run.id)/\(stepID)/1", method: "POST", path: "/x", startedAt: Date()),
                lease: lease)
            try await store.completeStep(
                lease, stepID: stepID, outputs: ["id": .string("ID-\(stepID)"), "number": "8015550100"],
                inputDigest: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                claims: [Claim(scope: "thing", value: stepID)],
                attempt: attempt.id.map { FinishedAttempt(id: $0, statusCode: 200, at: ClockReading(wall: Date())) })
        }
        return (clock.now - start).seconds * 1e6 / Double(count)
    }
}
