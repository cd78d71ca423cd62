import Foundation
import OnboardCore
import Testing

/// What `onboard serve` reads: pages of runs newest first with offsets, key and recency filters, batches, and
/// counts of steps. A server-database store must pass these too.
@Suite("Store contract: pages of runs, batches, step counts")
struct BrowsingContractTests {
    /// Ten runs a second apart (acct-0 oldest), two batches, keys with a `%` and `_` that LIKE would misread.
    func fill(_ store: any CheckpointStore) async throws -> [RunRecord] {
        var runs: [RunRecord] = []
        for index in 0..<10 {
            let batch = index < 6 ? "b-one" : "b-two"
            let run = sampleRun(
                index == 9 ? "acct-9/50%_off" : "acct-\(index)", kind: index == 9 ? .subscriber : .account,
                batchID: batch, status: index.isMultiple(of: 3) ? .failed : .done, createdAt: time(Double(index)))
            runs.append(try await store.createRun(run, stepIDs: quickstartSteps))
        }
        return runs
    }

    @Test("Newest first, offset and limit page through the runs in a stable order", arguments: StoreFactory.available)
    func paging(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            let runs = try await fill(store)
            let newest = try await store.runs(matching: RunFilter(newestFirst: true))
            #expect(newest.map(\.id) == runs.reversed().map(\.id))
            let page = try await store.runs(matching: RunFilter(limit: 3, offset: 2, newestFirst: true))
            #expect(page.map(\.id) == runs.reversed()[2..<5].map(\.id))
            let oldest = try await store.runs(matching: RunFilter(limit: 2, offset: 8))
            #expect(oldest.map(\.id) == runs[8..<10].map(\.id))
            #expect(try await store.runs(matching: RunFilter(offset: 9)).map(\.id) == [runs[9].id])
            #expect(try await store.runs(matching: RunFilter(limit: 5, offset: 50)).isEmpty)
            let failed = try await store.runs(matching: RunFilter(status: .failed, batchID: "b-one", newestFirst: true))
            #expect(failed.map(\.key) == ["acct-3", "acct-0"])
        }
    }

    @Test("keyContains matches literally (no wildcards) and counts honour it", arguments: StoreFactory.available)
    func keyFilter(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            _ = try await fill(store)
            #expect(try await store.runs(matching: RunFilter(keyContains: "%_")).map(\.key) == ["acct-9/50%_off"])
            #expect(try await store.runs(matching: RunFilter(keyContains: "_")).count == 1)
            #expect(try await store.runs(matching: RunFilter(keyContains: "acct-")).count == 10)
            #expect(try await store.runs(matching: RunFilter(keyContains: "ACCT")).isEmpty)
            #expect(try await store.runCounts(matching: RunFilter(batchID: "b-two", keyContains: "/")) == [.failed: 1])
        }
    }

    @Test("updatedSince keeps the runs changed at or after an instant", arguments: StoreFactory.available)
    func recency(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            _ = try await fill(store)
            #expect(try await store.runs(matching: RunFilter(updatedSince: time(7))).map(\.key) == ["acct-7", "acct-8", "acct-9/50%_off"])
            #expect(try await store.runCounts(matching: RunFilter(batchID: "b-one", updatedSince: time(4))) == [.done: 2])
        }
    }

    @Test("Batches newest first, one by id, and steps counted by status", arguments: StoreFactory.available)
    func browsing(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            let browsing = try #require(store as? any CheckpointBrowsing, "the store adopts CheckpointBrowsing")
            for (index, id) in ["b-one", "b-two", "b-three"].enumerated() {
                _ = try await store.createBatch(
                    BatchRecord(
                        id: id, manifestPath: "/m/\(id).yaml", workflow: "quickstart", createdAt: time(Double(index)),
                        updatedAt: time(Double(index))))
            }
            #expect(try await browsing.batches(limit: 2, offset: 0).map(\.id) == ["b-three", "b-two"])
            #expect(try await browsing.batches(limit: 5, offset: 2).map(\.id) == ["b-one"])
            #expect(try await browsing.batch(id: "b-two")?.manifestPath == "/m/b-two.yaml")
            #expect(try await browsing.batch(id: "nope") == nil)

            let runs = try await fill(store)
            for run in [runs[1], runs[7]] {
                let held = try await lease(store, run.id)
                try await store.setStepState(held, stepID: quickstartSteps[2], status: .inDoubt, lastError: "?", nextRetryAt: nil)
            }
            #expect(try await browsing.stepCount(status: .inDoubt, matching: RunFilter()) == 2)
            #expect(try await browsing.stepCount(status: .inDoubt, matching: RunFilter(batchID: "b-two")) == 1)
            #expect(try await browsing.stepCount(status: .pending, matching: RunFilter(batchID: "b-one")) == 6 * 4 - 1)
        }
    }
}
