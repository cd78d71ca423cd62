// Runs, their leases, and batches.
import Foundation
import GRDB
import OnboardCore

extension SQLiteCheckpointStore {
    // MARK: Runs

    /// Inserts `run` and one `pending` step per id of `stepIDs`, in one transaction, unless a run with the same
    /// `key` exists; returns the stored run either way.
    ///
    /// Safe when processes race: the insert yields to the `UNIQUE` key (`ON CONFLICT (key) DO NOTHING`), the steps
    /// are inserted only by the transaction whose run row went in, and the run is read back in that transaction.
    /// A different key with the same `id` is an error, not a silent merge.
    public func createRun(_ run: RunRecord, stepIDs: [String]) async throws -> RunRecord {
        try await write("creating run \(run.id)") { db in
            let insertRun = try db.cachedStatement(
                sql: "INSERT INTO runs (\(RunRecord.columns)) VALUES (\(placeholders(16))) ON CONFLICT (key) DO NOTHING"
            )
            do {
                try insertRun.execute(arguments: run.arguments)
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
                throw StoreError(.io, "run id \(run.id) (key \(run.key)) is already used by a run with another key")
            }
            if db.changesCount == 1 {
                let insertStep = try db.cachedStatement(
                    sql: "INSERT INTO steps (run_id, step_id, position, status, updated_at) VALUES (?, ?, ?, ?, ?)")
                for (position, stepID) in stepIDs.enumerated() {
                    try insertStep.execute(arguments: [
                        run.id, stepID, position, StepStatus.pending.rawValue, run.createdAt.storedSeconds,
                    ])
                }
            }
            guard let stored = try fetchRun(db, key: run.key) else {
                throw StoreError(.io, "run \(run.key) vanished while it was being created")
            }
            return stored
        }
    }

    public func run(id: String) async throws -> RunRecord? {
        try await read("reading run \(id)") { db in
            try fetchRun(db, sql: "SELECT \(RunRecord.columns) FROM runs WHERE id = ?", arguments: [id])
        }
    }

    public func run(key: String) async throws -> RunRecord? {
        try await read("reading run \(key)") { db in try fetchRun(db, key: key) }
    }

    /// Runs matching every field of `filter` that is set, oldest first (`created_at`, then `id`), at most
    /// `filter.limit` of them.
    public func runs(matching filter: RunFilter) async throws -> [RunRecord] {
        let (conditions, arguments) = Self.conditions(of: filter, includingStatus: true)
        var sql = "SELECT \(RunRecord.columns) FROM runs\(conditions) ORDER BY created_at, id"
        var allArguments = arguments
        if let limit = filter.limit {
            sql += " LIMIT ?"
            allArguments += [limit]
        }
        return try await read("listing runs") { [sql, allArguments] db in
            try Row.fetchAll(db.cachedStatement(sql: sql), arguments: allArguments).map(RunRecord.init(row:))
        }
    }

