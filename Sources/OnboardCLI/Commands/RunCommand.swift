import ArgumentParser
import Foundation
import OnboardCore

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run one setup from an input file; rerunning the same input resumes it.",
        discussion: """
            The input file holds the account, routes, number preferences, subscriber and test message (see \
            examples/quickstart.yaml). Secrets are never written in it: use ${env.NAME}. Credentials come from \
            TELEGENT_ACCOUNT_KEY and TELEGENT_ACCOUNT_SECRET.

            Example:
              export TELEGENT_ACCOUNT_KEY=DID-... TELEGENT_ACCOUNT_SECRET=...
              export ONBOARD_SUBSCRIBER_PASSWORD=...
              onboard run examples/quickstart.yaml
              onboard run examples/quickstart.yaml --base-url http://127.0.0.1:8080
              onboard run examples/quickstart.yaml --workflow quickstart-guide
            """)

    @Argument(help: "The input file (YAML).")
    var input: String

    @OptionGroup var global: GlobalOptions
    @OptionGroup var api: APIOptions
    @OptionGroup var workflowOption: WorkflowOption
    @OptionGroup var spend: SpendOptions

    @Flag(help: "Continue although the inputs or the workflow changed since finished steps ran.")
    var acceptChanges = false

    func run() async throws {
        global.bootstrapLogging()
        try await withExitStatus(json: global.json) {
            let environment = ProcessInfo.processInfo.environment
            let workflow = try locateWorkflow(
                workflowOption.workflow ?? InputFile.workflowName(at: input) ?? "quickstart")
            let file = try InputFile.load(path: input, definition: workflow.definition, environment: environment)
            let credentials = try credentialsFromEnvironment(environment)
            let configuration = try api.engineConfiguration(
                database: global.database, baseURL: api.baseURL(environment: environment), credentials: credentials,
                environment: environment)
            return try await Session.with(
                configuration, definition: workflow.definition, json: global.json, color: Style(global).enabled
            ) { session in
                var estimate = SpendEstimate()
                estimate.add(try await session.runner.planItem(key: file.key, kind: .single, inputs: file.inputs))
                try SpendGuard.confirm(estimate, options: spend, json: global.json)
                let run = try await session.runner.prepare(
                    key: file.key, kind: .single, inputs: file.inputs, inputPath: absolute(input),
                    workflowPath: workflow.path)
                if let limit = spend.maxPurchases {
                    try await session.store.setPurchaseCeiling(scope: run.id, maxPurchases: limit)
                }
                return try await session.execute(run, inputs: file.inputs, options: .init(acceptChanges: acceptChanges))
            }
        }
    }
}

func absolute(_ path: String) -> String {
    URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardized.path
}
