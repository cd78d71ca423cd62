// Steps, attempts and claims: the checkpoints written on the hot path of every step.
import Foundation
import GRDB
import OnboardCore

extension SQLiteCheckpointStore {
    // MARK: Steps and attempts

    public func steps(runID: String) async throws -> [StepRecord] {
        try await read("reading the steps of run \(runID)") { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT \(StepRecord.columns) FROM steps WHERE run_id = ? ORDER BY position"),
                arguments: [runID]
            )
            .map(StepRecord.init(row:))
        }
    }

    public func attempts(runID: String, stepID: String?) async throws -> [AttemptRecord] {
        try await read("reading the attempts of run \(runID)") { db in
            let statement: Statement
            var arguments: StatementArguments = [runID]
            if let stepID {
                statement = try db.cachedStatement(
                    sql: "SELECT \(AttemptRecord.columns) FROM attempts WHERE run_id = ? AND step_id = ? ORDER BY id")
                arguments += [stepID]
            } else {
                statement = try db.cachedStatement(
                    sql: "SELECT \(AttemptRecord.columns) FROM attempts WHERE run_id = ? ORDER BY id")
            }
            return try Row.fetchAll(statement, arguments: arguments).map(AttemptRecord.init(row:))
        }
    }

    /// The attempts of `runID` with no recorded outcome (the process stopped between writing the attempt and
    /// recording how it ended), oldest first.
    public func unfinishedAttempts(runID: String) async throws -> [AttemptRecord] {
        try await read("reading the unfinished attempts of run \(runID)") { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql:
                        "SELECT \(AttemptRecord.columns) FROM attempts WHERE run_id = ? AND outcome IS NULL ORDER BY id"
                ),
                arguments: [runID]
            )
            .map(AttemptRecord.init(row:))
        }
    }

    /// Records `attempt` as given (normally with no outcome yet) and, in the same transaction, marks its step
    /// `running` and, for purpose `.send`, counts it on the step. The transaction is durable when this returns,
    /// so the request may leave.
    ///
    /// - Returns: `attempt` with the `id` the store assigned (any `id` it carried is ignored).
    /// - Throws: ``StoreError`` `notFound` when the step does not exist.
    public func beginAttempt(_ attempt: AttemptRecord, isDurable: Bool) async throws -> AttemptRecord {
        let doing = "recording an attempt of \(attempt.runID)/\(attempt.stepID)"
        // A request that may change something must be on disk before it leaves; the caller says which do.
        let record: @Sendable (Database) throws -> AttemptRecord = { db in
            try db.cachedStatement(
                sql: """
                    UPDATE steps SET status = ?, attempts = attempts + ?, updated_at = ? \
                    WHERE run_id = ? AND step_id = ?
                    """
            )
            .execute(arguments: [
                StepStatus.running.rawValue, attempt.purpose == .send ? 1 : 0, attempt.startedAt.storedSeconds,
                attempt.runID, attempt.stepID,
            ])
            try requireChange(db, "step \(attempt.stepID) of run \(attempt.runID)")
            try db.cachedStatement(
                sql: """
                    INSERT INTO attempts (\(AttemptRecord.columns)) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """
            )
            .execute(arguments: [
                attempt.runID, attempt.stepID, attempt.purpose.rawValue, attempt.idempotencyKey, attempt.method,
                attempt.path, attempt.startedAt.storedSeconds, attempt.finishedAt?.storedSeconds,
                attempt.outcome?.rawValue, attempt.statusCode, attempt.error,
            ])
            var stored = attempt
            stored.id = db.lastInsertedRowID
            return stored
        }
        return isDurable ? try await writeSynced(doing, record) : try await write(doing, record)
    }

    /// - Throws: ``StoreError`` `notFound` when no attempt has this `id`.
    public func finishAttempt(
        id: Int64, outcome: AttemptOutcome, statusCode: Int?, error: String?, at: Date
    ) async throws {
        try await write("recording the outcome of attempt \(id)") { db in
            try db.cachedStatement(
                sql: "UPDATE attempts SET outcome = ?, status_code = ?, error = ?, finished_at = ? WHERE id = ?"
            )
            .execute(arguments: [outcome.rawValue, statusCode, error, at.storedSeconds, id])
            try requireChange(db, "attempt \(id)")
        }
    }

    /// In one transaction: finishes `attemptID` (if given; it must belong to this step) as succeeded, keeping its
    /// status code; marks the step `done` with `outputs` and `inputDigest`, clearing its error and retry time;
    /// and records `claims` as held by this step of `runID`.
    ///
    /// A claim this run already holds is accepted as is (so a repeated call is harmless).
    ///
    /// - Throws: ``StoreError/claimConflict(_:heldBy:)`` when another run holds one of `claims`, and `notFound`
    ///   for a missing step or attempt; either way nothing is changed.
    public func completeStep(
        runID: String, stepID: String, outputs: [String: JSONValue], inputDigest: String?, claims: [Claim],
        attemptID: Int64?, at: Date
    ) async throws {
        try await write("checkpointing step \(runID)/\(stepID)") { db in
            if let attemptID {
                try db.cachedStatement(
                    sql: """
                        UPDATE attempts SET outcome = ?, finished_at = ? WHERE id = ? AND run_id = ? AND step_id = ?
                        """
                )
                .execute(arguments: [AttemptOutcome.succeeded.rawValue, at.storedSeconds, attemptID, runID, stepID])
                try requireChange(db, "attempt \(attemptID) of step \(stepID) of run \(runID)")
            }
            try db.cachedStatement(
                sql: """
                    UPDATE steps SET status = ?, outputs = ?, input_digest = ?, last_error = NULL, \
                    next_retry_at = NULL, updated_at = ? WHERE run_id = ? AND step_id = ?
                    """
            )
            .execute(arguments: [
                StepStatus.done.rawValue, JSONValue.object(outputs).canonicalString(), inputDigest, at.storedSeconds,
                runID, stepID,
            ])
            try requireChange(db, "step \(stepID) of run \(runID)")
            let insertClaim = try db.cachedStatement(
                sql: """
                    INSERT INTO claims (scope, value, run_id, step_id) VALUES (?, ?, ?, ?) \
                    ON CONFLICT (scope, value) DO NOTHING
                    """
            )
            for claim in claims {
                try insertClaim.execute(arguments: [claim.scope, claim.value, runID, stepID])
                if db.changesCount == 0, let holder = try fetchClaimHolder(db, claim), holder != runID {
                    // Throwing rolls the whole transaction back.
                    throw StoreError.claimConflict(claim, heldBy: holder)
                }
            }
        }
    }

    /// - Throws: ``StoreError`` `notFound` when the step does not exist.
    public func setStepState(
        runID: String, stepID: String, status: StepStatus, lastError: String?, nextRetryAt: Date?, at: Date
    ) async throws {
        try await write("setting the state of step \(runID)/\(stepID)") { db in
            try db.cachedStatement(
                sql: """
                    UPDATE steps SET status = ?, last_error = ?, next_retry_at = ?, updated_at = ? \
                    WHERE run_id = ? AND step_id = ?
                    """
            )
            .execute(arguments: [
                status.rawValue, lastError, nextRetryAt?.storedSeconds, at.storedSeconds, runID, stepID,
            ])
            try requireChange(db, "step \(stepID) of run \(runID)")
        }
    }

    /// Puts the steps back to `pending` with empty outputs and no digest, error or retry time, and releases the
    /// claims those steps made for this run, in one transaction. Attempt rows, and each step's attempt count,
    /// are kept as history.
    ///
    /// - Throws: ``StoreError`` `notFound` (changing nothing) when one of the steps does not exist.
    public func resetSteps(runID: String, stepIDs: [String], at: Date) async throws {
        try await write("resetting steps of run \(runID)") { db in
            let reset = try db.cachedStatement(
                sql: """
                    UPDATE steps SET status = ?, outputs = '{}', input_digest = NULL, last_error = NULL, \
                    next_retry_at = NULL, updated_at = ? WHERE run_id = ? AND step_id = ?
                    """
            )
            let release = try db.cachedStatement(sql: "DELETE FROM claims WHERE run_id = ? AND step_id = ?")
            for stepID in stepIDs {
                try reset.execute(arguments: [StepStatus.pending.rawValue, at.storedSeconds, runID, stepID])
                try requireChange(db, "step \(stepID) of run \(runID)")
                try release.execute(arguments: [runID, stepID])
            }
        }
    }

    // MARK: Claims

    public func claimHolder(_ claim: Claim) async throws -> String? {
        try await read("reading the holder of \(claim.scope) \(claim.value)") { db in try fetchClaimHolder(db, claim) }
    }
}

func fetchClaimHolder(_ db: Database, _ claim: Claim) throws -> String? {
    try String.fetchOne(
        db.cachedStatement(sql: "SELECT run_id FROM claims WHERE scope = ? AND value = ?"),
        arguments: [claim.scope, claim.value]
    )
}
