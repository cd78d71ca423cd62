import Foundation
import Logging
import Synchronization

/// Executes runs: performs what `StepStart` and `StepReaction` decide, checkpointing through a `CheckpointStore`
/// and reaching the API through an `APITransport`.
///
/// ```swift
/// let runner = Runner(definition: workflow, store: store, transport: client, configuration: .init())
/// let outcome = try await runner.execute(run, inputs: inputs)
/// ```
///
/// Every step's outputs are committed before the next step starts; every request is preceded by a committed
/// attempt row. A runner may execute many runs at once (a batch); they share its lookup locks.
public final class Runner: Sendable {
    public struct Configuration: Sendable {
        public var retryPolicy: RetryPolicy
        /// How long a lease lasts without renewal; renewed every third of it.
        public var leaseDuration: Duration
        /// Identifies this process in leases.
        public var owner: String
        /// For `${env.NAME}` in inputs and definitions.
        public var environment: [String: String]
        /// How long the API may still apply a request whose answer never came (the sender was killed, or the
        /// connection dropped while the server worked). A lookup that finds nothing is trusted only once the last
        /// such request of the step is this old; before that, the runner waits and looks again.
        public var settleWindow: Duration

        public init(
            retryPolicy: RetryPolicy = RetryPolicy(), leaseDuration: Duration = .seconds(30),
            owner: String = LeaseOwner.current,
            environment: [String: String] = ProcessInfo.processInfo.environment,
            settleWindow: Duration = .seconds(30)
        ) {
            self.settleWindow = settleWindow
            self.retryPolicy = retryPolicy
            self.leaseDuration = leaseDuration
            self.owner = owner
            self.environment = environment
        }
    }

    public let definition: WorkflowDefinition
    let store: any CheckpointStore
    let transport: any APITransport
    let configuration: Configuration
    let events: RunEventSink
    let shutdown: ShutdownSignal
    let logger: Logger
    let lookupLocks = KeyedLock()

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

    /// Executes `run` from wherever it stands. Returns its final status; throws `RunnerError.leaseHeld` when
    /// another process is executing it, and store errors.
    @discardableResult
    public func execute(
        _ run: RunRecord, inputs: RunInputs, parentOutputs: [String: [String: JSONValue]] = [:]
    ) async throws -> RunStatus {
        let owner = configuration.owner
        let leaseSeconds = configuration.leaseDuration.seconds
        let leaseUntil: @Sendable () -> Date = { Date().addingTimeInterval(leaseSeconds) }
        if try await !store.acquireLease(runID: run.id, owner: owner, until: leaseUntil(), now: Date()) {
            // A lease held by a process of this machine that no longer exists (killed, crashed) is taken over at
            // once rather than after it expires.
            let holder = try await store.run(id: run.id)?.leaseOwner
            guard let holder, LeaseOwner.isDeadLocalProcess(holder),
                try await store.acquireLease(runID: run.id, owner: owner, until: leaseUntil(), now: .distantFuture)
            else {
                throw RunnerError.leaseHeld(runID: run.id, owner: holder ?? "another process")
            }
            logger.info("took over the lease of a dead process", metadata: ["onboard.run": "\(run.id)", "holder": "\(holder)"])
        }
        let leaseLost = ShutdownSignal()
        let ending: (RunStatus, String?)
        do {
            ending = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    let interval = self.configuration.leaseDuration / 3
                    while !Task.isCancelled {
                        try await Task.sleep(for: interval)
                        if try await !self.store.renewLease(runID: run.id, owner: owner, until: leaseUntil()) {
                            leaseLost.request()
                            return
                        }
                    }
                }
                defer { group.cancelAll() }
                return try await self.executeLeased(
                    run, inputs: inputs, parentOutputs: parentOutputs, leaseLost: { leaseLost.isRequested })
            }
        } catch {
            try? await store.finishRun(runID: run.id, owner: owner, status: .failed, lastError: "\(error)", at: Date())
            throw error
        }
        // The final status and the lease's release are one commit.
        try await store.finishRun(runID: run.id, owner: owner, status: ending.0, lastError: ending.1, at: Date())
        events(.runFinished(runID: run.id, status: ending.0))
        return ending.0
    }

    /// Runs the steps; returns the run's final status and last error (which the caller commits).
    private func executeLeased(
        _ run: RunRecord, inputs: RunInputs, parentOutputs: [String: [String: JSONValue]],
        leaseLost: @Sendable () -> Bool
    ) async throws -> (RunStatus, String?) {
        events(.runStarted(runID: run.id, key: run.key))
        let resolvedInputs = try inputs.resolved(in: configuration.environment, file: run.inputPath ?? "input")
        var scope = RunScope(
            inputs: resolvedInputs, steps: parentOutputs, run: ["id": .string(run.id), "key": .string(run.key)],
            environment: configuration.environment, isRedacted: false)
        var redacted = scope
        redacted.inputs = inputs.stored(for: definition)
        redacted.isRedacted = true
        let records = Dictionary(uniqueKeysWithValues: try await store.steps(runID: run.id).map { ($0.stepID, $0) })
        let attempts = try await store.attempts(runID: run.id, stepID: nil)
        for step in steps(for: run.kind) {
            guard let record = records[step.id] else {
                throw RunnerError.definitionMismatch(runID: run.id, step: step.id)
            }
            let isEnabled = step.when.map { $0.evaluate(in: scope).isTruthy } ?? true
            let start = StepStart.decide(step: step, record: record, attempts: attempts, isEnabled: isEnabled)
            switch start {
            case .reuse:
                scope.steps[step.id] = record.outputs
                redacted.steps[step.id] = record.outputs
                continue
            case .skip:
                if record.status != .skipped {
                    try await store.setStepState(
                        runID: run.id, stepID: step.id, status: .skipped, lastError: nil, nextRetryAt: nil, at: Date())
                }
                events(.stepSkipped(runID: run.id, step: step.id))
                continue
            case .needsResolution:
                let message =
                    "an earlier request of step '\(step.id)' may have taken effect and the workflow has no lookup "
                    + "for it; check in the Telegent portal, then `onboard resolve \(run.id) \(step.id) --happened "
                    + "--set NAME=VALUE` or `--not-happened`"
                return try await finish(run, step: step.id, status: .inDoubt, message: message)
            case .send, .lookUpFirst:
                if shutdown.isRequested || leaseLost() { return interrupt(run, leaseLost: leaseLost()) }
                events(.stepStarted(runID: run.id, step: step.id, title: step.title))
                let result = try await perform(
                    step, record: record, run: run, scope: scope, redacted: redacted, lookFirst: start == .lookUpFirst)
                switch result {
                case .done(let outputs):
                    scope.steps[step.id] = outputs
                    redacted.steps[step.id] = outputs
                case .stopped(let status, let message):
                    if status == .interrupted { return interrupt(run, leaseLost: leaseLost()) }
                    return try await finish(run, step: step.id, status: status, message: message)
                }
            }
        }
        return (.done, nil)
    }

    private func finish(_ run: RunRecord, step: String, status: RunStatus, message: String) async throws -> (RunStatus, String?) {
        let stepStatus: StepStatus = status == .inDoubt ? .inDoubt : .failed
        try await store.setStepState(
            runID: run.id, stepID: step, status: stepStatus, lastError: message, nextRetryAt: nil, at: Date())
        events(.stepFailed(runID: run.id, step: step, message: message))
        return (status, "\(step): \(message)")
    }

    private func interrupt(_ run: RunRecord, leaseLost: Bool) -> (RunStatus, String?) {
        let message = leaseLost ? "lease lost to another process" : "interrupted; `onboard resume \(run.id)` continues"
        return (.interrupted, message)
    }
}

