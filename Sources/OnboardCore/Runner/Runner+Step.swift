import Foundation
import Logging

/// How performing one step ended.
enum StepResult: Sendable {
    case done([String: JSONValue])
    case stopped(RunStatus, String)
}

/// How one send of a step's request ended.
enum SendOutcome: Sendable {
    /// Succeeded (and settled), or must stop.
    case finished(StepResult)
    /// An error answer or none: what it was, for `StepReaction`.
    case failed(OutcomeClass, status: Int?, retryAfter: Double?, message: String)
}

extension Runner {
    /// Sends a step's request until it succeeds or must stop, looking first when an earlier send may have taken
    /// effect; then polls until it settles, and commits its outputs.
    func perform(
        _ step: StepDefinition, record: StepRecord, run: RunRecord, scope: RunScope, redacted: RunScope,
        lookFirst: Bool
    ) async throws -> StepResult {
        var attempt = record.attempts
        var mustLook = lookFirst
        let key = serializeKey(step, scope: scope)
        while true {
            if mustLook, let result = try await lookUpAndAdopt(step, run: run, scope: scope, redacted: redacted, key: key) {
                return result
            }
            if shutdown.isRequested { return .stopped(.interrupted, "") }
            attempt += 1
            let number = attempt
            let sent = try await lookupLocks.withShared(key) {
                try await self.sendOnce(step, attempt: number, run: run, scope: scope, redacted: redacted)
            }
            guard case .failed(let outcome, let status, let retryAfter, let message) = sent else {
                if case .finished(let result) = sent { return result }
                continue
            }
            let reaction = StepReaction.decide(
                step: step, outcome: outcome, attempt: attempt, retryAfter: retryAfter,
                policy: configuration.retryPolicy, random: Double.random(in: 0...1))
            switch reaction {
            case .succeed:
                continue
            case .lookUpOrFail:
                if let result = try await lookUpAndAdopt(step, run: run, scope: scope, redacted: redacted, key: key) {
                    return result
                }
                return .stopped(.failed, failureText(step, status: 409, message: message))
            case .fail(let inDoubt):
                let text = failureText(step, status: status, message: message)
                guard inDoubt else { return .stopped(.failed, text) }
                return .stopped(.inDoubt, "\(text); the request may have taken effect and the workflow has no lookup "
                    + "for '\(step.id)': check, then `onboard resolve \(run.id) \(step.id) --happened --set NAME=VALUE` "
                    + "or `--not-happened`")
            case .retry(let delay, let lookUpFirst):
                events(.retrying(runID: run.id, step: step.id, attempt: attempt, delay: delay, reason: message))
                try await store.setStepState(
                    runID: run.id, stepID: step.id, status: .running, lastError: message,
                    nextRetryAt: Date().addingTimeInterval(delay.seconds), at: Date())
                if !(await shutdown.sleep(for: delay)) { return .stopped(.interrupted, "") }
                mustLook = lookUpFirst
            }
        }
    }

    /// Looks the step's effect up and, when found, adopts it (settles and commits) while holding the step's key
    /// exclusively. Returns nil when the lookup proves nothing exists.
    ///
    /// "Nothing found" proves nothing while an unanswered request of the step may still be in the API's hands (a
    /// killed process's request can be applied after its successor looked): such a lookup is repeated once the
    /// youngest unanswered request is `settleWindow` old.
    private func lookUpAndAdopt(
        _ step: StepDefinition, run: RunRecord, scope: RunScope, redacted: RunScope, key: String?
    ) async throws -> StepResult? {
        events(.lookingUp(runID: run.id, step: step.id))
        while true {
            let result = try await lookupLocks.withExclusive(key) { () async throws -> StepResult? in
                switch try await self.lookUp(step, run: run, scope: scope) {
                case .found(let outputs):
                    return try await self.settle(
                        step, outputs: outputs, run: run, scope: scope, redacted: redacted, attemptID: nil, adopted: true)
                case .absent:
                    return nil
                case .failed(let message):
                    return .stopped(.inDoubt, "the lookup that would tell whether '\(step.id)' already happened "
                        + "failed (\(message)); `onboard resume \(run.id)` tries again")
                }
            }
            if let result { return result }
            let unanswered = try await store.attempts(runID: run.id, stepID: step.id)
                .filter { $0.purpose == .send && $0.mayStillBeInFlight }
            guard let youngest = unanswered.map(\.startedAt).max() else { return nil }
            let settled = youngest.addingTimeInterval(configuration.settleWindow.seconds)
            let wait = settled.timeIntervalSinceNow
            guard wait > 0 else { return nil }
            events(.waitingForInFlight(runID: run.id, step: step.id, seconds: wait))
            if !(await shutdown.sleep(for: .milliseconds(Int64(wait * 1000) + 1))) { return .stopped(.interrupted, "") }
        }
    }

