// Steps, attempts and claims: the checkpoints written on the hot path of every step.
import Foundation
import GRDB
import OnboardCore

extension SQLiteCheckpointStore {
    // MARK: Steps and attempts

    public func steps(runID: String) async throws -> [StepRecord] {
        try await read("reading the steps of run \(runID)") { db in try fetchSteps(db, runID: runID) }
    }

    public func attempts(runID: String, stepID: String?) async throws -> [AttemptRecord] {
        try await read("reading the attempts of run \(runID)") { db in try fetchAttempts(db, runID: runID, stepID: stepID) }
    }

    /// Records `attempt` as given (normally with no outcome yet) and, in the same transaction, checks `lease`,
    /// takes a purchase slot when `attempt.effect` is `.purchase` (see `takePurchaseSlot`), marks its step
    /// `running` and, for purpose `.send`, counts it on the step. When `attempt.effect` creates something the
    /// transaction is synced before this returns (see the type's Durability), so the request may leave.
    ///
    /// - Returns: `attempt` with the `id` the store assigned (any `id` it carried is ignored).
    /// - Throws: ``StoreError`` `leaseLost`, `purchaseCeiling`, or `notFound` when the step does not exist.
    public func beginAttempt(_ attempt: AttemptRecord, lease: Lease) async throws -> AttemptRecord {
        let doing = "recording an attempt of \(attempt.runID)/\(attempt.stepID)"
        let now = clock()
        let record: @Sendable (Database) throws -> AttemptRecord = { db in
            try requireLease(db, lease, now: now)
            if attempt.effect == .purchase {
                try takePurchaseSlot(db, runID: attempt.runID, stepID: attempt.stepID, at: now)
            }
            return try insertAttempt(db, attempt)
        }
        // A request that may change something must be on disk before it leaves.
        return attempt.effect.createsSomething ? try await writeSynced(doing, record) : try await write(doing, record)
    }

    /// - Throws: ``StoreError`` `leaseLost`, or `notFound` when no attempt of the lease's run has this `id`.
    public func finishAttempt(
        id: Int64, outcome: AttemptOutcome, statusCode: Int?, error: String?, at: ClockReading, lease: Lease
    ) async throws {
        let now = clock()
        try await write("recording the outcome of attempt \(id)") { db in
            try requireLease(db, lease, now: now)
            try db.cachedStatement(
                sql: """
                    UPDATE attempts SET outcome = ?, status_code = ?, error = ?, finished_at = ?, finished_uptime = ? \
                    WHERE id = ? AND run_id = ?
                    """
            )
            .execute(arguments: [
                outcome.rawValue, statusCode, error, at.wall.storedSeconds, at.uptime, id, lease.runID,
            ])
            try requireChange(db, "attempt \(id)")
        }
    }

    public func disprove(attemptIDs: [Int64], lease: Lease) async throws {
        guard !attemptIDs.isEmpty else { return }
        let now = clock()
        try await write("recording what a lookup disproved") { db in
            try requireLease(db, lease, now: now)
            let statement = try db.cachedStatement(
                sql: "UPDATE attempts SET disproved_at = ? WHERE id = ? AND run_id = ?")
            for id in attemptIDs {
                try statement.execute(arguments: [now.storedSeconds, id, lease.runID])
            }
        }
    }

    /// In one transaction: checks `lease`; finishes `attempt` (if given; it must belong to this step) as
    /// succeeded with its status code; marks the step `done` with `outputs` and `inputDigest`, clearing its
    /// error and retry time; and records `claims` as held by this step of the lease's run.
    ///
    /// A claim this run already holds is accepted as is (so a repeated call is harmless).
    ///
    /// - Throws: ``StoreError/claimConflict(_:heldBy:)`` when another run holds one of `claims`, `leaseLost`, and
    ///   `notFound` for a missing step or attempt; either way nothing is changed.
    public func completeStep(
        _ lease: Lease, stepID: String, outputs: [String: JSONValue], inputDigest: String?, claims: [Claim],
        attempt: FinishedAttempt?
    ) async throws {
        let now = clock()
        try await write("checkpointing step \(lease.runID)/\(stepID)") { db in
            try requireLease(db, lease, now: now)
            try recordCompletion(
                db, lease.runID, stepID: stepID, outputs: outputs, inputDigest: inputDigest, claims: claims,
                attempt: attempt, now: now)
        }
    }

    /// ``completeStep(_:stepID:outputs:inputDigest:claims:attempt:)`` and ``finishRun(_:status:lastError:)`` as
    /// done, in one transaction: a run's last step costs one commit, not two.
    public func completeFinalStep(
        _ lease: Lease, stepID: String, outputs: [String: JSONValue], inputDigest: String?, claims: [Claim],
        attempt: FinishedAttempt?
    ) async throws {
        let now = clock()
        try await write("checkpointing step \(lease.runID)/\(stepID) and finishing the run") { db in
            try requireLease(db, lease, now: now)
            try recordCompletion(
                db, lease.runID, stepID: stepID, outputs: outputs, inputDigest: inputDigest, claims: claims,
                attempt: attempt, now: now)
            try recordFinish(db, lease.runID, status: .done, lastError: nil, now: now)
        }
    }

    /// - Throws: ``StoreError`` `leaseLost`, or `notFound` when the step does not exist.
    public func setStepState(
        _ lease: Lease, stepID: String, status: StepStatus, lastError: String?, nextRetryAt: Date?
    ) async throws {
        let runID = lease.runID
        let now = clock()
        try await write("setting the state of step \(runID)/\(stepID)") { db in
            try requireLease(db, lease, now: now)
            try db.cachedStatement(
                sql: """
                    UPDATE steps SET status = ?, last_error = ?, next_retry_at = ?, updated_at = ? \
                    WHERE run_id = ? AND step_id = ?
                    """
            )
            .execute(arguments: [
                status.rawValue, lastError, nextRetryAt?.storedSeconds, now.storedSeconds, runID, stepID,
            ])
            try requireChange(db, "step \(stepID) of run \(runID)")
        }
    }

