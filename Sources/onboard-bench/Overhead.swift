import ArgumentParser
import Foundation
import OnboardCore
import OnboardRuntime
import OnboardSQLite
import TelegentClient
import TelegentSimulator

/// `overhead`: sequential complete runs at zero simulator latency, with checkpoints, against the same calls made
/// by the bare client with none. The difference is the engine's cost per run.
struct Overhead: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Engine overhead per complete run: onboard vs the bare client, sequential, zero latency.",
        discussion: """
            Examples:
              swift run -c release onboard-bench overhead --runs 200 --rounds 3
              onboard-bench overhead --runs 200 --rounds 3 --db postgres://onboard@127.0.0.1:5432/postgres
            --db postgres://… keeps the checkpoints in a new schema of that server (dropped afterwards); there, as \
            for `onboard run --db postgres://…`, every request also takes a slot of the rate budget kept in the \
            database (--no-shared-budget leaves that out, to show its part).
            """)

    @Option(help: "Complete runs per round.")
    var runs: Int = 200

    @Option(help: "Rounds; the medians are reported.")
    var rounds: Int = 3

    @Option(help: "Store durability: before-requests (the default: one sync per request) or every-commit.")
    var durability: String = "before-requests"

    @Flag(help: "Enable the voice route (8 steps instead of 7).")
    var voice = false

    @Option(help: "The database: a postgres:// server (a new schema per round) instead of a new SQLite file per round.")
    var db: String?

    @Flag(help: "On PostgreSQL, do not keep the rate budget in the database (the default there, as the CLI does).")
    var noSharedBudget = false

    @Option(help: "Write the figures as JSON to this file.")
    var json: String?

    /// One side of the comparison.
    enum Side: String, ExpressibleByArgument, CaseIterable {
        case engine, bare
    }

    @Option(help: "Run only one side, for a profiler attached to the process: engine or bare (the other's figures are 0).")
    var only: Side?

    func run() async throws {
        let workflow = try BenchFiles.workflow()
        let configuration = SimulatorConfiguration(rateLimitPerMinute: nil, numbersPerArea: max(1000, runs * rounds * 2 + 100))
        let figures = try await TelegentSimulator.withRunning(configuration) { simulator in
            var engine: [Double] = []
            var bare: [Double] = []
            // CPU time (user + system, every thread of this process, the in-process simulator's included) and
            // context switches, per run.
            var engineUsage: [ProcessUsage] = []
            var bareUsage: [ProcessUsage] = []
            var commits: [Double] = []
            var syncs: [Double] = []
            var stepsPerRun = 0
            for round in 0..<rounds {
                if only != .bare {
                    let measured = try await engineRound(simulator, workflow, round: round)
                    engine.append(measured.milliseconds)
                    engineUsage.append(measured.usage)
                    if let perRun = measured.commits { commits.append(perRun) }
                    if let perRun = measured.syncs { syncs.append(perRun) }
                    stepsPerRun = measured.steps
                }
                if only != .engine {
                    let measured = try await bareRound(simulator, workflow, round: round)
                    bare.append(measured.milliseconds)
                    bareUsage.append(measured.usage)
                }
            }
            let engineMedian = median(engine), bareMedian = median(bare)
            return [
                "scenario": "overhead", "backend": .string(db.map { StoreLocation($0).isPostgres ? "postgres" : "sqlite" } ?? "sqlite"),
                "shared_budget": .bool(db.map { StoreLocation($0).isPostgres } ?? false && !noSharedBudget),
                "durability": .string(db == nil ? durability : "server"), "runs_per_round": .int(runs), "rounds": .int(rounds), "steps_per_run": .int(stepsPerRun),
                "engine_ms_per_run": .double(engineMedian), "bare_ms_per_run": .double(bareMedian),
                "overhead_ms_per_run": .double(engineMedian - bareMedian),
                "engine_ms_per_step": .double(engineMedian / Double(max(stepsPerRun, 1))),
                "ratio": .double(engineMedian / max(bareMedian, 0.001)),
                "commits_per_run": .double(median(commits)), "syncs_per_run": .double(median(syncs)),
                "engine_rounds_ms": .array(engine.map(JSONValue.double)), "bare_rounds_ms": .array(bare.map(JSONValue.double)),
                "engine_cpu_ms_per_run": .double(median(engineUsage.map(\.cpuMilliseconds))),
                "bare_cpu_ms_per_run": .double(median(bareUsage.map(\.cpuMilliseconds))),
                "engine_context_switches_per_run": .double(median(engineUsage.map(\.contextSwitches))),
                "bare_context_switches_per_run": .double(median(bareUsage.map(\.contextSwitches))),
            ] as [String: JSONValue]
        }
        try writeFigures(figures, to: json)
    }

    /// One round's figures, per run.
    struct Round {
        var milliseconds: Double
        var usage: ProcessUsage
        var steps = 0
        /// Counted by the SQLite store only.
        var commits: Double?
        var syncs: Double?
    }

    /// `runs` complete runs by the engine, one after another, on a new database.
    func engineRound(_ simulator: RunningSimulator, _ workflow: WorkflowDefinition, round: Int) async throws -> Round {
        let directory = try BenchFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try db.map { try BenchDatabase($0, directory: directory) }
        let store: any CheckpointStore
        if let database {
            store = try await database.location.open(create: true)
        } else {
            store = try SQLiteCheckpointStore(
                path: directory.appendingPathComponent("bench.sqlite").path,
                durability: SQLiteCheckpointStore.Durability(rawValue: durability) ?? .beforeRequests)
        }
        var configuration = benchConfiguration(simulator, directory: directory)
        if let database {
            configuration.database = database.location
            if noSharedBudget { configuration.sharedRateLimit = false }
        }
        configuration.environment = ["PW": "bench-Passw0rd"]
        let measured = try await Engine.with(configuration, definition: workflow, store: store) { (engine: Engine) async throws -> Round in
            var prepared: [(RunRecord, RunInputs)] = []
            for index in 0..<runs {
                let inputs = try inputs(workflow, tag: "e\(round)-\(index)")
                let run = try await engine.runner.prepare(key: "e\(round)-\(index)", kind: .single, inputs: inputs, inputPath: nil)
                prepared.append((run, inputs))
            }
            // Warm the token cache and the connection pool, as a long-running batch would have.
            _ = try await engine.transport.send(APIRequest(method: "GET", path: "/v1.0/distributor/accounts"))
            let clock = ContinuousClock()
            let sqlite = store as? SQLiteCheckpointStore
            let before = sqlite?.commitStatistics
            let usageBefore = ProcessUsage.now()
            let start = clock.now
            var steps = 0
            for (run, inputs) in prepared {
                let outcome = try await engine.runner.execute(run, inputs: inputs)
                guard outcome.status == .done else { throw ValidationError("run \(run.id) ended \(outcome.status)") }
                steps = outcome.outputs.count
            }
            var measured = Round(
                milliseconds: (clock.now - start).seconds * 1000 / Double(runs),
                usage: ProcessUsage.now().since(usageBefore, per: runs), steps: steps)
            if let before, let after = sqlite?.commitStatistics {
                measured.commits = Double(after.commits - before.commits) / Double(runs)
                measured.syncs = Double(after.syncs - before.syncs) / Double(runs)
            }
            return measured
        }
        try await store.close()
        await database?.drop()
        return measured
    }

    /// `runs` quick starts by the bare client, one after another.
    func bareRound(_ simulator: RunningSimulator, _ workflow: WorkflowDefinition, round: Int) async throws -> Round {
        let transport = try makeTransport(simulator, workflow)
        let client = BareClient(transport: transport, voice: voice)
        try await client.warm()
        let clock = ContinuousClock()
        let usageBefore = ProcessUsage.now()
        let start = clock.now
        for index in 0..<runs { try await client.quickStart(tag: "b\(round)-\(index)") }
        let measured = Round(
            milliseconds: (clock.now - start).seconds * 1000 / Double(runs), usage: ProcessUsage.now().since(usageBefore, per: runs))
        try await transport.shutdown()
        return measured
    }

    func inputs(_ workflow: WorkflowDefinition, tag: String) throws -> RunInputs {
        let value: JSONValue = [
            "account": ["name": .string("Bench \(tag)"), "admin_email": "admin@bench.example"],
            "message_route": ["name": "Bench route", "url": "https://hooks.bench.example/m"],
            "voice_route": voice ? ["enabled": true, "name": "Bench voice", "type": "URL", "url": "https://hooks.bench.example/v"] : ["enabled": false],
            "number": ["area_code": ""],
            "subscriber": ["name": "Bench", "email": .string("\(tag)@bench.example"), "password": "${env.PW}"],
            "test_message": ["to": "+13105559999"],
        ]
        return try InputValidator.prepare(value, definition: workflow, environment: ["PW": "bench-Passw0rd"], document: nil, file: "bench")
    }
}

