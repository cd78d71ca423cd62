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
}
