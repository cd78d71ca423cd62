// Group commit: writes waiting at the same moment share one commit, and each keeps its own outcome.
import Foundation
import GRDB
import OnboardCore
import Synchronization
import Testing

@testable import OnboardSQLite

@Suite("SQLite group commit")
struct GroupCommitTests {
    /// Holds the writer until `count` writes are queued behind it, then lets them run: they are then one group
    /// (the writer takes every write waiting when it starts).
    private func grouped<T: Sendable>(
        _ store: SQLiteCheckpointStore, _ count: Int, _ writes: [@Sendable () async throws -> T]
    ) async throws -> [Result<T, any Error>] {
        let release = Atomic<Bool>(false)
        let blocked = Atomic<Bool>(false)
        store.writer.occupy { _ in
            blocked.store(true, ordering: .sequentiallyConsistent)
            while !release.load(ordering: .sequentiallyConsistent) { usleep(1000) }
        }
        while !blocked.load(ordering: .sequentiallyConsistent) { try await Task.sleep(for: .milliseconds(1)) }
        let before = store.commitStatistics.writes
        return try await withThrowingTaskGroup(of: (Int, Result<T, any Error>).self) { group in
            for (index, write) in writes.enumerated() {
                group.addTask {
                    do { return (index, .success(try await write())) } catch { return (index, .failure(error)) }
                }
            }
            while store.commitStatistics.writes - before < count { try await Task.sleep(for: .milliseconds(1)) }
            release.store(true, ordering: .sequentiallyConsistent)
            var results = [Result<T, any Error>?](repeating: nil, count: writes.count)
            for try await (index, result) in group { results[index] = result }
            return results.map { $0! }
        }
    }

    private func code(_ result: Result<some Sendable, any Error>) -> StoreError.Code? {
        if case .failure(let error) = result { return (error as? StoreError)?.code ?? .io }
        return nil
    }

    @Test("Writes queued together share one commit; a write whose lease was lost fails alone")
    func leaseLostFailsAlone() async throws {
        try await withStore { store, _ in
            var leases: [Lease] = []
            for index in 0..<6 {
                let run = sampleRun("acme-\(index)")
                _ = try await store.createRun(run, stepIDs: quickstartSteps)
                leases.append(try await takeLease(store, run.id))
            }
            // Another execution takes run 2 over: the first lease of run 2 may no longer write.
            let stale = leases[2]
            _ = try await store.acquireLease(runID: stale.runID, owner: "other", duration: .seconds(60), replacing: stale.owner)
            let before = store.commitStatistics
            let results = try await grouped(store, 6, leases.map { lease in
                { try await store.setStepState(lease, stepID: "create_account", status: .failed, lastError: "x", nextRetryAt: nil) }
            })
            #expect(results.map(code) == [nil, nil, .leaseLost, nil, nil, nil])
            let after = store.commitStatistics
            #expect(after.writes - before.writes == 6)
            #expect(after.commits - before.commits == 1)
            #expect(after.largestGroup >= 6)
            for (index, lease) in leases.enumerated() {
                let status = try await store.steps(runID: lease.runID).first { $0.stepID == "create_account" }?.status
                #expect(status == (index == 2 ? .pending : .failed))
            }
        }
    }

