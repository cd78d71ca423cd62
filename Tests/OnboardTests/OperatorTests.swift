import Foundation
import OnboardCLI
import OnboardCore
import TelegentSimulator
import Testing

/// What an operator sees: runs that remember their target, plans that read the database, failures that come fast
/// and say why, batch output that adds up, and the command-line conventions.
@Suite struct OperatorTests {
    static let manifest = """
        batch: operator-test
        defaults:
          message_route: {url: "https://hooks.example/m"}
          subscriber: {password: "${env.ONBOARD_SUBSCRIBER_PASSWORD}"}
          test_message: {to: "+13105559999"}
        accounts:
          - key: acme
            account: {name: Acme Op, admin_email: a@acme.example}
            message_route: {name: Acme route}
            number: {area_code: "801"}
            subscribers:
              - {name: Jane, email: jane@acme.example}
              - {name: Joe, email: joe@acme.example}
          - key: globex
            account: {name: Globex Op, admin_email: g@globex.example}
            message_route: {name: Globex route}
            number: {area_code: "415"}
            subscribers:
              - {name: Ann, email: ann@globex.example}
        """

    @Test func aRunIsResumedOnlyAgainstItsOwnTarget() async throws {
        try await Harness.with { harness in
            let input = try CLITests.write(CLITests.validInput, "input.yaml", in: harness.directory)
            harness.simulator.world.addFaults([FaultRule(path: "/v1.0/subscribers/create", action: .status, status: 400, count: 1)])
            let first = try await OnboardBinary.run(
                ["run", input, "--db", harness.dbPath, "--base-url", harness.simulator.baseURL], directory: harness.directory)
            #expect(first.status == 1)
            #expect(first.stdout.contains("target \(harness.simulator.baseURL), database \(harness.dbPath)"))
            let elsewhere = try await OnboardBinary.run(
                ["resume", "cli-test", "--db", harness.dbPath, "--base-url", "https://api.telegent.com"],
                directory: harness.directory)
            #expect(elsewhere.status == 2, "\(elsewhere.stderr)")
            #expect(elsewhere.stderr.contains(harness.simulator.baseURL) && elsewhere.stderr.contains("https://api.telegent.com"))
            // Without --base-url (and with another ONBOARD_BASE_URL in the environment) the run's own target wins.
            let resumed = try await OnboardBinary.run(
                ["resume", "cli-test", "--db", harness.dbPath], directory: harness.directory,
                environment: OnboardBinary.environment(["ONBOARD_BASE_URL": "https://api.telegent.com"]))
            #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
            harness.expectExactlyOneSetup(voice: 0)
        }
    }

