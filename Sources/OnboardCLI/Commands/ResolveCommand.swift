import ArgumentParser
import Foundation
import OnboardCore
import OnboardSQLite

struct ResolveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Say what happened to a step in doubt, so the run can go on.",
        discussion: """
            A step is in doubt when its request may have taken effect and no lookup could tell. Check in the \
            Telegent portal, then either adopt what was created, or let the next resume send the step again.

            Examples:
              onboard resolve r1a2b3c4d5e6 subscriber --happened --set subscriber_id=TSUID-...
              onboard resolve r1a2b3c4d5e6 subscriber --not-happened
              onboard resume r1a2b3c4d5e6
            """)

    @Argument(help: "The run id.")
    var runID: String

    @Argument(help: "The step in doubt.")
    var step: String

    @Flag(help: "It happened: adopt the IDs given with --set.")
    var happened = false

    @Flag(help: "It did not happen: the next resume sends the step again.")
    var notHappened = false

    @Option(name: .customLong("set"), help: "An output of the step, NAME=VALUE (repeat for each).")
    var values: [String] = []

    @OptionGroup var global: GlobalOptions
    @OptionGroup var workflowOption: WorkflowOption

    func validate() throws {
        guard happened != notHappened else { throw ValidationError("say either --happened or --not-happened") }
        if notHappened && !values.isEmpty { throw ValidationError("--set goes with --happened") }
    }

    func run() async throws {
        global.bootstrapLogging()
        try await withExitStatus(json: global.json) {
            let store = try SQLiteCheckpointStore(path: global.db)
            guard let run = try await store.run(id: runID) else {
                throw CLIError.badInput("no run \(runID) in \(global.db)")
            }
            let definition = try loadWorkflow(workflowOption.workflow ?? run.workflow)
            guard let stepDefinition = definition.step(step),
                let record = try await store.steps(runID: runID).first(where: { $0.stepID == step })
            else {
                throw CLIError.badInput("run \(runID) has no step '\(step)'")
            }
            guard record.status != .done else { throw CLIError.badInput("step '\(step)' is already done") }
            let now = Date()
            if happened {
                var outputs: [String: JSONValue] = [:]
                for pair in values {
                    let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    guard parts.count == 2 else { throw CLIError.badInput("--set \(pair): write NAME=VALUE") }
                    outputs[parts[0]] = .string(parts[1])
                }
                let missing = stepDefinition.outputNames.filter { outputs[$0] == nil }
                guard missing.isEmpty else {
                    throw CLIError.badInput(
                        "step '\(step)' keeps \(stepDefinition.outputNames.joined(separator: ", ")); give "
                            + missing.map { "--set \($0)=..." }.joined(separator: " "))
                }
                let claims = stepDefinition.claims.compactMap { name in
                    outputs[name]?.stringValue.map { Claim(scope: name, value: $0) }
                }
                try await store.completeStep(
                    runID: runID, stepID: step, outputs: outputs, inputDigest: nil, claims: claims, attemptID: nil,
                    at: now)
            } else {
                for attempt in try await store.attempts(runID: runID, stepID: step)
                where attempt.purpose == .send && attempt.mayHaveTakenEffect {
                    try await store.finishAttempt(
                        id: attempt.id!, outcome: .resolvedNotHappened, statusCode: attempt.statusCode,
                        error: "resolved by a person: did not happen", at: now)
                }
                try await store.setStepState(
                    runID: runID, stepID: step, status: .pending, lastError: nil, nextRetryAt: nil, at: now)
            }
            try await store.setRunStatus(
                runID: runID, status: .pending, lastError: "resolved; `onboard resume \(runID)` continues", at: now)
            if global.json {
                print(JSONValue.object(["run": .string(runID), "step": .string(step), "resolved": .string(happened ? "happened" : "not_happened")]).prettyString())
            } else {
                print("step \(step) of run \(runID) resolved as \(happened ? "happened" : "not happened"); continue with: onboard resume \(runID)")
            }
            return .done
        }
    }
}
