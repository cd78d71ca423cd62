import Foundation
import OnboardPostgres
import TelegentSimulator

/// One torture: simulator up, manifest written, the kill loop, the final runs, the checks and the verdict.
struct TortureSession {
    let options: Torture
    let binaries: (onboard: String, simulator: String)
    let workDir: String
    let isTemporaryWorkDir: Bool
    let manifest: BatchManifest
    let started = ContinuousClock.now
    let environment: [String: String]

    /// Every `onboard batch` started so far.
    var runs = 0
    /// Rounds that paused the run past its lease, and that ran a second process beside the first.
    var pausesDone = 0
    var concurrentDone = 0
    /// Runs SIGCONTed after their lease was taken over that then exited on their own (they must not resend).
    var resumedAfterPause: [Int32: Int] = [:]
    /// Chooses each round's kind (kill, pause, concurrent), seeded.
    var roundChoice: SplitMix64
    var killsDone = 0
    /// Kills of runs that had made API requests (the others died before their first request, or had no work).
    var killsMidAPI = 0
    /// Subscribers holding a number of another area code than they asked for (reported, not a FAIL).
    var wrongAreas: [String] = []
    /// Runs of the kill loop that ended on their own before their kill, by exit code.
    var finishedOnTheirOwn: [Int32: Int] = [:]
    var finalRuns = 0
    var lastRun: Child?
    var delays: [Double] = []
    var problems: [String] = []
    /// The worker torture's schema on the --db server (nil for the batch torture, which uses a SQLite file).
    var sharedDatabase: PostgresScratchSchema?
    /// `onboard worker` processes started so far (the worker torture).
    var workerStarts = 0

    init(options: Torture, binaries: (onboard: String, simulator: String), workDir: String, isTemporaryWorkDir: Bool) {
        self.options = options
        self.binaries = binaries
        self.workDir = workDir
        self.isTemporaryWorkDir = isTemporaryWorkDir
        manifest = BatchManifest(items: options.items)
        roundChoice = SplitMix64(seed: options.seed ^ 0x7061_7573_6573)
        var environment = ProcessInfo.processInfo.environment
        environment["TELEGENT_ACCOUNT_KEY"] = "DID-onboard-demo"
        environment["TELEGENT_ACCOUNT_SECRET"] = "demo-secret-not-for-production"
        environment["ONBOARD_SUBSCRIBER_PASSWORD"] = "Torture-Pass-2026!"
        self.environment = environment
    }

    var elapsed: Double { (ContinuousClock.now - started).seconds }
    var databasePath: String { workDir + "/onboard.sqlite" }
    /// What `--db` gets: the worker torture's schema on the server, else the SQLite file.
    var databaseArgument: String { sharedDatabase?.url ?? databasePath }
    /// How long the API may still apply a request after onboard stopped waiting: the slowest fault beyond the
    /// request timeout (a slow answer), or the 300 ms fault latency of a killed run's request, plus a margin.
    var settleWindow: Double {
        max(1, Double(options.slowMs) / 1000 - options.requestTimeout + 0.5, Double(options.faultLatency) / 1000 + 0.5)
    }
    var manifestPath: String { workDir + "/batch.yaml" }