    @Test("Two writes of one group claiming the same value: one holds it, the other gets claimConflict and keeps nothing")
    func claimConflictFailsAlone() async throws {
        try await withStore { store, _ in
            var leases: [Lease] = []
            var attempts: [Int64] = []
            for key in ["a", "b"] {
                let run = sampleRun(key)
                _ = try await store.createRun(run, stepIDs: quickstartSteps)
                let lease = try await takeLease(store, run.id)
                leases.append(lease)
                attempts.append(try #require(try await store.beginAttempt(sampleAttempt(run, "buy_number"), lease: lease).id))
            }
            let claim = Claim(scope: "phone_number", value: "+18015550100")
            let writes: [@Sendable () async throws -> Void] = zip(leases, attempts).map { lease, id in
                {
                    try await store.completeStep(
                        lease, stepID: "buy_number", outputs: ["phone_number": "+18015550100"], inputDigest: "d",
                        claims: [claim], attempt: FinishedAttempt(id: id, statusCode: 200, at: .init(wall: time(20))))
                }
            }
            let results = try await grouped(store, 2, writes)
            let codes = results.map(code)
            #expect(codes.filter { $0 == nil }.count == 1 && codes.filter { $0 == .claimConflict }.count == 1)
            let winner = try #require(codes.firstIndex { $0 == nil })
            let loser = 1 - winner
            #expect(try await store.claimHolder(claim) == leases[winner].runID)
            let lost = try #require(try await store.steps(runID: leases[loser].runID).first { $0.stepID == "buy_number" })
            #expect(lost.status == .running && lost.outputs.isEmpty)
            // Its attempt's outcome went with the rest of its write.
            #expect(try await store.attempts(runID: leases[loser].runID, stepID: "buy_number").first?.outcome == nil)
        }
    }

    @Test("Purchases of one group beyond the ceiling are refused one by one; the group commits with one sync")
    func purchaseCeilingInAGroup() async throws {
        try await withStore { store, _ in
            var leases: [Lease] = []
            var runs: [RunRecord] = []
            for index in 0..<4 {
                let run = sampleRun("acme/\(index)", kind: .subscriber, batchID: "b1")
                _ = try await store.createRun(run, stepIDs: quickstartSteps)
                runs.append(run)
                leases.append(try await takeLease(store, run.id))
            }
            try await store.setPurchaseCeiling(scope: "b1", maxPurchases: 2)
            let before = store.commitStatistics
            let writes: [@Sendable () async throws -> AttemptRecord] = zip(runs, leases).map { run, lease in
                {
                    var attempt = sampleAttempt(run, "buy_number")
                    attempt.effect = .purchase
                    return try await store.beginAttempt(attempt, lease: lease)
                }
            }
            let results = try await grouped(store, 4, writes)
            let codes = results.map(code)
            #expect(codes.filter { $0 == nil }.count == 2 && codes.filter { $0 == .purchaseCeiling }.count == 2)
            #expect(try await store.purchaseUsage(scope: "b1").used == 2)
            for (run, code) in zip(runs, codes) {
                #expect(try await store.attempts(runID: run.id, stepID: nil).count == (code == nil ? 1 : 0))
            }
            let after = store.commitStatistics
            #expect(after.commits - before.commits == 1)
            #expect(after.syncs - before.syncs == 1)
            #expect(after.syncedWrites - before.syncedWrites == 4)
        }
    }

    @Test("A group SQLite gives up as a whole is run again write by write: only the failing write fails")
    func abortedGroupRunsAlone() async throws {
        try await withStore { store, _ in
            var leases: [Lease] = []
            for index in 0..<3 {
                let run = sampleRun("acme-\(index)")
                _ = try await store.createRun(run, stepIDs: quickstartSteps)
                leases.append(try await takeLease(store, run.id))
            }
            let writes: [@Sendable () async throws -> Void] = leases.enumerated().map { index, lease in
                if index == 1 {
                    // As SQLite does on a full disk or an I/O error: the whole transaction is rolled back.
                    return { try await store.writer.write(synced: false) { db in
                        try db.execute(sql: "ROLLBACK")
                        throw StoreError(.io, "the disk is full")
                    } }
                }
                return { try await store.setStepState(lease, stepID: "create_account", status: .failed, lastError: "x", nextRetryAt: nil) }
            }
            let results = try await grouped(store, 3, writes)
            #expect(results.map(code) == [nil, .io, nil])
            for index in [0, 2] {
                let status = try await store.steps(runID: leases[index].runID).first { $0.stepID == "create_account" }?.status
                #expect(status == .failed)
            }
        }
    }

    @Test("Without group commit every write is a commit of its own")
    func groupingOff() async throws {
        try await withTemporaryDirectory { folder in
            let store = try SQLiteCheckpointStore(path: folder.appendingPathComponent("o.sqlite").path, groupCommit: false)
            defer { try? store.close() }
            var leases: [Lease] = []
            for index in 0..<4 {
                let run = sampleRun("acme-\(index)")
                _ = try await store.createRun(run, stepIDs: quickstartSteps)
                leases.append(try await takeLease(store, run.id))
            }
            let before = store.commitStatistics
            let results = try await grouped(store, 4, leases.map { lease in
                { try await store.setStepState(lease, stepID: "create_account", status: .failed, lastError: "x", nextRetryAt: nil) }
            })
            #expect(results.allSatisfy { code($0) == nil })
            #expect(store.commitStatistics.commits - before.commits == 4)
        }
    }
}
