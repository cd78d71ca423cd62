import Foundation
import OnboardCore

/// `/batches/{id}`: how far a batch is (a bar, counts per status, the rate and an ETA), its accounts a page at a
/// time with their subscribers, and the items blocked behind an account that did not finish.
///
/// Subscribers of an account that failed never get a run, so the database alone cannot name them: the page reads
/// the batch's manifest when the file is still there (cached until it changes) and says so when it is not.
struct BatchPage: Sendable {
    struct Count: Sendable {
        var status: String
        var label: String
        var count: String
        var link: String
    }

    struct Segment: Sendable {
        var status: String
        var x: String
        var width: String
        var title: String
    }

    struct SubscriberRow: Sendable {
        var id: String
        var link: String
        var key: String
        var status: String
        var statusLabel: String
        var subscriberError: String?
    }

    struct AccountRow: Sendable {
        var id: String
        var link: String
        var key: String
        var status: String
        var statusLabel: String
        var accountError: String?
        var subscribers: [SubscriberRow]
        var subscriberSummary: String
        var moreLink: String?
        var moreCount: String?
    }

    struct BlockedRow: Sendable {
        var key: String
        var blockedRunLink: String?
        var blockerKey: String
        var blockerLink: String
        var blockerStatus: String
        var blockerLabel: String
        var blockerError: String?
    }

    var layout: Layout
    var id: String
    var name: String
    var manifest: String
    var workflow: String
    var created: String
    var percent: Int
    var doneText: String
    var totalText: String
    var segments: [Segment]
    var counts: [Count]
    var notStarted: String?
    var inDoubtSteps: Int
    var rate: String
    var eta: String
    var manifestNote: String?
    var accounts: [AccountRow]
    var accountsFrom: String
    var accountsTo: String
    var accountsTotal: String
    var previousLink: String?
    var nextLink: String?
    var blocked: [BlockedRow]
    var hasBlocked: Bool
    var blockedTotal: Int
    var blockedMore: String?

    /// How far back "lately" goes for the rate: five minutes, or since the batch (or this process's run of it)
    /// started when that is more recent.
    static let rateWindow: TimeInterval = 300
    /// How long a page waits for the manifest's census before it renders without it (see ``ManifestCensusCache``).
    static let censusBudget: Duration = .milliseconds(200)
    /// Subscribers listed under each account; the rest are a link away.
    static let subscribersPerAccount = 10
    static let blockedShown = 100

    static func build(id: String, offset: Int, context: PageContext) async throws -> BatchPage? {
        guard let batch = try await context.browsing?.batch(id: id) else {
            // Without the batches table the runs still say whether the batch exists.
            guard try await !context.store.runs(matching: RunFilter(batchID: id, limit: 1)).isEmpty else { return nil }
            let unnamed = BatchRecord(
                id: id, manifestPath: "", workflow: "", createdAt: .distantPast, updatedAt: .distantPast)
            return try await build(unnamed, offset: offset, context: context)
        }
        return try await build(batch, offset: offset, context: context)
    }

