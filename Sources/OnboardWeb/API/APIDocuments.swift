import Foundation
import OnboardCore
import OnboardRuntime

/// The JSON under `/api/…`, in the shapes of the CLI's `--json` (``RunView``, ``BatchReportRow``), so a script
/// reads the server as it reads the commands.
enum APIDocuments {
    /// `/api/runs`: like `onboard list --json` (an array of runs without their steps), with the filters of `/`,
    /// newest first; `limit` (default 200, at most 1000) and `offset` page through it.
    static func runs(_ query: IndexPage.Query, context: PageContext) async throws -> JSONValue {
        var (filter, _) = try await IndexPage.filter(query, context: context)
        filter.limit = query.limit
        filter.offset = query.offset
        return .array(try await context.store.runs(matching: filter).map { RunView(run: $0, steps: [], attempts: nil).value })
    }

    /// `/api/runs/{id}`: like `onboard show ID --json` (steps and every request). `id` may also be the run's key.
    static func run(_ id: String, context: PageContext) async throws -> JSONValue? {
        let store = context.store
        var found = try await store.run(id: id)
        if found == nil { found = try await store.run(key: id) }
        guard let run = found else { return nil }
        return RunView(
            run: run, steps: try await store.steps(runID: run.id), attempts: try await store.attempts(runID: run.id, stepID: nil),
            accepted: try await store.acceptedChanges(runID: run.id)
        ).value
    }

    /// `/api/batches/{id}`: the batch, its counts by run status, and `items_detail` with the rows of
    /// `onboard batch --json` and `--report` (oldest first; `limit`, default 500 and at most 5000, and `offset`).
    static func batch(_ id: String, offset: Int, limit: Int, context: PageContext) async throws -> JSONValue? {
        let store = context.store
        let record = try await context.browsing?.batch(id: id)
        let counts = try await store.runCounts(matching: RunFilter(batchID: id))
        guard record != nil || !counts.isEmpty else { return nil }
        let runs = try await store.runs(matching: RunFilter(batchID: id, limit: limit, offset: offset))
        var accountOutputs: [String: [String: JSONValue]] = [:]
        var rows: [JSONValue] = []
        for run in runs {
            var outputs: [String: JSONValue] = [:]
            if let parent = run.parentID {
                if accountOutputs[parent] == nil { accountOutputs[parent] = flatOutputs(try await store.steps(runID: parent)) }
                outputs = accountOutputs[parent] ?? [:]
            }
            for (name, value) in flatOutputs(try await store.steps(runID: run.id)) { outputs[name] = value }
            rows.append(BatchReportRow(
                kind: run.kind.rawValue, key: run.key, run: run.id, status: run.status.rawValue, lastError: run.lastError,
                outputs: outputs
            ).json)
        }
        var document: [String: JSONValue] = [
            "batch": .string(id), "items": .int(counts.values.reduce(0, +)),
            "counts": .object(Dictionary(uniqueKeysWithValues: RunStatus.allCases.map { ($0.rawValue, JSONValue.int(counts[$0] ?? 0)) })),
            "items_detail": .array(rows), "offset": .int(offset), "limit": .int(limit),
        ]
        if let record {
            document["manifest"] = .string(record.manifestPath)
            document["workflow"] = .string(record.workflow)
            document["created_at"] = .string(RunView.timestamp(record.createdAt))
        }
        return .object(document)
    }

    /// The outputs of a run's finished steps, as one object (the `--report` columns).
    private static func flatOutputs(_ steps: [StepRecord]) -> [String: JSONValue] {
        var outputs: [String: JSONValue] = [:]
        for step in steps where step.status == .done {
            for (name, value) in step.outputs { outputs[name] = value }
        }
        return outputs
    }
}
