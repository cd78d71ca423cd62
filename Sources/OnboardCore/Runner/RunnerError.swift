import Foundation

/// Why a run could not be executed, or stopped without a status of its own.
public enum RunnerError: Error, Sendable, CustomStringConvertible {
    /// Another live execution holds the run's lease (exit code 4).
    case busy(runID: String, holder: String, expiresAt: Date?)
    /// This execution lost the lease (taken over after it expired, or not renewed in time) and stopped without
    /// sending or recording anything more (exit code 1).
    case leaseLost(runID: String, detail: String)
    case definitionMismatch(runID: String, step: String)
    /// The key belongs to a run of another kind or place (a single run's key reused by a batch item, say).
    case keyInUse(key: String, runID: String, detail: String)
    /// The run was started against another API than the one given now.
    case targetMismatch(runID: String, stored: String, given: String)
    /// Another execution held a serialize key (`provision:MRID-…`) longer than `Configuration.lockWait` (exit 4).
    case lockWait(runID: String, key: String, waited: Duration)

    var isLockWait: Bool {
        if case .lockWait = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .busy(let runID, let holder, let expiresAt):
            var text = "run \(runID) is being executed by \(LeaseOwner.describe(holder)); wait for it to finish"
            if let expiresAt {
                let seconds = max(0, expiresAt.timeIntervalSinceNow)
                text += " (if that process is gone for good, its lease expires in \(Int(seconds.rounded(.up))) s)"
            }
            return text
        case .leaseLost(let runID, let detail):
            return "run \(runID): lease lost to \(detail); this execution stopped without sending anything more "
                + "(the other execution continues the run)"
        case .definitionMismatch(let runID, let step):
            return "run \(runID) has no record of step '\(step)': it was started with another workflow"
        case .keyInUse(let key, let runID, let detail):
            return "key '\(key)' already belongs to run \(runID) (\(detail)); give this item another key"
        case .lockWait(let runID, let key, let waited):
            return "run \(runID): another execution has held '\(key)' for \(Int(waited.seconds)) s without finishing (a "
                + "paused or hung onboard process?); nothing was sent. Continue it (`fg`, `kill -CONT`) or end it, then "
                + "`onboard resume \(runID)`"
        case .targetMismatch(let runID, let stored, let given):
            return "run \(runID) was started against \(stored), not \(given): resuming it elsewhere would create a "
                + "second set of objects. Resume against \(stored) (omit --base-url), or start a new run with a new key"
        }
    }
}

/// Thrown by `LeaseKeeper.check()` when the execution must not send anything more.
struct LeaseLostError: Error, CustomStringConvertible {
    var detail: String
    var description: String { "lease lost: \(detail)" }
}
