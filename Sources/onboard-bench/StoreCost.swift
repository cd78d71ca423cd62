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
        let clock = ContinuousClock()
        var start = clock.now
        for _ in 0..<count { try await store.setRunStatus(runID: run.id, status: .running, lastError: nil, at: Date()) }
        let write = (clock.now - start).seconds * 1e6 / Double(count)
        start = clock.now
        for index in 0..<count {
            _ = try await store.beginAttempt(AttemptRecord(runID: run.id, stepID: "a", purpose: .send, idempotencyKey: "k\(index)", method: "POST", path: "/x", startedAt: Date()))
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
