// Runs, their leases, and batches.
import Foundation
import OnboardCore
import PostgresNIO

extension PostgresCheckpointStore {
    // MARK: Runs

    /// Inserts `run` and its `pending` steps in one transaction unless a run with the same `key` exists, and
    /// returns the stored run either way.
    ///
    /// Safe when processes race: the insert yields to any unique conflict (`ON CONFLICT DO NOTHING`, which waits
    /// for a concurrent inserter of the same key or id to commit; naming only `key` as the arbiter would let the
    /// primary key raise an error in that race), only the transaction whose row went in inserts the steps, and the
    /// run is read back by a later statement, which sees the winner's row. A different key with the same `id` is
    /// an error, not a silent merge.
    public func createRun(_ run: RunRecord, stepIDs: [String]) async throws -> RunRecord {
        try await write("creating run \(run.id)") { connection in
            let inserted = try await connection.rows(
                """
                INSERT INTO runs (\(unescaped: RunRecord.columns)) VALUES (\(run.id), \(run.key), \
                \(run.kind.rawValue), \(run.parentID), \(run.batchID), \(run.workflow), \(run.definitionDigest), \
                \(run.inputsDigest), \(run.inputs.canonicalString())::json, \(run.inputPath), \(run.status.rawValue), \
                \(run.lastError), \(run.createdAt), \(run.updatedAt), \(run.leaseOwner), \(run.leaseExpiresAt), \
                \(run.leaseEpoch), \(run.baseURL), \(run.workflowPath)) ON CONFLICT DO NOTHING RETURNING id
                """)
            if !inserted.isEmpty && !stepIDs.isEmpty {
                try await connection.execute(
                    """
                    INSERT INTO steps (run_id, step_id, position, status, updated_at) \
                    SELECT \(run.id), step_id, position - 1, \(StepStatus.pending.rawValue), \(run.createdAt) \
                    FROM unnest(\(stepIDs)::text[]) WITH ORDINALITY AS given (step_id, position)
                    """)
            }
            guard let stored = try await fetchRun(connection, key: run.key) else {
                // Nothing went in and no run has this key: the id belongs to a run with another key.
                throw StoreError(.io, "run id \(run.id) (key \(run.key)) is already used by a run with another key")
            }
            return stored
        }
    }

    public func run(id: String) async throws -> RunRecord? {
        try await read("reading run \(id)") { connection in
            try await connection.rows("SELECT \(unescaped: RunRecord.columns) FROM runs WHERE id = \(id)")
                .first.map(RunRecord.init(postgres:))
        }
    }

    public func run(key: String) async throws -> RunRecord? {
        try await read("reading run \(key)") { connection in try await fetchRun(connection, key: key) }
    }

    /// Runs matching every field of `filter` that is set, oldest first (`created_at`, then `id`), at most
    /// `filter.limit` of them.
    public func runs(matching filter: RunFilter) async throws -> [RunRecord] {
        var query = Self.conditions(of: filter, includingStatus: true)
        let direction = filter.newestFirst ? "DESC" : "ASC"
        query.sql = "SELECT \(RunRecord.columns) FROM runs\(query.sql) ORDER BY created_at \(direction), id \(direction)"
        if let limit = filter.limit {
            query.binds.append(limit)
            query.sql += " LIMIT $\(query.binds.count)"
        }
        if let offset = filter.offset, offset > 0 {
            query.binds.append(offset)
            query.sql += " OFFSET $\(query.binds.count)"
        }
        return try await read("listing runs") { connection in
            try await connection.rows(query).map(RunRecord.init(postgres:))
        }
    }

    /// Counts per status of the runs matching `filter`, ignoring its `status` and `limit`.
    public func runCounts(matching filter: RunFilter) async throws -> [RunStatus: Int] {
        var query = Self.conditions(of: filter, includingStatus: false)
        query.sql = "SELECT status, count(*) AS count FROM runs\(query.sql) GROUP BY status"
        return try await read("counting runs") { connection in
            var counts: [RunStatus: Int] = [:]
            for row in try await connection.rows(query) {
                let status: RunStatus = try row.enumeration("status", in: "runs")
                counts[status] = try row.value("count", as: Int.self)
            }
            return counts
        }
    }