    /// Runs the torture; true for PASS. Never throws: setup errors are a FAIL with their message.
    mutating func run() async -> Bool {
        let guardRails = GuardRails(timeout: options.timeout, workDir: workDir, json: options.json)
        defer { guardRails.cancel() }
        say("torture: work dir \(workDir)")
        var simulator: Simulator?
        var figures = Figures()
        do {
            let faults = workDir + "/faults.json"
            try faultFile(
                rate: options.faultRate, latencyMs: options.faultLatency, slowRate: options.slowRate, slowMs: options.slowMs
            ).write(toFile: faults, atomically: true, encoding: .utf8)
            try manifest.yaml.write(toFile: manifestPath, atomically: true, encoding: .utf8)
            try FileManager.default.createDirectory(atPath: workDir + "/runs", withIntermediateDirectories: true)
            let sim = try await Simulator.start(
                binary: binaries.simulator, latency: options.latency, seed: options.seed, faults: faults,
                workDir: workDir, environment: environment)
            simulator = sim
            say("torture: telegent-sim at \(sim.baseURL) (latency \(options.latency) ms, fault rate \(options.faultRate), fault latency \(options.faultLatency) ms, seed \(options.seed))")
            say("torture: \(manifest.items) subscriber(s) under \(manifest.accounts) account(s), concurrency \(options.concurrency), \(options.kills) kill(s)")
            if options.workers > 0 {
                figures = try await workerTorture(simulator: sim)
            } else {
                try await killLoop(simulator: sim)
                let converged = try await finalRuns(baseURL: sim.baseURL)
                figures = try await check(simulator: sim, converged: converged)
            }
        } catch {
            problems.append("error: \(error)")
        }
        if let simulator { await simulator.stop() }
        let passed = await verdict(figures)
        if let sharedDatabase {
            if passed && !options.keep {
                await sharedDatabase.drop()
            } else {
                say("torture: the runs are kept in schema \(sharedDatabase.name): --db '\(sharedDatabase.url)'")
            }
        }
        return passed
    }

    // MARK: - Runs

    /// Starts `onboard batch` on the manifest, with its output in runs/NNN.out and runs/NNN.err.
    mutating func startBatch(baseURL: String) throws -> Child {
        runs += 1
        let name = String(format: "%03d", runs)
        let child = try Child(
            name: "onboard batch #\(runs)", executable: binaries.onboard,
            arguments: [
                "batch", manifestPath, "--db", databasePath, "--base-url", baseURL,
                "--concurrency", String(options.concurrency), "--rate", "100000/min",
                "--request-timeout", String(options.requestTimeout), "--lease-seconds", String(options.leaseSeconds),
                "--settle-window", String(settleWindow),
            ],
            environment: environment, directory: workDir,
            stdoutPath: "\(workDir)/runs/\(name).out", stderrPath: "\(workDir)/runs/\(name).err")
        lastRun = child
        return child
    }

    /// What a batch of this size takes, roughly: a start-up, then the calls (about 5 per subscriber, 2 per account
    /// and a token per endpoint path) spread over the concurrent items, each call paying the simulator's latency and
    /// some of it a 300 ms fault latency or a retry back-off (mean 0.5 s after a first 500/503).
    var estimatedBatchDuration: Double {
        let calls = Double(manifest.items * 5 + manifest.accounts * 2 + 8)
        let perCall = Double(options.latency + 5) / 1_000 + options.faultRate * (0.3 / 3 + 0.5 / 3)
        let chain = 7.0  // the calls one subscriber item makes in a row, account steps included
        return 0.3 + perCall * max(calls / Double(options.concurrency), chain)
    }

