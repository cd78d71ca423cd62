import Foundation

/// One execution of one run: its lease, what its templates see, and how it pauses.
struct Execution: Sendable {
    var run: RunRecord
    let keeper: LeaseKeeper
    /// Inputs resolved (secrets in), for requests.
    var scope: RunScope
    /// Inputs as stored (secrets as references), for digests and lookups of earlier pins.
    var redacted: RunScope
    /// The run's last step: its completion also finishes the run as done and releases the lease
    /// (`completeFinalStep`), one commit instead of two.
    var finalStepID: String?

    var lease: Lease { keeper.lease }

    /// Throws when nothing more may be sent: the lease was lost or its deadline passed.
    func checkLease() throws { try keeper.check() }
}

extension Runner {
    /// Runs the steps under `keeper`'s lease; returns the run's final status and last error (which the caller
    /// commits with the lease's release).
    ///
    /// - Parameter snapshot: the run, steps and attempts read with the lease (`acquireLeaseReading`); read here
    ///   when nil (a lease claimed by a worker).
    func executeLeased(
        _ given: RunRecord, snapshot: RunSnapshot? = nil, inputs: RunInputs, parentOutputs: [String: [String: JSONValue]],
        options: ExecuteOptions, keeper: LeaseKeeper
    ) async throws -> RunOutcome {
        let lease = keeper.lease
        events(.runStarted(runID: given.id, key: given.key))
        var run: RunRecord
        if let snapshot { run = snapshot.run } else { run = try await store.run(id: given.id) ?? given }
        if let from = options.resetFrom {
            let ids = steps(for: run.kind).map(\.id)
            guard let index = ids.firstIndex(of: from) else {
                throw RunnerError.definitionMismatch(runID: run.id, step: from)
            }
            try await store.resetSteps(lease, stepIDs: Array(ids[index...]))
        }
        let stepList: [StepRecord]
        let attempts: [AttemptRecord]
        if let snapshot, options.resetFrom == nil {
            (stepList, attempts) = (snapshot.steps, snapshot.attempts)
        } else {
            stepList = try await store.steps(runID: run.id)
            attempts = try await store.attempts(runID: run.id, stepID: nil)
        }
        var records = Dictionary(uniqueKeysWithValues: stepList.map { ($0.stepID, $0) })
        let accepted = try await checkPins(
            &run, inputs: inputs, records: Array(records.values), attempts: attempts, accept: options.acceptChanges,
            lease: lease)
        if !accepted.isEmpty {
            events(.changesAccepted(runID: run.id, lines: accepted))
            records = Dictionary(uniqueKeysWithValues: try await store.steps(runID: run.id).map { ($0.stepID, $0) })
        }
        let resolvedInputs = try inputs.resolved(in: configuration.environment, file: run.inputPath ?? "input")
        let scope = RunScope(
            inputs: resolvedInputs, steps: parentOutputs, run: ["id": .string(run.id), "key": .string(run.key)],
            environment: configuration.environment, isRedacted: false)
        var redacted = scope
        redacted.inputs = inputs.stored(for: definition)
        redacted.isRedacted = true
        var execution = Execution(
            run: run, keeper: keeper, scope: scope, redacted: redacted, finalStepID: steps(for: run.kind).last?.id)
        func outcome(_ status: RunStatus, _ lastError: String?, unreachable: TransportError? = nil) -> RunOutcome {
            RunOutcome(
                status: status, lastError: lastError, outputs: execution.scope.steps, acceptedChanges: accepted,
                unreachable: unreachable)
        }
        for step in steps(for: run.kind) {
            guard let record = records[step.id] else {
                throw RunnerError.definitionMismatch(runID: run.id, step: step.id)
            }
            let isEnabled = step.when.map { $0.evaluate(in: execution.scope).isTruthy } ?? true
            let start = StepStart.decide(step: step, record: record, attempts: attempts, isEnabled: isEnabled)
            switch start {
            case .reuse:
                execution.scope.steps[step.id] = record.outputs
                execution.redacted.steps[step.id] = record.outputs
                continue
            case .skip:
                if record.status != .skipped {
                    try await store.setStepState(lease, stepID: step.id, status: .skipped, lastError: nil, nextRetryAt: nil)
                }
                events(.stepSkipped(runID: run.id, step: step.id))
                OnboardMetrics.stepEnded(step.id, StepStatus.skipped.rawValue)
                continue
            case .needsResolution:
                let message =
                    "an earlier request of step '\(step.id)' may have taken effect and the workflow has no lookup "
                    + "for it; check in the Telegent portal, then `onboard resolve \(run.id) \(step.id) --happened "
                    + "--set NAME=VALUE` or `--not-happened`"
                let (status, text) = try await finish(execution, step: step.id, status: .inDoubt, message: message)
                return outcome(status, text)
            case .send, .lookUpFirst:
                if shutdown.isRequested { return outcome(.interrupted, interruptedText(run)) }
                try execution.checkLease()
                events(.stepStarted(runID: run.id, step: step.id, title: step.title))
                let result: StepResult
                do {
                    result = try await perform(step, record: record, execution: execution, lookFirst: start == .lookUpFirst)
                } catch is CancellationError {
                    return outcome(.interrupted, interruptedText(run))
                }
                switch result {
                case .done(let outputs):
                    execution.scope.steps[step.id] = outputs
                    execution.redacted.steps[step.id] = outputs
                    if step.id == execution.finalStepID {
                        // Its commit finished the run and released the lease.
                        var done = outcome(.done, nil)
                        done.isFinished = true
                        return done
                    }
                case .stopped(let status, let message):
                    if status == .interrupted { return outcome(.interrupted, interruptedText(run)) }
                    let (status, text) = try await finish(execution, step: step.id, status: status, message: message)
                    return outcome(status, text)
                case .unreachable(let message, let error):
                    let (status, text) = try await finish(execution, step: step.id, status: .failed, message: message)
                    return outcome(status, text, unreachable: error)
                case .ceilingReached(let message):
                    let (status, text) = try await finish(execution, step: step.id, status: .failed, message: message)
                    var ended = outcome(status, text)
                    ended.ceilingReached = true
                    return ended
                }
            }
        }
        return outcome(.done, nil)
    }

    private func finish(
        _ execution: Execution, step: String, status: RunStatus, message: String
    ) async throws -> (RunStatus, String?) {
        let stepStatus: StepStatus = status == .inDoubt ? .inDoubt : .failed
        try await store.setStepState(
            execution.lease, stepID: step, status: stepStatus, lastError: message, nextRetryAt: nil)
        OnboardMetrics.stepEnded(step, stepStatus.rawValue)
        events(.stepFailed(runID: execution.run.id, step: step, message: message))
        return (status, "\(step): \(message)")
    }

    private func interruptedText(_ run: RunRecord) -> String {
        "interrupted; `onboard resume \(run.id)` continues"
    }

    /// Sleeps for `duration`; returns false, early, when shutdown is requested. Throws `LeaseLostError` as soon as
    /// the lease is lost, so a paused execution never goes on to send.
    func sleep(for duration: Duration, _ execution: Execution) async throws -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: duration)
        while true {
            if shutdown.isRequested { return false }
            try execution.checkLease()
            let now = clock.now
            if now >= deadline { return true }
            do { try await clock.sleep(for: min(deadline - now, .milliseconds(100))) } catch { return false }
        }
    }
}
