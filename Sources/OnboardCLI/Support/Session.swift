import Foundation
import Logging
import OnboardCore
import OnboardSQLite
import TelegentClient

/// What a command that executes runs holds: the store, the transport, the runner, the output.
struct Session {
    let store: SQLiteCheckpointStore
    let definition: WorkflowDefinition
    let transport: TelegentHTTPTransport
    let runner: Runner
    let shutdown: ShutdownSignal
    let reporter: Reporter

    /// Opens a session, runs `body`, and shuts the HTTP client down whatever happens.
    static func with(
        db: String, definition: WorkflowDefinition, baseURL: String, rate: RateSpec, settleWindow: Double = 30,
        credentials: (key: String, secret: String), environment: [String: String], json: Bool,
        store: SQLiteCheckpointStore? = nil, _ body: (Session) async throws -> ExitStatus
    ) async throws -> ExitStatus {
        guard settleWindow >= 0 else { throw CLIError.badInput("--settle-window must not be negative") }
        let session = try open(
            db: db, definition: definition, baseURL: baseURL, rate: rate, settleWindow: settleWindow,
            credentials: credentials, environment: environment, json: json, store: store)
        let status: ExitStatus
        do {
            status = try await body(session)
        } catch {
            try? await session.transport.shutdown()
            throw error
        }
        try await session.transport.shutdown()
        return status
    }

    private static func open(
        db: String, definition: WorkflowDefinition, baseURL: String, rate: RateSpec, settleWindow: Double,
        credentials: (key: String, secret: String), environment: [String: String], json: Bool,
        store existing: SQLiteCheckpointStore?
    ) throws -> Session {
        let transport = try TelegentHTTPTransport(
            baseURL: baseURL, auth: definition.auth,
            credentials: .init(accountKey: credentials.key, accountSecret: credentials.secret),
            limiter: rate.makeLimiter())
        let store = try existing ?? SQLiteCheckpointStore(path: db)
        let shutdown = ShutdownSignal()
        let reporter = Reporter(json: json)
        let runner = Runner(
            definition: definition, store: store, transport: transport,
            configuration: .init(environment: environment, settleWindow: .milliseconds(Int64(settleWindow * 1000))),
            shutdown: shutdown,
            logger: Logger(label: "onboard.runner"), events: reporter.handle)
        return Session(
            store: store, definition: definition, transport: transport, runner: runner, shutdown: shutdown,
            reporter: reporter)
    }

    /// Executes `run` with Ctrl-C handled, prints the result, and returns the exit status.
    func execute(_ run: RunRecord, inputs: RunInputs) async throws -> ExitStatus {
        let trap = SignalTrap(shutdown: shutdown, reporter: reporter)
        defer { trap.cancel() }
        let started = ContinuousClock.now
        let status = try await runner.execute(run, inputs: inputs)
        let elapsed = ContinuousClock.now - started
        try await reporter.summary(runID: run.id, store: store, elapsed: elapsed, requests: transport.statistics.requests)
        return ExitStatus(status)
    }
}
