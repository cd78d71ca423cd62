// The reads of `onboard serve`'s pages and metrics beyond the store protocol, as the SQLite store answers them.
import OnboardCore
import PostgresNIO

extension PostgresCheckpointStore: CheckpointBrowsing {
    public func batches(limit: Int, offset: Int) async throws -> [BatchRecord] {
        try await read("listing batches") { connection in
            try await connection.rows(
                """
                SELECT \(unescaped: BatchRecord.columns) FROM batches ORDER BY created_at DESC, id DESC \
                LIMIT \(max(0, limit)) OFFSET \(max(0, offset))
                """
            ).map(BatchRecord.init(postgres:))
        }
    }

    public func batch(id: String) async throws -> BatchRecord? {
        try await read("reading batch \(id)") { connection in
            try await connection.rows("SELECT \(unescaped: BatchRecord.columns) FROM batches WHERE id = \(id)")
                .first.map(BatchRecord.init(postgres:))
        }
    }

    /// Counts the steps in `status` of the runs matching `filter`. The status is written into the SQL (an
    /// enumeration's raw value, not user text) so that the partial index `steps_in_doubt` (0004_pages.sql) serves
    /// the count of steps in doubt.
    public func stepCount(status: StepStatus, matching filter: RunFilter) async throws -> Int {
        var query = Self.conditions(of: filter, includingStatus: false)
        var sql = "SELECT count(*) AS count FROM steps WHERE status = '\(status.rawValue)'"
        if !query.sql.isEmpty {
            let runConditions = query.sql.dropFirst(" WHERE ".count)
            sql += " AND EXISTS (SELECT 1 FROM runs WHERE runs.id = steps.run_id AND \(runConditions))"
        }
        query.sql = sql
        return try await read("counting steps") { connection in
            try await connection.rows(query).first.map { try $0.value("count", as: Int.self) } ?? 0
        }
    }
}
