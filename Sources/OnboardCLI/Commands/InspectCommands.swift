import ArgumentParser
import Foundation
import OnboardCore
import OnboardRuntime

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Count the runs in the database by status.",
        discussion: "Example:\n  onboard status\n  onboard status --json")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await withExitStatus(json: global.json) {
            let counts = try await withExistingStore(global.database) { try await $0.runCounts(matching: RunFilter()) }
            if global.json {
                print(JSONValue.object(Dictionary(uniqueKeysWithValues: RunStatus.allCases.map { ($0.rawValue, JSONValue.int(counts[$0] ?? 0)) })).prettyString())
            } else {
                let total = counts.values.reduce(0, +)
                print("\(total) runs in \(global.database): " + RunStatus.allCases.compactMap { status in
                    counts[status].map { "\($0) \(status.rawValue)" }
                }.joined(separator: ", "))
            }
            return .done
        }
    }
}

struct ListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List runs, optionally by status.",
        discussion: "Example:\n  onboard list --status failed\n  onboard list --status in_doubt --json\n  onboard list --batch example-launch --status failed")

    @Option(help: "pending, running, done, failed, in_doubt or interrupted.")
    var status: String?

    @Option(help: "Only the items of this batch: its name (the manifest's `batch:`) or its id (in `onboard batch`'s summary).")
    var batch: String?

    @Option(help: "At most this many runs.")
    var limit: Int = 200

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await withExitStatus(json: global.json) {
            var filter = RunFilter(limit: limit)
            if let status {
                guard let value = RunStatus(rawValue: status) else {
                    throw CLIError.badInput(
                        "--status \(status): one of \(RunStatus.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                filter.status = value
            }
            let (runs, usage) = try await withExistingStore(global.database) { store in
                filter.batchID = try await batch.asyncMap { try await Self.batchID($0, in: store, database: global.database) }
                return (
                    try await store.runs(matching: filter),
                    try await filter.batchID.asyncMap { try await store.purchaseUsage(scope: $0) }
                )
            }
            if global.json {
                print(JSONValue.array(runs.map { RunView(run: $0, steps: [], attempts: nil).value }).prettyString())
                return .done
            }
            if runs.isEmpty {
                print("no runs\(status.map { " with status \($0)" } ?? "") in \(global.database)")
                return .done
            }
            let style = Style(global)
            let table = TextTable(columns: ["RUN", "STATUS", "STARTED", "DURATION", "WORKFLOW", "KEY", "LAST ERROR"])
            for run in runs {
                table.add([
                    run.id, run.status.rawValue, shortTime(run.createdAt), format(.seconds(run.updatedAt.timeIntervalSince(run.createdAt))),
                    run.workflow, TerminalText.escape(run.key), TerminalText.escape(run.lastError ?? ""),
                ], styles: [nil, style.status(run.status), nil, nil, nil, nil, nil])
            }
            print(table.render(style))
            print("\(runs.count) run\(runs.count == 1 ? "" : "s")\(runs.count == limit ? " (the first \(limit); --limit N for more)" : "")")
            if let usage, usage.used > 0 || usage.ceiling != nil {
                print("purchases: \(usage.used)" + (usage.ceiling.map { " of the ceiling of \($0)" } ?? " (no ceiling)"))
            }
            return .done
        }
    }
}

extension ListCommand {
    /// The id of the batch `given` names: an id the database knows, else the batch whose name is `given` (a
    /// batch's id is derived from its name and its workflow's, so each stored batch's workflow is tried).
    static func batchID(_ given: String, in store: any CheckpointStore, database: StoreLocation) async throws -> String {
        if try await !store.runCounts(matching: RunFilter(batchID: given)).isEmpty { return given }
        guard let browsing = store as? any CheckpointBrowsing else { return given }
        var workflows: Set<String> = []
        var offset = 0
        while true {
            let page = try await browsing.batches(limit: 500, offset: offset)
            for batch in page { workflows.insert(batch.workflow) }
            if page.count < 500 { break }
            offset += page.count
        }
        for workflow in workflows.sorted() {
            let id = BatchRunner.batchID(name: given, workflow: workflow)
            if try await browsing.batch(id: id) != nil { return id }
        }
        throw CLIError.badInput(
            "no batch named or numbered '\(TerminalText.escape(given))' in \(database) (the name is the manifest's `batch:`; "
                + "`onboard batch` prints its batch's id in its summary)")
    }
}

