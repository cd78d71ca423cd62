import Foundation
import OnboardCore

/// Bearer tokens in memory only, one per scope (an endpoint path, or `*` for a global token), shared by every
/// run of the process. Concurrent requests for a missing token wait for one fetch.
actor TokenCache {
    struct Entry: Sendable {
        var token: String
        var expiresAt: Date
        /// Refresh this long before `expiresAt`: 30 s, or a tenth of a short lifetime, so a token never dies in
        /// flight and a short-lived one is still reused.
        var margin: TimeInterval

        init(token: String, expiresAt: Date, fetchedAt: Date = Date()) {
            self.token = token
            self.expiresAt = expiresAt
            self.margin = min(30, max(0, expiresAt.timeIntervalSince(fetchedAt)) / 10)
        }
    }

    private var entries: [String: Entry] = [:]
    private var inFlight: [String: Task<Entry, any Error>] = [:]

    func token(for scope: String, fetch: @escaping @Sendable () async throws -> Entry) async throws -> String {
        if let entry = entries[scope], entry.expiresAt.timeIntervalSinceNow > entry.margin { return entry.token }
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