    /// Replaces the pins under `lease`, first keeping the inputs being replaced in `input_versions`.
    public func repin(
        _ lease: Lease, definitionDigest: String, inputsDigest: String, inputs: JSONValue, accepted: [String]
    ) async throws {
        try await write("repinning run \(lease.runID)") { connection in
            try await requireLease(connection, lease)
            try await connection.execute(
                """
                INSERT INTO input_versions (run_id, digest, inputs) \
                SELECT id, inputs_digest, inputs FROM runs WHERE id = \(lease.runID) ON CONFLICT DO NOTHING
                """)
            try await connection.execute(
                """
                UPDATE runs SET definition_digest = \(definitionDigest), inputs_digest = \(inputsDigest), \
                inputs = \(inputs.canonicalString())::json, updated_at = clock_timestamp() WHERE id = \(lease.runID)
                """)
            if !accepted.isEmpty {
                let lines = JSONValue.array(accepted.map(JSONValue.string)).canonicalString()
                try await connection.execute(
                    """
                    INSERT INTO accepted_changes (run_id, accepted_at, lines) \
                    VALUES (\(lease.runID), clock_timestamp(), \(lines)::json)
                    """)
            }
        }
    }

    public func acceptedChanges(runID: String) async throws -> [AcceptedChange] {
        try await read("reading the accepted changes of run \(runID)") { connection in
            let rows = try await connection.rows(
                """
                SELECT accepted_at, lines FROM accepted_changes WHERE run_id = \(runID) ORDER BY accepted_at, ctid
                """)
            return try rows.map { row in
                guard case .array(let values) = try row.json("lines", in: "accepted_changes") else {
                    throw StoreError(.io, "the accepted changes of run \(runID) are not a list")
                }
                return AcceptedChange(
                    acceptedAt: try row.value("accepted_at", as: Date.self),
                    lines: values.map { $0.stringValue ?? $0.canonicalString() })
            }
        }
    }

    public func inputs(runID: String, digest: String) async throws -> JSONValue? {
        try await read("reading the inputs of run \(runID)") { connection in
            let rows = try await connection.rows(
                """
                SELECT inputs FROM runs WHERE id = \(runID) AND inputs_digest = \(digest) \
                UNION ALL SELECT inputs FROM input_versions WHERE run_id = \(runID) AND digest = \(digest) LIMIT 1
                """)
            guard let row = rows.first else { return nil }
            return try row.json("inputs", in: "runs")
        }
    }

    // MARK: Leases

    /// Takes the lease in one `UPDATE` whose `WHERE` accepts a free or expired lease (or the proved-dead
    /// `deadHolder`'s). Of two concurrent takers the second waits for the first's row lock, and PostgreSQL then
    /// re-evaluates its `WHERE` on the row the first wrote, so it sees a live lease and changes nothing.
    public func acquireLease(
        runID: String, owner: String, duration: Duration, replacing deadHolder: String?
    ) async throws -> LeaseAcquisition {
        try await write("taking the lease of run \(runID)") { connection in
            let taken = try await connection.rows(
                """
                UPDATE runs SET lease_owner = \(owner), \
                lease_expires_at = clock_timestamp() + \(duration.microseconds) * \(unescaped: microsecond), \
                lease_epoch = lease_epoch + 1, status = \(RunStatus.running.rawValue), last_error = NULL, \
                updated_at = clock_timestamp() \
                WHERE id = \(runID) AND (lease_owner IS NULL OR lease_expires_at < clock_timestamp() \
                OR lease_owner = \(deadHolder ?? "")) RETURNING lease_epoch
                """)
            if let row = taken.first {
                return .acquired(Lease(runID: runID, owner: owner, epoch: try row.value("lease_epoch")))
            }
            guard
                let row = try await connection.rows(
                    "SELECT lease_owner, lease_expires_at FROM runs WHERE id = \(runID)"
                ).first
            else { throw StoreError(.notFound, "no run \(runID) in the database") }
            return .held(by: try row.value("lease_owner", as: String?.self) ?? "", expiresAt: try row.value("lease_expires_at"))
        }
    }

    /// Extends the lease while it is current (same owner and epoch, unexpired by the server's clock).
    public func renewLease(_ lease: Lease, duration: Duration) async throws -> Bool {
        try await write("renewing the lease of run \(lease.runID)") { connection in
            try await !connection.rows(
                """
                UPDATE runs SET lease_expires_at = clock_timestamp() + \(duration.microseconds) * \(unescaped: microsecond) \
                WHERE id = \(lease.runID) AND lease_owner = \(lease.owner) AND lease_epoch = \(lease.epoch) \
                AND lease_expires_at >= clock_timestamp() RETURNING id
                """
            ).isEmpty
        }
    }