func makeTransport(_ simulator: RunningSimulator, _ workflow: WorkflowDefinition, rate: RateSpec = RateSpec(requests: 10_000_000), maximumConnections: Int = 64) throws -> TelegentHTTPTransport {
    try TelegentHTTPTransport(
        baseURL: simulator.baseURL, auth: workflow.auth,
        credentials: .init(accountKey: SimulatorCredential.demo.accountKey, accountSecret: SimulatorCredential.demo.accountSecret),
        limiter: rate.makeLimiter(), maximumConnections: maximumConnections)
}

/// The quick start written by hand against the transport: the same calls, no definitions, no checkpoints.
struct BareClient {
    let transport: TelegentHTTPTransport
    let voice: Bool

    func warm() async throws {
        _ = try await transport.send(APIRequest(method: "GET", path: "/v1.0/distributor/accounts"))
    }

    func post(_ path: String, _ body: JSONValue) async throws -> JSONValue {
        let response = try await transport.send(APIRequest(method: "POST", path: path, body: body))
        guard response.isSuccess, let body = response.body else {
            throw ValidationError("\(path): HTTP \(response.status) \(response.apiMessage ?? "")")
        }
        return body
    }

    func quickStart(tag: String) async throws {
        let account = try await post("/v1.0/account/create", [
            "AccountName": .string("Bare \(tag)"), "AccountAdmin": "admin@bench.example",
            "BillingAddress": ["Street1": "", "Street2": "", "City": "", "State": "", "Zip": "", "Country": "USA"],
        ])
        let accountID = account["AccountId"] ?? .null
        let route = try await post("/v1.0/message/routes", [
            "RouteName": "Bare route", "MessageUrl": "https://hooks.bench.example/m", "MessageUrlMethod": "POST",
            "MessageRouteEnabled": true, "AccountId": accountID,
        ])
        var provision: JSONValue = [
            "NumberType": "mvno", "MessageType": "p2p", "MessageEnabled": true, "VoiceEnabled": .bool(voice),
            "ProductType": "Sms+Data+Voice", "MessageRouteId": route["MessageRouteId"] ?? .null, "AreaCode": "",
            "ZipCode": "", "AccountId": accountID,
        ]
        if voice {
            let voiceRoute = try await post("/v1.0/voice/routes", [
                "RouteName": "Bare voice", "RouteType": "URL", "VoiceUrl": "https://hooks.bench.example/v",
                "VoiceUrlMethod": "POST", "RouteEnabled": true, "AccountId": accountID,
            ])
            provision.set(voiceRoute["CallRouteId"] ?? .null, atPath: "VoiceRouteId")
        }
        _ = try await post("/v1.0/numbers/availability", [
            "NumberType": "mobile", "MessageType": "p2p", "MessageEnabled": true, "VoiceEnabled": .bool(voice),
            "PageNumber": 1, "AreaCode": "", "ZipCode": "",
        ])
        let number = try await post("/v1.0/numbers/provision", provision)
        let phone = number["PhoneNumberAssigned"] ?? .null
        _ = try await post("/v1.0/subscribers/create", [
            "Name": "Bare", "Email": .string("\(tag)@bare.example"), "Password": "bench-Passw0rd", "AccountId": accountID,
            "PhoneNumbers": [phone], "Role": "Subscriber",
        ])
        _ = try await post("/v1.0/message/outbound", ["To": [["Number": "+13105559999"]], "From": phone, "Body": "Hello"])
    }
}

/// This process's CPU time and context switches (`getrusage`), or their difference per run.
struct ProcessUsage {
    var cpuMilliseconds: Double
    var contextSwitches: Double

    static func now() -> ProcessUsage {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let milliseconds = { (time: timeval) in Double(time.tv_sec) * 1000 + Double(time.tv_usec) / 1000 }
        return ProcessUsage(
            cpuMilliseconds: milliseconds(usage.ru_utime) + milliseconds(usage.ru_stime),
            contextSwitches: Double(usage.ru_nvcsw + usage.ru_nivcsw))
    }

    func since(_ earlier: ProcessUsage, per runs: Int) -> ProcessUsage {
        ProcessUsage(
            cpuMilliseconds: (cpuMilliseconds - earlier.cpuMilliseconds) / Double(max(runs, 1)),
            contextSwitches: (contextSwitches - earlier.contextSwitches) / Double(max(runs, 1)))
    }
}
