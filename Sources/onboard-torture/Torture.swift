import ArgumentParser
import Foundation
import OnboardCore

/// `onboard-torture`: SIGKILLs `onboard batch` at random instants against a faulty simulator, lets it finish, and
/// checks that nothing was created twice or lost and that the checkpoint database is intact.
struct Torture: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "onboard-torture",
        abstract: "Crash/fault torture: kill `onboard batch` at random instants against a faulty simulator, then check the ledger and the database.",
        discussion: """
            Uses only the built binaries `onboard` and `telegent-sim` (beside this executable, or in --bin-dir), as \
            a user would. It starts telegent-sim on a free loopback port with injected faults on the quickstart's \
            create/purchase POSTs and on number availability (drop p/3, HTTP 500 p/6, HTTP 503 p/6, 300 ms latency \
            p/3, for a total rate p) and on every GET lookup (HTTP 503 p/10); writes a batch manifest of ITEMS \
            subscribers under max(1, ITEMS/5) accounts; then runs `onboard batch` and SIGKILLs it after a random \
            delay (seeded, uniform in [0, D]; D starts at the estimated batch duration and adapts so the kills are spread over the work and most runs die in flight) until KILLS runs were killed. \
            Besides plain kills, a share of the rounds (--pauses) SIGSTOPs the run past its lease, runs a second \
            process on the same database meanwhile, then SIGCONTs the first (which must stop what it lost without \
            sending it again); another share (--concurrent) starts a second process beside the first; and a share of \
            the POSTs (--slow-rate) is applied by the API only after onboard's request timeout. Then it reruns \
            the batch without killing until it exits 0 (at most 10 times) and checks:

              - the simulator's ledger: exactly one account and message route per account, and one purchase, \
            subscriber and message per subscriber; no name, e-mail or route counted twice;
              - the database: PRAGMA integrity_check is ok, every run is done, one subscriber run per item;
              - one more `onboard batch` makes zero requests.

            With --workers N --db postgres://…, the batch is enqueued once (`onboard batch --enqueue`) into a \
            schema of its own on that server, and N `onboard worker --until-idle` processes execute it, each at \
            --rate; one of them, at random, is SIGKILLed every --kill-interval seconds on average and restarted at \
            once, until KILLS kills. The workers then finish on their own (a final `onboard batch` retries any \
            item that failed), and besides the ledger, every run done and a last worker making zero requests, the \
            simulator's request log must show at most R requests in any window of the rate (any 60 s for 300/min).

            Prints one verdict line (`torture: PASS …` or `torture: FAIL …`). Exit codes: 0 PASS, 1 FAIL (the \
            work directory is kept), 2 bad options or missing binaries, 130 interrupted.

            Example:
              swift build && .build/debug/onboard-torture --items 20 --kills 20
              swift build -c release && .build/release/onboard-torture --items 100 --kills 200 --fault-rate 0.2 --json torture.json
              .build/release/onboard-torture --workers 3 --db postgres://onboard@127.0.0.1:5432/postgres --kills 100
            """)

    @Option(help: ArgumentHelp("Subscribers in the batch (accounts: max(1, N/5)).", valueName: "n"))
    var items = 20

    @Option(help: ArgumentHelp("SIGKILLs of `onboard batch` in flight before the final runs.", valueName: "k"))
    var kills = 20

    @Option(help: ArgumentHelp("Total fault rate on the create/purchase POSTs and availability, 0...1.", valueName: "p"))
    var faultRate = 0.2

    @Option(help: ArgumentHelp("Milliseconds of the `latency` fault (0 leaves that fault out).", valueName: "ms"))
    var faultLatency = 300

    @Option(help: ArgumentHelp("Share of the create/purchase POSTs the API applies only after --slow-ms, beyond onboard's --request-timeout (0 leaves them out).", valueName: "p"))
    var slowRate = 0.05

    @Option(help: ArgumentHelp("Milliseconds a slow answer takes (more than --request-timeout).", valueName: "ms"))
    var slowMs = 1_500

    @Option(help: ArgumentHelp("onboard's --request-timeout, seconds.", valueName: "s"))
    var requestTimeout = 1.0

    @Option(help: ArgumentHelp("onboard's lease (--lease-seconds): how long a paused run holds its items.", valueName: "s"))
    var leaseSeconds = 2.0

    @Option(help: ArgumentHelp("Share of the rounds that SIGSTOP the run past its lease, run a second process meanwhile, then SIGCONT it.", valueName: "p"))
    var pauses = 0.25

    @Option(help: ArgumentHelp("Share of the rounds that start a second `onboard batch` on the same database while the first runs.", valueName: "p"))
    var concurrent = 0.25

    @Option(help: ArgumentHelp("Seed of the kill delays and of the simulator's random choices.", valueName: "s"))
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Items run at once (passed to `onboard batch --concurrency`).", valueName: "c"))
    var concurrency = 8

    @Option(help: ArgumentHelp("Milliseconds the simulator adds to every API request.", valueName: "ms"))
    var latency = 10

    @Option(help: ArgumentHelp("Work directory (manifest, database, logs); default: a new temporary directory, removed after a PASS unless --keep.", valueName: "dir"))
    var workDir: String?

    @Flag(help: "Keep the temporary work directory after a PASS.")
    var keep = false

    @Option(help: ArgumentHelp("Write the figures and the verdict to this JSON file.", valueName: "file"))
    var json: String?

    @Option(help: ArgumentHelp("Directory holding the `onboard` and `telegent-sim` binaries (default: beside this executable).", valueName: "dir"))
    var binDir: String?

    @Option(help: ArgumentHelp("Global timeout in seconds: then everything is killed and the verdict is FAIL.", valueName: "s"))
    var timeout = 1_200.0

    @Option(help: ArgumentHelp("Run N `onboard worker` processes on an enqueued batch instead of `onboard batch` (needs --db postgres://…); SIGKILL them at random instants and restart them.", valueName: "n"))
    var workers = 0

    @Option(help: ArgumentHelp("A PostgreSQL server for the worker torture (a user allowed to create schemas): the torture keeps its runs in a schema of its own there, dropped after a PASS unless --keep.", valueName: "url"))
    var db: String?

    @Option(help: ArgumentHelp("With --workers: the rate every worker is given (--rate); the simulator must never see more than that in any window of it.", valueName: "r"))
    var rate = "300/min"

    @Option(help: ArgumentHelp("With --workers: mean seconds between kills (each delay uniform in [0, 2×mean]).", valueName: "s"))
    var killInterval = 1.0

    func validate() throws {
        guard items >= 1 else { throw ValidationError("--items must be at least 1 (got \(items)).") }
        guard kills >= 0 else { throw ValidationError("--kills must not be negative (got \(kills)).") }
        guard (0...1).contains(faultRate) else { throw ValidationError("--fault-rate must be from 0 to 1 (got \(faultRate)).") }
        guard faultLatency >= 0 else { throw ValidationError("--fault-latency must not be negative (got \(faultLatency)).") }
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be at least 1 (got \(concurrency)).") }
        guard latency >= 0 else { throw ValidationError("--latency must not be negative (got \(latency)).") }
        guard timeout > 0 else { throw ValidationError("--timeout must be positive (got \(timeout)).") }
        guard (0...1).contains(slowRate), (0...1).contains(pauses), (0...1).contains(concurrent), pauses + concurrent <= 1 else {
            throw ValidationError("--slow-rate, --pauses and --concurrent are shares from 0 to 1 (--pauses + --concurrent at most 1).")
        }
        guard requestTimeout > 0, Double(slowMs) / 1000 > requestTimeout else {
            throw ValidationError("--slow-ms must be longer than --request-timeout (got \(slowMs) ms and \(requestTimeout) s).")
        }
        guard leaseSeconds >= 1 else { throw ValidationError("--lease-seconds must be at least 1 (got \(leaseSeconds)).") }
        guard workers >= 0 else { throw ValidationError("--workers must not be negative (got \(workers)).") }
        if workers > 0 {
            guard let db, db.lowercased().hasPrefix("postgres://") || db.lowercased().hasPrefix("postgresql://") else {
                throw ValidationError("--workers needs --db postgres://USER@HOST:PORT/DATABASE: workers share a server database.")
            }
            guard RateSpec(parsing: rate) != nil else { throw ValidationError("--rate \(rate): write 300/min, 50, 10/5s.") }
            guard killInterval > 0 else { throw ValidationError("--kill-interval must be positive (got \(killInterval)).") }
        } else if db != nil {
            throw ValidationError("--db is for the worker torture (--workers N); the batch torture runs on a SQLite file of its own.")
        }
    }

    func run() async throws {
        let binaries = try locateBinaries()
        let (directory, isTemporary) = try prepareWorkDir()
        var session = TortureSession(options: self, binaries: binaries, workDir: directory, isTemporaryWorkDir: isTemporary)
        let passed = await session.run()
        if !passed { throw ExitCode(1) }
    }

    /// `onboard` and `telegent-sim` beside this executable (or in --bin-dir); exit code 2 naming what is missing.
    func locateBinaries() throws -> (onboard: String, simulator: String) {
        let directory = binDir.map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let onboard = directory.appendingPathComponent("onboard").path
        let simulator = directory.appendingPathComponent("telegent-sim").path
        let missing = [onboard, simulator].filter { !FileManager.default.isExecutableFile(atPath: $0) }
        guard missing.isEmpty else {
            throw TortureError.usage("""
                missing binaries: \(missing.joined(separator: ", ")).
                Build them first: swift build  (or swift build -c release), then run onboard-torture from the same \
                build folder, or point --bin-dir at the folder holding onboard and telegent-sim.
                """)
        }
        return (onboard, simulator)
    }

    /// The work directory: --work-dir (created when missing; refused when it already holds a database), else a
    /// new temporary one.
    func prepareWorkDir() throws -> (path: String, isTemporary: Bool) {
        let fileManager = FileManager.default
        if let workDir {
            let path = URL(fileURLWithPath: workDir).standardizedFileURL.path
            if fileManager.fileExists(atPath: path + "/onboard.sqlite") {
                throw TortureError.usage("--work-dir \(workDir) already holds onboard.sqlite from an earlier torture; give an empty or new directory.")
            }
            try fileManager.createDirectory(atPath: path, withIntermediateDirectories: true)
            return (path, false)
        }
        let path = fileManager.temporaryDirectory.appendingPathComponent("onboard-torture-\(UUID().uuidString.prefix(8))").path
        try fileManager.createDirectory(atPath: path, withIntermediateDirectories: true)
        return (path, true)
    }
}

/// The entry point: runs `Torture`, mapping bad options and missing binaries to exit code 2 (ArgumentParser's
/// own default for validation errors is 64).
@main
enum TortureMain {
    static func main() async {
        let command: Torture
        do {
            var parsed = try Torture.parseAsRoot()
            guard let torture = parsed as? Torture else {
                // A built-in command such as `help`.
                try parsed.run()
                Torture.exit()
            }
            command = torture
        } catch {
            if Torture.exitCode(for: error) == .success { Torture.exit(withError: error) }  // --help
            FileHandle.standardError.write(Data((Torture.fullMessage(for: error) + "\n").utf8))
            exit(2)
        }
        do {
            try await command.run()
            exit(0)
        } catch let error as TortureError {
            FileHandle.standardError.write(Data("onboard-torture: error: \(error)\n".utf8))
            if case .usage = error { exit(2) }
            exit(1)
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch {
            FileHandle.standardError.write(Data("onboard-torture: error: \(error)\n".utf8))
            exit(1)
        }
    }
}
