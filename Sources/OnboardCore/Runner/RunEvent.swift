import Foundation

/// What a run reports as it goes, for progress output. Never carries a secret.
public enum RunEvent: Sendable {
    case runStarted(runID: String, key: String)
    /// `--accept-changes` took new inputs or a new definition: what changed and what stays as it is on the API.
    case changesAccepted(runID: String, lines: [String])
    case stepSkipped(runID: String, step: String)
    case stepStarted(runID: String, step: String, title: String)
    case stepDone(runID: String, step: String, outputs: [String: JSONValue], adopted: Bool)
    case retrying(runID: String, step: String, attempt: Int, delay: Duration, reason: String)
    case lookingUp(runID: String, step: String)
    /// A lookup found nothing while an unanswered request may still be applied: waiting before looking again.
    case waitingForInFlight(runID: String, step: String, seconds: Double)
    case polling(runID: String, step: String, status: String)
    case stepFailed(runID: String, step: String, message: String)
    case runFinished(runID: String, status: RunStatus)
}

/// Receives run events; must be cheap and thread-safe.
public typealias RunEventSink = @Sendable (RunEvent) -> Void

