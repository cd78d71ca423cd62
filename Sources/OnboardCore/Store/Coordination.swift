// Values of the store's coordination methods: the spend ceiling and the work queue.

/// How much of a spend scope's purchase ceiling is used.
///
/// A scope is a batch id, or the id of a run outside any batch. Each (run, step) that has started a purchase holds
/// one slot for good: retries of that purchase reuse it, and reruns never give it back, so `used` only grows.
public struct PurchaseUsage: Sendable, Hashable, Codable {
    /// Purchase slots taken.
    public var used: Int
    /// The most slots the scope may take; nil when there is no ceiling.
    public var ceiling: Int?

    public init(used: Int, ceiling: Int?) {
        self.used = used
        self.ceiling = ceiling
    }

    /// Slots still free under the ceiling (nil: unbounded).
    public var remaining: Int? { ceiling.map { max($0 - used, 0) } }
}

/// A workflow definition kept in the store so that workers on other machines run exactly what was enqueued.
public struct StoredWorkflow: Sendable, Hashable, Codable {
    /// The definition's digest (`RunRecord.definitionDigest` of the runs that use it).
    public var digest: String
    /// The workflow's `name`.
    public var name: String
    /// The definition file's text, byte for byte.
    public var text: String

    public init(digest: String, name: String, text: String) {
        self.digest = digest
        self.name = name
        self.text = text
    }
}
