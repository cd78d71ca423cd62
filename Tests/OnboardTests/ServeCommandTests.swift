import Foundation
import OnboardCore
import TelegentSimulator
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The built `onboard` binary: `serve` over the demo database until SIGINT, its address checks, and
/// `batch --serve` serving the pages while a batch runs.
@Suite("onboard serve and batch --serve, as commands")
struct ServeCommandTests {
    /// A port that was free a moment ago (bound to 0, read back, released).
    static func freePort() -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(socket, pointer, length)
                return getsockname(socket, pointer, &length)
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something accepts TCP connections on the loopback port now (a plain connect: an HTTP client would
    /// wait out its timeout on a pooled connection).
    static func accepts(port: Int) -> Bool {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// GETs `path` until the server answers (it is starting), for up to a minute.
    static func waitForServer(_ client: WebClient, _ path: String = "/") async throws -> WebClient.Answer {
        for _ in 0..<600 {
            if let answer = try? await client.get(path) { return answer }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw DemoBatchError(message: "no answer from \(client.base)\(path)")
    }

    @Test func servesTheDatabaseUntilCtrlCThenExitsZero() async throws {
        let demo = try await DemoBatch.shared()
        let port = Self.freePort()
        let handle = try OnboardBinary.Handle(
            ["serve", "--db", demo.dbPath, "--listen", "127.0.0.1:\(port)"], directory: demo.directory,
            environment: OnboardBinary.environment())
        let client = WebClient(base: "http://127.0.0.1:\(port)")
        let page = try await Self.waitForServer(client, "/runs/\(demo.inDoubtRunID)")
        #expect(page.status == 200)
        #expect(page.body.contains("onboard resolve \(demo.inDoubtRunID) subscriber --not-happened --db \(demo.dbPath)"))
        #expect(try await client.get("/metrics").body.contains(#"onboard_runs{status="in_doubt"} 1"#))
        handle.signal(SIGINT)
        let result = await handle.wait()
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("serving \(demo.dbPath) at http://127.0.0.1:\(port)"))
    }

    @Test(arguments: [["--listen", "0.0.0.0:0"], ["--listen", "192.168.7.7:8081"], ["--listen", "nonsense"]])
    func refusesAnAddressThatIsNotLoopback(_ flags: [String]) async throws {
        let demo = try await DemoBatch.shared()
        let result = try await OnboardBinary.run(["serve", "--db", demo.dbPath] + flags, directory: demo.directory)
        #expect(result.status == 2)
        #expect(result.stderr.contains(flags[1]))
        #expect(result.stderr.contains("loopback") || result.stderr.contains("HOST:PORT"))
    }

    @Test func allowRemoteServesAnyAddressWithAWarning() async throws {
        let demo = try await DemoBatch.shared()
        let port = Self.freePort()
        let handle = try OnboardBinary.Handle(
            ["serve", "--db", demo.dbPath, "--listen", "0.0.0.0:\(port)", "--allow-remote"], directory: demo.directory,
            environment: OnboardBinary.environment())
        #expect(try await Self.waitForServer(WebClient(base: "http://127.0.0.1:\(port)")).status == 200)
        handle.signal(SIGTERM)
        let result = await handle.wait()
        #expect(result.status == 0)
        #expect(result.stderr.contains("warning: serving on 0.0.0.0:\(port), which is not loopback"))
    }

    @Test func aMissingDatabaseIsNamedAndNothingIsCreated() async throws {
        let demo = try await DemoBatch.shared()
        let missing = demo.directory.appendingPathComponent("missing.sqlite").path
        let result = try await OnboardBinary.run(["serve", "--db", missing, "--listen", "127.0.0.1:0"], directory: demo.directory)
        #expect(result.status == 1)
        #expect(result.stderr.contains(missing))
        #expect(!FileManager.default.fileExists(atPath: missing))
    }

    @Test func batchServeShowsThePagesWhileTheBatchRuns() async throws {
        try await Harness.with { harness in
            // Slow answers keep the batch running long enough to look at it.
            harness.simulator.world.addFaults([FaultRule(path: "*", action: .latency, latencyMs: 100)])
            let manifest = harness.directory.appendingPathComponent("launch.yaml").path
            try BatchTests.manifest(accounts: 2, subscribers: 2).write(toFile: manifest, atomically: true, encoding: .utf8)
            let port = Self.freePort()
            let handle = try OnboardBinary.Handle(
                ["batch", manifest, "--db", harness.dbPath, "--base-url", harness.simulator.baseURL, "--rate", "100000",
                 "--concurrency", "2", "--serve", "127.0.0.1:\(port)",
                 "--workflow", Harness.root.appendingPathComponent("workflows/quickstart.yaml").path],
                directory: harness.directory, environment: OnboardBinary.environment(["ONBOARD_SUBSCRIBER_PASSWORD": Harness.password]))
            let client = WebClient(base: "http://127.0.0.1:\(port)")
            let index = try await Self.waitForServer(client)
            #expect(index.status == 200)
            #expect(index.body.contains("A batch is running in this process"))
            #expect(index.body.contains(#"data-live="true""#))
            let metrics = try await client.get("/metrics").body
            #expect(metrics.contains("onboard_runs{status="))
            let result = await handle.wait()
            #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
            #expect(result.stdout.contains("serving \(harness.dbPath) at http://127.0.0.1:\(port)"))
            // The server stopped with the batch.
            #expect(!Self.accepts(port: port))
        }
    }
}
