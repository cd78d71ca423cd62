import Foundation
import Logging
import OnboardCore
import OnboardRuntime
import OnboardSQLite
import TelegentClient
import TelegentSimulator
import Testing

/// Everything an end-to-end test needs: a simulator on a loopback port, a fresh database file, and runners
/// wired exactly as the CLI wires them (real HTTP client, real SQLite).
struct Harness: Sendable {
    let simulator: RunningSimulator
    let directory: URL
    let store: SQLiteCheckpointStore

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let password = "Sub-Passw0rd-7f3a"
    static let environment: [String: String] = ["ONBOARD_SUBSCRIBER_PASSWORD": password]
    static let fastRetries = RetryPolicy(baseDelay: .milliseconds(5), maxDelay: .milliseconds(40))

    var dbPath: String { directory.appendingPathComponent("onboard.sqlite").path }
    var ledger: Ledger { simulator.world.ledger() }

    /// Runs `body` with a simulator (rate limit off unless configured) and a temporary database.
    static func with<T: Sendable>(
        _ configuration: SimulatorConfiguration = SimulatorConfiguration(rateLimitPerMinute: nil),
        _ body: @Sendable (Harness) async throws -> T
    ) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("onboard-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await TelegentSimulator.withRunning(configuration) { simulator in
            let store = try SQLiteCheckpointStore(path: directory.appendingPathComponent("onboard.sqlite").path)
            return try await body(Harness(simulator: simulator, directory: directory, store: store))
        }
    }

    static func workflow(_ name: String = "quickstart") throws -> WorkflowDefinition {
        try WorkflowLoader.load(path: root.appendingPathComponent("workflows/\(name).yaml").path)
    }

    /// The example input, with `changes` applied (dotted path → value), validated like the CLI does.
    static func inputs(
        _ changes: [String: JSONValue] = [:], workflow: WorkflowDefinition? = nil
    ) throws -> RunInputs {
        let definition = try workflow ?? Self.workflow()
        let document = try YAMLDocument(contentsOf: root.appendingPathComponent("examples/quickstart.yaml").path)
        guard case .object(var object) = document.value else { fatalError("example is a mapping") }
        object["key"] = nil
        var value = JSONValue.object(object)
        for (path, change) in changes { value.set(change, atPath: path) }
        return try InputValidator.prepare(
            value, definition: definition, environment: environment, document: nil, file: "test-input")
    }

    /// The engine's settings for this simulator and this database, as the CLI would build them (fast retries, a
    /// short lease and settle window, so tests of waiting do not wait long).
    func configuration(
        rate: RateSpec = RateSpec(requests: 100_000), timeout: Duration = .seconds(10),
        settleWindow: Duration = .milliseconds(500), leaseDuration: Duration = .seconds(60),
        clock: any RunClock = SystemClock()
    ) -> Engine.Configuration {
        let credential = SimulatorCredential.demo
        return Engine.Configuration(
            database: .sqlite(path: dbPath), baseURL: simulator.baseURL,
            credentials: .init(accountKey: credential.accountKey, accountSecret: credential.accountSecret), rate: rate,
            requestTimeout: timeout, settleWindow: settleWindow, leaseDuration: leaseDuration,
            retryPolicy: Self.fastRetries, environment: Self.environment, clock: clock)
    }

    /// Runs `body` with an engine built by the composition root on this harness's store and simulator.
    func withEngine<T: Sendable>(
        workflow: WorkflowDefinition, _ configuration: Engine.Configuration? = nil,
        shutdown: ShutdownSignal = ShutdownSignal(), events: @escaping RunEventSink = { _ in },
        _ body: (Engine) async throws -> T
    ) async throws -> T {
        try await Engine.with(
            configuration ?? self.configuration(), definition: workflow, store: store, shutdown: shutdown,
            events: events, body)
    }

    /// Prepares and executes one run of `inputs` to its end; returns its final status.
    @discardableResult
    func run(
        _ inputs: RunInputs, workflow: WorkflowDefinition, key: String = "acme", acceptChanges: Bool = false,
        _ configuration: Engine.Configuration? = nil
    ) async throws -> RunStatus {
        try await withEngine(workflow: workflow, configuration) { engine in
            let run = try await engine.runner.prepare(key: key, kind: .single, inputs: inputs, inputPath: nil)
            return try await engine.runner.execute(run, inputs: inputs, options: .init(acceptChanges: acceptChanges)).status
        }
    }

    func steps(_ key: String = "acme") async throws -> [String: StepRecord] {
        Dictionary(uniqueKeysWithValues: try await store.steps(runID: Runner.runID(forKey: key)).map { ($0.stepID, $0) })
    }

    /// The simulator's count of requests to one endpoint (`POST /v1.0/numbers/provision`).
    func requests(_ endpoint: String) -> Int { ledger.requestsByEndpoint[endpoint] ?? 0 }

    /// Asserts that exactly one of each effect happened (voice route: `voice` of them).
    func expectExactlyOneSetup(voice: Int = 1, sourceLocation: SourceLocation = #_sourceLocation) {
        let ledger = self.ledger
        #expect(ledger.accounts == 1, "accounts", sourceLocation: sourceLocation)
        #expect(ledger.messageRoutes == 1, "message routes", sourceLocation: sourceLocation)
        #expect(ledger.voiceRoutes == voice, "voice routes", sourceLocation: sourceLocation)
        #expect(ledger.purchases == 1, "purchases", sourceLocation: sourceLocation)
        #expect(ledger.subscribers == 1, "subscribers", sourceLocation: sourceLocation)
        #expect(ledger.messages == 1, "messages", sourceLocation: sourceLocation)
    }
}

/// The endpoint of each step of the reference workflow, as the ledger counts them.
let endpointOfStep: [String: String] = [
    "account": "POST /v1.0/account/create", "message_route": "POST /v1.0/message/routes",
    "voice_route": "POST /v1.0/voice/routes", "availability": "POST /v1.0/numbers/availability",
    "provision": "POST /v1.0/numbers/provision", "subscriber": "POST /v1.0/subscribers/create",
    "test_message": "POST /v1.0/message/outbound",
]
