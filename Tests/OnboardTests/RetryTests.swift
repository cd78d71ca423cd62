import Foundation
import OnboardCore
import OnboardRuntime
import OnboardSQLite
import TelegentClient
import TelegentSimulator
import Testing

/// Retry classes, Retry-After, tokens (expiry, 401, scope 403), rate limit and leases.
@Suite struct RetryTests {
    @Test(arguments: [408, 429, 503, 504])
    func retryableStatusesAreRetried(status: Int) async throws {
        try await Harness.with { harness in
            let workflow = try Harness.workflow()
            harness.simulator.world.addFaults([FaultRule(path: "/v1.0/numbers/availability", action: .status, status: status, count: 2)])
            #expect(try await harness.run(try Harness.inputs(), workflow: workflow) == .done)
            #expect(try await harness.steps()["availability"]?.attempts == 3)
            harness.expectExactlyOneSetup()
        }
    }

    @Test func retryAfterIsHonoured() async throws {
        try await Harness.with { harness in
            let workflow = try Harness.workflow()
            harness.simulator.world.addFaults([
                FaultRule(path: "/v1.0/account/create", action: .status, status: 429, retryAfter: 1, count: 1)
            ])
            let clock = ContinuousClock()
            let started = clock.now
            #expect(try await harness.run(try Harness.inputs(), workflow: workflow) == .done)
            // The runner's own backoff here is at most 40 ms; only Retry-After explains a one-second wait.
            #expect(clock.now - started >= .seconds(1))
            harness.expectExactlyOneSetup()
        }
    }

    @Test(arguments: [400, 404, 405])
    func nonRetryableStatusesStopAtOnce(status: Int) async throws {
        try await Harness.with { harness in
            let workflow = try Harness.workflow()
            harness.simulator.world.addFaults([FaultRule(path: "/v1.0/message/routes", action: .status, status: status, count: 1)])
            #expect(try await harness.run(try Harness.inputs(), workflow: workflow) == .failed)
            #expect(try await harness.steps()["message_route"]?.attempts == 1)
        }
    }

    @Test(arguments: [401, 403])
    func rejectedTokenIsReplacedOnceAndTheCallRepeated(status: Int) async throws {
        try await Harness.with { harness in
            let workflow = try Harness.workflow()
            // The simulator's 403 body names the ApiEndpoint scope, as the API's does.
            harness.simulator.world.addFaults([FaultRule(path: "/v1.0/subscribers/create", action: .status, status: status, count: 1)])
            #expect(try await harness.run(try Harness.inputs(), workflow: workflow) == .done)
            #expect(harness.ledger.tokensIssued == 8)
            // Both sends left and are recorded: the refused one (no effect) and the one with the new token.
            #expect(try await harness.steps()["subscriber"]?.attempts == 2)
            let sends = try await harness.store.attempts(runID: Runner.runID(forKey: "acme"), stepID: "subscriber")
            #expect(sends.map(\.statusCode) == [status, 200])
            harness.expectExactlyOneSetup()
        }
    }

    @Test func tokensExpiringMidRunAreRenewed() async throws {
        // Tokens live 5 s and a run takes about 14 × 300 ms: the two runs cross at least one expiry. (At 3 s, a
        // loaded machine could stretch one step past two expiries, which is not what this test is about.)
        let configuration = SimulatorConfiguration(rateLimitPerMinute: nil, latency: .milliseconds(300), tokenTTL: .seconds(5))
        try await Harness.with(configuration) { harness in
            let workflow = try Harness.workflow()
            // Two runs back to back share the token cache; the second needs fresh tokens.
            try await harness.withEngine(workflow: workflow) { engine in
                for key in ["a", "b"] {
                    let inputs = try Harness.inputs([
                        "account.name": .string("Co \(key)"), "subscriber.email": .string("\(key)@x.example"),
                    ])
                    let run = try await engine.runner.prepare(key: key, kind: .single, inputs: inputs, inputPath: nil)
                    let outcome = try await engine.runner.execute(run, inputs: inputs)
                    #expect(outcome.status == .done, "\(outcome.lastError ?? "")")
                }
            }
            // Tokens ran out during the runs and were replaced (ahead of expiry, or after a 401), without a step
            // failing or being sent twice.
            #expect(harness.ledger.tokensIssued > 7)
            #expect(harness.ledger.accounts == 2 && harness.ledger.purchases == 2 && harness.ledger.messages == 2)
        }
    }

