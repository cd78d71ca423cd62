import Foundation
import Logging
import OnboardCore
import OnboardRuntime
import TelegentClient

/// What a command that executes runs holds: the engine (store, transport, runner) and the output.
struct Session {
    let engine: Engine
    let reporter: Reporter
    let database: StoreLocation

    var store: any CheckpointStore { engine.store }
    var definition: WorkflowDefinition { engine.runner.definition }
    var transport: TelegentHTTPTransport { engine.transport }
    var runner: Runner { engine.runner }
    var shutdown: ShutdownSignal { engine.shutdown }

    /// Opens the store, then the HTTP client; runs `body`; closes both whatever happens.
    static func with(
        _ configuration: Engine.Configuration, definition: WorkflowDefinition, json: Bool, color: Bool = false,
        store: (any CheckpointStore)? = nil, _ body: (Session) async throws -> ExitStatus
    ) async throws -> ExitStatus {
        let reporter = Reporter(json: json, color: color)
        return try await Engine.with(
            configuration, definition: definition, store: store, logger: Logger(label: "onboard.runner"),
            events: reporter.handle
        ) { engine in
            try await body(Session(engine: engine, reporter: reporter, database: configuration.database))
        }
    }

    /// Executes `run` with Ctrl-C handled, prints the result, and returns the exit status.
    func execute(
        _ run: RunRecord, inputs: RunInputs, parentOutputs: [String: [String: JSONValue]] = [:],
        options: Runner.ExecuteOptions = .init()
    ) async throws -> ExitStatus {
        let trap = SignalTrap(shutdown: shutdown, reporter: reporter)
        defer { trap.cancel() }
        reporter.header(run: run, target: transport.baseURL, database: database)
        let started = ContinuousClock.now
        let outcome = try await runner.execute(run, inputs: inputs, parentOutputs: parentOutputs, options: options)
        let elapsed = ContinuousClock.now - started
        try await reporter.summary(
            runID: run.id, store: store, elapsed: elapsed, requests: transport.statistics, hint: HintContext(database: database))
        return ExitStatus(outcome.status)
    }
}

/// What a printed command needs to work when pasted: the flags that are not defaults.
struct HintContext {
    var database: StoreLocation

    /// ` --db PATH` when the database is not the one the command would open without the flag.
    var dbFlag: String {
        database == StoreLocation(nil) ? "" : " --db \(shellQuoted(database.description))"
    }

    /// ` --base-url URL` when `target` is not where a command would go without the flag.
    static func baseURLFlag(_ target: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let implied = environment["ONBOARD_BASE_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "https://api.telegent.com"
        return (try? TelegentHTTPTransport.validate(baseURL: implied)) == target ? "" : " --base-url \(shellQuoted(target))"
    }
}

/// `text` quoted for a POSIX shell when it needs it.
func shellQuoted(_ text: String) -> String {
    let safe = text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./:@%+=,".contains($0)) }
    return safe && !text.isEmpty ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
}

/// Opens the database at `location` (never creating it: a missing file is a clear error), runs `body`, and
/// closes the store on every path.
func withExistingStore<T>(_ location: StoreLocation, _ body: (any CheckpointStore) async throws -> T) async throws -> T {
    let store = try await location.open(create: false)
    do {
        let result = try await body(store)
        try await store.close()
        return result
    } catch {
        try? await store.close()
        throw error
    }
}
