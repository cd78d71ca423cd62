import Foundation
import OnboardCore
import OnboardRuntime
import OnboardSQLite
import TelegentClient
import TelegentSimulator
import Testing

/// Batches: one account call per account, one purchase per subscriber, reruns that continue, faults, drift.
@Suite struct BatchTests {
    /// A manifest of `accounts` accounts with `subscribers` subscribers each (`name` varies so reruns can drift).
    static func manifest(accounts: Int, subscribers: Int, name: (Int, Int) -> String = { "Sub \($0)-\($1)" }) -> String {
        var text = """
            workflow: quickstart
            batch: test-batch
            defaults:
              message_route: {url: "https://hooks.example.com/m"}
              number: {area_code: "801"}
              subscriber: {password: "${env.ONBOARD_SUBSCRIBER_PASSWORD}"}
              test_message: {to: "+13105559999"}
            accounts:

            """
        for account in 0..<accounts {
            text += """
                  - key: acct-\(account)
                    account: {name: Account \(account), admin_email: admin\(account)@example.com}
                    message_route: {name: Route \(account)}
                    subscribers:

                """
            for subscriber in 0..<subscribers {
                text += "      - {name: \(name(account, subscriber)), email: s\(account)-\(subscriber)@example.com}\n"
            }
        }
        return text
    }

    func runBatch(
        _ harness: Harness, _ text: String, concurrency: Int = 8, acceptChanges: Bool = false,
        rate: RateSpec = RateSpec(requests: 100_000)
    ) async throws -> (BatchProgress.Snapshot, TelegentHTTPTransport.Statistics) {
        let path = harness.directory.appendingPathComponent("manifest.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let manifest = try Manifest.load(path: path)
        return try await harness.withEngine(workflow: try Harness.workflow(), harness.configuration(rate: rate)) { engine in
            let batch = BatchRunner(runner: engine.runner, options: .init(concurrency: concurrency, acceptChanges: acceptChanges))
            let result = try await batch.run(manifest, environment: Harness.environment)
            return (result.progress.snapshot, engine.transport.statistics)
        }
    }

    @Test func accountsOnceSubscribersEachAndEveryIDKept() async throws {
        try await Harness.with { harness in
            let (snapshot, statistics) = try await runBatch(harness, Self.manifest(accounts: 3, subscribers: 4))
            #expect(snapshot.total == 15)
            #expect(snapshot.outcomes[.done] == 15)
            let ledger = harness.ledger
            #expect(ledger.accounts == 3)
            #expect(ledger.messageRoutes == 3)
            #expect(ledger.purchases == 12)
            #expect(ledger.subscribers == 12)
            #expect(ledger.messages == 12)
            #expect(ledger.accountNames.values.allSatisfy { $0 == 1 })
            // One token per endpoint path for the whole batch, not one per call.
            #expect(statistics.tokenRequests == 6)  // six step endpoints (no voice route here)
            // Every subscriber run has its number, subscriber and message; its account's IDs are its parent's.
            let runs = try await harness.store.runs(matching: RunFilter(kind: .subscriber))
            #expect(runs.count == 12)
            var numbers: Set<String> = []
            for run in runs {
                let steps = try await harness.store.steps(runID: run.id)
                let outputs = steps.reduce(into: [String: JSONValue]()) { $0.merge($1.outputs) { a, _ in a } }
                #expect(outputs["number_id"]?.stringValue?.hasPrefix("NID-") == true)
                #expect(outputs["subscriber_id"]?.stringValue?.hasPrefix("TSUID-") == true)
                #expect(outputs["message_id"]?.stringValue?.hasPrefix("TMID-") == true)
                numbers.insert(outputs["phone_number"]?.stringValue ?? "")
                #expect(run.parentID != nil)
            }
            #expect(numbers.count == 12)

            // A rerun makes no call at all.
            let before = harness.ledger.requests
            let (again, _) = try await runBatch(harness, Self.manifest(accounts: 3, subscribers: 4))
            #expect(again.outcomes[.skipped] == 15)
            #expect(harness.ledger.requests == before)
        }
    }

    @Test func randomFaultsEndWithEveryItemDoneAndNoDuplicate() async throws {
        try await Harness.with(SimulatorConfiguration(rateLimitPerMinute: nil, seed: 7)) { harness in
            let paths = ["/v1.0/account/create", "/v1.0/message/routes", "/v1.0/numbers/availability",
                "/v1.0/numbers/provision", "/v1.0/subscribers/create", "/v1.0/message/outbound"]
            var rules: [FaultRule] = []
            for path in paths {
                rules.append(FaultRule(method: "POST", path: path, action: .drop, probability: 0.08))
                rules.append(FaultRule(method: "POST", path: path, action: .status, status: 503, probability: 0.08))
                rules.append(FaultRule(method: "POST", path: path, action: .status, status: 500, probability: 0.05))
            }
            harness.simulator.world.addFaults(rules)
            let text = Self.manifest(accounts: 5, subscribers: 10)
            var (snapshot, _) = try await runBatch(harness, text, concurrency: 12)
            if snapshot.outcomes[.done] != 55 {
                // At most one rerun, as a user would do, with the faults still armed.
                (snapshot, _) = try await runBatch(harness, text, concurrency: 12)
                let unfinished = try await harness.store.runs(matching: RunFilter()).filter { $0.status != .done }
                #expect(
                    (snapshot.outcomes[.done] ?? 0) + (snapshot.outcomes[.skipped] ?? 0) == 55,
                    "\(unfinished.map { "\($0.key): \($0.status) \($0.lastError ?? "")" })")
            }
            let ledger = harness.ledger
            #expect(ledger.droppedResponses > 0, "the faults fired")
            #expect(ledger.accounts == 5)
            #expect(ledger.messageRoutes == 5)
            #expect(ledger.purchases == 50)
            #expect(ledger.subscribers == 50)
            #expect(ledger.messages == 50)
            #expect(ledger.accountNames.values.allSatisfy { $0 == 1 })
            #expect(ledger.messagesByRoute.values.allSatisfy { $0 == 1 })
        }
    }