    /// One send: records the attempt, sends, and on success settles and commits.
    private func sendOnce(
        _ step: StepDefinition, attempt: Int, run: RunRecord, scope: RunScope, redacted: RunScope
    ) async throws -> SendOutcome {
        let request: APIRequest
        let digest: String
        do {
            request = try step.request.render(in: scope)
            digest = try step.request.render(in: redacted).digest
        } catch {
            return .finished(.stopped(.failed, "cannot build the request: \(error)"))
        }
        // A request that may create something is on disk before it leaves; a read need not be.
        let row = try await store.beginAttempt(
            AttemptRecord(
                runID: run.id, stepID: step.id, purpose: .send, idempotencyKey: "\(run.id)/\(step.id)/\(attempt)",
                method: request.method, path: request.path, startedAt: Date()),
            isDurable: step.effect.createsSomething)
        logger.debug(
            "request sent",
            metadata: ["onboard.run": "\(run.id)", "onboard.step": "\(step.id)", "attempt": "\(attempt)"])
        let sent: Result<APIResponse, any Error>
        do {
            sent = .success(try await transport.send(request))
        } catch {
            sent = .failure(error)
        }
        switch sent {
        case .success(let response):
            let outcome = OutcomeClass.classify(status: response.status)
            if case .success = outcome {
                return .finished(
                    try await succeed(
                        step, response: response, attemptID: row.id!, run: run, scope: scope, redacted: redacted,
                        digest: digest))
            }
            let message = "HTTP \(response.status)" + (response.apiMessage.map { ": \($0)" } ?? "")
            try await store.finishAttempt(
                id: row.id!, outcome: .httpError, statusCode: response.status, error: message, at: Date())
            return .failed(outcome, status: response.status, retryAfter: response.retryAfter, message: message)
        case .failure(let error as TransportError):
            let message = "no answer: \(error.message)"
            try await store.finishAttempt(id: row.id!, outcome: .noAnswer, statusCode: nil, error: message, at: Date())
            return .failed(.retryable(isAmbiguous: error.mayHaveArrived), status: nil, retryAfter: nil, message: message)
        case .failure(let error as AuthenticationError):
            let retryable = error.status.map { [408, 429, 500, 502, 503, 504].contains($0) } ?? true
            // The step's own request never left: nothing can have happened.
            try await store.finishAttempt(
                id: row.id!, outcome: .resolvedNotHappened, statusCode: error.status, error: error.description,
                at: Date())
            return .failed(
                retryable ? .retryable(isAmbiguous: false) : .fatal, status: error.status, retryAfter: error.retryAfter,
                message: error.description)
        case .failure(let error):
            try? await store.finishAttempt(
                id: row.id!, outcome: .abandoned, statusCode: nil, error: "\(error)", at: Date())
            if error is CancellationError { return .finished(.stopped(.interrupted, "")) }
            throw error
        }
    }

    /// A 2xx answer: keep the outputs, check the requirements, settle and commit.
    private func succeed(
        _ step: StepDefinition, response: APIResponse, attemptID: Int64, run: RunRecord, scope: RunScope,
        redacted: RunScope, digest: String
    ) async throws -> StepResult {
        let body = response.body ?? .null
        let outputs: [String: JSONValue]
        do {
            outputs = try extractOutputs(step.outputs, from: body, scope: scope)
        } catch {
            // The effect happened but the answer is not what the workflow expects: stop; the next resume looks
            // it up instead of creating it again.
            try await store.finishAttempt(
                id: attemptID, outcome: .succeeded, statusCode: response.status, error: "\(error)", at: Date())
            return .stopped(.failed, "the answer lacks what the workflow keeps: \(error)")
        }
        if let failure = checkRequirements(step, response: body, outputs: outputs, scope: scope) {
            try await store.finishAttempt(
                id: attemptID, outcome: .httpError, statusCode: response.status, error: failure, at: Date())
            return .stopped(.failed, failure)
        }
        return try await settle(
            step, outputs: outputs, run: run, scope: scope, redacted: redacted, attemptID: attemptID, adopted: false,
            digest: digest)
    }

