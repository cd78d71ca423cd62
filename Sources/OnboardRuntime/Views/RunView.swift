import Foundation
import OnboardCore

/// A run as `onboard show`, `onboard list` and every `--json` print it, and as `onboard serve` answers
/// `/api/runs` and `/api/runs/{id}`: one shape for scripts, whichever door they come through.
///
/// ```swift
/// let view = RunView(run: run, steps: try await store.steps(runID: run.id), attempts: nil)
/// print(view.json())   // {"run": "r…", "key": "acme", "status": "done", "steps": [...], ...}
/// ```
///
/// `attempts` is nil for listings (the key is then absent), and the request history otherwise. Times are UTC
/// ISO 8601 to the second (``timestamp(_:)``).
public struct RunView: Sendable {
    public var run: RunRecord
    public var steps: [StepRecord]
    public var attempts: [AttemptRecord]?
    /// Changes accepted with `--accept-changes` (`accepted_changes`, present in the detailed view: with attempts).
    public var accepted: [AcceptedChange]

    public init(run: RunRecord, steps: [StepRecord], attempts: [AttemptRecord]?, accepted: [AcceptedChange] = []) {
        self.run = run
        self.steps = steps
        self.attempts = attempts
        self.accepted = accepted
    }

    public var value: JSONValue {
        var object: [String: JSONValue] = [
            "run": .string(run.id), "key": .string(run.key), "kind": .string(run.kind.rawValue),
            "workflow": .string(run.workflow), "status": .string(run.status.rawValue),
            "last_error": run.lastError.map(JSONValue.string) ?? .null,
            "created_at": .string(Self.timestamp(run.createdAt)), "updated_at": .string(Self.timestamp(run.updatedAt)),
            "steps": .array(steps.sorted { $0.position < $1.position }.map { step in
                [
                    "step": .string(step.stepID), "status": .string(step.status.rawValue),
                    "outputs": .object(step.outputs), "attempts": .int(step.attempts),
                    "last_error": step.lastError.map(JSONValue.string) ?? .null,
                    "next_retry_at": step.nextRetryAt.map { .string(Self.timestamp($0)) } ?? .null,
                ]
            }),
        ]
        if let parent = run.parentID { object["parent"] = .string(parent) }
        if let batch = run.batchID { object["batch"] = .string(batch) }
        if let attempts {
            object["attempts"] = .array(attempts.map { attempt in
                [
                    "step": .string(attempt.stepID), "purpose": .string(attempt.purpose.rawValue),
                    "method": .string(attempt.method), "path": .string(attempt.path),
                    "started_at": .string(Self.timestamp(attempt.startedAt)),
                    "outcome": attempt.outcome.map { .string($0.rawValue) } ?? .string("in_doubt"),
                    "status_code": attempt.statusCode.map(JSONValue.int) ?? .null,
                    "error": attempt.error.map(JSONValue.string) ?? .null,
                ]
            })
            object["accepted_changes"] = .array(accepted.map { change in
                ["accepted_at": .string(Self.timestamp(change.acceptedAt)), "lines": .array(change.lines.map(JSONValue.string))]
            })
        }
        return .object(object)
    }

    /// The view as indented JSON with sorted keys, `extra` keys added at the top level (a run's summary adds its
    /// elapsed time and request counts).
    public func json(extra: [String: JSONValue] = [:]) -> String {
        var object = value.objectValue ?? [:]
        for (key, value) in extra { object[key] = value }
        return Self.pretty(.object(object))
    }

    /// `2026-12-01T09:30:05Z`: UTC, to the second, as every `--json` document writes times.
    public static func timestamp(_ date: Date) -> String {
        date.ISO8601Format(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .omitted))
    }

    /// Sorted keys, indented, slashes as they are: stable output that diffs well.
    public static func pretty(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}
