import Foundation
import OnboardCore
import OnboardRuntime
import TelegentClient

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The batch's live progress line (redrawn in place on a terminal, a plain line every 10 s otherwise), its
/// per-item failure lines and the final summary.
struct BatchPrinter: Sendable {
    let json: Bool
    let limiter: RateLimiter
    let transport: TelegentHTTPTransport
    let isTerminal = isatty(STDOUT_FILENO) == 1

    func event(_ event: BatchEvent) {
        guard !json else { return }
        switch event {
        case .itemFinished(let key, let runID, let outcome, let message):
            emit("\(outcome.rawValue): \(TerminalText.escape(key)) (run \(runID))" + (message.map { ": \(TerminalText.escape($0))" } ?? ""))
        case .stoppedLaunching(let reason):
            emit("stopped starting new items: \(reason)")
        case .changesAccepted(let key, let runID, let lines):
            emit("accepted changes for \(TerminalText.escape(key)) (run \(runID)):")
            for text in lines { emit("    " + TerminalText.escape(text.trimmingCharacters(in: .whitespaces))) }
        }
    }

    private func emit(_ text: String) {
        if isTerminal { print("\r\u{1B}[K", terminator: "") }
        print(text)
        fflush(nil)
    }

    func loop(_ box: ProgressBox) async throws {
        guard !json else { return }
        let clock = ContinuousClock()
        let start = clock.now
        var lastPlain = start
        while true {
            try await Task.sleep(for: .milliseconds(isTerminal ? 500 : 1000))
            guard let progress = box.progress else { continue }
            let snapshot = progress.snapshot
            let elapsed = (clock.now - start).seconds
            let requests = transport.statistics.requests
            let rate = elapsed > 0 ? Double(requests) / elapsed * 60 : 0
            let perItem = snapshot.finished > 0 ? elapsed / Double(snapshot.finished) : 0
            let eta = perItem * Double(snapshot.total - snapshot.finished)
            let waiting = await limiter.waiting
            let text =
                "done \(snapshot.finished - snapshot.failures)/\(snapshot.total)  running \(snapshot.running)  "
                + "failed \(snapshot.failures)  waiting on rate limit \(waiting)  \(Int(rate)) req/min"
                + (snapshot.finished > 0 ? "  ETA \(format(.seconds(eta)))" : "")
            if isTerminal {
                print("\r\u{1B}[K" + text, terminator: "")
                fflush(nil)
            } else if clock.now - lastPlain >= .seconds(10) {
                lastPlain = clock.now
                print(text)
                fflush(nil)
            }
        }
    }

    func summary(
        _ snapshot: BatchProgress.Snapshot, batchID: String, elapsed: Duration, rows: [BatchReport.Row],
        report: String?
    ) {
        let requests = transport.statistics
        if json {
            let value: JSONValue = [
                "batch": .string(batchID), "items": .int(snapshot.total),
                "outcomes": .object(Dictionary(uniqueKeysWithValues: ItemOutcome.allCases.map { ($0.rawValue, JSONValue.int(snapshot.outcomes[$0] ?? 0)) })),
                "elapsed_seconds": .double((elapsed.seconds * 1000).rounded() / 1000),
                "requests": .int(requests.requests), "token_requests": .int(requests.tokenRequests),
                "rate_limited": .int(requests.rateLimited),
                "report": report.map(JSONValue.string) ?? .null,
                "items_detail": .array(rows.map(\.json)),
            ]
            print(value.prettyString())
            return
        }
        if isTerminal { print("\r\u{1B}[K", terminator: "") }
        print("batch \(batchID): \(snapshot.total) items in \(format(elapsed)), \(requests.requests) requests (\(requests.tokenRequests) token), \(requests.rateLimited) rate-limited")
        print("  " + ItemOutcome.allCases.compactMap { outcome in
            snapshot.outcomes[outcome].map { "\(outcome.rawValue) \($0)" }
        }.joined(separator: "   "))
        let problems = rows.filter { $0.status != RunStatus.done.rawValue }
        if !problems.isEmpty {
            print("  not done:")
            for row in problems.prefix(50) {
                print("    \(row.key.padding(toLength: 36, withPad: " ", startingAt: 0)) \(row.status.padding(toLength: 11, withPad: " ", startingAt: 0)) \(row.lastError ?? "")")
            }
            if problems.count > 50 { print("    … and \(problems.count - 50) more (see --report or onboard list --status failed)") }
        }
        if let report { print("report: \(report)") }
    }
}
