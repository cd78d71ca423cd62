import Foundation
import OnboardCore
import OnboardRuntime

/// What the header and footer of every page show: the title, the database, whether the page refreshes itself,
/// and the banner of a batch running in this process. Each page model carries one as `layout`.
struct Layout: Sendable {
    var title: String
    var database: String
    var generated: String
    /// The page refreshes itself (`data-live` on `<body>`, read by `/assets/live.js`) while this is true.
    var live: Bool
    var refreshSeconds: Int
    var banner: LiveBanner?

    /// The layout for a page titled `title`; live when `active` runs are being executed or a batch runs here.
    static func make(_ title: String, context: PageContext, active: Int) async -> Layout {
        var banner: LiveBanner?
        if let status = await context.live() { banner = await LiveBanner(status: status, context: context) }
        return Layout(
            title: title, database: context.configuration.database.description,
            generated: Display.time(context.now) + " UTC", live: active > 0 || banner != nil,
            refreshSeconds: context.configuration.refreshSeconds, banner: banner)
    }
}

/// The banner of `onboard batch --serve`: what the batch in this process reports, beyond the database.
struct LiveBanner: Sendable {
    var requests: String
    var requestsPerMinute: Int
    var waiting: Int
    var elapsed: String
    /// The batch's page, once the batch is in the database.
    var liveBatchLink: String?
}

extension LiveBanner {
    init(status: LiveBatchStatus, context: PageContext) async {
        requests = Display.count(status.requests)
        requestsPerMinute = Int(status.requestsPerMinute.rounded())
        waiting = status.waitingForRateLimit
        elapsed = Display.span(context.now.timeIntervalSince(status.startedAt))
        let batches = (try? await context.browsing?.batches(limit: 50, offset: 0)) ?? []
        liveBatchLink = batches.first { $0.manifestPath == status.manifestPath && $0.workflow == status.workflow }
            .map { URLText.batch($0.id) }
    }
}
