import ArgumentParser
import Foundation
import OnboardCore
import OnboardRuntime
import OnboardSQLite
import TelegentClient
import TelegentSimulator

/// Writes a manifest of `subscribers` spread over `accounts`, subscribers inline or in one CSV per account.
func writeManifest(
    in directory: URL, accounts: Int, subscribers: Int, csv: Bool, tag: String = "bench"
) throws -> String {
    let areas = ["801", "201", "310", "212", "415", "512", "305", "206", "303", "617"]
    var text = """
        workflow: quickstart
        batch: \(tag)
        defaults:
          message_route: {url: "https://hooks.bench.example/m"}
          number: {number_type: mvno, message_type: p2p, product_type: Sms+Data}
          subscriber: {password: "${env.BENCH_PASSWORD}"}
          test_message: {to: "+13105559999", body: Welcome}
        accounts:

        """
    var next = 0
    for account in 0..<accounts {
        let count = subscribers / accounts + (account < subscribers % accounts ? 1 : 0)
        text += "  - key: a\(account)\n    account: {name: \(tag) account \(account), admin_email: admin\(account)@bench.example}\n"
        text += "    message_route: {name: route \(account)}\n    number: {area_code: \"\(areas[account % areas.count])\"}\n"
        if csv {
            let file = "subscribers-\(account).csv"
            var rows = "name,email\n"
            for _ in 0..<count {
                rows += "Subscriber \(next),s\(next)@bench.example\n"
                next += 1
            }
            try rows.write(to: directory.appendingPathComponent(file), atomically: true, encoding: .utf8)
            text += "    subscribers_csv: \(file)\n"
        } else {
            text += "    subscribers:\n"
            for _ in 0..<count {
                text += "      - {name: Subscriber \(next), email: s\(next)@bench.example}\n"
                next += 1
            }
        }
    }
    let path = directory.appendingPathComponent("manifest.yaml").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// `batch`: N subscribers over M accounts against the simulator with added latency, at a given concurrency.
struct BatchBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Wall time and requests per subscriber of a batch, against the physical limit.",
        discussion: """
            Examples:
              swift run -c release onboard-bench batch --subscribers 1000 --accounts 50 --latency 20 --concurrency 32
              onboard-bench batch --workers 3 --db postgres://onboard@127.0.0.1:5432/postgres --concurrency 32
            With --workers N the batch is enqueued (`onboard batch --enqueue`, the binary beside this one) and N \
            `onboard worker --until-idle` processes execute it, each with --concurrency items in flight; the wall \
            time runs from their start to the last one's exit. --db postgres://… gets a new schema, dropped after.

            --timeline FILE writes one CSV line per request (its phases, in ms from the start) and adds a summary of \
            where the batch waited; --simulator-process runs telegent-sim as a child process, so its CPU time is \
            counted apart from onboard's.
            """)

    @Option(help: "Subscribers.") var subscribers: Int = 1000
    @Option(help: "Accounts.") var accounts: Int = 50
    @Option(help: "Simulator latency per request, ms.") var latency: Int = 20
    @Option(help: "Items in flight (per worker with --workers).") var concurrency: Int = 32
    @Option(help: "Run the batch with this many `onboard worker` processes instead of in this process.") var workers: Int = 0
    @Option(help: "The database of --workers: a postgres:// server (a new schema) or a SQLite file (default: a new one).") var db: String?
    @Option(help: "Store durability: before-requests (the default) or every-commit.") var durability: String = "before-requests"
    @Flag(inversion: .prefixedNo, help: "Gather concurrent writes into group commits (the store's default).")
    var groupCommit = true
    @Flag(help: "Run the simulator as a child process (telegent-sim beside this binary) and report its CPU apart.")
    var simulatorProcess = false
    @Option(help: "Write a CSV timeline of every request to this file (and summarise it).") var timeline: String?
    @Option(help: "Write the figures as JSON to this file.") var json: String?

    func run() async throws {
        if workers > 0 { return try await runWorkers() }
        let directory = try BenchFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let manifestPath = try writeManifest(in: directory, accounts: accounts, subscribers: subscribers, csv: false)
        let configuration = SimulatorConfiguration(
            rateLimitPerMinute: nil, latency: .milliseconds(latency), numbersPerArea: subscribers + 1000)
        var figures: [String: JSONValue]
        if simulatorProcess {
            let child = try SimulatorProcess(configuration)
            defer { child.stop() }
            figures = try await measure(baseURL: child.baseURL, directory: directory, manifestPath: manifestPath) {
                try await child.ledger()
            }
            let simulatorCPU = child.cpuSeconds()
            figures["simulator_process_cpu_seconds"] = .double(simulatorCPU)
        } else {
            figures = try await TelegentSimulator.withRunning(configuration) { simulator in
                try await measure(baseURL: simulator.baseURL, directory: directory, manifestPath: manifestPath) {
                    let ledger = simulator.world.ledger()
                    return (ledger.purchases, ledger.accounts)
                }
            }
        }
        try writeFigures(figures, to: json)
    }

    private func measure(
        baseURL: String, directory: URL, manifestPath: String,
        ledger: @Sendable () async throws -> (purchases: Int, accounts: Int)
    ) async throws -> [String: JSONValue] {
        let workflow = try BenchFiles.workflow()
        let store = try SQLiteCheckpointStore(
            path: directory.appendingPathComponent("bench.sqlite").path,
            durability: SQLiteCheckpointStore.Durability(rawValue: durability) ?? .beforeRequests,
            groupCommit: groupCommit)
        defer { try? store.close() }
        let recorder = timeline.map { _ in TimelineRecorder() }
        var configuration = benchConfiguration(
            baseURL: baseURL, directory: directory, maximumConnections: max(64, concurrency * 2))
        if let recorder {
            configuration.requestTimeline = { timing in recorder.record(timing) }
        }
        let manifest = try Manifest.load(path: manifestPath)
        let cpuBefore = processCPUSeconds()
        let commitsBefore = store.commitStatistics
        let clock = ContinuousClock()
        let start = clock.now
        let (result, statistics) = try await Engine.with(
            configuration, definition: workflow, store: store, events: { event in recorder?.record(event) }
        ) { (engine: Engine) async throws -> ((batchID: String, progress: BatchProgress), TelegentHTTPTransport.Statistics) in
            let batch = BatchRunner(runner: engine.runner, options: .init(concurrency: concurrency))
            let result = try await batch.run(
                manifest, environment: benchEnvironment, progressReady: { progress in recorder?.sample(progress) })
            return (result, engine.transport.statistics)
        }
        let wall = (clock.now - start).seconds
        recorder?.stopSampling()
        let cpu = processCPUSeconds() - cpuBefore
        let commits = store.commitStatistics
        let snapshot = result.progress.snapshot
        let (purchases, ledgerAccounts) = try await ledger()
        // What no client can beat: every call waits the latency, C at a time.
        let physical = Double(statistics.requests) * Double(latency) / 1000 / Double(concurrency)
        let perSubscriber = { (value: Int) in JSONValue.double(Double(value) / Double(subscribers)) }
        var figures: [String: JSONValue] = [
            "scenario": "batch", "subscribers": .int(subscribers), "accounts": .int(accounts), "latency_ms": .int(latency),
            "concurrency": .int(concurrency), "durability": .string(durability), "group_commit": .bool(groupCommit),
            "simulator": .string(simulatorProcess ? "child process" : "in process"),
            "wall_seconds": .double(wall), "requests": .int(statistics.requests),
            "token_requests": .int(statistics.tokenRequests),
            "requests_per_subscriber": .double(Double(statistics.requests) / Double(subscribers)),
            "physical_limit_seconds": .double(physical), "ratio_to_physical_limit": .double(wall / physical),
            "items_done": .int(snapshot.outcomes[.done] ?? 0), "items_total": .int(snapshot.total),
            "ledger_purchases": .int(purchases), "ledger_accounts": .int(ledgerAccounts),
            "rate_limited": .int(statistics.rateLimited), "peak_memory_mb": .double(peakMemoryMB()),
            "process_cpu_seconds": .double(cpu),
            "store_writes_per_subscriber": perSubscriber(commits.writes - commitsBefore.writes),
            "commits_per_subscriber": perSubscriber(commits.commits - commitsBefore.commits),
            "syncs_per_subscriber": perSubscriber(commits.syncs - commitsBefore.syncs),
            "largest_group_commit": .int(commits.largestGroup),
        ]
        if let recorder, let timeline {
            try recorder.write(to: timeline, start: start)
            figures["timeline"] = .object(recorder.summary(start: start, end: clock.now, latencyMs: latency, concurrency: concurrency))
        }
        return figures
    }
}

