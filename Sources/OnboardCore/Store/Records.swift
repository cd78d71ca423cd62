import Foundation

/// Where a run stands. Stored as the raw value.
public enum RunStatus: String, Sendable, Codable, CaseIterable {
    /// Created, no step started yet.
    case pending
    /// A process holds its lease and is executing it (or crashed while doing so; the lease tells which).
    case running
    case done
    /// A step failed with an error that retrying will not fix; `onboard retry` / `resume` after a fix.
    case failed
    /// A step's effect is unknown and no lookup could settle it; `onboard resolve` lets a person decide.
    case inDoubt = "in_doubt"
    /// Stopped by Ctrl-C / SIGTERM; `resume` continues.
    case interrupted
}

public enum StepStatus: String, Sendable, Codable, CaseIterable {
    case pending
    case running
    case done
    case failed
    case inDoubt = "in_doubt"
    /// Its `when` condition was false (the voice route with voice disabled).
    case skipped
}

/// What kind of item a run is. A single `onboard run` executes every step; a batch splits an account's steps
/// (`account`) from each subscriber's (`subscriber`, whose parent is the account run).
public enum RunKind: String, Sendable, Codable, CaseIterable {
    case single
    case account
    case subscriber
}

/// One run: one item of work (a whole setup, or one account or subscriber of a batch) and its pins.
public struct RunRecord: Sendable, Hashable, Codable {
    /// Short, stable, derived from `key` (see `RunRecord.id(forKey:)`).
    public var id: String
    /// The stable key tying the item to its checkpoints across reruns (`acme` or `acme/jane@example.com`).
    public var key: String
    public var kind: RunKind
    public var parentID: String?
    public var batchID: String?
    /// The workflow's `name`.
    public var workflow: String
    /// SHA-256 of the workflow definition's canonical form, pinned at creation.
    public var definitionDigest: String
    /// SHA-256 of the canonical, secret-free inputs, pinned at creation.
    public var inputsDigest: String
    /// The inputs with secret fields replaced by their unresolved reference or `"<redacted>"`; never a secret value.
    public var inputs: JSONValue
    /// The input or manifest file this run came from, so `resume` can re-read secrets that were written inline.
    public var inputPath: String?
    public var status: RunStatus
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    /// Grows by one every time an execution takes the lease; commits are fenced on it (see `Lease`).
    public var leaseEpoch: Int64
    /// The API this run was started against (`scheme://host[:port]`); resuming elsewhere is refused.
    public var baseURL: String?
    /// The workflow file the run was started with, so `resume` finds it again.
    public var workflowPath: String?

    public init(
        id: String, key: String, kind: RunKind, parentID: String? = nil, batchID: String? = nil, workflow: String,
        definitionDigest: String, inputsDigest: String, inputs: JSONValue, inputPath: String? = nil,
        status: RunStatus = .pending, lastError: String? = nil, createdAt: Date, updatedAt: Date,
        leaseOwner: String? = nil, leaseExpiresAt: Date? = nil, leaseEpoch: Int64 = 0, baseURL: String? = nil,
        workflowPath: String? = nil
    ) {
        self.id = id
        self.key = key
        self.kind = kind
        self.parentID = parentID
        self.batchID = batchID
        self.workflow = workflow
        self.definitionDigest = definitionDigest
        self.inputsDigest = inputsDigest
        self.inputs = inputs
        self.inputPath = inputPath
        self.status = status
        self.lastError = lastError
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.leaseOwner = leaseOwner
        self.leaseExpiresAt = leaseExpiresAt
        self.leaseEpoch = leaseEpoch
        self.baseURL = baseURL
        self.workflowPath = workflowPath
    }
}

/// One step of one run: its state and the outputs it kept.
public struct StepRecord: Sendable, Hashable, Codable {
    public var runID: String
    public var stepID: String
    /// Order of the step in the workflow (0-based), so listings come back in workflow order.
    public var position: Int
    public var status: StepStatus
    /// Kept outputs, as an object (`{"account_id": "AID-…"}`); empty until the step is done.
    public var outputs: [String: JSONValue]
    /// Requests sent for this step (reconcile lookups and order polls not counted).
    public var attempts: Int
    public var lastError: String?
    public var nextRetryAt: Date?
    /// SHA-256 of the step's rendered request (secrets excluded) when it completed: the basis of drift detection.
    public var inputDigest: String?
    public var updatedAt: Date

