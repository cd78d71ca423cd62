import ArgumentParser
import Foundation
import OnboardCore
import OnboardRuntime

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Execute the items `onboard batch --enqueue` stored in a shared database, on any machine.",
        discussion: """
            A worker claims runnable items (an account, or a subscriber whose account is done), runs them with the \
            same runner as `onboard batch`, and keeps each one's lease alive while it runs. Start as many as you \
            like, on as many machines: they never take the same item, a killed worker's items are taken over by \
            the others once their leases expire (30 s), and together they keep the credential's rate limit (--rate) \
            through a budget in the database. Secrets are ${env.NAME} references resolved from each worker's own \
            environment.

            Examples:
              export ONBOARD_DB=postgres://onboard@db.internal:5432/onboard
              onboard worker --concurrency 8
              onboard worker --until-idle --batch b1a2b3c4d5e6
            """)

    @Option(help: "Items executed at once by this worker.")
    var concurrency: Int = 8

    @Flag(help: "Exit once no work is left: nothing runnable, and nothing being run here or by another worker (a dead worker's items are taken over once their leases expire).")
    var untilIdle = false

    @Option(help: "Only the items of this batch.")
    var batch: String?

    @OptionGroup var global: GlobalOptions
    @OptionGroup var api: APIOptions

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1") }
    }

    func run() async throws {
        global.bootstrapLogging()
        try await withExitStatus(json: global.json) {
            let environment = ProcessInfo.processInfo.environment
            let credentials = try credentialsFromEnvironment(environment)
            var configuration = try api.engineConfiguration(
                database: global.database, baseURL: api.baseURL(environment: environment), credentials: credentials,
                environment: environment)
            configuration.sharedRateLimit = true
            let shutdown = ShutdownSignal()
            let reporter = Reporter(json: global.json, color: Style(global).enabled)
            let trap = SignalTrap(shutdown: shutdown, reporter: reporter)
            defer { trap.cancel() }
            let json = global.json
            let summary = try await withExistingStore(global.database) { store in
                if !json { Swift.print("worker pid \(ProcessInfo.processInfo.processIdentifier): database \(global.database), concurrency \(concurrency)") }
                let worker = Worker(
                    configuration: configuration, store: store,
                    options: .init(concurrency: concurrency, untilIdle: untilIdle, batchID: batch), shutdown: shutdown,
                    events: { event in Self.show(event, json: json) })
                return try await worker.run()
            }
            if json {
                print(JSONValue.object([
                    "executed": .int(summary.executed), "errors": .int(summary.errors),
                    "statuses": .object(Dictionary(uniqueKeysWithValues: summary.statuses.map { ($0.key.rawValue, JSONValue.int($0.value)) })),
                ]).prettyString())
            } else {
                let counts = summary.statuses.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }
                print("worker stopped: \(summary.executed) item\(summary.executed == 1 ? "" : "s") executed" + (counts.isEmpty ? "" : " (\(counts.joined(separator: ", ")))"))
            }
            if shutdown.isRequested { return .interrupted }
            let failed = summary.errors + (summary.statuses[.failed] ?? 0) + (summary.statuses[.inDoubt] ?? 0)
            return failed > 0 ? .failed : .done
        }
    }

    static func show(_ event: Worker.Event, json: Bool) {
        switch event {
        case .started:
            return
        case .finished(let runID, let key, let status, let message):
            if json {
                let line: JSONValue = [
                    "event": "item", "run": .string(runID), "key": .string(key), "status": .string(status.rawValue),
                    "message": message.map(JSONValue.string) ?? .null,
                ]
                FileHandle.standardError.write(Data((line.canonicalString() + "\n").utf8))
            } else {
                Swift.print("\(status.rawValue): \(TerminalText.escape(key)) (run \(runID))" + (message.map { ": \(TerminalText.escape($0))" } ?? ""))
            }
        case .failed(let runID, _, let message):
            if json {
                FileHandle.standardError.write(Data((JSONValue.object(["event": "error", "run": .string(runID), "message": .string(message)]).canonicalString() + "\n").utf8))
            } else {
                Swift.print("error: run \(runID): \(TerminalText.escape(message))")
            }
        }
        fflush(nil)
    }
}
