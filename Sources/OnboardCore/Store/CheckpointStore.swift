import Foundation
import Synchronization

/// Where runs, steps and attempts are checkpointed, and where executions coordinate. The runner reaches storage
/// only through this protocol; `OnboardSQLite.SQLiteCheckpointStore` is the implementation that ships.
///
/// ## The contract every backend keeps
/// - Every method that changes more than one row does so in one transaction.
/// - **Durable before a request is sent:** when `beginAttempt` returns for an attempt whose `effect` creates
///   something, that attempt and every commit before it survive a crash of the process, of the machine and a
///   power loss. Other commits must survive a crash of the process. How (a synced commit, a synchronous replica)
///   is the backend's choice.
/// - **Fencing:** commits that record or complete work take the caller's `Lease` and succeed only while that lease
///   is current (same owner, same epoch, unexpired by the store's clock); otherwise they throw `leaseLost` and
///   change nothing. Lease times are the store's clock (SQLite: this machine's; a server database: the server's).
/// - **Claims** are unique across the whole store, whoever writes them.
/// - **Coordination** (purchase ceilings, locks, the request budget, claiming runnable work) holds across every
///   process using the store, as it would between tasks of one process: two processes on one store behave like
///   two tasks of one process.
public protocol CheckpointStore: Sendable {
    // MARK: Runs

    /// Inserts `run` with one `pending` step row per id in `stepIDs` (in order), unless a run with the same `key`
    /// exists; returns the stored run either way (the existing one untouched).
    func createRun(_ run: RunRecord, stepIDs: [String]) async throws -> RunRecord
    func run(id: String) async throws -> RunRecord?
    func run(key: String) async throws -> RunRecord?
    /// Runs matching `filter`, oldest first.
    func runs(matching filter: RunFilter) async throws -> [RunRecord]
    /// Counts per status of the runs matching `filter` (its `status` ignored).
    func runCounts(matching filter: RunFilter) async throws -> [RunStatus: Int]
    /// Replaces the pinned digests and inputs (after `--accept-changes`), keeping the previous inputs so that
    /// attempts sent with them can still be looked up with them (`inputs(runID:digest:)`).
    ///
    /// `accepted` (the lines `--accept-changes` accepted; empty when nothing finished was affected) is kept in the
    /// same transaction, for `acceptedChanges(runID:)`.
    func repin(
        _ lease: Lease, definitionDigest: String, inputsDigest: String, inputs: JSONValue, accepted: [String]
    ) async throws
    /// Every acceptance of changes recorded for the run, oldest first.
    func acceptedChanges(runID: String) async throws -> [AcceptedChange]
    /// The inputs a run had when its digest was `digest` (its current ones, or an earlier pin).
    func inputs(runID: String, digest: String) async throws -> JSONValue?

    // MARK: Leases

    /// Takes the run's lease for `owner` for `duration` if it is free or expired, or, when `deadHolder` is given,
    /// if `deadHolder` holds it (the caller has proved that process gone). In the same transaction it increments
    /// the lease epoch and marks the run `running` (clearing its last error).
    ///
    /// - Throws: `StoreError` `notFound` when the run does not exist.
    func acquireLease(runID: String, owner: String, duration: Duration, replacing deadHolder: String?) async throws
        -> LeaseAcquisition
    /// `acquireLease`, and when the lease is acquired, the run with its steps and attempts as they stand under it:
    /// everything an execution reads before its first step, in one call (SQLite: in the same transaction).
    func acquireLeaseReading(runID: String, owner: String, duration: Duration, replacing deadHolder: String?)
        async throws -> (LeaseAcquisition, RunSnapshot?)
    /// Extends `lease` to `duration` from now; false (changing nothing) when it was taken over or has expired.
    func renewLease(_ lease: Lease, duration: Duration) async throws -> Bool
    /// In one transaction: sets the run's final `status` and `lastError` and releases the lease.
    ///
    /// - Throws: `leaseLost` (changing nothing) when `lease` is no longer current.
    func finishRun(_ lease: Lease, status: RunStatus, lastError: String?) async throws

    // MARK: Steps and attempts

    /// Steps of a run in workflow order.
    func steps(runID: String) async throws -> [StepRecord]
    /// Attempts of a run (of one step when `stepID` is given), oldest first.
    func attempts(runID: String, stepID: String?) async throws -> [AttemptRecord]

