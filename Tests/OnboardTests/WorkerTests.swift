import Foundation
import OnboardCore
import TelegentSimulator
import Testing

/// `onboard batch --enqueue` and `onboard worker`, as processes of the built binary on one shared database (a SQLite
/// file, and a PostgreSQL schema when `ONBOARD_TEST_POSTGRES_URL` is set): what an operator running workers on
/// several machines checks afterwards in the API's ledger and in `onboard list`.
@Suite struct WorkerTests {
    /// `accounts` accounts of `subscribers` subscribers each; voice off, so an account is an account and a route,
    /// and a subscriber a purchase, a subscriber and a message.
    static func manifest(batch: String, accounts: Int, subscribers: Int) -> String {
        var text = """
            workflow: quickstart
            batch: \(batch)
            defaults:
              message_route: {url: "https://hooks.workers.example/m"}
              number: {area_code: "801"}
              subscriber: {password: "${env.ONBOARD_SUBSCRIBER_PASSWORD}"}
              test_message: {to: "+13105559999", body: Welcome}
            accounts:

            """
        for account in 1...accounts {
            text += """
                  - key: acct\(account)
                    account: {name: Worker Co \(account), admin_email: admin@acct\(account).example}
                    message_route: {name: Route \(account)}
                    subscribers:

                """
            for subscriber in 1...subscribers {
                text += "      - {name: Sub \(account)-\(subscriber), email: sub\(subscriber)@acct\(account).example}\n"
            }
        }
        return text
    }

