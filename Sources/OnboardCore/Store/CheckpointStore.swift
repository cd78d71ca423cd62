import Foundation

/// Where runs, steps and attempts are checkpointed. The runner reaches storage only through this protocol;
/// `OnboardSQLite.SQLiteCheckpointStore` is the implementation that ships.
///
/// Every method that changes more than one row does so in one transaction, and returns only after the change is
/// durable: the guarantees of DESIGN.md section 4 rest on that.
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
    func setRunStatus(runID: String, status: RunStatus, lastError: String?, at: Date) async throws
    /// Replaces the pinned digests and inputs (after `--accept-changes`).
    func repin(runID: String, definitionDigest: String, inputsDigest: String, inputs: JSONValue, at: Date) async throws

    // MARK: Leases

    /// Takes the run's lease for `owner` until `until` if it is free, expired (`leaseExpiresAt < now`) or already
    /// `owner`'s, and in the same transaction marks the run `running` (clearing its last error). Returns false,
    /// changing nothing, when another live owner holds it. Atomic across processes.
    func acquireLease(runID: String, owner: String, until: Date, now: Date) async throws -> Bool
    /// Extends a lease `owner` holds; returns false if it was lost.
    func renewLease(runID: String, owner: String, until: Date) async throws -> Bool
    func releaseLease(runID: String, owner: String) async throws
    /// In one transaction: sets the run's final `status` and `lastError` for this execution and releases
    /// `owner`'s lease (the status is set even if the lease was lost).
    func finishRun(runID: String, owner: String, status: RunStatus, lastError: String?, at: Date) async throws

    // MARK: Steps and attempts

    /// Steps of a run in workflow order.
    func steps(runID: String) async throws -> [StepRecord]
    /// Attempts of a run (of one step when `stepID` is given), oldest first.
    func attempts(runID: String, stepID: String?) async throws -> [AttemptRecord]
    /// The attempts of `runID` that have no recorded outcome.
    func unfinishedAttempts(runID: String) async throws -> [AttemptRecord]

    /// Records an attempt before its request is sent, and in the same transaction marks the step `running`
    /// (and, for purpose `.send`, counts the attempt on the step). Returns the record with its `id` set.
    ///
    /// `isDurable`: the request may change something, so this commit, and every one before it, must be on stable
    /// storage before it returns (the store may make other commits cheaper). `beginAttempt(_:)` passes true for
    /// purpose `.send`.
    func beginAttempt(_ attempt: AttemptRecord, isDurable: Bool) async throws -> AttemptRecord
    /// Records how an attempt ended.
    func finishAttempt(
        id: Int64, outcome: AttemptOutcome, statusCode: Int?, error: String?, at: Date
    ) async throws
    /// In one transaction: finishes `attemptID` (if given) as succeeded, marks the step `done` with `outputs` and
    /// `inputDigest`, clears its error, and inserts `claims` for the run. Throws `StoreError.claimConflict` (and
    /// changes nothing) when another run already holds one of the claims.
    func completeStep(
        runID: String, stepID: String, outputs: [String: JSONValue], inputDigest: String?, claims: [Claim],
        attemptID: Int64?, at: Date
    ) async throws
    /// Sets a step's status, last error and next retry time (outputs untouched).
    func setStepState(
        runID: String, stepID: String, status: StepStatus, lastError: String?, nextRetryAt: Date?, at: Date
    ) async throws
    /// Puts the given steps back to `pending`: clears their outputs, error, digest and the run's claims made by
    /// them (`retry --from`). Attempt history is kept.
    func resetSteps(runID: String, stepIDs: [String], at: Date) async throws

    // MARK: Claims

    /// The run holding `claim`, if any.
    func claimHolder(_ claim: Claim) async throws -> String?

    // MARK: Batches

    /// Inserts the batch unless one with the same id exists; returns the stored one.
    func createBatch(_ batch: BatchRecord) async throws -> BatchRecord
    func batch(id: String) async throws -> BatchRecord?
}

extension CheckpointStore {
    /// Records an attempt, durably when its purpose is `.send`.
    public func beginAttempt(_ attempt: AttemptRecord) async throws -> AttemptRecord {
        try await beginAttempt(attempt, isDurable: attempt.purpose == .send)
    }
}

/// Errors a store raises for conditions the runner handles.
public struct StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        case claimConflict = "claim_conflict"
        case notFound = "not_found"
        case supersededSchema = "superseded_schema"
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

    public var description: String { message }
}
