import Foundation
import Logging
import OnboardCore
import Synchronization
import TelegentClient

/// `onboard worker`: takes the runnable items that `onboard batch --enqueue` stored, on any machine, and executes
/// them with the same runner as `onboard batch`.
///
/// Claims go through the store (`claimRunnable`: `FOR UPDATE SKIP LOCKED` on PostgreSQL), so workers never take the
/// same item; a subscriber is claimable only once its account is done (the account gate is a row state, not
/// process memory); each claim is a lease its execution keeps renewing, so a killed worker's items are taken over
/// by the others once their leases expire. Requests wait for this process's own limiter and then for the
/// credential's budget in the database, shared by every worker. Workflows come from the store, by digest, so
/// every worker runs exactly what was enqueued; secrets stay `${env.NAME}` references, resolved from each
/// worker's own environment.
public final class Worker: Sendable {
    public struct Options: Sendable {
        public var concurrency: Int
        /// Return once no work is left that could still become runnable, instead of waiting for more: nothing is
        /// runnable and no run (of the batch, with `batchID`) is being executed, here or by another process. A run
        /// another worker holds keeps this one waiting: that worker may finish it (and its account's subscribers
        /// become runnable) or die, and then its lease expires and this worker takes the run over. Subscribers of an
        /// account that failed can never run, so they do not keep it waiting.
        public var untilIdle: Bool
        /// Only this batch's items.
        public var batchID: String?
        /// How long to wait before asking the store again when nothing was runnable.
        public var pollInterval: Duration

        public init(concurrency: Int = 8, untilIdle: Bool = false, batchID: String? = nil, pollInterval: Duration = .seconds(1)) {
            self.concurrency = max(1, concurrency)
            self.untilIdle = untilIdle
            self.batchID = batchID
            self.pollInterval = pollInterval
        }
    }

    /// What one item's execution came to.
    public enum Event: Sendable {
        case started(runID: String, key: String)
        case finished(runID: String, key: String, status: RunStatus, message: String?)
        case failed(runID: String, key: String, message: String)
    }

    /// Counts of what this worker executed.
    public struct Summary: Sendable, Hashable {
        public var executed = 0
        public var statuses: [RunStatus: Int] = [:]
        public var errors = 0
    }

    let configuration: Engine.Configuration
    let store: any CheckpointStore
    let options: Options
    let shutdown: ShutdownSignal
    let logger: Logger
    let events: @Sendable (Event) -> Void
    let runEvents: RunEventSink
    let limiter: RateLimiter
    private let engines = Mutex<[String: (runner: Runner, transport: TelegentHTTPTransport)]>([:])
    private let definitions = Mutex<[String: WorkflowDefinition]>([:])

    public init(
        configuration: Engine.Configuration, store: any CheckpointStore, options: Options,
        shutdown: ShutdownSignal = ShutdownSignal(), logger: Logger = Logger(label: "onboard.worker"),
        runEvents: @escaping RunEventSink = { _ in }, events: @escaping @Sendable (Event) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.store = store
        self.options = options
        self.shutdown = shutdown
        self.logger = logger
        self.runEvents = runEvents
        self.events = events
        limiter = configuration.rate.makeLimiter()
    }

    private enum Ended: Sendable {
        case item(RunStatus?, failed: Bool)
        /// The poll interval passed: ask the store again.
        case tick
    }

    /// Claims and executes items until shut down (or, with `untilIdle`, until nothing is left to do); shuts its
    /// HTTP clients down before it returns.
    public func run() async throws -> Summary {
        var summary = Summary()
        do {
            try await withThrowingTaskGroup(of: Ended.self) { group in
                var inFlight = 0
                var ticking = false
                while !shutdown.isRequested {
                    var leases = try await claim(options.concurrency - inFlight)
                    if leases.isEmpty && inFlight == 0 && options.untilIdle, try await !workHeldElsewhere() {
                        // Nothing was being run anywhere just now, so what a run that ended a moment ago made
                        // runnable (its account's subscribers) is claimable now: one last look, then stop.
                        leases = try await claim(options.concurrency)
                        if leases.isEmpty { break }
                    }
                    let claimedAt = ContinuousClock.now
                    for lease in leases {
                        inFlight += 1
                        group.addTask { await self.execute(lease, claimedAt: claimedAt) }
                    }
                    if !leases.isEmpty && inFlight < options.concurrency { continue }
                    // Nothing more to claim now: wait for an execution to end (an account done makes its
                    // subscribers runnable) or for the poll interval (another worker's may have).
                    if !ticking {
                        ticking = true
                        let interval = options.pollInterval
                        group.addTask {
                            try? await Task.sleep(for: interval)
                            return .tick
                        }
                    }
                    switch try await group.next() {
                    case .item(let status, let failed)?:
                        inFlight -= 1
                        summary.record(status, failed: failed)
                    case .tick?:
                        ticking = false
                    case nil:
                        break
                    }
                }
                group.cancelAll()
                while let ended = try await group.next() {
                    if case .item(let status, let failed) = ended { summary.record(status, failed: failed) }
                }
            }
        } catch {
            await shutdownTransports()
            throw error
        }
        await shutdownTransports()
        return summary
    }