/// Lease owners are `HOST:PID:RANDOM`, so a process can tell that a lease's holder on the same machine is gone.
public enum LeaseOwner {
    public static let current: String = {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(UUID().uuidString.prefix(8))"
    }()

    /// True when `owner` names a process of this machine that no longer runs.
    public static func isDeadLocalProcess(_ owner: String) -> Bool {
        let parts = owner.split(separator: ":")
        guard parts.count == 3, String(parts[0]) == ProcessInfo.processInfo.hostName, let pid = Int32(parts[1]),
            pid != ProcessInfo.processInfo.processIdentifier
        else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}

/// Why a run could not be executed at all.
public enum RunnerError: Error, Sendable, CustomStringConvertible {
    case leaseHeld(runID: String, owner: String)
    case definitionMismatch(runID: String, step: String)

    public var description: String {
        switch self {
        case .leaseHeld(let runID, let owner):
            return "run \(runID) is being executed by \(owner); wait for it to finish (a lease of a process that died "
                + "on another machine expires 30 s after its last renewal)"
        case .definitionMismatch(let runID, let step):
            return "run \(runID) has no record of step '\(step)': it was started with another workflow"
        }
    }
}

/// Readers–writer locks by key, for one account's purchases and lookups.
///
/// Sends of a purchase hold the key's lock *shared* from before the request until its outputs and claims are
/// committed; a lookup that may adopt what it finds holds it *exclusive* until the adoption is committed. So a
/// lookup never sees a number another item has bought but not yet recorded, and two lookups never adopt the same
/// number; purchases still run side by side. Waiting writers go first, so lookups are not starved.
final class KeyedLock: Sendable {
    private struct Entry {
        var readers = 0
        var writer = false
        var queue: [(exclusive: Bool, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex<[String: Entry]>([:])

    func withShared<T: Sendable>(_ key: String?, _ body: () async throws -> T) async throws -> T {
        try await with(key, exclusive: false, body)
    }

    func withExclusive<T: Sendable>(_ key: String?, _ body: () async throws -> T) async throws -> T {
        try await with(key, exclusive: true, body)
    }

    private func with<T: Sendable>(_ key: String?, exclusive: Bool, _ body: () async throws -> T) async throws -> T {
        guard let key else { return try await body() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { entries -> Bool in
                var entry = entries[key] ?? Entry()
                let free = exclusive ? (!entry.writer && entry.readers == 0) : (!entry.writer && entry.queue.isEmpty)
                if free {
                    if exclusive { entry.writer = true } else { entry.readers += 1 }
                } else {
                    entry.queue.append((exclusive, continuation))
                }
                entries[key] = entry
                return free
            }
            if granted { continuation.resume() }
        }
        defer { release(key, exclusive: exclusive) }
        return try await body()
    }

    private func release(_ key: String, exclusive: Bool) {
        let wake = state.withLock { entries -> [CheckedContinuation<Void, Never>] in
            guard var entry = entries[key] else { return [] }
            if exclusive { entry.writer = false } else { entry.readers -= 1 }
            var wake: [CheckedContinuation<Void, Never>] = []
            // Hand the lock on in queue order: one writer, or every reader up to the next writer.
            while let first = entry.queue.first, !entry.writer {
                if first.exclusive {
                    guard entry.readers == 0 else { break }
                    entry.writer = true
                } else {
                    entry.readers += 1
                }
                wake.append(first.continuation)
                entry.queue.removeFirst()
            }
            entries[key] = entry.readers == 0 && !entry.writer && entry.queue.isEmpty ? nil : entry
            return wake
        }
        for continuation in wake { continuation.resume() }
    }
}
