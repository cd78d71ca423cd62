import Foundation

/// An execution's hold on a run, and the fence every one of its commits carries.
///
/// Each time an execution takes a run's lease the run's epoch grows by one. A store accepts a commit that records
/// or completes work (`beginAttempt`, `finishAttempt`, `completeStep`, `setStepState`, `resetSteps`,
/// `disprove`, `repin`, `finishRun`) only while the lease is still this owner's, at this epoch, and unexpired by
/// the store's clock; otherwise it throws `StoreError` `leaseLost` and changes nothing. So an execution that was
/// paused (Ctrl-Z, a long GC, a partition) past its lease can no longer write anything once another one has taken
/// over, and what it sends is bounded by the runner's own check before every send (`LeaseKeeper`).
public struct Lease: Sendable, Hashable {
    public var runID: String
    /// `LeaseOwner.rawValue` of the execution.
    public var owner: String
    public var epoch: Int64

    public init(runID: String, owner: String, epoch: Int64) {
        self.runID = runID
        self.owner = owner
        self.epoch = epoch
    }
}

/// What asking for a lease gave.
public enum LeaseAcquisition: Sendable, Hashable {
    /// The caller holds it now; the run is marked `running`.
    case acquired(Lease)
    /// Another execution holds it until `expiresAt` (by the store's clock).
    case held(by: String, expiresAt: Date?)
}