    private static func build(_ batch: BatchRecord, offset: Int, context: PageContext) async throws -> BatchPage {
        let store = context.store
        let now = context.now
        let censusState = await context.census(ofManifest: batch.manifestPath, within: censusBudget)
        let census = censusState.census
        let counts = try await store.runCounts(matching: RunFilter(batchID: batch.id))
        let live = await context.live()
        let started = live.flatMap { $0.manifestPath == batch.manifestPath ? $0.startedAt : nil } ?? batch.createdAt
        let window = min(rateWindow, max(1, now.timeIntervalSince(started)))
        let recent = try await store.runCounts(
            matching: RunFilter(batchID: batch.id, updatedSince: now.addingTimeInterval(-window)))
        let finishedLately = (recent[.done] ?? 0) + (recent[.failed] ?? 0) + (recent[.inDoubt] ?? 0)
        let (blocked, blockedTotal, blockedWithoutRun) = try await blockedItems(batch, census: census, context: context)
        let figures = BatchFigures(
            counts: counts, totalItems: census?.total, blocked: blockedWithoutRun, finishedInWindow: finishedLately,
            windowSeconds: window)
        let inDoubtSteps = try await context.browsing?.stepCount(status: .inDoubt, matching: RunFilter(batchID: batch.id))
            ?? counts[.inDoubt] ?? 0
        let accountCounts = try await store.runCounts(matching: RunFilter(batchID: batch.id, kind: .account))
        let accountsTotal = accountCounts.values.reduce(0, +)
        let accountRuns = try await store.runs(
            matching: RunFilter(batchID: batch.id, kind: .account, limit: context.pageSize, offset: offset))
        let expected = Dictionary(
            census?.accounts.map { ($0.account, $0.subscribers.count) } ?? [], uniquingKeysWith: { first, _ in first })
        var accounts: [AccountRow] = []
        for account in accountRuns {
            accounts.append(try await accountRow(account, expected: expected[account.key], batchID: batch.id, context: context))
        }
        let running = try await context.activeRuns(batchID: batch.id)
        let runsHere = live?.manifestPath == batch.manifestPath
        var active = running + (runsHere ? 1 : 0)
        if case .reading = censusState { active += 1 }  // refresh until the census is in
        let pageLink = { (offset: Int) in URLText.path(URLText.batch(batch.id), [("offset", offset > 0 ? String(offset) : nil)]) }
        return BatchPage(
            layout: await Layout.make("Batch \(census?.name ?? batch.id)", context: context, active: active),
            id: batch.id, name: census?.name ?? batch.id, manifest: batch.manifestPath, workflow: batch.workflow,
            created: batch.createdAt == .distantPast ? "" : Display.time(batch.createdAt) + " UTC",
            percent: figures.percentDone, doneText: Display.count(figures.done), totalText: Display.count(figures.total),
            segments: figures.segments.map { segment in
                Segment(
                    status: segment.status, x: String(format: "%.2f", segment.x),
                    width: String(format: "%.2f", segment.width),
                    title: "\(Display.count(segment.count)) \(Display.label(segment.status))")
            },
            counts: Display.statusOrder.map { status in
                Count(
                    status: status.rawValue, label: Display.label(status.rawValue),
                    count: Display.count(counts[status] ?? 0),
                    link: URLText.path("/", [("batch", batch.id), ("status", status.rawValue)]))
            },
            notStarted: figures.notStarted > 0 ? Display.count(figures.notStarted) : nil,
            inDoubtSteps: inDoubtSteps,
            rate: figures.perMinute > 0
                ? String(format: "%.1f items/min", figures.perMinute) + " over the last \(Display.span(window))"
                : "no item ended in the last \(Display.span(window))",
            eta: eta(figures, moving: running > 0 || runsHere),
            manifestNote: manifestNote(censusState, path: batch.manifestPath),
            accounts: accounts, accountsFrom: Display.count(accounts.isEmpty ? 0 : offset + 1),
            accountsTo: Display.count(offset + accounts.count), accountsTotal: Display.count(accountsTotal),
            previousLink: offset > 0 ? pageLink(max(0, offset - context.pageSize)) : nil,
            nextLink: offset + accounts.count < accountsTotal ? pageLink(offset + context.pageSize) : nil,
            blocked: blocked, hasBlocked: blockedTotal > 0, blockedTotal: blockedTotal,
            blockedMore: blockedTotal > blocked.count ? Display.count(blockedTotal - blocked.count) : nil)
    }