    /// Takes up to `count` runnable runs, each under a lease of a new owner (one per execution).
    private func claim(_ count: Int) async throws -> [Lease] {
        guard count > 0 else { return [] }
        return try await store.claimRunnable(
            batchID: options.batchID, owners: (0..<count).map { _ in LeaseOwner.make().rawValue },
            duration: configuration.leaseDuration)
    }

    /// Whether another execution (another worker, a `batch` or `run` process) holds a run in scope: its status is
    /// `running`. Such a run either ends (and may make others runnable) or its lease expires and it can be claimed.
    private func workHeldElsewhere() async throws -> Bool {
        let counts = try await store.runCounts(matching: RunFilter(batchID: options.batchID))
        return (counts[.running] ?? 0) > 0
    }

    /// Executes one claimed run; never throws (a failure is the item's outcome).
    private func execute(_ lease: Lease, claimedAt: ContinuousClock.Instant) async -> Ended {
        do {
            guard let run = try await store.run(id: lease.runID) else { return .item(nil, failed: true) }
            events(.started(runID: run.id, key: run.key))
            let runner = try await runner(for: run)
            var parentOutputs: [String: [String: JSONValue]] = [:]
            if let parentID = run.parentID {
                for step in try await store.steps(runID: parentID) where step.status == .done {
                    parentOutputs[step.stepID] = step.outputs
                }
            }
            let outcome = try await runner.execute(
                run, inputs: RunInputs(raw: run.inputs), parentOutputs: parentOutputs, claimed: (lease, claimedAt))
            events(.finished(runID: run.id, key: run.key, status: outcome.status, message: outcome.lastError))
            return .item(outcome.status, failed: false)
        } catch {
            events(.failed(runID: lease.runID, key: lease.runID, message: "\(error)"))
            // A claimed run that could not even start keeps what it was (its lease is released).
            try? await store.finishRun(lease, status: .failed, lastError: "worker: \(error)")
            return .item(nil, failed: true)
        }
    }

    /// The runner (and its transport) for a run: its workflow from the store, its own API target.
    private func runner(for run: RunRecord) async throws -> Runner {
        let target = run.baseURL ?? configuration.baseURL
        let key = target + "\u{0}" + run.definitionDigest
        if let engine = engines.withLock({ $0[key] }) { return engine.runner }
        let definition = try await definition(run.definitionDigest)
        let shared = StoreRequestBudget(store: store, accountKey: configuration.credentials.accountKey, rate: configuration.rate)
        let transport = try TelegentHTTPTransport(
            baseURL: target, auth: definition.auth, credentials: configuration.credentials, limiter: limiter,
            sharedBudget: shared, maximumConnections: configuration.maximumConnections,
            timeout: configuration.requestTimeout)
        let runner = Runner(
            definition: definition, store: store, transport: transport,
            configuration: configuration.runner(target: try TelegentHTTPTransport.validate(baseURL: target)),
            shutdown: shutdown, logger: logger, events: runEvents)
        let kept = engines.withLock { engines -> Runner in
            if let existing = engines[key] { return existing.runner }
            engines[key] = (runner, transport)
            return runner
        }
        if kept !== runner { try? await transport.shutdown() }
        return kept
    }

    private func definition(_ digest: String) async throws -> WorkflowDefinition {
        if let known = definitions.withLock({ $0[digest] }) { return known }
        guard let stored = try await store.workflow(digest: digest) else {
            throw StoreError(.notFound, "the workflow of digest \(digest.prefix(12)) is not in the database (enqueue the batch again)")
        }
        let definition = try WorkflowLoader.load(file: "\(stored.name) (stored \(digest.prefix(12)))", text: stored.text)
        definitions.withLock { $0[digest] = definition }
        return definition
    }

    private func shutdownTransports() async {
        for (_, engine) in engines.withLock({ $0 }) { try? await engine.transport.shutdown() }
    }
}

extension Worker.Summary {
    mutating func record(_ status: RunStatus?, failed: Bool) {
        executed += 1
        if let status { statuses[status, default: 0] += 1 }
        if failed { errors += 1 }
    }
}
