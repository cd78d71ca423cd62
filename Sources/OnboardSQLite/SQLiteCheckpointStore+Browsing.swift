// The reads of `onboard serve`'s pages and metrics beyond the store protocol, each one query.
import GRDB
import OnboardCore

extension SQLiteCheckpointStore: CheckpointBrowsing {
    public func batches(limit: Int, offset: Int) async throws -> [BatchRecord] {
        try await read("listing batches") { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT \(BatchRecord.columns) FROM batches ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"),
                arguments: [max(0, limit), max(0, offset)]
            )
            .map(BatchRecord.init(row:))
        }
    }

    public func batch(id: String) async throws -> BatchRecord? {
        try await read("reading batch \(id)") { db in try fetchBatch(db, id: id) }
    }

    /// Counts the steps in `status` of the runs matching `filter`, driven by the steps: each one in `status` is
    /// checked against its run. The status is written into the SQL (an enumeration's raw value, not user text) so
    /// that steps in doubt, counted at every scrape of `/metrics` and on every batch page, are read through the
    /// partial index `steps_in_doubt` (0004_pages.sql): a few rows however many steps the database holds.
    public func stepCount(status: StepStatus, matching filter: RunFilter) async throws -> Int {
        let (conditions, arguments) = Self.conditions(of: filter, includingStatus: false)
        var sql = "SELECT COUNT(*) FROM steps WHERE status = '\(status.rawValue)'"
        if !conditions.isEmpty {
            // Inside the subquery unqualified names are the run's (its updated_at, not the step's).
            let runConditions = conditions.dropFirst(" WHERE ".count)
            sql += " AND EXISTS (SELECT 1 FROM runs WHERE runs.id = steps.run_id AND \(runConditions))"
        }
        return try await read("counting steps") { [sql, arguments] db in
            try Int.fetchOne(db.cachedStatement(sql: sql), arguments: arguments) ?? 0
        }
    }
}
