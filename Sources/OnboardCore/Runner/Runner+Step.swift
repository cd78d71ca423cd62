import Foundation
import Logging

/// How performing one step ended.
enum StepResult: Sendable {
    case done([String: JSONValue])
    case stopped(RunStatus, String)
    /// Failed because the API could not be reached at all (the batch's circuit breaker counts these).
    case unreachable(String, TransportError)
    /// A purchase was not started: the spend ceiling is reached (a batch then stops starting items).
    case ceilingReached(String)
}

extension Runner {
    /// Sends a step's request until it succeeds or must stop, looking first when an earlier send may have taken
    /// effect; then polls until it settles, and commits its outputs.
    func perform(
        _ step: StepDefinition, record: StepRecord, execution: Execution, lookFirst: Bool
    ) async throws -> StepResult {
        var attempt = record.attempts
        var mustLook = lookFirst
        var reauthenticated = false
        var sends = 0
        let started = ContinuousClock.now
        let key = serializeKey(step, scope: execution.scope)
        while true {
            if mustLook, let result = try await lookUpAndAdopt(step, execution: execution, key: key) {
                return result
            }
            if shutdown.isRequested { return .stopped(.interrupted, "") }
            attempt += 1
            sends += 1
            let number = attempt
            let sent = try await lock(key, exclusive: false, runID: execution.run.id) {
                try await self.sendOnce(step, attempt: number, execution: execution)
            }
            let call: Call
            switch sent {
            case .finished(let result): return result
            case .failed(let failed): call = failed
            }
            let reaction = StepReaction.decide(
                step: step, outcome: call.outcome, attempt: attempt, retryAfter: call.retryAfter,
                policy: configuration.retryPolicy, random: Double.random(in: 0...1),
                alreadyReauthenticated: reauthenticated, elapsed: ContinuousClock.now - started)
            switch reaction {
            case .succeed:
                continue
            case .reauthenticate:
                // The transport dropped the refused token: the next send fetches a new one.
                reauthenticated = true
                mustLook = false
            case .lookUpOrFail:
                if let result = try await lookUpAndAdopt(step, execution: execution, key: key) { return result }
                return .stopped(.failed, failureText(step, status: call.status, message: call.summary))
            case .fail(let inDoubt):
                var text = failureText(step, status: call.status, message: call.summary)
                switch call.outcome {
                case .retryable, .unreachable:
                    text += " (gave up after \(sends) \(sends == 1 ? "try" : "tries") in \(Self.seconds(ContinuousClock.now - started)); "
                        + "`onboard resume` starts again)"
                default: break
                }
                if let unreachable = call.unreachable {
                    return .unreachable(text + "; is the API reachable at \(unreachable.host)? (--base-url)", unreachable)
                }
                guard inDoubt else { return .stopped(.failed, text) }
                return .stopped(.inDoubt, "\(text); the request may have taken effect and the workflow has no lookup "
                    + "for '\(step.id)': check, then `onboard resolve \(execution.run.id) \(step.id) --happened --set "
                    + "NAME=VALUE` or `--not-happened`")
            case .retry(let delay, let lookUpFirst):
                events(.retrying(runID: execution.run.id, step: step.id, attempt: attempt, delay: delay, reason: call.summary))
                OnboardMetrics.retried(step.id)
                try await store.setStepState(
                    execution.lease, stepID: step.id, status: .running, lastError: call.summary,
                    nextRetryAt: Date().addingTimeInterval(delay.seconds))
                if try await !sleep(for: delay, execution) { return .stopped(.interrupted, "") }
                mustLook = lookUpFirst
            }
        }
    }

    /// How one send of a step's request ended.
    enum SendOutcome: Sendable {
        /// Succeeded (and settled), or must stop.
        case finished(StepResult)
        /// An error answer, or none.
        case failed(Call)
    }

    /// One send: renders, sends as an attempt pinned to the rendered request's digest, and on success settles and
    /// commits.
    private func sendOnce(_ step: StepDefinition, attempt: Int, execution: Execution) async throws -> SendOutcome {
        let request: APIRequest
        let digest: String
        do {
            request = try step.request.render(in: execution.scope)
            digest = try step.request.render(in: execution.redacted).digest
        } catch {
            return .finished(.stopped(.failed, "cannot build the request: \(error)"))
        }
        let call: Call
        do {
            call = try await self.call(
                request, purpose: .send, step: step, label: String(attempt), requestDigest: digest,
                keepSuccessOpen: true, execution)
        } catch let error as StoreError where error.code == .purchaseCeiling {
            // Nothing was sent: the store refused the purchase's slot.
            return .finished(.ceilingReached(error.message))
        }
        logger.debug(
            "request sent",
            metadata: ["onboard.run": "\(execution.run.id)", "onboard.step": "\(step.id)", "attempt": "\(attempt)"])
        guard case .answered(let response) = call.result, response.isSuccess else { return .failed(call) }
        let finished: FinishedAttempt
        if let id = call.attemptID {
            finished = FinishedAttempt(id: id, statusCode: response.status, at: configuration.clock.now())
        } else if let unrecorded = call.unrecorded {
            finished = FinishedAttempt(unrecorded: unrecorded, statusCode: response.status, at: configuration.clock.now())
        } else {
            return .failed(call)
        }
        return .finished(try await succeed(step, response: response, attempt: finished, execution: execution, digest: digest))
    }

