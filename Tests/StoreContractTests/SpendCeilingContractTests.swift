import Foundation
import OnboardCore
import Testing

@Suite("Store contract: spend ceiling")
struct SpendCeilingContractTests {
    @Test("A purchase takes one slot per (run, step); at the ceiling beginAttempt throws and changes nothing", arguments: StoreFactory.available)
    func ceiling(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            try await store.setPurchaseCeiling(scope: "b1", maxPurchases: 2)
            #expect(try await store.purchaseUsage(scope: "b1") == PurchaseUsage(used: 0, ceiling: 2))
            var leases: [Lease] = []
            var runs: [RunRecord] = []
            for index in 0..<3 {
                let run = sampleRun("acme/\(index)", batchID: "b1")
                _ = try await store.createRun(run, stepIDs: quickstartSteps)
                runs.append(run)
                leases.append(try await lease(store, run.id))
            }
            // Creates and reads take no slot.
            _ = try await store.beginAttempt(sampleAttempt(runs[0], "create_account", effect: .create), lease: leases[0])
            _ = try await store.beginAttempt(sampleAttempt(runs[0], "buy_number", purpose: .reconcile), lease: leases[0])
            #expect(try await store.purchaseUsage(scope: "b1").used == 0)

            _ = try await store.beginAttempt(sampleAttempt(runs[0], "buy_number", effect: .purchase), lease: leases[0])
            _ = try await store.beginAttempt(sampleAttempt(runs[1], "buy_number", effect: .purchase), lease: leases[1])
            #expect(try await store.purchaseUsage(scope: "b1") == PurchaseUsage(used: 2, ceiling: 2))

            let before = try await store.steps(runID: runs[2].id)
            await #expect {
                _ = try await store.beginAttempt(sampleAttempt(runs[2], "buy_number", effect: .purchase), lease: leases[2])
            } throws: { ($0 as? StoreError)?.code == .purchaseCeiling }
            #expect(try await store.steps(runID: runs[2].id) == before)
            #expect(try await store.attempts(runID: runs[2].id, stepID: nil).isEmpty)

            // A retry of a purchase that holds its slot needs no other, even at the ceiling.
            _ = try await store.beginAttempt(sampleAttempt(runs[0], "buy_number", effect: .purchase, n: 2), lease: leases[0])
            #expect(try await store.purchaseUsage(scope: "b1").used == 2)

            // Raising the ceiling lets the third one in; removing it lifts the bound, and the count is kept.
            try await store.setPurchaseCeiling(scope: "b1", maxPurchases: 3)
            _ = try await store.beginAttempt(sampleAttempt(runs[2], "buy_number", effect: .purchase), lease: leases[2])
            try await store.setPurchaseCeiling(scope: "b1", maxPurchases: nil)
            _ = try await store.beginAttempt(sampleAttempt(runs[2], "create_subscriber", effect: .purchase), lease: leases[2])
            #expect(try await store.purchaseUsage(scope: "b1") == PurchaseUsage(used: 4, ceiling: nil))
            #expect(try await store.purchaseUsage(scope: "never-seen") == PurchaseUsage(used: 0, ceiling: nil))
        }
    }

    @Test("A run outside a batch is its own scope; slots survive a reset and a new lease; a later ceiling counts them", arguments: StoreFactory.available)
    func slotsAreNeverReleased(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            let solo = sampleRun("solo")
            _ = try await store.createRun(solo, stepIDs: quickstartSteps)
            var held = try await lease(store, solo.id)
            _ = try await store.beginAttempt(sampleAttempt(solo, "buy_number", effect: .purchase), lease: held)
            #expect(try await store.purchaseUsage(scope: solo.id) == PurchaseUsage(used: 1, ceiling: nil))

            try await store.setPurchaseCeiling(scope: solo.id, maxPurchases: 1)
            try await store.resetSteps(held, stepIDs: ["buy_number"])
            try await store.finishRun(held, status: .failed, lastError: "retry --from buy_number")
            held = try await lease(store, solo.id)
            // The rerun's purchase of the same step still holds the slot it took; another step would need a new one.
            _ = try await store.beginAttempt(sampleAttempt(solo, "buy_number", effect: .purchase, n: 2), lease: held)
            await #expect {
                _ = try await store.beginAttempt(sampleAttempt(solo, "create_subscriber", effect: .purchase), lease: held)
            } throws: { ($0 as? StoreError)?.code == .purchaseCeiling }
            #expect(try await store.purchaseUsage(scope: solo.id) == PurchaseUsage(used: 1, ceiling: 1))
            await #expect(throws: StoreError.self) { try await store.setPurchaseCeiling(scope: solo.id, maxPurchases: -1) }
        }
    }

    @Test("Concurrent purchases on two store instances never pass the ceiling", arguments: StoreFactory.available)
    func concurrentPurchases(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, fixture in
            let other = try await fixture.open()
            try await store.setPurchaseCeiling(scope: "b1", maxPurchases: 5)
            var started: [(RunRecord, Lease)] = []
            for index in 0..<12 {
                let run = sampleRun("acme/\(index)", batchID: "b1")
                _ = try await store.createRun(run, stepIDs: ["buy_number"])
                started.append((run, try await lease(store, run.id)))
            }
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for (index, (run, held)) in started.enumerated() {
                    let target = index.isMultiple(of: 2) ? store : other
                    group.addTask {
                        do {
                            _ = try await target.beginAttempt(sampleAttempt(run, "buy_number", effect: .purchase), lease: held)
                            return true
                        } catch let error as StoreError where error.code == .purchaseCeiling {
                            return false
                        }
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 5)
            #expect(try await other.purchaseUsage(scope: "b1") == PurchaseUsage(used: 5, ceiling: 5))
            var recorded = 0
            for (run, _) in started { recorded += try await store.attempts(runID: run.id, stepID: nil).count }
            #expect(recorded == 5)
            try await other.close()
        }
    }
}

@Suite("Store contract: workflows")
struct WorkflowContractTests {
    @Test("A workflow is kept by digest, byte for byte; storing a digest again keeps the first text", arguments: StoreFactory.available)
    func storeAndRead(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, fixture in
            let text = "name: quickstart\n# é ✓ \"quoted\" \\ 'single'\r\nsteps: []\n"
            try await store.storeWorkflow(digest: "d1", name: "quickstart", text: text)
            try await store.storeWorkflow(digest: "d1", name: "other", text: "changed")
            let other = try await fixture.open()
            #expect(try await other.workflow(digest: "d1") == StoredWorkflow(digest: "d1", name: "quickstart", text: text))
            #expect(try await other.workflow(digest: "d2") == nil)
            try await other.close()
        }
    }
}
