import Foundation
import OnboardCore

/// `/runs/{id}`: one run in full. Its steps with the IDs they kept, every request with its time, duration, status
/// code and outcome, the last error and what to do next, and for a step in doubt the exact `onboard resolve`
/// commands (with `--db` when the database is not the default). The pinned inputs are shown as stored: secrets
/// never reach the database, so they cannot reach this page.
struct RunPage: Sendable {
    struct Output: Sendable {
        var name: String
        var value: String
    }

    struct StepRow: Sendable {
        var stepID: String
        var status: String
        var statusLabel: String
        var sends: Int
        var outputs: [Output]
        var stepError: String?
        var nextRetry: String?
        var stepUpdated: String
    }

    struct AttemptRow: Sendable {
        var time: String
        var duration: String
        var step: String
        var purpose: String
        var request: String
        var statusCode: String
        var outcome: String
        var outcomeLabel: String
        var attemptError: String?
        var idempotencyKey: String
    }

    struct DoubtRow: Sendable {
        var step: String
        var requests: [String]
        var pinnedTo: String
        var happened: String
        var notHappened: String
        var resume: String
    }

    struct ChildRow: Sendable {
        var link: String
        var key: String
        var status: String
        var statusLabel: String
    }

    var layout: Layout
    var id: String
    var key: String
    var kind: String
    var status: String
    var statusLabel: String
    var workflow: String
    var runError: String?
    var created: String
    var updated: String
    var batchID: String?
    var batchLink: String?
    var parentKey: String?
    var parentLink: String?
    var lease: String?
    var nextCommands: [String]
    var hasNext: Bool
    var steps: [StepRow]
    var attempts: [AttemptRow]
    var hasAttempts: Bool
    var attemptCount: Int
    var inDoubt: [DoubtRow]
    /// Changes accepted with `--accept-changes`, each "when: line" (what the API still holds came from the old values).
    var accepted: [String]
    var hasAccepted: Bool
    var children: [ChildRow]
    var hasChildren: Bool
    var childrenMore: String?
    var baseURL: String
    var workflowPath: String
    var inputPath: String
    var definitionDigest: String
    var inputsDigest: String
    var inputsJSON: String

    static let childrenShown = 50

