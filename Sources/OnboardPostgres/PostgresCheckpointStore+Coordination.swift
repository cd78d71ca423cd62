// The spend ceiling, the workflow texts of the work queue, and claiming runnable runs.
import Foundation
import OnboardCore
import PostgresNIO

extension PostgresCheckpointStore {
    // MARK: Spend ceiling

    /// Upserts the scope's ceiling, keeping its count of used slots.
    public func setPurchaseCeiling(scope: String, maxPurchases: Int?) async throws {
        if let maxPurchases, maxPurchases < 0 {
            throw StoreError(.io, "a purchase ceiling cannot be negative (\(maxPurchases) for \(scope))")
        }
        try await write("setting the purchase ceiling of \(scope)") { connection in
            try await connection.execute(
                """
                INSERT INTO purchase_budgets (scope, max_purchases, used) VALUES (\(scope), \(maxPurchases), 0) \
                ON CONFLICT (scope) DO UPDATE SET max_purchases = excluded.max_purchases
                """)
        }
    }

    public func purchaseUsage(scope: String) async throws -> PurchaseUsage {
        try await read("reading the purchase ceiling of \(scope)") { connection in
            try await fetchPurchaseUsage(connection, scope: scope)
        }
    }

    // MARK: Work queue

    public func storeWorkflow(digest: String, name: String, text: String) async throws {
        try await write("storing workflow \(name)") { connection in
            try await connection.execute(
                """
                INSERT INTO workflows (digest, name, text, created_at) \
                VALUES (\(digest), \(name), \(text), clock_timestamp()) ON CONFLICT (digest) DO NOTHING
                """)
        }
    }

    public func workflow(digest: String) async throws -> StoredWorkflow? {
        try await read("reading workflow \(digest)") { connection in
            try await connection.rows("SELECT digest, name, text FROM workflows WHERE digest = \(digest)").first.map {
                StoredWorkflow(digest: try $0.value("digest"), name: try $0.value("name"), text: try $0.value("text"))
            }
        }
    }

    /// Picks and leases the runnable runs in one statement: the inner `SELECT … FOR UPDATE SKIP LOCKED` locks up to
    /// `owners.count` runnable rows, passing over rows that another transaction has locked (another claimer, a
    /// lease being taken or renewed) instead of waiting for them, and the `UPDATE` takes each one's lease for the
    /// owner of its rank, as ``acquireLease(runID:owner:duration:replacing:)`` does. A row whose state changed
    /// before it could be locked is checked again on its new version (`READ COMMITTED`), so a run taken a moment
    /// ago is not taken twice.
    public func claimRunnable(batchID: String?, owners: [String], duration: Duration) async throws -> [Lease] {
        guard !owners.isEmpty else { return [] }
        return try await write("claiming runnable runs") { connection in
            let rows = try await connection.rows(
                """
                WITH picked AS (
                    SELECT r.id, r.created_at FROM runs r
                    WHERE r.status IN ('pending', 'interrupted', 'running')
                    AND (r.lease_owner IS NULL OR r.lease_expires_at < clock_timestamp())
                    AND (\(batchID)::text IS NULL OR r.batch_id = \(batchID)::text)
                    AND (r.parent_id IS NULL
                        OR EXISTS (SELECT 1 FROM runs p WHERE p.id = r.parent_id AND p.status = 'done'))
                    ORDER BY r.created_at, r.id
                    LIMIT \(owners.count)
                    FOR UPDATE OF r SKIP LOCKED
                ), ranked AS (
                    SELECT id, row_number() OVER (ORDER BY created_at, id)::int AS rank FROM picked
                )
                UPDATE runs SET lease_owner = (\(owners)::text[])[ranked.rank],
                    lease_expires_at = clock_timestamp() + \(duration.microseconds) * \(unescaped: microsecond),
                    lease_epoch = runs.lease_epoch + 1, status = \(RunStatus.running.rawValue), last_error = NULL,
                    updated_at = clock_timestamp()
                FROM ranked WHERE runs.id = ranked.id
                RETURNING runs.id, runs.lease_owner, runs.lease_epoch, ranked.rank
                """)
            return try rows.map { row in
                (
                    rank: try row.value("rank", as: Int.self),
                    lease: Lease(
                        runID: try row.value("id"), owner: try row.value("lease_owner"), epoch: try row.value("lease_epoch"))
                )
            }
            .sorted { $0.rank < $1.rank }
            .map(\.lease)
        }
    }
}

func fetchPurchaseUsage(_ connection: PostgresConnection, scope: String) async throws -> PurchaseUsage {
    guard
        let row = try await connection.rows(
            "SELECT used, max_purchases FROM purchase_budgets WHERE scope = \(scope)"
        ).first
    else { return PurchaseUsage(used: 0, ceiling: nil) }
    return PurchaseUsage(used: try row.value("used"), ceiling: try row.value("max_purchases"))
}

/// Gives the (run, step) of a purchase attempt its slot, unless it holds one: throws `purchaseCeiling` (the
/// transaction then rolls back) when its scope has no free slot. Called inside `beginAttempt`'s transaction,
/// after the run's row is locked.
///
/// The count is one conditional upsert on the scope's row: concurrent purchases of one scope wait for that row's
/// lock in turn, and each sees the count the previous one committed, so the ceiling is never passed.
func takePurchaseSlot(_ connection: PostgresConnection, runID: String, stepID: String) async throws {
    let slot = try await connection.rows(
        """
        INSERT INTO purchase_slots (run_id, step_id, scope, created_at) \
        SELECT id, \(stepID), COALESCE(batch_id, id), clock_timestamp() FROM runs WHERE id = \(runID) \
        ON CONFLICT (run_id, step_id) DO NOTHING RETURNING scope
        """)
    guard let scope = try slot.first?.value("scope", as: String.self) else { return }  // already holds one
    let counted = try await connection.rows(
        """
        INSERT INTO purchase_budgets AS b (scope, used) VALUES (\(scope), 1) \
        ON CONFLICT (scope) DO UPDATE SET used = b.used + 1 \
        WHERE b.max_purchases IS NULL OR b.used < b.max_purchases RETURNING used
        """)
    guard counted.isEmpty else { return }
    let usage = try await fetchPurchaseUsage(connection, scope: scope)
    throw StoreError.purchaseCeiling(
        scope: scope, ceiling: usage.ceiling ?? 0, used: usage.used, runID: runID, stepID: stepID)
}