    @Test func planReadsTheDatabase() async throws {
        try await Harness.with { harness in
            let manifest = try CLITests.write(Self.manifest, "batch.yaml", in: harness.directory)
            let db = ["--db", harness.dbPath]
            // Globex's subscriber fails for good; Acme finishes.
            harness.simulator.world.addFaults([FaultRule(path: "/v1.0/subscribers/create", action: .status, status: 400, count: 1)])
            let batch = try await OnboardBinary.run(
                ["batch", manifest, "--base-url", harness.simulator.baseURL, "--concurrency", "1"] + db, directory: harness.directory)
            #expect(batch.status == 1, "\(batch.stdout)")
            let changed = try CLITests.write(
                Self.manifest.replacingOccurrences(of: "{name: Acme route}", with: "{name: Acme SMS}")
                    .replacingOccurrences(of: "      - {name: Ann", with: "      - {name: Bo, email: bo@globex.example}\n      - {name: Ann"),
                "changed.yaml", in: harness.directory)
            let plan = try await OnboardBinary.run(["plan", changed] + db, directory: harness.directory)
            #expect(plan.status == 0, "\(plan.stderr)")
            #expect(plan.stdout.contains("account    acme: drift: refused without --accept-changes"), "\(plan.stdout)")
            #expect(plan.stdout.contains("message_route.name: \"Acme route\" → \"Acme SMS\""))
            #expect(plan.stdout.contains("subscriber globex/bo@globex.example: new, 4 calls"), "\(plan.stdout)")
            // One subscriber's create was refused (400): it resumes there; the others are done.
            let resuming = plan.stdout.matches(of: /subscriber [a-z]+\/[a-z]+@[a-z.]+: resumes at subscriber, 2 calls/)
            #expect(resuming.count == 1, "\(plan.stdout)")
            #expect(plan.stdout.matches(of: /subscriber [a-z]+\/[a-z]+@[a-z.]+: done, 0 calls/).count == 2, "\(plan.stdout)")
            #expect(plan.stdout.contains("1 purchase"), "\(plan.stdout)")
            // Acme's unfinished subscriber waits for its drifted account; a done one waits for nothing.
            let acmeLines = plan.stdout.split(separator: "\n").filter { $0.hasPrefix("subscriber acme/") }
            #expect(acmeLines.filter { $0.contains("blocked until account acme runs") }.count == acmeLines.filter { !$0.contains("done, 0 calls") }.count)
            #expect(!acmeLines.contains { $0.contains("done, 0 calls") && $0.contains("blocked") }, "\(plan.stdout)")
            #expect(plan.stdout.contains("blocked until account acme runs (its drift first)"), "\(plan.stdout)")
            let json = try await OnboardBinary.run(["plan", changed, "--json"] + db, directory: harness.directory)
            let document = try JSONValue(jsonData: Data(json.stdout.utf8))
            #expect(document["drift"] == .int(1) && document["purchases"] == .int(1))
            // Every item of the manifest, the blocked ones saying by whom.
            let details = document["items_detail"]?.arrayValue ?? []
            let itemLines = plan.stdout.split(separator: "\n").filter { $0.hasPrefix("account ") || $0.hasPrefix("subscriber ") }
            #expect(document["items"] == .int(details.count) && details.count == itemLines.count, "\(json.stdout)")
            let blocked = details.filter { $0["blocked_by"] == .string("acme") }
            #expect(blocked.count == acmeLines.filter { $0.contains("blocked until") }.count && !blocked.isEmpty)
            // Planning never creates a database.
            let fresh = harness.directory.appendingPathComponent("never.sqlite").path
            #expect(try await OnboardBinary.run(["plan", changed, "--db", fresh], directory: harness.directory).status == 0)
            #expect(!FileManager.default.fileExists(atPath: fresh))
        }
    }

    @Test func anUnreachableAPIFailsFastAndSaysWhy() async throws {
        try await Harness.with { harness in
            let input = try CLITests.write(CLITests.validInput, "input.yaml", in: harness.directory)
            let clock = ContinuousClock()
            let started = clock.now
            let result = try await OnboardBinary.run(
                ["run", input, "--db", harness.dbPath, "--base-url", "http://127.0.0.1:9"], directory: harness.directory)
            // No timing assertion: the figure is in the closing note. What the user reads is checked.
            _ = clock.now - started
            #expect(result.status == 1)
            #expect(result.stdout.contains("http://127.0.0.1:9: connection refused"), "\(result.stdout)")
            #expect(result.stdout.contains("gave up after 4 tries"), "\(result.stdout)")
            #expect(result.stdout.contains("is the API reachable at http://127.0.0.1:9?"))

            // A batch against it stops starting items once its first ones all failed that way.
            let manifest = try CLITests.write(Self.manifest, "batch.yaml", in: harness.directory)
            let batch = try await OnboardBinary.run(
                ["batch", manifest, "--db", harness.dbPath, "--base-url", "http://127.0.0.1:9", "--concurrency", "1",
                    "--report", "report.json"],
                directory: harness.directory)
            #expect(batch.status == 1)
            #expect(batch.stdout.contains("stopped starting new items: the API cannot be reached"), "\(batch.stdout)")
            let report = try JSONValue(jsonData: Data(contentsOf: harness.directory.appendingPathComponent("report.json")))
            let statuses = (report.arrayValue ?? []).compactMap { $0["status"]?.stringValue }
            #expect(statuses.count == 5, "every item of the manifest is in the report")
            #expect(statuses.contains("blocked") || statuses.contains("not_started"), "\(statuses)")
        }
    }

    @Test func showAndTheSummaryCountTheSameRequests() async throws {
        try await Harness.with { harness in
            let input = try CLITests.write(CLITests.validInput, "input.yaml", in: harness.directory)
            let run = try await OnboardBinary.run(
                ["run", input, "--db", harness.dbPath, "--base-url", harness.simulator.baseURL, "--json"], directory: harness.directory)
            let summary = try JSONValue(jsonData: Data(run.stdout.utf8))
            let show = try await OnboardBinary.run(["show", "cli-test", "--db", harness.dbPath, "--json"], directory: harness.directory)
            let detail = try JSONValue(jsonData: Data(show.stdout.utf8))
            #expect(summary["requests"] == .int(detail["attempts"]?.arrayValue?.count ?? -1))
            #expect(summary["requests"] == .int(harness.ledger.requests - harness.ledger.tokensIssued))
        }
    }