    public init(
        runID: String, stepID: String, position: Int, status: StepStatus = .pending,
        outputs: [String: JSONValue] = [:], attempts: Int = 0, lastError: String? = nil, nextRetryAt: Date? = nil,
        inputDigest: String? = nil, updatedAt: Date
    ) {
        self.runID = runID
        self.stepID = stepID
        self.position = position
        self.status = status
        self.outputs = outputs
        self.attempts = attempts
        self.lastError = lastError
        self.nextRetryAt = nextRetryAt
        self.inputDigest = inputDigest
        self.updatedAt = updatedAt
    }
}

/// Why a request was sent.
public enum AttemptPurpose: String, Sendable, Codable, CaseIterable {
    /// The step's own request.
    case send
    /// A lookup asking whether an earlier request's effect happened.
    case reconcile
    /// A follow-up read until an asynchronous effect settles (an order in `Pending`).
    case poll
}

/// How a request ended. `nil` in `AttemptRecord.outcome` means no outcome was recorded: the process died
/// between sending and recording, so the attempt is in doubt.
public enum AttemptOutcome: String, Sendable, Codable, CaseIterable {
    /// A 2xx answer (possibly one the workflow could not use: then `error` says why). The effect happened.
    case succeeded
    /// An HTTP error answer (status kept in `statusCode`).
    case httpError = "http_error"
    /// No answer: the connection failed or dropped after the request may have reached the server.
    case noAnswer = "no_answer"
    /// Certainly never reached the server (connection refused or never established).
    case notSent = "not_sent"
    /// Abandoned before an answer (shutdown); treated like `noAnswer`.
    case abandoned
    /// Was in doubt; a person said (`onboard resolve --not-happened`) that it had no effect.
    case resolvedNotHappened = "resolved_not_happened"
}

/// One request, written **before** it is sent; the outcome is filled in when known.
///
/// Times are kept twice: wall time (`startedAt`, for people and for another boot) and, on Linux, seconds of
/// `CLOCK_BOOTTIME` with the boot's id (`startedUptime`, `bootID`), which no wall-clock jump can move. The settle
/// window is counted on the latter whenever the boot is the same (see `SettleWindow`).
public struct AttemptRecord: Sendable, Hashable, Codable {
    /// Assigned by the store on insert.
    public var id: Int64?
    public var runID: String
    public var stepID: String
    public var purpose: AttemptPurpose
    /// What the request may do: the step's effect for a `.send`, `.read` for lookups and polls. A request that
    /// may create something is durable before it leaves; a `.purchase` counts against a spend ceiling.
    public var effect: StepEffect
    /// `runID/stepID/n`: identifies this attempt in logs and in the API call (where a definition sends one).
    public var idempotencyKey: String
    public var method: String
    /// Path without the query string (query values may identify people, so they are not kept).
    public var path: String
    public var startedAt: Date
    public var finishedAt: Date?
    public var outcome: AttemptOutcome?
    public var statusCode: Int?
    /// Redacted error text (the API's Message, or the transport error).
    public var error: String?
    /// SHA-256 of the request as sent, secrets redacted (a step's sends only): what an in-doubt step is pinned to.
    public var requestDigest: String?
    /// The run's inputs digest when it was sent: the inputs a lookup for it must use.
    public var inputsDigest: String?
    /// How long the client waited for an answer before giving up, in seconds.
    public var timeout: Double?
    /// `CLOCK_BOOTTIME` seconds at the start and end, and the boot they belong to (Linux; nil elsewhere).
    public var startedUptime: Double?
    public var finishedUptime: Double?
    public var bootID: String?
    /// When a lookup made after the API could no longer apply this request proved it had no effect.
    public var disprovedAt: Date?

    public init(
        id: Int64? = nil, runID: String, stepID: String, purpose: AttemptPurpose, effect: StepEffect = .read,
        idempotencyKey: String, method: String, path: String, startedAt: Date, finishedAt: Date? = nil,
        outcome: AttemptOutcome? = nil, statusCode: Int? = nil, error: String? = nil, requestDigest: String? = nil,
        inputsDigest: String? = nil, timeout: Double? = nil, startedUptime: Double? = nil,
        finishedUptime: Double? = nil, bootID: String? = nil, disprovedAt: Date? = nil
    ) {
        self.id = id
        self.runID = runID
        self.stepID = stepID
        self.purpose = purpose
        self.effect = effect
        self.idempotencyKey = idempotencyKey
        self.method = method
        self.path = path
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.outcome = outcome
        self.statusCode = statusCode
        self.error = error
        self.requestDigest = requestDigest
        self.inputsDigest = inputsDigest
        self.timeout = timeout
        self.startedUptime = startedUptime
        self.finishedUptime = finishedUptime
        self.bootID = bootID
        self.disprovedAt = disprovedAt
    }

