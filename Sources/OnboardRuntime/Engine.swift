import Foundation
import Logging
import OnboardCore
import TelegentClient

/// The one place where a store, a transport and a runner are put together: the CLI, the tests and the benchmarks
/// all build their engine here, the way Hummingbird builds an `Application` from its parts.
///
/// ```swift
/// let status = try await Engine.with(configuration, definition: workflow) { engine in
///     let run = try await engine.runner.prepare(key: "acme", kind: .single, inputs: inputs, inputPath: path)
///     return try await engine.runner.execute(run, inputs: inputs).status
/// }
/// ```
///
/// The store is opened first and the HTTP client created only after it, and both are closed on every path out
/// (an error, a thrown exit, a return), so no command can leak a client or trap on its deinit.
public final class Engine: Sendable {
    public struct Configuration: Sendable {
        public var database: StoreLocation
        public var baseURL: String
        public var credentials: TelegentHTTPTransport.Credentials
        public var rate: RateSpec
        public var requestTimeout: Duration
        public var settleWindow: Duration
        public var leaseDuration: Duration
        public var retryPolicy: RetryPolicy
        public var environment: [String: String]
        public var clock: any RunClock
        public var maximumConnections: Int
        /// Keep the credential's rate budget in the database, shared by every process using it (workers), on top
        /// of the process's own limiter. Nil: when the database is a shared server (PostgreSQL).
        public var sharedRateLimit: Bool?
        /// How long a step waits for another execution's hold on its serialize key (nil: the runner's default,
        /// `Runner.Configuration.lockWait`).
        public var lockWait: Duration?
        /// Receives the phases of every request the runner sends (a benchmark's timeline); nil records nothing.
        public var requestTimeline: RequestTimingSink?

        public init(
            database: StoreLocation, baseURL: String, credentials: TelegentHTTPTransport.Credentials,
            rate: RateSpec = RateSpec(requests: 50), requestTimeout: Duration = .seconds(30),
            settleWindow: Duration = .seconds(30), leaseDuration: Duration = .seconds(30),
            retryPolicy: RetryPolicy = RetryPolicy(),
            environment: [String: String] = ProcessInfo.processInfo.environment, clock: any RunClock = SystemClock(),
            maximumConnections: Int = 64, sharedRateLimit: Bool? = nil
        ) {
            self.database = database
            self.baseURL = baseURL
            self.credentials = credentials
            self.rate = rate
            self.requestTimeout = requestTimeout
            self.settleWindow = settleWindow
            self.leaseDuration = leaseDuration
            self.retryPolicy = retryPolicy
            self.environment = environment
            self.clock = clock
            self.maximumConnections = maximumConnections
            self.sharedRateLimit = sharedRateLimit
        }

        /// Whether requests also wait for the budget in the database.
        var sharesRateLimit: Bool {
            if let sharedRateLimit { return sharedRateLimit }
            if case .postgres = database { return true }
            return false
        }
    }

    public let configuration: Configuration
    public let store: any CheckpointStore
    public let transport: TelegentHTTPTransport
    public let runner: Runner
    public let shutdown: ShutdownSignal

    private init(
        configuration: Configuration, store: any CheckpointStore, transport: TelegentHTTPTransport, runner: Runner,
        shutdown: ShutdownSignal
    ) {
        self.configuration = configuration
        self.store = store
        self.transport = transport
        self.runner = runner
        self.shutdown = shutdown
    }

    /// Opens the store (or uses `store`, which then stays open), creates the transport and the runner, runs
    /// `body`, and shuts down what it opened whatever happens.
    public static func with<T: Sendable>(
        _ configuration: Configuration, definition: WorkflowDefinition, store existing: (any CheckpointStore)? = nil,
        shutdown: ShutdownSignal = ShutdownSignal(), logger: Logger = Logger(label: "onboard.runner"),
        events: @escaping RunEventSink = { _ in }, _ body: (Engine) async throws -> T
    ) async throws -> T {
        let baseURL = try TelegentHTTPTransport.validate(baseURL: configuration.baseURL)
        let store: any CheckpointStore
        if let existing { store = existing } else { store = try await configuration.database.open(create: true) }
        let transport: TelegentHTTPTransport
        do {
            let shared: (any RequestBudget)? =
                configuration.sharesRateLimit
                ? StoreRequestBudget(store: store, accountKey: configuration.credentials.accountKey, rate: configuration.rate)
                : nil
            transport = try TelegentHTTPTransport(
                baseURL: baseURL, auth: definition.auth, credentials: configuration.credentials,
                limiter: configuration.rate.makeLimiter(), sharedBudget: shared,
                maximumConnections: configuration.maximumConnections, timeout: configuration.requestTimeout)
        } catch {
            if existing == nil { try? await store.close() }
            throw error
        }
        let runner = Runner(
            definition: definition, store: store, transport: transport,
            configuration: configuration.runner(target: baseURL),
            shutdown: shutdown, logger: logger, events: events)
        let engine = Engine(
            configuration: configuration, store: store, transport: transport, runner: runner, shutdown: shutdown)
        let result: T
        do {
            result = try await body(engine)
        } catch {
            try? await transport.shutdown()
            if existing == nil { try? await store.close() }
            throw error
        }
        try await transport.shutdown()
        if existing == nil { try await store.close() }
        return result
    }
}

extension Engine.Configuration {
    /// The runner's part of this configuration, sending to `target`.
    func runner(target: String) -> Runner.Configuration {
        var runner = Runner.Configuration(
            retryPolicy: retryPolicy, leaseDuration: leaseDuration, environment: environment, settleWindow: settleWindow,
            requestTimeout: requestTimeout, target: target, clock: clock)
        if let lockWait { runner.lockWait = lockWait }
        runner.requestTimeline = requestTimeline
        return runner
    }
}
