import Foundation
import OnboardCore

/// The arithmetic of a batch page, apart from any store so it is tested alone: how far the batch is, how fast it
/// goes, and when it should end.
///
/// ```swift
/// let figures = BatchFigures(counts: [.done: 30, .running: 8, .pending: 2], totalItems: 100, blocked: 0,
///                            finishedInWindow: 12, windowSeconds: 60)
/// figures.percentDone        // 30
/// figures.perMinute          // 12
/// figures.etaSeconds         // 350: 70 items left at 12 a minute
/// ```
struct BatchFigures: Sendable, Equatable {
    /// One part of the progress bar: a status and its share of the items.
    struct Segment: Sendable, Equatable {
        var status: String
        var count: Int
        /// Start and width on a bar 1000 units long.
        var x: Double
        var width: Double
    }

    /// Items of the manifest (or, when it cannot be read, items with a run).
    var total: Int
    /// Items with no run yet.
    var notStarted: Int
    var done: Int
    var percentDone: Int
    /// Items that ended (done, failed, in doubt) per minute lately; 0 when none did.
    var perMinute: Double
    /// Items still to run (pending, running, interrupted, not started and not blocked).
    var remaining: Int
    /// Seconds until `remaining` are done at `perMinute`; nil when nothing moves or nothing is left.
    var etaSeconds: Double?
    var segments: [Segment]

    /// - Parameters:
    ///   - counts: Runs of the batch by status.
    ///   - totalItems: Items the manifest holds, if it could be read.
    ///   - blocked: Items without a run whose account did not finish: they will not run this time.
    ///   - finishedInWindow: Runs that ended (done, failed, in doubt) during the last `windowSeconds`.
    init(counts: [RunStatus: Int], totalItems: Int?, blocked: Int, finishedInWindow: Int, windowSeconds: Double) {
        let stored = counts.values.reduce(0, +)
        total = max(totalItems ?? stored, stored)
        notStarted = total - stored
        done = counts[.done] ?? 0
        percentDone = total > 0 ? Int((Double(done) / Double(total) * 100).rounded(.down)) : 0
        perMinute = windowSeconds > 0 ? Double(finishedInWindow) / windowSeconds * 60 : 0
        let waiting = (counts[.pending] ?? 0) + (counts[.running] ?? 0) + (counts[.interrupted] ?? 0)
        remaining = waiting + max(0, notStarted - blocked)
        etaSeconds = perMinute > 0 && remaining > 0 ? Double(remaining) / perMinute * 60 : nil
        var segments: [Segment] = []
        var x = 0.0
        let parts: [(String, Int)] =
            [RunStatus.done, .failed, .inDoubt, .interrupted, .running, .pending].map { ($0.rawValue, counts[$0] ?? 0) }
            + [("not_started", notStarted)]
        for (status, count) in parts where count > 0 && total > 0 {
            let width = Double(count) / Double(total) * 1000
            segments.append(Segment(status: status, count: count, x: x, width: width))
            x += width
        }
        self.segments = segments
    }
}
