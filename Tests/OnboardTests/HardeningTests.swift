import Foundation
import GRDB
import OnboardCore
import OnboardRuntime
import TelegentSimulator
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What used to crash, hang or mislead: databases that cannot be opened, hostile numbers from servers and users,
/// and every documented exit code, each checked on the built binary.
@Suite struct HardeningTests {
    enum BadDatabase: String, CaseIterable, Sendable {
        case directory, textFile, randomBytes, missingFolder, newerSchema
    }

    /// Makes `kind` at a path in `directory` and returns the path.
    static func make(_ kind: BadDatabase, in directory: URL) async throws -> String {
        let path = directory.appendingPathComponent("bad-\(kind.rawValue).sqlite").path
        switch kind {
        case .directory:
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        case .textFile:
            try "these are not the checkpoints you are looking for\n".write(toFile: path, atomically: true, encoding: .utf8)
        case .randomBytes:
            var generator = SystemRandomNumberGenerator()
            let bytes = (0..<8192).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        case .missingFolder:
            return directory.appendingPathComponent("no-such-folder/onboard.sqlite").path
        case .newerSchema:
            let store = try await StoreLocation.sqlite(path: path).open()
            try await store.close()
            let queue = try DatabaseQueue(path: path)
            try await queue.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999_from_the_future.sql')")
            }
            try queue.close()
        }
        return path
    }

    @Test(arguments: BadDatabase.allCases)
    func databaseThatCannotBeOpenedExitsOneNamingIt(kind: BadDatabase) async throws {
        try await Harness.with { harness in
            let db = try await Self.make(kind, in: harness.directory)
            let input = try CLITests.write(CLITests.validInput, "input.yaml", in: harness.directory)
            let manifest = try CLITests.write(
                "accounts:\n  - account: {name: A, admin_email: a@a.example}\n    message_route: {name: R, url: \"https://h.example/m\"}\n    subscribers: [{name: S, email: s@a.example, password: x, to: \"+13105559999\"}]\n",
                "batch.yaml", in: harness.directory)
            let api = ["--base-url", harness.simulator.baseURL]
            for arguments in [
                ["run", input] + api, ["batch", manifest] + api, ["resume", "r123"] + api, ["show", "r123"], ["list"],
                ["status"], ["resolve", "r123", "account", "--not-happened"],
            ] {
                let result = try await OnboardBinary.run(arguments + ["--db", db], directory: harness.directory)
                let command = arguments[0]
                #expect(!result.wasKilled, "\(command) crashed: \(result.stderr)")
                #expect(result.status == 1, "\(command) on \(kind): exit \(result.status) \(result.stderr)")
                #expect(result.stderr.contains(db), "\(command) names the file: \(result.stderr)")
            }
            #expect(harness.ledger.requests == 0)
        }
    }

    @Test func readOnlyCommandsNeverCreateADatabase() async throws {
        try await Harness.with { harness in
            let db = harness.directory.appendingPathComponent("never.sqlite").path
            for arguments in [["list"], ["status"], ["show", "r1"]] {
                let result = try await OnboardBinary.run(arguments + ["--db", db], directory: harness.directory)
                #expect(result.status == 1, "\(result.stderr)")
                #expect(result.stderr.contains("no database at \(db)"), "\(result.stderr)")
            }
            #expect(!FileManager.default.fileExists(atPath: db))
        }
    }

    /// A server's Retry-After is whatever it says: nonsense is ignored, huge values clamped, an HTTP-date read;
    /// none of it can crash the client.
    @Test(arguments: [
        ("inf", true), ("1e309", true), ("1e17", true), ("-3", true), ("soon", true),
        ("Wed, 21 Oct 2015 07:28:00 GMT", true), ("99999999999999999999999", false),
    ])
    func hostileRetryAfterNeverCrashes(header: String, retriesSoon: Bool) async throws {
        try await HostileServer.with(status: 503, headers: ["Retry-After": header], times: 1) { baseURL, requests in
            try await Harness.with { harness in
                let input = try CLITests.write(CLITests.validInput, "input.yaml", in: harness.directory)
                let handle = try OnboardBinary.Handle(
                    ["run", input, "--db", harness.dbPath, "--base-url", baseURL, "--request-timeout", "2"],
                    directory: harness.directory, environment: OnboardBinary.environment())
                // It must back off and keep going (or fail cleanly), never crash: stop it once it has retried.
                let clock = ContinuousClock()
                let deadline = clock.now + .seconds(30)
                let waitFor = retriesSoon ? 2 : 1
                while requests() < waitFor, clock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
                // A huge value is clamped to 10 minutes: the run is then waiting, and Ctrl-C must stop it cleanly.
                if !retriesSoon { try await Task.sleep(for: .milliseconds(500)) }
                handle.signal(SIGINT)
                let result = await handle.wait()
                // The run may have finished (exit 1: no token) just before the Ctrl-C, which then ends the process
                // by its default action; anything else is a crash.
                let endedByTheCtrlC = result.wasKilled && result.status == SIGINT
                #expect(!result.wasKilled || endedByTheCtrlC, "crashed: \(result.stderr)")
                #expect(endedByTheCtrlC || [1, 130].contains(result.status), "exit \(result.status): \(result.stderr)")
                #expect(requests() >= waitFor, "it went on after the 503")
            }
        }
    }

    @Test(arguments: ["inf", "nan", "-1", "1e309"])
    func nonFiniteSecondsAreBadInput(value: String) async throws {
        try await Harness.with { harness in
            let input = try CLITests.write(CLITests.validInput, "input.yaml", in: harness.directory)
            for flag in ["--settle-window", "--request-timeout"] {
                let result = try await OnboardBinary.run(
                    ["run", input, "--db", harness.dbPath, "--base-url", harness.simulator.baseURL, flag, value],
                    directory: harness.directory)
                #expect(!result.wasKilled)
                #expect(result.status == 2, "\(flag) \(value): \(result.stderr)")
                #expect(result.stderr.contains(flag), "\(result.stderr)")
            }
            #expect(harness.ledger.requests == 0)
        }
    }

    /// One test per documented exit code: 0 done, 1 failed, 2 bad input or usage, 3 in doubt, 4 busy, 130
    /// interrupted (130 is covered by CLITests' Ctrl-C test, 4 by the PID-namespace and busy tests below).
    @Test func exitCodes() async throws {
        try await Harness.with { harness in
            let input = try CLITests.write(CLITests.validInput, "input.yaml", in: harness.directory)
            let base = ["--db", harness.dbPath, "--base-url", harness.simulator.baseURL]
            // 2: usage (ArgumentParser's own 64 is mapped to 2) and bad input.
            #expect(try await OnboardBinary.run(["run"], directory: harness.directory).status == 2)
            #expect(try await OnboardBinary.run(["run", input, "--no-such-flag"], directory: harness.directory).status == 2)
            #expect(try await OnboardBinary.run(["nonsense"], directory: harness.directory).status == 2)
            #expect(try await OnboardBinary.run(["run", "missing.yaml"] + base, directory: harness.directory).status == 2)
            // 1: a step failed.
            harness.simulator.world.addFaults([FaultRule(path: "/v1.0/message/routes", action: .status, status: 400, count: 1)])
            #expect(try await OnboardBinary.run(["run", input] + base, directory: harness.directory).status == 1)
            // 0: done (the resume).
            #expect(try await OnboardBinary.run(["run", input] + base, directory: harness.directory).status == 0)
            // 0: help and version.
            #expect(try await OnboardBinary.run(["--help"], directory: harness.directory).status == 0)
        }
    }

    @Test func inDoubtExitsThree() async throws {
        try await Harness.with { harness in
            var workflow = try String(contentsOf: Harness.root.appendingPathComponent("workflows/quickstart.yaml"), encoding: .utf8)
            // Without its lookup, a dropped subscriber create cannot be settled: in doubt.
            let lookup = try #require(workflow.range(of: "    reconcile:\n      request:\n        method: GET\n        path: /v1.0/distributor/subscribers"))
            let end = try #require(workflow.range(of: "    hints:\n      \"409\": each subscriber", range: lookup.upperBound..<workflow.endIndex))
            workflow.removeSubrange(lookup.lowerBound..<end.lowerBound)
            let path = try CLITests.write(workflow, "no-lookup.yaml", in: harness.directory)
            let input = try CLITests.write(CLITests.validInput, "input.yaml", in: harness.directory)
            harness.simulator.world.addFaults([FaultRule(path: "/v1.0/subscribers/create", action: .drop, count: 1)])
            let result = try await OnboardBinary.run(
                ["run", input, "--workflow", path, "--db", harness.dbPath, "--base-url", harness.simulator.baseURL],
                directory: harness.directory)
            #expect(result.status == 3, "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("onboard resolve"), "\(result.stdout)")
        }
    }

    @Test func busyExitsFour() async throws {
        try await Harness.with { harness in
            let input = try CLITests.write(CLITests.validInput, "input.yaml", in: harness.directory)
            let base = ["--db", harness.dbPath, "--base-url", harness.simulator.baseURL]
            harness.simulator.world.addFaults([
                FaultRule(method: "POST", path: "/v1.0/account/create", action: .latency, latencyMs: 3_000, count: 1)
            ])
            let first = try OnboardBinary.Handle(["run", input] + base, directory: harness.directory, environment: OnboardBinary.environment())
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(30)
            while harness.requests("POST /v1.0/account/create") == 0, clock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            let second = try await OnboardBinary.run(["run", input] + base, directory: harness.directory)
            #expect(second.status == 4, "\(second.stderr)")
            #expect(second.stderr.contains("is being executed by pid"), "\(second.stderr)")
            #expect(await first.wait().status == 0)
            harness.expectExactlyOneSetup(voice: 0)
        }
    }
}

