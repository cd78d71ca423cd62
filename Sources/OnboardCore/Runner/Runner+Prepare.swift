import Foundation

extension Runner {
    /// The run id for a key: short, stable, the same in every process.
    public static func runID(forKey key: String) -> String {
        "r" + sha256Hex(Data(key.utf8)).prefix(11)
    }

    /// Finds the run for `key`, or creates it with one pending row per step of `kind`.
    ///
    /// An existing run whose workflow definition or inputs changed is refused with `ChangedPinsError` when any of
    /// its steps is finished, unless `acceptChanges`; with nothing finished, the new pins are simply taken.
    public func prepare(
        key: String, kind: RunKind, inputs: RunInputs, inputPath: String?, parentID: String? = nil,
        batchID: String? = nil, acceptChanges: Bool = false
    ) async throws -> RunRecord {
        let stored = inputs.stored(for: definition)
        let inputsDigest = sha256Hex(stored.canonicalData())
        let now = Date()
        let candidate = RunRecord(
            id: Self.runID(forKey: key), key: key, kind: kind, parentID: parentID, batchID: batchID,
            workflow: definition.name, definitionDigest: definition.digest, inputsDigest: inputsDigest,
            inputs: stored, inputPath: inputPath, createdAt: now, updatedAt: now)
        let run = try await store.createRun(candidate, stepIDs: steps(for: kind).map(\.id))
        if run.definitionDigest == definition.digest && run.inputsDigest == inputsDigest { return run }
        let changes = try await changes(of: run, newInputs: stored)
        if !changes.finishedStepsAffected.isEmpty && !acceptChanges {
            throw ChangedPinsError(runID: run.id, lines: changes.lines)
        }
        try await store.repin(
            runID: run.id, definitionDigest: definition.digest, inputsDigest: inputsDigest, inputs: stored, at: now)
        var updated = run
        updated.definitionDigest = definition.digest
        updated.inputsDigest = inputsDigest
        updated.inputs = stored
        return updated
    }

    /// What changed since `run` was pinned, in lines a person reads.
    func changes(of run: RunRecord, newInputs: JSONValue) async throws -> (lines: [String], finishedStepsAffected: [String]) {
        var lines: [String] = []
        if run.definitionDigest != definition.digest {
            lines.append(
                "workflow '\(definition.name)' changed since the run started "
                    + "(definition \(run.definitionDigest.prefix(12)) → \(definition.digest.prefix(12)))")
        }
        lines += inputDiff(old: run.inputs, new: newInputs)
        let records = try await store.steps(runID: run.id)
        var scope = RunScope(
            inputs: newInputs, steps: [:], run: ["id": .string(run.id), "key": .string(run.key)],
            environment: [:], isRedacted: true)
        if let parentID = run.parentID {
            for record in try await store.steps(runID: parentID) where record.status == .done {
                scope.steps[record.stepID] = record.outputs
            }
        }
        var affected: [String] = []
        for record in records.sorted(by: { $0.position < $1.position }) where record.status == .done {
            let now = definition.step(record.stepID).flatMap { try? $0.request.render(in: scope).digest }
            if now != record.inputDigest { affected.append(record.stepID) }
            scope.steps[record.stepID] = record.outputs
        }
        if !affected.isEmpty {
            lines.append("finished steps whose request would now differ: \(affected.joined(separator: ", "))")
        } else if run.definitionDigest != definition.digest {
            // A definition change that alters no finished request is still refused: the user should look.
            affected = records.filter { $0.status == .done }.map(\.stepID)
        }
        return (lines, affected)
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

/// Resuming would apply different inputs or a different definition to finished steps.
public struct ChangedPinsError: Error, Sendable, CustomStringConvertible {
    public var runID: String
    public var lines: [String]

    public var description: String {
        (["run \(runID) was started with other inputs or another workflow definition:"] + lines + [
            "Finished steps are not re-applied. Pass --accept-changes to continue with the new inputs for the "
                + "remaining steps, or use a new key for a new setup."
        ]).joined(separator: "\n")
    }
}