struct ShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show a run: its steps, IDs, attempts, last error and next retry.",
        discussion: "Example:\n  onboard show r1a2b3c4d5e6\n  onboard show r1a2b3c4d5e6 --json")

    @Argument(help: "The run id (or its key).")
    var runID: String

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await withExitStatus(json: global.json) {
            let (run, steps, attempts, usage, accepted) = try await withExistingStore(global.database) { store in
                var found = try await store.run(id: runID)
                if found == nil { found = try await store.run(key: runID) }
                guard let run = found else {
                    throw CLIError.badInput("no run \(runID) in \(global.database) (onboard list shows the runs)")
                }
                let usage = try await store.purchaseUsage(scope: run.batchID ?? run.id)
                return (
                    run, try await store.steps(runID: run.id), try await store.attempts(runID: run.id, stepID: nil),
                    usage.used > 0 || usage.ceiling != nil ? usage : nil, try await store.acceptedChanges(runID: run.id)
                )
            }
            if global.json {
                print(RunView(run: run, steps: steps, attempts: attempts, accepted: accepted).json())
                return .done
            }
            let style = Style(global)
            print("run \(run.id)  \(style.apply(style.status(run.status), run.status.rawValue))  workflow \(run.workflow)  key \(TerminalText.escape(run.key))")
            print("started \(iso(run.createdAt)), last change \(iso(run.updatedAt)) (\(format(.seconds(run.updatedAt.timeIntervalSince(run.createdAt)))))")
            if let target = run.baseURL { print("target \(target)\(run.workflowPath.map { ", workflow file \($0)" } ?? "")") }
            if let batch = run.batchID { print("batch \(batch)\(run.parentID.map { ", account run \($0)" } ?? "")") }
            if let usage {
                print("purchases of \(run.batchID.map { "batch \($0)" } ?? "this run"): \(usage.used)"
                    + (usage.ceiling.map { " of the ceiling of \($0)" } ?? " (no ceiling)"))
            }
            if let error = run.lastError { print("last error: \(TerminalText.escape(error))") }
            for change in accepted {
                // What the API still holds was made from the old values: shown for as long as the run exists.
                print("changes accepted \(iso(change.acceptedAt)) (--accept-changes):")
                for line in change.lines { print("  \(TerminalText.escape(line))") }
            }
            let table = TextTable(columns: ["STEP", "STATUS", "SENDS", "IDS"])
            var notes: [String: [String]] = [:]
            for step in steps.sorted(by: { $0.position < $1.position }) {
                let ids = step.outputs.keys.sorted().map { "\($0)=\(step.outputs[$0]!.stringValue ?? step.outputs[$0]!.canonicalString())" }
                table.add(
                    [step.stepID, step.status.rawValue, String(step.attempts), TerminalText.escape(ids.joined(separator: " "))],
                    styles: [nil, style.step(step.status), nil, nil])
                if let error = step.lastError, step.status != .done { notes[step.stepID, default: []].append("last error: \(TerminalText.escape(error))") }
                if let next = step.nextRetryAt, step.status != .done { notes[step.stepID, default: []].append("next retry: \(iso(next))") }
            }
            print(table.render(style))
            for step in steps where notes[step.stepID] != nil {
                for note in notes[step.stepID]! { print("  \(step.stepID): \(note)") }
            }
            print("\(attempts.count) request\(attempts.count == 1 ? "" : "s") recorded (token calls are not):")
            let requests = TextTable(columns: ["STARTED", "DURATION", "STEP", "PURPOSE", "REQUEST", "STATUS", "OUTCOME"])
            for attempt in attempts {
                let duration = attempt.finishedAt.map { format(.seconds($0.timeIntervalSince(attempt.startedAt))) } ?? "-"
                let outcome = attempt.outcome?.rawValue ?? "IN DOUBT (no outcome recorded)"
                requests.add(
                    [
                        shortTime(attempt.startedAt), duration, attempt.stepID, attempt.purpose.rawValue,
                        "\(attempt.method) \(attempt.path)", attempt.statusCode.map(String.init) ?? "-",
                        outcome + (attempt.disprovedAt != nil ? " (disproved by a lookup)" : ""),
                    ],
                    styles: [nil, nil, nil, nil, nil, nil, attempt.outcome == nil ? .yellow : nil])
            }
            print(requests.render(style))
            return .done
        }
    }
}

extension Optional {
    /// `map` with an async transform.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
