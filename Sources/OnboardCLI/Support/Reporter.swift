import Foundation
import OnboardCore
import OnboardRuntime
import TelegentClient

/// What a person (or a script, with --json) reads on stdout. Logs go to stderr; this is output.
struct Reporter: Sendable {
    let json: Bool
    /// Colour the marks of finished and failed steps (a terminal, and neither NO_COLOR nor --no-color).
    var color = false

    /// Prints a line per step as it happens (text mode only).
    func handle(_ event: RunEvent) {
        guard !json else { return }
        switch event {
        case .runStarted(let runID, let key):
            line("run \(runID) (\(TerminalText.escape(key)))")
        case .changesAccepted(_, let lines):
            line("  accepted changes (--accept-changes):")
            for text in lines { line("    " + TerminalText.escape(text.trimmingCharacters(in: .whitespaces))) }
        case .stepSkipped(_, let step):
            line("  - \(pad(step)) skipped (condition false)")
        case .stepStarted:
            break
        case .stepDone(_, let step, let outputs, let adopted):
            let ids = outputs.keys.sorted().map { "\($0)=\(outputs[$0]!.stringValue ?? outputs[$0]!.canonicalString())" }
            line("  \(paint("✓", "32")) \(pad(step)) \(TerminalText.escape(ids.joined(separator: " ")))\(adopted ? "  (found existing, adopted)" : "")")
        case .retrying(_, let step, let attempt, let delay, let reason):
            line("  … \(pad(step)) attempt \(attempt) failed (\(reason)); retrying in \(format(delay))")
        case .lookingUp(_, let step):
            line("  ? \(pad(step)) an earlier request may have worked: looking it up before sending again")
        case .waitingForInFlight(_, let step, let seconds):
            line("  … \(pad(step)) nothing found yet, but the lost request may still be applied: looking again in \(format(.seconds(seconds)))")
        case .polling(_, let step, let status):
            line("  … \(pad(step)) waiting for the order to settle (\(status))")
        case .stepFailed(_, let step, let message):
            line("  \(paint("✗", "31")) \(pad(step)) \(TerminalText.escape(message))")
        case .runFinished:
            break
        }
    }

    /// The first lines of a run: where it goes and where it is checkpointed.
    func header(run: RunRecord, target: String, database: StoreLocation) {
        guard !json else { return }
        line("target \(target), database \(database)")
    }

    /// The final report of a run: its status and every ID, as text or JSON.
    func summary(
        runID: String, store: any CheckpointStore, elapsed: Duration, requests: TelegentHTTPTransport.Statistics,
        hint: HintContext
    ) async throws {
        guard let run = try await store.run(id: runID) else { return }
        let steps = try await store.steps(runID: runID)
        let sent = requests.requests - requests.tokenRequests
        if json {
            print(RunView(run: run, steps: steps, attempts: nil).json(extra: [
                "elapsed_seconds": .double((elapsed.seconds * 1000).rounded() / 1000), "requests": .int(sent),
                "token_requests": .int(requests.tokenRequests),
            ]))
            return
        }
        line("\(run.status.rawValue) in \(format(elapsed)), \(sent) requests (+\(requests.tokenRequests) token)")
        let db = hint.dbFlag
        switch run.status {
        case .done: break
        case .failed:
            line("fix the cause, then: onboard resume \(run.id)\(db)    (details: onboard show \(run.id)\(db))")
        case .inDoubt:
            line("a step may or may not have happened; see: onboard show \(run.id)\(db)")
        case .interrupted:
            line("stopped cleanly; continue with: onboard resume \(run.id)\(db)")
        default: break
        }
    }

    private func paint(_ text: String, _ code: String) -> String {
        color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    func line(_ text: String) {
        print(text)
        fflush(nil)  // progress lines must show now, also when stdout is a pipe
    }

    private func pad(_ step: String) -> String { step.padding(toLength: 14, withPad: " ", startingAt: 0) }
}

func format(_ duration: Duration) -> String {
    let seconds = duration.seconds
    return seconds < 10 ? String(format: "%.2f s", seconds) : String(format: "%.0f s", seconds)
}

func iso(_ date: Date) -> String { RunView.timestamp(date) }

extension JSONValue {
    func prettyString() -> String { RunView.pretty(self) }
}
