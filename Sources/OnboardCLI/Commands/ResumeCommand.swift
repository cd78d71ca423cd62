import ArgumentParser
import Foundation
import OnboardCore
import OnboardSQLite

struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Continue a run from where it stopped.",
        discussion: """
            Finished steps are not sent again; a step whose earlier request may have worked is looked up first and \
            adopted if found. The input file the run came from is read again for its secrets.

            Example:
              onboard list --status failed
              onboard resume r1a2b3c4d5e6
            """)

    @OptionGroup var options: ResumeOptions

    func run() async throws {
        try await options.resume(resetFrom: nil)
    }
}

/// What `resume` and `retry` share: the run, where to find its input again, and the usual flags.
struct ResumeOptions: ParsableArguments {
    @Argument(help: "The run id (onboard list shows them).")
    var runID: String

    @OptionGroup var global: GlobalOptions
    @OptionGroup var api: APIOptions
    @OptionGroup var workflowOption: WorkflowOption

    @Option(help: "The input file, when it moved since the run started.")
    var input: String?

    @Flag(help: "Continue although the inputs or the workflow changed since finished steps ran.")
    var acceptChanges = false

    func resume(resetFrom: String?) async throws {
        global.bootstrapLogging()
        try await withExitStatus(json: global.json) {
            try await resumeRun(
                runID: runID, global: global, api: api, workflow: workflowOption.workflow, input: input,
                acceptChanges: acceptChanges, resetFrom: resetFrom)
        }
    }
}

struct RetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Run a run again from a given step.",
        discussion: """
            Puts STEP and every later step back to pending, then resumes. A step that creates something still looks \
            up what an earlier request created before it sends anything, so nothing is created twice.

            Example (the number was claimed between availability and provision):
              onboard retry r1a2b3c4d5e6 --from availability
            """)

    @Option(help: "The first step to run again.")
    var from: String

    @OptionGroup var options: ResumeOptions

    func run() async throws {
        try await options.resume(resetFrom: from)
    }
}

/// Loads a run, its workflow and inputs, optionally resets steps, and executes it.
func resumeRun(
    runID: String, global: GlobalOptions, api: APIOptions, workflow: String?, input: String?, acceptChanges: Bool,
    resetFrom: String?
) async throws -> ExitStatus {
    let environment = ProcessInfo.processInfo.environment
    let store = try SQLiteCheckpointStore(path: global.db)
    guard let run = try await store.run(id: runID) else {
        throw CLIError.badInput("no run \(runID) in \(global.db) (onboard list shows the runs)")
    }
    let definition = try loadWorkflow(workflow ?? run.workflow)
    let inputs: RunInputs
    if let path = input ?? run.inputPath, FileManager.default.fileExists(atPath: path) {
        let file = try InputFile.load(path: path, definition: definition, environment: environment)
        inputs = file.inputs
    } else {
        inputs = RunInputs(raw: run.inputs)
        if run.inputs.canonicalString().contains("<redacted>") {
            throw CLIError.badInput(
                "run \(runID) needs its input file for a secret written in it (\(run.inputPath ?? "unknown path") is gone); "
                    + "pass --input FILE")
        }
    }
    let credentials = try credentialsFromEnvironment(environment)
    return try await Session.with(
        db: global.db, definition: definition, baseURL: api.baseURL, rate: try api.rateSpec(), settleWindow: api.settleWindow,
        credentials: credentials, environment: environment, json: global.json, store: store
    ) { session in
        if let resetFrom {
            let ids = session.runner.steps(for: run.kind).map(\.id)
            guard let index = ids.firstIndex(of: resetFrom) else {
                throw CLIError.badInput("run \(runID) has no step '\(resetFrom)'; its steps: \(ids.joined(separator: ", "))")
            }
            try await store.resetSteps(runID: run.id, stepIDs: Array(ids[index...]), at: Date())
        }
        let prepared = try await session.runner.prepare(
            key: run.key, kind: run.kind, inputs: inputs, inputPath: run.inputPath, parentID: run.parentID,
            batchID: run.batchID, acceptChanges: acceptChanges)
        return try await session.execute(prepared, inputs: inputs)
    }
}