    /// Kills `onboard batch` after a random delay until `kills` runs were killed in flight.
    mutating func killLoop(simulator: Simulator) async throws {
        let baseURL = simulator.baseURL
        var requestsSoFar = try await simulator.ledger().requests
        var progressSoFar = 0.0
        var schedule = KillSchedule(initialBound: estimatedBatchDuration, seed: options.seed)
        say(String(format: "torture: kill delays uniform in [0, D], D starts at %.2f s (estimated batch duration)", schedule.bound))
        var attempts = 0
        while killsDone < options.kills {
            attempts += 1
            let bound = schedule.bound
            let delay = schedule.nextDelay()
            delays.append(delay)
            let choice = roundChoice.unit()
            if choice < options.pauses + options.concurrent {
                let pause = choice < options.pauses
                try await adversityRound(pause: pause, delay: delay, bound: bound, simulator: simulator)
                let ledger = try await simulator.ledger()
                let progress = manifest.progress(ledger)
                schedule.killed(before: progressSoFar, after: progress, killsLeft: max(0, options.kills - killsDone))
                progressSoFar = progress
                requestsSoFar = ledger.requests
                continue
            }
            let child = try startBatch(baseURL: baseURL)
            let runStart = ContinuousClock.now
            let endedFirst = await withTaskGroup(of: Bool.self) { group in
                group.addTask { _ = await child.wait(); return true }
                group.addTask {
                    try? await Task.sleep(for: .seconds(delay))
                    return false
                }
                let endedFirst = await group.next() ?? false
                if !endedFirst { child.signal(SIGKILL) }
                group.cancelAll()
                await group.waitForAll()
                return endedFirst
            }
            let termination = await child.wait()
            let duration = (termination.endedAt - runStart).seconds
            let ledger = try await simulator.ledger()
            let progress = manifest.progress(ledger)
            let requestsNow = ledger.requests
            let requests = requestsNow - requestsSoFar
            requestsSoFar = requestsNow
            let progressBefore = progressSoFar
            progressSoFar = progress
            if termination.signaled && !endedFirst {
                killsDone += 1
                if requests > 0 { killsMidAPI += 1 }
                schedule.killed(before: progressBefore, after: progress, killsLeft: options.kills - killsDone)
                say(String(
                    format: "kill %d/%d  run %d killed after %.3f s (D %.2f s), %d request(s), batch %.0f%% done  elapsed %.1f s",
                    killsDone, options.kills, runs, delay, bound, requests, progress * 100, elapsed))
            } else {
                schedule.finished(after: duration)
                finishedOnTheirOwn[termination.status, default: 0] += 1
                say(String(
                    format: "       run %d ended on its own, exit %d after %.3f s (kill was due at %.3f s), %d request(s), batch %.0f%% done  elapsed %.1f s",
                    runs, termination.status, duration, delay, requests, progress * 100, elapsed))
                try expectOrdinaryEnd(termination, of: child)
            }
            if attempts > max(100, options.kills * 20) {
                throw TortureError.setup("\(attempts) runs for \(killsDone) kills: the runs end before they can be killed")
            }
        }
    }

    /// Reruns the batch without killing until it exits 0, at most 10 times; false when it never did.
    mutating func finalRuns(baseURL: String) async throws -> Bool {
        for _ in 1...10 {
            let child = try startBatch(baseURL: baseURL)
            finalRuns += 1
            let runStart = ContinuousClock.now
            let termination = await child.wait()
            say(String(
                format: "final run %d (run %d): exit %d in %.2f s  elapsed %.1f s",
                finalRuns, runs, termination.status, (termination.endedAt - runStart).seconds, elapsed))
            if termination.status == 0 && !termination.signaled { return true }
            guard [1, 3, 4].contains(termination.status), !termination.signaled else {
                problems.append("final run \(runs) ended with exit code \(termination.status), expected 0, 1, 3 or 4")
                return false
            }
        }
        problems.append("the batch did not finish with exit 0 in 10 final runs")
        return false
    }

    // MARK: - Checks

    /// Ledger and database checks, then one more run that must make no request.
    mutating func check(simulator: Simulator, converged: Bool) async throws -> Figures {
        var figures = Figures()
        let before = try await simulator.ledger()
        let database = try DatabaseCheck(path: databasePath)
        figures.integrity = database.integrity
        figures.notDone = database.notDone.count
        figures.unfinishedAttempts = database.unfinishedAttempts
        problems += database.problems(manifest: manifest)

        // Finished items make no call: one more run must leave the request count where it was.
        let child = try startBatch(baseURL: simulator.baseURL)
        let termination = await child.wait()
        let after = try await simulator.ledger()
        figures.rerunRequests = after.requests - before.requests
        if converged {
            if termination.status != 0 || termination.signaled {
                problems.append("the extra run ended with exit code \(termination.status), expected 0")
            }
            if figures.rerunRequests != 0 { problems.append("the extra run made \(figures.rerunRequests) request(s), expected 0") }
        }

        let ledgerCheck = checkEffects(after, database: database, into: &figures)
        // The items that may have made a duplicate: those whose create step of a duplicated kind was sent again
        // after a send whose effect was unknown; for a message, the item whose number sent it twice.
        let duplicatedSteps = Set(ledgerCheck.duplicates.keys.compactMap { DatabaseCheck.stepOfKind[$0] })
        // Sends that may have taken effect (killed in flight, no answer) before those answered with an error status.
        let candidates = database.resends.filter { duplicatedSteps.contains($0.step) }
        let ordered = candidates.filter { !$0.how.hasPrefix("HTTP") } + candidates.filter { $0.how.hasPrefix("HTTP") }
        figures.suspects = ordered.map(\.description)
        let keyOfNumber = Dictionary(database.phoneNumbers.map { ($0.value, $0.key) }, uniquingKeysWith: { first, _ in first })
        for (route, count) in after.messagesByRoute where count > 1 {
            let from = String(route.prefix { $0 != "-" })
            if let key = keyOfNumber[from] { figures.suspectKeys.append(key) }
        }
        for resend in ordered where !figures.suspectKeys.contains(resend.key) {
            figures.suspectKeys.append(resend.key)
        }
        return figures
    }