/// A tiny HTTP server on loopback that answers every request with one canned status and headers `times` times,
/// then like the Telegent simulator would not: with 200 and an empty JSON object. Enough to feed the client what
/// a real server never should.
enum HostileServer {
    static func with<T: Sendable>(
        status: Int, headers: [String: String], times: Int, _ body: (String, @Sendable () -> Int) async throws -> T
    ) async throws -> T {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        listen(descriptor, 16)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let count = Locked(0)
        let thread = Thread {
            while true {
                let client = accept(descriptor, nil, nil)
                if client < 0 { return }
                var buffer = [UInt8](repeating: 0, count: 65_536)
                _ = read(client, &buffer, buffer.count)
                let served = count.withLock { value -> Int in
                    value += 1
                    return value
                }
                let code = served <= times ? status : 200
                var text = "HTTP/1.1 \(code) X\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n"
                for (name, value) in headers where served <= times { text += "\(name): \(value)\r\n" }
                text += "\r\n{}"
                _ = text.withCString { write(client, $0, strlen($0)) }
                close(client)
            }
        }
        thread.start()
        defer {
            shutdown(descriptor, Int32(SHUT_RDWR))
            close(descriptor)
        }
        return try await body("http://127.0.0.1:\(port)", { count.withLock { $0 } })
    }
}
