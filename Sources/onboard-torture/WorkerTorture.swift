import Foundation
import OnboardCore
import OnboardPostgres
import OnboardRuntime
import TelegentSimulator

/// The worker torture (`--workers N --db postgres://…`): one enqueued batch, N `onboard worker` processes on a
/// shared PostgreSQL schema, a random one SIGKILLed and restarted at random instants; then the ledger, the runs
/// and the simulator's request log against the rate every worker was given.
extension TortureSession {
    mutating func workerTorture(simulator: Simulator) async throws -> Figures {
        guard let server = options.db, let rate = RateSpec(parsing: options.rate) else {
            throw TortureError.usage("--workers needs --db postgres://… and a valid --rate")
        }
        let schema = try PostgresScratchSchema(on: server, prefix: "onboard_torture")
        sharedDatabase = schema
        say("torture: \(options.workers) worker(s) at --rate \(rate) each, on schema \(schema.name) of \(StoreLocation(server))")
        try await enqueue(baseURL: simulator.baseURL)
        var workers = try (0..<options.workers).map { try startWorker(slot: $0) }
        try await workerKillLoop(&workers, simulator: simulator)
        let converged = try await workerFinalRuns(workers, baseURL: simulator.baseURL)
        return try await checkWorkers(simulator: simulator, rate: rate, converged: converged)
    }

    /// `onboard batch MANIFEST --enqueue` into the schema; it must exit 0.
    private mutating func enqueue(baseURL: String) async throws {
        let child = try Child(
            name: "onboard batch --enqueue", executable: binaries.onboard,
            arguments: ["batch", manifestPath, "--enqueue", "--db", databaseArgument, "--base-url", baseURL],
            environment: environment, directory: workDir,
            stdoutPath: "\(workDir)/runs/enqueue.out", stderrPath: "\(workDir)/runs/enqueue.err")
        let end = await child.wait()
        guard end.status == 0, !end.signaled else {
            throw TortureError.setup("onboard batch --enqueue ended with exit code \(end.status):\n\(child.outputTail())")
        }
    }

    /// The flags every process of the worker torture gets: the same short lease, timeout and settle window as the
    /// batch torture, and the rate under test.
    private var workerFlags: [String] {
        [
            "--concurrency", String(options.concurrency), "--rate", options.rate,
            "--request-timeout", String(options.requestTimeout), "--lease-seconds", String(options.leaseSeconds),
            "--settle-window", String(settleWindow),
        ]
    }

    /// Starts `onboard worker --until-idle` in slot `slot`, with its output in runs/wSLOT-NNN.out and .err.
    mutating func startWorker(slot: Int) throws -> Child {
        workerStarts += 1
        let name = String(format: "w%d-%03d", slot, workerStarts)
        let child = try Child(
            name: "onboard worker #\(workerStarts) (slot \(slot))", executable: binaries.onboard,
            arguments: ["worker", "--db", databaseArgument, "--until-idle"] + workerFlags,
            environment: environment, directory: workDir,
            stdoutPath: "\(workDir)/runs/\(name).out", stderrPath: "\(workDir)/runs/\(name).err")
        lastRun = child
        return child
    }

    /// Every `--kill-interval` on average (uniform in [0, 2×]), SIGKILLs one running worker chosen at random and
    /// starts another in its place, until `--kills` kills or until the workers end on their own (the work is
    /// done: a worker with --until-idle exits only when nothing is runnable and nothing runs anywhere).
    private mutating func workerKillLoop(_ workers: inout [Child], simulator: Simulator) async throws {
        var generator = SplitMix64(seed: options.seed ^ 0x776F_726B_6572_7321)
        var requestsSoFar = try await simulator.ledger().requests
        while killsDone < options.kills {
            let delay = generator.unit() * 2 * options.killInterval
            delays.append(delay)
            try await Task.sleep(for: .seconds(delay))
            // A worker ends on its own when it found nothing to do and nothing being run: once all have, the work
            // is done. One that ended while others still run is started again (they may make more runnable).
            let ended = workers.indices.filter { !workers[$0].isRunning }
            if ended.count == workers.count {
                say("       every worker ended on its own after \(killsDone) kill(s): the work is done")
                break
            }
            for slot in ended {
                let end = await workers[slot].wait()
                try expectOrdinaryEnd(end, of: workers[slot])
                finishedOnTheirOwn[end.status, default: 0] += 1
                say(String(format: "       %@ ended on its own, exit %d, while others ran: started again", workers[slot].name, end.status))
                workers[slot] = try startWorker(slot: slot)
            }
            let live = workers.indices.filter { workers[$0].isRunning }
            guard !live.isEmpty else { continue }
            let slot = live[Int(generator.next() % UInt64(live.count))]
            let victim = workers[slot]
            victim.signal(SIGKILL)
            let end = await victim.wait()
            let ledger = try await simulator.ledger()
            let requests = ledger.requests - requestsSoFar
            requestsSoFar = ledger.requests
            if end.signaled {
                killsDone += 1
                if requests > 0 { killsMidAPI += 1 }
            } else {
                try expectOrdinaryEnd(end, of: victim)
                finishedOnTheirOwn[end.status, default: 0] += 1
            }
            workers[slot] = try startWorker(slot: slot)
            say(String(
                format: "kill %d/%d  slot %d (%@) after %.3f s, %d request(s) since the last kill, batch %.0f%% done  elapsed %.1f s",
                killsDone, options.kills, slot, victim.name, delay, requests, manifest.progress(ledger) * 100, elapsed))
        }
    }