    // MARK: - Verdict

    /// Prints diagnostics (on a FAIL), the verdict line, writes --json, and removes the temporary work directory
    /// after a PASS unless --keep.
    func verdict(_ figures: Figures) async -> Bool {
        let passed = problems.isEmpty
        if !passed {
            if let lastRun { say("torture: output of the last run (\(lastRun.name)):\n\(lastRun.outputTail())") }
            for line in figures.suspects { say("torture: suspect: \(line)") }
            // The first failing or suspect item's `onboard show --json` in full; the next two saved beside it.
            for (index, key) in (figures.notDoneKeys + figures.suspectKeys).prefix(3).enumerated() {
                let (path, text) = await show(key)
                say(index == 0 ? "torture: onboard show \(key) --json (also in \(path)):\n\(text)" : "torture: onboard show \(key) --json: \(path)")
            }
        }
        let kinds = finishedOnTheirOwn.sorted { $0.key < $1.key }.map { "exit\($0.key)=\($0.value)" }.joined(separator: ",")
        var line = "torture: \(passed ? "PASS" : "FAIL") items=\(options.items) kills=\(killsDone) pauses=\(pausesDone) concurrent=\(concurrentDone) "
            + "fault_rate=\(options.faultRate) seed=\(options.seed) runs=\(runs) kills_mid_api=\(killsMidAPI) duplicates=\(figures.duplicates) "
            + "lost=\(figures.lost) integrity=\(figures.integrity) in \(String(format: "%.1f", elapsed)) s"
        if !wrongAreas.isEmpty { line += " wrong_area=\(wrongAreas.count)" }
        if options.workers > 0 {
            line += " workers=\(options.workers) worker_starts=\(workerStarts) rate=\(options.rate)"
            if let busiest = figures.busiestWindow { line += " busiest_window=\(busiest)" }
        }
        if !passed {
            line += " | " + problems.joined(separator: "; ").replacingOccurrences(of: "\n", with: " ⏎ ")
            line += " | work dir kept: \(workDir)"
        }
        say(line)
        if passed && !options.keep && isTemporaryWorkDir { try? FileManager.default.removeItem(atPath: workDir) }
        if let path = options.json {
            var document: [String: Any] = [
                "verdict": passed ? "PASS" : "FAIL",
                "items": options.items, "accounts": manifest.accounts, "kills": killsDone,
                "kills_requested": options.kills, "kills_mid_api": killsMidAPI, "pauses": pausesDone,
                "concurrent_rounds": concurrentDone, "slow_rate": options.slowRate, "slow_ms": options.slowMs,
                "request_timeout_s": options.requestTimeout, "lease_s": options.leaseSeconds,
                "resumed_after_pause": resumedAfterPause.map { "exit\($0.key)=\($0.value)" }.sorted(), "wrong_area": wrongAreas, "fault_rate": options.faultRate, "seed": options.seed,
                "concurrency": options.concurrency, "latency_ms": options.latency, "fault_latency_ms": options.faultLatency,
                "runs": runs, "final_runs": finalRuns, "ended_on_their_own": kinds,
                "duplicates": figures.duplicates, "lost": figures.lost, "not_done": figures.notDone,
                "integrity": figures.integrity, "unfinished_attempts": figures.unfinishedAttempts,
                "rerun_requests": figures.rerunRequests, "elapsed_s": (elapsed * 10).rounded() / 10,
                "problems": problems, "work_dir": workDir, "suspects": figures.suspects,
            ]
            if options.workers > 0 {
                document["workers"] = options.workers
                document["worker_starts"] = workerStarts
                document["rate"] = options.rate
                document["busiest_window_requests"] = figures.busiestWindow ?? -1
                document["requests_per_window"] = figures.requestsPerWindow
            }
            if !delays.isEmpty {
                let sorted = delays.sorted()
                document["kill_delay_s"] = ["min": sorted[0], "median": sorted[sorted.count / 2], "max": sorted[sorted.count - 1]]
            }
            if let ledger = figures.ledger {
                document["ledger"] = [
                    "accounts": ledger.accounts, "message_routes": ledger.messageRoutes,
                    "voice_routes": ledger.voiceRoutes, "purchases": ledger.purchases,
                    "subscribers": ledger.subscribers, "messages": ledger.messages,
                    "requests": ledger.requests, "tokens_issued": ledger.tokensIssued,
                    "dropped_responses": ledger.droppedResponses,
                    "responses_by_status": ledger.responsesByStatus,
                ]
            }
            if let data = try? JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys]) {
                _ = FileManager.default.createFile(atPath: path, contents: data + Data("\n".utf8))
            }
        }
        return passed
    }

    /// `onboard show KEY --db … --json`, also saved in the work directory.
    func show(_ key: String) async -> (path: String, text: String) {
        let safe = key.replacingOccurrences(of: "/", with: "_")
        do {
            let child = try Child(
                name: "onboard show", executable: binaries.onboard,
                arguments: ["show", key, "--db", databaseArgument, "--json"], environment: environment, directory: workDir,
                stdoutPath: "\(workDir)/show-\(safe).json", stderrPath: "\(workDir)/show-\(safe).err")
            _ = await child.wait()
            let text = (try? String(contentsOfFile: child.stdoutPath, encoding: .utf8)) ?? ""
            return (child.stdoutPath, text.count > 8_000 ? String(text.prefix(8_000)) + "\n…" : text)
        } catch {
            return ("-", "(onboard show failed: \(error))")
        }
    }
}

