import Foundation
@testable import OnboardCLI
import OnboardCore
import OnboardRuntime
import OnboardSQLite
import Testing

/// `/api/…` answers in the shapes of the CLI's `--json`, and `/metrics` carries the database's gauges.
@Suite("onboard serve: JSON and metrics")
struct WebAPITests {
    func withDemo<T: Sendable>(_ body: (DemoBatch, WebClient, SQLiteCheckpointStore) async throws -> T) async throws -> T {
        let demo = try await DemoBatch.shared()
        let store = try SQLiteCheckpointStore(path: demo.dbPath)
        defer { try? store.close() }
        return try await WebFixture.withServer(dbPath: demo.dbPath) { client in try await body(demo, client, store) }
    }

    @Test func runsAreTheListShape() async throws {
        try await withDemo { demo, client, store in
            let answer = try await client.get("/api/runs")
            #expect(answer.status == 200 && answer.contentType.hasPrefix("application/json"))
            let expected = try await store.runs(matching: RunFilter(newestFirst: true))
                .map { RunView(run: $0, steps: [], attempts: nil).value }
            #expect(answer.json?.canonicalString() == JSONValue.array(expected).canonicalString())

            let failed = try #require(try await client.get("/api/runs?status=failed&batch=\(demo.batchID)").json?.arrayValue)
            #expect(failed.map { $0["run"]?.stringValue } == [demo.failedAccountRunID])
            let paged = try #require(try await client.get("/api/runs?limit=2&offset=1").json?.arrayValue)
            #expect(paged.map { $0.canonicalString() } == expected[1..<3].map { $0.canonicalString() })
        }
    }

    @Test func aRunIsTheShowShape() async throws {
        try await withDemo { demo, client, store in
            let id = demo.inDoubtRunID
            let run = try #require(try await store.run(id: id))
            let expected = RunView(
                run: run, steps: try await store.steps(runID: id), attempts: try await store.attempts(runID: id, stepID: nil))
            let answer = try await client.get("/api/runs/\(id)")
            #expect(answer.json?.canonicalString() == expected.value.canonicalString())
            let outcomes = answer.json?["attempts"]?.arrayValue?.compactMap { $0["outcome"]?.stringValue } ?? []
            #expect(outcomes.contains("no_answer") || outcomes.contains("in_doubt"))
            // By key too, as `onboard show` accepts.
            #expect(try await client.get("/api/runs/acme%2Fjane@acme.example").json?["run"]?.stringValue == id)
            let missing = try await client.get("/api/runs/rnosuchrun")
            #expect(missing.status == 404 && missing.json?["error"]?.stringValue == "not found")
        }
    }

    @Test func aBatchCarriesTheReportRows() async throws {
        try await withDemo { demo, client, store in
            let answer = try #require(try await client.get("/api/batches/\(demo.batchID)").json)
            #expect(answer["batch"]?.stringValue == demo.batchID)
            #expect(answer["counts"]?["done"] == .int(4) && answer["counts"]?["failed"] == .int(1))
            #expect(answer["counts"]?["in_doubt"] == .int(1))
            // The batch's runs, oldest first, each as a report row (kind, key, run, status, IDs).
            let runs = try await store.runs(matching: RunFilter(batchID: demo.batchID))
            let rows = answer["items_detail"]?.arrayValue ?? []
            #expect(rows.map { $0["run"]?.stringValue } == runs.map(\.id))
            #expect(rows.map { $0["status"]?.stringValue } == runs.map(\.status.rawValue))
            #expect(rows.allSatisfy { $0["kind"] != nil && $0["key"] != nil && $0["last_error"] != nil })
            let page = try #require(try await client.get("/api/batches/\(demo.batchID)?limit=2&offset=2").json)
            #expect(page["items_detail"]?.canonicalString() == JSONValue.array(Array(rows[2..<4])).canonicalString())
            #expect(try await client.get("/api/batches/bnosuchbatch").status == 404)
        }
    }

    @Test func metricsCarryTheDatabaseGauges() async throws {
        try await withDemo { _, client, _ in
            let answer = try await client.get("/metrics")
            #expect(answer.status == 200)
            #expect(answer.contentType.hasPrefix("text/plain; version=0.0.4"))
            for line in [
                #"onboard_runs{status="done"} 4"#, #"onboard_runs{status="failed"} 1"#,
                #"onboard_runs{status="in_doubt"} 1"#, #"onboard_runs{status="running"} 0"#,
                "# TYPE onboard_runs gauge", "# TYPE onboard_steps_in_doubt gauge", "onboard_steps_in_doubt 1",
            ] {
                #expect(answer.body.split(separator: "\n").contains(Substring(line)), "\(line)")
            }
        }
    }
}
