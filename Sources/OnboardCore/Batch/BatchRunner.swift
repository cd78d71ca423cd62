import Foundation
import Synchronization

/// How one item of a batch ended this time.
public enum ItemOutcome: String, Sendable, Codable, CaseIterable {
    case done
    /// Finished in an earlier invocation: no call made.
    case skipped
    case failed
    case inDoubt = "in_doubt"
    /// Its finished steps' inputs changed: reported, not re-applied.
    case drift
    /// Its account did not finish, so it did not start.
    case blocked
    /// Not started: the batch stopped starting items (--max-failures, or the API could not be reached).
    case notStarted = "not_started"
    /// Another execution (another process, or another task) holds its lease: it is being run elsewhere.
    case busy
    case interrupted
}

/// Live counters of a batch, for the progress line.
public final class BatchProgress: Sendable {
    public struct Snapshot: Sendable {
        public var total: Int
        public var running: Int
        public var outcomes: [ItemOutcome: Int]
        /// Requests the items not done before this invocation need at most (token calls not counted).
        public var plannedCalls: Int
        public var finished: Int { outcomes.values.reduce(0, +) }
        public var failures: Int { (outcomes[.failed] ?? 0) + (outcomes[.inDoubt] ?? 0) }
        /// Done now or in an earlier invocation.
        public var done: Int { (outcomes[.done] ?? 0) + (outcomes[.skipped] ?? 0) }
        public func count(_ outcome: ItemOutcome) -> Int { outcomes[outcome] ?? 0 }
    }

    private let state: Mutex<Snapshot>

    init(total: Int, plannedCalls: Int = 0) {
        state = Mutex(Snapshot(total: total, running: 0, outcomes: [:], plannedCalls: plannedCalls))
    }

    public var snapshot: Snapshot { state.withLock { $0 } }

    func started() { state.withLock { $0.running += 1 } }

    func finished(_ outcome: ItemOutcome, wasRunning: Bool) {
        state.withLock {
            if wasRunning { $0.running -= 1 }
            $0.outcomes[outcome, default: 0] += 1
        }
    }
}

/// What an invocation may create and buy, from the plan of every item against the database (`Runner.planItem`).
public struct SpendEstimate: Sendable, Hashable {
    /// Items that will send something (not done, not drifted).
    public var items = 0
    public var purchases = 0
    public var creates = 0

    public init(items: Int = 0, purchases: Int = 0, creates: Int = 0) {
        self.items = items
        self.purchases = purchases
        self.creates = creates
    }

    public mutating func add(_ plan: ItemPlan) {
        switch plan.state {
        case .done, .drift: return
        default: break
        }
        items += 1
        purchases += plan.purchases
        creates += plan.creates
    }
}

/// One line of a batch's progress events (failures, drift), for the CLI to print.
public enum BatchEvent: Sendable {
    case itemFinished(key: String, runID: String, outcome: ItemOutcome, message: String?)
    /// `--accept-changes` applied new inputs to an item: what changed and what stays as it is on the API.
    case changesAccepted(key: String, runID: String, lines: [String])
    case stoppedLaunching(reason: String)
}

/// Runs a manifest's items concurrently under one runner (so one rate limiter and one token cache), accounts
/// before their subscribers, with at most `concurrency` items in flight and the items streamed from the manifest,
/// never all held at once.
public final class BatchRunner: Sendable {
    public struct Options: Sendable {
        public var concurrency: Int
        /// Stop starting new items after this many failures (nil: never).
        public var maxFailures: Int?
        public var acceptChanges: Bool
        /// The most numbers the batch may ever buy (kept in the store, across reruns and processes); nil leaves
        /// the stored ceiling as it is.
        public var maxPurchases: Int?

        public init(concurrency: Int = 8, maxFailures: Int? = nil, acceptChanges: Bool = false, maxPurchases: Int? = nil) {
            self.concurrency = max(1, concurrency)
            self.maxFailures = maxFailures
            self.acceptChanges = acceptChanges
            self.maxPurchases = maxPurchases
        }
    }

    let runner: Runner
    let options: Options
    let events: @Sendable (BatchEvent) -> Void

    public init(runner: Runner, options: Options, events: @escaping @Sendable (BatchEvent) -> Void = { _ in }) {
        self.runner = runner
        self.options = options
        self.events = events
    }

