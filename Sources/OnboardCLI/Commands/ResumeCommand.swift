import ArgumentParser
import Foundation
import OnboardCore
import OnboardRuntime

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

/// Loads a run, its workflow and inputs, and executes it (from `resetFrom` on, when given) against the API it was
/// started with.
func resumeRun(
    runID: String, global: GlobalOptions, api: APIOptions, workflow: String?, input: String?, acceptChanges: Bool,
    resetFrom: String?
) async throws -> ExitStatus {
    let environment = ProcessInfo.processInfo.environment
    let database = global.database
    return try await withExistingStore(database) { store in
        try await resume(
            runID: runID, store: store, database: database, global: global, api: api, workflow: workflow,
            input: input, acceptChanges: acceptChanges, resetFrom: resetFrom, environment: environment)
    }
}

private func resume(
    runID: String, store: any CheckpointStore, database: StoreLocation, global: GlobalOptions, api: APIOptions,
    workflow: String?, input: String?, acceptChanges: Bool, resetFrom: String?, environment: [String: String]
) async throws -> ExitStatus {
    var found = try await store.run(id: runID)
    if found == nil { found = try await store.run(key: runID) }
    guard let run = found else {
        throw CLIError.badInput("no run \(runID) in \(database) (onboard list shows the runs)")
    }
    let loaded = try locateWorkflow(workflow ?? run.workflowPath.flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil } ?? run.workflow)
    let definition = loaded.definition
    if let resetFrom, !definition.steps.contains(where: { $0.id == resetFrom }) {
        let ids = definition.steps.map(\.id)
        throw CLIError.badInput("run \(run.id) has no step '\(resetFrom)'; its steps: \(ids.joined(separator: ", "))")
    }
    let inputs: RunInputs
    if let path = input ?? run.inputPath, FileManager.default.fileExists(atPath: path), run.kind == .single {
        let file = try InputFile.load(path: path, definition: definition, environment: environment)
        inputs = file.inputs
    } else {
        inputs = RunInputs(raw: run.inputs)
        if run.inputs.canonicalString().contains("<redacted>") {
            throw CLIError.badInput(
                "run \(run.id) needs its input file for a secret written in it (\(run.inputPath ?? "unknown path") is gone); "
                    + "pass --input FILE")
        }
    }
    var parentOutputs: [String: [String: JSONValue]] = [:]
    if let parentID = run.parentID {
        for step in try await store.steps(runID: parentID) where step.status == .done { parentOutputs[step.stepID] = step.outputs }
    }
    let credentials = try credentialsFromEnvironment(environment)
    let configuration = try api.engineConfiguration(
        database: database, baseURL: api.baseURL(stored: run.baseURL, environment: environment),
        credentials: credentials, environment: environment)
    return try await Session.with(
        configuration, definition: definition, json: global.json, color: Style(global).enabled, store: store
    ) { session in
        try await session.execute(
            run, inputs: inputs, parentOutputs: parentOutputs,
            options: .init(acceptChanges: acceptChanges, resetFrom: resetFrom))
    }
}
