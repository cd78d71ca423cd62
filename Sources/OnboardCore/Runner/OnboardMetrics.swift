import CoreMetrics
import Foundation

/// The metrics onboard records, through apple/swift-metrics: whatever backend the process bootstraps (Prometheus
/// under `onboard serve` and `onboard batch --serve`) receives them; with none, they cost next to nothing.
///
/// Names follow Prometheus conventions and carry the `onboard_` prefix. What the database holds (runs by status,
/// steps in doubt) is not counted here: the pages read it from the store when scraped.
public enum OnboardMetrics {
    /// Requests sent, token calls included: `path` (the endpoint, no query) and `status` (an HTTP status, or
    /// `no_answer` / `not_sent` when none came).
    public static let requests = "onboard_requests_total"
    /// Seconds from a request leaving to its answer (or its failure), by `path`.
    public static let requestDuration = "onboard_request_duration_seconds"
    /// Steps that ended in this process, by `step` and `outcome` (`done`, `adopted`, `failed`, `in_doubt`,
    /// `skipped`).
    public static let steps = "onboard_steps_total"
    /// Sends scheduled again after a retryable answer, by `step`.
    public static let retries = "onboard_retries_total"
    /// Executions that ended, by the run's `status`.
    public static let runs = "onboard_runs_finished_total"
    /// Seconds requests spent waiting for the rate limiter.
    public static let rateLimiterWait = "onboard_rate_limiter_wait_seconds_total"
    /// Requests waiting for the rate limiter right now.
    public static let rateLimiterWaiting = "onboard_rate_limiter_waiting"
    /// Executions that stopped because another one took their lease.
    public static let leasesLost = "onboard_leases_lost_total"

    public static func requestFinished(path: String, status: String, seconds: Double) {
        Counter(label: requests, dimensions: [("path", path), ("status", status)]).increment()
        Timer(label: requestDuration, dimensions: [("path", path)], preferredDisplayUnit: .seconds)
            .recordNanoseconds(Int64(min(max(seconds, 0), 86_400) * 1e9))
    }

    static func stepEnded(_ step: String, _ outcome: String) {
        Counter(label: steps, dimensions: [("step", step), ("outcome", outcome)]).increment()
    }

    static func retried(_ step: String) {
        Counter(label: retries, dimensions: [("step", step)]).increment()
    }

    static func runEnded(_ status: RunStatus) {
        Counter(label: runs, dimensions: [("status", status.rawValue)]).increment()
    }

    static func leaseLost() {
        Counter(label: leasesLost).increment()
    }

    static func waitedForRateLimit(seconds: Double, waiting: Int) {
        if seconds > 0 { FloatingPointCounter(label: rateLimiterWait).increment(by: min(seconds, 86_400)) }
        Gauge(label: rateLimiterWaiting).record(waiting)
    }
}
