import Foundation
import OnboardCore

/// Bearer tokens in memory only, one per scope (an endpoint path, or `*` for a global token), shared by every
/// run of the process. Concurrent requests for a missing token wait for one fetch.
actor TokenCache {
    struct Entry: Sendable {
        var token: String
        var expiresAt: Date
    }

    private var entries: [String: Entry] = [:]
    private var inFlight: [String: Task<Entry, any Error>] = [:]
    /// Refresh this long before the stated expiry, so a token never dies in flight.
    private let margin: TimeInterval

    init(margin: TimeInterval = 30) { self.margin = margin }

    func token(for scope: String, fetch: @escaping @Sendable () async throws -> Entry) async throws -> String {
        if let entry = entries[scope], entry.expiresAt.timeIntervalSinceNow > margin { return entry.token }
        if let task = inFlight[scope] { return try await task.value.token }
        let task = Task { try await fetch() }
        inFlight[scope] = task
        defer { inFlight[scope] = nil }
        let entry = try await task.value
        entries[scope] = entry
        return entry.token
    }

    /// Forgets `token` for `scope` (after a 401, or a 403 naming the scope), unless a newer one replaced it.
    func invalidate(scope: String, token: String) {
        if entries[scope]?.token == token { entries[scope] = nil }
    }
}
