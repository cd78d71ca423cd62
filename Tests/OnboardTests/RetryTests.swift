import Foundation
import OnboardCore
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
            #expect(try await harness.steps()["subscriber"]?.attempts == 1)
            harness.expectExactlyOneSetup()
        }
    }

    @Test func tokensExpiringMidRunAreRenewed() async throws {
        let configuration = SimulatorConfiguration(rateLimitPerMinute: nil, latency: .milliseconds(150), tokenTTL: .seconds(1))
        try await Harness.with(configuration) { harness in
            let workflow = try Harness.workflow()
            // Two runs back to back share the token cache; the second needs fresh tokens.
            let (runner, transport) = try harness.runner(workflow: workflow)
            for key in ["a", "b"] {
                let inputs = try Harness.inputs([
                    "account.name": .string("Co \(key)"), "subscriber.email": .string("\(key)@x.example"),
                ])
                let run = try await runner.prepare(key: key, kind: .single, inputs: inputs, inputPath: nil)
                #expect(try await runner.execute(run, inputs: inputs) == .done)
            }
            try await transport.shutdown()
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
            let (runner, transport) = try harness.runner(workflow: workflow, rate: RateSpec(requests: 14))
            let inputs = try Harness.inputs()
            let run = try await runner.prepare(key: "acme", kind: .single, inputs: inputs, inputPath: nil)
            #expect(try await runner.execute(run, inputs: inputs) == .done)
            #expect(transport.statistics.rateLimited == 0)
            #expect(harness.ledger.rateLimited == 0)
            #expect(harness.ledger.requests == 14)
            try await transport.shutdown()
        }
    }

    @Test func twoProcessesNeverExecuteTheSameRun() async throws {
        let configuration = SimulatorConfiguration(rateLimitPerMinute: nil, latency: .milliseconds(100))
        try await Harness.with(configuration) { harness in
            let workflow = try Harness.workflow()
            let inputs = try Harness.inputs()
            let (first, firstTransport) = try harness.runner(workflow: workflow, owner: "process-a")
            let (second, secondTransport) = try harness.runner(workflow: workflow, owner: "process-b")
            let run = try await first.prepare(key: "acme", kind: .single, inputs: inputs, inputPath: nil)
            async let firstStatus = first.execute(run, inputs: inputs)
            try await Task.sleep(for: .milliseconds(150))
            await #expect {
                try await second.execute(run, inputs: inputs)
            } throws: { error in
                if case RunnerError.leaseHeld(_, let owner) = error { return owner == "process-a" }
                return false
            }
            #expect(try await firstStatus == .done)
            try await firstTransport.shutdown()
            try await secondTransport.shutdown()
            harness.expectExactlyOneSetup()
        }
    }

    @Test func nonLoopbackHTTPIsRefused() throws {
        #expect(throws: BaseURLError.self) { try TelegentHTTPTransport.validate(baseURL: "http://api.telegent.com") }
        #expect(throws: BaseURLError.self) { try TelegentHTTPTransport.validate(baseURL: "https://api.telegent.com/v1.0") }
        #expect(try TelegentHTTPTransport.validate(baseURL: "http://127.0.0.1:8080/") == "http://127.0.0.1:8080")
        #expect(try TelegentHTTPTransport.validate(baseURL: "https://api.telegent.com") == "https://api.telegent.com")
    }
}
