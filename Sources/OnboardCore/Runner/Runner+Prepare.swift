import Foundation

extension Runner {
    /// The run id for a key: short, stable, the same in every process.
    public static func runID(forKey key: String) -> String {
        "r" + sha256Hex(Data(key.utf8)).prefix(11)
    }

    /// Finds the run for `key`, or creates it with one pending row per step of `kind`, pinned to this runner's
    /// definition, `inputs` and target.
    ///
    /// Changed pins are checked by `execute`, under the run's lease.
    ///
    /// - Throws: `RunnerError.keyInUse` when the key belongs to a run of another kind, account or batch.
    public func prepare(
        key: String, kind: RunKind, inputs: RunInputs, inputPath: String?, parentID: String? = nil,
        batchID: String? = nil, workflowPath: String? = nil
    ) async throws -> RunRecord {
        let stored = inputs.stored(for: definition)
        let now = Date()
        let candidate = RunRecord(
            id: Self.runID(forKey: key), key: key, kind: kind, parentID: parentID, batchID: batchID,
            workflow: definition.name, definitionDigest: definition.digest,
            inputsDigest: sha256Hex(stored.canonicalData()), inputs: stored, inputPath: inputPath, createdAt: now,
            updatedAt: now, baseURL: configuration.target, workflowPath: workflowPath)
        let run = try await store.createRun(candidate, stepIDs: steps(for: kind).map(\.id))
        if run.kind != kind || run.parentID != parentID {
            let detail = run.kind == kind ? "an item of another account" : "a \(run.kind.rawValue) run"
            throw RunnerError.keyInUse(key: key, runID: run.id, detail: detail)
        }
        return run
    }

    /// Repins `run` to this definition and `inputs` (what `--accept-changes` does at the start of an execution),
    /// under the run's lease, without executing anything: for `onboard batch --enqueue`, whose workers run the
    /// stored inputs. Returns the lines accepted (empty when the pins matched).
    ///
    /// - Throws: `RunnerError.busy` when the run is being executed.
    public func acceptChanges(_ run: RunRecord, inputs: RunInputs) async throws -> [String] {
        guard !pinsMatch(run, inputs: inputs) else { return [] }
        let (keeper, _) = try await takeLease(of: run)
        var current = try await store.run(id: run.id) ?? run
        do {
            let accepted = try await checkPins(
                &current, inputs: inputs, records: try await store.steps(runID: run.id),
                attempts: try await store.attempts(runID: run.id, stepID: nil), accept: true, lease: keeper.lease)
            try await store.finishRun(
                keeper.lease, status: run.status == .running ? .interrupted : run.status, lastError: run.lastError)
            return accepted
        } catch {
            try? await store.finishRun(keeper.lease, status: run.status, lastError: run.lastError)
            throw error
        }
    }

    /// True when `run` is pinned to this definition and these inputs: a finished run then needs no execution.
    public func pinsMatch(_ run: RunRecord, inputs: RunInputs) -> Bool {
        run.definitionDigest == definition.digest && run.inputsDigest == inputs.digest(for: definition)
    }

    /// Compares the run's pins with `inputs` under the lease: refuses changes under finished or in-doubt steps
    /// (`ChangedPinsError`) unless `accept`, and repins. Returns the accepted change lines (empty when the pins
    /// matched or nothing was affected).
    func checkPins(
        _ run: inout RunRecord, inputs: RunInputs, records: [StepRecord], attempts: [AttemptRecord], accept: Bool,
        lease: Lease
    ) async throws -> [String] {
        let stored = inputs.stored(for: definition)
        let inputsDigest = sha256Hex(stored.canonicalData())
        guard run.definitionDigest != definition.digest || run.inputsDigest != inputsDigest else { return [] }
        let drift = try await changes(of: run, newInputs: stored, records: records, attempts: attempts)
        if drift.isRefused && !accept { throw ChangedPinsError(runID: run.id, lines: drift.lines) }
        let accepted = drift.isRefused ? drift.lines + drift.unchangedNote : []
        try await store.repin(
            lease, definitionDigest: definition.digest, inputsDigest: inputsDigest, inputs: stored, accepted: accepted)
        run.definitionDigest = definition.digest
        run.inputsDigest = inputsDigest
        run.inputs = stored
        return accepted
    }

    /// What changed since `run` was pinned, in lines a person reads: definition, inputs, and the finished and
    /// in-doubt steps whose request would now differ.
    public func changes(of run: RunRecord, newInputs: JSONValue) async throws -> Drift {
        try await changes(
            of: run, newInputs: newInputs, records: store.steps(runID: run.id),
            attempts: store.attempts(runID: run.id, stepID: nil))
    }

