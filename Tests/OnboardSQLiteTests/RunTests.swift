import Foundation
import GRDB
import OnboardCore
import OnboardSQLite
import Testing

@Suite("Runs and batches")
struct RunTests {
    @Test("createRun stores the run and its pending steps in order; reads by id and key")
    func createAndLoad() async throws {
        try await withStore { store, _ in
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
            for step in steps {
                let pending = StepRecord(
                    runID: run.id, stepID: step.stepID, position: step.position, updatedAt: run.createdAt)
                #expect(step == pending)
            }
        }
    }

    @Test("createRun with an existing key returns the stored run untouched")
    func createIsIdempotentByKey() async throws {
        try await withStore { store, _ in
            let first = sampleRun("acme")
            _ = try await store.createRun(first, stepIDs: quickstartSteps)
            try await store.setRunStatus(runID: first.id, status: .running, lastError: nil, at: time(5))

            var second = sampleRun("acme", createdAt: time(100))
            second.inputsDigest = "other"
            let stored = try await store.createRun(second, stepIDs: ["only_one"])
            #expect(stored.inputsDigest == "inputs-digest")
            #expect(stored.status == .running)
            #expect(stored.createdAt == time())
            #expect(try await store.steps(runID: first.id).map(\.stepID) == quickstartSteps)
        }
    }

    @Test("Concurrent creates of one key, from many tasks on two store instances, give one run")
    func concurrentCreates() async throws {
        try await withStore { store, path in
            let other = try SQLiteCheckpointStore(path: path)
            defer { try? other.close() }
            let results = try await withThrowingTaskGroup(of: RunRecord.self) { group in
                for index in 0..<24 {
                    let target = index.isMultiple(of: 2) ? store : other
                    group.addTask {
                        try await target.createRun(
                            sampleRun("acme", createdAt: time(Double(index))), stepIDs: quickstartSteps)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(results).count == 1)
            #expect(try await store.runs(matching: RunFilter()).count == 1)
            #expect(try await other.steps(runID: results[0].id).count == quickstartSteps.count)
        }
    }

    @Test("A different key with an id already in use is an error, not a merge")
    func idCollision() async throws {
        try await withStore { store, _ in
            let first = sampleRun("acme")
            _ = try await store.createRun(first, stepIDs: ["a"])
            var clash = sampleRun("other")
            clash.id = first.id
            await #expect(throws: StoreError.self) { try await store.createRun(clash, stepIDs: ["a"]) }
            #expect(try await store.run(key: "other") == nil)
        }
    }

    @Test("JSON inputs round-trip and are stored as canonical text")
    func inputsAreCanonicalJSON() async throws {
        try await withStore { store, _ in
            var run = sampleRun("acme")
            run.inputs = ["b": [1, .double(2.5), "x", nil, true], "a": ["nested": "é ✓ \"quoted\" /slash"]]
            _ = try await store.createRun(run, stepIDs: [])
            #expect(try await store.run(id: run.id)?.inputs == run.inputs)
            let id = run.id
            let text = try await store.pool.read { db in
                try String.fetchOne(db, sql: "SELECT inputs FROM runs WHERE id = ?", arguments: [id])
            }
            #expect(text == run.inputs.canonicalString())
        }
    }

    @Test("setRunStatus and repin change the run; a missing run is notFound")
    func statusAndRepin() async throws {
        try await withStore { store, _ in
            let run = sampleRun("acme")
            _ = try await store.createRun(run, stepIDs: ["a"])
            try await store.setRunStatus(runID: run.id, status: .failed, lastError: "400: bad AreaCode", at: time(7))
            var stored = try #require(try await store.run(id: run.id))
            #expect(stored.status == .failed)
            #expect(stored.lastError == "400: bad AreaCode")
            #expect(stored.updatedAt == time(7))

            try await store.repin(
                runID: run.id, definitionDigest: "d2", inputsDigest: "i2", inputs: ["x": 1], at: time(8))
            stored = try #require(try await store.run(id: run.id))
            #expect(stored.definitionDigest == "d2")
            #expect(stored.inputsDigest == "i2")
            #expect(stored.inputs == ["x": 1])
            #expect(stored.updatedAt == time(8))
            #expect(stored.status == .failed)

            await #expect(throws: StoreError(.notFound, "no run nope in the database")) {
                try await store.setRunStatus(runID: "nope", status: .done, lastError: nil, at: time())
            }
            await #expect(throws: StoreError.self) {
                try await store.repin(runID: "nope", definitionDigest: "", inputsDigest: "", inputs: nil, at: time())
            }
        }
    }

