import Foundation

/// A rate budget shared beyond one process: every request waits for it after the process's own `RateLimiter`.
///
/// `StoreRequestBudget` keeps it in the checkpoint store, so that every process using one database (workers on
/// several machines) together never sends more than the credential's limit in any window.
public protocol RequestBudget: Sendable {
    /// Waits until a request may leave.
    func acquire() async throws
    /// Stops every request sharing the budget for `seconds` (a 429's `Retry-After`).
    func pause(for seconds: Double) async
}

/// The request budget of one credential, kept in the store (`CheckpointStore.reserveRequestSlot`).
public struct StoreRequestBudget: RequestBudget {
    public let store: any CheckpointStore
    /// An opaque name of the credential: a digest of its key, never the key.
    public let credential: String
    public let limit: Int
    public let window: Duration

    public init(store: any CheckpointStore, accountKey: String, rate: RateSpec) {
        self.store = store
        self.credential = "k" + sha256Hex(Data(("onboard-rate\u{0}" + accountKey).utf8)).prefix(24)
        self.limit = rate.requests
        // The same margin as the process's own limiter: the API's window plus 1/60 of it.
        self.window = rate.per + .seconds(clamping: rate.per.seconds / 60, maximum: 3_600)
    }

    public func acquire() async throws {
        let wait = try await store.reserveRequestSlot(credential: credential, limit: limit, window: window)
        if wait > .zero { try await Task.sleep(for: wait) }
    }

    public func pause(for seconds: Double) async {
        try? await store.pauseRequests(credential: credential, for: .seconds(clamping: seconds, maximum: RetryAfter.maximum))
    }
}
