import Foundation

/// What a run would call, worked out without calling anything (`onboard plan`).
public struct PlannedStep: Sendable {
    public var id: String
    public var title: String
    public var effect: StepEffect
    public var level: StepLevel
    /// False when the step's `when` is false for these inputs.
    public var willRun: Bool
    /// The request with secrets shown as `<redacted>` / `<env.NAME>` and earlier outputs as `<steps.id.output>`.
    public var request: APIRequest
}

public enum Planner {
    /// The steps of `kind` for `inputs`, rendered with no secret and no call.
    public static func plan(_ definition: WorkflowDefinition, inputs: RunInputs, kind: RunKind = .single) throws
        -> [PlannedStep]
    {
        let scope = RunScope(
            inputs: inputs.stored(for: definition), steps: [:], run: ["id": "<run.id>", "key": "<run.key>"],
            environment: [:], isRedacted: true, isPlanning: true)
        let steps = definition.steps.filter { kind == .single || ($0.level == .account) == (kind == .account) }
        return try steps.map { step in
            PlannedStep(
                id: step.id, title: step.title, effect: step.effect, level: step.level,
                willRun: step.when.map { $0.evaluate(in: scope).isTruthy } ?? true,
                request: try step.request.render(in: scope))
        }
    }

    /// The steps of `kind` whose `when` holds for `inputs` (no request rendered).
    public static func steps(_ definition: WorkflowDefinition, inputs: RunInputs, kind: RunKind) -> [StepDefinition] {
        let scope = JSONScope(["inputs": inputs.raw])
        return definition.steps.filter { step in
            (kind == .single || (step.level == .account) == (kind == .account))
                && (step.when.map { $0.evaluate(in: scope).isTruthy } ?? true)
        }
    }

    /// Token calls a run of these steps needs at most, with a fresh token cache: one per distinct path when tokens
    /// are scoped to a path, else one.
    public static func tokenCalls(_ definition: WorkflowDefinition, steps: [PlannedStep]) -> Int {
        switch definition.auth.scope {
        case .global: return 1
        case .path: return Set(steps.filter(\.willRun).map(\.request.path)).count
        }
    }
}
