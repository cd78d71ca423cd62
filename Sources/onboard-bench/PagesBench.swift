import ArgumentParser
import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import Foundation
import OnboardCore
import OnboardRuntime
import OnboardSQLite
import OnboardWeb

/// `pages`: how long `onboard serve` takes to answer its pages over a large database. Generates (through the
/// store API, without the API or the runner) one batch of `--runs` runs: `--accounts` accounts, each with its
/// subscribers in a CSV file beside the manifest, as a real launch of that size would be written; most done, some
/// failed, in doubt or pending. Then serves it on a free loopback port and times each page: the first view (cold
/// caches, manifest not yet read) and the median of `--repeat` more.
struct PagesBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pages",
        abstract: "Time the pages of onboard serve over a generated database of many runs.",
        discussion: """
            Example: swift run -c release onboard-bench pages --runs 100000 --db /tmp/pages.sqlite
            The database (and its manifest) are kept with --db, and reused when they exist: then time the real
            binary too, `onboard serve --db /tmp/pages.sqlite` and `curl -w '%{time_total}'`.
            """)

    @Option(help: "Runs in the batch (accounts included).")
    var runs: Int = 100_000

    @Option(help: "Accounts among them.")
    var accounts: Int = 100

    @Option(help: "Keep the database here (reused when it exists) instead of a temporary file.")
    var db: String?

    @Option(help: "Timed views of each page after the first.")
    var `repeat`: Int = 10

    @Option(help: "Write the figures as JSON to this file.")
    var json: String?

    func validate() throws {
        guard runs >= 2, accounts >= 1, accounts < runs else {
            throw ValidationError("--runs must be at least 2 and above --accounts (at least 1)")
        }
        guard `repeat` >= 1 else { throw ValidationError("--repeat must be at least 1") }
    }

    func run() async throws {
        let temporary = try BenchFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: temporary) }
        let path = db ?? temporary.appendingPathComponent("pages.sqlite").path
        let reused = FileManager.default.fileExists(atPath: path)
        let clock = ContinuousClock()
        let started = clock.now
        if !reused { try await generate(path) }
        let generation = (clock.now - started).seconds
        let store = try SQLiteCheckpointStore(path: path)
        defer { try? store.close() }
        let batchID = try await store.batches(limit: 1, offset: 0).first?.id ?? ""
        let configuration = WebConfiguration(listen: ListenAddress(host: "127.0.0.1", port: 0), database: .sqlite(path: path))
        let pages = [
            ("index", "/"), ("batch", "/batches/\(batchID)"), ("index_failed", "/?status=failed"),
            ("index_key", "/?key=acct-0042%2F"), ("index_last_page", "/?offset=\(runs - 50)"),
            ("batch_last_page", "/batches/\(batchID)?offset=\(max(0, accounts - 50))"), ("metrics", "/metrics"),
            ("api_batch_500", "/api/batches/\(batchID)?limit=500"),
        ]
        var figures: [String: JSONValue] = [
            "scenario": "pages", "runs": .int(runs), "accounts": .int(accounts), "reused_database": .bool(reused),
            "generation_seconds": .double(generation),
        ]
        try await WebServer.withRunning(store: store, configuration: configuration) { server in
            for (name, page) in pages {
                let first = try await timedGet(server.url + page)
                var more: [Double] = []
                for _ in 0..<`repeat` { more.append(try await timedGet(server.url + page)) }
                figures["\(name)_first_ms"] = .double((first * 1000).rounded())
                figures["\(name)_median_ms"] = .double((median(more) * 1000 * 10).rounded() / 10)
            }
        }
        try writeFigures(figures, to: json)
    }

    /// Seconds to fetch `url` completely; fails on anything but 200.
    private func timedGet(_ url: String) async throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(60))
        _ = try await response.body.collect(upTo: 64 << 20)
        guard response.status.code == 200 else { throw ValidationError("\(url) answered \(response.status.code)") }
        return (clock.now - start).seconds
    }

    /// One batch of `runs` runs written through the store, with its manifest and CSV files beside the database.
    private func generate(_ path: String) async throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        let manifestPath = folder.appendingPathComponent("pages-launch.yaml").path
        let store = try SQLiteCheckpointStore(path: path)
        defer { try? store.close() }
        let steps = try BenchFiles.workflow().steps.map(\.id)
        let base = Date().addingTimeInterval(-Double(runs) * 0.01 - 3_600)
        let batch = try await store.createBatch(
            BatchRecord(id: "bpages000001", manifestPath: manifestPath, workflow: "quickstart", createdAt: base, updatedAt: base))
        let perAccount = runs / accounts - 1
        var manifest = "workflow: quickstart\nbatch: pages-launch\naccounts:\n"
        var made = 0
        for account in 0..<accounts {
            let key = String(format: "acct-%04d", account)
            let csv = folder.appendingPathComponent("\(key).csv").path
            manifest += "  - key: \(key)\n    account: {name: Account \(account), admin_email: a\(account)@example.com}\n"
                + "    subscribers_csv: \(key).csv\n"
            // The last account takes what division left over, so the total is exactly --runs.
            let subscribers = account == accounts - 1 ? runs - made - 1 : perAccount
            // 1 account in 50 failed (its subscribers never started), 1 in 40 left pending.
            let accountStatus: RunStatus = account % 50 == 7 ? .failed : .done
            let accountRun = try await store.createRun(
                record(key: key, kind: .account, parent: nil, batch: batch.id, status: accountStatus,
                    at: base.addingTimeInterval(Double(made) * 0.01)), stepIDs: steps)
            made += 1
            var rows = "name,email\n"
            for index in 0..<subscribers {
                let email = "s\(index)@\(key).example"
                rows += "Subscriber \(index),\(email)\n"
                let status: RunStatus =
                    accountStatus == .failed ? .pending
                    : index % 97 == 3 ? .failed : index % 211 == 5 ? .inDoubt : index % 40 == 1 ? .pending : .done
                let run = try await store.createRun(
                    record(key: "\(key)/\(email)", kind: .subscriber, parent: accountRun.id, batch: batch.id, status: status,
                        at: base.addingTimeInterval(Double(made) * 0.01)), stepIDs: steps)
                made += 1
                if status == .inDoubt { try await markInDoubt(run, step: "subscriber", in: store) }
            }
            try rows.write(toFile: csv, atomically: true, encoding: .utf8)
        }
        try manifest.write(toFile: manifestPath, atomically: true, encoding: .utf8)
    }

    /// Puts `step` of `run` in doubt as the runner would: under the run's lease, then the run ends in doubt.
    private func markInDoubt(_ run: RunRecord, step: String, in store: SQLiteCheckpointStore) async throws {
        guard case .acquired(let lease) = try await store.acquireLease(
            runID: run.id, owner: LeaseOwner.make().rawValue, duration: .seconds(60), replacing: nil)
        else { throw ValidationError("could not take the lease of \(run.id)") }
        let message = "\(step): no answer; the request may have taken effect"
        try await store.setStepState(lease, stepID: step, status: .inDoubt, lastError: message, nextRetryAt: nil)
        try await store.finishRun(lease, status: .inDoubt, lastError: message)
    }

    private func record(key: String, kind: RunKind, parent: String?, batch: String, status: RunStatus, at: Date) -> RunRecord {
        RunRecord(
            id: Runner.runID(forKey: key), key: key, kind: kind, parentID: parent, batchID: batch, workflow: "quickstart",
            definitionDigest: "d", inputsDigest: "i", inputs: ["subscriber": ["email": .string(key)]],
            inputPath: nil, status: status, lastError: status == .failed ? "HTTP 400: the API refused it" : nil,
            createdAt: at, updatedAt: at, baseURL: "http://127.0.0.1:8080")
    }
}
