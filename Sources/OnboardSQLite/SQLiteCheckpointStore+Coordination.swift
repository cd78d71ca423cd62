// The spend ceiling, the workflow texts of the work queue, and claiming runnable runs.
import Foundation
import GRDB
import OnboardCore

extension SQLiteCheckpointStore {
    // MARK: Spend ceiling

    /// Upserts the scope's ceiling, keeping its count of used slots.
    public func setPurchaseCeiling(scope: String, maxPurchases: Int?) async throws {
        if let maxPurchases, maxPurchases < 0 {
            throw StoreError(.io, "a purchase ceiling cannot be negative (\(maxPurchases) for \(scope))")
        }
        try await write("setting the purchase ceiling of \(scope)") { db in
            try db.cachedStatement(
                sql: """
                    INSERT INTO purchase_budgets (scope, max_purchases, used) VALUES (?, ?, 0) \
                    ON CONFLICT (scope) DO UPDATE SET max_purchases = excluded.max_purchases
                    """
            )
            .execute(arguments: [scope, maxPurchases])
        }
    }

    public func purchaseUsage(scope: String) async throws -> PurchaseUsage {
        try await read("reading the purchase ceiling of \(scope)") { db in
            try fetchPurchaseUsage(db, scope: scope)
        }
    }

    // MARK: Work queue

    public func storeWorkflow(digest: String, name: String, text: String) async throws {
        let now = clock()
        try await write("storing workflow \(name)") { db in
            try db.cachedStatement(
                sql: """
                    INSERT INTO workflows (digest, name, text, created_at) VALUES (?, ?, ?, ?) \
                    ON CONFLICT (digest) DO NOTHING
                    """
            )
            .execute(arguments: [digest, name, text, now.storedSeconds])
        }
    }

    public func workflow(digest: String) async throws -> StoredWorkflow? {
        try await read("reading workflow \(digest)") { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT digest, name, text FROM workflows WHERE digest = ?"), arguments: [digest]
            )
            .map { row in
                StoredWorkflow(
                    digest: try row.decode(forColumn: "digest"), name: try row.decode(forColumn: "name"),
                    text: try row.decode(forColumn: "text"))
            }
        }
    }

    /// Picks and leases the runnable runs in one IMMEDIATE transaction. SQLite has one writer at a time, so no
    /// other claimer can see the same runs before this one commits: there is nothing to skip.
    public func claimRunnable(batchID: String?, owners: [String], duration: Duration) async throws -> [Lease] {
        guard !owners.isEmpty else { return [] }
        let now = clock()
        let until = now.addingTimeInterval(duration.seconds)
        return try await write("claiming runnable runs") { db in
            var arguments: StatementArguments = [now.storedSeconds]
            var batchCondition = ""
            if let batchID {
                batchCondition = "AND r.batch_id = ? "
                arguments += [batchID]
            }
            arguments += [owners.count]
            let ids = try String.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT r.id FROM runs r \
                        WHERE r.status IN ('pending', 'interrupted', 'running') \
                        AND (r.lease_owner IS NULL OR r.lease_expires_at < ?) \(batchCondition)\
                        AND (r.parent_id IS NULL OR EXISTS \
                            (SELECT 1 FROM runs p WHERE p.id = r.parent_id AND p.status = 'done')) \
                        ORDER BY r.created_at, r.id LIMIT ?
                        """),
                arguments: arguments)
            let take = try db.cachedStatement(
                sql: """
                    UPDATE runs SET lease_owner = ?, lease_expires_at = ?, lease_epoch = lease_epoch + 1, status = ?, \
                    last_error = NULL, updated_at = ? WHERE id = ? RETURNING lease_epoch
                    """)
            var leases: [Lease] = []
            for (id, owner) in zip(ids, owners) {
                let epoch = try Int64.fetchOne(
                    take,
                    arguments: [owner, until.storedSeconds, RunStatus.running.rawValue, now.storedSeconds, id])
                guard let epoch else { throw StoreError(.io, "run \(id) vanished while it was being claimed") }
                leases.append(Lease(runID: id, owner: owner, epoch: epoch))
            }
            return leases
        }
    }
}

func fetchPurchaseUsage(_ db: Database, scope: String) throws -> PurchaseUsage {
    guard
        let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT used, max_purchases FROM purchase_budgets WHERE scope = ?"),
            arguments: [scope])
    else { return PurchaseUsage(used: 0, ceiling: nil) }
    return PurchaseUsage(used: try row.decode(forColumn: "used"), ceiling: try row.decode(forColumn: "max_purchases"))
}

/// Gives the (run, step) of a purchase attempt its slot, unless it holds one: throws `purchaseCeiling` (the
/// transaction then rolls back) when its scope has no free slot. Called inside `beginAttempt`'s transaction.
func takePurchaseSlot(_ db: Database, runID: String, stepID: String, at now: Date) throws {
    guard
        let scope = try String.fetchOne(
            db.cachedStatement(sql: "SELECT COALESCE(batch_id, id) FROM runs WHERE id = ?"), arguments: [runID])
    else { throw StoreError(.notFound, "no run \(runID) in the database") }
    try db.cachedStatement(
        sql: """
            INSERT INTO purchase_slots (run_id, step_id, scope, created_at) VALUES (?, ?, ?, ?) \
            ON CONFLICT (run_id, step_id) DO NOTHING
            """
    )
    .execute(arguments: [runID, stepID, scope, now.storedSeconds])
    guard db.changesCount == 1 else { return }  // a retry of a purchase that already has its slot
    // One conditional upsert: counts the slot only while the ceiling (if any) leaves room.
    try db.cachedStatement(
        sql: """
            INSERT INTO purchase_budgets (scope, used) VALUES (?, 1) \
            ON CONFLICT (scope) DO UPDATE SET used = used + 1 WHERE max_purchases IS NULL OR used < max_purchases
            """
    )
    .execute(arguments: [scope])
    guard db.changesCount == 1 else {
        let usage = try fetchPurchaseUsage(db, scope: scope)
        throw StoreError.purchaseCeiling(
            scope: scope, ceiling: usage.ceiling ?? 0, used: usage.used, runID: runID, stepID: stepID)
    }
}