    func changes(
        of run: RunRecord, newInputs: JSONValue, records: [StepRecord], attempts: [AttemptRecord]
    ) async throws -> Drift {
        var drift = Drift()
        if run.definitionDigest != definition.digest {
            drift.lines.append(
                "workflow '\(definition.name)' changed since the run started "
                    + "(definition \(run.definitionDigest.prefix(12)) → \(definition.digest.prefix(12)))")
        }
        drift.lines += inputDiff(old: run.inputs, new: newInputs)
        var scope = RunScope(
            inputs: newInputs, steps: [:], run: ["id": .string(run.id), "key": .string(run.key)],
            environment: [:], isRedacted: true)
        if let parentID = run.parentID {
            for record in try await store.steps(runID: parentID) where record.status == .done {
                scope.steps[record.stepID] = record.outputs
            }
        }
        for record in records.sorted(by: { $0.position < $1.position }) {
            let now = definition.step(record.stepID).flatMap { try? $0.request.render(in: scope).digest }
            if record.status == .done {
                // A step a person resolved (`onboard resolve --happened`) has no digest to compare with.
                if let pinned = record.inputDigest, now != pinned { drift.finishedSteps.append(record.stepID) }
                scope.steps[record.stepID] = record.outputs
                continue
            }
            // In doubt: pinned to every request it may have made.
            let sent = attempts.filter { $0.stepID == record.stepID && $0.isUncertainCreate }.compactMap(\.requestDigest)
            if sent.contains(where: { $0 != now }) { drift.inDoubtSteps.append(record.stepID) }
        }
        if !drift.finishedSteps.isEmpty {
            drift.lines.append("finished steps whose request would now differ: \(drift.finishedSteps.joined(separator: ", "))")
        }
        if !drift.inDoubtSteps.isEmpty {
            drift.lines.append(
                "steps in doubt whose request would now differ from what was sent: "
                    + drift.inDoubtSteps.joined(separator: ", "))
        }
        if drift.finishedSteps.isEmpty && run.definitionDigest != definition.digest {
            // A definition change that alters no finished request is still refused: the user should look.
            drift.definitionChanged = records.contains { $0.status == .done }
        }
        return drift
    }

    /// `- subscriber.email: "a@x" → "b@x"` per changed leaf.
    func inputDiff(old: JSONValue, new: JSONValue) -> [String] {
        let paths = Set(old.leafPaths() + new.leafPaths()).filter { !$0.isEmpty }.sorted()
        return paths.compactMap { path in
            let before = old.value(atPath: path) ?? .null
            let after = new.value(atPath: path) ?? .null
            guard before != after else { return nil }
            return "  \(path): \(before.canonicalString()) → \(after.canonicalString())"
        }
    }
}

/// How a run's pins differ from what it would be given now.
public struct Drift: Sendable, Hashable {
    /// What a person reads: the definition change, a line per changed input, the affected steps.
    public var lines: [String] = []
    /// Done steps whose request would now be different (they are never sent again).
    public var finishedSteps: [String] = []
    /// Steps in doubt whose request would now differ from what was sent (they are looked up with what was sent).
    public var inDoubtSteps: [String] = []
    /// The definition changed under finished steps (even if no finished request would differ).
    public var definitionChanged = false

    /// Changes that are refused without `--accept-changes`.
    public var isRefused: Bool { !finishedSteps.isEmpty || !inDoubtSteps.isEmpty || definitionChanged }

    var unchangedNote: [String] {
        var notes: [String] = []
        if !finishedSteps.isEmpty {
            notes.append("unchanged on the API: \(finishedSteps.joined(separator: ", ")) (finished steps are never sent again)")
        }
        if !inDoubtSteps.isEmpty {
            notes.append(
                "looked up with the values that were sent: \(inDoubtSteps.joined(separator: ", ")) (sent again with the "
                    + "new values only if the lookup proves nothing was created)")
        }
        return notes
    }
}

/// Resuming would apply different inputs or a different definition to finished or in-doubt steps.
public struct ChangedPinsError: Error, Sendable, CustomStringConvertible {
    public var runID: String
    public var lines: [String]

    public var description: String {
        (["run \(runID) was started with other inputs or another workflow definition:"] + lines + [
            "Finished steps are not re-applied, and a step in doubt is looked up with what was sent. Pass "
                + "--accept-changes to continue with the new inputs for the remaining steps, or use a new key for a "
                + "new setup."
        ]).joined(separator: "\n")
    }
}
