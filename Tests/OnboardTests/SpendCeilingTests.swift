import Foundation
import OnboardCore
import TelegentSimulator
import Testing

/// Issue 15: `--max-purchases N` is a ceiling kept in the database, so no crash, rerun or second process can buy
/// more than N numbers for a batch. Checked at the API's ledger, with the built binary, on SQLite and (when
/// `ONBOARD_TEST_POSTGRES_URL` is set) PostgreSQL. The store's side of it is `SpendCeilingContractTests`.
@Suite struct SpendCeilingTests {
    /// Ten subscribers under two accounts.
    static let manifest = WorkerTests.manifest(batch: "ceiling", accounts: 2, subscribers: 5)

    @Test("A ceiling of 5 on 10 subscribers buys 5 across a SIGKILL and a second process; reruns buy nothing more", arguments: Backend.available)
    func ceilingHoldsAcrossAKillAndReruns(_ backend: Backend) async throws {
        try await Harness.with(SimulatorConfiguration(rateLimitPerMinute: nil, latency: .milliseconds(20))) { harness in
            try await TestDatabase.with(backend, in: harness.directory) { database in
                let manifest = try CLITests.write(Self.manifest, "ceiling.yaml", in: harness.directory)
                let command = [
                    "batch", manifest, "--db", database.argument, "--base-url", harness.simulator.baseURL,
                    "--max-purchases", "5", "--concurrency", "2", "--request-timeout", "2", "--settle-window", "1",
                    "--rate", "100000/min",
                ]
                // The first process buys some numbers and is killed while its next purchase is in the API's hands.
                let first = try OnboardBinary.Handle(command, directory: harness.directory, environment: OnboardBinary.environment())
                let clock = ContinuousClock()
                let deadline = clock.now + .seconds(60)
                while harness.ledger.purchases < 2, clock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
                harness.simulator.world.addFaults([
                    FaultRule(method: "POST", path: "/v1.0/numbers/provision", action: .stall, latencyMs: 5_000, count: 1)
                ])
                while !harness.simulator.world.faults().isEmpty, harness.ledger.purchases < 5, clock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
                first.signal(SIGKILL)
                #expect(await first.wait().wasKilled)
                let boughtBeforeTheKill = harness.ledger.purchases
                #expect((2...5).contains(boughtBeforeTheKill), "killed after some purchases: \(boughtBeforeTheKill)")

                // The second process continues the same batch on the same database: 5 in all, never 6.
                let second = try await OnboardBinary.run(command, directory: harness.directory)
                #expect(second.status == 1, "the items past the ceiling fail: \(second.stdout)\(second.stderr)")
                #expect(second.stdout.contains("purchases: 5 of the ceiling of 5 used"), "\(second.stdout)")
                #expect(harness.ledger.purchases == 5)
                let provisions = harness.requests("POST /v1.0/numbers/provision")

                // Rerunning does not reset the ceiling, with or without the flag: nothing more is bought, and the
                // output says why.
                for rerun in [command, command.filter { $0 != "--max-purchases" && $0 != "5" }] {
                    let result = try await OnboardBinary.run(rerun, directory: harness.directory)
                    #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
                    #expect(result.stdout.contains("is reached (5 of 5 purchases used)"), "\(result.stdout)")
                    #expect(result.stdout.contains("purchases: 5 of the ceiling of 5 used"), "\(result.stdout)")
                    #expect(harness.ledger.purchases == 5)
                    #expect(harness.requests("POST /v1.0/numbers/provision") == provisions, "no purchase was even sent")
                }
                // Five subscribers got their number, and each of them exactly one.
                let ledger = harness.ledger
                #expect(ledger.purchasesByAccount.values.reduce(0, +) == 5)
                #expect(ledger.subscribers == 5 && ledger.messages == 5)
                let done = try await database.withStore { try await $0.runCounts(matching: RunFilter(kind: .subscriber))[.done] }
                #expect(done == 5)
            }
        }
    }

    @Test("Two processes at once, and two workers, share one ceiling", arguments: Backend.available)
    func concurrentProcessesShareTheCeiling(_ backend: Backend) async throws {
        try await Harness.with(SimulatorConfiguration(rateLimitPerMinute: nil, latency: .milliseconds(20))) { harness in
            try await TestDatabase.with(backend, in: harness.directory) { database in
                let manifest = try CLITests.write(Self.manifest, "ceiling.yaml", in: harness.directory)
                let command = [
                    "batch", manifest, "--db", database.argument, "--base-url", harness.simulator.baseURL,
                    "--max-purchases", "5", "--concurrency", "3", "--rate", "100000/min",
                ]
                let processes = try (0..<2).map { _ in
                    try OnboardBinary.Handle(command, directory: harness.directory, environment: OnboardBinary.environment())
                }
                for process in processes {
                    let result = await process.wait()
                    // Failed items past the ceiling (1), or busy when the other process held the rest (4).
                    #expect([0, 1, 4].contains(result.status), "\(result.stdout)\(result.stderr)")
                }
                #expect(harness.ledger.purchases == 5)
            }
        }
        try await Harness.with(SimulatorConfiguration(rateLimitPerMinute: nil, latency: .milliseconds(20))) { harness in
            try await TestDatabase.with(backend, in: harness.directory) { database in
                let manifest = try CLITests.write(Self.manifest, "ceiling.yaml", in: harness.directory)
                try await WorkerTests.enqueue(manifest, harness: harness, database: database, extra: ["--max-purchases", "5"])
                let workers = try (0..<2).map { _ in try WorkerTests.worker(database, harness: harness, ["--concurrency", "3", "--rate", "100000/min"]) }
                for worker in workers {
                    let result = await worker.wait()
                    #expect(result.status == 0 || result.status == 1, "\(result.stdout)\(result.stderr)")
                }
                #expect(harness.ledger.purchases == 5)
                let usage = try await database.withStore { store in
                    let batch = try #require(try await store.runs(matching: RunFilter(kind: .account)).first?.batchID)
                    return try await store.purchaseUsage(scope: batch)
                }
                #expect(usage == PurchaseUsage(used: 5, ceiling: 5))
            }
        }
    }
}
