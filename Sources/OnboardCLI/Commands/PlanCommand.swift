import ArgumentParser
import Foundation
import OnboardCore
import OnboardRuntime

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what running an input file or a manifest would do now, against the database. Calls nothing.",
        discussion: """
            Checks the workflow and the input whole and reports every problem with its file, line and field. Then, \
            like `terraform plan`, it reads the database (if there is one; it never creates it) and says per item: \
            done (0 calls), resumes at a step, in doubt at a step (looked up first), new, or drift (with the diff, \
            refused without --accept-changes); with the totals, the purchases it may make, and the time at --rate.

            For an input file, every request is also printed with secrets as <redacted> or <env.NAME> and the IDs \
            still to come as <steps.ID.OUTPUT>.

            Examples:
              onboard plan examples/quickstart.yaml
              onboard plan examples/batch.yaml --rate 50/min
              onboard plan examples/batch.yaml --json
            """)

    @Argument(help: "The input file or manifest (YAML).")
    var input: String

    @OptionGroup var global: GlobalOptions
    @OptionGroup var workflowOption: WorkflowOption

    @Option(help: "Requests per minute to estimate the time at (50 or 50/min).")
    var rate: String = "50/min"

    @Flag(help: "Let a manifest's subscribers_csv name a file outside the manifest's folder (refused otherwise).")
    var allowCsvOutsideManifestDir = false

    func run() async throws {
        global.bootstrapLogging()
        try await withExitStatus(json: global.json) {
            let environment = ProcessInfo.processInfo.environment
            guard let spec = RateSpec(parsing: rate) else { throw CLIError.badInput("--rate \(rate): write 50 or 50/min") }
            if isManifest(input) { return try await planManifest(environment: environment, rate: spec) }
            let definition = try loadWorkflow(workflowOption.workflow ?? InputFile.workflowName(at: input) ?? "quickstart")
            let file = try InputFile.load(path: input, definition: definition, environment: environment)
            let item = try await withPlanner(definition) { runner in
                try await runner?.planItem(key: file.key, kind: .single, inputs: file.inputs)
                    ?? ItemPlan.new(definition, key: file.key, kind: .single, inputs: file.inputs)
            }
            var totals = PlanTotals(rate: spec)
            totals.add(item)
            totals.finish(definition)
            let steps = try Planner.plan(definition, inputs: file.inputs)
            if global.json {
                var object = totals.json
                object["key"] = .string(file.key)
                object["run"] = .string(item.runID)
                object["item"] = item.json
                object["steps"] = .array(steps.map(\.json))
                print(JSONValue.object(object).prettyString())
                return .done
            }
            print("plan for \(TerminalText.escape(file.key)) (run \(item.runID)), workflow \(definition.name): \(item.summary)")
            printDrift(item)
            if case .new = item.state {
                for (index, step) in steps.enumerated() {
                    let marker = step.willRun ? "\(index + 1)." : "-"
                    let query = step.request.query.isEmpty ? "" : "?" + step.request.query.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
                    print("\(marker) \(step.id) [\(step.effect.rawValue)] \(step.request.method) \(step.request.path)\(query)\(step.willRun ? "" : "  (skipped: condition false)")")
                    if step.willRun, let body = step.request.body { print("   " + TerminalText.escape(body.canonicalString())) }
                }
            }
            print(totals.line)
            return .done
        }
    }

    func planManifest(environment: [String: String], rate: RateSpec) async throws -> ExitStatus {
        let manifest = try Manifest.load(path: input, allowCSVOutside: allowCsvOutsideManifestDir)
        let definition = try loadWorkflow(workflowOption.workflow ?? manifest.workflow ?? "quickstart")
        var totals = PlanTotals(rate: rate)
        // Under --json, every item's object waits here (not in memory) until the totals are known.
        let details = global.json ? try Spool() : nil
        var separator = ""
        // Accounts whose drift is refused: the batch blocks their subscribers until it is accepted.
        var driftedAccounts: Set<String> = []
        let problems = try await withPlanner(definition) { runner in
            try await manifest.forEachItem(definition: definition, environment: environment) { item in
                let plan = try await runner?.planItem(key: item.key, kind: item.kind, inputs: item.inputs)
                    ?? ItemPlan.new(definition, key: item.key, kind: item.kind, inputs: item.inputs)
                if item.kind == .account, case .drift = plan.state { driftedAccounts.insert(item.key) }
                var blockedBy: String?
                if item.kind == .subscriber, driftedAccounts.contains(item.accountKey), !plan.isDone {
                    blockedBy = item.accountKey
                }
                if let details {
                    var json = plan.json.objectValue ?? [:]
                    if let blockedBy { json["blocked_by"] = .string(blockedBy) }
                    try details.append(separator + JSONValue.object(json).prettyString().indented(by: 4))
                    separator = ",\n"
                } else {
                    let waits = blockedBy.map { "; blocked until account \(TerminalText.escape($0)) runs (its drift first)" } ?? ""
                    print("\(item.kind == .account ? "account   " : "subscriber") \(TerminalText.escape(item.key)): \(plan.summary)\(waits)")
                    printDrift(plan)
                }
                // Only the totals are kept, so 100,000 items stay small.
                totals.add(plan)
            }
        }
        if !problems.isEmpty { throw DiagnosticList(problems) }
        totals.finish(definition)
        if let details {
            // The document prettyString would print, but with items_detail first: its items are copied from the
            // spool, and the totals after them.
            var object = totals.json
            object["batch"] = .string(manifest.name)
            let totalsLines = JSONValue.object(object).prettyString().split(separator: "\n", omittingEmptySubsequences: false)
            print("{\n  \"items_detail\" : [")
            try details.copyToStandardOutput()
            print(separator.isEmpty ? "  ]," : "\n  ],")
            print(totalsLines.dropFirst().joined(separator: "\n"))
        } else {
            print("manifest \(input) is valid: \(totals.accounts) accounts, \(totals.subscribers) subscribers, workflow \(definition.name)")
            print(totals.line)
        }
        return .done
    }

    /// A runner that reads the database named by --db, or nil when the file does not exist (plan never creates
    /// it: every item is then new).
    private func withPlanner<T>(_ definition: WorkflowDefinition, _ body: (Runner?) async throws -> T) async throws -> T {
        let database = global.database
        if case .sqlite(let path) = database, !FileManager.default.fileExists(atPath: path) {
            return try await body(nil)
        }
        return try await withExistingStore(database) { store in
            try await body(Engine.planner(definition: definition, store: store))
        }
    }

    private func printDrift(_ plan: ItemPlan) {
        guard !global.json, case .drift(let drift) = plan.state else { return }
        for line in drift.lines { print("    " + TerminalText.escape(line.trimmingCharacters(in: .whitespaces))) }
    }
}