    /// `onboard batch MANIFEST --enqueue`: stores the items and calls nothing.
    static func enqueue(_ manifest: String, harness: Harness, database: TestDatabase, extra: [String] = []) async throws {
        let result = try await OnboardBinary.run(
            ["batch", manifest, "--enqueue", "--db", database.argument, "--base-url", harness.simulator.baseURL] + extra,
            directory: harness.directory)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("enqueued batch"), "\(result.stdout)")
        #expect(harness.ledger.requests == 0, "enqueueing calls nothing")
    }

    /// `onboard worker --db DB --until-idle ARGS`, started (the caller waits or signals).
    static func worker(_ database: TestDatabase, harness: Harness, _ arguments: [String] = []) throws -> OnboardBinary.Handle {
        try OnboardBinary.Handle(
            ["worker", "--db", database.argument, "--until-idle"] + arguments, directory: harness.directory,
            environment: OnboardBinary.environment())
    }

    /// The count a worker prints when it stops: `worker stopped: 7 items executed (done 7)`.
    static func executed(_ output: String) -> Int? {
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("worker stopped: ") }) else { return nil }
        return Int(line.dropFirst("worker stopped: ".count).prefix { $0.isNumber })
    }

    /// Exactly one account and route per account, and one purchase, subscriber and message per subscriber, by
    /// kind and by name: the API saw no duplicate and missed nothing.
    static func expectExactlyOnce(
        _ ledger: Ledger, accounts: Int, subscribersPerAccount: Int, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let subscribers = accounts * subscribersPerAccount
        #expect(ledger.accounts == accounts, "accounts", sourceLocation: sourceLocation)
        #expect(ledger.messageRoutes == accounts, "message routes", sourceLocation: sourceLocation)
        #expect(ledger.voiceRoutes == 0, "voice routes", sourceLocation: sourceLocation)
        #expect(ledger.purchases == subscribers, "purchases", sourceLocation: sourceLocation)
        #expect(ledger.subscribers == subscribers, "subscribers", sourceLocation: sourceLocation)
        #expect(ledger.messages == subscribers, "messages", sourceLocation: sourceLocation)
        #expect(ledger.accountNames.count == accounts && ledger.accountNames.values.allSatisfy { $0 == 1 }, "\(ledger.accountNames)", sourceLocation: sourceLocation)
        #expect(ledger.subscriberEmails.count == subscribers && ledger.subscriberEmails.values.allSatisfy { $0 == 1 }, sourceLocation: sourceLocation)
        #expect(ledger.messagesByRoute.count == subscribers && ledger.messagesByRoute.values.allSatisfy { $0 == 1 }, sourceLocation: sourceLocation)
        #expect(ledger.purchasesByAccount.values.sorted() == Array(repeating: subscribersPerAccount, count: accounts), "\(ledger.purchasesByAccount)", sourceLocation: sourceLocation)
    }

    /// Every run of the database is done, and there is one per item.
    static func expectAllDone(_ database: TestDatabase, items: Int, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let counts = try await database.withStore { try await $0.runCounts(matching: RunFilter()) }
        #expect(counts == [.done: items], "\(counts)", sourceLocation: sourceLocation)
    }

    @Test("Enqueue, then two workers: every item done exactly once", arguments: Backend.available)
    func twoWorkersDoEveryItemOnce(_ backend: Backend) async throws {
        // 50 ms per call and two items in flight per worker: the batch lasts a few seconds, long enough for the
        // second worker's polls to find work while the first is busy.
        try await Harness.with(SimulatorConfiguration(rateLimitPerMinute: nil, latency: .milliseconds(50))) { harness in
            try await TestDatabase.with(backend, in: harness.directory) { database in
                let manifest = try CLITests.write(
                    Self.manifest(batch: "two-workers", accounts: 3, subscribers: 4), "workers.yaml", in: harness.directory)
                try await Self.enqueue(manifest, harness: harness, database: database)

                let workers = try (0..<2).map { _ in
                    try Self.worker(database, harness: harness, ["--concurrency", "2", "--rate", "100000/min"])
                }
                var executed = 0
                for worker in workers {
                    let result = await worker.wait()
                    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
                    executed += try #require(Self.executed(result.stdout), "\(result.stdout)")
                }
                // Each of the 15 items was executed by one worker, once.
                #expect(executed == 15)
                Self.expectExactlyOnce(harness.ledger, accounts: 3, subscribersPerAccount: 4)
                try await Self.expectAllDone(database, items: 15)

                // Nothing is left: another worker finds no work and calls nothing.
                let requests = harness.ledger.requests
                let idle = try await Self.worker(database, harness: harness, ["--rate", "100000/min"]).wait()
                #expect(idle.status == 0, "\(idle.stdout)\(idle.stderr)")
                #expect(Self.executed(idle.stdout) == 0)
                #expect(harness.ledger.requests == requests)
            }
        }
    }

    @Test("A worker SIGKILLed mid-batch: another takes its items over once their leases expire", arguments: Backend.available)
    func killedWorkersItemsAreTakenOver(_ backend: Backend) async throws {
        try await Harness.with(SimulatorConfiguration(rateLimitPerMinute: nil, latency: .milliseconds(20))) { harness in
            try await TestDatabase.with(backend, in: harness.directory) { database in
                let manifest = try CLITests.write(
                    Self.manifest(batch: "killed-worker", accounts: 2, subscribers: 3), "workers.yaml", in: harness.directory)
                try await Self.enqueue(manifest, harness: harness, database: database)
                // The first purchase is applied by the API, whose answer then waits: the worker dies holding it.
                harness.simulator.world.addFaults([
                    FaultRule(method: "POST", path: "/v1.0/numbers/provision", action: .stall, latencyMs: 5_000, count: 1)
                ])
                let short = ["--lease-seconds", "2", "--request-timeout", "2", "--settle-window", "1", "--rate", "100000/min"]
                let first = try Self.worker(database, harness: harness, short + ["--concurrency", "2"])
                let clock = ContinuousClock()
                let deadline = clock.now + .seconds(60)
                while !(harness.ledger.purchases >= 1 && harness.simulator.world.faults().isEmpty), clock.now < deadline {
                    try await Task.sleep(for: .milliseconds(5))
                }
                #expect(harness.ledger.purchases >= 1, "the first worker bought a number before it was killed")
                first.signal(SIGKILL)
                let killed = await first.wait()
                #expect(killed.wasKilled)

                let second = try await Self.worker(database, harness: harness, short).wait()
                #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
                Self.expectExactlyOnce(harness.ledger, accounts: 2, subscribersPerAccount: 3)
                try await Self.expectAllDone(database, items: 8)
                // The purchase the dead worker held was looked up and adopted, not bought again.
                #expect(harness.requests("POST /v1.0/numbers/provision") == 6)
                let adopted = try await database.withStore { store in
                    var adopted = 0
                    for run in try await store.runs(matching: RunFilter(kind: .subscriber)) {
                        let attempts = try await store.attempts(runID: run.id, stepID: "provision")
                        if attempts.contains(where: { $0.purpose == .reconcile }) { adopted += 1 }
                    }
                    return adopted
                }
                #expect(adopted >= 1, "the held purchase was reconciled by the second worker")
            }
        }
    }

    /// Secrets stay `${env.NAME}` in the database and each worker resolves them from its own environment.
    @Test("A worker without a secret fails its items unsent; enqueued again, a worker that has it finishes them", arguments: Backend.available)
    func secretsAreResolvedByEachWorker(_ backend: Backend) async throws {
        try await Harness.with { harness in
            try await TestDatabase.with(backend, in: harness.directory) { database in
                let manifest = try CLITests.write(
                    Self.manifest(batch: "secrets", accounts: 1, subscribers: 2), "workers.yaml", in: harness.directory)
                try await Self.enqueue(manifest, harness: harness, database: database)
                var environment = OnboardBinary.environment()
                environment["ONBOARD_SUBSCRIBER_PASSWORD"] = nil
                let without = try await OnboardBinary.run(
                    ["worker", "--db", database.argument, "--until-idle", "--rate", "100000/min"], directory: harness.directory,
                    environment: environment)
                #expect(without.status == 1, "\(without.stdout)\(without.stderr)")
                #expect(without.stdout.contains("environment variable ONBOARD_SUBSCRIBER_PASSWORD is not set"), "\(without.stdout)")
                #expect(harness.requests("POST /v1.0/subscribers/create") == 0 && harness.ledger.purchases == 0)
                let stored = try await database.withStore { store in
                    try await store.runs(matching: RunFilter()).map { $0.inputs.canonicalString() }.joined()
                }
                #expect(stored.contains("${env.ONBOARD_SUBSCRIBER_PASSWORD}") && !stored.contains(Harness.password))

                let again = try await OnboardBinary.run(
                    ["batch", manifest, "--enqueue", "--db", database.argument, "--base-url", harness.simulator.baseURL],
                    directory: harness.directory)
                #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
                #expect(again.stdout.contains("(2 that had failed, queued again)"), "\(again.stdout)")
                let with = try await Self.worker(database, harness: harness, ["--rate", "100000/min"]).wait()
                #expect(with.status == 0, "\(with.stdout)\(with.stderr)")
                Self.expectExactlyOnce(harness.ledger, accounts: 1, subscribersPerAccount: 2)
                try await Self.expectAllDone(database, items: 3)
            }
        }
    }

    /// The budget in the database: two workers, each with its own limiter, together send no more than the rate
    /// in any window. A rate of 12 per 10 s (instead of 50 per minute) keeps the test short.
    ///
    /// The budget spaces the slots of request n and n + 12 by the window plus 1/60 of it: 1 s for a minute, which
    /// absorbs the delay between a slot and the request's arrival at the API, but only 0.17 s for 10 s, less than
    /// a loaded test machine can delay a worker's first requests (its first connection). So the log is checked
    /// over 9 s: a second burst cannot reach back into the first unless a request came more than 1.17 s after its
    /// slot, while two unshared limiters would put 24 requests into the first second or so.
    @Test("Two workers keep one rate limit together", arguments: Backend.available)
    func twoWorkersShareTheRateLimit(_ backend: Backend) async throws {
        try await Harness.with { harness in
            try await TestDatabase.with(backend, in: harness.directory) { database in
                let manifest = try CLITests.write(
                    Self.manifest(batch: "rate-shared", accounts: 1, subscribers: 3), "workers.yaml", in: harness.directory)
                try await Self.enqueue(manifest, harness: harness, database: database)
                let workers = try (0..<2).map { _ in
                    try Self.worker(database, harness: harness, ["--rate", "12/10s", "--concurrency", "1"])
                }
                var executed: [Int] = []
                for worker in workers {
                    let result = await worker.wait()
                    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
                    executed.append(Self.executed(result.stdout) ?? 0)
                }
                Self.expectExactlyOnce(harness.ledger, accounts: 1, subscribersPerAccount: 3)
                // Both workers sent requests, more than one window's worth in all: the limit had to be shared.
                #expect(executed.allSatisfy { $0 >= 1 }, "\(executed)")
                let log = harness.simulator.world.requestLog()
                #expect(log.arrivalsMs.count > 12)
                let busiest = log.mostInAnyWindow(of: .seconds(9))
                #expect(busiest.count <= 12, "\(busiest.count) requests in the 9 s from \(busiest.startMs) ms: \(log.arrivalsMs)")
                #expect(harness.ledger.rateLimited == 0)
            }
        }
    }
}
