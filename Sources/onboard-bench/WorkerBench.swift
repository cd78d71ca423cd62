import Foundation
import OnboardCore
import OnboardPostgres
import OnboardRuntime
import Synchronization
import TelegentSimulator

/// The database of a benchmark given `--db`: a PostgreSQL server gets a new schema of its own (dropped afterwards),
/// so every measurement starts empty; otherwise a new SQLite file in the benchmark's folder.
struct BenchDatabase: Sendable {
    /// What `--db` gets.
    let argument: String
    let scratch: PostgresScratchSchema?

    var location: StoreLocation { StoreLocation(argument) }
    var backend: String { scratch == nil ? "sqlite" : "postgres" }

    init(_ db: String?, directory: URL) throws {
        if let db, StoreLocation(db).isPostgres {
            let scratch = try PostgresScratchSchema(on: db, prefix: "onboard_bench")
            self.scratch = scratch
            argument = scratch.url
        } else {
            scratch = nil
            argument = db ?? directory.appendingPathComponent("bench.sqlite").path
        }
    }

    func drop() async { await scratch?.drop() }
}

/// The built `onboard` beside this executable, run as a child with its output in files.
final class OnboardProcess: Sendable {
    private let process: Process
    let outputPath: String
    private let ended = Locked<(status: Int32?, waiters: [CheckedContinuation<Int32, Never>])>((nil, []))

    static var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("onboard").path
    }

    init(_ arguments: [String], directory: URL, name: String) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw BenchError("no onboard binary at \(Self.binary): build it first (swift build -c release)")
        }
        outputPath = directory.appendingPathComponent("\(name).out").path
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment.merge(benchEnvironment) { $1 }
        environment["TELEGENT_ACCOUNT_KEY"] = SimulatorCredential.demo.accountKey
        environment["TELEGENT_ACCOUNT_SECRET"] = SimulatorCredential.demo.accountSecret
        process.environment = environment
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        let ended = self.ended
        process.terminationHandler = { process in
            let waiters = ended.withLock { value in
                value.status = process.terminationStatus
                defer { value.waiters = [] }
                return value.waiters
            }
            for waiter in waiters { waiter.resume(returning: process.terminationStatus) }
        }
        self.process = process
        try process.run()
        try? output.close()
    }

    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let done: Int32? = ended.withLock { value in
                if let status = value.status { return status }
                value.waiters.append(continuation)
                return nil
            }
            if let done { continuation.resume(returning: done) }
        }
    }

    func terminate() {
        ended.withLock { value in
            if value.status == nil { process.terminate() }
        }
    }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }

    /// The count `onboard worker` prints when it stops.
    var executed: Int? {
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("worker stopped: ") }) else { return nil }
        return Int(line.dropFirst("worker stopped: ".count).prefix { $0.isNumber })
    }
}

/// A value behind a lock, shared with a termination handler.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<T>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// CPU time, to say where a run's time went on a machine of few cores.
struct CPUSample {
    /// Busy and total jiffies of the whole machine (`/proc/stat`), every process included.
    var machineBusy: Double
    var machineTotal: Double
    /// This process (the simulator, in-process) and its finished children (the `onboard` processes), seconds.
    var selfSeconds: Double
    var childrenSeconds: Double
    /// Every `postgres` process of the machine, with the children they reaped (backends that ended), seconds.
    var postgresSeconds: Double

    static func now() -> CPUSample {
        var sample = CPUSample(machineBusy: 0, machineTotal: 0, selfSeconds: 0, childrenSeconds: 0, postgresSeconds: 0)
        if let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
        {
            let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
            if fields.count >= 5 {
                sample.machineTotal = fields.reduce(0, +)
                sample.machineBusy = sample.machineTotal - fields[3] - fields[4]  // idle, iowait
            }
        }
        func seconds(_ who: Int32) -> Double {
            var usage = rusage()
            getrusage(__rusage_who_t(who), &usage)
            return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
                + Double(usage.ru_stime.tv_usec) / 1e6
        }
        sample.postgresSeconds = postgresCPUSeconds()
        sample.selfSeconds = seconds(RUSAGE_SELF.rawValue)
        sample.childrenSeconds = seconds(RUSAGE_CHILDREN.rawValue)
        return sample
    }