    @Test func credentialsRefusedIsAClearFailure() async throws {
        try await Harness.with { harness in
            let workflow = try Harness.workflow()
            let transport = try TelegentHTTPTransport(
                baseURL: harness.simulator.baseURL, auth: workflow.auth,
                credentials: .init(accountKey: "DID-wrong", accountSecret: "nope"), limiter: RateLimiter(limit: 1000))
            await #expect {
                try await transport.send(APIRequest(method: "GET", path: "/v1.0/distributor/accounts"))
            } throws: { error in
                (error as? AuthenticationError)?.status == 401 && "\(error)".contains("TELEGENT_ACCOUNT_KEY")
            }
            try await transport.shutdown()
        }
    }

    @Test func clientRateLimitKeepsTheSimulatorFromSaying429() async throws {
        // The simulator allows 14 per minute; so does the client. A run is exactly 14 requests.
        try await Harness.with(SimulatorConfiguration(rateLimitPerMinute: 14)) { harness in
            let workflow = try Harness.workflow()
            let statistics = try await harness.withEngine(workflow: workflow, harness.configuration(rate: RateSpec(requests: 14))) { engine in
                let inputs = try Harness.inputs()
                let run = try await engine.runner.prepare(key: "acme", kind: .single, inputs: inputs, inputPath: nil)
                #expect(try await engine.runner.execute(run, inputs: inputs).status == .done)
                return engine.transport.statistics
            }
            #expect(statistics.rateLimited == 0)
            #expect(harness.ledger.rateLimited == 0)
            #expect(harness.ledger.requests == 14)
        }
    }

    @Test func twoProcessesNeverExecuteTheSameRun() async throws {
        let configuration = SimulatorConfiguration(rateLimitPerMinute: nil, latency: .milliseconds(100))
        try await Harness.with(configuration) { harness in
            let workflow = try Harness.workflow()
            let inputs = try Harness.inputs()
            // Two engines are two processes; two executions of one engine are two tasks of one process. Neither
            // pair may run the run at once: every execution is an owner of its own.
            try await harness.withEngine(workflow: workflow) { first in
                try await harness.withEngine(workflow: workflow) { second in
                    let run = try await first.runner.prepare(key: "acme", kind: .single, inputs: inputs, inputPath: nil)
                    async let firstOutcome = first.runner.execute(run, inputs: inputs)
                    try await Task.sleep(for: .milliseconds(150))
                    for other in [first.runner, second.runner] {
                        await #expect {
                            try await other.execute(run, inputs: inputs)
                        } throws: { error in
                            if case RunnerError.busy(let runID, _, _) = error { return runID == run.id }
                            return false
                        }
                    }
                    #expect(try await firstOutcome.status == .done)
                }
            }
            harness.expectExactlyOneSetup()
        }
    }

    @Test(arguments: [
        "http://api.telegent.com", "https://api.telegent.com/v1.0", "http://127.evil.example",
        "http://127.0.0.1.nip.io", "http://127.0.0.1:8080?x=1", "http://127.0.0.1#frag", "https://api.telegent.com?q",
        "http://user:pw@127.0.0.1:8080", "http://128.0.0.1", "http://127.0.0.256", "http://0177.0.0.1", "ftp://127.0.0.1",
        "http://[::2]:8080", "http://localhost.example",
    ])
    func baseURLsThatAreRefused(url: String) throws {
        #expect(throws: BaseURLError.self) { try TelegentHTTPTransport.validate(baseURL: url) }
    }

    @Test(arguments: [
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"), ("https://api.telegent.com", "https://api.telegent.com"),
        ("http://localhost:9", "http://localhost:9"), ("http://127.1.2.3", "http://127.1.2.3"),
        ("http://[::1]:8080", "http://[::1]:8080"),
    ])
    func baseURLsThatAreAccepted(url: String, normalized: String) throws {
        #expect(try TelegentHTTPTransport.validate(baseURL: url) == normalized)
    }
}