/// What a plan adds up to.
struct PlanTotals {
    var items = 0
    var accounts = 0
    var subscribers = 0
    var calls = 0
    var tokenCalls = 0
    var purchases = 0
    var creates = 0
    var done = 0
    var drift = 0
    var inDoubt = 0
    var seconds = 0.0
    var rate: RateSpec
    private var paths: Set<String> = []

    init(rate: RateSpec) { self.rate = rate }

    mutating func add(_ plan: ItemPlan) {
        items += 1
        if plan.kind == .account { accounts += 1 } else if plan.kind == .subscriber { subscribers += 1 }
        calls += plan.calls
        purchases += plan.purchases
        creates += plan.creates
        paths.formUnion(plan.paths)
        switch plan.state {
        case .done: done += 1
        case .drift: drift += 1
        case .inDoubt: inDoubt += 1
        default: break
        }
    }

    /// Token calls (a token per endpoint path per token lifetime, shared by every item) and the time.
    mutating func finish(_ definition: WorkflowDefinition) {
        tokenCalls = definition.auth.scope == .global ? min(1, paths.count) : paths.count
        seconds = Double(calls + tokenCalls) / rate.perMinute * 60
    }

    var line: String {
        var text = "\(calls + tokenCalls) calls (\(tokenCalls) token) ≈ \(format(.seconds(seconds))) at \(rate); "
            + "\(purchases) purchase\(purchases == 1 ? "" : "s") and \(creates) other create\(creates == 1 ? "" : "s") at most"
        if done > 0 { text += "; \(done) already done" }
        if inDoubt > 0 { text += "; \(inDoubt) in doubt (looked up first)" }
        if drift > 0 { text += "; \(drift) with drift (refused without --accept-changes)" }
        return text + ". No call was made."
    }

    var json: [String: JSONValue] {
        [
            "items": .int(items), "accounts": .int(accounts), "subscribers": .int(subscribers),
            "calls": .int(calls + tokenCalls), "token_calls": .int(tokenCalls), "purchases": .int(purchases),
            "creates": .int(creates), "done": .int(done), "in_doubt": .int(inDoubt), "drift": .int(drift),
            "seconds_at_rate": .double((seconds * 10).rounded() / 10), "rate": .string(rate.description),
        ]
    }
}

extension String {
    /// Every line of this text after `count` spaces.
    func indented(by count: Int) -> String {
        let margin = String(repeating: " ", count: count)
        return split(separator: "\n", omittingEmptySubsequences: false).map { margin + $0 }.joined(separator: "\n")
    }
}

extension ItemPlan {
    var isDone: Bool {
        if case .done = state { return true }
        return false
    }

    var stateName: String {
        switch state {
        case .new: return "new"
        case .done: return "done"
        case .resumes: return "resumes"
        case .inDoubt: return "in_doubt"
        case .drift: return "drift"
        }
    }

    var json: JSONValue {
        var object: [String: JSONValue] = [
            "key": .string(key), "kind": .string(kind.rawValue), "run": .string(runID), "state": .string(stateName),
            "calls": .int(calls), "purchases": .int(purchases), "creates": .int(creates),
        ]
        switch state {
        case .resumes(let step), .inDoubt(let step): object["step"] = .string(step)
        case .drift(let drift): object["drift"] = .array(drift.lines.map { .string($0.trimmingCharacters(in: .whitespaces)) })
        default: break
        }
        return .object(object)
    }
}

extension PlannedStep {
    var json: JSONValue {
        [
            "step": .string(id), "effect": .string(effect.rawValue), "runs": .bool(willRun),
            "method": .string(request.method), "path": .string(request.path),
            "query": .object(Dictionary(request.query.map { ($0.name, JSONValue.string($0.value)) }, uniquingKeysWith: { $1 })),
            "body": request.body ?? .null,
        ]
    }
}

/// A manifest has `accounts:`; an input file has not.
func isManifest(_ path: String) -> Bool {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return false }
    return text.split(separator: "\n").contains { $0.hasPrefix("accounts:") }
}
