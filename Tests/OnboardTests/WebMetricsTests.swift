import Foundation
import OnboardCore
import OnboardRuntime
import OnboardSQLite
import OnboardWeb
import TelegentSimulator
import Testing

/// `/metrics` while a batch runs in the same process (as under `onboard batch --serve`): the engine's counters are
/// there under their names and labels, and they move.
@Suite("onboard serve: live metrics")
struct WebMetricsTests {
    /// The value of the sample `name{labels}` (labels in any order), or nil.
    static func sample(_ text: String, _ name: String, _ labels: [String: String] = [:]) -> Double? {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " ") else { continue }
            let series = line[..<space]
            let seriesName = series.prefix { $0 != "{" }
            guard seriesName == name else { continue }
            let inside = series.dropFirst(seriesName.count).trimmingCharacters(in: CharacterSet(charactersIn: "{}"))
            var found: [String: String] = [:]
            for pair in inside.split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { found[String(parts[0])] = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            }
            if labels.allSatisfy({ found[$0.key] == $0.value }) { return Double(line[line.index(after: space)...]) }
        }
        return nil
    }

    /// The sum of every sample of `name` whose labels include `labels`.
    static func total(_ text: String, _ name: String, _ labels: [String: String] = [:]) -> Double {
        text.split(separator: "\n").reduce(0) { sum, line in
            guard !line.hasPrefix("#"), line.hasPrefix(name + "{") || line.hasPrefix(name + " ") else { return sum }
            return sum + (sample(String(line), name, labels) ?? 0)
        }
    }

    @Test func countersHaveTheirNamesAndLabelsAndMoveDuringABatch() async throws {
        try await Harness.with { harness in
            // Slow answers keep the batch running while it is scraped; one 429 makes the limiter wait and a retry.
            harness.simulator.world.addFaults([
                FaultRule(method: "POST", path: "/v1.0/subscribers/create", action: .status, status: 429, retryAfter: 1, count: 1),
                FaultRule(path: "*", action: .latency, latencyMs: 40),
            ])
            let path = harness.directory.appendingPathComponent("manifest.yaml").path
            try BatchTests.manifest(accounts: 2, subscribers: 3).write(toFile: path, atomically: true, encoding: .utf8)
            let manifest = try Manifest.load(path: path)
            let configuration = WebConfiguration(
                listen: ListenAddress(host: "127.0.0.1", port: 0), database: .sqlite(path: harness.dbPath))
            try await WebServer.withRunning(store: harness.store, configuration: configuration) { server in
                let client = WebClient(base: server.url)
                let before = try await client.get("/metrics").body
                let requestsBefore = Self.total(before, "onboard_requests_total")
                try await harness.withEngine(workflow: try Harness.workflow()) { engine in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            _ = try await BatchRunner(runner: engine.runner, options: .init(concurrency: 2))
                                .run(manifest, environment: Harness.environment)
                        }
                        // While it runs: requests are counted by path and status.
                        var during = before
                        for _ in 0..<200 where Self.total(during, "onboard_requests_total") <= requestsBefore {
                            try await Task.sleep(for: .milliseconds(50))
                            during = try await client.get("/metrics").body
                        }
                        #expect(Self.total(during, "onboard_requests_total") > requestsBefore)
                        #expect(Self.sample(during, "onboard_requests_total", ["path": "/v1.0/account/create", "status": "201"]) != nil
                            || Self.sample(during, "onboard_requests_total", ["path": "/v1.0/oauth2/tokens"]) != nil)
                        try await group.waitForAll()
                    }
                }
                let after = try await client.get("/metrics").body
                #expect(Self.total(after, "onboard_requests_total") > Self.total(before, "onboard_requests_total"))
                #expect(Self.total(after, "onboard_requests_total", ["path": "/v1.0/subscribers/create", "status": "429"]) >= 1)
                #expect(Self.total(after, "onboard_steps_total", ["step": "subscriber", "outcome": "done"])
                    >= Self.total(before, "onboard_steps_total", ["step": "subscriber", "outcome": "done"]) + 6)
                #expect(Self.total(after, "onboard_retries_total", ["step": "subscriber"]) >= 1)
                #expect(Self.total(after, "onboard_runs_finished_total", ["status": "done"])
                    >= Self.total(before, "onboard_runs_finished_total", ["status": "done"]) + 8)
                #expect(Self.total(after, "onboard_request_duration_seconds_count", ["path": "/v1.0/subscribers/create"]) >= 7)
                #expect(after.contains("# TYPE onboard_request_duration_seconds histogram"))
                #expect(Self.sample(after, "onboard_request_duration_seconds_bucket", ["path": "/v1.0/subscribers/create", "le": "+Inf"]) != nil)
                #expect(Self.total(after, "onboard_rate_limiter_wait_seconds_total") > 0)
                #expect(after.contains("# TYPE onboard_rate_limiter_waiting gauge"))
                #expect(after.contains("# TYPE onboard_leases_lost_total counter") || !after.contains("onboard_leases_lost_total"))
                // And the database's gauges, read at the scrape.
                #expect(Self.sample(after, "onboard_runs", ["status": "done"]) == 8)
                #expect(Self.sample(after, "onboard_steps_in_doubt") == 0)
            }
        }
    }
}