    /// Validates every item first (throwing every problem at once, before any call) and plans it against the
    /// database; hands the spend estimate to `confirm` (which may refuse by throwing), then runs the items.
    public func run(
        _ manifest: Manifest, environment: [String: String],
        confirm: (SpendEstimate) async throws -> Void = { _ in },
        progressReady: @Sendable (BatchProgress) -> Void = { _ in }
    ) async throws -> (batchID: String, progress: BatchProgress) {
        var total = 0
        var plannedCalls = 0
        var estimate = SpendEstimate()
        let problems = try await manifest.forEachItem(definition: runner.definition, environment: environment) { item in
            total += 1
            let plan = try await runner.planItem(key: item.key, kind: item.kind, inputs: item.inputs)
            plannedCalls += plan.calls
            estimate.add(plan)
        }
        if !problems.isEmpty { throw DiagnosticList(problems) }
        try await confirm(estimate)
        let batchID = Self.batchID(manifest: manifest, definition: runner.definition)
        let now = Date()
        _ = try await runner.store.createBatch(
            BatchRecord(id: batchID, manifestPath: manifest.file, workflow: runner.definition.name, createdAt: now, updatedAt: now))
        if let limit = options.maxPurchases ?? manifest.maxPurchases {
            try await runner.store.setPurchaseCeiling(scope: batchID, maxPurchases: limit)
        }
        let progress = BatchProgress(total: total, plannedCalls: plannedCalls)
        progressReady(progress)
        let breaker = CircuitBreaker(threshold: CircuitBreaker.threshold(concurrency: options.concurrency))
        let readAhead = max(Self.readAhead, options.concurrency * 2)
        try await withThrowingTaskGroup(of: ItemResult.self) { group in
            var schedule = BatchSchedule()
            var inFlight = 0
            func block(_ item: BatchItem, _ message: String) {
                progress.finished(.blocked, wasRunning: false)
                events(.itemFinished(
                    key: item.key, runID: Runner.runID(forKey: item.key), outcome: .blocked,
                    message: "account \(item.accountKey) did not finish: \(message)"))
            }
            /// Starts what may start, up to `concurrency` items in flight.
            func launch() {
                while inFlight < options.concurrency, let start = schedule.next() {
                    if runner.shutdown.isRequested {
                        progress.finished(.interrupted, wasRunning: false)
                        continue
                    }
                    if let limit = options.maxFailures, progress.snapshot.failures >= limit {
                        breaker.open("\(limit) failures (--max-failures)", events)
                    }
                    if breaker.isOpen {
                        progress.finished(.notStarted, wasRunning: false)
                        continue
                    }
                    inFlight += 1
                    progress.started()
                    group.addTask {
                        let result = await self.runItem(start, manifest: manifest, batchID: batchID)
                        progress.finished(result.outcome, wasRunning: true)
                        breaker.record(result.outcome, unreachable: result.unreachable, self.events)
                        // A ceiling does not stop the batch: an item that needs no new purchase (its number bought
                        // before a kill) still finishes, and one that does fails at provision with nothing sent.
                        if result.outcome != .done && result.outcome != .skipped {
                            self.events(.itemFinished(
                                key: start.item.key, runID: result.runID, outcome: result.outcome, message: result.message))
                        }
                        return result
                    }
                }
            }
            /// Waits for one item to finish; an account opens its subscribers' gate.
            func collect() async throws {
                guard let result = try await group.next() else { return }
                inFlight -= 1
                if let gate = result.gate {
                    for (item, message) in schedule.open(result.accountKey, gate) { block(item, message) }
                }
            }
            _ = try await manifest.forEachItem(definition: runner.definition, environment: environment) { item in
                if runner.shutdown.isRequested {
                    progress.finished(.interrupted, wasRunning: false)
                    return
                }
                if let (blocked, message) = schedule.add(item) { block(blocked, message) }
                launch()
                while schedule.held >= readAhead && inFlight > 0 {
                    try await collect()
                    launch()
                }
            }
            while inFlight > 0 {
                try await collect()
                launch()
            }
            for item in schedule.abandonParked() {
                block(item, "its account was not run")
            }
        }
        return (batchID, progress)
    }

    /// How many items of the manifest may be read ahead of the ones running (at least twice the concurrency):
    /// subscribers waiting for their account, and items waiting for a slot. Bounds the memory a batch holds.
    static let readAhead = 2048

    /// A batch's id: short, stable, from its name and its workflow's, the same in every process.
    public static func batchID(manifest: Manifest, definition: WorkflowDefinition) -> String {
        batchID(name: manifest.name, workflow: definition.name)
    }

    /// The id of the batch named `name` (the manifest's `batch:`) run with the workflow named `workflow`.
    public static func batchID(name: String, workflow: String) -> String {
        "b" + sha256Hex(Data("\(name)\u{0}\(workflow)".utf8)).prefix(11)
    }

    /// How one item ended, for the progress and the schedule.
    struct ItemResult: Sendable {
        var runID: String
        var accountKey: String
        var outcome: ItemOutcome
        var message: String?
        var unreachable: TransportError?
        /// The spend ceiling stopped this item: why.
        var ceiling: String?
        /// For an account: what its subscribers get.
        var gate: BatchSchedule.Gate?
    }

