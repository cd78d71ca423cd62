import Foundation
import OnboardCore
import OnboardPostgres
import OnboardSQLite

/// Where checkpoints live, as `--db` (or `ONBOARD_DB`) gives it: a file path (SQLite, the embedded default) or a
/// `postgres://` URL (a shared server). The one place that turns it into a store: nothing else names a backend.
public enum StoreLocation: Sendable, Hashable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String)

    /// The default database when neither `--db` nor `ONBOARD_DB` says otherwise.
    public static let defaultPath = "onboard.sqlite"

    /// Reads `--db` (or, when nil, `ONBOARD_DB`, then the default).
    public init(_ text: String?, environment: [String: String] = ProcessInfo.processInfo.environment) {
        let value = text ?? environment["ONBOARD_DB"].flatMap { $0.isEmpty ? nil : $0 } ?? Self.defaultPath
        let lowered = value.lowercased()
        if lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") {
            self = .postgres(url: value)
        } else {
            self = .sqlite(path: value)
        }
    }

    /// For messages: the path, or the URL without its password.
    public var description: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let url): return Self.redactingPassword(url)
        }
    }

    /// Whether `--db` must be repeated in a command printed for the user (it is not the default).
    public var isDefault: Bool { self == .sqlite(path: Self.defaultPath) }

    /// Opens the store. `create`: a missing SQLite file is created (commands that write); otherwise a missing
    /// file is an error (read-only commands never create one). A PostgreSQL URL is opened as
    /// `PostgresCheckpointStore` describes (TLS off to loopback hosts, required and verified elsewhere unless
    /// `?sslmode=disable`; the password from the URL or `PGPASSWORD`).
    ///
    /// - Throws: `StoreError` naming the database and the cause.
    public func open(create: Bool = true) async throws -> any CheckpointStore {
        switch self {
        case .sqlite(let path):
            if !create && !FileManager.default.fileExists(atPath: path) {
                throw StoreError(
                    .notFound,
                    "no database at \(path) (nothing has run with it yet; give --db PATH or set ONBOARD_DB to the one "
                        + "you used)")
            }
            return try SQLiteCheckpointStore(path: path)
        case .postgres(let url):
            // onboard never creates a server database; `create` decides whether an empty one gets its tables.
            return try await PostgresCheckpointStore(url: url, create: create)
        }
    }

    static func redactingPassword(_ url: String) -> String {
        guard var components = URLComponents(string: url), components.password != nil else { return url }
        components.password = "***"
        return components.string ?? url
    }
}
