import Foundation
import Synchronization

/// How one request went, as recorded.
struct Call: Sendable {
    enum Result: Sendable {
        /// An answer of any status.
        case answered(APIResponse)
        /// Sent (or possibly sent) and no answer came.
        case noAnswer(TransportError)
        /// No token could be had: the request never left, and no attempt was recorded.
        case noToken(AuthenticationError)
    }

    /// The attempt's row (nil when the request never left, or for a read kept open: see `unrecorded`).
    var attemptID: Int64? = nil
    /// A read's attempt not written yet: its 2xx is written with the step's outputs, in one commit.
    var unrecorded: AttemptRecord? = nil
    var result: Result

    /// What the answer means: `OutcomeClass` for an answer, retryable for no answer or no token (ambiguous only
    /// when the request may have arrived), fatal for refused credentials.
    var outcome: OutcomeClass {
        switch result {
        case .answered(let response): return OutcomeClass.classify(response)
        case .noAnswer(let error): return error.mayHaveArrived ? .retryable(isAmbiguous: true) : .unreachable
        case .noToken(let error):
            if let transport = error.transport, !transport.mayHaveArrived { return .unreachable }
            return error.isRetryable ? .retryable(isAmbiguous: false) : .fatal
        }
    }

    /// The connection-level failure behind this call, if that is what it was.
    var unreachable: TransportError? {
        switch result {
        case .noAnswer(let error) where !error.mayHaveArrived: return error
        case .noToken(let error): return error.transport.flatMap { $0.mayHaveArrived ? nil : $0 }
        default: return nil
        }
    }

    var status: Int? {
        switch result {
        case .answered(let response): return response.status
        case .noAnswer: return nil
        case .noToken(let error): return error.status
        }
    }

    var retryAfter: Double? {
        switch result {
        case .answered(let response): return response.retryAfter
        case .noAnswer: return nil
        case .noToken(let error): return error.retryAfter
        }
    }

    /// What a person reads about this try.
    var summary: String {
        switch result {
        case .answered(let response): return response.summary
        case .noAnswer(let error): return "no answer from \(error.host): \(error.message)"
        case .noToken(let error): return error.description
        }
    }
}

