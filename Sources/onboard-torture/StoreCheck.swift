import Foundation
import OnboardCore

/// The figures of ``DatabaseCheck`` read through the store's own API, for a database the torture cannot open as a
/// SQLite file (the worker torture's PostgreSQL schema).
extension DatabaseCheck {
    /// What stands for `PRAGMA integrity_check` on a server database: the server keeps its own files consistent.
    static let serverIntegrity = "not applicable (server database)"

    init(store: any CheckpointStore) async throws {
        integrity = Self.serverIntegrity
        for run in try await store.runs(matching: RunFilter()) {
            switch run.kind {
            case .subscriber: subscriberRuns += 1
            case .account: accountRuns += 1
            default: break
            }
            if run.status != .done {
                notDone.append((key: run.key, kind: run.kind.rawValue, status: run.status.rawValue, lastError: run.lastError))
            }
            unfinishedAttempts += try await store.attempts(runID: run.id, stepID: nil).filter { $0.outcome == nil }.count
            for step in try await store.steps(runID: run.id) where step.status == .done {
                if step.stepID == "account", let id = step.outputs["account_id"]?.stringValue { accountIDs[run.key] = id }
                if step.stepID == "provision", let number = step.outputs["phone_number"]?.stringValue {
                    phoneNumbers[run.key] = number
                }
            }
        }
        notDone.sort { $0.key < $1.key }
    }
}