    /// Sent, and nothing is known of what happened.
    public var isInDoubt: Bool { outcome == nil || outcome == .noAnswer || outcome == .abandoned }

    /// Sent and never answered (or answered by a gateway that gave up, 502/504): the API may apply it later, so
    /// a lookup made now may miss it.
    public var mayStillBeInFlight: Bool {
        switch outcome {
        case nil, .noAnswer?, .abandoned?: return true
        case .httpError?: return OutcomeClass.upstreamMayStillWork(status: statusCode ?? 0)
        case .succeeded?, .notSent?, .resolvedNotHappened?: return false
        }
    }

    /// The request may have had its effect: no answer, an answer that may hide one (500, 502, 504, 409), or a 2xx
    /// (even one the workflow could not use), and no lookup has disproved it since. A create step looks before it
    /// sends again after such an attempt.
    public var mayHaveTakenEffect: Bool {
        guard disprovedAt == nil else { return false }
        switch outcome {
        case nil, .noAnswer?, .abandoned?, .succeeded?: return true
        case .httpError?: return OutcomeClass.classify(status: statusCode ?? 0).mayHaveTakenEffect
        case .notSent?, .resolvedNotHappened?: return false
        }
    }

    /// A send of a step that creates something, which may have done so: what makes the step in doubt.
    public var isUncertainCreate: Bool { purpose == .send && effect.createsSomething && mayHaveTakenEffect }
}

/// An output value that at most one run may hold (a purchased phone number), so that two items reconciling
/// at once never adopt the same thing.
public struct Claim: Sendable, Hashable, Codable {
    /// What kind of thing (`phone_number`).
    public var scope: String
    public var value: String

    public init(scope: String, value: String) {
        self.scope = scope
        self.value = value
    }
}

/// A batch: one manifest's worth of runs.
public struct BatchRecord: Sendable, Hashable, Codable {
    public var id: String
    public var manifestPath: String
    public var workflow: String
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: String, manifestPath: String, workflow: String, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.manifestPath = manifestPath
        self.workflow = workflow
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// Which runs to list: every field that is set must match.
///
/// Pages of `onboard serve` ask for one screenful at a time, newest first, so a database of 100,000 runs reads 50:
///
/// ```swift
/// let page = try await store.runs(matching: RunFilter(status: .failed, keyContains: "acme", limit: 50,
///                                                     offset: 100, newestFirst: true))
/// ```
public struct RunFilter: Sendable, Hashable {
    public var status: RunStatus?
    public var batchID: String?
    public var parentID: String?
    public var kind: RunKind?
    public var limit: Int?
    /// Runs whose key contains this text, compared literally (no wildcards) and case-sensitively.
    public var keyContains: String?
    /// Runs changed at or after this time (their `updatedAt`): what finished lately, for a batch's rate.
    public var updatedSince: Date?
    /// Skips this many runs of the ordered list first (paging; with `limit`).
    public var offset: Int?
    /// Newest first (`createdAt`, then `id`, both descending) instead of oldest first.
    public var newestFirst: Bool

    public init(
        status: RunStatus? = nil, batchID: String? = nil, parentID: String? = nil, kind: RunKind? = nil,
        limit: Int? = nil, keyContains: String? = nil, updatedSince: Date? = nil, offset: Int? = nil,
        newestFirst: Bool = false
    ) {
        self.status = status
        self.batchID = batchID
        self.parentID = parentID
        self.kind = kind
        self.limit = limit
        self.keyContains = keyContains
        self.updatedSince = updatedSince
        self.offset = offset
        self.newestFirst = newestFirst
    }
}

/// Changes accepted with `--accept-changes` while finished (or in-doubt) steps had been built from the old values:
/// the lines shown then, kept for `onboard show`.
public struct AcceptedChange: Sendable, Hashable {
    public var acceptedAt: Date
    public var lines: [String]

    public init(acceptedAt: Date, lines: [String]) {
        self.acceptedAt = acceptedAt
        self.lines = lines
    }
}
