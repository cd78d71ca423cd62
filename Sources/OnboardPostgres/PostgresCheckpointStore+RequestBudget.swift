// The request budget of a credential, shared by every process on every machine using the database.
import Foundation
import OnboardCore
import PostgresNIO

extension PostgresCheckpointStore {
    /// The algorithm of `RateLimiter.reserve`, with its state in `request_reservations` and the server's clock:
    /// the new moment is the latest of now, the newest reservation (moments go out in call order), the end of a
    /// pause, and the `limit`-th newest reservation plus `window` (so no `window` ever holds more than `limit`).
    /// Reservations older than `window` can no longer matter and are deleted.
    ///
    /// Two statements in one transaction: the first locks the credential's row, so reservations of one credential
    /// are made one at a time; the second reads the reservations and the clock and inserts the new moment. They
    /// must be two: a statement's snapshot is taken when it starts, so a single statement that waited for the lock
    /// would not see the reservation its predecessor just committed. The arithmetic is done by the server in
    /// microseconds, exactly.
    ///
    /// The commit does not wait for the server's disk (`synchronous_commit = off` for this transaction alone): it is
    /// visible to every other process at once, as any commit, and only a crash of the server itself could lose the
    /// last fraction of a second of reservations, which would let that many more requests leave after its restart
    /// (the API would answer 429 and everyone pause; nothing is created twice). Waiting for the flush cost one disk
    /// sync per request, two thirds of the engine's time per run on PostgreSQL (BENCHMARKS.md, overhead).
    public func reserveRequestSlot(credential: String, limit: Int, window: Duration) async throws -> Duration {
        precondition(limit > 0, "a request budget must allow at least one request")
        return try await write("reserving a request slot") { connection in
            try await connection.execute("SET LOCAL synchronous_commit = off")
            try await lockBudget(connection, credential: credential)
            let rows = try await connection.rows(
                """
                WITH clock AS (SELECT clock_timestamp() AS now),
                recent AS (
                    SELECT at FROM request_reservations WHERE credential = \(credential) ORDER BY at DESC LIMIT \(limit)
                ),
                bounds AS (
                    SELECT max(at) AS newest, CASE WHEN count(*) = \(limit) THEN min(at) END AS oldest FROM recent
                ),
                slot AS (
                    SELECT clock.now, GREATEST(clock.now, budget.paused_until, bounds.newest,
                        bounds.oldest + \(window.microseconds) * \(unescaped: microsecond)) AS at
                    FROM clock, bounds, request_budgets budget WHERE budget.credential = \(credential)
                ),
                reserved AS (
                    INSERT INTO request_reservations (credential, at) SELECT \(credential), at FROM slot
                ),
                forgotten AS (
                    DELETE FROM request_reservations WHERE credential = \(credential)
                    AND at < (SELECT now FROM slot) - \(window.microseconds) * \(unescaped: microsecond)
                )
                SELECT (EXTRACT(EPOCH FROM slot.at - slot.now) * 1000000)::bigint AS wait FROM slot
                """)
            guard let wait = try rows.first?.value("wait", as: Int64.self) else {
                throw StoreError(.io, "the request budget of \(credential) vanished while a slot was reserved")
            }
            return .microseconds(wait)
        }
    }

    /// `RateLimiter.pause`, shared: the pause ends at the later of its current end and now + `duration`, and
    /// moments already reserved inside it move to its end.
    public func pauseRequests(credential: String, for duration: Duration) async throws {
        let pause = Duration.seconds(clamping: duration.seconds, maximum: RetryAfter.maximum)
        guard pause > .zero else { return }
        try await write("pausing requests") { connection in
            try await lockBudget(connection, credential: credential)
            try await connection.execute(
                """
                WITH clock AS (SELECT clock_timestamp() AS now),
                pause AS (SELECT now, now + \(pause.microseconds) * \(unescaped: microsecond) AS until FROM clock),
                extended AS (
                    UPDATE request_budgets SET paused_until = GREATEST(paused_until, (SELECT until FROM pause))
                    WHERE credential = \(credential)
                )
                UPDATE request_reservations SET at = pause.until FROM pause
                WHERE credential = \(credential) AND at > pause.now AND at < pause.until
                """)
        }
    }
}

/// Creates the credential's row if needed and locks it for the rest of the transaction.
private func lockBudget(_ connection: PostgresConnection, credential: String) async throws {
    let locked = try await connection.rows(
        "SELECT credential FROM request_budgets WHERE credential = \(credential) FOR UPDATE")
    guard locked.isEmpty else { return }
    try await connection.execute(
        "INSERT INTO request_budgets (credential) VALUES (\(credential)) ON CONFLICT (credential) DO NOTHING")
    try await connection.execute("SELECT credential FROM request_budgets WHERE credential = \(credential) FOR UPDATE")
}