    @Test func noRateLimitErrorsWhenTheClientKeepsTheSimulatorsLimit() async throws {
        try await Harness.with(SimulatorConfiguration(rateLimitPerMinute: 20)) { harness in
            let (snapshot, statistics) = try await runBatch(
                harness, Self.manifest(accounts: 1, subscribers: 2), rate: RateSpec(requests: 20))
            #expect(snapshot.outcomes[.done] == 3)
            #expect(statistics.rateLimited == 0)
            #expect(harness.ledger.rateLimited == 0)
        }
    }

    @Test func changedInputsOfAFinishedItemAreReportedAsDrift() async throws {
        try await Harness.with { harness in
            _ = try await runBatch(harness, Self.manifest(accounts: 1, subscribers: 3))
            let renamed = Self.manifest(accounts: 1, subscribers: 3) { account, subscriber in
                subscriber == 1 ? "Renamed" : "Sub \(account)-\(subscriber)"
            }
            let before = harness.ledger.requests
            let (snapshot, _) = try await runBatch(harness, renamed)
            #expect(snapshot.outcomes[.drift] == 1)
            #expect(snapshot.outcomes[.skipped] == 3)
            #expect(harness.ledger.requests == before, "drift is reported, not applied")
        }
    }

    @Test func brokenManifestReportsEveryErrorAndCallsNothing() async throws {
        try await Harness.with { harness in
            var text = Self.manifest(accounts: 2, subscribers: 2)
            text = text.replacingOccurrences(of: "s0-1@example.com", with: "not-an-email")
            text = text.replacingOccurrences(of: "admin1@example.com", with: "admin1-at-example")
            text = text.replacingOccurrences(of: "{name: Sub 1-1, ", with: "{name: Sub 1-1, area_code: \"99\", ")
            let path = try CLITests.write(text, "broken.yaml", in: harness.directory)
            for command in ["plan", "batch"] {
                var arguments = [command, path, "--db", harness.dbPath]
                if command == "batch" { arguments += ["--base-url", harness.simulator.baseURL] }
                let result = try await OnboardBinary.run(arguments, directory: harness.directory)
                #expect(result.status == 2, "\(result.stderr)")
                #expect(result.stderr.contains("broken.yaml:"))
                #expect(result.stderr.contains("item 'acct-0/not-an-email': subscriber.email: not an email address"), "\(result.stderr)")
                #expect(result.stderr.contains("item 'acct-1': account.admin_email: not an email address"), "\(result.stderr)")
                #expect(result.stderr.contains("item 'acct-1/s1-1@example.com': number.area_code"), "\(result.stderr)")
            }
            #expect(harness.ledger.requests == 0)
        }
    }

