import Foundation
import Logging

/// Executes runs: performs what `StepStart` and `StepReaction` decide, checkpointing through a `CheckpointStore`
/// and reaching the API through an `APITransport`.
///
/// ```swift
/// let runner = Runner(definition: workflow, store: store, transport: client, configuration: .init())
/// let run = try await runner.prepare(key: "acme", kind: .single, inputs: inputs, inputPath: path)
/// let outcome = try await runner.execute(run, inputs: inputs)
/// ```
///
/// Every step's outputs are committed before the next step starts; every request is preceded by a committed
/// attempt row. Each `execute` call takes the run's lease as an owner of its own, commits only under that lease,
/// and checks it against a monotonic deadline right before every request leaves, so two executions (tasks of one
/// process, or processes) never work on one run at once. A runner may execute many runs at once (a batch); the
/// locks that keep an account's purchases and lookups apart are the store's, so they hold across processes too.
public final class Runner: Sendable {
    public struct Configuration: Sendable {
        public var retryPolicy: RetryPolicy
        /// How long a lease lasts without renewal; renewed every third of it.
        public var leaseDuration: Duration
        /// For `${env.NAME}` in inputs and definitions.
        public var environment: [String: String]
        /// How long the API may still apply a request after the client stopped waiting for it (the sender was
        /// killed, the connection dropped, the request timed out). A lookup that finds nothing is trusted only once
        /// this much time has passed since the last moment the client could have been waiting (`SettleWindow`).
        public var settleWindow: Duration
        /// How long the transport waits for an answer; recorded with each attempt, for the settle window.
        public var requestTimeout: Duration
        /// The API's base URL (`scheme://host[:port]`) this runner sends to: stored with new runs, and compared
        /// with a run's own on every execution (nil: not checked).
        public var target: String?
        public var clock: any RunClock
        /// Receives the phases of every request (`onboard-bench batch --timeline`); nil records nothing.
        public var requestTimeline: RequestTimingSink?
        /// How long a send or a lookup waits for another execution's hold on the same serialize key before giving
        /// up busy (exit 4). A holder keeps it for one request and its commit, so a longer wait means the holder is
        /// paused (Ctrl-Z, `kill -STOP`) or hung; waiting for ever would hang this execution with it. A holder
        /// also waits for the rate limit while it holds the key (at 50/min with dozens of items in flight, or
        /// several workers sharing one budget, that is minutes), so the default is generous: 10 minutes, or twice
        /// the request timeout and 30 s more when that is longer.
        public var lockWait: Duration {
            get { explicitLockWait ?? max(requestTimeout * 2 + .seconds(30), .seconds(600)) }
            set { explicitLockWait = newValue }
        }
        private var explicitLockWait: Duration?

        public init(
            retryPolicy: RetryPolicy = RetryPolicy(), leaseDuration: Duration = .seconds(30),
            environment: [String: String] = ProcessInfo.processInfo.environment,
            settleWindow: Duration = .seconds(30), requestTimeout: Duration = .seconds(30), target: String? = nil,
            clock: any RunClock = SystemClock()
        ) {
            self.retryPolicy = retryPolicy
            self.leaseDuration = leaseDuration
            self.environment = environment
            self.settleWindow = settleWindow
            self.requestTimeout = requestTimeout
            self.target = target
            self.clock = clock
        }
    }

    /// What to do besides running the steps, under the run's lease.
    public struct ExecuteOptions: Sendable {
        /// Continue although inputs or the definition changed under finished or in-doubt steps (repinning them).
        public var acceptChanges: Bool
        /// Put this step and every later one back to pending first (`onboard retry --from`).
        public var resetFrom: String?

        public init(acceptChanges: Bool = false, resetFrom: String? = nil) {
            self.acceptChanges = acceptChanges
            self.resetFrom = resetFrom
        }
    }

    public let definition: WorkflowDefinition
    public let store: any CheckpointStore
    let transport: any APITransport
    let configuration: Configuration
    let events: RunEventSink
    public let shutdown: ShutdownSignal
    let logger: Logger

