import Foundation
import Logging
import OnboardCore
import PostgresNIO

/// The checkpoint store shared by processes on many machines: one PostgreSQL database, reached through
/// postgres-nio's connection pool (`PostgresClient`).
///
/// Open it once per process, share it, and close it when done (its pools run in a task of their own until then):
///
/// ```swift
/// let store = try await PostgresCheckpointStore(url: "postgres://onboard@db.internal/onboard")
/// let run = try await store.createRun(record, stepIDs: ["create_account", "buy_number"])
/// try await store.close()
/// ```
///
/// Semantics are those of `SQLiteCheckpointStore`, method by method; what differs is how they are kept.
///
/// ## The server's clock
///
/// Lease expiry, `updated_at`, purchase slots and the request budget are read from the server's
/// `clock_timestamp()`, so every machine agrees on them whatever its own clock says. `clock_timestamp()` rather
/// than `now()`: `now()` is the time the transaction *began*, and a fenced commit that first waited for a row lock
/// would otherwise judge a lease by a moment already past (accepting a lease that expired while it waited), and a
/// request reservation would be made in the past. Times the caller gives (`createdAt`, an attempt's `startedAt`)
/// are stored as given.
///
/// ## Transactions and fencing
///
/// Every method that changes something runs one `READ COMMITTED` transaction. Each commit that records or
/// completes work first locks its run's row (`SELECT … FOR UPDATE`) and checks owner, epoch and expiry there, so
/// no takeover can commit between the check and the commit; taking a lease is one conditional `UPDATE`, which
/// PostgreSQL re-evaluates on the latest row after waiting for a concurrent writer, so of two takers only one
/// wins. Claims are a primary key (`INSERT … ON CONFLICT DO NOTHING` then a look at the holder), inserted in a
/// fixed order so that two runs claiming the same values cannot deadlock.
///
/// Writes are not interrupted by task cancellation: a commit that has been asked for completes, so a runner that
/// is shutting down can still record what happened. Reads honour cancellation.
///
/// ## Durability
///
/// A commit returns once the server has flushed it to its write-ahead log when `synchronous_commit` is on (the
/// server's default), and WAL is sequential, so that flush carries every earlier commit too. The transaction of
/// ``beginAttempt(_:lease:)`` for a request that may create something sets `synchronous_commit` to `on` for itself
/// when the server or role was configured `off`: that attempt row, and all before it, are on disk before the
/// request leaves. Other commits follow the server's setting (they need only survive a crash of this process).
/// Nothing can make a server with `fsync = off` durable: opening such a database logs a warning.
///
/// ## Schema
///
/// The SQL of the top-level `migrations/postgres/` folder, embedded in this module, applied at open in one
/// transaction per file, recorded in `onboard_migrations`, under an advisory lock so that processes opening a new
/// database at once apply each file once. A database migrated by a newer release is refused with
/// `StoreError` `supersededSchema`. The tables live in the URL's `?schema=` (created if missing), else in the
/// connection's default `search_path` (normally `public`).
///
/// ## Connections
///
/// Two pools: one for queries (`maximumConnections`, default 10) and one for ``withLock(_:exclusive:_:)``, whose
/// every holder keeps a connection for as long as it holds the lock (`maximumLockConnections`, default 20). A
/// process therefore opens at most 30 connections, and only when busy; size the server's `max_connections` for the
/// number of processes. PostgreSQL 14 or later.
///
/// Errors are `StoreError` values naming the database (never its password) and the cause: `notFound`,
/// `leaseLost`, `claimConflict`, `purchaseCeiling`, `supersededSchema`, and `io` with PostgreSQL's SQLSTATE and
/// message.
public final class PostgresCheckpointStore: CheckpointStore {
    public static let defaultMaximumConnections = 10
    public static let defaultMaximumLockConnections = 20

    /// The database, as shown in messages (without a password).
    public let endpoint: PostgresEndpoint
    let client: PostgresClient
    let lockClient: PostgresClient
    /// Runs both pools until ``close()``.
    private let running: Task<Void, Never>

