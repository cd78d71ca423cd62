import Foundation
import OnboardCore
import OnboardRuntime

/// Every item of a batch with its IDs, status and last error, as JSON or CSV.
enum BatchReport {
    /// The row's shape lives in OnboardRuntime, shared with `onboard serve`'s `/api/batches/{id}`.
    typealias Row = BatchReportRow

    /// A row for every item of the manifest, in manifest order, whether it ran or not: its run's status and IDs,
    /// or `not_started` (no run yet), or `blocked` (its account is not done).
    static func rows(
        manifest: Manifest, definition: WorkflowDefinition, environment: [String: String], store: any CheckpointStore
    ) async throws -> [Row] {
        var accounts: [String: (run: RunRecord?, outputs: [String: JSONValue])] = [:]
        var rows: [Row] = []
        _ = try await manifest.forEachItem(definition: definition, environment: environment) { item in
            let runID = Runner.runID(forKey: item.key)
            let run = try await store.run(id: runID)
            var outputs: [String: JSONValue] = [:]
            if item.kind == .subscriber { outputs = accounts[item.accountKey]?.outputs ?? [:] }
            if let run {
                for (name, value) in flatOutputs(try await store.steps(runID: run.id)) { outputs[name] = value }
            }
            if item.kind == .account {
                accounts[item.key] = (run, outputs)
            }
            let status: String
            var lastError = run?.lastError
            if let run {
                status = run.status.rawValue
            } else if item.kind == .subscriber, let account = accounts[item.accountKey], account.run?.status != .done {
                status = ItemOutcome.blocked.rawValue
                lastError = "account \(item.accountKey) is not done (\(account.run?.status.rawValue ?? "not started"))"
            } else {
                status = ItemOutcome.notStarted.rawValue
            }
            rows.append(Row(kind: item.kind.rawValue, key: item.key, run: runID, status: status, lastError: lastError, outputs: outputs))
        }
        return rows
    }

    private static func flatOutputs(_ steps: [StepRecord]) -> [String: JSONValue] {
        var outputs: [String: JSONValue] = [:]
        for step in steps where step.status == .done {
            for (name, value) in step.outputs { outputs[name] = value }
        }
        return outputs
    }

    static func write(_ rows: [Row], to path: String, definition: WorkflowDefinition) throws {
        let text: String
        if path.hasSuffix(".json") {
            text = JSONValue.array(rows.map(\.json)).prettyString() + "\n"
        } else {
            let outputs = definition.steps.flatMap(\.outputNames)
            let header = ["kind", "key", "run", "status"] + outputs + ["last_error"]
            var lines = [header.joined(separator: ",")]
            for row in rows {
                let values = [row.kind, row.key, row.run, row.status]
                    + outputs.map { row.outputs[$0].map { $0.stringValue ?? $0.canonicalString() } ?? "" }
                    + [row.lastError ?? ""]
                lines.append(values.map(csvField).joined(separator: ","))
            }
            text = lines.joined(separator: "\n") + "\n"
        }
        do {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw CLIError(message: "cannot write the report \(path): \(error.localizedDescription)", status: .failed)
        }
    }

    static func csvField(_ value: String) -> String {
        guard value.contains(",") || value.contains("\"") || value.contains("\n") else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
