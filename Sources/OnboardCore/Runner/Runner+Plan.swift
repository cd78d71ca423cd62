import Foundation

/// Where one item (a run, or a batch item) stands against the database, and what executing it now would do: the
/// plan `onboard plan` prints, and the count of purchases `run` and `batch` announce before their first request.
public struct ItemPlan: Sendable, Hashable {
    public enum State: Sendable, Hashable {
        /// No run yet: every step will be sent.
        case new
        /// Done with these inputs: nothing to send.
        case done
        /// Started; continues at `step`.
        case resumes(at: String)
        /// A request of `step` may have taken effect: it is looked up before anything is sent.
        case inDoubt(at: String)
        /// The inputs or the definition changed under finished or in-doubt steps: refused without
        /// `--accept-changes`.
        case drift(Drift)
    }

    public var key: String
    public var kind: RunKind
    public var runID: String
    public var state: State
    /// Requests this item would send at most (lookups of in-doubt steps included, token calls not).
    public var calls: Int
    /// Purchases it may make: purchase steps still to send, not counting one in doubt (that one is looked up).
    public var purchases: Int
    /// Other creates it may make, counted the same way.
    public var creates: Int
    /// Paths of the requests it would send (for the token calls they need).
    public var paths: Set<String>

    /// A line a person reads: `done, 0 calls`, `resumes at provision, 3 calls`, `new, 7 calls`, …
    public var summary: String {
        let calls = "\(self.calls) call\(self.calls == 1 ? "" : "s")"
        switch state {
        case .new: return "new, \(calls)"
        case .done: return "done, 0 calls"
        case .resumes(let step): return "resumes at \(step), \(calls)"
        case .inDoubt(let step): return "in doubt at \(step): lookup first, \(calls)"
        case .drift: return "drift: refused without --accept-changes"
        }
    }
}

extension ItemPlan {
    /// The plan of an item that has no run yet: every enabled step is sent.
    public static func new(_ definition: WorkflowDefinition, key: String, kind: RunKind, inputs: RunInputs) -> ItemPlan {
        let enabled = Planner.steps(definition, inputs: inputs, kind: kind)
        return ItemPlan(
            key: key, kind: kind, runID: Runner.runID(forKey: key), state: .new, calls: enabled.count,
            purchases: enabled.filter { $0.effect == .purchase }.count,
            creates: enabled.filter { $0.effect == .create }.count, paths: Set(enabled.map(\.request.path)))
    }
}

extension Runner {
    /// Plans the item `key` of `kind` with `inputs` against the database, reading only.
    public func planItem(key: String, kind: RunKind, inputs: RunInputs) async throws -> ItemPlan {
        let runID = Self.runID(forKey: key)
        let enabled = Planner.steps(definition, inputs: inputs, kind: kind)
        guard let run = try await store.run(id: runID) else {
            return ItemPlan.new(definition, key: key, kind: kind, inputs: inputs)
        }
        let records = Dictionary(uniqueKeysWithValues: try await store.steps(runID: runID).map { ($0.stepID, $0) })
        let attempts = try await store.attempts(runID: runID, stepID: nil)
        if run.definitionDigest != definition.digest || run.inputsDigest != inputs.digest(for: definition) {
            let drift = try await changes(
                of: run, newInputs: inputs.stored(for: definition), records: Array(records.values), attempts: attempts)
            if drift.isRefused {
                return ItemPlan(key: key, kind: kind, runID: runID, state: .drift(drift), calls: 0, purchases: 0, creates: 0, paths: [])
            }
        }
        var plan = ItemPlan(key: key, kind: kind, runID: runID, state: .done, calls: 0, purchases: 0, creates: 0, paths: [])
        for step in enabled where records[step.id]?.status != .done {
            let inDoubt = attempts.contains { $0.stepID == step.id && $0.isUncertainCreate }
            if case .done = plan.state { plan.state = inDoubt ? .inDoubt(at: step.id) : .resumes(at: step.id) }
            plan.paths.insert(step.request.path)
            if inDoubt {
                // The lookup, then (only if it finds nothing) the send; the purchase is not a new one.
                plan.calls += 2
                if let lookup = step.reconcile?.request.path { plan.paths.insert(lookup) }
                continue
            }
            plan.calls += 1
            if step.effect == .purchase { plan.purchases += 1 }
            if step.effect == .create { plan.creates += 1 }
        }
        return plan
    }
}
