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

    /// The attempt's row (nil when the request never left).
    var attemptID: Int64?
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
    /// Sends one request as one attempt: waits for its turn (a token, a rate-limit slot), then records the attempt
    /// (durably when it may create something) and checks the lease immediately before the request leaves, and
    /// records how it ended.
    ///
    /// - Parameters:
    ///   - keepSuccessOpen: leave a 2xx attempt without an outcome; the caller finishes it in the commit that
    ///     keeps the step's outputs (`completeStep`), which saves a commit per step.
    func call(
        _ request: APIRequest, purpose: AttemptPurpose, step: StepDefinition, label: String,
        requestDigest: String? = nil, keepSuccessOpen: Bool = false, _ execution: Execution
    ) async throws -> Call {
        let recorded = Mutex<Int64?>(nil)
        let attempt = AttemptRecord(
            runID: execution.run.id, stepID: step.id, purpose: purpose, effect: purpose == .send ? step.effect : .read,
            idempotencyKey: "\(execution.run.id)/\(step.id)/\(label)", method: request.method, path: request.path,
            startedAt: Date(), requestDigest: requestDigest, inputsDigest: execution.run.inputsDigest,
            timeout: configuration.requestTimeout.seconds)
        let response: APIResponse
        do {
            response = try await transport.send(request) {
                try execution.checkLease()
                var row = attempt
                let reading = self.configuration.clock.now()
                row.startedAt = reading.wall
                row.startedUptime = reading.uptime
                row.bootID = reading.bootID
                let stored = try await self.store.beginAttempt(row, lease: execution.lease)
                recorded.withLock { $0 = stored.id }
                // The synced commit took a moment: look again right before the request leaves.
                try execution.checkLease()
            }
        } catch let error as TransportError {
            guard let id = recorded.withLock({ $0 }) else {
                return Call(attemptID: nil, result: .noToken(AuthenticationError(status: nil, message: error.message, transport: error)))
            }
            try await finish(
                id, error.mayHaveArrived ? .noAnswer : .notSent, status: nil, error: "no answer: \(error)", execution)
            return Call(attemptID: id, result: .noAnswer(error))
        } catch let error as AuthenticationError {
            return Call(attemptID: nil, result: .noToken(error))
        } catch {
            // Cancelled, or the lease was lost, with the request possibly out: it stays in doubt unless this
            // execution may still say it was abandoned.
            if let id = recorded.withLock({ $0 }), !Self.isLeaseLoss(error) {
                try? await finish(id, .abandoned, status: nil, error: "abandoned: \(error)", execution)
            }
            throw error
        }
        let id = recorded.withLock { $0 }!
        if !(keepSuccessOpen && response.isSuccess) {
            try await finish(
                id, response.isSuccess ? .succeeded : .httpError, status: response.status,
                error: response.isSuccess ? nil : response.summary, execution)
        }
        return Call(attemptID: id, result: .answered(response))
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
