import Foundation
import OnboardCore
import Testing

@Suite("Store contract: runs and batches")
struct RunContractTests {
    @Test("createRun stores the run and its pending steps in order; reads by id and key", arguments: StoreFactory.available)
    func createAndLoad(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            let run = sampleRun("acme")
            let stored = try await store.createRun(run, stepIDs: quickstartSteps)
            #expect(stored == run)
            #expect(try await store.run(id: run.id) == run)
            #expect(try await store.run(key: "acme") == run)
            #expect(try await store.run(id: "missing") == nil)
            #expect(try await store.run(key: "missing") == nil)
            let steps = try await store.steps(runID: run.id)
            #expect(steps.map(\.stepID) == quickstartSteps)
            #expect(steps.map(\.position) == [0, 1, 2, 3])
            #expect(steps.allSatisfy { $0.status == .pending && $0.outputs.isEmpty && $0.attempts == 0 })
        }
    }

    @Test("createRun with an existing key returns the stored run untouched", arguments: StoreFactory.available)
    func createIsIdempotentByKey(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            let first = sampleRun("acme")
            _ = try await store.createRun(first, stepIDs: quickstartSteps)
            var second = sampleRun("acme", createdAt: time(100))
            second.inputsDigest = "other"
            let stored = try await store.createRun(second, stepIDs: ["only_one"])
            #expect(stored == first)
            #expect(try await store.steps(runID: first.id).map(\.stepID) == quickstartSteps)
        }
    }

    @Test("Concurrent creates of one key, from many tasks on two store instances, give one run", arguments: StoreFactory.available)
    func concurrentCreates(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, fixture in
            let other = try await fixture.open()
            let results = try await withThrowingTaskGroup(of: RunRecord.self) { group in
                for index in 0..<24 {
                    let target = index.isMultiple(of: 2) ? store : other
                    group.addTask {
                        try await target.createRun(sampleRun("acme", createdAt: time(Double(index))), stepIDs: quickstartSteps)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(results.map(\.createdAt)).count == 1)
            #expect(try await store.runs(matching: RunFilter()).count == 1)
            #expect(try await other.steps(runID: results[0].id).count == quickstartSteps.count)
            try await other.close()
        }
    }

    @Test("A different key with an id already in use is an error, not a merge", arguments: StoreFactory.available)
    func idCollision(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            let first = sampleRun("acme")
            _ = try await store.createRun(first, stepIDs: ["a"])
            var clash = sampleRun("other")
            clash.id = first.id
            await #expect(throws: StoreError.self) { try await store.createRun(clash, stepIDs: ["a"]) }
            #expect(try await store.run(key: "other") == nil)
        }
    }

    @Test("JSON inputs round-trip exactly", arguments: StoreFactory.available)
    func inputsRoundTrip(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            var run = sampleRun("acme")
            run.inputs = ["b": [1, .double(2.5), "x", nil, true], "a": ["nested": "é ✓ \"quoted\" /slash"]]
            _ = try await store.createRun(run, stepIDs: [])
            #expect(try await store.run(id: run.id)?.inputs == run.inputs)
            #expect(try await store.inputs(runID: run.id, digest: run.inputsDigest) == run.inputs)
            #expect(try await store.inputs(runID: run.id, digest: "unknown") == nil)
        }
    }

    @Test("repin changes the pins under the lease and keeps the inputs it replaced", arguments: StoreFactory.available)
    func repinKeepsEarlierInputs(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            let run = sampleRun("acme")
            _ = try await store.createRun(run, stepIDs: ["a"])
            let held = try await lease(store, run.id)
            try await store.repin(held, definitionDigest: "d2", inputsDigest: "i2", inputs: ["x": 1], accepted: [])
            let stored = try #require(try await store.run(id: run.id))
            #expect(stored.definitionDigest == "d2" && stored.inputsDigest == "i2" && stored.inputs == ["x": 1])
            #expect(try await store.inputs(runID: run.id, digest: "i2") == ["x": 1])
            #expect(try await store.inputs(runID: run.id, digest: run.inputsDigest) == run.inputs)
            #expect(try await store.acceptedChanges(runID: run.id).isEmpty, "nothing finished was affected")
            let lines = ["inputs.account.name: \"Acme\" → \"Acme Ltd\" (under finished step account)", "unchanged on the API"]
            try await store.repin(held, definitionDigest: "d3", inputsDigest: "i3", inputs: ["x": 2], accepted: lines)
            try await store.repin(held, definitionDigest: "d3", inputsDigest: "i4", inputs: ["x": 3], accepted: ["second"])
            let accepted = try await store.acceptedChanges(runID: run.id)
            #expect(accepted.map(\.lines) == [lines, ["second"]], "every acceptance kept, oldest first")
            #expect(try await store.acceptedChanges(runID: "r-unknown").isEmpty)
        }
    }

    @Test("runs(matching:) honours every filter field and the limit, oldest first", arguments: StoreFactory.available)
    func filters(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            let account = sampleRun("acme", kind: .account, batchID: "b1", status: .running, createdAt: time(1))
            let jane = sampleRun("acme/jane", kind: .subscriber, parentID: account.id, batchID: "b1", status: .done, createdAt: time(3))
            let bob = sampleRun("acme/bob", kind: .subscriber, parentID: account.id, batchID: "b1", status: .failed, createdAt: time(3))
            let other = sampleRun("globex", kind: .account, batchID: "b2", status: .done, createdAt: time(2))
            let single = sampleRun("solo", createdAt: time(0))
            for run in [jane, other, single, bob, account] { _ = try await store.createRun(run, stepIDs: []) }
            #expect(try await store.runs(matching: RunFilter()).map(\.key) == ["solo", "acme", "globex", "acme/bob", "acme/jane"])
            #expect(try await store.runs(matching: RunFilter(status: .done)).map(\.key) == ["globex", "acme/jane"])
            #expect(try await store.runs(matching: RunFilter(batchID: "b1")).map(\.key) == ["acme", "acme/bob", "acme/jane"])
            #expect(try await store.runs(matching: RunFilter(parentID: account.id)).map(\.key) == ["acme/bob", "acme/jane"])
            #expect(try await store.runs(matching: RunFilter(kind: .account)).map(\.key) == ["acme", "globex"])
            #expect(try await store.runs(matching: RunFilter(status: .done, batchID: "b1", kind: .subscriber)).map(\.key) == ["acme/jane"])
            #expect(try await store.runs(matching: RunFilter(batchID: "b1", limit: 2)).map(\.key) == ["acme", "acme/bob"])
            #expect(try await store.runs(matching: RunFilter(limit: 0)).isEmpty)
            #expect(try await store.runs(matching: RunFilter(batchID: "none")).isEmpty)
        }
    }

    @Test("runCounts groups by status and ignores the filter's status", arguments: StoreFactory.available)
    func counts(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            let runs = [
                sampleRun("a", batchID: "b1", status: .done), sampleRun("b", batchID: "b1", status: .done),
                sampleRun("c", batchID: "b1", status: .failed), sampleRun("d", batchID: "b2", status: .inDoubt),
                sampleRun("e", kind: .account, batchID: "b2", status: .done),
            ]
            for run in runs { _ = try await store.createRun(run, stepIDs: []) }
            #expect(try await store.runCounts(matching: RunFilter()) == [.done: 3, .failed: 1, .inDoubt: 1])
            #expect(try await store.runCounts(matching: RunFilter(status: .pending, batchID: "b1")) == [.done: 2, .failed: 1])
            #expect(try await store.runCounts(matching: RunFilter(batchID: "b2", kind: .single)) == [.inDoubt: 1])
            #expect(try await store.runCounts(matching: RunFilter(batchID: "none")) == [:])
        }
    }

    @Test("createBatch inserts once and returns the stored batch", arguments: StoreFactory.available)
    func batches(_ factory: StoreFactory) async throws {
        try await withStore(factory) { store, _ in
            let batch = BatchRecord(id: "b1", manifestPath: "/tmp/m.yaml", workflow: "quickstart", createdAt: time(), updatedAt: time())
            let created = try await store.createBatch(batch)
            #expect(created == batch)
            let again = BatchRecord(id: "b1", manifestPath: "/elsewhere.yaml", workflow: "w", createdAt: time(9), updatedAt: time(9))
            let kept = try await store.createBatch(again)
            #expect(kept == batch)
        }
    }
}
