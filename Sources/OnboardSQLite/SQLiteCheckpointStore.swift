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
/// Each method that changes something runs one short write transaction and returns only once it is durable.
/// The writer connection uses `synchronous = FULL`: in WAL mode SQLite then syncs the WAL file to stable storage
/// at every commit, so **a checkpoint whose method has returned survives a crash of the process, of the operating
/// system, and a power loss** (on storage that honours `fsync`; on Apple platforms `fullfsync` is on too, because
/// plain `fsync` there does not flush the drive's cache). `synchronous = NORMAL`, GRDB's default for WAL, syncs
/// only at WAL checkpoints: the file never corrupts, but the last commits before a power loss may be rolled
/// back, and an attempt row that vanished after its request was sent is exactly the duplicate purchase the store
/// exists to prevent. The price is one sync per commit (a step commits about three times).
///
/// Writes are not interrupted by task cancellation: a commit that has been asked for completes (it takes
/// milliseconds), so a runner that is shutting down can still record what happened. Reads honour cancellation.
///
/// ## Files
///
/// A new database file is created with mode 0600 whatever the umask, and its `-wal` and `-shm` companions get
/// the same permission bits as the main file. An existing file keeps the mode it has.
///
/// ## Schema
///
/// The schema is the SQL of the top-level `migrations/` folder, embedded in this module and applied by GRDB's
/// `DatabaseMigrator` when the store opens. A database already migrated by a newer release is refused with
/// ``StoreError/Code/supersededSchema``.
///
/// Errors are ``StoreError`` values: `notFound` for a run or step that does not exist, `claimConflict` from
/// ``completeStep(runID:stepID:outputs:inputDigest:claims:attemptID:at:)``, and `io` (with the SQLite code and
/// message) for anything SQLite reports.
public final class SQLiteCheckpointStore: CheckpointStore {
    /// The database file.
    public let path: String
    package let pool: DatabasePool

    /// How long a write waits for another process's write transaction before failing.
    static let busyTimeout: TimeInterval = 5

    /// Opens the database at `path`, creating the file (mode 0600) and applying pending migrations as needed.
    ///
    /// The folder that holds `path` must exist.
    ///
    /// - Throws: ``StoreError`` with code `supersededSchema` when the file was migrated by a newer release, or
    ///   `io` when it cannot be created, opened or migrated.
    public init(path: String) throws {
        self.path = path
        try DatabaseFile.createIfMissing(path)
        do {
            pool = try DatabasePool(path: path, configuration: Self.configuration())
            try pool.writeWithoutTransaction { db in
                // DatabasePool switches the writer to synchronous = NORMAL when it sets up WAL, after the
                // configuration's preparation runs, so durability is set here, on the one writer connection.
                try db.execute(sql: "PRAGMA synchronous = FULL")
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

    /// Runs `updates` in one IMMEDIATE transaction and returns once it is committed. Not cancellable: see the
    /// type's documentation.
    func write<T: Sendable>(_ doing: String, _ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await withCheckedThrowingContinuation { continuation in
                pool.asyncWrite(updates) { _, result in continuation.resume(with: result) }
            }
        } catch {
            throw Self.storeError(error, doing: doing, path: path)
        }
    }

    func read<T: Sendable>(_ doing: String, _ value: @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(value)
        } catch {
            throw Self.storeError(error, doing: doing, path: path)
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
