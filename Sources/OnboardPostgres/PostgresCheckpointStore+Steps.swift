// Steps, attempts and claims: the checkpoints written on the hot path of every step.
import Foundation
import OnboardCore
import PostgresNIO

extension PostgresCheckpointStore {
    // MARK: Steps and attempts

    public func steps(runID: String) async throws -> [StepRecord] {
        try await read("reading the steps of run \(runID)") { connection in
            try await connection.rows(
                "SELECT \(unescaped: StepRecord.columns) FROM steps WHERE run_id = \(runID) ORDER BY position"
            )
            .map(StepRecord.init(postgres:))
        }
    }

    public func attempts(runID: String, stepID: String?) async throws -> [AttemptRecord] {
        try await read("reading the attempts of run \(runID)") { connection in
            let rows: [PostgresRandomAccessRow]
            if let stepID {
                rows = try await connection.rows(
                    """
                    SELECT \(unescaped: AttemptRecord.columns) FROM attempts \
                    WHERE run_id = \(runID) AND step_id = \(stepID) ORDER BY id
                    """)
            } else {
                rows = try await connection.rows(
                    "SELECT \(unescaped: AttemptRecord.columns) FROM attempts WHERE run_id = \(runID) ORDER BY id")
            }
            return try rows.map(AttemptRecord.init(postgres:))
        }
    }

    /// Records `attempt` as given (normally with no outcome yet) and, in the same transaction, checks `lease`,
    /// takes a purchase slot when `attempt.effect` is `.purchase` (see `takePurchaseSlot`), marks its step
    /// `running` and, for purpose `.send`, counts it on the step. When `attempt.effect` creates something the
    /// commit is flushed to the server's disk before this returns (see the type's Durability).
    ///
    /// - Returns: `attempt` with the `id` the store assigned (any `id` it carried is ignored).
    /// - Throws: `StoreError` `leaseLost`, `purchaseCeiling`, or `notFound` when the step does not exist.
    public func beginAttempt(_ attempt: AttemptRecord, lease: Lease) async throws -> AttemptRecord {
        try await write("recording an attempt of \(attempt.runID)/\(attempt.stepID)") { connection in
            try await requireLease(connection, lease, durable: attempt.effect.createsSomething)
            if attempt.effect == .purchase {
                try await takePurchaseSlot(connection, runID: attempt.runID, stepID: attempt.stepID)
            }
            return try await insertAttempt(connection, attempt)
        }
    }

    /// - Throws: `StoreError` `leaseLost`, or `notFound` when no attempt of the lease's run has this `id`.
    public func finishAttempt(
        id: Int64, outcome: AttemptOutcome, statusCode: Int?, error: String?, at: ClockReading, lease: Lease
    ) async throws {
        try await write("recording the outcome of attempt \(id)") { connection in
            try await requireLease(connection, lease)
            let changed = try await connection.rows(
                """
                UPDATE attempts SET outcome = \(outcome.rawValue), status_code = \(statusCode), error = \(error), \
                finished_at = \(at.wall), finished_uptime = \(at.uptime) \
                WHERE id = \(id) AND run_id = \(lease.runID) RETURNING id
                """)
            guard !changed.isEmpty else { throw StoreError(.notFound, "no attempt \(id) in the database") }
        }
    }

    public func disprove(attemptIDs: [Int64], lease: Lease) async throws {
        guard !attemptIDs.isEmpty else { return }
        try await write("recording what a lookup disproved") { connection in
            try await requireLease(connection, lease)
            try await connection.execute(
                """
                UPDATE attempts SET disproved_at = clock_timestamp() \
                WHERE id = ANY(\(attemptIDs)) AND run_id = \(lease.runID)
                """)
        }
    }

    /// In one transaction: checks `lease`; finishes `attempt` (if given; it must belong to this step) as
    /// succeeded with its status code; marks the step `done` with `outputs` and `inputDigest`, clearing its
    /// error and retry time; and records `claims` as held by this step of the lease's run.
    ///
    /// Claims go in sorted, so two transactions claiming overlapping values wait for each other in the same
    /// order and never deadlock; a claim another transaction is inserting is waited for, then seen. A claim this
    /// run already holds is accepted as is (so a repeated call is harmless).
    ///
    /// - Throws: `StoreError.claimConflict(_:heldBy:)` when another run holds one of `claims`, `leaseLost`, and
    ///   `notFound` for a missing step or attempt; either way nothing is changed.
    public func completeStep(
        _ lease: Lease, stepID: String, outputs: [String: JSONValue], inputDigest: String?, claims: [Claim],
        attempt: FinishedAttempt?
    ) async throws {
        let runID = lease.runID
        try await write("checkpointing step \(runID)/\(stepID)") { connection in
            try await requireLease(connection, lease)
            if let attempt, let id = attempt.id {
                let finished = try await connection.rows(
                    """
                    UPDATE attempts SET outcome = \(AttemptOutcome.succeeded.rawValue), \
                    status_code = \(attempt.statusCode), finished_at = \(attempt.at.wall), \
                    finished_uptime = \(attempt.at.uptime) \
                    WHERE id = \(id) AND run_id = \(runID) AND step_id = \(stepID) RETURNING id
                    """)
                guard !finished.isEmpty else {
                    throw StoreError(.notFound, "no attempt \(id) of step \(stepID) of run \(runID) in the database")
                }
            } else if let attempt, var record = attempt.unrecorded, record.runID == runID, record.stepID == stepID {
                // A read written only now, whole, with its answer (see `FinishedAttempt`).
                record.outcome = .succeeded
                record.statusCode = attempt.statusCode
                record.finishedAt = attempt.at.wall
                record.finishedUptime = attempt.at.uptime
                _ = try await insertAttempt(connection, record)
            }
            let step = try await connection.rows(
                """
                UPDATE steps SET status = \(StepStatus.done.rawValue), \
                outputs = \(JSONValue.object(outputs).canonicalString())::json, input_digest = \(inputDigest), \
                last_error = NULL, next_retry_at = NULL, updated_at = clock_timestamp() \
                WHERE run_id = \(runID) AND step_id = \(stepID) RETURNING step_id
                """)
            guard !step.isEmpty else { throw StoreError(.notFound, "no step \(stepID) of run \(runID) in the database") }
            for claim in claims.sorted(by: { ($0.scope, $0.value) < ($1.scope, $1.value) }) {
                let inserted = try await connection.rows(
                    """
                    INSERT INTO claims (scope, value, run_id, step_id) \
                    VALUES (\(claim.scope), \(claim.value), \(runID), \(stepID)) \
                    ON CONFLICT (scope, value) DO NOTHING RETURNING run_id
                    """)
                if inserted.isEmpty, let holder = try await fetchClaimHolder(connection, claim), holder != runID {
                    // Throwing rolls the whole transaction back.
                    throw StoreError.claimConflict(claim, heldBy: holder)
                }
            }
        }
    }