    private static func accountRow(
        _ account: RunRecord, expected: Int?, batchID: String, context: PageContext
    ) async throws -> AccountRow {
        let subscribers = try await context.store.runs(
            matching: RunFilter(parentID: account.id, limit: subscribersPerAccount))
        let counts = try await context.store.runCounts(matching: RunFilter(parentID: account.id))
        let started = counts.values.reduce(0, +)
        var summary = Display.statusOrder.compactMap { status in
            counts[status].map { "\($0) \(Display.label(status.rawValue))" }
        }.joined(separator: " · ")
        if let expected, expected > started {
            summary += (summary.isEmpty ? "" : " · ") + "\(expected - started) not started"
        }
        let more = started - subscribers.count
        return AccountRow(
            id: account.id, link: URLText.run(account.id), key: account.key, status: account.status.rawValue,
            statusLabel: Display.label(account.status.rawValue), accountError: account.lastError,
            subscribers: subscribers.map { run in
                SubscriberRow(
                    id: run.id, link: URLText.run(run.id), key: run.key, status: run.status.rawValue,
                    statusLabel: Display.label(run.status.rawValue), subscriberError: run.lastError)
            },
            subscriberSummary: summary.isEmpty ? "no subscribers" : summary,
            moreLink: more > 0 ? URLText.path("/", [("batch", batchID), ("key", account.key + "/")]) : nil,
            moreCount: more > 0 ? Display.count(more) : nil)
    }

    /// When the items left should be done at the recent rate, if anything is running at all.
    private static func eta(_ figures: BatchFigures, moving: Bool) -> String {
        let left = Display.count(figures.remaining)
        if figures.remaining == 0 { return "nothing left to run" }
        guard moving else { return "nothing is running: \(left) items wait for the batch to be run again" }
        return figures.etaSeconds.map { "about \(Display.span($0)) (\(left) items left)" } ?? "unknown until items end"
    }

    private static func manifestNote(_ state: CensusState, path: String) -> String? {
        switch state {
        case .ready: return nil
        case .reading:
            return "Reading the manifest \(path) to count the items that have no run yet; this page completes itself."
        case .unavailable:
            return "The manifest \(path.isEmpty ? "of this batch" : path) cannot be read here: items that never started "
                + "(such as subscribers of a failed account) are not counted."
        }
    }

    /// Subscribers behind an account that ended failed, in doubt or interrupted and that are not done: those the
    /// manifest lists (or, without it, those with a run). Counted per account from the runs' counts; only the
    /// first ``blockedShown`` are looked up one by one to be listed. Returns those rows, how many in all, and how
    /// many of them have no run.
    private static func blockedItems(
        _ batch: BatchRecord, census: ManifestCensus?, context: PageContext
    ) async throws -> ([BlockedRow], Int, Int) {
        let store = context.store
        let listed = Dictionary(
            census?.accounts.map { ($0.account, $0.subscribers) } ?? [], uniquingKeysWith: { first, _ in first })
        var rows: [BlockedRow] = []
        var total = 0
        var withoutRun = 0
        for status in [RunStatus.failed, .inDoubt, .interrupted] {
            let accounts = try await store.runs(
                matching: RunFilter(status: status, batchID: batch.id, kind: .account, limit: 1_000))
            for account in accounts {
                let counts = try await store.runCounts(matching: RunFilter(parentID: account.id))
                let started = counts.values.reduce(0, +)
                let keys = listed[account.key]
                total += (keys.map { max($0.count, started) } ?? started) - (counts[.done] ?? 0)
                withoutRun += max(0, (keys?.count ?? started) - started)
                func row(_ key: String, _ run: RunRecord?) -> BlockedRow {
                    BlockedRow(
                        key: key, blockedRunLink: run.map { URLText.run($0.id) }, blockerKey: account.key,
                        blockerLink: URLText.run(account.id), blockerStatus: account.status.rawValue,
                        blockerLabel: Display.label(account.status.rawValue), blockerError: account.lastError)
                }
                if let keys {
                    for key in keys where rows.count < blockedShown {
                        let run = started == 0 ? nil : try await store.run(key: key)
                        if run?.status != .done { rows.append(row(key, run)) }
                    }
                } else {
                    for status in Display.statusOrder where status != .done && rows.count < blockedShown {
                        let filter = RunFilter(status: status, parentID: account.id, limit: blockedShown - rows.count)
                        rows += try await store.runs(matching: filter).map { row($0.key, $0) }
                    }
                }
            }
        }
        return (rows, total, withoutRun)
    }
}
