import ArgumentParser
import Foundation
import OnboardCore
import OnboardSQLite

/// `store`: the cost of one checkpoint write and one read, the unit the engine's overhead is made of.
struct StoreCost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store", abstract: "Cost of single store calls (write, synced write, read).",
        discussion: "Example: swift run -c release onboard-bench store --count 2000")

    @Option(help: "Calls per kind.")
    var count: Int = 2000

    @Option(help: "Write the figures as JSON to this file.")
    var json: String?

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
        try writeFigures([
            "scenario": "store", "write_us": .double(write), "synced_write_us": .double(synced), "read_us": .double(read),
        ], to: json)
    }
}
