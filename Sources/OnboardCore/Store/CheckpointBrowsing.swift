/// Reads that the pages and metrics of `onboard serve` need beyond ``CheckpointStore``: the batches themselves,
/// and counts made in one query.
///
/// A capability, not part of ``CheckpointStore``: a store that does not adopt it still works under
/// `onboard serve`, which then lists no batches and counts steps run by run (slower on a large database).
/// `SQLiteCheckpointStore` adopts it; a server-database store should too.
///
/// ```swift
/// if let browsing = store as? any CheckpointBrowsing {
///     let newest = try await browsing.batches(limit: 20, offset: 0)
///     let inDoubt = try await browsing.stepCount(status: .inDoubt, matching: RunFilter(batchID: newest[0].id))
/// }
/// ```
public protocol CheckpointBrowsing: Sendable {
    /// Batches, newest first (`createdAt`, then `id`, descending).
    func batches(limit: Int, offset: Int) async throws -> [BatchRecord]
    func batch(id: String) async throws -> BatchRecord?
    /// How many steps have `status` among the runs matching `filter` (its `status`, `limit`, `offset` and order
    /// ignored, like ``CheckpointStore/runCounts(matching:)``).
    func stepCount(status: StepStatus, matching filter: RunFilter) async throws -> Int
}