    @Test func csvSubscribersAreStreamedIntoItems() async throws {
        try await Harness.with { harness in
            let csv = "name,email,area_code,to\nAnn,ann@example.com,415,+14155550101\n\"Cruz, Dana\",dana@example.com,,\n"
            try csv.write(to: harness.directory.appendingPathComponent("subs.csv"), atomically: true, encoding: .utf8)
            let text = Self.manifest(accounts: 1, subscribers: 0).replacingOccurrences(
                of: "    subscribers:\n", with: "    subscribers_csv: subs.csv\n")
            let (snapshot, _) = try await runBatch(harness, text)
            #expect(snapshot.outcomes[.done] == 3)
            #expect(harness.ledger.subscriberEmails["dana@example.com"] == 1)
            #expect(harness.ledger.messagesByRoute.keys.contains { $0.hasSuffix("->+14155550101") })
        }
    }

    @Test func killedMidwayThenRerunCompletesWithNoDuplicate() async throws {
        let configuration = SimulatorConfiguration(rateLimitPerMinute: nil, latency: .milliseconds(30))
        try await Harness.with(configuration) { harness in
            let path = try CLITests.write(Self.manifest(accounts: 3, subscribers: 5), "manifest.yaml", in: harness.directory)
            let arguments = ["batch", path, "--db", harness.dbPath, "--base-url", harness.simulator.baseURL, "--concurrency", "6", "--rate", "100000", "--settle-window", "1"]
            let handle = try OnboardBinary.Handle(arguments, directory: harness.directory, environment: OnboardBinary.environment())
            while harness.ledger.purchases < 5 { try await Task.sleep(for: .milliseconds(5)) }
            handle.signal(SIGKILL)
            #expect(await handle.wait().wasKilled)
            #expect(harness.ledger.purchases < 15, "killed mid-way")

            let rerun = try await OnboardBinary.run(arguments + ["--report", "report.json"], directory: harness.directory)
            #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
            let ledger = harness.ledger
            #expect(ledger.accounts == 3 && ledger.messageRoutes == 3)
            #expect(ledger.purchases == 15 && ledger.subscribers == 15 && ledger.messages == 15)
            let report = try JSONValue(jsonData: Data(contentsOf: harness.directory.appendingPathComponent("report.json")))
            let rows = try #require(report.arrayValue)
            #expect(rows.count == 18)
            #expect(rows.allSatisfy { $0["status"] == "done" && $0["account_id"]?.stringValue?.hasPrefix("AID-") == true })
            #expect(rows.filter { $0["kind"] == "subscriber" }.allSatisfy { $0["message_id"]?.stringValue?.hasPrefix("TMID-") == true })

            // Finished items make no call.
            let before = harness.ledger.requests
            let again = try await OnboardBinary.run(arguments, directory: harness.directory)
            #expect(again.status == 0)
            #expect(again.stdout.contains("skipped 18"), "\(again.stdout)")
            #expect(harness.ledger.requests == before)
        }
    }

    @Test func ctrlCStopsABatchCleanlyAndTheRerunContinues() async throws {
        let configuration = SimulatorConfiguration(rateLimitPerMinute: nil, latency: .milliseconds(30))
        try await Harness.with(configuration) { harness in
            let path = try CLITests.write(Self.manifest(accounts: 2, subscribers: 6), "manifest.yaml", in: harness.directory)
            let arguments = ["batch", path, "--db", harness.dbPath, "--base-url", harness.simulator.baseURL, "--concurrency", "4", "--rate", "100000", "--settle-window", "1"]
            let handle = try OnboardBinary.Handle(arguments, directory: harness.directory, environment: OnboardBinary.environment())
            while harness.ledger.purchases < 2 { try await Task.sleep(for: .milliseconds(5)) }
            handle.signal(SIGINT)
            let stopped = await handle.wait()
            #expect(stopped.status == 130, "\(stopped.stdout)\(stopped.stderr)")
            let rerun = try await OnboardBinary.run(arguments, directory: harness.directory)
            #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
            #expect(harness.ledger.purchases == 12 && harness.ledger.accounts == 2)
        }
    }
}