/// CPU time (user and system) this process has used, in seconds.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
        + Double(usage.ru_stime.tv_usec) / 1e6
}

extension BatchBench {
    /// The batch executed by `workers` worker processes on a shared database.
    func runWorkers() async throws {
        let directory = try BenchFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let manifestPath = try writeManifest(in: directory, accounts: accounts, subscribers: subscribers, csv: false)
        let database = try BenchDatabase(db, directory: directory)
        let configuration = SimulatorConfiguration(
            rateLimitPerMinute: nil, latency: .milliseconds(latency), numbersPerArea: subscribers + 1000)
        do {
            let figures = try await TelegentSimulator.withRunning(configuration) { simulator in
                let run = try await enqueueAndWork(
                    manifestPath: manifestPath, database: database, simulator: simulator, directory: directory,
                    workers: workers, concurrency: concurrency, rate: "1000000/min")
                let ledger = simulator.world.ledger()
                let counts = try await withOpenStore(database.location) { try await $0.runCounts(matching: RunFilter()) }
                let physical = Double(ledger.requests) * Double(latency) / 1000 / Double(concurrency * workers)
                var figures: [String: JSONValue] = [
                    "scenario": "batch", "backend": .string(database.backend), "workers": .int(workers),
                    "subscribers": .int(subscribers), "accounts": .int(accounts), "latency_ms": .int(latency),
                    "concurrency_per_worker": .int(concurrency), "wall_seconds": .double(run.wallSeconds),
                    "enqueue_seconds": .double(run.enqueueSeconds), "requests": .int(ledger.requests),
                    "token_requests": .int(ledger.tokensIssued),
                    "requests_per_subscriber": .double(Double(ledger.requests) / Double(subscribers)),
                    "physical_limit_seconds": .double(physical), "ratio_to_physical_limit": .double(run.wallSeconds / physical),
                    "items_done": .int(counts[.done] ?? 0), "items_total": .int(counts.values.reduce(0, +)),
                    "items_per_worker": .array(run.executed.map(JSONValue.int)),
                    "ledger_purchases": .int(ledger.purchases), "ledger_accounts": .int(ledger.accounts),
                ]
                figures.merge(run.cpu) { $1 }
                return figures
            }
            await database.drop()
            try writeFigures(figures, to: json)
        } catch {
            await database.drop()
            throw error
        }
    }
}