    /// Opens the database that `url` names (see ``PostgresEndpoint``) and applies pending migrations.
    ///
    /// - Parameter create: whether a database without onboard's tables gets them (commands that write); when
    ///   false such a database is refused with `notFound` (read-only commands create nothing).
    /// - Throws: `StoreError`: `supersededSchema` when the database was migrated by a newer release, `notFound`
    ///   (see `create`), `io` when the URL is malformed or the server cannot be reached, refuses the login, or
    ///   fails a migration.
    public convenience init(
        url: String, create: Bool = true, environment: [String: String] = ProcessInfo.processInfo.environment,
        maximumConnections: Int = defaultMaximumConnections,
        maximumLockConnections: Int = defaultMaximumLockConnections,
        logger: Logger = Logger(label: "onboard.store")
    ) async throws {
        try await self.init(
            endpoint: try PostgresEndpoint(url: url, environment: environment), create: create,
            maximumConnections: maximumConnections, maximumLockConnections: maximumLockConnections, logger: logger)
    }

    public init(
        endpoint: PostgresEndpoint, create: Bool = true, maximumConnections: Int = defaultMaximumConnections,
        maximumLockConnections: Int = defaultMaximumLockConnections,
        logger: Logger = Logger(label: "onboard.store")
    ) async throws {
        self.endpoint = endpoint
        let database = endpoint.description
        let settings: PostgresSchema.ServerSettings
        do {
            settings = try await PostgresSchema.prepare(
                endpoint.connectionConfiguration(), database: database, schema: endpoint.schema, create: create)
        } catch {
            throw PostgresFailure.map(error, doing: "opening the database", database: database)
        }
        if !settings.fsync {
            logger.warning(
                """
                the PostgreSQL server has fsync = off: a crash of its machine can lose checkpoints, and with them \
                the record of requests already sent
                """, metadata: ["database": "\(database)"])
        }
        let client = PostgresClient(
            configuration: try endpoint.clientConfiguration(maximumConnections: maximumConnections))
        // A lock waiter or holder whose process died is noticed within a second (client_connection_check_interval
        // checks the socket while a statement, here the wait for the lock, runs), so its place in the lock's queue
        // does not outlive it.
        let lockClient = PostgresClient(
            configuration: try endpoint.clientConfiguration(
                maximumConnections: maximumLockConnections,
                extraParameters: [("client_connection_check_interval", "1000")]))
        self.client = client
        self.lockClient = lockClient
        running = Task {
            await withDiscardingTaskGroup { group in
                group.addTask { await client.run() }
                group.addTask { await lockClient.run() }
            }
        }
    }

    deinit { running.cancel() }

    /// Shuts both pools down (closing their connections); any later call fails.
    public func close() async throws {
        running.cancel()
        await running.value
    }

    // MARK: Database access

    /// A logger that drops everything: postgres-nio logs statements at debug level, and inputs must not reach logs.
    static let quiet = Logger(label: "onboard.store.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Runs `body` in one transaction on a pooled connection and returns once it is committed; rolls back when
    /// `body` throws. Not interrupted by the caller's cancellation (see the type's documentation).
    func write<T: Sendable>(
        _ doing: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        // An unstructured task does not inherit the caller's cancellation: the pool will lease, and the commit run.
        try await Task { try await self.transaction(doing, body) }.value
    }

    private func transaction<T: Sendable>(
        _ doing: String, _ body: @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        do {
            return try await client.withConnection { connection in
                try await connection.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
                let value: T
                do {
                    value = try await body(connection)
                } catch {
                    do {
                        try await connection.execute("ROLLBACK")
                    } catch {
                        // A connection that cannot roll back is in an unknown state: drop it from the pool.
                        connection.discard()
                    }
                    throw error
                }
                try await connection.execute("COMMIT")
                return value
            }
        } catch {
            throw PostgresFailure.map(error, doing: doing, database: endpoint.description)
        }
    }

    /// Runs `body` (single statements, each its own transaction) on a pooled connection.
    func read<T: Sendable>(_ doing: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch {
            throw PostgresFailure.map(error, doing: doing, database: endpoint.description)
        }
    }
}

extension PostgresConnection {
    /// The rows of `query`, all read (a statement's error can arrive after its first rows).
    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        try await self.query(query, logger: PostgresCheckpointStore.quiet).collect().map { $0.makeRandomAccess() }
    }

    /// Runs `query` to its end, ignoring any rows.
    func execute(_ query: PostgresQuery) async throws {
        _ = try await self.query(query, logger: PostgresCheckpointStore.quiet).collect()
    }

    /// Closes the connection without waiting; the pool then replaces it.
    func discard() {
        // The pool's close (`PooledConnection`), which does not wait; the others return a future or are async.
        let _: Void = close()
    }
}