    /// utime + stime + cutime + cstime of every process named `postgres` (`/proc/PID/stat`, clock ticks of 1/100 s):
    /// the server and its backends, those that ended counted in the postmaster that reaped them.
    static func postgresCPUSeconds() -> Double {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return 0 }
        var ticks = 0.0
        for entry in entries where entry.allSatisfy(\.isNumber) {
            guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")"),
                stat[stat.index(after: open)..<close] == "postgres"
            else { continue }
            // Fields after the command: state is field 3; utime, stime, cutime, cstime are fields 14 to 17.
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            guard fields.count > 14 else { continue }
            ticks += fields[11...14].compactMap { Double($0) }.reduce(0, +)
        }
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// What happened between `start` and this sample over `wall` seconds, as figures.
    func figures(since start: CPUSample, wall: Double) -> [String: JSONValue] {
        let total = machineTotal - start.machineTotal
        let cores = Double(ProcessInfo.processInfo.activeProcessorCount)
        let simulator = selfSeconds - start.selfSeconds
        let workers = childrenSeconds - start.childrenSeconds
        let machine = total > 0 ? (machineBusy - start.machineBusy) / total : 0
        return [
            "cpu_machine_busy_share": .double(machine),
            "cpu_seconds_machine": .double(machine * cores * wall),
            "cpu_seconds_onboard_processes": .double(workers),
            "cpu_seconds_simulator_and_bench": .double(simulator),
            "cpu_seconds_postgres": .double(postgresSeconds - start.postgresSeconds),
            // Anything else running on the machine at the time (other users' work).
            "cpu_seconds_rest": .double(max(0, machine * cores * wall - workers - simulator - (postgresSeconds - start.postgresSeconds))),
            "load_average_at_end": .string((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?
                .split(separator: " ").prefix(3).joined(separator: " ") ?? "?"),
        ]
    }
}

/// Enqueues `manifestPath` into `database` with `onboard batch --enqueue`, then runs `workers` `onboard worker`
/// processes on it, until they end on their own (`--until-idle`) or `stopAfter` passes (then SIGTERM).
func enqueueAndWork(
    manifestPath: String, database: BenchDatabase, simulator: RunningSimulator, directory: URL, workers: Int,
    concurrency: Int, rate: String, stopAfter: Duration? = nil
) async throws -> (enqueueSeconds: Double, wallSeconds: Double, executed: [Int], cpu: [String: JSONValue]) {
    let clock = ContinuousClock()
    let enqueueStart = clock.now
    let enqueue = try OnboardProcess(
        ["batch", manifestPath, "--enqueue", "--db", database.argument, "--base-url", simulator.baseURL],
        directory: directory, name: "enqueue")
    guard await enqueue.wait() == 0 else { throw BenchError("onboard batch --enqueue failed:\n\(enqueue.output)") }
    let enqueueSeconds = (clock.now - enqueueStart).seconds
    let cpuStart = CPUSample.now()
    let start = clock.now
    let processes = try (0..<workers).map { index in
        try OnboardProcess(
            [
                "worker", "--db", database.argument, "--until-idle", "--concurrency", String(concurrency), "--rate", rate,
            ], directory: directory, name: "worker-\(index)")
    }
    var stopper: Task<Void, Never>?
    if let stopAfter {
        stopper = Task {
            guard (try? await Task.sleep(for: stopAfter)) != nil else { return }
            for process in processes { process.terminate() }
        }
    }
    for process in processes {
        let status = await process.wait()
        guard status == 0 || (stopAfter != nil && status == 130) else {
            throw BenchError("onboard worker exited \(status):\n\(process.output.suffix(3000))")
        }
    }
    stopper?.cancel()
    let wall = (clock.now - start).seconds
    return (enqueueSeconds, wall, processes.map { $0.executed ?? 0 }, CPUSample.now().figures(since: cpuStart, wall: wall))
}
