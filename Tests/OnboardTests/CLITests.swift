import Foundation
import OnboardCore
import TelegentSimulator
import Testing

/// The `onboard` binary as a user runs it: exit codes, messages, Ctrl-C, and what it leaves on disk.
@Suite struct CLITests {
    static let validInput = """
        key: cli-test
        account: {name: Acme CLI, admin_email: admin@acme.example}
        message_route: {name: Main, url: "https://hooks.acme.example/m"}
        number: {area_code: "801"}
        subscriber: {name: Jane, email: jane.cli@acme.example, password: "${env.ONBOARD_SUBSCRIBER_PASSWORD}"}
        test_message: {to: "+13105559999"}
        """

    static func write(_ text: String, _ name: String, in directory: URL) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(arguments: [
        ("admin_email: admin@acme.example", "admin_email: admin-at-acme", ":2: account.admin_email: not an email address"),
        ("to: \"+13105559999\"", "to: \"555-9999\"", ":6: test_message.to: not an E.164 phone number"),
        ("area_code: \"801\"", "area_code: \"8O1\"", ":4: number.area_code: an area code is 3 digits"),
        ("number: {area_code: \"801\"}", "number: {area_code: \"801\", message_type: sms}", ":4: number.message_type: 'sms' is not one of: a2p, p2p"),
        ("message_route: {name: Main, ", "message_route: {", ":3: message_route.name: is required"),
        ("test_message: {to: \"+13105559999\"}", "test_message: {to: \"+13105559999\"", "YAML syntax error"),
        ("${env.ONBOARD_SUBSCRIBER_PASSWORD}", "${env.NOT_SET_ANYWHERE}", "environment variable NOT_SET_ANYWHERE is not set"),
        ("admin_email: admin@acme.example}", "admin_email: admin@acme.example, billing_address: {zip: ABCDE}}", ":2: account.billing_address.zip"),
    ])
    func badInputExitsTwoNamesTheFieldAndCallsNothing(original: String, replacement: String, expected: String) async throws {
        try await Harness.with { harness in
            let text = Self.validInput.replacingOccurrences(of: original, with: replacement)
            #expect(text != Self.validInput)
            let input = try Self.write(text, "bad.yaml", in: harness.directory)
            for command in ["run", "plan"] {
                var arguments = [command, input, "--db", harness.dbPath]
                if command == "run" { arguments += ["--base-url", harness.simulator.baseURL] }
                let result = try await OnboardBinary.run(arguments, directory: harness.directory)
                #expect(result.status == 2, "\(command): \(result.stderr)")
                #expect(result.stderr.contains("bad.yaml"), "\(result.stderr)")
                #expect(result.stderr.contains(expected), "\(result.stderr)")
            }
            #expect(harness.ledger.requests == 0)
        }
    }

    /// The documents' rules are reported together with the field errors, not only once those are fixed.
    @Test func rulesAreReportedWithFieldErrors() async throws {
        try await Harness.with { harness in
            let text = Self.validInput
                .replacingOccurrences(of: "number: {area_code: \"801\"}", with: "number: {area_code: \"801\", number_type: iot, message_type: a2p}")
                .replacingOccurrences(of: "admin@acme.example", with: "admin-at-acme")
            let input = try Self.write(text, "bad.yaml", in: harness.directory)
            let result = try await OnboardBinary.run(["plan", input, "--db", harness.dbPath], directory: harness.directory)
            #expect(result.status == 2)
            #expect(result.stderr.contains("account.admin_email: not an email address"), "\(result.stderr)")
            #expect(result.stderr.contains("number.message_type: iot numbers cannot be a2p"), "\(result.stderr)")
        }
    }

    @Test func brokenWorkflowExitsTwoWithFileAndLine() async throws {
        try await Harness.with { harness in
            var workflow = try String(contentsOf: Harness.root.appendingPathComponent("workflows/quickstart.yaml"), encoding: .utf8)
            workflow = workflow.replacingOccurrences(of: "From: ${steps.provision.phone_number}", with: "From: ${steps.provison.phone_number}")
            let path = try Self.write(workflow, "broken-workflow.yaml", in: harness.directory)
            let input = try Self.write(Self.validInput, "input.yaml", in: harness.directory)
            let result = try await OnboardBinary.run(
                ["run", input, "--workflow", path, "--db", harness.dbPath, "--base-url", harness.simulator.baseURL],
                directory: harness.directory)
            #expect(result.status == 2)
            #expect(result.stderr.contains("broken-workflow.yaml:"), "\(result.stderr)")
            #expect(result.stderr.contains("'steps.provison' is not a step of this workflow"), "\(result.stderr)")
            #expect(harness.ledger.requests == 0)
        }
    }