/// The figures of the verdict line and the --json file.
struct Figures {
    var duplicates = 0
    var lost = 0
    var integrity = "not checked"
    var notDone = 0
    var notDoneKeys: [String] = []
    /// Items that may have made a duplicate, and what their attempts show.
    var suspects: [String] = []
    var suspectKeys: [String] = []
    var unfinishedAttempts = 0
    var rerunRequests = 0
    var ledger: Ledger?
    /// The worker torture: the most requests the simulator saw in one window of the rate, and per fixed window.
    var busiestWindow: Int?
    var requestsPerWindow: [Int] = []
}

extension Duration {
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

extension TortureSession {
    /// The final ledger against the manifest and the database: duplicates and lost effects into `figures`, their
    /// problems into `problems`, and numbers of another area code as warnings. Shared by both drivers.
    @discardableResult
    mutating func checkEffects(_ after: Ledger, database: DatabaseCheck, into figures: inout Figures) -> LedgerCheck {
        let ledgerCheck = LedgerCheck(after, manifest: manifest)
        // Extra effects by kind; an entry counted twice in a name map only adds when the kind counts hide it.
        figures.duplicates = ledgerCheck.duplicateCount == 0 ? ledgerCheck.duplicateNames.count : ledgerCheck.duplicateCount
        figures.lost = ledgerCheck.missingCount
        problems += ledgerCheck.problems
        problems += database.purchaseProblems(after, manifest: manifest)
        wrongAreas = database.wrongAreas(manifest: manifest)
        for line in wrongAreas { say("torture: warning: number of another area code: \(line)") }
        figures.ledger = after
        if !database.notDone.isEmpty { figures.notDoneKeys = database.notDone.map(\.key) }
        return ledgerCheck
    }
}
