import Foundation

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
    func repin(_ lease: Lease, definitionDigest: String, inputsDigest: String, inputs: JSONValue) async throws
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

    // MARK: Lifecycle

    /// Closes the store's connections; any later call fails.
    func close() async throws
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

    public var description: String { message }
}