    /// Records an attempt right before its request is sent (or, for a read, after it ended, with its outcome), and
    /// in the same transaction marks the step `running` (and, for purpose `.send`, counts the attempt on the step).
    /// Durable on return when `attempt.effect` creates something. Returns the record with its `id` set.
    ///
    /// An attempt whose `effect` is `.purchase` also takes a *purchase slot* for its (run, step) in the same
    /// transaction, counted against the spend scope of the run (its `batchID`, or its own id when it has none;
    /// see `setPurchaseCeiling(scope:maxPurchases:)`). A step that already holds a slot (a retry or a
    /// reconciliation of the same purchase) never takes a second one, and slots are never given back.
    ///
    /// - Throws: `leaseLost`; `notFound` for a missing step; `purchaseCeiling`, changing nothing, when the step
    ///   holds no slot yet and its scope's ceiling is reached.
    func beginAttempt(_ attempt: AttemptRecord, lease: Lease) async throws -> AttemptRecord
    /// Records how an attempt ended.
    func finishAttempt(
        id: Int64, outcome: AttemptOutcome, statusCode: Int?, error: String?, at: ClockReading, lease: Lease
    ) async throws
    /// Marks attempts as proved to have had no effect by a lookup made when the API could no longer apply them.
    func disprove(attemptIDs: [Int64], lease: Lease) async throws
    /// In one transaction: finishes `attempt` (if given) as succeeded with its status code, marks the step `done`
    /// with `outputs` and `inputDigest`, clears its error, and inserts `claims` for the run. Throws
    /// `StoreError.claimConflict` (and changes nothing) when another run already holds one of the claims.
    func completeStep(
        _ lease: Lease, stepID: String, outputs: [String: JSONValue], inputDigest: String?, claims: [Claim],
        attempt: FinishedAttempt?
    ) async throws
    /// The last step of a run: `completeStep`, then `finishRun(lease, status: .done, lastError: nil)`, in one
    /// transaction where the backend can (the step's outputs, the run's status and the lease's release commit
    /// together). Throws what `completeStep` throws, and then changes nothing.
    func completeFinalStep(
        _ lease: Lease, stepID: String, outputs: [String: JSONValue], inputDigest: String?, claims: [Claim],
        attempt: FinishedAttempt?
    ) async throws
    /// Sets a step's status, last error and next retry time (outputs untouched).
    func setStepState(
        _ lease: Lease, stepID: String, status: StepStatus, lastError: String?, nextRetryAt: Date?
    ) async throws
    /// Puts the given steps back to `pending`: clears their outputs, error, digest and the run's claims made by
    /// them (`retry --from`). Attempt history is kept.
    func resetSteps(_ lease: Lease, stepIDs: [String]) async throws

    // MARK: Claims

    /// The run holding `claim`, if any.
    func claimHolder(_ claim: Claim) async throws -> String?

    // MARK: Batches

    /// Inserts the batch unless one with the same id exists; returns the stored one.
    func createBatch(_ batch: BatchRecord) async throws -> BatchRecord

    // MARK: Spend ceiling

    /// Sets (or, with nil, removes) the most purchases the runs of `scope` may ever start: a batch id, or the id of
    /// a run outside any batch. The count of slots already taken is kept; a ceiling below it stops every purchase
    /// that has no slot yet.
    func setPurchaseCeiling(scope: String, maxPurchases: Int?) async throws
    /// How many purchase slots `scope` has taken, and its ceiling (0 and nil for a scope never seen).
    func purchaseUsage(scope: String) async throws -> PurchaseUsage

    // MARK: Locks

    /// Runs `body` while holding the lock named `key`, shared (any number of holders at once) or exclusive (one
    /// holder and no shared one), across every process using the store.
    ///
    /// Waiters are served in arrival order as far as the backend allows, and a waiting exclusive holder is never
    /// starved by a stream of shared ones. The lock is released on every way out of `body` (a return, an error,
    /// cancellation) and when the process holding it dies. A cancelled waiter stops waiting and throws
    /// `CancellationError` without running `body`. Not reentrant: a body that asks for a lock it holds waits
    /// forever.
    func withLock<T: Sendable>(_ key: String, exclusive: Bool, _ body: @Sendable () async throws -> T) async throws -> T