    @Test func batchJSONProgressGoesToStderrAsLines() async throws {
        try await Harness.with(SimulatorConfiguration(rateLimitPerMinute: nil, latency: .milliseconds(120))) { harness in
            let manifest = try CLITests.write(Self.manifest, "batch.yaml", in: harness.directory)
            let result = try await OnboardBinary.run(
                ["batch", manifest, "--db", harness.dbPath, "--base-url", harness.simulator.baseURL, "--json", "--concurrency", "1"],
                directory: harness.directory)
            #expect(result.status == 0, "\(result.stderr)")
            let events = result.stderr.split(separator: "\n").compactMap { try? JSONValue(jsonData: Data($0.utf8)) }
            #expect(events.contains { $0["event"] == "progress" }, "\(result.stderr)")
            for event in events where event["event"] == "progress" {
                guard case .int(let sent)? = event["requests_last_minute"] else { continue }
                #expect(sent <= 50)
            }
            // stdout is still one JSON document.
            let document = try JSONValue(jsonData: Data(result.stdout.utf8))
            #expect(document["items"] == .int(5))
        }
    }

    /// `list --batch` takes the batch's name (the manifest's `batch:`) as well as its id, and says so when neither
    /// matches.
    @Test func listByBatchNameOrID() async throws {
        try await Harness.with { harness in
            let manifest = try CLITests.write(Self.manifest, "batch.yaml", in: harness.directory)
            let batch = try await OnboardBinary.run(
                ["batch", manifest, "--db", harness.dbPath, "--base-url", harness.simulator.baseURL, "--json"],
                directory: harness.directory)
            #expect(batch.status == 0, "\(batch.stderr)")
            let id = try #require(try JSONValue(jsonData: Data(batch.stdout.utf8))["batch"]?.stringValue, "\(batch.stdout)")
            let byName = try await OnboardBinary.run(["list", "--batch", "operator-test", "--db", harness.dbPath, "--json"], directory: harness.directory)
            let byID = try await OnboardBinary.run(["list", "--batch", id, "--db", harness.dbPath, "--json"], directory: harness.directory)
            #expect(byName.status == 0 && byID.status == 0, "\(byName.stderr)\(byID.stderr)")
            let runs = try #require(try JSONValue(jsonData: Data(byName.stdout.utf8)).arrayValue)
            #expect(runs.count == 5, "two accounts and three subscribers: \(byName.stdout)")
            #expect(byName.stdout == byID.stdout)
            let unknown = try await OnboardBinary.run(["list", "--batch", "no-such-batch", "--db", harness.dbPath], directory: harness.directory)
            #expect(unknown.status == 2)
            #expect(unknown.stderr.contains("no batch named or numbered 'no-such-batch'"), "\(unknown.stderr)")
        }
    }

    @Test func listHasAHeaderTimesAndAPluralThatAgrees() async throws {
        try await Harness.with { harness in
            let input = try CLITests.write(CLITests.validInput, "input.yaml", in: harness.directory)
            _ = try await OnboardBinary.run(["run", input, "--db", harness.dbPath, "--base-url", harness.simulator.baseURL], directory: harness.directory)
            let list = try await OnboardBinary.run(["list", "--db", harness.dbPath], directory: harness.directory)
            #expect(list.status == 0)
            #expect(list.stdout.hasPrefix("RUN "), "\(list.stdout)")
            #expect(list.stdout.contains("STARTED") && list.stdout.contains("DURATION"))
            #expect(list.stdout.contains("\n1 run\n"), "\(list.stdout)")
            #expect(!list.stdout.contains("\u{1B}["), "no colour when stdout is not a terminal")
        }
    }

    @Test func versionAndCompletions() async throws {
        let directory = FileManager.default.temporaryDirectory
        let version = try await OnboardBinary.run(["--version"], directory: directory)
        #expect(version.status == 0 && version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == OnboardVersion.string)
        #expect(try await OnboardBinary.run(["version"], directory: directory).stdout.contains(OnboardVersion.string))
        for (shell, marker) in [("bash", "complete -"), ("zsh", "#compdef onboard"), ("fish", "complete -c 'onboard'")] {
            let script = try await OnboardBinary.run(["completions", shell], directory: directory)
            #expect(script.status == 0 && script.stdout.contains(marker), "\(shell)")
        }
        #expect(try await OnboardBinary.run(["completions", "ksh"], directory: directory).status == 2)
    }
}
