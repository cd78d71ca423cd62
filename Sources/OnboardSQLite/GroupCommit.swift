// The store's one writer: commits that wait at the same moment share one transaction and one sync.
import Foundation
import GRDB
import OnboardCore
import Synchronization

/// Counters of the store's writes since it was opened: how many changes were asked for, how many transactions
/// committed them, and how many of those commits were synced to stable storage.
///
/// `writes - commits` is what group commit saved; `syncs` counts the commits made with `synchronous = FULL`
/// (SQLite's own checkpoints, which also sync, are not counted).
public struct CommitStatistics: Sendable, Hashable {
    /// Changes asked for (one per store method call that writes).
    public var writes = 0
    /// Transactions committed.
    public var commits = 0
    /// Commits synced to stable storage (the WAL's `fsync`), each covering every commit before it.
    public var syncs = 0
    /// Writes that asked for a synced commit.
    public var syncedWrites = 0
    /// The most writes one commit carried.
    public var largestGroup = 0

    public init() {}
}

/// Gathers the store's writes into group commits.
///
/// A write that finds the writer idle (no write queued, none committing) commits at once, alone, on the caller's
/// thread, through the pool's one writer connection: a lone write then costs no thread switch. Any other write is
/// queued here and run by one drain on GRDB's writer queue (the same connection). The drain takes every write
/// waiting at that moment and runs them, in the order they were asked for, in one
/// IMMEDIATE transaction, each inside a savepoint of its own; it then commits once (synced when any of them asked
/// for it, see ``SQLiteCheckpointStore/Durability``) and only then tells each caller its result. Writes asked for
/// while a group commits form the next group. So under concurrency N writes cost one commit and at most one sync,
/// and a lone write costs what it did before: its own transaction, with no savepoint.
///
/// Each write keeps its own outcome. A write that throws (a lost lease, a claim held by another run, the purchase
/// ceiling) is rolled back to its savepoint and fails alone; the others commit. Because the writes of a group run
/// one after another on one connection, each sees the ones before it exactly as it would have after their
/// commits: the group is equivalent to committing them one by one in that order. When the group itself cannot
/// commit (an I/O error, a full disk: SQLite then rolls the whole transaction back), nothing of it was kept, and
/// each write is run again alone, in its own transaction, so each caller gets the outcome it would have had
/// without grouping.
///
/// "Durable before the request leaves" holds per caller: a caller whose write asked for a sync is answered only
/// after the group's synced commit returned.
final class GroupCommitter: Sendable {
    /// One queued write: runs its updates and, later, answers its caller.
    struct Pending: Sendable {
        let synced: Bool
        /// Runs the caller's updates, keeping the value for `answer`.
        let run: @Sendable (Database) throws -> Void
        /// Answers the caller (after the commit, or with the error that undid its updates).
        let answer: @Sendable ((any Error)?) -> Void
    }

    private struct State {
        var queue: [Pending] = []
        var draining = false
        var statistics = CommitStatistics()
    }

    private let pool: DatabasePool
    private let durability: SQLiteCheckpointStore.Durability
    /// False: every write in a transaction of its own, as before group commit (to measure the difference).
    private let grouping: Bool
    private let state = Mutex(State())

    init(pool: DatabasePool, durability: SQLiteCheckpointStore.Durability, grouping: Bool = true) {
        self.pool = pool
        self.durability = durability
        self.grouping = grouping
    }

    var statistics: CommitStatistics { state.withLock { $0.statistics } }

