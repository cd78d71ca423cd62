import Foundation
import OnboardRuntime
import OnboardSQLite
import TelegentClient
import TelegentSimulator
import Testing

@testable import OnboardCore

#if canImport(Glibc)
    import Glibc
#endif

/// Exactly once outside crashes: a slow answer, a paused holder, a holder in another PID namespace, a wall-clock
/// jump, an edit while a step is in doubt, and a 2xx the workflow cannot use. Each ends with exactly one of each
/// effect in the simulator's ledger.
@Suite struct ExactlyOnceTests {
    /// The purchase answers after the client's request timeout: the lookup right after the timeout finds nothing
    /// (the API has not applied it yet), and only a settle window counted from `start + timeout` waits long enough.
    @Test func slowAnswerPastTheRequestTimeoutIsAdoptedNotBoughtAgain() async throws {
        try await Harness.with { harness in
            let workflow = try Harness.workflow()
            harness.simulator.world.addFaults([
                FaultRule(method: "POST", path: "/v1.0/numbers/provision", action: .latency, latencyMs: 6_500, count: 1)
            ])
            let events = EventLog()
            // Timeout 6 s, settle 5 s: counted from the start (the old rule) the window would close at 5 s, before
            // the API applies the purchase at 6.5 s; counted from start + timeout it closes at 11 s, which leaves a
            // loaded machine 4.5 s of slack.
            let configuration = harness.configuration(timeout: .seconds(6), settleWindow: .seconds(5))
            try await harness.withEngine(workflow: workflow, configuration, events: events.append) { engine in
                let inputs = try Harness.inputs()
                let run = try await engine.runner.prepare(key: "acme", kind: .single, inputs: inputs, inputPath: nil)
                #expect(try await engine.runner.execute(run, inputs: inputs).status == .done)
            }
            harness.expectExactlyOneSetup()
            #expect(harness.requests("POST /v1.0/numbers/provision") == 1, "not bought again")
            #expect(events.adopted.contains("provision"))
        }
    }

    /// A holder stopped (Ctrl-Z, `kill -STOP`) in its backoff, past its lease: another process takes over and
    /// finishes; the stopped one, continued, notices the lost lease before sending anything and exits 1.
    @Test func pausedHolderStopsOnceItsLeaseIsTakenOver() async throws {
        try await Harness.with { harness in
            let input = try CLITests.write(CrashTests.input, "input.yaml", in: harness.directory)
            harness.simulator.world.addFaults([
                FaultRule(method: "POST", path: "/v1.0/numbers/provision", action: .status, status: 503, retryAfter: 8, count: 1)
            ])
            let arguments = [
                "run", input, "--db", harness.dbPath, "--base-url", harness.simulator.baseURL, "--settle-window", "1",
                "--lease-seconds", "3",
            ]
            let first = try OnboardBinary.Handle(arguments, directory: harness.directory, environment: OnboardBinary.environment())
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(60)
            while harness.requests("POST /v1.0/numbers/provision") == 0, clock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(harness.requests("POST /v1.0/numbers/provision") == 1, "the 503 was answered")
            // Stop it in its backoff (the retry is scheduled), not while it still holds the purchase's key: a holder
            // stopped inside a send is the lock-wait case below.
            while try await !Self.retryScheduled(harness, key: "crash-test", step: "provision"), clock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            first.signal(SIGSTOP)
            try await Task.sleep(for: .seconds(4))
            let second = try await OnboardBinary.run(arguments, directory: harness.directory)
            #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
            first.signal(SIGCONT)
            let stopped = await first.wait()
            #expect(stopped.status == 1, "\(stopped.stdout)\(stopped.stderr)")
            #expect(stopped.stderr.contains("lease lost"), "\(stopped.stderr)")
            harness.expectExactlyOneSetup()
            #expect(harness.requests("POST /v1.0/numbers/provision") == 2, "the 503 and one purchase")
            let run = try #require(try await harness.store.run(key: "crash-test"))
            #expect(run.status == .done, "the paused process did not overwrite the status")
        }
    }

