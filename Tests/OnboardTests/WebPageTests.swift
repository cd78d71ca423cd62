import Foundation
import OnboardCore
import OnboardRuntime
import OnboardSQLite
import Testing

/// Every page of `onboard serve` over the demo batch (one failed account with its subscribers blocked, one
/// subscriber in doubt, one account named `<script>alert(1)</script>`), through a real server and HTTP client.
@Suite("onboard serve: pages")
struct WebPageTests {
    /// The hostile name as it must appear in the HTML: escaped, never as a tag.
    static let escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    /// The hostile account's key (its name with `/` written `%2F`), escaped.
    static let escapedKey = "&lt;script&gt;alert(1)&lt;%2Fscript&gt;"

    func withDemo<T: Sendable>(_ body: (DemoBatch, WebClient) async throws -> T) async throws -> T {
        let demo = try await DemoBatch.shared()
        return try await WebFixture.withServer(dbPath: demo.dbPath, findWorkflow: { _ in demo.workflowPath }) { client in
            try await body(demo, client)
        }
    }

    func storedRuns(_ demo: DemoBatch, _ filter: RunFilter = RunFilter(newestFirst: true)) async throws -> [RunRecord] {
        let store = try SQLiteCheckpointStore(path: demo.dbPath)
        defer { try? store.close() }
        return try await store.runs(matching: filter)
    }

    @Test func indexListsBatchesAndRunsNewestFirstWithCountsEscaped() async throws {
        try await withDemo { demo, client in
            let page = try await client.get("/")
            #expect(page.status == 200)
            #expect(page.contentType.hasPrefix("text/html"))
            #expect(page.headers["content-security-policy"]?.contains("script-src 'self'") == true)
            #expect(page.body.contains("/batches/\(demo.batchID)"))
            #expect(page.body.contains("demo-launch"))
            let runs = try await storedRuns(demo)
            #expect(runs.count == 6)  // 3 accounts, 3 subscribers; globex's two never started
            var position = page.body.startIndex
            for run in runs {  // newest first, in this order
                let found = try #require(page.body.range(of: "/runs/\(run.id)", range: position..<page.body.endIndex), "\(run.key)")
                position = found.upperBound
            }
            #expect(page.body.contains(#"<span class="n">4</span> done"#))
            #expect(page.body.contains(#"<span class="n">1</span> failed"#))
            #expect(page.body.contains(#"<span class="n">1</span> in doubt"#))
            #expect(page.body.contains(Self.escapedKey))
            #expect(!page.body.contains(DemoBatch.hostile))
            #expect(!page.body.contains("<b>route</b>") && !page.body.contains("<img"))
            #expect(page.body.contains(#"data-live="false""#))
        }
    }

    @Test func indexFiltersByStatusKeyAndBatchAndPages() async throws {
        try await withDemo { demo, client in
            let failed = try await client.get("/?status=failed")
            #expect(failed.body.contains("/runs/\(demo.failedAccountRunID)"))
            #expect(!failed.body.contains("/runs/\(demo.inDoubtRunID)"))

            let acme = try await client.get("/?key=acme%2F")
            #expect(acme.body.contains("/runs/\(demo.inDoubtRunID)"))
            #expect(acme.body.contains("acme/joe@acme.example"))
            #expect(!acme.body.contains("/runs/\(demo.failedAccountRunID)"))
            #expect(acme.body.contains(#"value="acme/""#))

            let byName = try await client.get("/?batch=demo-launch&status=in_doubt")
            #expect(byName.body.contains("batch \(demo.batchID) (demo-launch)"))
            #expect(byName.body.contains("/runs/\(demo.inDoubtRunID)"))
            #expect(!byName.body.contains("/runs/\(demo.failedAccountRunID)"))

            let nobody = try await client.get("/?batch=no-such-batch")
            #expect(nobody.body.contains("no batch has the id or name no-such-batch"))

            let runs = try await storedRuns(demo)
            let first = try await client.get("/?limit=2")
            let second = try await client.get("/?limit=2&offset=2")
            #expect(first.body.contains("/runs/\(runs[0].id)") && first.body.contains("/runs/\(runs[1].id)"))
            #expect(!first.body.contains("/runs/\(runs[2].id)"))
            #expect(first.body.contains("1–2 of 6"))
            #expect(first.body.contains("offset=2&amp;limit=2"))  // the link to older runs, escaped in the attribute
            #expect(second.body.contains("/runs/\(runs[2].id)") && !second.body.contains("/runs/\(runs[0].id)"))
        }
    }