    /// Puts the steps back to `pending` with empty outputs and no digest, error or retry time, and releases the
    /// claims those steps made for this run, in one transaction. Attempt rows, and each step's attempt count,
    /// are kept as history.
    ///
    /// - Throws: ``StoreError`` `leaseLost`, or `notFound` (changing nothing) when one of the steps does not exist.
    public func resetSteps(_ lease: Lease, stepIDs: [String]) async throws {
        let runID = lease.runID
        let now = clock()
        try await write("resetting steps of run \(runID)") { db in
            try requireLease(db, lease, now: now)
            let reset = try db.cachedStatement(
                sql: """
                    UPDATE steps SET status = ?, outputs = '{}', input_digest = NULL, last_error = NULL, \
                    next_retry_at = NULL, updated_at = ? WHERE run_id = ? AND step_id = ?
                    """
            )
            let release = try db.cachedStatement(sql: "DELETE FROM claims WHERE run_id = ? AND step_id = ?")
            for stepID in stepIDs {
                try reset.execute(arguments: [StepStatus.pending.rawValue, now.storedSeconds, runID, stepID])
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

/// What ``SQLiteCheckpointStore/completeStep(_:stepID:outputs:inputDigest:claims:attempt:)`` writes, inside the
/// caller's transaction (its lease already checked).
func recordCompletion(
    _ db: Database, _ runID: String, stepID: String, outputs: [String: JSONValue], inputDigest: String?,
    claims: [Claim], attempt: FinishedAttempt?, now: Date
) throws {
    if let attempt, let id = attempt.id {
        try db.cachedStatement(
            sql: """
                UPDATE attempts SET outcome = ?, status_code = ?, finished_at = ?, finished_uptime = ? \
                WHERE id = ? AND run_id = ? AND step_id = ?
                """
        )
        .execute(arguments: [
            AttemptOutcome.succeeded.rawValue, attempt.statusCode, attempt.at.wall.storedSeconds,
            attempt.at.uptime, id, runID, stepID,
        ])
        try requireChange(db, "attempt \(id) of step \(stepID) of run \(runID)")
    } else if let attempt, var record = attempt.unrecorded, record.runID == runID, record.stepID == stepID {
        record.outcome = .succeeded
        record.statusCode = attempt.statusCode
        record.finishedAt = attempt.at.wall
        record.finishedUptime = attempt.at.uptime
        _ = try insertAttempt(db, record)
    }
    try db.cachedStatement(
        sql: """
            UPDATE steps SET status = ?, outputs = ?, input_digest = ?, last_error = NULL, \
            next_retry_at = NULL, updated_at = ? WHERE run_id = ? AND step_id = ?
            """
    )
    .execute(arguments: [
        StepStatus.done.rawValue, JSONValue.object(outputs).canonicalString(), inputDigest, now.storedSeconds,
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
            // Throwing rolls the whole transaction (or the write's savepoint) back.
            throw StoreError.claimConflict(claim, heldBy: holder)
        }
    }
}

func fetchSteps(_ db: Database, runID: String) throws -> [StepRecord] {
    try Row.fetchAll(
        db.cachedStatement(sql: "SELECT \(StepRecord.columns) FROM steps WHERE run_id = ? ORDER BY position"),
        arguments: [runID]
    )
    .map(StepRecord.init(row:))
}

func fetchAttempts(_ db: Database, runID: String, stepID: String?) throws -> [AttemptRecord] {
    let statement: Statement
    var arguments: StatementArguments = [runID]
    if let stepID {
        statement = try db.cachedStatement(
            sql: "SELECT \(AttemptRecord.columns) FROM attempts WHERE run_id = ? AND step_id = ? ORDER BY id")
        arguments += [stepID]
    } else {
        statement = try db.cachedStatement(sql: "SELECT \(AttemptRecord.columns) FROM attempts WHERE run_id = ? ORDER BY id")
    }
    return try Row.fetchAll(statement, arguments: arguments).map(AttemptRecord.init(row:))
}

func fetchClaimHolder(_ db: Database, _ claim: Claim) throws -> String? {
    try String.fetchOne(
        db.cachedStatement(sql: "SELECT run_id FROM claims WHERE scope = ? AND value = ?"),
        arguments: [claim.scope, claim.value]
    )
}

/// Inserts `attempt` (any `id` it carries is ignored), marks its step `running` and, for purpose `.send`, counts it
/// on the step.
func insertAttempt(_ db: Database, _ attempt: AttemptRecord) throws -> AttemptRecord {
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
    try db.cachedStatement(sql: "INSERT INTO attempts (\(AttemptRecord.columns)) VALUES (NULL, \(placeholders(19)))")
        .execute(arguments: [
            attempt.runID, attempt.stepID, attempt.purpose.rawValue, attempt.idempotencyKey, attempt.method,
            attempt.path, attempt.startedAt.storedSeconds, attempt.finishedAt?.storedSeconds,
            attempt.outcome?.rawValue, attempt.statusCode, attempt.error, attempt.effect.rawValue,
            attempt.requestDigest, attempt.inputsDigest, attempt.timeout, attempt.startedUptime,
            attempt.finishedUptime, attempt.bootID, attempt.disprovedAt?.storedSeconds,
        ])
    var stored = attempt
    stored.id = db.lastInsertedRowID
    return stored
}
