import Foundation
import OnboardCore
import Testing

@Suite("Store contract: leases and fencing")
struct LeaseContractTests {
    @Test("Taking a lease marks the run running, clears its error and grows the epoch; finishing releases it", arguments: StoreFactory.available)
    func acquireAndFinish(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            var run = sampleRun("acme", status: .failed)
            run.lastError = "earlier"
            _ = try await store.createRun(run, stepIDs: ["a"])
            let first = try await lease(store, run.id)
            var stored = try #require(try await store.run(id: run.id))
            #expect(stored.status == .running && stored.lastError == nil)
            #expect(stored.leaseOwner == first.owner && stored.leaseEpoch == first.epoch && first.epoch == 1)
            #expect(stored.leaseExpiresAt != nil)
            #expect(try await store.renewLease(first, duration: .seconds(120)))
            let renewed = try #require(try await store.run(id: run.id)?.leaseExpiresAt)
            #expect(renewed > stored.leaseExpiresAt!)

            // A second owner is refused while the lease is live, and learns who holds it.
            let refused = try await store.acquireLease(runID: run.id, owner: newOwner(), duration: .seconds(60), replacing: nil)
            guard case .held(let holder, let expiresAt) = refused else { Issue.record("expected .held"); return }
            #expect(holder == first.owner && expiresAt != nil)

            try await store.finishRun(first, status: .inDoubt, lastError: "provision: ?")
            stored = try #require(try await store.run(id: run.id))
            #expect(stored.status == .inDoubt && stored.lastError == "provision: ?")
            #expect(stored.leaseOwner == nil && stored.leaseExpiresAt == nil)

            let second = try await lease(store, run.id)
            #expect(second.epoch == 2)
        }
    }

    @Test("Taking a lease while reading gives the run, steps and attempts as they stand under it; a refusal reads nothing", arguments: StoreFactory.available)
    func acquireReading(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            let run = sampleRun("acme")
            _ = try await store.createRun(run, stepIDs: quickstartSteps)
            let first = try await lease(store, run.id)
            let attempt = try await store.beginAttempt(sampleAttempt(run, "create_account"), lease: first)
            try await store.completeStep(
                first, stepID: "create_account", outputs: ["account_id": "AID-1"], inputDigest: "d", claims: [],
                attempt: FinishedAttempt(id: attempt.id!, statusCode: 200, at: .init(wall: time(20))))
            _ = try await store.beginAttempt(sampleAttempt(run, "create_route", n: 2), lease: first)

            let refused = try await store.acquireLeaseReading(runID: run.id, owner: newOwner(), duration: .seconds(60), replacing: nil)
            guard case .held(let holder, _) = refused.0 else { Issue.record("expected .held"); return }
            #expect(holder == first.owner && refused.1 == nil)

            let owner = newOwner()
            let (acquisition, snapshot) = try await store.acquireLeaseReading(
                runID: run.id, owner: owner, duration: .seconds(60), replacing: first.owner)
            guard case .acquired(let second) = acquisition else { Issue.record("expected .acquired"); return }
            let read = try #require(snapshot)
            #expect(read.run == (try await store.run(id: run.id)))
            #expect(read.run.leaseOwner == owner && read.run.leaseEpoch == second.epoch && read.run.status == .running)
            #expect(read.steps == (try await store.steps(runID: run.id)))
            #expect(read.steps.map(\.status) == [.done, .running, .pending, .pending])
            #expect(read.attempts == (try await store.attempts(runID: run.id, stepID: nil)))
            #expect(read.attempts.map(\.stepID) == ["create_account", "create_route"])
        }
    }

    @Test("A lease is taken over only once it expires; the old holder can then neither renew nor write", arguments: StoreFactory.available)
    func expiryAndTakeover(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            let run = sampleRun("acme")
            _ = try await store.createRun(run, stepIDs: ["a"])
            let old = try await lease(store, run.id, duration: .milliseconds(200))
            try await Task.sleep(for: .milliseconds(600))
            // Expired: renewing is refused even though nobody has taken it yet.
            #expect(try await store.renewLease(old, duration: .seconds(60)) == false)
            let new = try await lease(store, run.id)
            #expect(new.epoch == old.epoch + 1)
            #expect(try await store.renewLease(old, duration: .seconds(60)) == false)
            #expect(try await store.renewLease(new, duration: .seconds(60)))

            // Every fenced commit of the old holder fails with leaseLost and changes nothing.
            let before = try await store.steps(runID: run.id)
            await expectLeaseLost { _ = try await store.beginAttempt(sampleAttempt(run, "a"), lease: old) }
            await expectLeaseLost {
                try await store.setStepState(old, stepID: "a", status: .failed, lastError: "x", nextRetryAt: nil)
            }
            await expectLeaseLost {
                try await store.completeStep(old, stepID: "a", outputs: ["id": "1"], inputDigest: nil, claims: [], attempt: nil)
            }
            await expectLeaseLost { try await store.resetSteps(old, stepIDs: ["a"]) }
            await expectLeaseLost { try await store.repin(old, definitionDigest: "x", inputsDigest: "y", inputs: nil, accepted: ["z"]) }
            await expectLeaseLost { try await store.finishRun(old, status: .failed, lastError: "stale") }
            #expect(try await store.steps(runID: run.id) == before)
            #expect(try await store.attempts(runID: run.id, stepID: nil).isEmpty)
            let stored = try #require(try await store.run(id: run.id))
            #expect(stored.status == .running && stored.leaseOwner == new.owner && stored.inputsDigest == run.inputsDigest)

            // The new holder's own attempt cannot be finished or disproved by the old one either.
            let attempt = try await store.beginAttempt(sampleAttempt(run, "a"), lease: new)
            await expectLeaseLost {
                try await store.finishAttempt(id: attempt.id!, outcome: .succeeded, statusCode: 200, error: nil, at: .init(wall: Date()), lease: old)
            }
            await expectLeaseLost { try await store.disprove(attemptIDs: [attempt.id!], lease: old) }
            #expect(try await store.attempts(runID: run.id, stepID: "a").first?.outcome == nil)
        }
    }

    @Test("A holder proved gone is replaced at once; a wrong guess of the holder changes nothing", arguments: StoreFactory.available)
    func replacingADeadHolder(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            let run = sampleRun("acme")
            _ = try await store.createRun(run, stepIDs: ["a"])
            let dead = try await lease(store, run.id)
            let wrong = try await store.acquireLease(runID: run.id, owner: newOwner(), duration: .seconds(60), replacing: "someone-else")
            #expect(wrong == .held(by: dead.owner, expiresAt: try await store.run(id: run.id)?.leaseExpiresAt))
            let taker = newOwner()
            let taken = try await store.acquireLease(runID: run.id, owner: taker, duration: .seconds(60), replacing: dead.owner)
            #expect(taken == .acquired(Lease(runID: run.id, owner: taker, epoch: dead.epoch + 1)))
            await expectLeaseLost { try await store.finishRun(dead, status: .failed, lastError: nil) }
        }
    }

    @Test("Of many executions asking at once, from two store instances, exactly one gets the lease", arguments: StoreFactory.available)
    func concurrentAcquisition(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, fixture in
            let other = try await fixture.open()
            let run = sampleRun("acme")
            _ = try await store.createRun(run, stepIDs: ["a"])
            let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<16 {
                    let target = index.isMultiple(of: 2) ? store : other
                    group.addTask {
                        if case .acquired = try await target.acquireLease(runID: run.id, owner: newOwner(), duration: .seconds(60), replacing: nil) {
                            return true
                        }
                        return false
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(winners == 1)
            #expect(try await store.run(id: run.id)?.leaseEpoch == 1)
            try await other.close()
        }
    }

    @Test("Asking for the lease of a missing run is notFound", arguments: StoreFactory.available)
    func missingRun(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            await #expect {
                _ = try await store.acquireLease(runID: "nope", owner: newOwner(), duration: .seconds(1), replacing: nil)
            } throws: { ($0 as? StoreError)?.code == .notFound }
        }
    }
}

func expectLeaseLost(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async {
    await #expect(sourceLocation: sourceLocation) {
        try await body()
    } throws: { ($0 as? StoreError)?.code == .leaseLost }
}
