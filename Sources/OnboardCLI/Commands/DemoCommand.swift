import ArgumentParser
import Foundation
import OnboardCore
import OnboardRuntime
import TelegentClient
import TelegentSimulator

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the quick start against the built-in simulator: no credentials, no network.",
        discussion: """
            Starts the Telegent simulator in this process on a free loopback port, then runs \
            examples/quickstart.yaml end to end, printing each step and the IDs it got. The checkpoints go to \
            onboard-demo.sqlite (replaced on each demo), so you can look around afterwards:
              onboard show --db onboard-demo.sqlite r...

            Example:
              onboard demo
              onboard demo --workflow quickstart-guide
            """)

    @OptionGroup var workflowOption: WorkflowOption

    @Option(help: "The input file to run.")
    var input: String?

    @Option(help: "The checkpoint database of the demo (deleted first).")
    var db: String = "onboard-demo.sqlite"

    @Flag(help: "Print one JSON document instead of text.")
    var json = false

    @Flag(name: .shortAndLong, help: "More log detail on stderr (-v: info, -vv: debug).")
    var verbose: Int

    func run() async throws {
        var logging = GlobalOptions()
        logging.verbose = verbose
        logging.bootstrapLogging()
        try await withExitStatus(json: json) {
            guard let inputPath = input ?? Locator.find("examples/quickstart.yaml") else {
                throw CLIError.badInput("examples/quickstart.yaml not found; pass --input FILE")
            }
            var demoEnvironment = ProcessInfo.processInfo.environment
            if demoEnvironment["ONBOARD_SUBSCRIBER_PASSWORD"] == nil {
                demoEnvironment["ONBOARD_SUBSCRIBER_PASSWORD"] = "demo-Passw0rd!"
            }
            let environment = demoEnvironment
            let workflow = try locateWorkflow(workflowOption.workflow ?? "quickstart")
            let definition = workflow.definition
            let file = try InputFile.load(path: inputPath, definition: definition, environment: environment)
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
            let credential = SimulatorCredential.demo
            return try await TelegentSimulator.withRunning(SimulatorConfiguration()) { simulator in
                if !json {
                    print("simulator listening on \(simulator.baseURL) (AccountKey \(credential.accountKey))")
                    print("workflow \(definition.name), input \(inputPath), checkpoints in \(db)")
                }
                let configuration = Engine.Configuration(
                    database: .sqlite(path: db), baseURL: simulator.baseURL,
                    credentials: .init(accountKey: credential.accountKey, accountSecret: credential.accountSecret),
                    environment: environment)
                return try await Session.with(configuration, definition: definition, json: json) { session in
                    let run = try await session.runner.prepare(
                        key: file.key, kind: .single, inputs: file.inputs, inputPath: absolute(inputPath),
                        workflowPath: workflow.path)
                    let status = try await session.execute(run, inputs: file.inputs)
                    if !json && status == .done {
                        print("next: onboard show \(run.id) --db \(db)    (every step, ID and attempt)")
                    }
                    return status
                }
            }
        }
    }
}
