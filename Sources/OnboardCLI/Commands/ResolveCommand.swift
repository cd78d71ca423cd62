import ArgumentParser
import Foundation
import OnboardCore
import OnboardRuntime

struct ResolveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resolve",
        abstract: "Say what happened to a step in doubt, so the run can go on.",
        discussion: """
            A step is in doubt when its request may have taken effect and no lookup could tell. Check in the \
            Telegent portal, then either adopt what was created, or let the next resume send the step again.

            Examples:
              onboard resolve r1a2b3c4d5e6 subscriber --happened \\
                --set subscriber_id=TSUID-...
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
            try await withExistingStore(global.database) { try await resolve($0) }
        }
    }

    /// Records what the person said under the run's own lease, like any execution, so it can never race one.
    private func resolve(_ store: any CheckpointStore) async throws -> ExitStatus {
        guard let run = try await store.run(id: runID) else {
            throw CLIError.badInput("no run \(runID) in \(global.database) (onboard list shows the runs)")
        }
        let definition = try loadWorkflow(
            workflowOption.workflow ?? run.workflowPath.flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
                ?? run.workflow)
        guard let stepDefinition = definition.step(step),
            let record = try await store.steps(runID: runID).first(where: { $0.stepID == step })
        else {
            throw CLIError.badInput("run \(runID) has no step '\(step)'")
        }
        guard record.status != .done else { throw CLIError.badInput("step '\(step)' is already done") }
        var outputs: [String: JSONValue] = [:]
        if happened {
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
        }
        let acquisition = try await store.acquireLease(
            runID: runID, owner: LeaseOwner.make().rawValue, duration: .seconds(30), replacing: nil)
        guard case .acquired(let lease) = acquisition else {
            if case .held(let holder, let expiresAt) = acquisition {
                throw RunnerError.busy(runID: runID, holder: holder, expiresAt: expiresAt)
            }
            return .failed
        }
        do {
            if happened {
                let claims = stepDefinition.claims.compactMap { name in
                    outputs[name]?.stringValue.map { Claim(scope: name, value: $0) }
                }
                try await store.completeStep(
                    lease, stepID: step, outputs: outputs, inputDigest: nil, claims: claims, attempt: nil)
            } else {
                for attempt in try await store.attempts(runID: runID, stepID: step)
                where attempt.purpose == .send && attempt.mayHaveTakenEffect {
                    try await store.finishAttempt(
                        id: attempt.id!, outcome: .resolvedNotHappened, statusCode: attempt.statusCode,
                        error: "resolved by a person: did not happen", at: SystemClock().now(), lease: lease)
                }
                try await store.setStepState(lease, stepID: step, status: .pending, lastError: nil, nextRetryAt: nil)
            }
        } catch {
            try? await store.finishRun(lease, status: run.status == .running ? .interrupted : run.status, lastError: run.lastError)
            throw error
        }
        let dbFlag = HintContext(database: global.database).dbFlag
        try await store.finishRun(
            lease, status: .pending, lastError: "resolved; `onboard resume \(runID)\(dbFlag)` continues")
        if global.json {
            print(JSONValue.object(["run": .string(runID), "step": .string(step), "resolved": .string(happened ? "happened" : "not_happened")]).prettyString())
        } else {
            print("step \(step) of run \(runID) resolved as \(happened ? "happened" : "not happened"); continue with: onboard resume \(runID)\(dbFlag)")
        }
        return .done
    }
}
