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

    /// Counts the steps in `status` of the runs matching `filter`. Steps in doubt, the count scraped with every
    /// `/metrics`, are read through the partial index `steps_in_doubt` (0004_pages.sql): cheap however many
    /// steps the database holds.
    public func stepCount(status: StepStatus, matching filter: RunFilter) async throws -> Int {
        let (conditions, runArguments) = Self.conditions(of: filter, includingStatus: false)
        var sql = "SELECT COUNT(*) FROM steps WHERE status = ?"
        var arguments: StatementArguments = [status.rawValue]
        if !conditions.isEmpty {
            sql += " AND run_id IN (SELECT id FROM runs\(conditions))"
            arguments += runArguments
        }
        return try await read("counting steps") { [sql, arguments] db in
            try Int.fetchOne(db.cachedStatement(sql: sql), arguments: arguments) ?? 0
        }
    }
}
