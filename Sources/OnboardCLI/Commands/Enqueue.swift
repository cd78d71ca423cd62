import Foundation
import OnboardCore
import OnboardRuntime

/// `onboard batch MANIFEST --enqueue`: validates and plans the whole manifest, then stores its items, the workflow
/// text and the inputs (by digest) in the database for `onboard worker`s, and returns at once.
struct Enqueue {
    var manifest: Manifest
    var workflow: LoadedWorkflow
    var database: StoreLocation
    var baseURL: String
    var acceptChanges: Bool
    var maxPurchases: Int?
    var spend: SpendOptions
    var json: Bool

    func run(environment: [String: String]) async throws -> ExitStatus {
        let definition = workflow.definition
        let text = try String(contentsOfFile: workflow.path, encoding: .utf8)
        return try await withStore { store in
            let runner = Engine.planner(definition: definition, store: store, target: baseURL)
            var estimate = SpendEstimate()
            var inlineSecrets: [String] = []
            var drift: [String] = []
            var items = 0
            let problems = try await manifest.forEachItem(definition: definition, environment: environment) { item in
                items += 1
                if item.inputs.stored(for: definition).canonicalString().contains("<redacted>") {
                    inlineSecrets.append(item.key)
                }
                let plan = try await runner.planItem(key: item.key, kind: item.kind, inputs: item.inputs)
                if case .drift(let changes) = plan.state, !acceptChanges {
                    drift.append("\(item.key):\n" + changes.lines.map { "    " + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: "\n"))
                }
                estimate.add(plan)
            }
            if !problems.isEmpty { throw DiagnosticList(problems) }
            guard inlineSecrets.isEmpty else {
                throw CLIError.badInput(
                    "workers resolve secrets from their own environment, so an enqueued item may hold them only as "
                        + "${env.NAME}; written inline in: " + inlineSecrets.prefix(5).joined(separator: ", "))
            }
            guard drift.isEmpty else {
                throw CLIError.badInput(
                    "items whose finished or in-doubt steps saw other inputs (pass --accept-changes to take the new "
                        + "ones for their remaining steps):\n" + drift.joined(separator: "\n"))
            }
            try SpendGuard.confirm(estimate, options: spend, json: json)
            try await store.storeWorkflow(digest: definition.digest, name: definition.name, text: text)
            let batchID = BatchRunner.batchID(manifest: manifest, definition: definition)
            let now = Date()
            _ = try await store.createBatch(
                BatchRecord(id: batchID, manifestPath: manifest.file, workflow: definition.name, createdAt: now, updatedAt: now))
            if let maxPurchases { try await store.setPurchaseCeiling(scope: batchID, maxPurchases: maxPurchases) }
            var accepted = 0
            var requeued = 0
            _ = try await manifest.forEachItem(definition: definition, environment: environment) { item in
                let parentID = item.kind == .subscriber ? Runner.runID(forKey: item.accountKey) : nil
                let run = try await runner.prepare(
                    key: item.key, kind: item.kind, inputs: item.inputs, inputPath: manifest.file, parentID: parentID,
                    batchID: batchID, workflowPath: workflow.path)
                if acceptChanges, !(try await runner.acceptChanges(run, inputs: item.inputs)).isEmpty { accepted += 1 }
                if try await Self.requeue(run.id, store: store) { requeued += 1 }
            }
            if json {
                print(JSONValue.object([
                    "batch": .string(batchID), "items": .int(items), "to_run": .int(estimate.items),
                    "purchases": .int(estimate.purchases), "accepted_changes": .int(accepted), "requeued": .int(requeued),
                ]).prettyString())
            } else {
                let db = HintContext(database: database).dbFlag
                print("enqueued batch \(batchID) (\(TerminalText.escape(manifest.name))): \(items) items, \(estimate.items) to run"
                    + (requeued > 0 ? " (\(requeued) that had failed, queued again)" : "")
                    + (accepted > 0 ? ", \(accepted) with accepted changes" : ""))
                print("start workers, on any machine with this database: onboard worker\(db) --batch \(batchID)")
            }
            return .done
        }
    }

    /// Puts run `id` back in the queue when it failed (workers take only pending, interrupted and abandoned runs),
    /// as a rerun of `onboard batch` retries it: `pending` again, its last error kept for `onboard show` until a
    /// worker takes it. A run some execution holds right now is left alone. True when it was queued again.
    static func requeue(_ id: String, store: any CheckpointStore) async throws -> Bool {
        guard let run = try await store.run(id: id), run.status == .failed else { return false }
        let acquisition = try await store.acquireLease(
            runID: id, owner: LeaseOwner.make().rawValue, duration: .seconds(30), replacing: nil)
        guard case .acquired(let lease) = acquisition else { return false }
        try await store.finishRun(lease, status: .pending, lastError: run.lastError)
        return true
    }

    private func withStore<T>(_ body: (any CheckpointStore) async throws -> T) async throws -> T {
        let store = try await database.open(create: true)
        do {
            let result = try await body(store)
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }
}
