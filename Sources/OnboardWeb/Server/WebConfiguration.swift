import Foundation
import OnboardRuntime

/// How `onboard serve` (or `onboard batch --serve`) serves its pages.
public struct WebConfiguration: Sendable {
    public var listen: ListenAddress
    /// The database as the user named it: the `--db` repeated in commands the pages print (`onboard resolve …`)
    /// when it is not the default.
    public var database: StoreLocation
    /// Rows per page of runs, accounts and items.
    public var pageSize: Int
    /// Seconds between two refreshes of a page while work is running.
    public var refreshSeconds: Int
    /// What the batch running in this process reports (`onboard batch --serve`); nil under `onboard serve`.
    public var live: (@Sendable () async -> LiveBatchStatus?)?
    /// Where the workflow of a run that did not record its file is (by the workflow's name): the `--set` names
    /// of a resolve command come from it, when its digest is the run's.
    public var findWorkflow: @Sendable (_ name: String) -> String?
    /// The clock of "updated 3 s ago", rates and lease expiry (tests fix it).
    public var now: @Sendable () -> Date

    public init(
        listen: ListenAddress = .default, database: StoreLocation, pageSize: Int = 50, refreshSeconds: Int = 2,
        findWorkflow: @escaping @Sendable (String) -> String? = { _ in nil },
        now: @escaping @Sendable () -> Date = { Date() },
        live: (@Sendable () async -> LiveBatchStatus?)? = nil
    ) {
        self.listen = listen
        self.database = database
        self.pageSize = max(1, pageSize)
        self.refreshSeconds = max(1, refreshSeconds)
        self.live = live
        self.findWorkflow = findWorkflow
        self.now = now
    }
}

/// What a batch running in this process knows that the database does not: the requests it sends and the rate
/// limiter's queue. Shown in a banner on every page while the batch runs (`onboard batch --serve`).
public struct LiveBatchStatus: Sendable {
    /// The manifest and workflow of the batch, to find its row among the stored batches.
    public var manifestPath: String
    public var workflow: String
    /// Requests sent so far by this process, token calls included.
    public var requests: Int
    public var requestsPerMinute: Double
    public var waitingForRateLimit: Int
    public var startedAt: Date

    public init(
        manifestPath: String, workflow: String, requests: Int, requestsPerMinute: Double, waitingForRateLimit: Int,
        startedAt: Date
    ) {
        self.manifestPath = manifestPath
        self.workflow = workflow
        self.requests = requests
        self.requestsPerMinute = requestsPerMinute
        self.waitingForRateLimit = waitingForRateLimit
        self.startedAt = startedAt
    }
}