/// Opens the store at `location`, runs `body`, closes it.
func withOpenStore<T: Sendable>(_ location: StoreLocation, _ body: (any CheckpointStore) async throws -> T) async throws -> T {
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

/// `ratelimit`: the simulator limits each credential to R per minute; a batch far larger than R·D runs for D
/// seconds under onboard's limiter; the achieved rate as a share of R, and the 429s.
struct RateLimitBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ratelimit",
        abstract: "Achieved request rate under the API's limit, as a share of it, and the count of 429s.",
        discussion: """
            Examples:
              swift run -c release onboard-bench ratelimit --rate 50 --seconds 180
              onboard-bench ratelimit --workers 3 --db postgres://onboard@127.0.0.1:5432/postgres --rate 50 --seconds 180
            With --workers N, N `onboard worker` processes (each given --rate) share the credential's budget in the \
            database; they are stopped (SIGTERM) after --seconds, and the simulator's request log gives the \
            requests in each 60 s window from the first one and in the busiest 60 s span.
            """)

    @Option(help: "Requests per minute, enforced by the simulator and configured in onboard.") var rate: Int = 50
    @Option(help: "How long to run.") var seconds: Int = 180
    @Option(help: "Items in flight (per worker with --workers).") var concurrency: Int = 8
    @Option(help: "Run `onboard worker` processes instead of one batch in this process.") var workers: Int = 0
    @Option(help: "The database of --workers: a postgres:// server (a new schema) or a SQLite file (default: a new one).") var db: String?
    @Option(help: "Write the figures as JSON to this file.") var json: String?

    func run() async throws {
        if workers > 0 { return try await runWorkers() }
        let directory = try BenchFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // Enough work that the limiter, not the work, decides.
        let subscribers = max(20, rate * seconds / 60 / 4 + 20)
        let manifestPath = try writeManifest(in: directory, accounts: max(1, subscribers / 10), subscribers: subscribers, csv: false)
        let workflow = try BenchFiles.workflow()
        let figures = try await TelegentSimulator.withRunning(SimulatorConfiguration(rateLimitPerMinute: rate, numbersPerArea: subscribers + 1000)) { simulator in
            let shutdown = ShutdownSignal()
            let manifest = try Manifest.load(path: manifestPath)
            let clock = ContinuousClock()
            let start = clock.now
            try await withBatch(
                simulator, directory: directory, workflow: workflow, rate: RateSpec(requests: rate),
                concurrency: concurrency, shutdown: shutdown
            ) { batch, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { _ = try await batch.run(manifest, environment: benchEnvironment) }
                    group.addTask {
                        try await Task.sleep(for: .seconds(seconds))
                        shutdown.request()
                    }
                    try await group.next()
                    group.cancelAll()
                }
            }
            let ledger = simulator.world.ledger()
            let elapsed = (clock.now - start).seconds
            // Requests the API accepted within the measured span (a 429 is not counted by the simulator's window).
            let accepted = ledger.requests - ledger.rateLimited
            let perMinute = Double(accepted) / (Double(seconds) / 60)
            return [
                "scenario": "ratelimit", "limit_per_minute": .int(rate), "seconds": .int(seconds),
                "elapsed_seconds": .double(elapsed), "requests": .int(ledger.requests), "accepted": .int(accepted),
                "achieved_per_minute": .double(perMinute), "share_of_limit": .double(perMinute / Double(rate)),
                "rate_limited_429": .int(ledger.rateLimited),
            ] as [String: JSONValue]
        }
        try writeFigures(figures, to: json)
    }
}