    /// Another execution holds the purchase's serialize key and does not let go (a process stopped inside a send):
    /// the step waits `lockWait`, then stops busy without sending; the run resumes once the key is free.
    @Test func heldSerializeKeyStopsBusyWithoutSending() async throws {
        try await Harness.with { harness in
            let workflow = try Harness.workflow()
            harness.simulator.world.addFaults([
                FaultRule(method: "POST", path: "/v1.0/numbers/provision", action: .status, status: 400, count: 1)
            ])
            var configuration = harness.configuration()
            configuration.lockWait = .milliseconds(500)
            let inputs = try Harness.inputs()
            try await harness.withEngine(workflow: workflow, configuration) { engine in
                let run = try await engine.runner.prepare(key: "acme", kind: .single, inputs: inputs, inputPath: nil)
                #expect(try await engine.runner.execute(run, inputs: inputs).status == .failed, "the 400")
            }
            let run = try #require(try await harness.store.run(key: "acme"))
            let route = try #require(try await harness.store.steps(runID: run.id).first { $0.stepID == "message_route" })
            let mrid = try #require(route.outputs["message_route_id"]?.stringValue)
            let held = AsyncStream<Void>.makeStream(), release = AsyncStream<Void>.makeStream()
            let holder = Task {
                try await harness.store.withLock("provision:\(mrid)", exclusive: true) {
                    held.continuation.yield()
                    for await _ in release.stream { break }
                }
            }
            for await _ in held.stream { break }
            try await harness.withEngine(workflow: workflow, configuration) { engine in
                let current = try #require(try await harness.store.run(id: run.id))
                await #expect(throws: RunnerError.self) { try await engine.runner.execute(current, inputs: inputs) }
            }
            #expect(harness.ledger.purchases == 0)
            #expect(harness.requests("POST /v1.0/numbers/provision") == 1, "only the 400: nothing sent while held")
            let stopped = try #require(try await harness.store.run(id: run.id))
            #expect(stopped.status == .interrupted)
            #expect(stopped.leaseOwner == nil, "the lease was released")
            release.continuation.yield()
            try await holder.value
            try await harness.withEngine(workflow: workflow, configuration) { engine in
                let current = try #require(try await harness.store.run(id: run.id))
                #expect(try await engine.runner.execute(current, inputs: inputs).status == .done)
            }
            harness.expectExactlyOneSetup()
        }
    }

    /// True once `step` of the run keyed `key` has a retry scheduled (it is sleeping in its backoff).
    static func retryScheduled(_ harness: Harness, key: String, step: String) async throws -> Bool {
        guard let run = try await harness.store.run(key: key) else { return false }
        return try await harness.store.steps(runID: run.id).contains { $0.stepID == step && $0.nextRetryAt != nil }
    }

    /// A holder in another PID namespace (a container, `unshare --pid`) has a PID that means nothing here: its
    /// lease must not be taken over early, whatever process has that number on this side.
    @Test func holderInAnotherPIDNamespaceIsNotTakenOver() async throws {
        guard let unshare = await PIDNamespace.unshareCommand() else {
            print("skipped: unshare --pid is not permitted here (needs CAP_SYS_ADMIN)")
            return
        }
        try await Harness.with { harness in
            let input = try CLITests.write(CrashTests.input, "input.yaml", in: harness.directory)
            harness.simulator.world.addFaults([
                FaultRule(method: "POST", path: "/v1.0/numbers/provision", action: .stall, latencyMs: 8_000, count: 1)
            ])
            let arguments = ["run", input, "--db", harness.dbPath, "--base-url", harness.simulator.baseURL, "--lease-seconds", "60"]
            // Inside the namespace the holder gets a PID no process has out here (ns_last_pid), as in a container.
            let holder = try ChildProcess(
                executable: unshare,
                arguments: [
                    "--pid", "--fork", "--kill-child", "--mount-proc", "/bin/sh", "-c",
                    "echo 3999999 > /proc/sys/kernel/ns_last_pid 2>/dev/null; exec \"$0\" \"$@\"", OnboardBinary.path,
                ] + arguments,
                environment: OnboardBinary.environment(), directory: harness.directory)
            defer { holder.signal(SIGKILL) }
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(60)
            while harness.ledger.purchases == 0, clock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(harness.ledger.purchases == 1, "the holder's purchase reached the API and is held there")
            let owner = try #require(try await harness.store.run(key: "crash-test")?.leaseOwner)
            #expect(LeaseOwner(rawValue: owner)?.pidNamespace != Host.pidNamespace)

            let second = try await OnboardBinary.run(arguments, directory: harness.directory)
            #expect(second.status == 4, "busy: \(second.stdout)\(second.stderr)")
            #expect(second.stderr.contains("is being executed by"), "\(second.stderr)")
            #expect(harness.ledger.purchases == 1)
        }
    }