    @Test("runs(matching:) honours every filter field and the limit, oldest first")
    func filters() async throws {
        try await withStore { store, _ in
            // Created out of order; two share a creation time so the id breaks the tie.
            let account = sampleRun("acme", kind: .account, batchID: "b1", status: .running, createdAt: time(1))
            let jane = sampleRun(
                "acme/jane", kind: .subscriber, parentID: account.id, batchID: "b1", status: .done, createdAt: time(3))
            let bob = sampleRun(
                "acme/bob", kind: .subscriber, parentID: account.id, batchID: "b1", status: .failed, createdAt: time(3))
            let other = sampleRun("globex", kind: .account, batchID: "b2", status: .done, createdAt: time(2))
            let single = sampleRun("solo", createdAt: time(0))
            for run in [jane, other, single, bob, account] { _ = try await store.createRun(run, stepIDs: []) }

            #expect(
                try await store.runs(matching: RunFilter()).map(\.key) == [
                    "solo", "acme", "globex", "acme/bob", "acme/jane",
                ])
            #expect(try await store.runs(matching: RunFilter(status: .done)).map(\.key) == ["globex", "acme/jane"])
            #expect(
                try await store.runs(matching: RunFilter(batchID: "b1")).map(\.key) == [
                    "acme", "acme/bob", "acme/jane",
                ])
            #expect(
                try await store.runs(matching: RunFilter(parentID: account.id)).map(\.key) == ["acme/bob", "acme/jane"])
            #expect(try await store.runs(matching: RunFilter(kind: .account)).map(\.key) == ["acme", "globex"])
            #expect(
                try await store.runs(matching: RunFilter(status: .done, batchID: "b1", kind: .subscriber)).map(\.key)
                    == ["acme/jane"])
            #expect(
                try await store.runs(matching: RunFilter(batchID: "b1", limit: 2)).map(\.key) == ["acme", "acme/bob"])
            #expect(try await store.runs(matching: RunFilter(limit: 0)).isEmpty)
            #expect(try await store.runs(matching: RunFilter(batchID: "none")).isEmpty)
        }
    }

    @Test("runCounts groups by status and ignores the filter's status")
    func counts() async throws {
        try await withStore { store, _ in
            let runs = [
                sampleRun("a", batchID: "b1", status: .done), sampleRun("b", batchID: "b1", status: .done),
                sampleRun("c", batchID: "b1", status: .failed), sampleRun("d", batchID: "b2", status: .inDoubt),
                sampleRun("e", kind: .account, batchID: "b2", status: .done),
            ]
            for run in runs { _ = try await store.createRun(run, stepIDs: []) }
            #expect(try await store.runCounts(matching: RunFilter()) == [.done: 3, .failed: 1, .inDoubt: 1])
            #expect(
                try await store.runCounts(matching: RunFilter(status: .pending, batchID: "b1")) == [
                    .done: 2, .failed: 1,
                ])
            #expect(try await store.runCounts(matching: RunFilter(batchID: "b2", kind: .single)) == [.inDoubt: 1])
            #expect(try await store.runCounts(matching: RunFilter(batchID: "none")) == [:])
        }
    }

    @Test("createBatch inserts once and returns the stored batch")
    func batches() async throws {
        try await withStore { store, _ in
            let batch = BatchRecord(
                id: "b1", manifestPath: "/tmp/m.yaml", workflow: "quickstart", createdAt: time(), updatedAt: time())
            let created = try await store.createBatch(batch)
            #expect(created == batch)
            let again = BatchRecord(
                id: "b1", manifestPath: "/elsewhere.yaml", workflow: "w", createdAt: time(9), updatedAt: time(9))
            #expect(try await store.createBatch(again) == batch)
            #expect(try await store.batch(id: "b1") == batch)
            #expect(try await store.batch(id: "b2") == nil)
        }
    }
}
