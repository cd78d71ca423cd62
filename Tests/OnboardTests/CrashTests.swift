import Foundation
import GRDB
import OnboardCore
import OnboardSQLite
import TelegentSimulator
import Testing

/// The `onboard` process killed with SIGKILL at the worst instant (after the API applied a request, before the
/// answer was checkpointed), and at random instants: the rerun reconciles, and the simulator's ledger shows exactly
/// one of everything.
@Suite struct CrashTests {
    static let input = """
        key: crash-test
        account: {name: Crash Co, admin_email: admin@crash.example}
        message_route: {name: Crash route, url: "https://hooks.crash.example/m"}
        voice_route: {enabled: true, name: Crash voice, type: URL, url: "https://hooks.crash.example/v"}
        number: {area_code: "801"}
        subscriber: {name: Jane, email: jane@crash.example, password: "${env.ONBOARD_SUBSCRIBER_PASSWORD}"}
        test_message: {to: "+13105559999"}
        """

    static let effects: [(step: String, path: String, count: @Sendable (Ledger) -> Int)] = [
        ("account", "/v1.0/account/create", { $0.accounts }),
        ("message_route", "/v1.0/message/routes", { $0.messageRoutes }),
        ("voice_route", "/v1.0/voice/routes", { $0.voiceRoutes }),
        ("provision", "/v1.0/numbers/provision", { $0.purchases }),
        ("subscriber", "/v1.0/subscribers/create", { $0.subscribers }),
        ("test_message", "/v1.0/message/outbound", { $0.messages }),
    ]

    @Test(arguments: 0..<6)
    func killedAfterTheEffectBeforeTheCheckpoint(index: Int) async throws {
        let effect = Self.effects[index]
        try await Harness.with { harness in
            let input = try CLITests.write(Self.input, "input.yaml", in: harness.directory)
            let arguments = ["run", input, "--db", harness.dbPath, "--base-url", harness.simulator.baseURL, "--settle-window", "1"]
            // The API applies the request, then holds the answer back: kill the client inside that window.
            harness.simulator.world.addFaults([FaultRule(method: "POST", path: effect.path, action: .stall, latencyMs: 4_000, count: 1)])
            let handle = try OnboardBinary.Handle(arguments, directory: harness.directory, environment: OnboardBinary.environment())
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(30)
            while effect.count(harness.ledger) == 0, clock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            #expect(effect.count(harness.ledger) == 1, "the \(effect.step) request reached the API")
            handle.signal(SIGKILL)
            let killed = await handle.wait()
            #expect(killed.wasKilled)

            // The store knows the request was sent and not what came of it.
            let store = try SQLiteCheckpointStore(path: harness.dbPath)
            let unfinished = try await store.attempts(runID: Runner.runID(forKey: "crash-test"), stepID: nil)
                .filter { $0.outcome == nil }
            #expect(unfinished.map(\.stepID) == [effect.step])

            harness.simulator.world.clearFaults()
            let rerun = try await OnboardBinary.run(arguments, directory: harness.directory)
            #expect(rerun.status == 0, "\(rerun.stdout)\(rerun.stderr)")
            #expect(rerun.stdout.contains("found existing, adopted"), "\(rerun.stdout)")
            harness.expectExactlyOneSetup()
            #expect(harness.requests("POST \(effect.path)") == 1, "the request was not sent again")
        }
    }

    /// Kills a run at random instants until one finishes on its own; then checks every effect happened once.
    @Test func killedAtRandomInstantsUntilItCompletes() async throws {
        let configuration = SimulatorConfiguration(rateLimitPerMinute: nil, latency: .milliseconds(80), seed: 3)
        try await Harness.with(configuration) { harness in
            let input = try CLITests.write(Self.input, "input.yaml", in: harness.directory)
            let arguments = ["run", input, "--db", harness.dbPath, "--base-url", harness.simulator.baseURL, "--settle-window", "1"]
            var generator = SplitMix(seed: 20261123)
            var kills = 0
            var finished = false
            for _ in 0..<60 {
                let handle = try OnboardBinary.Handle(arguments, directory: harness.directory, environment: OnboardBinary.environment())
                let delay = Int(generator.next() % 300)
                try await Task.sleep(for: .milliseconds(delay))
                handle.signal(SIGKILL)
                let result = await handle.wait()
                if result.wasKilled {
                    kills += 1
                } else {
                    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
                    finished = result.status == 0
                    if finished { break }
                }
            }
            if !finished {
                let last = try await OnboardBinary.run(arguments, directory: harness.directory)
                #expect(last.status == 0, "\(last.stdout)\(last.stderr)")
            }
            #expect(kills >= 5, "the loop did kill runs in flight")
            harness.expectExactlyOneSetup()
            let store = try SQLiteCheckpointStore(path: harness.dbPath)
            let integrity = try await store.pool.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") }
            #expect(integrity == "ok")
        }
    }
}

/// A small seeded generator, so a failing kill sequence can be replayed.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
