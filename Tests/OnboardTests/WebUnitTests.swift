import Foundation
import OnboardCore
@testable import OnboardWeb
import Testing

/// The parts of `onboard serve` that need no server: addresses, query strings, a batch's arithmetic, display.
@Suite("onboard serve: units")
struct WebUnitTests {
    @Test(arguments: [
        ("127.0.0.1:8081", "127.0.0.1", 8081, true), (":9000", "127.0.0.1", 9000, true),
        ("localhost:0", "localhost", 0, true), ("[::1]:8081", "::1", 8081, true), ("127.8.9.10:1", "127.8.9.10", 1, true),
        ("0.0.0.0:8081", "0.0.0.0", 8081, false), ("192.168.1.5:80", "192.168.1.5", 80, false), ("[::]:8081", "::", 8081, false),
        ("127.0.0.1.evil.example:80", "127.0.0.1.evil.example", 80, false),
    ])
    func listenAddresses(_ text: String, host: String, port: Int, loopback: Bool) throws {
        let address = try ListenAddress(parsing: text)
        #expect(address.host == host && address.port == port)
        #expect(address.isLoopback == loopback)
    }

    @Test(arguments: ["8081", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "::1:80", "[::1]8080", "host:-1"])
    func badListenAddresses(_ text: String) {
        #expect(throws: ListenAddressError.self) { try ListenAddress(parsing: text) }
    }

    @Test func urlsShowAReachableHost() throws {
        #expect(try ListenAddress(parsing: "0.0.0.0:80").url(port: 8081) == "http://127.0.0.1:8081")
        #expect(try ListenAddress(parsing: "[::1]:0").url(port: 4000) == "http://[::1]:4000")
    }

    @Test func queryStringsDecodeLikeAForm() {
        let query = QueryParameters("key=acme+mobile%2Fjane&status=&page=3&page=9&limit=abc&x")
        #expect(query["key"] == "acme mobile/jane")
        #expect(query["status"] == nil)  // empty means absent
        #expect(query.int("page", in: 1...10, default: 1) == 3)  // the first value wins
        #expect(query.int("limit", in: 1...10, default: 7) == 7)
        #expect(QueryParameters("per=100000").int("per", in: 1...1_000, default: 50) == 1_000)
        #expect(QueryParameters(nil)["key"] == nil)
    }

    @Test func batchFiguresCountProgressRateAndETA() {
        let figures = BatchFigures(
            counts: [.done: 30, .running: 8, .pending: 2, .failed: 1], totalItems: 100, blocked: 9,
            finishedInWindow: 12, windowSeconds: 60)
        #expect(figures.total == 100)
        #expect(figures.notStarted == 59)
        #expect(figures.percentDone == 30)
        #expect(figures.perMinute == 12)
        #expect(figures.remaining == 8 + 2 + 50)  // not started but blocked: 9 will not run
        #expect(figures.etaSeconds == 300)
        #expect(figures.segments.map(\.status) == ["done", "failed", "running", "pending", "not_started"])
        #expect(abs(figures.segments.reduce(0) { $0 + $1.width } - 1000) < 0.001)
        #expect(figures.segments[1].x == 300)
    }

    @Test func batchFiguresWithoutManifestOrMovement() {
        let idle = BatchFigures(counts: [.done: 3, .failed: 1], totalItems: nil, blocked: 0, finishedInWindow: 0, windowSeconds: 300)
        #expect(idle.total == 4 && idle.notStarted == 0 && idle.percentDone == 75)
        #expect(idle.perMinute == 0 && idle.etaSeconds == nil && idle.remaining == 0)
        // A manifest that lost items since: never fewer than the stored runs.
        #expect(BatchFigures(counts: [.done: 5], totalItems: 2, blocked: 0, finishedInWindow: 0, windowSeconds: 1).total == 5)
        #expect(BatchFigures(counts: [:], totalItems: 0, blocked: 0, finishedInWindow: 0, windowSeconds: 1).segments.isEmpty)
    }

    @Test func display() {
        #expect(Display.count(100_000) == "100,000" && Display.count(999) == "999" && Display.count(-1234) == "-1,234")
        #expect(Display.span(0.25) == "250 ms" && Display.span(4.2) == "4.2 s" && Display.span(90) == "90 s")
        #expect(Display.span(600) == "10 min" && Display.span(3 * 3600 + 300) == "3 h 5 min" && Display.span(3 * 86_400) == "3 d")
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(Display.ago(now.addingTimeInterval(-5), now: now) == "5.0 s ago")
        #expect(Display.ago(now.addingTimeInterval(30), now: now) == "in 30 s")
        #expect(Display.time(now) == "2027-01-15 08:00:00")
        #expect(URLText.path("/", [("batch", "b 1&2"), ("status", nil), ("key", "")]) == "/?batch=b%201%262")
        #expect(URLText.run("r/../x") == "/runs/r%2F..%2Fx")
        #expect(ShellWord.quote("/tmp/my db.sqlite") == "'/tmp/my db.sqlite'" && ShellWord.quote("a.sqlite") == "a.sqlite")
    }

    @Test func manifestKeysAreTheKeysOfItsItems() async throws {
        let manifest = try Manifest.load(path: Harness.root.appendingPathComponent("examples/batch.yaml").path)
        var items: [String: [String]] = [:]
        var accounts: [String] = []
        try await manifest.forEachItem(definition: try Harness.workflow(), environment: Harness.environment) { item in
            if item.kind == .account { accounts.append(item.key) } else { items[item.accountKey, default: []].append(item.key) }
        }
        let keys = try await manifest.itemKeys()
        #expect(keys.map(\.account) == accounts)
        for account in keys { #expect(account.subscribers == items[account.account] ?? [], "\(account.account)") }
        #expect(keys.first { $0.account == "globex" }?.subscribers.count == 3)  // from the CSV file
        #expect(keys.first { $0.account == "acme" }?.subscribers.contains("acme/ops-phone") == true)  // explicit key
    }

    @Test func everyTemplateParsesAndEscapes() {
        let layout = Layout(
            title: "<t>", database: "<db>", generated: "now", live: false, refreshSeconds: 2, banner: nil)
        let html = PageTemplates.render(ErrorPage(layout: layout, heading: "<h>", message: "a & \"b\" 'c'"), "error")
        #expect(html.contains("&lt;t&gt;") && html.contains("&lt;db&gt;") && html.contains("&lt;h&gt;"))
        #expect(html.contains("a &amp; &quot;b&quot; &#39;c&#39;"))
        #expect(!html.contains("<h>") && !html.contains("<db>"))
    }
}
