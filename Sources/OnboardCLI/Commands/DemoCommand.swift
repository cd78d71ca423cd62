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

            --db FILE is replaced the same way. A PostgreSQL database (--db postgres://…), or the database \
            $ONBOARD_DB names, is never cleared: the demo adds its run there under a key of its own \
            (acme-mobile-demo-…), which makes it a check that onboard can work with that database.

            Example:
              onboard demo
              onboard demo --workflow quickstart-guide
              onboard demo --db postgres://onboard@127.0.0.1:5432/onboard
            """)

    @OptionGroup var workflowOption: WorkflowOption

    @Option(help: "The input file to run.")
    var input: String?

    @Option(
        help: ArgumentHelp(
            "The checkpoint database: a file (replaced first) or a postgres:// URL (added to). Default: $ONBOARD_DB (added to), else onboard-demo.sqlite (replaced).",
            valueName: "path|url"))
    var db: String?

    /// The demo's own file, used when neither `--db` nor `ONBOARD_DB` names a database.
    static let defaultPath = "onboard-demo.sqlite"

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
            let (database, replaced) = Self.database(db, environment: environment)
            // A file the demo was given to replace starts empty; any other database keeps what it holds, and the
            // demo's run takes a key no earlier demo used there (its simulator, and so its target, is new).
            if case .sqlite(let path) = database, replaced {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            }
            let key = replaced ? file.key : file.key + "-demo-" + UUID().uuidString.lowercased().prefix(8)
            let credential = SimulatorCredential.demo
            // The seed picks the numbers the simulator sells: a fixed one makes the demo print the same number
            // each time, but in a database that keeps earlier demos, that number is already claimed by one of them.
            let seed: UInt64 = replaced ? 1 : .random(in: 2...UInt64.max)
            return try await TelegentSimulator.withRunning(SimulatorConfiguration(seed: seed)) { simulator in
                if !json {
                    print("simulator listening on \(simulator.baseURL) (AccountKey \(credential.accountKey))")
                    print("workflow \(definition.name), input \(inputPath), checkpoints in \(database)"
                        + (replaced ? "" : " (added to it as run key \(key))"))
                }
                let configuration = Engine.Configuration(
                    database: database, baseURL: simulator.baseURL,
                    credentials: .init(accountKey: credential.accountKey, accountSecret: credential.accountSecret),
                    environment: environment)
                return try await Session.with(configuration, definition: definition, json: json) { session in
                    let run = try await session.runner.prepare(
                        key: key, kind: .single, inputs: file.inputs, inputPath: absolute(inputPath),
                        workflowPath: workflow.path)
                    let status = try await session.execute(run, inputs: file.inputs)
                    if !json && status == .done {
                        print("next: onboard show \(run.id)\(HintContext(database: database).dbFlag)    (every step, ID and attempt)")
                    }
                    return status
                }
            }
        }
    }
}

extension DemoCommand {
    /// Where the demo keeps its checkpoints, and whether it replaces that database: `--db` (a file is replaced, a
    /// PostgreSQL database added to), else `ONBOARD_DB` (added to: it names the user's own database), else the
    /// demo's own file (replaced).
    static func database(_ flag: String?, environment: [String: String]) -> (StoreLocation, replaced: Bool) {
        if let flag {
            let location = StoreLocation(flag, environment: environment)
            if case .sqlite = location { return (location, true) }
            return (location, false)
        }
        if let named = environment["ONBOARD_DB"], !named.isEmpty {
            return (StoreLocation(named, environment: environment), false)
        }
        return (.sqlite(path: defaultPath), true)
    }
}
