// Applying migrations/postgres/ when the store opens.
import Logging
import OnboardCore
import PostgresNIO

/// Brings a database's schema up to this release's, the way GRDB's `DatabaseMigrator` does for SQLite.
///
/// Each embedded file of `migrations/postgres/` is one migration, identified by its file name. At open, on one
/// connection of its own:
///
/// 1. `pg_advisory_lock` on a key derived from the `search_path`: a second process opening the same new
///    database waits here, then finds everything applied (the lock dies with the connection whatever happens);
///    the schema named by the URL (`?schema=`) is created here if missing;
/// 2. `onboard_migrations` is created if missing, and read;
/// 3. a database that has a migration this release does not know was written by a newer one: refused with
///    `supersededSchema`, before anything is changed;
/// 4. every missing migration runs in its own transaction, which also records its name; a failure rolls that
///    migration back entirely.
enum PostgresSchema {
    struct ServerSettings: Sendable {
        /// The server's `fsync`: off means no commit survives a crash of its machine.
        var fsync: Bool
    }

    /// By `search_path`, not `current_schema()`: the latter is null until the URL's schema exists.
    static let lockKey = "hashtextextended('onboard.migrations:' || current_setting('search_path'), 0)"

    /// Connects once, migrates, reads the settings the store cares about, and disconnects.
    ///
    /// `create`: a database without onboard's tables gets them; otherwise it is refused with `notFound` (read-only
    /// commands create nothing).
    static func prepare(
        _ configuration: PostgresConnection.Configuration, database: String, schema: String?, create: Bool
    ) async throws -> ServerSettings {
        let connection = try await PostgresConnection.connect(
            configuration: configuration, id: 0, logger: PostgresCheckpointStore.quiet)
        do {
            let settings = try await migrate(connection, database: database, schema: schema, create: create)
            try? await connection.close()
            return settings
        } catch {
            try? await connection.close()
            throw error
        }
    }

    static func migrate(
        _ connection: PostgresConnection, database: String, schema: String?, create: Bool
    ) async throws -> ServerSettings {
        try await connection.execute("SELECT pg_advisory_lock(\(unescaped: lockKey))")
        if let schema, create {
            // The name was checked to be a plain lowercase identifier, so it needs no quoting.
            try await connection.execute("CREATE SCHEMA IF NOT EXISTS \(unescaped: schema)")
        }
        if !create {
            let exists = try await connection.rows("SELECT to_regclass('onboard_migrations') IS NOT NULL AS present")
            guard try exists.first?["present"].decode(Bool.self) == true else {
                throw StoreError(
                    .notFound,
                    "no onboard data in the database \(database) (nothing has run with it yet; give --db or set "
                        + "ONBOARD_DB to the one you used)")
            }
        }
        try await connection.execute(
            """
            CREATE TABLE IF NOT EXISTS onboard_migrations (
                id text NOT NULL PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
            )
            """)
        let applied = Set(
            try await connection.rows("SELECT id FROM onboard_migrations").map { try $0["id"].decode(String.self) })
        let known = Set(embeddedMigrations.map(\.id))
        let unknown = applied.subtracting(known).sorted()
        guard unknown.isEmpty else {
            throw StoreError(
                .supersededSchema,
                "the database \(database) was written by a newer release of onboard (its schema has migrations this "
                    + "one does not know: \(unknown.joined(separator: ", "))); use that release, or another database")
        }
        for migration in embeddedMigrations.sorted(by: { $0.id < $1.id }) where !applied.contains(migration.id) {
            do {
                try await connection.execute("BEGIN")
                for statement in SQLScript.statements(in: migration.sql) {
                    try await connection.execute(PostgresQuery(unsafeSQL: statement))
                }
                try await connection.execute("INSERT INTO onboard_migrations (id) VALUES (\(migration.id))")
                try await connection.execute("COMMIT")
            } catch {
                try? await connection.execute("ROLLBACK")
                throw PostgresFailure.map(error, doing: "applying migration \(migration.id)", database: database)
            }
        }
        try await connection.execute("SELECT pg_advisory_unlock(\(unescaped: lockKey))")
        let fsync = try await connection.rows("SELECT current_setting('fsync') = 'on' AS fsync")
        return ServerSettings(fsync: try fsync.first?["fsync"].decode(Bool.self) ?? true)
    }
}