    public init(
        definition: WorkflowDefinition, store: any CheckpointStore, transport: any APITransport,
        configuration: Configuration = Configuration(), shutdown: ShutdownSignal = ShutdownSignal(),
        logger: Logger = Logger(label: "onboard.runner"), events: @escaping RunEventSink = { _ in }
    ) {
        self.definition = definition
        self.store = store
        self.transport = transport
        self.configuration = configuration
        self.shutdown = shutdown
        self.logger = logger
        self.events = events
    }

    /// The steps a run of `kind` executes.
    public func steps(for kind: RunKind) -> [StepDefinition] {
        switch kind {
        case .single: return definition.steps
        case .account: return definition.steps.filter { $0.level == .account }
        case .subscriber: return definition.steps.filter { $0.level == .subscriber }
        }
    }

    /// Executes `run` from wherever it stands, under a lease of its own.
    ///
    /// - Throws: `RunnerError.busy` when another execution holds the lease, `RunnerError.leaseLost` when this one
    ///   lost it on the way (nothing more was sent or written), `ChangedPinsError` when inputs or the definition
    ///   changed under finished or in-doubt steps (without `acceptChanges`), `RunnerError.targetMismatch`, and
    ///   store errors.
    ///
    /// - Parameter claimed: a lease already taken for this execution (`CheckpointStore.claimRunnable`, by a worker)
    ///   and when; without one, `execute` takes the lease itself.
    @discardableResult
    public func execute(
        _ run: RunRecord, inputs: RunInputs, parentOutputs: [String: [String: JSONValue]] = [:],
        options: ExecuteOptions = ExecuteOptions(), claimed: (lease: Lease, at: ContinuousClock.Instant)? = nil
    ) async throws -> RunOutcome {
        if let target = configuration.target, let stored = run.baseURL, stored != target {
            if let claimed {
                try? await store.finishRun(claimed.lease, status: run.status == .running ? .interrupted : run.status, lastError: run.lastError)
            }
            throw RunnerError.targetMismatch(runID: run.id, stored: stored, given: target)
        }
        let keeper: LeaseKeeper
        var snapshot: RunSnapshot?
        if let claimed {
            let duration = configuration.leaseDuration
            keeper = LeaseKeeper(lease: claimed.lease, duration: duration, margin: duration / 6, acquiredAt: claimed.at)
        } else {
            (keeper, snapshot) = try await takeLease(of: run)
        }
        let lease = keeper.lease
        do {
            let outcome = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await self.keepRenewing(keeper) }
                defer { group.cancelAll() }
                return try await self.executeLeased(
                    run, snapshot: snapshot, inputs: inputs, parentOutputs: parentOutputs, options: options, keeper: keeper)
            }
            // The final status and the lease's release are one commit: the last step's own, when the run ends done
            // (`completeFinalStep`), or this one.
            if !outcome.isFinished {
                try await store.finishRun(lease, status: outcome.status, lastError: outcome.lastError)
            }
            events(.runFinished(runID: run.id, status: outcome.status))
            OnboardMetrics.runEnded(outcome.status)
            return outcome
        } catch where Self.isLeaseLoss(error) {
            throw await leaseLost(run.id, keeper: keeper, error: error)
        } catch let error as ChangedPinsError {
            // Nothing was done: the run keeps the status it had (a crashed execution's `running` reads as
            // interrupted).
            let previous = run.status == .running ? RunStatus.interrupted : run.status
            try? await store.finishRun(lease, status: previous, lastError: run.lastError)
            throw error
        } catch let error as RunnerError where error.isLockWait {
            // Stopped before sending: the run can be resumed once the other holder is gone.
            try? await store.finishRun(lease, status: .interrupted, lastError: error.description)
            throw error
        } catch {
            try? await store.finishRun(lease, status: .failed, lastError: "\(error)")
            throw error
        }
    }

    /// Takes the run's lease for a new owner; a lease held by a process provably gone (same host, boot and PID
    /// namespace, no such PID) is taken over at once, any other only once it expires. Returns the run, its steps
    /// and attempts as read under the new lease, when the store reads them in the same call.
    func takeLease(of run: RunRecord) async throws -> (LeaseKeeper, RunSnapshot?) {
        let owner = LeaseOwner.make().rawValue
        let duration = configuration.leaseDuration
        var started = ContinuousClock.now
        var (acquisition, snapshot) = try await store.acquireLeaseReading(
            runID: run.id, owner: owner, duration: duration, replacing: nil)
        if case .held(let holder, _) = acquisition, LeaseOwner(rawValue: holder)?.isProvablyDeadLocalProcess == true {
            started = ContinuousClock.now
            (acquisition, snapshot) = try await store.acquireLeaseReading(
                runID: run.id, owner: owner, duration: duration, replacing: holder)
            if case .acquired = acquisition {
                logger.info(
                    "took over the lease of a process that is gone",
                    metadata: ["onboard.run": "\(run.id)", "holder": "\(holder)"])
            }
        }
        switch acquisition {
        case .acquired(let lease):
            return (LeaseKeeper(lease: lease, duration: duration, margin: duration / 6, acquiredAt: started), snapshot)
        case .held(let holder, let expiresAt):
            throw RunnerError.busy(runID: run.id, holder: holder, expiresAt: expiresAt)
        }
    }

    /// Renews the lease every third of its duration until cancelled or lost. A renewal that fails because the
    /// database is briefly unavailable is tried again at the next tick; the keeper's deadline decides when that
    /// is too late.
    private func keepRenewing(_ keeper: LeaseKeeper) async {
        let clock = ContinuousClock()
        while !Task.isCancelled && !keeper.isLost {
            do { try await clock.sleep(for: keeper.duration / 3) } catch { return }
            let started = clock.now
            do {
                if try await store.renewLease(keeper.lease, duration: keeper.duration) {
                    _ = keeper.renewed(startedAt: started)
                } else {
                    keeper.lose("another execution (the lease expired or was taken over)")
                }
            } catch is CancellationError {
                return
            } catch {
                logger.warning(
                    "renewing the lease failed; trying again", metadata: ["onboard.run": "\(keeper.lease.runID)", "error": "\(error)"])
            }
        }
    }

    static func isLeaseLoss(_ error: any Error) -> Bool {
        if error is LeaseLostError { return true }
        if let error = error as? StoreError, error.code == .leaseLost { return true }
        return false
    }

    private func leaseLost(_ runID: String, keeper: LeaseKeeper, error: any Error) async -> RunnerError {
        keeper.lose("\(error)")
        let holder = try? await store.run(id: runID)?.leaseOwner
        let detail: String
        switch holder {
        case keeper.lease.owner?: detail = "expiry: \(keeper.lostReason ?? "\(error)")"
        case let other?: detail = LeaseOwner.describe(other)
        case nil: detail = "another execution (which has since released it)"
        }
        logger.warning("lease lost", metadata: ["onboard.run": "\(runID)", "cause": "\(error)"])
        OnboardMetrics.leaseLost()
        events(.runFinished(runID: runID, status: .interrupted))
        return .leaseLost(runID: runID, detail: detail)
    }
}

/// How an execution of a run ended, with what the runner held in memory, so callers need not read it back.
public struct RunOutcome: Sendable, Hashable {
    public var status: RunStatus
    public var lastError: String?
    /// Kept outputs of every finished step (its parent's included for a batch subscriber), by step id.
    public var outputs: [String: [String: JSONValue]]
    /// Changes accepted with `acceptChanges` (a line each), empty when nothing changed.
    public var acceptedChanges: [String]
    /// When the run failed because the API could not be reached at all: how.
    public var unreachable: TransportError?
    /// A purchase was refused by the spend ceiling (`--max-purchases`).
    public var ceilingReached = false
    /// The run's status and lease were already committed (with its last step), so `execute` has nothing to finish.
    var isFinished = false

    public init(
        status: RunStatus, lastError: String? = nil, outputs: [String: [String: JSONValue]] = [:],
        acceptedChanges: [String] = [], unreachable: TransportError? = nil
    ) {
        self.status = status
        self.lastError = lastError
        self.outputs = outputs
        self.acceptedChanges = acceptedChanges
        self.unreachable = unreachable
    }
}
