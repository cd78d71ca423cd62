import Foundation
import OnboardCore
import OnboardRuntime
import TelegentClient

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The batch's live progress line (redrawn in place on a terminal, a plain line every 10 s otherwise; JSON lines on
/// stderr under `--json`), its per-item failure lines and the final summary.
struct BatchPrinter: Sendable {
    let json: Bool
    let limiter: RateLimiter
    let transport: TelegentHTTPTransport
    let isTerminal = isatty(STDOUT_FILENO) == 1

    func event(_ event: BatchEvent) {
        if json {
            switch event {
            case .itemFinished(let key, let runID, let outcome, let message):
                jsonLine(["event": "item", "key": .string(key), "run": .string(runID), "outcome": .string(outcome.rawValue),
                    "message": message.map(JSONValue.string) ?? .null])
            case .stoppedLaunching(let reason):
                jsonLine(["event": "stopped_starting", "reason": .string(reason)])
            case .changesAccepted(let key, let runID, let lines):
                jsonLine(["event": "changes_accepted", "key": .string(key), "run": .string(runID), "lines": .array(lines.map { .string($0) })])
            }
            return
        }
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

    /// One JSON object per line on stderr, so stdout keeps its one document.
    private func jsonLine(_ object: [String: JSONValue]) {
        FileHandle.standardError.write(Data((JSONValue.object(object).canonicalString() + "\n").utf8))
    }

    func loop(_ box: ProgressBox) async throws {
        let clock = ContinuousClock()
        let start = clock.now
        var lastPlain = start
        while true {
            try await Task.sleep(for: .milliseconds(isTerminal && !json ? 500 : 1000))
            guard let progress = box.progress else { continue }
            let line = await ProgressLine(snapshot: progress.snapshot, elapsed: clock.now - start, printer: self)
            if json {
                jsonLine(line.json)
            } else if isTerminal {
                print("\r\u{1B}[K" + line.text, terminator: "")
                fflush(nil)
            } else if clock.now - lastPlain >= .seconds(10) {
                lastPlain = clock.now
                print(line.text)
                fflush(nil)
            }
        }
    }

    /// What the progress line says at one moment.
    struct ProgressLine {
        var snapshot: BatchProgress.Snapshot
        var waiting: Int
        var lastMinute: Int
        var limit: Int
        var eta: Double?

        init(snapshot: BatchProgress.Snapshot, elapsed: Duration, printer: BatchPrinter) async {
            self.snapshot = snapshot
            waiting = await printer.limiter.waiting
            lastMinute = await printer.limiter.sentInLastWindow()
            limit = printer.limiter.limit
            let statistics = printer.transport.statistics
            let sent = statistics.requests - statistics.tokenRequests
            let unfinished = Double(snapshot.total - snapshot.finished) / Double(max(1, snapshot.total))
            let remaining = Double(snapshot.plannedCalls) * unfinished
            // Never faster than the limiter lets requests leave, nor than requests have been answered so far.
            let limiterSeconds = remaining * printer.limiter.window.seconds / Double(printer.limiter.limit)
            let observed = elapsed.seconds > 1 && sent > 0 ? remaining * elapsed.seconds / Double(sent) : nil
            let pending = await printer.limiter.nextFreeSlot().seconds
            eta = snapshot.finished == snapshot.total ? 0 : observed.map { max($0, limiterSeconds, pending) }
        }

        var text: String {
            var parts = [
                "done \(snapshot.done)/\(snapshot.total)", "running \(snapshot.running)", "failed \(snapshot.failures)",
            ]
            for outcome in [ItemOutcome.blocked, .notStarted, .busy, .drift] where snapshot.count(outcome) > 0 {
                parts.append("\(outcome.rawValue.replacingOccurrences(of: "_", with: " ")) \(snapshot.count(outcome))")
            }
            parts.append("waiting on rate limit \(waiting)")
            parts.append("\(lastMinute) req in the last minute (limit \(limit))")
            if let eta { parts.append("ETA \(format(.seconds(eta)))") }
            return parts.joined(separator: "  ")
        }

        var json: [String: JSONValue] {
            var object: [String: JSONValue] = [
                "event": "progress", "total": .int(snapshot.total), "done": .int(snapshot.done),
                "running": .int(snapshot.running), "failed": .int(snapshot.failures),
                "waiting_on_rate_limit": .int(waiting), "requests_last_minute": .int(lastMinute),
                "eta_seconds": eta.map { .double(($0 * 10).rounded() / 10) } ?? .null,
            ]
            object["outcomes"] = .object(Dictionary(uniqueKeysWithValues: ItemOutcome.allCases.map { ($0.rawValue, JSONValue.int(snapshot.count($0))) }))
            return object
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