extension RateLimitBench {
    /// `workers` worker processes at `rate` each, on one database, for `seconds`.
    func runWorkers() async throws {
        let directory = try BenchFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let subscribers = max(20, rate * seconds / 60 / 4 + 20)
        let manifestPath = try writeManifest(in: directory, accounts: max(1, subscribers / 10), subscribers: subscribers, csv: false)
        let database = try BenchDatabase(db, directory: directory)
        let configuration = SimulatorConfiguration(rateLimitPerMinute: rate, numbersPerArea: subscribers + 1000)
        do {
            let figures = try await TelegentSimulator.withRunning(configuration) { simulator in
                let run = try await enqueueAndWork(
                    manifestPath: manifestPath, database: database, simulator: simulator, directory: directory,
                    workers: workers, concurrency: concurrency, rate: "\(rate)/min", stopAfter: .seconds(seconds))
                let ledger = simulator.world.ledger()
                let log = simulator.world.requestLog()
                // Windows from the first request, which is when the workers started working.
                let first = log.arrivalsMs.min() ?? 0
                let shifted = RequestLog(arrivalsMs: log.arrivalsMs.map { $0 - first })
                let windows = shifted.countsPerWindow(of: .seconds(60))
                let accepted = ledger.requests - ledger.rateLimited
                let perMinute = Double(accepted) / (Double(seconds) / 60)
                var figures: [String: JSONValue] = [
                    "scenario": "ratelimit", "backend": .string(database.backend), "workers": .int(workers),
                    "limit_per_minute": .int(rate), "seconds": .int(seconds), "elapsed_seconds": .double(run.wallSeconds),
                    "requests": .int(ledger.requests), "accepted": .int(accepted),
                    "achieved_per_minute": .double(perMinute), "share_of_limit": .double(perMinute / Double(rate)),
                    "rate_limited_429": .int(ledger.rateLimited),
                    "requests_per_60s_window": .array(windows.map(JSONValue.int)),
                    "busiest_60s_span": .int(log.mostInAnyWindow(of: .seconds(60)).count),
                    "items_per_worker": .array(run.executed.map(JSONValue.int)),
                ]
                figures.merge(run.cpu) { $1 }
                return figures
            }
            await database.drop()
            try writeFigures(figures, to: json)
        } catch {
            await database.drop()
            throw error
        }
    }
}

/// `scale`: a generated manifest of N subscribers through `onboard plan` (the real binary): time and peak memory.
struct ScaleBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Time and peak memory of `onboard plan` on a generated manifest of many subscribers.",
        discussion: "Example: swift run -c release onboard-bench scale --subscribers 100000")

    @Option(help: "Subscribers.") var subscribers: Int = 100_000
    @Option(help: "Accounts.") var accounts: Int = 1000
    @Flag(help: "Put the subscribers in the manifest itself instead of CSV files.") var inline = false
    @Option(help: "Write the figures as JSON to this file.") var json: String?

    func run() async throws {
        let directory = try BenchFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let manifestPath = try writeManifest(in: directory, accounts: accounts, subscribers: subscribers, csv: !inline)
        let onboard = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("onboard").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: onboard)
        process.arguments = ["plan", manifestPath, "--json"]
        var environment = ProcessInfo.processInfo.environment
        environment.merge(benchEnvironment) { $1 }
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.currentDirectoryURL = BenchFiles.root
        let clock = ContinuousClock()
        let start = clock.now
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let wall = (clock.now - start).seconds
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
        let plan = try? JSONValue(jsonData: data)
        try writeFigures([
            "scenario": "scale", "subscribers": .int(subscribers), "accounts": .int(accounts),
            "subscribers_in": .string(inline ? "manifest" : "csv"), "exit_code": .int(Int(process.terminationStatus)),
            "wall_seconds": .double(wall), "peak_memory_mb": .double(Double(usage.ru_maxrss) / 1024),
            "planned_calls": plan?["calls"] ?? .null, "items": plan?["items"] ?? .null,
        ], to: json)
    }
}
