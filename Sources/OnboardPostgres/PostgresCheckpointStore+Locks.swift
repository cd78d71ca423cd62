// Named locks across every process using the database: PostgreSQL advisory locks.
import OnboardCore
import PostgresNIO

extension PostgresCheckpointStore {
    /// Holds `key` as a session advisory lock (`pg_advisory_lock_shared` or `pg_advisory_lock`) on a connection of
    /// the lock pool kept for as long as `body` runs.
    ///
    /// PostgreSQL's lock manager gives the semantics of `KeyedLock` across machines: a request waits behind any
    /// *waiting* request it conflicts with, so a waiting exclusive holder is not starved by later shared ones, and
    /// waiters are served in order. The key is hashed with the current schema (`hashtextextended`), so stores on
    /// different schemas of one database do not share locks (two keys with the same 64-bit hash only wait for
    /// each other more than they need to).
    ///
    /// Released on every way out: after `body` returns or throws, `pg_advisory_unlock` runs in a task of its own
    /// (so a cancelled caller still unlocks); if unlocking fails, the connection is closed, which releases every
    /// lock of its session. A cancelled waiter closes its connection too: the server ends that session (and with it
    /// the queued request) within a second (`client_connection_check_interval`). A process that dies loses its
    /// connections, and so its locks; a machine that vanishes from the network loses them within about 25 s (TCP
    /// keepalives), after which another holder may enter while the vanished one still believes it holds the lock.
    public func withLock<T: Sendable>(
        _ key: String, exclusive: Bool, _ body: @Sendable () async throws -> T
    ) async throws -> T {
        try Task.checkCancellation()
        let suffix = exclusive ? "" : "_shared"
        let lockKey: PostgresQuery = "hashtextextended('onboard.lock:' || coalesce(current_schema(), '') || ':' || \(key), 0)"
        let outcome: Result<T, any Error>
        do {
            outcome = try await lockClient.withConnection { connection in
                var take = lockKey
                take.sql = "SELECT pg_advisory_lock\(suffix)(\(lockKey.sql))"
                do {
                    try await withTaskCancellationHandler {
                        try await connection.execute(take)
                    } onCancel: {
                        connection.discard()
                    }
                } catch {
                    // Whether or not the server granted it, this session may hold the lock: never hand it back.
                    connection.discard()
                    throw Task.isCancelled ? CancellationError() : error
                }
                var give = lockKey
                give.sql = "SELECT pg_advisory_unlock\(suffix)(\(lockKey.sql)) AS released"
                let result: Result<T, any Error>
                if Task.isCancelled {
                    result = .failure(CancellationError())
                } else {
                    do {
                        result = .success(try await body())
                    } catch {
                        result = .failure(error)
                    }
                }
                await Self.unlock(connection, give)
                return result
            }
        } catch {
            throw PostgresFailure.map(error, doing: "taking the lock \(key)", database: endpoint.description)
        }
        return try outcome.get()
    }

    /// Runs the unlock in an unstructured task, which the caller's cancellation does not reach; closes the
    /// connection (releasing everything its session held) if the server did not confirm.
    private static func unlock(_ connection: PostgresConnection, _ query: PostgresQuery) async {
        let released = await Task {
            do {
                return try await connection.rows(query).first?.value("released", as: Bool.self) == true
            } catch {
                return false
            }
        }.value
        if !released { connection.discard() }
    }
}
