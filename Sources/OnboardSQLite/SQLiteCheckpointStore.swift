import Foundation
import GRDB
import OnboardCore

/// The checkpoint store that ships: one SQLite file in WAL mode, reached through a GRDB `DatabasePool`.
///
/// Open it once per process and share it; every method is safe to call from any task, and several processes may
/// open the same file (a run's lease decides which of them executes it):
///
/// ```swift
/// let store = try SQLiteCheckpointStore(path: "/home/me/.onboard/onboard.sqlite")
/// let run = try await store.createRun(record, stepIDs: ["create_account", "buy_number"])
/// ```
///
/// ## Durability
///
/// Each method that changes something returns only once its change is committed. Every commit survives a crash
/// of the process (WAL). What survives a crash of the operating system or a power loss is chosen by
/// ``Durability``:
///
/// - ``Durability/beforeRequests`` (the default): ``beginAttempt(_:lease:)`` for a request that may create
///   something commits with `synchronous = FULL`, which syncs the WAL file to stable storage and with it **every earlier
///   commit**; other commits use `synchronous = NORMAL`. So before any request leaves, its attempt row and all the
///   IDs checkpointed before it are on disk. A power loss can only roll back what was committed after the last
///   request left (that request's outcome and outputs), and the attempt row that survives makes the next resume
///   look the effect up instead of repeating it: no duplicate, no lost ID. At most one sync per request.
/// - ``Durability/everyCommit``: `synchronous = FULL` on every commit.
///
/// **Group commit.** Writes from concurrent tasks (a batch's items) that wait at the same moment share one
/// transaction, each in a savepoint of its own, and one commit, synced when any of them needs it; each caller is
/// answered only after that commit (and sync) returned, and a write whose own check fails (a lost lease, a claim
/// conflict, the purchase ceiling) is undone alone. A write that finds the writer idle commits at once on the
/// caller's thread, without a switch to the writer queue and back. See `GroupCommitter`. ``commitStatistics``
/// counts writes, commits and syncs.
///
/// `synchronous = NORMAL` alone would not do: an attempt row that vanished after its request was sent is exactly
/// the duplicate purchase the store exists to prevent. On Apple platforms `fullfsync` is on too, because plain
/// `fsync` there does not flush the drive's cache.
///
/// Writes are not interrupted by task cancellation: a commit that has been asked for completes (it takes
/// milliseconds), so a runner that is shutting down can still record what happened. Reads honour cancellation.
///
/// ## Files
///
/// A new database file is created with mode 0600 whatever the umask, and its `-wal` and `-shm` companions get
/// the same permission bits as the main file. An existing file keeps the mode it has. ``withLock(_:exclusive:_:)``
/// creates a `-locks` file beside them (mode 0600; it holds no data, only byte-range locks).
///
/// ## Schema
///
/// The schema is the SQL of the top-level `migrations/sqlite/` folder, embedded in this module and applied by GRDB's
/// `DatabaseMigrator` when the store opens. A database already migrated by a newer release is refused with
/// ``StoreError/Code/supersededSchema``.
///
/// ## Leases and coordination
///
/// Lease times are this machine's wall clock (`clock`), which every process on the file shares. Every commit that
/// records or completes work checks the caller's lease (owner, epoch, expiry) inside its own transaction.
///
/// SQLite has one writer at a time, so the coordination methods need no more than a write transaction: a purchase
/// slot is counted in `beginAttempt`'s, `claimRunnable` picks and leases its runs in one, and a request reservation
/// reads and extends the budget in one (its moments on `CLOCK_BOOTTIME`, see `BudgetClock`). Named locks are the
/// exception: they are held across a request, so they live outside the database, in `LockFile`.
///
/// Errors are ``StoreError`` values: `notFound` for a run or step that does not exist, `leaseLost` for a commit
/// whose lease is no longer current, `claimConflict` from
/// ``completeStep(_:stepID:outputs:inputDigest:claims:attemptID:)``, and `io` (with the SQLite code and message)
/// for anything SQLite reports.
public final class SQLiteCheckpointStore: CheckpointStore {
    /// Which commits are synced to stable storage before they return (see the type's documentation).
    public enum Durability: String, Sendable, CaseIterable {
        /// Sync the commit that records a request before it is sent (and with it everything before).
        case beforeRequests = "before-requests"
        /// Sync every commit.
        case everyCommit = "every-commit"
    }

    /// The database file.
    public let path: String
    public let durability: Durability
    package let pool: DatabasePool
    /// Every write goes through it: writes waiting at the same moment share one commit (and one sync).
    let writer: GroupCommitter
    /// The store's clock: lease expiry and `updated_at` are read from it (tests inject one).
    let clock: @Sendable () -> Date
    /// The named locks of ``withLock(_:exclusive:_:)``, on `<path>-locks`.
    let locks: LockFile

    /// How long a write waits for another process's write transaction before failing.
    static let busyTimeout: TimeInterval = 5

