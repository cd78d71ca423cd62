import Foundation

/// What to do first with a step when a run reaches it: the part of the state machine that reads only records,
/// so each guarantee of DESIGN.md section 4 has a unit test of its own.
public enum StepStart: Sendable, Hashable {
    /// Done in an earlier run: reuse its outputs, send nothing.
    case reuse
    /// Its `when` is false.
    case skip
    /// Send the request.
    case send
    /// An earlier request may have taken effect: run the lookup, adopt what it finds, send only if it finds
    /// nothing.
    case lookUpFirst
    /// An earlier request may have taken effect and the step has no lookup: stop, a person must `resolve` it.
    case needsResolution
}

extension StepStart {
    /// Decides from the step's definition, its record and its earlier send attempts.
    ///
    /// A read-only step is simply sent again. A step that creates something is never resent while any earlier
    /// send might have taken effect (no answer, 409/500/502/504, or a 2xx whose outputs were never committed)
    /// and no lookup has disproved it since: it looks first, or stops for a person.
    public static func decide(
        step: StepDefinition, record: StepRecord, attempts: [AttemptRecord], isEnabled: Bool
    ) -> StepStart {
        if record.status == .done { return .reuse }
        if !isEnabled { return .skip }
        guard step.effect.createsSomething else { return .send }
        let uncertain = attempts.contains { $0.stepID == step.id && $0.isUncertainCreate }
        guard uncertain else { return .send }
        return step.reconcile == nil ? .needsResolution : .lookUpFirst
    }
}

/// How the runner reacts to one answer of a step's request.
public enum StepReaction: Sendable, Hashable {
    case succeed
    /// The token was refused (401, or 403 naming its scope): send again at once with a new one.
    case reauthenticate
    /// Wait `delay`, then (after a lookup, when `lookUpFirst`) send again.
    case retry(delay: Duration, lookUpFirst: Bool)
    /// Look whether the effect exists (409 on a create step); fail with the API's message if not.
    case lookUpOrFail
    /// Stop the run: failed (or in doubt when `inDoubt`, for a create step whose last try may have worked and that
    /// has no lookup).
    case fail(inDoubt: Bool)
}

extension StepReaction {
    /// - Parameters:
    ///   - outcome: the class of the answer (`OutcomeClass.classify`), or `.retryable(isAmbiguous:)` for no answer.
    ///   - attempt: which send this was, from 1.
    ///   - alreadyReauthenticated: a new token was fetched after a refusal already; a second refusal is final.
    ///   - elapsed: time since the step's first send in this execution; a retry that would end past the policy's
    ///     step budget is not made.
    public static func decide(
        step: StepDefinition, outcome: OutcomeClass, attempt: Int, retryAfter: Double?, policy: RetryPolicy,
        random: Double, alreadyReauthenticated: Bool = false, elapsed: Duration = .zero
    ) -> StepReaction {
        switch outcome {
        case .success:
            return .succeed
        case .reauthenticate:
            return alreadyReauthenticated || attempt >= step.maxAttempts ? .fail(inDoubt: false) : .reauthenticate
        case .conflict:
            return step.effect.createsSomething && step.reconcile != nil ? .lookUpOrFail : .fail(inDoubt: false)
        case .fatal:
            return .fail(inDoubt: false)
        case .unreachable:
            guard step.retry != .none, attempt < min(step.maxAttempts, OutcomeClass.unreachableTries) else {
                return .fail(inDoubt: false)
            }
            let delay = policy.delay(afterAttempt: attempt, retryAfter: nil, random: random)
            return elapsed + delay > policy.stepBudget ? .fail(inDoubt: false) : .retry(delay: delay, lookUpFirst: false)
        case .retryable(let isAmbiguous):
            let mustLook = isAmbiguous && step.effect.createsSomething
            if step.retry == .none || attempt >= step.maxAttempts {
                // Out of tries. A create step whose last try may have worked is in doubt unless a lookup can
                // settle it on the next resume.
                return .fail(inDoubt: mustLook && step.reconcile == nil)
            }
            if mustLook && step.reconcile == nil { return .fail(inDoubt: true) }
            let delay = policy.delay(afterAttempt: attempt, retryAfter: retryAfter, random: random)
            // Out of time: the same as out of tries.
            if elapsed + delay > policy.stepBudget { return .fail(inDoubt: false) }
            return .retry(delay: delay, lookUpFirst: mustLook)
        }
    }
}