    /// A killed process's purchase is still in the API's hands when the run resumes, and the wall clock has
    /// jumped an hour ahead meanwhile: the settle window is counted on CLOCK_BOOTTIME, so the resume still waits,
    /// finds the purchase and adopts it.
    @Test func wallClockJumpCannotShortenTheSettleWindow() async throws {
        guard SystemClock.uptime() != nil, SystemClock.bootID != nil else {
            print("skipped: no CLOCK_BOOTTIME or boot id on this system")
            return
        }
        try await Harness.with { harness in
            let workflow = try Harness.workflow()
            let inputs = try Harness.inputs()
            let runID = Runner.runID(forKey: "acme")
            // Everything up to the purchase is done; the purchase itself was refused once (nothing bought).
            harness.simulator.world.addFaults([
                FaultRule(method: "POST", path: "/v1.0/numbers/provision", action: .status, status: 400, count: 1)
            ])
            #expect(try await harness.run(inputs, workflow: workflow) == .failed)
            // A process (killed since) recorded its purchase and sent it; the API applies it 2 s later.
            let stray = try await StrayRequest.leave(
                harness, workflow: workflow, inputs: inputs, step: "provision", runID: runID, timeout: 2, applyAfterMs: 2_000)
            let events = EventLog()
            // A settle window of 30 s (as the default) leaves a loaded machine ample time to apply the stray
            // purchase; counted on the wall clock, the hour's jump would still end it at once. The lease is long
            // because this test is not about leases: on a machine loaded enough to delay its renewals (the suite
            // beside two builds, 2026-12-01) a 60 s lease was once lost to expiry while the window was open.
            let configuration = harness.configuration(
                timeout: .seconds(2), settleWindow: .seconds(30), leaseDuration: .seconds(600),
                clock: JumpedClock(seconds: 3_600))
            let status = try await harness.withEngine(workflow: workflow, configuration, events: events.append) { engine in
                let run = try #require(try await engine.store.run(id: runID))
                return try await engine.runner.execute(run, inputs: inputs).status
            }
            try await stray.finish()
            #expect(status == .done)
            #expect(events.adopted == ["provision"])
            harness.expectExactlyOneSetup()
        }
    }

    /// `account.name` is renamed while the account step is in doubt: the rerun refuses with a diff; with
    /// `--accept-changes` it looks the account up under the name that was sent, adopts it, and never creates a
    /// second one.
    @Test func renameWhileInDoubtIsDriftAndLooksUpWhatWasSent() async throws {
        try await Harness.with { harness in
            let input = try CLITests.write(CrashTests.input, "input.yaml", in: harness.directory)
            let arguments = ["run", input, "--db", harness.dbPath, "--base-url", harness.simulator.baseURL, "--settle-window", "1"]
            harness.simulator.world.addFaults([
                FaultRule(method: "POST", path: "/v1.0/account/create", action: .stall, latencyMs: 10_000, count: 1)
            ])
            let handle = try OnboardBinary.Handle(arguments, directory: harness.directory, environment: OnboardBinary.environment())
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(60)
            while harness.ledger.accounts == 0, clock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            handle.signal(SIGKILL)
            _ = await handle.wait()
            harness.simulator.world.clearFaults()

            _ = try CLITests.write(
                CrashTests.input.replacingOccurrences(of: "name: Crash Co,", with: "name: Crash Company,"), "input.yaml",
                in: harness.directory)
            let refused = try await OnboardBinary.run(arguments, directory: harness.directory)
            #expect(refused.status == 2, "\(refused.stdout)\(refused.stderr)")
            #expect(refused.stderr.contains("account.name: \"Crash Co\" → \"Crash Company\""), "\(refused.stderr)")
            #expect(refused.stderr.contains("steps in doubt whose request would now differ from what was sent: account"))
            #expect(harness.ledger.accounts == 1)

            let accepted = try await OnboardBinary.run(arguments + ["--accept-changes"], directory: harness.directory)
            #expect(accepted.status == 0, "\(accepted.stdout)\(accepted.stderr)")
            #expect(accepted.stdout.contains("looked up with the values that were sent: account"), "\(accepted.stdout)")
            #expect(accepted.stdout.contains("found existing, adopted"), "\(accepted.stdout)")
            harness.expectExactlyOneSetup()

            // Accepted drift is not forgotten: `show` prints it for as long as the run exists.
            let shown = try await OnboardBinary.run(["show", "crash-test", "--db", harness.dbPath, "--no-color"], directory: harness.directory)
            #expect(shown.status == 0, "\(shown.stderr)")
            #expect(shown.stdout.contains("(--accept-changes):"), "\(shown.stdout)")
            #expect(shown.stdout.contains("account.name: \"Crash Co\" → \"Crash Company\""), "\(shown.stdout)")
            let json = try await OnboardBinary.run(["show", "crash-test", "--db", harness.dbPath, "--json"], directory: harness.directory)
            let lines = try #require(
                try JSONValue(jsonData: Data(json.stdout.utf8)).objectValue?["accepted_changes"]?.arrayValue?.first?
                    .objectValue?["lines"]?.arrayValue)
            #expect(lines.contains { $0.stringValue?.contains("Crash Company") == true }, "\(json.stdout)")
        }
    }

    /// The purchase is answered 200 with an order still `Pending`, and the workflow requires `Complete`: the
    /// answer is an effect, so the resumes adopt that number instead of buying again.
    @Test func failedRequireOnA2xxIsAnEffect() async throws {
        try await Harness.with(SimulatorConfiguration(rateLimitPerMinute: nil, orderSettleDelay: .milliseconds(700))) { harness in
            let text = try String(contentsOfFile: Harness.root.appendingPathComponent("workflows/quickstart.yaml").path, encoding: .utf8)
            let strict = text.replacingOccurrences(
                of: "    claims: [phone_number]\n",
                with: "    claims: [phone_number]\n    require:\n      - check: \"response.OrderStatus == 'Complete'\"\n        message: the order is not complete yet\n")
            #expect(strict != text)
            let path = try CLITests.write(strict, "strict.yaml", in: harness.directory)
            let workflow = try WorkflowLoader.load(path: path)
            let inputs = try Harness.inputs(workflow: workflow)
            #expect(try await harness.run(inputs, workflow: workflow) == .failed)
            let sends = try await harness.store.attempts(runID: Runner.runID(forKey: "acme"), stepID: "provision")
                .filter { $0.purpose == .send }
            #expect(sends.map(\.outcome) == [.succeeded])
            #expect(sends.first?.error == "the order is not complete yet")
            #expect(try await harness.run(inputs, workflow: workflow) == .done)
            #expect(try await harness.run(inputs, workflow: workflow) == .done)
            harness.expectExactlyOneSetup()
            #expect(harness.requests("POST /v1.0/numbers/provision") == 1)
        }
    }
}

