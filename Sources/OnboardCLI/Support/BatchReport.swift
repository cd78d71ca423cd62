import Foundation
import OnboardCore
import OnboardRuntime

/// Every item of a batch with its IDs, status and last error, as JSON or CSV.
enum BatchReport {
    /// The row's shape lives in OnboardRuntime, shared with `onboard serve`'s `/api/batches/{id}`.
    typealias Row = BatchReportRow

    static func rows(batchID: String, store: any CheckpointStore, definition: WorkflowDefinition) async throws -> [Row] {
        let runs = try await store.runs(matching: RunFilter(batchID: batchID))
        var accountOutputs: [String: [String: JSONValue]] = [:]
        var rows: [Row] = []
        for run in runs {
            var outputs: [String: JSONValue] = [:]
            if let parent = run.parentID {
                if accountOutputs[parent] == nil {
                    accountOutputs[parent] = try await flatOutputs(store.steps(runID: parent))
                }
                outputs = accountOutputs[parent] ?? [:]
            }
            for (name, value) in try await flatOutputs(store.steps(runID: run.id)) { outputs[name] = value }
            if run.kind == .account { accountOutputs[run.id] = outputs }
            rows.append(Row(kind: run.kind.rawValue, key: run.key, run: run.id, status: run.status.rawValue, lastError: run.lastError, outputs: outputs))
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