    /// A 2xx answer: keep the outputs, check the requirements, settle and commit.
    ///
    /// A 2xx is an effect even when the workflow cannot use the answer (an output missing, a `require:` failing):
    /// the attempt is recorded as succeeded, with the error, so the next resume looks the effect up and adopts it
    /// instead of creating it again.
    private func succeed(
        _ step: StepDefinition, response: APIResponse, attempt: FinishedAttempt, execution: Execution, digest: String
    ) async throws -> StepResult {
        let body = response.body ?? .null
        let failure: String?
        var outputs: [String: JSONValue] = [:]
        do {
            outputs = try extractOutputs(step.outputs, from: body, scope: execution.scope)
            failure = checkRequirements(step, response: body, outputs: outputs, scope: execution.scope)
        } catch {
            failure = "the answer lacks what the workflow keeps: \(error)"
        }
        if let failure {
            if let id = attempt.id {
                try await finish(id, .succeeded, status: response.status, error: failure, execution)
            } else if var record = attempt.unrecorded {
                record.ended(.succeeded, status: response.status, error: failure, at: attempt.at)
                _ = try await store.beginAttempt(record, lease: execution.lease)
            }
            let note = step.effect.createsSomething
                ? " (the API answered \(response.status), so it did happen: `onboard resume \(execution.run.id)` looks it up and adopts it, never creating it again)"
                : ""
            return .stopped(.failed, failure + note)
        }
        return try await settle(
            step, outputs: outputs, execution: execution, attempt: attempt, adopted: false, digest: digest)
    }

    static func seconds(_ duration: Duration) -> String {
        let value = duration.seconds
        return value < 10 ? String(format: "%.1f s", value) : String(format: "%.0f s", value)
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
        _ step: StepDefinition, outputs initial: [String: JSONValue], execution: Execution, attempt: FinishedAttempt?,
        adopted: Bool, digest: String? = nil
    ) async throws -> StepResult {
        var outputs = initial
        if let poll = step.poll {
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: poll.timeout)
            var polls = 0
            while true {
                let pollScope = execution.scope.with("outputs", .object(outputs))
                if poll.until.evaluate(in: pollScope).isTruthy { break }
                if let failIf = poll.failIf, failIf.evaluate(in: pollScope).isTruthy {
                    return .stopped(.failed, "step '\(step.id)' settled as failed: \(JSONValue.object(outputs).canonicalString())")
                }
                if clock.now >= deadline {
                    return .stopped(.failed, "step '\(step.id)' did not settle within \(poll.timeout); "
                        + "`onboard resume \(execution.run.id)` looks it up again (nothing is bought twice)")
                }
                events(.polling(runID: execution.run.id, step: step.id, status: outputs.values.first?.stringValue ?? ""))
                if try await !sleep(for: poll.interval, execution) { return .stopped(.interrupted, "") }
                polls += 1
                let request = try poll.request.render(in: pollScope)
                let call = try await self.call(request, purpose: .poll, step: step, label: "poll-\(polls)", execution)
                if case .answered(let response) = call.result, response.isSuccess {
                    for (name, value) in try extractOutputs(poll.outputs, from: response.body ?? .null, scope: pollScope) {
                        outputs[name] = value
                    }
                }
            }
        }
        let claims = step.claims.compactMap { name in outputs[name]?.stringValue.map { Claim(scope: name, value: $0) } }
        let inputDigest = try digest ?? step.request.render(in: execution.redacted).digest
        do {
            if step.id == execution.finalStepID {
                try await store.completeFinalStep(
                    execution.lease, stepID: step.id, outputs: outputs, inputDigest: inputDigest, claims: claims,
                    attempt: attempt)
            } else {
                try await store.completeStep(
                    execution.lease, stepID: step.id, outputs: outputs, inputDigest: inputDigest, claims: claims,
                    attempt: attempt)
            }
        } catch let error as StoreError where error.code == .claimConflict {
            return .stopped(.inDoubt, "\(error.message); resolve which run owns it with `onboard resolve`")
        }
        events(.stepDone(runID: execution.run.id, step: step.id, outputs: outputs, adopted: adopted))
        OnboardMetrics.stepEnded(step.id, adopted ? "adopted" : "done")
        logger.info("step done", metadata: ["onboard.run": "\(execution.run.id)", "onboard.step": "\(step.id)"])
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
