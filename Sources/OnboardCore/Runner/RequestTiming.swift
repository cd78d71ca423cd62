/// When each phase of one request happened, for a timeline of a batch (`onboard-bench batch --timeline`).
///
/// The phases follow `Runner.call`: asked for; past the token cache and the rate limiter (the transport calls
/// `willSend`); its attempt committed, so it leaves; answered (or failed); its outcome committed. A send whose 2xx
/// is recorded with the step's outputs (`completeStep`) has no outcome commit of its own: `recorded` is then nil.
public struct RequestTiming: Sendable, Hashable {
    public var runID: String
    public var stepID: String
    public var purpose: AttemptPurpose
    public var path: String
    public var status: Int?
    public var asked: ContinuousClock.Instant
    /// Nil when the request never left (no token, or the lease was lost first).
    public var ready: ContinuousClock.Instant?
    public var sent: ContinuousClock.Instant?
    public var answered: ContinuousClock.Instant
    public var recorded: ContinuousClock.Instant?
}

/// Receives request timings; must be cheap and thread-safe.
public typealias RequestTimingSink = @Sendable (RequestTiming) -> Void