    /// Counts per status of the runs matching `filter`, ignoring its `status` and `limit`. Statuses no run has
    /// are absent.
    public func runCounts(matching filter: RunFilter) async throws -> [RunStatus: Int] {
        let (conditions, arguments) = Self.conditions(of: filter, includingStatus: false)
        let sql = "SELECT status, COUNT(*) AS count FROM runs\(conditions) GROUP BY status"
        return try await read("counting runs") { db in
            var counts: [RunStatus: Int] = [:]
            for row in try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments) {
                let status: RunStatus = try row.enumeration("status", in: "runs")
                counts[status] = try row.decode(Int.self, forColumn: "count")
            }
            return counts
        }
    }

    public func setRunStatus(runID: String, status: RunStatus, lastError: String?, at: Date) async throws {
        try await write("setting the status of run \(runID)") { db in
            try db.cachedStatement(sql: "UPDATE runs SET status = ?, last_error = ?, updated_at = ? WHERE id = ?")
                .execute(arguments: [status.rawValue, lastError, at.storedSeconds, runID])
            try requireChange(db, "run \(runID)")
        }
    }

    public func repin(
        runID: String, definitionDigest: String, inputsDigest: String, inputs: JSONValue, at: Date
    ) async throws {
        try await write("repinning run \(runID)") { db in
            try db.cachedStatement(
                sql: """
                    UPDATE runs SET definition_digest = ?, inputs_digest = ?, inputs = ?, updated_at = ? \
                    WHERE id = ?
                    """
            )
            .execute(arguments: [definitionDigest, inputsDigest, inputs.canonicalString(), at.storedSeconds, runID])
            try requireChange(db, "run \(runID)")
        }
    }

    // MARK: Leases

    /// Takes the lease in one `UPDATE` whose `WHERE` accepts a free, expired or already-owned lease, so two
    /// processes asking at once cannot both succeed.
    ///
    /// - Throws: ``StoreError`` `notFound` when the run does not exist.
    public func acquireLease(runID: String, owner: String, until: Date, now: Date) async throws -> Bool {
        try await write("taking the lease of run \(runID)") { db in
            try db.cachedStatement(
                sql: """
                    UPDATE runs SET lease_owner = ?, lease_expires_at = ?, status = ?, last_error = NULL, \
                    updated_at = ? WHERE id = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_expires_at < ?)
                    """
            )
            .execute(arguments: [
                owner, until.storedSeconds, RunStatus.running.rawValue, now.storedSeconds, runID, owner,
                now.storedSeconds,
            ])
            if db.changesCount == 1 { return true }
            try requireRun(db, runID)
            return false
        }
    }

    /// Extends the lease if `owner` still holds it (even past its expiry, as long as nobody took it over).
    public func renewLease(runID: String, owner: String, until: Date) async throws -> Bool {
        try await write("renewing the lease of run \(runID)") { db in
            try db.cachedStatement(sql: "UPDATE runs SET lease_expires_at = ? WHERE id = ? AND lease_owner = ?")
                .execute(arguments: [until.storedSeconds, runID, owner])
            return db.changesCount == 1
        }
    }

    /// Frees the lease if `owner` holds it; does nothing otherwise.
    public func releaseLease(runID: String, owner: String) async throws {
        try await write("releasing the lease of run \(runID)") { db in
            try db.cachedStatement(
                sql: "UPDATE runs SET lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND lease_owner = ?"
            )
            .execute(arguments: [runID, owner])
        }
    }

    public func finishRun(runID: String, owner: String, status: RunStatus, lastError: String?, at: Date) async throws {
        try await write("finishing run \(runID)") { db in
            try db.cachedStatement(
                sql: """
                    UPDATE runs SET status = ?, last_error = ?, updated_at = ?, \
                    lease_owner = CASE WHEN lease_owner = ? THEN NULL ELSE lease_owner END, \
                    lease_expires_at = CASE WHEN lease_owner = ? THEN NULL ELSE lease_expires_at END \
                    WHERE id = ?
                    """
            )
            .execute(arguments: [status.rawValue, lastError, at.storedSeconds, owner, owner, runID])
            try requireChange(db, "run \(runID)")
        }
    }

    // MARK: Batches

    public func createBatch(_ batch: BatchRecord) async throws -> BatchRecord {
        try await write("creating batch \(batch.id)") { db in
            try db.cachedStatement(
                sql: """
                    INSERT INTO batches (\(BatchRecord.columns)) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING
                    """
            )
            .execute(arguments: [
                batch.id, batch.manifestPath, batch.workflow, batch.createdAt.storedSeconds,
                batch.updatedAt.storedSeconds,
            ])
            guard let stored = try fetchBatch(db, id: batch.id) else {
                throw StoreError(.io, "batch \(batch.id) vanished while it was being created")
            }
            return stored
        }
    }

    public func batch(id: String) async throws -> BatchRecord? {
        try await read("reading batch \(id)") { db in try fetchBatch(db, id: id) }
    }

    // MARK: Helpers

    /// The `WHERE` clause (with a leading space, or empty) and arguments for the set fields of `filter`.
    static func conditions(of filter: RunFilter, includingStatus: Bool) -> (String, StatementArguments) {
        var clauses: [String] = []
        var arguments: StatementArguments = []
        if includingStatus, let status = filter.status {
            clauses.append("status = ?")
            arguments += [status.rawValue]
        }
        if let batchID = filter.batchID {
            clauses.append("batch_id = ?")
            arguments += [batchID]
        }
        if let parentID = filter.parentID {
            clauses.append("parent_id = ?")
            arguments += [parentID]
        }
        if let kind = filter.kind {
            clauses.append("kind = ?")
            arguments += [kind.rawValue]
        }
        return (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "), arguments)
    }
}

func fetchRun(_ db: Database, key: String) throws -> RunRecord? {
    try fetchRun(db, sql: "SELECT \(RunRecord.columns) FROM runs WHERE key = ?", arguments: [key])
}

func fetchRun(_ db: Database, sql: String, arguments: StatementArguments) throws -> RunRecord? {
    try Row.fetchOne(db.cachedStatement(sql: sql), arguments: arguments).map(RunRecord.init(row:))
}

func fetchBatch(_ db: Database, id: String) throws -> BatchRecord? {
    try Row.fetchOne(
        db.cachedStatement(sql: "SELECT \(BatchRecord.columns) FROM batches WHERE id = ?"), arguments: [id]
    )
    .map(BatchRecord.init(row:))
}

/// Throws `notFound` for `what` unless the last statement changed a row.
func requireChange(_ db: Database, _ what: @autoclosure () -> String) throws {
    guard db.changesCount > 0 else { throw StoreError(.notFound, "no \(what()) in the database") }
}

func requireRun(_ db: Database, _ runID: String) throws {
    let exists =
        try Bool.fetchOne(
            db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM runs WHERE id = ?)"), arguments: [runID]) ?? false
    guard exists else { throw StoreError(.notFound, "no run \(runID) in the database") }
}

/// `?, ?, …` for `count` values.
func placeholders(_ count: Int) -> String {
    Array(repeating: "?", count: count).joined(separator: ", ")
}