    /// Runs one item; never throws (an item's failure is its outcome).
    private func runItem(_ start: BatchSchedule.Start, manifest: Manifest, batchID: String) async -> ItemResult {
        let item = start.item
        let runID = Runner.runID(forKey: item.key)
        var result: (ItemOutcome, String?)
        var outputs: [String: [String: JSONValue]]?
        var unreachable: TransportError?
        var ceiling: String?
        do {
            let run = try await runner.prepare(
                key: item.key, kind: item.kind, inputs: item.inputs, inputPath: manifest.file, parentID: start.parent?.id,
                batchID: batchID)
            if run.status == .done && runner.pinsMatch(run, inputs: item.inputs) {
                result = (.skipped, nil)
            } else {
                let outcome = try await runner.execute(
                    run, inputs: item.inputs, parentOutputs: start.parent?.outputs ?? [:],
                    options: .init(acceptChanges: options.acceptChanges))
                outputs = outcome.outputs
                unreachable = outcome.unreachable
                if outcome.ceilingReached { ceiling = outcome.lastError ?? "the purchase ceiling is reached" }
                switch outcome.status {
                case .done: result = (.done, nil)
                case .inDoubt: result = (.inDoubt, outcome.lastError)
                case .interrupted: result = (.interrupted, outcome.lastError)
                default: result = (.failed, outcome.lastError)
                }
                if !outcome.acceptedChanges.isEmpty {
                    events(.changesAccepted(key: item.key, runID: run.id, lines: outcome.acceptedChanges))
                }
            }
        } catch let error as ChangedPinsError {
            result = (.drift, error.lines.joined(separator: "; "))
        } catch let error as RunnerError {
            if case .busy = error { result = (.busy, error.description) } else if error.isLockWait { result = (.busy, error.description) } else { result = (.failed, error.description) }
        } catch {
            result = (.failed, "\(error)")
        }
        var gate: BatchSchedule.Gate?
        if item.kind == .account {
            if result.0 == .done || result.0 == .skipped {
                if outputs == nil {
                    var stored: [String: [String: JSONValue]] = [:]
                    for step in (try? await runner.store.steps(runID: runID)) ?? [] where step.status == .done {
                        stored[step.stepID] = step.outputs
                    }
                    outputs = stored
                }
                gate = .ready(runID: runID, outputs: outputs ?? [:])
            } else {
                gate = .failed(result.1 ?? result.0.rawValue)
            }
        }
        return ItemResult(
            runID: runID, accountKey: item.accountKey, outcome: result.0, message: result.1, unreachable: unreachable,
            ceiling: ceiling, gate: gate)
    }
}

/// Stops a batch from starting more items once it is clear they would all fail: after `--max-failures`
/// failures, or when the API cannot be reached (the first `threshold` items to finish all failed to connect to the
/// same host, and none succeeded), instead of trying every item of the manifest against a wrong `--base-url`.
final class CircuitBreaker: Sendable {
    private struct State {
        var successes = 0
        var streak = 0
        var signature: String?
        var reason: String?
    }

    let threshold: Int
    private let state = Mutex(State())

    init(threshold: Int) { self.threshold = threshold }

    /// Three items, or as many as run at once when that is fewer.
    static func threshold(concurrency: Int) -> Int { max(1, min(3, concurrency)) }

    var isOpen: Bool { state.withLock { $0.reason != nil } }

    func open(_ reason: String, _ events: @Sendable (BatchEvent) -> Void) {
        let opened = state.withLock { state -> Bool in
            guard state.reason == nil else { return false }
            state.reason = reason
            return true
        }
        if opened { events(.stoppedLaunching(reason: reason)) }
    }

    func record(_ outcome: ItemOutcome, unreachable: TransportError?, _ events: @Sendable (BatchEvent) -> Void) {
        let trip = state.withLock { state -> TransportError? in
            switch outcome {
            case .done, .skipped:
                state.successes += 1
                state.streak = 0
            case .blocked, .notStarted, .interrupted, .busy:
                // Consequences of other items (or of this process stopping): neither proof nor disproof.
                return nil
            default:
                guard let unreachable else {
                    state.streak = 0
                    return nil
                }
                let signature = "\(unreachable.kind.rawValue) \(unreachable.host)"
                state.streak = state.signature == signature ? state.streak + 1 : 1
                state.signature = signature
            }
            return state.successes == 0 && state.streak >= threshold ? unreachable : nil
        }
        if let trip {
            open(
                "the API cannot be reached: \(threshold) items in a row failed with \(trip.host): \(trip.message), and "
                    + "none succeeded; check --base-url and the network, then rerun", events)
        }
    }
}
