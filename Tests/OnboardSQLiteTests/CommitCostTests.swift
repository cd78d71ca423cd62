import Foundation
import GRDB
import OnboardCore
import OnboardSQLite
import Testing

/// Prints what the hot path costs on this disk; figures are reported, never asserted.
@Suite("Commit cost")
struct CommitCostTests {
    @Test("beginAttempt + completeStep on disk (printed)")
    func beginAndComplete() async throws {
        try await withStore { store, path in
            let pairs = 100
            let full = try await measure(store, pairs: pairs, key: "full")
            // For comparison only: the same with synchronous = NORMAL, which the store does not use.
            try await store.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
            let normal = try await measure(store, pairs: pairs, key: "normal")
            try await store.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            print(
                "commit cost (\(pairs) pairs, \(path)): beginAttempt+completeStep = "
                    + String(format: "%.3f ms with synchronous=FULL, %.3f ms with NORMAL", full * 1000, normal * 1000))
        }
    }

    /// Mean seconds per beginAttempt + completeStep pair, each pair on a step of its own.
    private func measure(_ store: SQLiteCheckpointStore, pairs: Int, key: String) async throws -> Double {
        let run = sampleRun(key)
        let stepIDs = (0..<pairs).map { "step_\($0)" }
        _ = try await store.createRun(run, stepIDs: stepIDs)
        let clock = ContinuousClock()
        let elapsed = try await clock.measure {
            for stepID in stepIDs {
                let attempt = try await store.beginAttempt(sampleAttempt(run, stepID))
                try await store.completeStep(
                    runID: run.id, stepID: stepID, outputs: ["id": .string("ID-\(stepID)"), "number": "8015550100"],
                    inputDigest: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                    claims: [Claim(scope: "thing", value: "\(key)-\(stepID)")], attemptID: attempt.id, at: time(1))
            }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return seconds / Double(pairs)
    }
}