    /// Opens the database at `path`, creating the file (mode 0600) and applying pending migrations as needed.
    ///
    /// The folder that holds `path` must exist.
    ///
    /// - Throws: ``StoreError`` with code `supersededSchema` when the file was migrated by a newer release, or
    ///   `io` when it cannot be created, opened or migrated.
    ///
    /// - Parameter groupCommit: gather the writes waiting at the same moment into one commit (see
    ///   `GroupCommitter`); false commits each write alone, which only benchmarks want (to measure the difference).
    public init(
        path: String, durability: Durability = .beforeRequests, groupCommit: Bool = true,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        self.path = path
        self.durability = durability
        self.clock = clock
        self.locks = LockFile(databasePath: path)
        try DatabaseFile.createIfMissing(path)
        do {
            pool = try DatabasePool(path: path, configuration: Self.configuration())
            try pool.writeWithoutTransaction { db in
                // DatabasePool switches the writer to synchronous = NORMAL when it sets up WAL, after the
                // configuration's preparation runs, so durability is set here, on the one writer connection.
                try db.execute(sql: durability == .everyCommit ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
                try db.execute(sql: "PRAGMA fullfsync = ON")
            }
            let migrator = Self.migrator()
            if try pool.read({ try migrator.hasBeenSuperseded($0) }) {
                throw StoreError(
                    .supersededSchema,
                    "the database \(path) was written by a newer release of onboard (its schema has migrations "
                        + "this one does not know); use that release, or another database file")
            }
            try migrator.migrate(pool)
            writer = GroupCommitter(pool: pool, durability: durability, grouping: groupCommit)
        } catch let error as DatabaseError {
            throw Self.storeError(error, doing: "opening the database", path: path)
        }
        try DatabaseFile.matchCompanionModes(path)
    }

    /// Closes the database connections (the pool also closes them when the store is released). Any later call
    /// fails.
    public func close() throws {
        do {
            try pool.close()
        } catch let error as DatabaseError {
            throw Self.storeError(error, doing: "closing the database", path: path)
        }
    }

    // MARK: Configuration

    static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.label = "onboard.store"
        configuration.journalMode = .wal
        configuration.foreignKeysEnabled = true
        // Two processes on one file wait for each other's short write transactions instead of failing.
        configuration.busyMode = .timeout(busyTimeout)
        return configuration
    }

    /// One migration per embedded file of `migrations/`, named after the file, in file-name order.
    package static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for file in embeddedMigrations.sorted(by: { $0.id < $1.id }) {
            let sql = file.sql
            migrator.registerMigration(file.id) { db in try db.execute(sql: sql) }
        }
        return migrator
    }

    // MARK: Database access

    /// Runs `updates` in the next group commit (see `GroupCommitter`) and returns once that is committed. Not
    /// cancellable: see the type's documentation. `doing` names the change in an error message.
    func write<T: Sendable>(
        _ doing: @autoclosure () -> String, _ updates: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        do {
            return try await writer.write(synced: false, updates)
        } catch {
            throw Self.storeError(error, doing: doing(), path: path)
        }
    }

    /// Like ``write(_:_:)``, but the commit is synced to stable storage (`synchronous = FULL` for that one
    /// transaction), and with it every commit before it. Under group commit, the writes that share the
    /// transaction are synced with it: one sync for all of them.
    func writeSynced<T: Sendable>(
        _ doing: @autoclosure () -> String, _ updates: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        do {
            return try await writer.write(synced: true, updates)
        } catch {
            throw Self.storeError(error, doing: doing(), path: path)
        }
    }

    /// The store's writes, commits and syncs since it was opened (for benchmarks and tests).
    public var commitStatistics: CommitStatistics { writer.statistics }

    func read<T: Sendable>(_ doing: @autoclosure () -> String, _ value: @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(value)
        } catch {
            throw Self.storeError(error, doing: doing(), path: path)
        }
    }

    /// Errors leave the store as `StoreError` (cancellation aside): a `DatabaseError` keeps what SQLite said
    /// (never the statement's arguments, which GRDB hides) plus what the user can do about it.
    static func storeError(_ error: any Error, doing: String, path: String) -> any Error {
        switch error {
        case let error as StoreError: return error
        case let error as DatabaseError: return storeError(error, doing: doing, path: path)
        case is CancellationError: return error
        default: return StoreError(.io, "\(doing) failed on \(path): \(error)")
        }
    }

    static func storeError(_ error: DatabaseError, doing: String, path: String) -> StoreError {
        var message = "\(doing) failed on \(path): SQLite error \(error.extendedResultCode.rawValue)"
        if let detail = error.message { message += " (\(detail))" }
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            message += "; another process held the database for more than \(Int(busyTimeout)) s, try again"
        case .SQLITE_FULL:
            message += "; the disk is full"
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_CANTOPEN:
            message += "; check that the file and its folder are writable by this user"
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            message += "; the file is damaged or is not an onboard database"
        default:
            break
        }
        return StoreError(.io, message)
    }
}