/// A wall clock shifted by a fixed amount (as after an NTP step or a manual change); the boot clock is untouched.
struct JumpedClock: RunClock {
    var seconds: Double
    func now() -> ClockReading {
        var reading = SystemClock().now()
        reading.wall = reading.wall.addingTimeInterval(seconds)
        return reading
    }
}

/// What a process killed right after sending a request leaves behind: its attempt row with no outcome, under a
/// lease that expires, and the request itself, which the API applies later.
struct StrayRequest {
    let task: Task<APIResponse, any Error>
    let transport: TelegentHTTPTransport

    static func leave(
        _ harness: Harness, workflow: WorkflowDefinition, inputs: RunInputs, step stepID: String, runID: String,
        timeout: Double, applyAfterMs: Int
    ) async throws -> StrayRequest {
        let step = try #require(workflow.step(stepID))
        var outputs: [String: [String: JSONValue]] = [:]
        for record in try await harness.store.steps(runID: runID) where record.status == .done {
            outputs[record.stepID] = record.outputs
        }
        let scope = RunScope(
            inputs: try inputs.resolved(in: Harness.environment), steps: outputs,
            run: ["id": .string(runID), "key": "acme"], environment: Harness.environment, isRedacted: false)
        let request = try step.request.render(in: scope)
        let run = try #require(try await harness.store.run(id: runID))
        guard case .acquired(let lease) = try await harness.store.acquireLease(
            runID: runID, owner: "gone.example:1:::dead", duration: .milliseconds(150), replacing: nil)
        else { throw StoreError(.io, "no lease") }
        let now = SystemClock().now()
        _ = try await harness.store.beginAttempt(
            AttemptRecord(
                runID: runID, stepID: stepID, purpose: .send, effect: step.effect, idempotencyKey: "\(runID)/\(stepID)/stray",
                method: request.method, path: request.path, startedAt: now.wall, inputsDigest: run.inputsDigest,
                timeout: timeout, startedUptime: now.uptime, bootID: now.bootID),
            lease: lease)
        harness.simulator.world.addFaults([
            FaultRule(method: request.method, path: request.path, action: .latency, latencyMs: applyAfterMs, count: 1)
        ])
        let credential = SimulatorCredential.demo
        let transport = try TelegentHTTPTransport(
            baseURL: harness.simulator.baseURL, auth: workflow.auth,
            credentials: .init(accountKey: credential.accountKey, accountSecret: credential.accountSecret),
            limiter: RateLimiter(limit: 1_000))
        let task = Task { try await transport.send(request) }
        try await Task.sleep(for: .milliseconds(300))  // the killed process's lease has expired
        return StrayRequest(task: task, transport: transport)
    }

    func finish() async throws {
        _ = try? await task.value
        try await transport.shutdown()
    }
}

enum PIDNamespace {
    /// `unshare`'s path when this process may create a PID namespace, nil otherwise.
    static func unshareCommand() async -> String? {
        guard let path = ["/usr/bin/unshare", "/bin/unshare"].first(where: FileManager.default.isExecutableFile(atPath:))
        else { return nil }
        guard let probe = try? ChildProcess(executable: path, arguments: ["--pid", "--fork", "--mount-proc", "/bin/true"])
        else { return nil }
        return await probe.exited() == ChildProcess.Exit(status: 0, signalled: false) ? path : nil
    }
}