    /// - Throws: `StoreError` `leaseLost`, or `notFound` when the step does not exist.
    public func setStepState(
        _ lease: Lease, stepID: String, status: StepStatus, lastError: String?, nextRetryAt: Date?
    ) async throws {
        let runID = lease.runID
        try await write("setting the state of step \(runID)/\(stepID)") { connection in
            try await requireLease(connection, lease)
            let changed = try await connection.rows(
                """
                UPDATE steps SET status = \(status.rawValue), last_error = \(lastError), \
                next_retry_at = \(nextRetryAt), updated_at = clock_timestamp() \
                WHERE run_id = \(runID) AND step_id = \(stepID) RETURNING step_id
                """)
            guard !changed.isEmpty else { throw StoreError(.notFound, "no step \(stepID) of run \(runID) in the database") }
        }
    }

    /// Puts the steps back to `pending` with empty outputs and no digest, error or retry time, and releases the
    /// claims those steps made for this run, in one transaction. Attempt rows, and each step's attempt count,
    /// are kept as history.
    ///
    /// - Throws: `StoreError` `leaseLost`, or `notFound` (changing nothing) when one of the steps does not exist.
    public func resetSteps(_ lease: Lease, stepIDs: [String]) async throws {
        let runID = lease.runID
        try await write("resetting steps of run \(runID)") { connection in
            try await requireLease(connection, lease)
            for stepID in stepIDs {
                let changed = try await connection.rows(
                    """
                    UPDATE steps SET status = \(StepStatus.pending.rawValue), outputs = '{}', input_digest = NULL, \
                    last_error = NULL, next_retry_at = NULL, updated_at = clock_timestamp() \
                    WHERE run_id = \(runID) AND step_id = \(stepID) RETURNING step_id
                    """)
                guard !changed.isEmpty else {
                    throw StoreError(.notFound, "no step \(stepID) of run \(runID) in the database")
                }
                try await connection.execute("DELETE FROM claims WHERE run_id = \(runID) AND step_id = \(stepID)")
            }
        }
    }

    // MARK: Claims

    public func claimHolder(_ claim: Claim) async throws -> String? {
        try await read("reading the holder of \(claim.scope) \(claim.value)") { connection in
            try await fetchClaimHolder(connection, claim)
        }
    }
}

func fetchClaimHolder(_ connection: PostgresConnection, _ claim: Claim) async throws -> String? {
    try await connection.rows("SELECT run_id FROM claims WHERE scope = \(claim.scope) AND value = \(claim.value)")
        .first?.value("run_id")
}

/// Inserts `attempt` as given and marks its step `running`, counting it on the step when its purpose is `.send`;
/// the caller holds the transaction and has checked the lease. Returns the record with the id the store assigned.
///
/// - Throws: `StoreError` `notFound` when the step does not exist.
func insertAttempt(_ connection: PostgresConnection, _ attempt: AttemptRecord) async throws -> AttemptRecord {
    let step = try await connection.rows(
        """
        UPDATE steps SET status = \(StepStatus.running.rawValue), \
        attempts = attempts + \(attempt.purpose == .send ? 1 : 0), updated_at = \(attempt.startedAt) \
        WHERE run_id = \(attempt.runID) AND step_id = \(attempt.stepID) RETURNING step_id
        """)
    guard !step.isEmpty else {
        throw StoreError(.notFound, "no step \(attempt.stepID) of run \(attempt.runID) in the database")
    }
    let inserted = try await connection.rows(
        """
        INSERT INTO attempts (run_id, step_id, purpose, idempotency_key, method, path, started_at, \
        finished_at, outcome, status_code, error, effect, request_digest, inputs_digest, timeout, \
        started_uptime, finished_uptime, boot_id, disproved_at) VALUES (\(attempt.runID), \(attempt.stepID), \
        \(attempt.purpose.rawValue), \(attempt.idempotencyKey), \(attempt.method), \(attempt.path), \
        \(attempt.startedAt), \(attempt.finishedAt), \(attempt.outcome?.rawValue), \(attempt.statusCode), \
        \(attempt.error), \(attempt.effect.rawValue), \(attempt.requestDigest), \(attempt.inputsDigest), \
        \(attempt.timeout), \(attempt.startedUptime), \(attempt.finishedUptime), \(attempt.bootID), \
        \(attempt.disprovedAt)) RETURNING id
        """)
    var stored = attempt
    stored.id = try inserted.first?.value("id", as: Int64.self)
    return stored
}