    public func finishRun(_ lease: Lease, status: RunStatus, lastError: String?) async throws {
        try await write("finishing run \(lease.runID)") { connection in
            try await requireLease(connection, lease)
            try await connection.execute(
                """
                UPDATE runs SET status = \(status.rawValue), last_error = \(lastError), updated_at = clock_timestamp(), \
                lease_owner = NULL, lease_expires_at = NULL WHERE id = \(lease.runID)
                """)
        }
    }

    // MARK: Batches

    public func createBatch(_ batch: BatchRecord) async throws -> BatchRecord {
        try await write("creating batch \(batch.id)") { connection in
            try await connection.execute(
                """
                INSERT INTO batches (\(unescaped: BatchRecord.columns)) VALUES (\(batch.id), \(batch.manifestPath), \
                \(batch.workflow), \(batch.createdAt), \(batch.updatedAt)) ON CONFLICT (id) DO NOTHING
                """)
            guard
                let stored = try await connection.rows(
                    "SELECT \(unescaped: BatchRecord.columns) FROM batches WHERE id = \(batch.id)"
                ).first
            else { throw StoreError(.io, "batch \(batch.id) vanished while it was being created") }
            return try BatchRecord(postgres: stored)
        }
    }

    // MARK: Helpers

    /// The `WHERE` clause (with a leading space, or empty) and binds for the set fields of `filter`.
    static func conditions(of filter: RunFilter, includingStatus: Bool) -> PostgresQuery {
        var clauses: [String] = []
        var binds = PostgresBindings()
        func add(_ column: String, _ value: String) {
            binds.append(value)
            clauses.append("\(column) = $\(binds.count)")
        }
        if includingStatus, let status = filter.status { add("status", status.rawValue) }
        if let batchID = filter.batchID { add("batch_id", batchID) }
        if let parentID = filter.parentID { add("parent_id", parentID) }
        if let kind = filter.kind { add("kind", kind.rawValue) }
        if let text = filter.keyContains, !text.isEmpty {
            // strpos compares literally: no LIKE wildcards to escape, and case-sensitive like the keys themselves.
            binds.append(text)
            clauses.append("strpos(key, $\(binds.count)) > 0")
        }
        if let since = filter.updatedSince {
            binds.append(since)
            clauses.append("updated_at >= $\(binds.count)")
        }
        return PostgresQuery(
            unsafeSQL: clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "), binds: binds)
    }
}

func fetchRun(_ connection: PostgresConnection, key: String) async throws -> RunRecord? {
    try await connection.rows("SELECT \(unescaped: RunRecord.columns) FROM runs WHERE key = \(key)")
        .first.map(RunRecord.init(postgres:))
}

/// The fence of every commit that records or completes work: locks the run's row for the rest of the
/// transaction (so no takeover commits in between) and throws `leaseLost` (the transaction then rolls back) unless
/// `lease` is current by the server's clock: same owner, same epoch, not expired.
///
/// `durable`: the transaction records a request that may create something; if the server or role runs with
/// `synchronous_commit = off`, it is raised to `on` for this transaction alone (in the same statement, at no cost
/// of a round trip), so the commit is flushed before it returns.
func requireLease(_ connection: PostgresConnection, _ lease: Lease, durable: Bool = false) async throws {
    let synchronous = durable
        ? ", set_config('synchronous_commit', CASE current_setting('synchronous_commit') WHEN 'off' THEN 'on' "
            + "ELSE current_setting('synchronous_commit') END, true) AS synchronous_commit"
        : ""
    guard
        let row = try await connection.rows(
            """
            SELECT lease_owner, lease_epoch, lease_expires_at >= clock_timestamp() AS live\(unescaped: synchronous) \
            FROM runs WHERE id = \(lease.runID) FOR UPDATE
            """
        ).first
    else { throw StoreError(.notFound, "no run \(lease.runID) in the database") }
    let owner = try row.value("lease_owner", as: String?.self)
    let epoch = try row.value("lease_epoch", as: Int64.self)
    guard owner == lease.owner, epoch == lease.epoch, try row.value("live", as: Bool?.self) == true else {
        throw StoreError.leaseLost(lease, holder: owner != lease.owner || epoch != lease.epoch ? owner : nil)
    }
}