    @Test func plainHTTPToARemoteHostIsRefused() async throws {
        try await Harness.with { harness in
            let input = try Self.write(Self.validInput, "input.yaml", in: harness.directory)
            let result = try await OnboardBinary.run(
                ["run", input, "--db", harness.dbPath, "--base-url", "http://api.telegent.com"], directory: harness.directory)
            #expect(result.status == 2)
            #expect(result.stderr.contains("http:// would send credentials and tokens in clear text"))
        }
    }

    @Test func missingCredentialsAreBadInput() async throws {
        try await Harness.with { harness in
            let input = try Self.write(Self.validInput, "input.yaml", in: harness.directory)
            var environment = OnboardBinary.environment()
            environment["TELEGENT_ACCOUNT_SECRET"] = nil
            let result = try await OnboardBinary.run(
                ["run", input, "--db", harness.dbPath, "--base-url", harness.simulator.baseURL],
                directory: harness.directory, environment: environment)
            #expect(result.status == 2)
            #expect(result.stderr.contains("TELEGENT_ACCOUNT_SECRET"))
            #expect(harness.ledger.requests == 0)
        }
    }

    /// Nothing secret reaches the database, the output or the logs; the database is its owner's only.
    @Test func secretsNeverLeak() async throws {
        try await Harness.with { harness in
            let inline = "Inline-Secret-Passw0rd-91c2"
            let input = try Self.write(
                Self.validInput.replacingOccurrences(of: "\"${env.ONBOARD_SUBSCRIBER_PASSWORD}\"", with: inline),
                "input.yaml", in: harness.directory)
            // A failure first (so error paths are covered), then a resume to the end, with debug logs on.
            harness.simulator.world.addFaults([FaultRule(path: "/v1.0/subscribers/create", action: .status, status: 400, count: 1)])
            let first = try await OnboardBinary.run(
                ["run", input, "--db", harness.dbPath, "--base-url", harness.simulator.baseURL, "-vv"], directory: harness.directory)
            #expect(first.status == 1)
            let second = try await OnboardBinary.run(
                ["run", input, "--db", harness.dbPath, "--base-url", harness.simulator.baseURL, "-vv", "--json"], directory: harness.directory)
            #expect(second.status == 0, "\(second.stderr)")
            let show = try await OnboardBinary.run(["show", "cli-test", "--db", harness.dbPath, "--json"], directory: harness.directory)
            #expect(show.status == 0)

            var database = Data()
            for suffix in ["", "-wal"] {
                database.append((try? Data(contentsOf: URL(fileURLWithPath: harness.dbPath + suffix))) ?? Data())
            }
            let everything = [first.stdout, first.stderr, second.stdout, second.stderr, show.stdout, show.stderr,
                String(decoding: database, as: UTF8.self)].joined(separator: "\n")
            #expect(everything.contains("TSUID-"), "the run finished and was recorded")
            for secret in [inline, "demo-secret-not-for-production", "DID-onboard-demo"] {
                #expect(!everything.contains(secret), "\(secret) leaked")
            }
            // The simulator's tokens are 48 hex digits.
            #expect(everything.firstMatch(of: /\b[0-9a-f]{48}\b/) == nil, "a bearer token leaked")
            let mode = try FileManager.default.attributesOfItem(atPath: harness.dbPath)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
    }

    @Test func ctrlCStopsCleanlyWithExit130AndResumeFinishes() async throws {
        let configuration = SimulatorConfiguration(rateLimitPerMinute: nil, latency: .milliseconds(250))
        try await Harness.with(configuration) { harness in
            let input = try Self.write(Self.validInput, "input.yaml", in: harness.directory)
            let arguments = ["run", input, "--db", harness.dbPath, "--base-url", harness.simulator.baseURL]
            let handle = try OnboardBinary.Handle(arguments, directory: harness.directory, environment: OnboardBinary.environment())
            while harness.ledger.requests < 4 { try await Task.sleep(for: .milliseconds(20)) }
            handle.signal(SIGINT)
            let result = await handle.wait()
            #expect(result.status == 130, "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("stopped cleanly"))
            let show = try await OnboardBinary.run(["show", "cli-test", "--db", harness.dbPath, "--json"], directory: harness.directory)
            let status = try JSONValue(jsonData: Data(show.stdout.utf8))["status"]
            #expect(status == "interrupted")
            let again = try await OnboardBinary.run(arguments, directory: harness.directory)
            #expect(again.status == 0, "\(again.stderr)")
            harness.expectExactlyOneSetup(voice: 0)
        }
    }

    @Test func demoRunsEndToEnd() async throws {
        try await Harness.with { harness in
            let result = try await OnboardBinary.run(
                ["demo", "--input", Harness.root.appendingPathComponent("examples/quickstart.yaml").path, "--json"],
                directory: harness.directory, environment: ProcessInfo.processInfo.environment)
            #expect(result.status == 0, "\(result.stderr)")
            let report = try JSONValue(jsonData: Data(result.stdout.utf8))
            #expect(report["status"] == "done")
            #expect(report["steps"]?.arrayValue?.count == 7)
        }
    }

    @Test func retryFromAStepRedoesItWithoutBuyingAgain() async throws {
        try await Harness.with { harness in
            let input = try Self.write(Self.validInput, "input.yaml", in: harness.directory)
            let common = ["--db", harness.dbPath, "--base-url", harness.simulator.baseURL]
            #expect(try await OnboardBinary.run(["run", input] + common, directory: harness.directory).status == 0)
            let retry = try await OnboardBinary.run(["retry", Runner.runID(forKey: "cli-test"), "--from", "availability"] + common, directory: harness.directory)
            #expect(retry.status == 0, "\(retry.stdout)\(retry.stderr)")
            #expect(retry.stdout.contains("provision") && retry.stdout.contains("found existing, adopted"), "\(retry.stdout)")
            #expect(harness.requests("POST /v1.0/numbers/availability") == 2)
            harness.expectExactlyOneSetup(voice: 0)
            let unknown = try await OnboardBinary.run(["retry", Runner.runID(forKey: "cli-test"), "--from", "nope"] + common, directory: harness.directory)
            #expect(unknown.status == 2)
            #expect(unknown.stderr.contains("has no step 'nope'"))
        }
    }

    /// A create step with no lookup whose request may have worked stops the run in doubt (exit 3); a person says
    /// what happened, and resume goes on.
    @Test(arguments: [true, false])
    func resolveLetsAPersonDecide(happened: Bool) async throws {
        try await Harness.with { harness in
            var workflow = try String(contentsOf: Harness.root.appendingPathComponent("workflows/quickstart.yaml"), encoding: .utf8)
            let start = workflow.range(of: "    reconcile:\n      request:\n        method: GET\n        path: /v1.0/distributor/subscribers")!
            let end = workflow.range(of: "    hints:", range: start.upperBound..<workflow.endIndex)!
            workflow.removeSubrange(start.lowerBound..<end.lowerBound)
            let workflowPath = try Self.write(workflow, "no-lookup.yaml", in: harness.directory)
            let input = try Self.write(Self.validInput, "input.yaml", in: harness.directory)
            let common = ["--db", harness.dbPath, "--base-url", harness.simulator.baseURL, "--workflow", workflowPath]
            // happened: the API applied it and the answer was lost; not happened: a 500 that applied nothing.
            harness.simulator.world.addFaults([
                happened
                    ? FaultRule(path: "/v1.0/subscribers/create", action: .drop, count: 1)
                    : FaultRule(path: "/v1.0/subscribers/create", action: .status, status: 500, count: 1)
            ])
            let first = try await OnboardBinary.run(["run", input] + common, directory: harness.directory)
            #expect(first.status == 3, "\(first.stdout)\(first.stderr)")
            #expect(first.stdout.contains("onboard resolve"))
            let runID = Runner.runID(forKey: "cli-test")
            var resolve = ["resolve", runID, "subscriber", "--db", harness.dbPath, "--workflow", workflowPath]
            if happened {
                let missing = try await OnboardBinary.run(resolve + ["--happened"], directory: harness.directory)
                #expect(missing.status == 2)
                #expect(missing.stderr.contains("--set subscriber_id="))
                resolve += ["--happened", "--set", "subscriber_id=TSUID-from-the-portal"]
            } else {
                resolve += ["--not-happened"]
            }
            #expect(try await OnboardBinary.run(resolve, directory: harness.directory).status == 0)
            let resumed = try await OnboardBinary.run(["resume", runID] + common, directory: harness.directory)
            #expect(resumed.status == 0, "\(resumed.stdout)\(resumed.stderr)")
            #expect(harness.ledger.subscribers == 1)
            #expect(harness.requests("POST /v1.0/subscribers/create") == (happened ? 1 : 2))
            let steps = try await harness.steps("cli-test")
            #expect(steps["subscriber"]?.outputs["subscriber_id"]?.stringValue?.hasPrefix("TSUID-") == true)
        }
    }
}