    /// The user-facing text of a failure: the API's words, then our hint for that status.
    func failureText(_ step: StepDefinition, status: Int?, message: String) -> String {
        let hint = status.flatMap { step.hints[String($0)] } ?? step.hints["default"]
        let sentence = message.hasSuffix(".") ? message : message + "."
        return hint.map { "\(sentence) Hint: \($0)" } ?? message
    }

    func extractOutputs(
        _ templates: [(name: String, value: Template)], from source: JSONValue, scope: RunScope
    ) throws -> [String: JSONValue] {
        var outputs: [String: JSONValue] = [:]
        let withResponse = scope.with("response", source).with("item", source)
        for (name, template) in templates {
            guard let value = try extractOutput(template, from: source, scope: withResponse), value != .null else {
                throw OutputError(name: name, template: template)
            }
            outputs[name] = value
        }
        return outputs
    }

    func checkRequirements(
        _ step: StepDefinition, response: JSONValue, outputs: [String: JSONValue], scope: RunScope
    ) -> String? {
        let checkScope = scope.with("response", response).with("outputs", .object(outputs))
        return step.requirements.first { !$0.check.evaluate(in: checkScope).isTruthy }?.message
    }

    /// Polls until the step settles (when it has a `poll`), then commits its outputs and claims.
    func settle(
        _ step: StepDefinition, outputs initial: [String: JSONValue], run: RunRecord, scope: RunScope,
        redacted: RunScope, attemptID: Int64?, adopted: Bool, digest: String? = nil
    ) async throws -> StepResult {
        var outputs = initial
        if let poll = step.poll {
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: poll.timeout)
            var polls = 0
            while true {
                let pollScope = scope.with("outputs", .object(outputs))
                if poll.until.evaluate(in: pollScope).isTruthy { break }
                if let failIf = poll.failIf, failIf.evaluate(in: pollScope).isTruthy {
                    return .stopped(.failed, "step '\(step.id)' settled as failed: \(JSONValue.object(outputs).canonicalString())")
                }
                if clock.now >= deadline {
                    return .stopped(.failed, "step '\(step.id)' did not settle within \(poll.timeout); "
                        + "`onboard resume \(run.id)` looks it up again (nothing is bought twice)")
                }
                events(.polling(runID: run.id, step: step.id, status: outputs.values.first?.stringValue ?? ""))
                if !(await shutdown.sleep(for: poll.interval)) { return .stopped(.interrupted, "") }
                polls += 1
                let request = try poll.request.render(in: pollScope)
                let row = try await store.beginAttempt(
                    AttemptRecord(
                        runID: run.id, stepID: step.id, purpose: .poll,
                        idempotencyKey: "\(run.id)/\(step.id)/poll-\(polls)", method: request.method,
                        path: request.path, startedAt: Date()))
                do {
                    let response = try await transport.send(request)
                    try await store.finishAttempt(
                        id: row.id!, outcome: response.isSuccess ? .succeeded : .httpError,
                        statusCode: response.status, error: response.isSuccess ? nil : response.apiMessage,
                        at: Date())
                    if response.isSuccess {
                        for (name, value) in try extractOutputs(poll.outputs, from: response.body ?? .null, scope: pollScope) {
                            outputs[name] = value
                        }
                    }
                } catch let error as TransportError {
                    try await store.finishAttempt(
                        id: row.id!, outcome: .noAnswer, statusCode: nil, error: error.message, at: Date())
                } catch let error as AuthenticationError {
                    try await store.finishAttempt(
                        id: row.id!, outcome: .httpError, statusCode: error.status, error: error.message, at: Date())
                }
            }
        }
        let claims = step.claims.compactMap { name in outputs[name]?.stringValue.map { Claim(scope: name, value: $0) } }
        let inputDigest = try digest ?? step.request.render(in: redacted).digest
        do {
            try await store.completeStep(
                runID: run.id, stepID: step.id, outputs: outputs, inputDigest: inputDigest, claims: claims,
                attemptID: attemptID, at: Date())
        } catch let error as StoreError where error.code == .claimConflict {
            return .stopped(.inDoubt, "\(error.message); resolve which run owns it with `onboard resolve`")
        }
        events(.stepDone(runID: run.id, step: step.id, outputs: outputs, adopted: adopted))
        logger.info("step done", metadata: ["onboard.run": "\(run.id)", "onboard.step": "\(step.id)"])
        return .done(outputs)
    }
}

struct OutputError: Error, CustomStringConvertible {
    let name: String
    let template: Template
    var description: String {
        if case .literal(.string(let path)) = template { return "no '\(path)' in the answer (output '\(name)')" }
        return "output '\(name)' has no value"
    }
}
