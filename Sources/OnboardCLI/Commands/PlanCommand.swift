import ArgumentParser
import Foundation
import OnboardCore

struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Validate an input file or a batch manifest and show every call it would make. Calls nothing.",
        discussion: """
            Checks the workflow and the input whole and reports every problem with its file, line and field. \
            Secrets show as <redacted> or <env.NAME>; IDs that earlier steps will return show as <steps.ID.OUTPUT>.

            For a manifest, every item is checked (every error is reported, each with file, line, item key and \
            field), then each item's calls are listed with the totals and the time they take at --rate.

            Example:
              onboard plan examples/quickstart.yaml
              onboard plan examples/batch.yaml --rate 50/min
              onboard plan examples/quickstart.yaml --json
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
            if isManifest(input) { return try await planManifest(environment: environment) }
            let definition = try loadWorkflow(
                workflowOption.workflow ?? InputFile.workflowName(at: input) ?? "quickstart")
            let file = try InputFile.load(path: input, definition: definition, environment: environment)
            guard let spec = RateSpec(parsing: rate) else { throw CLIError.badInput("--rate \(rate): write 50 or 50/min") }
            let steps = try Planner.plan(definition, inputs: file.inputs)
            let tokens = Planner.tokenCalls(definition, steps: steps)
            let calls = steps.filter(\.willRun).count + tokens
            let seconds = Double(calls) / spec.perMinute * 60
            if global.json {
                let value: JSONValue = [
                    "workflow": .string(definition.name), "key": .string(file.key),
                    "run": .string(Runner.runID(forKey: file.key)), "calls": .int(calls), "token_calls": .int(tokens),
                    "seconds_at_rate": .double((seconds * 10).rounded() / 10),
                    "steps": .array(steps.map { step in
                        [
                            "step": .string(step.id), "effect": .string(step.effect.rawValue), "runs": .bool(step.willRun),
                            "method": .string(step.request.method), "path": .string(step.request.path),
                            "query": .object(Dictionary(step.request.query.map { ($0.name, JSONValue.string($0.value)) },
                                uniquingKeysWith: { $1 })),
                            "body": step.request.body ?? .null,
                        ]
                    }),
                ]
                print(value.prettyString())
                return .done
            }
            print("plan for \(file.key) (run \(Runner.runID(forKey: file.key))), workflow \(definition.name): valid")
            for (index, step) in steps.enumerated() {
                let marker = step.willRun ? "\(index + 1)." : "-"
                let query = step.request.query.isEmpty ? "" : "?" + step.request.query.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
                print("\(marker) \(step.id) [\(step.effect.rawValue)] \(step.request.method) \(step.request.path)\(query)\(step.willRun ? "" : "  (skipped: condition false)")")
                if step.willRun, let body = step.request.body {
                    print("   " + body.canonicalString())
                }
            }
            print("\(calls) calls (\(tokens) of them token calls) ≈ \(format(.seconds(seconds))) at \(spec). No call was made.")
            return .done
        }
    }

    func planManifest(environment: [String: String]) async throws -> ExitStatus {
        let manifest = try Manifest.load(path: input, allowCSVOutside: allowCsvOutsideManifestDir)
        let definition = try loadWorkflow(workflowOption.workflow ?? manifest.workflow ?? "quickstart")
        guard let spec = RateSpec(parsing: rate) else { throw CLIError.badInput("--rate \(rate): write 50 or 50/min") }
        var items = 0
        var accounts = 0
        var calls = 0
        var paths: Set<String> = []
        // Which steps run depends only on `when`: evaluated per item, no request rendered (fast for 100,000 items).
        let problems = try await manifest.forEachItem(definition: definition, environment: environment) { item in
            let steps = Planner.steps(definition, inputs: item.inputs, kind: item.kind)
            items += 1
            if item.kind == .account { accounts += 1 }
            calls += steps.count
            for step in steps { paths.insert(step.request.path) }
            if !global.json {
                print("\(item.kind == .account ? "account   " : "subscriber") \(item.key): \(steps.count) calls (\(steps.map(\.id).joined(separator: ", ")))")
            }
        }
        if !problems.isEmpty { throw DiagnosticList(problems) }
        let tokens = definition.auth.scope == .global ? 1 : paths.count
        let total = calls + tokens
        let seconds = Double(total) / spec.perMinute * 60
        if global.json {
            print(JSONValue.object([
                "workflow": .string(definition.name), "batch": .string(manifest.name), "items": .int(items),
                "accounts": .int(accounts), "subscribers": .int(items - accounts), "calls": .int(total),
                "token_calls": .int(tokens), "seconds_at_rate": .double((seconds * 10).rounded() / 10),
            ]).prettyString())
        } else {
            print("manifest \(input) is valid: \(accounts) accounts, \(items - accounts) subscribers, workflow \(definition.name)")
            print("\(total) calls (\(tokens) token calls, one per endpoint per token lifetime) ≈ \(format(.seconds(seconds))) at \(spec). No call was made.")
        }
        return .done
    }
}

/// A manifest has `accounts:`; an input file has not.
func isManifest(_ path: String) -> Bool {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return false }
    return text.split(separator: "\n").contains { $0.hasPrefix("accounts:") }
}