    /// Runs `updates` in the next group commit and returns its value once that commit is done (and synced, when
    /// `synced`, or in `everyCommit` durability). Not cancellable: a write that was asked for completes.
    func write<T: Sendable>(synced: Bool, _ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        if let value = try writeHereIfIdle(synced: synced, updates) { return value }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            // Written by `run` and read by `answer`, both on the writer queue, one after the other.
            let box = ResultBox<T>()
            let pending = Pending(
                synced: synced,
                run: { db in box.value = try updates(db) },
                answer: { error in
                    if let error {
                        continuation.resume(throwing: error)
                    } else if let value = box.value {
                        continuation.resume(returning: value)
                    } else {
                        continuation.resume(throwing: StoreError(.io, "a committed write lost its result"))
                    }
                })
            submit(pending)
        }
    }

    /// When no write waits and none is committing, commits `updates` alone on the caller's thread and returns its
    /// value; otherwise returns nil (the write is queued as usual). Saves the two thread switches of a queued
    /// write (to the writer queue and back), which are most of a lone write's cost. Writes asked for meanwhile
    /// queue behind it and are handed to the writer queue when it is done, so the caller never commits others'
    /// writes and at most one thread of the pool waits on a commit this way.
    private func writeHereIfIdle<T: Sendable>(
        synced: Bool, _ updates: @escaping @Sendable (Database) throws -> T
    ) throws -> T? {
        let claimed = state.withLock { state -> Bool in
            guard !state.draining, state.queue.isEmpty else { return false }
            state.draining = true
            state.statistics.writes += 1
            if synced { state.statistics.syncedWrites += 1 }
            return true
        }
        guard claimed else { return nil }
        defer { releaseDrain() }
        let box = ResultBox<T>()
        var failure: (any Error)?
        pool.writeWithoutTransaction { db in
            commitAlone(
                Pending(synced: synced, run: { db in box.value = try updates(db) }, answer: { _ in }), db,
                failure: &failure)
        }
        if let failure { throw failure }
        guard let value = box.value else { throw StoreError(.io, "a committed write lost its result") }
        return value
    }

    /// Ends a commit made on a caller's thread: writes that queued meanwhile go to the writer queue.
    private func releaseDrain() {
        let startDrain = state.withLock { state -> Bool in
            if state.queue.isEmpty {
                state.draining = false
                return false
            }
            return true
        }
        if startDrain {
            pool.asyncWriteWithoutTransaction { db in self.drain(db) }
        }
    }

    private func submit(_ pending: Pending) {
        let startDrain = state.withLock { state -> Bool in
            state.queue.append(pending)
            state.statistics.writes += 1
            if pending.synced { state.statistics.syncedWrites += 1 }
            guard !state.draining else { return false }
            state.draining = true
            return true
        }
        if startDrain {
            pool.asyncWriteWithoutTransaction { db in self.drain(db) }
        }
    }

    /// Runs `block` on the writer queue the way a drain runs, then drains: writes asked for while it runs queue
    /// behind it, as behind a busy writer, and then commit together. For tests that need a group to form.
    func occupy(_ block: @escaping @Sendable (Database) -> Void) {
        state.withLock { state in
            precondition(!state.draining, "occupy needs an idle writer")
            state.draining = true
        }
        pool.asyncWriteWithoutTransaction { db in
            block(db)
            self.drain(db)
        }
    }

    /// Commits groups until nothing waits. Runs on the writer queue.
    private func drain(_ db: Database) {
        while true {
            let group = state.withLock { state -> [Pending] in
                let group: [Pending]
                if grouping {
                    group = state.queue
                    state.queue.removeAll(keepingCapacity: true)
                } else {
                    group = state.queue.isEmpty ? [] : [state.queue.removeFirst()]
                }
                if group.isEmpty { state.draining = false }
                return group
            }
            if group.isEmpty { return }
            if group.count == 1 {
                commitAlone(group[0], db)
            } else {
                commitGroup(group, db)
            }
        }
    }

    /// Whether a commit of writes with these wishes must be synced by raising `synchronous` for it: only under
    /// `beforeRequests`, whose connection otherwise runs at NORMAL (`everyCommit` keeps FULL throughout).
    private func raisesSynchronous(_ synced: Bool) -> Bool { synced && durability == .beforeRequests }

    private func countCommit(writes: Int, synced: Bool) {
        state.withLock {
            $0.statistics.commits += 1
            if synced || durability == .everyCommit { $0.statistics.syncs += 1 }
            $0.statistics.largestGroup = max($0.statistics.largestGroup, writes)
        }
    }

    /// One write in its own transaction, as the store did before groups.
    private func commitAlone(_ pending: Pending, _ db: Database) {
        var failure: (any Error)?
        commitAlone(pending, db, failure: &failure)
        pending.answer(failure)
    }

    /// One write in its own transaction; `failure` is what undid it, if anything.
    private func commitAlone(_ pending: Pending, _ db: Database, failure: inout (any Error)?) {
        let raise = raisesSynchronous(pending.synced)
        do {
            // SQLite refuses to change `synchronous` inside a transaction: it is set around it.
            if raise { try db.execute(sql: "PRAGMA synchronous = FULL") }
            defer { if raise { try? db.execute(sql: "PRAGMA synchronous = NORMAL") } }
            try db.inTransaction(.immediate) {
                try pending.run(db)
                return .commit
            }
        } catch {
            failure = error
            return
        }
        countCommit(writes: 1, synced: pending.synced)
    }

    /// Several writes in one transaction, a savepoint each; one commit, synced when any of them asked for it.
    private func commitGroup(_ group: [Pending], _ db: Database) {
        let synced = group.contains { $0.synced }
        let raise = raisesSynchronous(synced)
        var failures: [(any Error)?] = Array(repeating: nil, count: group.count)
        do {
            if raise { try db.execute(sql: "PRAGMA synchronous = FULL") }
            defer { if raise { try? db.execute(sql: "PRAGMA synchronous = NORMAL") } }
            try db.inTransaction(.immediate) {
                for (index, pending) in group.enumerated() {
                    do {
                        try db.inSavepoint {
                            try pending.run(db)
                            return .commit
                        }
                    } catch {
                        // The savepoint is rolled back: only this write is undone, unless SQLite gave up the
                        // whole transaction (then the group is run again write by write, below).
                        guard db.isInsideTransaction else { throw GroupAborted() }
                        failures[index] = error
                    }
                }
                return .commit
            }
        } catch {
            // Nothing of the group was committed: each write again, alone, gets the outcome it would have had.
            for pending in group { commitAlone(pending, db) }
            return
        }
        countCommit(writes: group.count, synced: synced)
        for (pending, failure) in zip(group, failures) { pending.answer(failure) }
    }

    private struct GroupAborted: Error {}
}

/// A write's value, between the updates that produce it and the answer that returns it (both on the writer queue).
private final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}