extension Runner {
    /// Sends one request as one attempt: waits for its turn (a token, a rate-limit slot), then checks the lease and,
    /// for a request that may create something, records the attempt durably immediately before it leaves; records
    /// how it ended.
    ///
    /// A read (a read step's send, a lookup, a poll) has no effect to guard against, so its row is written once,
    /// after its answer, with the outcome: one commit instead of two, and none before the request leaves.
    ///
    /// - Parameters:
    ///   - keepSuccessOpen: leave a 2xx attempt unfinished (or, for a read, unwritten); the caller records it in the
    ///     commit that keeps the step's outputs (`completeStep`), which saves a commit per step.
    func call(
        _ request: APIRequest, purpose: AttemptPurpose, step: StepDefinition, label: String,
        requestDigest: String? = nil, keepSuccessOpen: Bool = false, _ execution: Execution
    ) async throws -> Call {
        let recorded = Mutex<(id: Int64?, started: ClockReading?)>((nil, nil))
        let timeline = configuration.requestTimeline.map { _ in RequestTimeline(asked: .now) }
        defer {
            if let timeline, let sink = configuration.requestTimeline {
                sink(timeline.timing(execution.run.id, step.id, purpose, request.path))
            }
        }
        let effect: StepEffect = purpose == .send ? step.effect : .read
        var attempt = AttemptRecord(
            runID: execution.run.id, stepID: step.id, purpose: purpose, effect: effect,
            idempotencyKey: "\(execution.run.id)/\(step.id)/\(label)", method: request.method, path: request.path,
            startedAt: Date(), requestDigest: requestDigest, inputsDigest: execution.run.inputsDigest,
            timeout: configuration.requestTimeout.seconds)
        let row = attempt
        let response: APIResponse
        do {
            response = try await transport.send(request) {
                try execution.checkLease()
                timeline?.mark(\.ready)
                defer { timeline?.mark(\.sent) }
                let reading = self.configuration.clock.now()
                recorded.withLock { $0.started = reading }
                guard effect.createsSomething else { return }
                var durable = row
                durable.startedAt = reading.wall
                durable.startedUptime = reading.uptime
                durable.bootID = reading.bootID
                let stored = try await self.store.beginAttempt(durable, lease: execution.lease)
                recorded.withLock { $0.id = stored.id }
                // The synced commit took a moment: look again right before the request leaves.
                try execution.checkLease()
            }
        } catch let error as TransportError {
            timeline?.mark(\.answered)
            defer { timeline?.mark(\.recorded) }
            let (id, started) = recorded.withLock { ($0.id, $0.started) }
            guard let started else {
                return Call(result: .noToken(AuthenticationError(status: nil, message: error.message, transport: error)))
            }
            let outcome: AttemptOutcome = error.mayHaveArrived ? .noAnswer : .notSent
            if let id {
                try await finish(id, outcome, status: nil, error: "no answer: \(error)", execution)
                return Call(attemptID: id, result: .noAnswer(error))
            }
            attempt.started(at: started)
            attempt.ended(outcome, status: nil, error: "no answer: \(error)", at: configuration.clock.now())
            let stored = try await store.beginAttempt(attempt, lease: execution.lease)
            return Call(attemptID: stored.id, result: .noAnswer(error))
        } catch let error as AuthenticationError {
            return Call(result: .noToken(error))
        } catch {
            // Cancelled, or the lease was lost, with the request possibly out: it stays in doubt unless this
            // execution may still say it was abandoned.
            if let id = recorded.withLock({ $0.id }), !Self.isLeaseLoss(error) {
                try? await finish(id, .abandoned, status: nil, error: "abandoned: \(error)", execution)
            }
            throw error
        }
        timeline?.answered(response.status)
        let (id, started) = recorded.withLock { ($0.id, $0.started) }
        if let id {
            if !(keepSuccessOpen && response.isSuccess) {
                defer { timeline?.mark(\.recorded) }
                try await finish(
                    id, response.isSuccess ? .succeeded : .httpError, status: response.status,
                    error: response.isSuccess ? nil : response.summary, execution)
            }
            return Call(attemptID: id, result: .answered(response))
        }
        attempt.started(at: started ?? configuration.clock.now())
        if keepSuccessOpen && response.isSuccess { return Call(unrecorded: attempt, result: .answered(response)) }
        attempt.ended(
            response.isSuccess ? .succeeded : .httpError, status: response.status,
            error: response.isSuccess ? nil : response.summary, at: configuration.clock.now())
        let stored = try await store.beginAttempt(attempt, lease: execution.lease)
        timeline?.mark(\.recorded)
        return Call(attemptID: stored.id, result: .answered(response))
    }

    /// Records an attempt's outcome with the time it ended.
    func finish(
        _ attemptID: Int64, _ outcome: AttemptOutcome, status: Int?, error: String?, _ execution: Execution
    ) async throws {
        try await store.finishAttempt(
            id: attemptID, outcome: outcome, statusCode: status, error: error, at: configuration.clock.now(),
            lease: execution.lease)
    }
}

extension AttemptRecord {
    mutating func started(at reading: ClockReading) {
        startedAt = reading.wall
        startedUptime = reading.uptime
        bootID = reading.bootID
    }

    mutating func ended(_ outcome: AttemptOutcome, status: Int?, error: String?, at reading: ClockReading) {
        self.outcome = outcome
        statusCode = status
        self.error = error
        finishedAt = reading.wall
        finishedUptime = reading.uptime
    }
}

/// The phases of one request as they happen (`RequestTiming`), written from the request's task and its
/// `willSend`.
final class RequestTimeline: Sendable {
    struct Marks {
        var ready: ContinuousClock.Instant?
        var sent: ContinuousClock.Instant?
        var answered: ContinuousClock.Instant?
        var recorded: ContinuousClock.Instant?
        var status: Int?
    }

    let asked: ContinuousClock.Instant
    private let marks = Mutex(Marks())

    init(asked: ContinuousClock.Instant) { self.asked = asked }

    func mark(_ phase: any WritableKeyPath<Marks, ContinuousClock.Instant?> & Sendable) {
        let now = ContinuousClock.now
        marks.withLock { $0[keyPath: phase] = now }
    }

    func answered(_ status: Int) {
        let now = ContinuousClock.now
        marks.withLock {
            $0.answered = now
            $0.status = status
        }
    }

    func timing(_ runID: String, _ stepID: String, _ purpose: AttemptPurpose, _ path: String) -> RequestTiming {
        let marks = marks.withLock { $0 }
        return RequestTiming(
            runID: runID, stepID: stepID, purpose: purpose, path: path, status: marks.status, asked: asked,
            ready: marks.ready, sent: marks.sent, answered: marks.answered ?? .now, recorded: marks.recorded)
    }
}