    /// ``withLock(_:exclusive:_:)``, waiting at most `limit` for the lock: when it is not had by then, throws
    /// ``LockWaitExceeded`` without running `body`. Once `body` has started, the limit no longer applies.
    ///
    /// A lock that is free is taken at once. The default implementation races the wait against a timer in two
    /// child tasks; a backend that can bound the wait itself overrides it, so an uncontended lock costs no task.
    func withLock<T: Sendable>(
        _ key: String, exclusive: Bool, waitingAtMost limit: Duration, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T

    // MARK: Request budget

    /// Reserves the earliest moment at or after now at which one request with `credential` may leave, such that,
    /// across every process using the store, no span of `window` holds more than `limit` reserved moments (and none
    /// falls inside a pause); returns how long the caller must wait for it. Moments are handed out in the order
    /// of the calls, and a steady demand gets `limit` per `window`.
    ///
    /// `credential` is an opaque identifier of the budget (a digest of the API key, never the key itself). Every
    /// caller of one credential must pass the same `limit` and `window`.
    func reserveRequestSlot(credential: String, limit: Int, window: Duration) async throws -> Duration
    /// Stops every request of `credential`, in every process, until `duration` from now (a 429's `Retry-After`):
    /// moments already reserved inside the pause move to its end. A shorter pause than one in force changes
    /// nothing.
    func pauseRequests(credential: String, for duration: Duration) async throws

    // MARK: Work queue

    /// Keeps a workflow definition's text under its digest, so a worker on another machine can run it. Storing
    /// a digest that is already kept changes nothing.
    func storeWorkflow(digest: String, name: String, text: String) async throws
    /// The workflow kept under `digest`, if any.
    func workflow(digest: String) async throws -> StoredWorkflow?
    /// Takes up to `owners.count` runs that may be executed now (of `batchID` when given), oldest first, in one
    /// transaction, each leased to one of `owners` (in order) for `duration` exactly as `acquireLease` would (epoch
    /// plus one, status `running`, last error cleared).
    ///
    /// A run may be executed when its status is `pending`, `interrupted` or `running`, its lease is free or
    /// expired, and, when it has a parent (a subscriber's account), the parent is `done`. Runs another claimer is
    /// taking at the same moment are skipped, never waited for: concurrent claimers never get the same run.
    func claimRunnable(batchID: String?, owners: [String], duration: Duration) async throws -> [Lease]

    // MARK: Lifecycle

    /// Closes the store's connections; any later call fails.
    func close() async throws
}

/// A run with its steps (in workflow order) and attempts (oldest first), as read under a lease just taken.
public struct RunSnapshot: Sendable, Hashable {
    public var run: RunRecord
    public var steps: [StepRecord]
    public var attempts: [AttemptRecord]

    public init(run: RunRecord, steps: [StepRecord], attempts: [AttemptRecord]) {
        self.run = run
        self.steps = steps
        self.attempts = attempts
    }
}

extension CheckpointStore {
    public func withLock<T: Sendable>(
        _ key: String, exclusive: Bool, waitingAtMost limit: Duration, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        // The wait and the timer race on one state, so exactly one of them wins: the body enters, or the wait is
        // given up (and a lock granted after that is let go without running the body).
        let gate = LockGate()
        return try await withThrowingTaskGroup(of: LockRace<T>.self) { group in
            group.addTask {
                .held(
                    try await withLock(key, exclusive: exclusive) {
                        guard gate.move(to: .entered) else { throw CancellationError() }
                        return try await body()
                    })
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return .timer
            }
            while let next = try await group.next() {
                switch next {
                case .held(let value):
                    group.cancelAll()
                    return value
                case .timer:
                    if gate.move(to: .gaveUp) {
                        group.cancelAll()
                        throw LockWaitExceeded(key: key, waited: limit)
                    }
                }
            }
            throw CancellationError()
        }
    }