    @Test func batchPageShowsProgressBlockedItemsAndAccountsWithSubscribers() async throws {
        try await withDemo { demo, client in
            let page = try await client.get("/batches/\(demo.batchID)")
            #expect(page.status == 200)
            // 8 items in the manifest: 3 accounts, 5 subscribers; 4 done.
            #expect(page.body.contains("<strong>50%</strong> done · 4 of 8 items"))
            #expect(page.body.contains(#"<span class="n">2</span> not started"#))
            #expect(page.body.contains(#"<dd id="in-doubt-steps">1</dd>"#))
            #expect(page.body.contains(#"<dd id="rate">"#) && page.body.contains(#"<dd id="eta">"#))
            #expect(page.body.contains(#"<rect class="seg st-done""#))
            // Globex's subscribers never ran: blocked behind the failed account, named from the manifest.
            let blocked = try #require(page.body.range(of: #"<table class="list" id="blocked">"#))
            let blockedTable = String(page.body[blocked.lowerBound...]).components(separatedBy: "</table>")[0]
            #expect(blockedTable.contains("globex/ann@globex.example"))
            #expect(blockedTable.contains("globex/bo@globex.example"))
            #expect(blockedTable.contains("/runs/\(demo.failedAccountRunID)"))
            #expect(page.body.contains(#"Blocked <span class="muted">2</span>"#))
            // Accounts with their subscribers.
            #expect(page.body.contains("/runs/\(demo.inDoubtRunID)"))
            #expect(page.body.contains("acme/jane@acme.example"))
            #expect(page.body.contains(Self.escapedKey + "/eve@example.com"))
            #expect(!page.body.contains(DemoBatch.hostile))
            #expect(page.body.contains("2 not started"))  // under globex

            let missing = try await client.get("/batches/bnosuchbatch")
            #expect(missing.status == 404)
            #expect(missing.body.contains("Not found"))
        }
    }

    @Test func runPageShowsStepsRequestsAndTheExactResolveCommand() async throws {
        try await withDemo { demo, client in
            let id = demo.inDoubtRunID
            let page = try await client.get("/runs/\(id)")
            #expect(page.status == 200)
            #expect(page.body.contains(#"id="run-status">in doubt</span>"#))
            let db = demo.dbPath
            #expect(page.body.contains("onboard resolve \(id) subscriber --happened --set subscriber_id=VALUE --db \(db)"))
            #expect(page.body.contains("onboard resolve \(id) subscriber --not-happened --db \(db)"))
            #expect(page.body.contains("onboard resume \(id) --db \(db)"))
            #expect(page.body.contains("POST /v1.0/subscribers/create"))
            #expect(page.body.contains("NID-"))  // the number bought before, as an ID of its step
            #expect(page.body.contains("jane@acme.example"))  // pinned inputs
            #expect(!page.body.contains(Harness.password))  // secrets are not stored, so never shown

            let failed = try await client.get("/runs/\(demo.failedAccountRunID)")
            #expect(failed.body.contains(#"id="run-status">failed</span>"#))
            #expect(failed.body.contains("400"))
            #expect(failed.body.contains("onboard resume \(demo.failedAccountRunID) --db \(db)"))

            let hostile = try await client.get("/runs/\(demo.hostileRunID)")
            #expect(hostile.body.contains(#"<dd class="key" id="run-key">"# + Self.escapedKey + "</dd>"))
            #expect(!hostile.body.contains(DemoBatch.hostile))

            #expect(try await client.get("/runs/rnosuchrun").status == 404)
        }
    }

    /// Changes accepted with `--accept-changes` stay on the run's page, escaped like every stored value.
    @Test func runPageShowsAcceptedChanges() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("onboard-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("accepted.sqlite").path
        let store = try SQLiteCheckpointStore(path: path)
        let now = Date()
        let run = RunRecord(
            id: "raccepted0001", key: "acme", kind: .single, workflow: "quickstart", definitionDigest: "d1",
            inputsDigest: "i1", inputs: ["account": ["name": "Acme"]], createdAt: now, updatedAt: now)
        _ = try await store.createRun(run, stepIDs: ["account"])
        guard case .acquired(let lease) = try await store.acquireLease(
            runID: run.id, owner: "test", duration: .seconds(30), replacing: nil)
        else { Issue.record("the lease was not free"); return }
        try await store.repin(
            lease, definitionDigest: "d1", inputsDigest: "i2", inputs: ["account": ["name": "<b>Acme</b>"]],
            accepted: ["account.name: \"Acme\" → \"<b>Acme</b>\"", "unchanged on the API: account"])
        try await store.finishRun(lease, status: .done, lastError: nil)
        try store.close()
        try await WebFixture.withServer(dbPath: path) { client in
            let page = try await client.get("/runs/\(run.id)")
            #expect(page.status == 200)
            #expect(page.body.contains(#"id="accepted-changes""#), "\(page.body)")
            #expect(page.body.contains("account.name: &quot;Acme&quot; → &quot;&lt;b&gt;Acme&lt;/b&gt;&quot;"), "\(page.body)")
            #expect(page.body.contains("unchanged on the API: account"))
            #expect(!page.body.contains("<b>Acme</b>"))
            let json = try await client.get("/api/runs/\(run.id)")
            #expect(json.body.contains("unchanged on the API: account"))
        }
    }

    @Test func assetsAreServedFromHere() async throws {
        try await withDemo { _, client in
            let script = try await client.get("/assets/live.js")
            #expect(script.status == 200 && script.contentType.hasPrefix("text/javascript"))
            #expect(script.body.contains("data-live"))
            let style = try await client.get("/assets/onboard.css")
            #expect(style.status == 200 && style.contentType.hasPrefix("text/css"))
            let page = try await client.get("/")
            for attribute in ["src=\"http", "href=\"http", "src=\"//", "href=\"//"] {  // nothing loaded from elsewhere
                #expect(!page.body.contains(attribute), "\(attribute)")
            }
        }
    }
}
