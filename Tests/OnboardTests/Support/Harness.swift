import Foundation
import Logging
import OnboardCore
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

    /// A transport and runner against this simulator, sharing nothing with others unless given.
    func runner(
        workflow: WorkflowDefinition, rate: RateSpec = RateSpec(requests: 100_000), owner: String = "test-\(UUID().uuidString.prefix(6))",
        shutdown: ShutdownSignal = ShutdownSignal(), timeout: Duration = .seconds(10),
        settleWindow: Duration = .milliseconds(500), events: @escaping RunEventSink = { _ in }
    ) throws -> (Runner, TelegentHTTPTransport) {
        let credential = SimulatorCredential.demo
        let transport = try TelegentHTTPTransport(
            baseURL: simulator.baseURL, auth: workflow.auth,
            credentials: .init(accountKey: credential.accountKey, accountSecret: credential.accountSecret),
            limiter: rate.makeLimiter(), timeout: timeout)
        let runner = Runner(
            definition: workflow, store: store, transport: transport,
            configuration: .init(
                retryPolicy: Self.fastRetries, leaseDuration: .seconds(3), owner: owner, environment: Self.environment,
                settleWindow: settleWindow),
            shutdown: shutdown, events: events)
        return (runner, transport)
    }

    /// Prepares and executes one run of `inputs` to its end; returns its final status.
    @discardableResult
    func run(
        _ inputs: RunInputs, workflow: WorkflowDefinition, key: String = "acme", acceptChanges: Bool = false
    ) async throws -> RunStatus {
        let (runner, transport) = try runner(workflow: workflow)
        defer { Task { try? await transport.shutdown() } }
        let run = try await runner.prepare(key: key, kind: .single, inputs: inputs, inputPath: nil, acceptChanges: acceptChanges)
        let status = try await runner.execute(run, inputs: inputs)
        try await transport.shutdown()
        return status
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