    /// Takes the lease, then reads the run, its steps and its attempts (four calls; a backend that can do it in
    /// one transaction overrides this).
    public func acquireLeaseReading(
        runID: String, owner: String, duration: Duration, replacing deadHolder: String?
    ) async throws -> (LeaseAcquisition, RunSnapshot?) {
        let acquisition = try await acquireLease(runID: runID, owner: owner, duration: duration, replacing: deadHolder)
        guard case .acquired = acquisition, let run = try await run(id: runID) else { return (acquisition, nil) }
        let snapshot = RunSnapshot(
            run: run, steps: try await steps(runID: runID), attempts: try await attempts(runID: runID, stepID: nil))
        return (acquisition, snapshot)
    }

    /// `completeStep`, then `finishRun` as done: two transactions (a crash between them leaves a run whose steps
    /// are all done, which its next execution finishes without a call).
    public func completeFinalStep(
        _ lease: Lease, stepID: String, outputs: [String: JSONValue], inputDigest: String?, claims: [Claim],
        attempt: FinishedAttempt?
    ) async throws {
        try await completeStep(lease, stepID: stepID, outputs: outputs, inputDigest: inputDigest, claims: claims, attempt: attempt)
        try await finishRun(lease, status: .done, lastError: nil)
    }
}

/// A bounded wait for a named lock (``CheckpointStore/withLock(_:exclusive:waitingAtMost:_:)``) ended before the
/// lock was had: another holder kept it longer than the limit. The body did not run.
public struct LockWaitExceeded: Error, Sendable, CustomStringConvertible {
    public let key: String
    public let waited: Duration

    public init(key: String, waited: Duration) {
        self.key = key
        self.waited = waited
    }

    public var description: String { "the lock \(key) was held by another execution for longer than \(waited)" }
}

/// Which side of a bounded lock wait won: the body entered, or the wait was given up.
private final class LockGate: Sendable {
    enum State { case waiting, entered, gaveUp }
    private let state = Mutex(State.waiting)

    /// Moves from waiting to `next`; false when the other side already moved.
    func move(to next: State) -> Bool {
        state.withLock { state in
            guard state == .waiting else { return false }
            state = next
            return true
        }
    }
}

private enum LockRace<T: Sendable>: Sendable {
    case held(T)
    case timer
}

/// A 2xx attempt finished in the commit that keeps its step's outputs: one whose row was written before its
/// request left (`id`), or a read, whose row is written only now, whole (`unrecorded`).
public struct FinishedAttempt: Sendable, Hashable {
    public var id: Int64?
    public var unrecorded: AttemptRecord?
    public var statusCode: Int
    public var at: ClockReading

    public init(id: Int64, statusCode: Int, at: ClockReading) {
        self.id = id
        self.statusCode = statusCode
        self.at = at
    }

    public init(unrecorded: AttemptRecord, statusCode: Int, at: ClockReading) {
        self.unrecorded = unrecorded
        self.statusCode = statusCode
        self.at = at
    }
}

/// Errors a store raises for conditions the runner handles.
public struct StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        case claimConflict = "claim_conflict"
        case notFound = "not_found"
        case supersededSchema = "superseded_schema"
        /// The caller's lease was taken over or expired: it may no longer write to the run.
        case leaseLost = "lease_lost"
        /// A purchase was refused because its scope's ceiling is reached (`--max-purchases`).
        case purchaseCeiling = "purchase_ceiling"
        case io
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public static func claimConflict(_ claim: Claim, heldBy run: String) -> StoreError {
        StoreError(.claimConflict, "\(claim.scope) \(claim.value) is already held by run \(run)")
    }

    /// The lease of `lease.runID` is no longer `lease.owner`'s at `lease.epoch`; `holder` has it now (nil: free).
    public static func leaseLost(_ lease: Lease, holder: String?) -> StoreError {
        StoreError(
            .leaseLost,
            "lease of run \(lease.runID) lost to " + (holder.map(LeaseOwner.describe) ?? "expiry (no execution holds it now)"))
    }

    /// `runID`/`stepID` would take a new purchase slot in `scope`, whose `ceiling` is reached.
    public static func purchaseCeiling(scope: String, ceiling: Int, used: Int, runID: String, stepID: String) -> StoreError {
        StoreError(
            .purchaseCeiling,
            "the purchase ceiling of \(scope) is reached (\(used) of \(ceiling) purchases used): \(runID)/\(stepID) "
                + "was not started; raise the ceiling to buy more")
    }

    public var description: String { message }
}
