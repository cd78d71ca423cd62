// How errors of postgres-nio leave the store: as StoreError values a user can act on.
import OnboardCore
import PostgresNIO

enum PostgresFailure {
    /// `error` as the store throws it: `StoreError` and `CancellationError` unchanged; PostgreSQL's errors as
    /// `StoreError` `io` naming what was being done, the database (never its password), the SQLSTATE and the
    /// server's message (never the statement or its values), and what to do where that is known.
    static func map(_ error: any Error, doing: String, database: String) -> any Error {
        let prefix = "\(doing) failed on \(database)"
        switch error {
        case let error as StoreError:
            return error
        case is CancellationError:
            return error
        case let error as PSQLError:
            return map(error, prefix: prefix)
        case let error as PostgresDecodingError:
            return StoreError(
                .io,
                "\(prefix): the column \(error.columnName) holds a \(error.postgresType) value this release cannot "
                    + "read; the database was probably written by another program or release")
        default:
            return StoreError(.io, "\(prefix): \(error)")
        }
    }

    private static func map(_ error: PSQLError, prefix: String) -> any Error {
        switch error.code {
        case .queryCancelled:
            // postgres-nio's answer to a cancelled pool lease.
            return CancellationError()
        case .poolClosed:
            return StoreError(.io, "\(prefix): the store is closed")
        case .server:
            let state = error.serverInfo?[.sqlState] ?? "?"
            var message = "\(prefix): PostgreSQL error \(state)"
            if let text = error.serverInfo?[.message] { message += " (\(text))" }
            if let hint = hint(sqlState: state) { message += "; \(hint)" }
            return StoreError(.io, message)
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown:
            var message = "\(prefix): the connection to the server failed"
            if let underlying = error.underlying { message += " (\(underlying))" }
            message += "; check that PostgreSQL runs there and accepts connections from this machine"
            return StoreError(.io, message)
        case .sslUnsupported:
            return StoreError(
                .io,
                "\(prefix): the server does not offer TLS, which this URL requires; enable ssl on the server, or add "
                    + "?sslmode=disable if the network is trusted")
        case .failedToAddSSLHandler:
            var message = "\(prefix): TLS could not be set up"
            if let underlying = error.underlying { message += " (\(underlying))" }
            return StoreError(.io, message)
        case .authMechanismRequiresPassword:
            return StoreError(
                .io, "\(prefix): the server asks for a password; give it in the URL or in PGPASSWORD")
        case .unsupportedAuthMechanism, .saslError:
            return StoreError(.io, "\(prefix): the server's login method failed (\(error.code))")
        default:
            var message = "\(prefix): \(error.code)"
            if let underlying = error.underlying { message += " (\(underlying))" }
            return StoreError(.io, message)
        }
    }

    /// What the user can do about a server error, by SQLSTATE.
    static func hint(sqlState: String) -> String? {
        switch sqlState {
        case "28P01", "28000":
            return "check the user and password (URL or PGPASSWORD) and the server's pg_hba.conf"
        case "3D000":
            return "create the database first (createdb), or name an existing one in the URL"
        case "42501":
            return "the user lacks a privilege the store needs (it creates and changes its own tables)"
        case "53300":
            return "the server has no free connection; raise max_connections or run fewer processes"
        case "53100":
            return "the server's disk is full"
        case "40001", "40P01", "55P03":
            return "another process's transaction conflicted with this one; try again"
        case "57P01", "57P02", "57P03":
            return "the server is shutting down or starting up; try again when it is back"
        case "25006":
            return "the server is read-only (a standby?); point --db at the primary"
        default:
            return nil
        }
    }
}