    /// Lets the workers finish on their own; when runs are left failed (a retry budget ran out) or in doubt,
    /// reruns `onboard batch` on the schema (which retries them) until it exits 0, at most 5 times.
    private mutating func workerFinalRuns(_ workers: [Child], baseURL: String) async throws -> Bool {
        for worker in workers {
            let end = await worker.wait()
            try expectOrdinaryEnd(end, of: worker)
            finishedOnTheirOwn[end.status, default: 0] += 1
            say(String(format: "       %@ ended on its own, exit %d  elapsed %.1f s", worker.name, end.status, elapsed))
        }
        for attempt in 0...5 {
            let notDone = try await storeCheck().notDone
            if notDone.isEmpty { return true }
            guard attempt < 5 else { break }
            say("       \(notDone.count) run(s) not done (\(notDone.prefix(3).map { "\($0.key): \($0.status)" }.joined(separator: ", "))…): onboard batch")
            runs += 1
            let name = String(format: "%03d", runs)
            let child = try Child(
                name: "onboard batch #\(runs)", executable: binaries.onboard,
                arguments: ["batch", manifestPath, "--db", databaseArgument, "--base-url", baseURL] + workerFlags,
                environment: environment, directory: workDir,
                stdoutPath: "\(workDir)/runs/\(name).out", stderrPath: "\(workDir)/runs/\(name).err")
            lastRun = child
            finalRuns += 1
            let end = await child.wait()
            say(String(format: "final run %d: exit %d  elapsed %.1f s", finalRuns, end.status, elapsed))
            try expectOrdinaryEnd(end, of: child)
        }
        problems.append("runs were still not done after 5 final runs of onboard batch")
        return false
    }

    /// The runs of the schema, read through the store as `onboard list` would.
    private func storeCheck() async throws -> DatabaseCheck {
        let store = try await StoreLocation(databaseArgument).open(create: false)
        do {
            let check = try await DatabaseCheck(store: store)
            try await store.close()
            return check
        } catch {
            try? await store.close()
            throw error
        }
    }

    /// The ledger (exactly one of each effect), the runs (all done), one more worker (no request), and the request
    /// log: never more than the rate in any window of it.
    private mutating func checkWorkers(simulator: Simulator, rate: RateSpec, converged: Bool) async throws -> Figures {
        var figures = Figures()
        let before = try await simulator.ledger()
        let database = try await storeCheck()
        figures.integrity = database.integrity
        figures.notDone = database.notDone.count
        figures.unfinishedAttempts = database.unfinishedAttempts
        problems += database.problems(manifest: manifest)

        let last = try startWorker(slot: options.workers)
        let end = await last.wait()
        let after = try await simulator.ledger()
        figures.rerunRequests = after.requests - before.requests
        if converged {
            if end.status != 0 || end.signaled { problems.append("the extra worker ended with exit code \(end.status), expected 0") }
            if figures.rerunRequests != 0 { problems.append("the extra worker made \(figures.rerunRequests) request(s), expected 0") }
        }

        checkEffects(after, database: database, into: &figures)

        let log = try await simulator.requestLog()
        let busiest = log.mostInAnyWindow(of: rate.per)
        let window = String(format: "%g s", rate.per.seconds)
        figures.busiestWindow = busiest.count
        figures.requestsPerWindow = log.countsPerWindow(of: rate.per)
        say("torture: requests per \(window) from the start: \(figures.requestsPerWindow.map(String.init).joined(separator: " ")); "
            + "the busiest \(window) span: \(busiest.count) from \(String(format: "%.1f", busiest.startMs / 1000)) s (limit \(rate.requests))")
        if log.forgotten > 0 { problems.append("the simulator forgot \(log.forgotten) early arrivals: the rate check is incomplete") }
        if busiest.count > rate.requests {
            problems.append(
                "rate: \(busiest.count) requests in the \(window) from \(String(format: "%.3f", busiest.startMs / 1000)) s, limit \(rate.requests)")
        }
        return figures
    }
}