    static func build(id: String, context: PageContext) async throws -> RunPage? {
        let store = context.store
        guard let run = try await store.run(id: id) else { return nil }
        let steps = try await store.steps(runID: run.id).sorted { $0.position < $1.position }
        let attempts = try await store.attempts(runID: run.id, stepID: nil)
        let accepted = try await store.acceptedChanges(runID: run.id).flatMap { change in
            change.lines.map { "\(Display.time(change.acceptedAt)) UTC: \($0.trimmingCharacters(in: .whitespaces))" }
        }
        let parent = try await run.parentID.asyncFlatMap { try await store.run(id: $0) }
        let children = try await store.runs(matching: RunFilter(parentID: run.id, limit: childrenShown + 1))
        let now = context.now
        let db = context.dbFlag
        let definition = context.workflow(of: run)
        let leaseLive = (run.leaseExpiresAt ?? .distantPast) > now
        var lease: String?
        if let owner = run.leaseOwner, let expires = run.leaseExpiresAt {
            lease = (leaseLive ? "held by " : "was held by ") + LeaseOwner.describe(owner)
                + (leaseLive ? ", until " : ", expired ") + Display.ago(expires, now: now)
        }
        let resume = "onboard resume \(ShellWord.quote(run.id))\(db)"
        var next: [String] = []
        switch run.status {
        case .failed, .interrupted: next = [resume]
        case .running where !leaseLive: next = [resume]
        default: break
        }
        let doubts = steps.filter { $0.status == .inDoubt }.map { step in
            let sent = attempts.filter { $0.stepID == step.stepID && $0.isUncertainCreate }
            let names = definition?.step(step.stepID)?.outputNames ?? []
            let sets = names.isEmpty ? " --set NAME=VALUE" : names.map { " --set \($0)=VALUE" }.joined()
            let base = "onboard resolve \(ShellWord.quote(run.id)) \(ShellWord.quote(step.stepID))"
            return DoubtRow(
                step: step.stepID,
                requests: sent.map { attempt in
                    "\(attempt.method) \(attempt.path) sent \(Display.time(attempt.startedAt)) UTC: "
                        + (attempt.outcome.map { Display.label($0.rawValue) } ?? "no outcome recorded")
                        + (attempt.statusCode.map { " (HTTP \($0))" } ?? "")
                },
                pinnedTo: sent.last?.requestDigest.map { "request \($0.prefix(16))…" } ?? "the inputs of its last send",
                happened: base + " --happened" + sets + db, notHappened: base + " --not-happened" + db, resume: resume)
        }
        return RunPage(
            layout: await Layout.make("Run \(run.id)", context: context, active: run.status == .running && leaseLive ? 1 : 0),
            id: run.id, key: run.key, kind: run.kind.rawValue, status: run.status.rawValue,
            statusLabel: Display.label(run.status.rawValue), workflow: run.workflow, runError: run.lastError,
            created: Display.time(run.createdAt) + " UTC", updated: Display.ago(run.updatedAt, now: now),
            batchID: run.batchID, batchLink: run.batchID.map(URLText.batch), parentKey: parent?.key ?? run.parentID,
            parentLink: run.parentID.map(URLText.run), lease: lease, nextCommands: next, hasNext: !next.isEmpty,
            steps: steps.map { step in
                StepRow(
                    stepID: step.stepID, status: step.status.rawValue, statusLabel: Display.label(step.status.rawValue),
                    sends: step.attempts,
                    outputs: step.outputs.keys.sorted().map { name in
                        Output(name: name, value: step.outputs[name]!.stringValue ?? step.outputs[name]!.canonicalString())
                    },
                    stepError: step.status == .done ? nil : step.lastError,
                    nextRetry: step.status == .done ? nil : step.nextRetryAt.map { Display.ago($0, now: now) },
                    stepUpdated: Display.ago(step.updatedAt, now: now))
            },
            attempts: attempts.map { attempt in
                let outcome = attempt.outcome?.rawValue ?? "in_doubt"
                return AttemptRow(
                    time: Display.time(attempt.startedAt),
                    duration: attempt.finishedAt.map { Display.span($0.timeIntervalSince(attempt.startedAt)) } ?? "—",
                    step: attempt.stepID, purpose: attempt.purpose.rawValue, request: "\(attempt.method) \(attempt.path)",
                    statusCode: attempt.statusCode.map(String.init) ?? "—", outcome: outcome,
                    outcomeLabel: attempt.outcome == nil ? "no outcome recorded" : Display.label(outcome),
                    attemptError: attempt.error, idempotencyKey: attempt.idempotencyKey)
            },
            hasAttempts: !attempts.isEmpty, attemptCount: attempts.count,
            inDoubt: doubts, accepted: accepted, hasAccepted: !accepted.isEmpty,
            children: children.prefix(childrenShown).map { child in
                ChildRow(
                    link: URLText.run(child.id), key: child.key, status: child.status.rawValue,
                    statusLabel: Display.label(child.status.rawValue))
            },
            hasChildren: !children.isEmpty,
            childrenMore: children.count > childrenShown
                ? URLText.path("/", [("batch", run.batchID), ("key", run.key + "/")]) : nil,
            baseURL: run.baseURL ?? "—", workflowPath: run.workflowPath ?? "—", inputPath: run.inputPath ?? "—",
            definitionDigest: run.definitionDigest, inputsDigest: run.inputsDigest,
            inputsJSON: Self.pretty(run.inputs))
    }

    private static func pretty(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? value.canonicalString()
    }
}

extension Optional {
    func asyncFlatMap<T>(_ transform: (Wrapped) async throws -> T?) async rethrows -> T? {
        guard case .some(let value) = self else { return nil }
        return try await transform(value)
    }
}
