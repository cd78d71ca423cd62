// The request budget of a credential, shared by every process using the database file.
import Foundation
import GRDB
import OnboardCore

extension SQLiteCheckpointStore {
    /// The algorithm of `RateLimiter.reserve`, with its state in `request_reservations`: the new moment is the
    /// latest of now, the newest reservation (moments go out in call order), the end of a pause, and the
    /// `limit`-th newest reservation plus `window` (so no `window` ever holds more than `limit`). Reservations older
    /// than `window` can no longer matter and are deleted.
    ///
    /// The clock is read inside the write transaction, after SQLite's write lock is held, so a caller that waited
    /// for the lock does not reserve in the past. Moments are `BudgetClock` seconds (see there).
    public func reserveRequestSlot(credential: String, limit: Int, window: Duration) async throws -> Duration {
        precondition(limit > 0, "a request budget must allow at least one request")
        let windowSeconds = window.seconds
        return try await write("reserving a request slot") { db in
            let now = BudgetClock.now()
            let pausedUntil = try budgetPause(db, credential: credential, clock: now.clock)
            let recent = try Double.fetchAll(
                db.cachedStatement(
                    sql: "SELECT at FROM request_reservations WHERE credential = ? ORDER BY at DESC LIMIT ?"),
                arguments: [credential, limit])
            var slot = now.seconds
            if recent.count == limit { slot = max(slot, recent[limit - 1] + windowSeconds) }
            if let pausedUntil { slot = max(slot, pausedUntil) }
            if let newest = recent.first { slot = max(slot, newest) }
            try db.cachedStatement(sql: "INSERT INTO request_reservations (credential, at) VALUES (?, ?)")
                .execute(arguments: [credential, slot])
            try db.cachedStatement(sql: "DELETE FROM request_reservations WHERE credential = ? AND at < ?")
                .execute(arguments: [credential, now.seconds - windowSeconds])
            return .seconds(slot - now.seconds)
        }
    }

    /// `RateLimiter.pause`, shared: the pause ends at the later of its current end and now + `duration`, and
    /// moments already reserved inside it move to its end.
    public func pauseRequests(credential: String, for duration: Duration) async throws {
        let seconds = Duration.seconds(clamping: duration.seconds, maximum: RetryAfter.maximum).seconds
        try await write("pausing requests") { db in
            let now = BudgetClock.now()
            let current = try budgetPause(db, credential: credential, clock: now.clock)
            let until = now.seconds + seconds
            guard until > now.seconds else { return }
            if current.map({ until > $0 }) ?? true {
                try db.cachedStatement(sql: "UPDATE request_budgets SET paused_until = ? WHERE credential = ?")
                    .execute(arguments: [until, credential])
            }
            try db.cachedStatement(
                sql: "UPDATE request_reservations SET at = ? WHERE credential = ? AND at > ? AND at < ?"
            )
            .execute(arguments: [until, credential, now.seconds, until])
        }
    }
}

/// The credential's pause (nil: none), creating its row; a row written on another boot (or clock) is reset with
/// its reservations, whose moments mean nothing on this one.
private func budgetPause(_ db: Database, credential: String, clock: String) throws -> Double? {
    let row = try Row.fetchOne(
        db.cachedStatement(sql: "SELECT clock, paused_until FROM request_budgets WHERE credential = ?"),
        arguments: [credential])
    if let row, try row.decode(String.self, forColumn: "clock") == clock {
        return try row.decode(Double?.self, forColumn: "paused_until")
    }
    try db.cachedStatement(sql: "DELETE FROM request_reservations WHERE credential = ?").execute(arguments: [credential])
    try db.cachedStatement(
        sql: """
            INSERT INTO request_budgets (credential, clock, paused_until) VALUES (?, ?, NULL) \
            ON CONFLICT (credential) DO UPDATE SET clock = excluded.clock, paused_until = NULL
            """
    )
    .execute(arguments: [credential, clock])
    return nil
}

/// The clock of the request budget on SQLite: every process on the file is on this machine, so on Linux it is
/// `CLOCK_BOOTTIME`, which a change of the wall clock cannot move (a jump back would otherwise stall every
/// request, a jump forward let a burst through), named by the boot's id. Elsewhere, the wall clock.
enum BudgetClock {
    static func now() -> (seconds: Double, clock: String) {
        if let uptime = SystemClock.uptime(), let boot = SystemClock.bootID { return (uptime, "boot:" + boot) }
        return (Date().timeIntervalSince1970, "wall")
    }
}
