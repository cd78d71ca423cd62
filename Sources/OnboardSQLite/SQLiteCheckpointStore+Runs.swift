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
                sql: "INSERT INTO runs (\(RunRecord.columns)) VALUES (\(placeholders(19))) ON CONFLICT (key) DO NOTHING"
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

    /// Runs matching every field of `filter` that is set, oldest first (`created_at`, then `id`) or newest first,
    /// `filter.offset` skipped, at most `filter.limit` of them.
    ///
    /// Every order is an index's order (`runs_created_at`; with a status or a batch, the indexes of
    /// `0004_pages.sql`), so a page of 50 reads about 50 rows plus the skipped ones' index entries.
    public func runs(matching filter: RunFilter) async throws -> [RunRecord] {
        let (conditions, arguments) = Self.conditions(of: filter, includingStatus: true)
        let direction = filter.newestFirst ? "DESC" : "ASC"
        var sql = "SELECT \(RunRecord.columns) FROM runs\(conditions) ORDER BY created_at \(direction), id \(direction)"
        var allArguments = arguments
        if filter.limit != nil || filter.offset != nil {
            // SQLite takes LIMIT -1 as "no limit", the only way to write an OFFSET alone.
            sql += " LIMIT ? OFFSET ?"
            allArguments += [filter.limit ?? -1, max(0, filter.offset ?? 0)]
        }
        return try await read("listing runs") { [sql, allArguments] db in
            try Row.fetchAll(db.cachedStatement(sql: sql), arguments: allArguments).map(RunRecord.init(row:))
        }
    }

    /// Counts per status of the runs matching `filter`, ignoring its `status`, `limit`, `offset` and order.
    /// Statuses no run has are absent.
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

    /// Replaces the pins under `lease`, first keeping the inputs being replaced in `input_versions`.
    public func repin(
        _ lease: Lease, definitionDigest: String, inputsDigest: String, inputs: JSONValue, accepted: [String]
    ) async throws {
        let now = clock()
        try await write("repinning run \(lease.runID)") { db in
            try requireLease(db, lease, now: now)
            try db.cachedStatement(
                sql: """
                    INSERT INTO input_versions (run_id, digest, inputs) \
                    SELECT id, inputs_digest, inputs FROM runs WHERE id = ? ON CONFLICT DO NOTHING
                    """
            )
            .execute(arguments: [lease.runID])
            try db.cachedStatement(
                sql: """
                    UPDATE runs SET definition_digest = ?, inputs_digest = ?, inputs = ?, updated_at = ? \
                    WHERE id = ?
                    """
            )
            .execute(arguments: [
                definitionDigest, inputsDigest, inputs.canonicalString(), now.storedSeconds, lease.runID,
            ])
            if !accepted.isEmpty {
                try db.cachedStatement(sql: "INSERT INTO accepted_changes (run_id, accepted_at, lines) VALUES (?, ?, ?)")
                    .execute(arguments: [
                        lease.runID, now.storedSeconds, JSONValue.array(accepted.map(JSONValue.string)).canonicalString(),
                    ])
            }
        }
    }

    public func acceptedChanges(runID: String) async throws -> [AcceptedChange] {
        try await read("reading the accepted changes of run \(runID)") { db in
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT accepted_at, lines FROM accepted_changes WHERE run_id = ? ORDER BY accepted_at, rowid"),
                arguments: [runID])
            return try rows.map { row in
                let text: String = row["lines"]
                guard case .array(let values)? = try? JSONValue(jsonData: Data(text.utf8)) else {
                    throw StoreError(.io, "the accepted changes of run \(runID) are malformed JSON")
                }
                return AcceptedChange(
                    acceptedAt: Date(timeIntervalSince1970: row["accepted_at"]),
                    lines: values.map { $0.stringValue ?? $0.canonicalString() })
            }
        }
    }

    public func inputs(runID: String, digest: String) async throws -> JSONValue? {
        try await read("reading the inputs of run \(runID)") { db in
            let sql = """
                SELECT inputs FROM runs WHERE id = ? AND inputs_digest = ? \
                UNION ALL SELECT inputs FROM input_versions WHERE run_id = ? AND digest = ? LIMIT 1
                """
            guard let text = try String.fetchOne(db.cachedStatement(sql: sql), arguments: [runID, digest, runID, digest])
            else { return nil }
            do {
                return try JSONValue(jsonText: text)
            } catch {
                throw StoreError(.io, "the stored inputs of run \(runID) are malformed JSON")
            }
        }
    }

    // MARK: Leases

    /// Takes the lease in one `UPDATE` whose `WHERE` accepts a free or expired lease (or the proved-dead
    /// `deadHolder`'s), so two processes asking at once cannot both succeed; the epoch grows in the same statement.
    ///
    /// - Throws: ``StoreError`` `notFound` when the run does not exist.
    public func acquireLease(
        runID: String, owner: String, duration: Duration, replacing deadHolder: String?
    ) async throws -> LeaseAcquisition {
        try await acquireLease(runID: runID, owner: owner, duration: duration, replacing: deadHolder, reading: false).0
    }

    /// Takes the lease and reads the run, its steps and attempts in the same transaction: one commit and no
    /// read for what an execution needs before its first step (the execution's own lease makes them current).
    public func acquireLeaseReading(
        runID: String, owner: String, duration: Duration, replacing deadHolder: String?
    ) async throws -> (LeaseAcquisition, RunSnapshot?) {
        try await acquireLease(runID: runID, owner: owner, duration: duration, replacing: deadHolder, reading: true)
    }

    private func acquireLease(
        runID: String, owner: String, duration: Duration, replacing deadHolder: String?, reading: Bool
    ) async throws -> (LeaseAcquisition, RunSnapshot?) {
        let now = clock()
        let until = now.addingTimeInterval(duration.seconds)
        return try await write("taking the lease of run \(runID)") { db in
            try db.cachedStatement(
                sql: """
                    UPDATE runs SET lease_owner = ?, lease_expires_at = ?, lease_epoch = lease_epoch + 1, status = ?, \
                    last_error = NULL, updated_at = ? \
                    WHERE id = ? AND (lease_owner IS NULL OR lease_expires_at < ? OR lease_owner = ?)
                    """
            )
            .execute(arguments: [
                owner, until.storedSeconds, RunStatus.running.rawValue, now.storedSeconds, runID, now.storedSeconds,
                deadHolder ?? "",
            ])
            guard let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT lease_owner, lease_expires_at, lease_epoch FROM runs WHERE id = ?"),
                arguments: [runID])
            else { throw StoreError(.notFound, "no run \(runID) in the database") }
            let holder: String? = row["lease_owner"]
            guard db.changesCount == 1 && holder == owner else {
                return (.held(by: holder ?? "", expiresAt: try row.optionalDate("lease_expires_at")), nil)
            }
            let acquired = LeaseAcquisition.acquired(Lease(runID: runID, owner: owner, epoch: row["lease_epoch"]))
            guard reading,
                let run = try fetchRun(db, sql: "SELECT \(RunRecord.columns) FROM runs WHERE id = ?", arguments: [runID])
            else { return (acquired, nil) }
            let snapshot = RunSnapshot(
                run: run, steps: try fetchSteps(db, runID: runID), attempts: try fetchAttempts(db, runID: runID, stepID: nil))
            return (acquired, snapshot)
        }
    }

    /// Extends the lease while it is current: same owner and epoch, not yet expired.
    public func renewLease(_ lease: Lease, duration: Duration) async throws -> Bool {
        let now = clock()
        return try await write("renewing the lease of run \(lease.runID)") { db in
            try db.cachedStatement(
                sql: """
                    UPDATE runs SET lease_expires_at = ? \
                    WHERE id = ? AND lease_owner = ? AND lease_epoch = ? AND lease_expires_at >= ?
                    """
            )
            .execute(arguments: [
                now.addingTimeInterval(duration.seconds).storedSeconds, lease.runID, lease.owner, lease.epoch,
                now.storedSeconds,
            ])
            return db.changesCount == 1
        }
    }

    public func finishRun(_ lease: Lease, status: RunStatus, lastError: String?) async throws {
        let now = clock()
        try await write("finishing run \(lease.runID)") { db in
            try requireLease(db, lease, now: now)
            try recordFinish(db, lease.runID, status: status, lastError: lastError, now: now)
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
        if let text = filter.keyContains, !text.isEmpty {
            // instr() compares literally: no LIKE wildcards to escape, and case-sensitive like the keys themselves.
            clauses.append("instr(key, ?) > 0")
            arguments += [text]
        }
        if let since = filter.updatedSince {
            clauses.append("updated_at >= ?")
            arguments += [since.storedSeconds]
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

/// Sets the run's final status and releases its lease, inside the caller's transaction (its lease checked).
func recordFinish(_ db: Database, _ runID: String, status: RunStatus, lastError: String?, now: Date) throws {
    try db.cachedStatement(
        sql: """
            UPDATE runs SET status = ?, last_error = ?, updated_at = ?, lease_owner = NULL, \
            lease_expires_at = NULL WHERE id = ?
            """
    )
    .execute(arguments: [status.rawValue, lastError, now.storedSeconds, runID])
}

/// Throws `notFound` for `what` unless the last statement changed a row.
func requireChange(_ db: Database, _ what: @autoclosure () -> String) throws {
    guard db.changesCount > 0 else { throw StoreError(.notFound, "no \(what()) in the database") }
}

/// The fence of every commit that records or completes work: throws `leaseLost` (the transaction then rolls back)
/// unless `lease` is current at `now`: same owner, same epoch, not expired.
func requireLease(_ db: Database, _ lease: Lease, now: Date) throws {
    guard
        let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT lease_owner, lease_epoch, lease_expires_at FROM runs WHERE id = ?"),
            arguments: [lease.runID])
    else { throw StoreError(.notFound, "no run \(lease.runID) in the database") }
    let owner: String? = row["lease_owner"]
    let epoch: Int64 = row["lease_epoch"]
    let expiresAt: Double? = row["lease_expires_at"]
    guard owner == lease.owner, epoch == lease.epoch, let expiresAt, expiresAt >= now.storedSeconds else {
        let holder = owner != lease.owner || epoch != lease.epoch ? owner : nil
        throw StoreError.leaseLost(lease, holder: holder)
    }
}

/// `?, ?, …` for `count` values.
func placeholders(_ count: Int) -> String {
    Array(repeating: "?", count: count).joined(separator: ", ")
}
