// Named locks across every process using the database file.
import OnboardCore

extension SQLiteCheckpointStore {
    /// Holds `key` through `locks` (`LockFile`): in arrival order within this process, by byte-range locks on
    /// `<database>-locks` between processes, released when `body` ends in any way or the process dies.
    public func withLock<T: Sendable>(
        _ key: String, exclusive: Bool, _ body: @Sendable () async throws -> T
    ) async throws -> T {
        try await locks.withLock(key, exclusive: exclusive, body)
    }

    /// ``withLock(_:exclusive:_:)`` with its wait bounded by `limit`: the deadline is checked between the polls of
    /// the lock file and raced against only when this process's queue must be waited in, so a free lock costs no
    /// task and no timer.
    public func withLock<T: Sendable>(
        _ key: String, exclusive: Bool, waitingAtMost limit: Duration, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await locks.withLock(key, exclusive: exclusive, waitingAtMost: limit, body)
    }
}
