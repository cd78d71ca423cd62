import Foundation
import OnboardCore
import OnboardSQLite
import Testing

@Suite("Leases")
struct LeaseTests {
    @Test("Taking the lease marks the run running; finishing sets the final status and frees the lease at once")
    func startAndFinish() async throws {
        try await withStore { store, _ in
            let run = sampleRun("acme")
            _ = try await store.createRun(run, stepIDs: ["a"])
            try await store.setRunStatus(runID: run.id, status: .failed, lastError: "earlier", at: time(1))
            #expect(try await store.acquireLease(runID: run.id, owner: "A", until: time(30), now: time(2)))
            var stored = try #require(try await store.run(id: run.id))
            #expect(stored.status == .running && stored.lastError == nil && stored.leaseOwner == "A")
            // A refused acquisition changes nothing.
            #expect(try await store.acquireLease(runID: run.id, owner: "B", until: time(30), now: time(3)) == false)
            #expect(try await store.run(id: run.id)?.leaseOwner == "A")

            try await store.finishRun(runID: run.id, owner: "A", status: .inDoubt, lastError: "provision: ?", at: time(4))
            stored = try #require(try await store.run(id: run.id))
            #expect(stored.status == .inDoubt && stored.lastError == "provision: ?")
            #expect(stored.leaseOwner == nil && stored.leaseExpiresAt == nil)
            // Finishing with a lease another owner took records the status but leaves that lease alone.
            #expect(try await store.acquireLease(runID: run.id, owner: "B", until: time(30), now: time(5)))
            try await store.finishRun(runID: run.id, owner: "A", status: .failed, lastError: nil, at: time(6))
            #expect(try await store.run(id: run.id)?.leaseOwner == "B")
        }
    }

    @Test("Two owners contend: the holder keeps it until it expires, renew and release need ownership")
    func contention() async throws {
        try await withStore { store, _ in
            let run = sampleRun("acme")
            _ = try await store.createRun(run, stepIDs: ["a"])

            #expect(try await store.acquireLease(runID: run.id, owner: "A", until: time(30), now: time(0)))
            #expect(try await store.acquireLease(runID: run.id, owner: "B", until: time(40), now: time(10)) == false)
            // The holder may take it again (a resumed process with the same owner id).
            #expect(try await store.acquireLease(runID: run.id, owner: "A", until: time(35), now: time(10)))
            #expect(try await store.renewLease(runID: run.id, owner: "A", until: time(60)))
            #expect(try await store.renewLease(runID: run.id, owner: "B", until: time(99)) == false)
            var stored = try #require(try await store.run(id: run.id))
            #expect(stored.leaseOwner == "A")
            #expect(stored.leaseExpiresAt == time(60))

            // Exactly at the expiry instant the lease still holds; after it, anyone may take it.
            #expect(try await store.acquireLease(runID: run.id, owner: "B", until: time(120), now: time(60)) == false)
            #expect(try await store.acquireLease(runID: run.id, owner: "B", until: time(120), now: time(61)))
            #expect(try await store.renewLease(runID: run.id, owner: "A", until: time(200)) == false)

            // Releasing someone else's lease does nothing.
            try await store.releaseLease(runID: run.id, owner: "A")
            stored = try #require(try await store.run(id: run.id))
            #expect(stored.leaseOwner == "B")

            try await store.releaseLease(runID: run.id, owner: "B")
            stored = try #require(try await store.run(id: run.id))
            #expect(stored.leaseOwner == nil)
            #expect(stored.leaseExpiresAt == nil)
            #expect(try await store.acquireLease(runID: run.id, owner: "A", until: time(300), now: time(62)))
        }
    }

    @Test("Leases hold across two store instances on one file, as between two processes")
    func twoInstances() async throws {
        try await withStore { first, path in
            let run = sampleRun("acme")
            _ = try await first.createRun(run, stepIDs: ["a"])
            let second = try SQLiteCheckpointStore(path: path)
            defer { try? second.close() }

            #expect(try await first.acquireLease(runID: run.id, owner: "p1", until: time(30), now: time(0)))
            #expect(try await second.acquireLease(runID: run.id, owner: "p2", until: time(30), now: time(1)) == false)
            #expect(try await second.run(id: run.id)?.leaseOwner == "p1")
            try await first.releaseLease(runID: run.id, owner: "p1")
            #expect(try await second.acquireLease(runID: run.id, owner: "p2", until: time(30), now: time(2)))
            #expect(try await first.acquireLease(runID: run.id, owner: "p1", until: time(30), now: time(3)) == false)
        }
    }

    @Test("Many owners racing on two instances: exactly one takes the lease")
    func race() async throws {
        try await withStore { first, path in
            let run = sampleRun("acme")
            _ = try await first.createRun(run, stepIDs: ["a"])
            let second = try SQLiteCheckpointStore(path: path)
            defer { try? second.close() }
            let winners = try await withThrowingTaskGroup(of: String?.self) { group in
                for index in 0..<20 {
                    let store = index.isMultiple(of: 2) ? first : second
                    group.addTask {
                        try await store.acquireLease(
                            runID: run.id, owner: "owner-\(index)", until: time(30), now: time(0))
                            ? "owner-\(index)" : nil
                    }
                }
                return try await group.reduce(into: [String]()) { if let owner = $1 { $0.append(owner) } }
            }
            #expect(winners.count == 1)
            #expect(try await first.run(id: run.id)?.leaseOwner == winners.first)
        }
    }

    @Test("Leasing a run that does not exist is notFound; renew and release answer quietly")
    func missingRun() async throws {
        try await withStore { store, _ in
            await #expect(throws: StoreError(.notFound, "no run nope in the database")) {
                try await store.acquireLease(runID: "nope", owner: "A", until: time(1), now: time())
            }
            #expect(try await store.renewLease(runID: "nope", owner: "A", until: time(1)) == false)
            try await store.releaseLease(runID: "nope", owner: "A")
        }
    }
}
