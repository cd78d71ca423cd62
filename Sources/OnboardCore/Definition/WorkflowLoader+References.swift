import Foundation

/// The whole-definition checks that need every step read first: what templates refer to.
extension DefinitionReader {
    /// Every `inputs.*` path must name a declared input (or a parent of one); every `steps.X.Y` an earlier step X
    /// that keeps output Y, at a level this step can see.
    mutating func checkReferences(_ definition: WorkflowDefinition) {
        let inputPaths = definition.inputs.map(\.path)
        let roots: Set<String> = ["inputs", "steps", "env", "secrets", "run", "response", "item", "outputs", "auth"]
        func checkInputs(_ expressions: [Expression], _ path: String, allowedRoots: Set<String>) {
            for components in expressions.flatMap(\.paths) {
                guard let root = components.first else { continue }
                if !roots.contains(root) || !allowedRoots.contains(root) {
                    problem(path, "'\(components.joined(separator: "."))': '\(root)' is not available here")
                    continue
                }
                if root == "inputs" {
                    let name = components.dropFirst().joined(separator: ".")
                    if !inputPaths.contains(where: { $0 == name || $0.hasPrefix(name + ".") }) {
                        problem(path, "'inputs.\(name)' is not a declared input")
                    }
                }
            }
        }
        for rule in definition.rules {
            checkInputs([rule.check], "rules", allowedRoots: ["inputs"])
        }
        checkInputs(definition.auth.request.body?.expressions ?? [], "auth.request.body", allowedRoots: ["secrets", "auth", "env"])
        for (index, step) in definition.steps.enumerated() {
            let path = "steps.\(index)"
            let earlier = definition.steps[..<index]
            let requestRoots: Set<String> = ["inputs", "steps", "env", "run"]
            var expressions = requestExpressions(step.request)
            if let when = step.when { expressions.append(when) }
            checkInputs(expressions, path, allowedRoots: requestRoots)
            checkInputs(step.outputs.flatMap(\.value.expressions), "\(path).outputs", allowedRoots: requestRoots.union(["response"]))
            checkInputs(step.requirements.map(\.check), "\(path).require", allowedRoots: requestRoots.union(["response", "outputs"]))
            if let poll = step.poll {
                checkInputs(
                    requestExpressions(poll.request) + [poll.until] + (poll.failIf.map { [$0] } ?? [])
                        + poll.outputs.flatMap(\.value.expressions),
                    "\(path).poll", allowedRoots: requestRoots.union(["outputs", "response"]))
            }
            if let reconcile = step.reconcile {
                checkInputs(
                    requestExpressions(reconcile.request) + reconcile.match.flatMap(\.value.expressions)
                        + reconcile.preferPrefix.flatMap(\.value.expressions)
                        + (reconcile.serializeKey?.expressions ?? []),
                    "\(path).reconcile", allowedRoots: requestRoots)
                checkInputs(
                    reconcile.outputs.flatMap(\.value.expressions), "\(path).reconcile.outputs",
                    allowedRoots: requestRoots.union(["item", "response"]))
                for output in reconcile.outputs where !step.outputNames.contains(output.name) {
                    problem("\(path).reconcile.outputs.\(output.name)", "is not one of the step's outputs")
                }
                for output in step.outputNames where !reconcile.outputs.contains(where: { $0.name == output }) {
                    problem("\(path).reconcile.outputs", "must also give '\(output)', which later steps may need")
                }
            }
            for claim in step.claims where !step.outputNames.contains(claim) {
                problem("\(path).claims", "'\(claim)' is not one of the step's outputs")
            }
            let all = expressions + step.outputs.flatMap(\.value.expressions)
                + (step.reconcile.map { requestExpressions($0.request) + $0.match.flatMap(\.value.expressions) } ?? [])
                + (step.poll.map { requestExpressions($0.request) } ?? [])
            for components in all.flatMap(\.paths) where components.first == "steps" {
                guard components.count >= 3 else {
                    problem(path, "'\(components.joined(separator: "."))' must name a step and an output")
                    continue
                }
                let target = components[1]
                guard let referenced = earlier.first(where: { $0.id == target }) else {
                    let exists = definition.steps.contains { $0.id == target }
                    problem(
                        path,
                        exists
                            ? "'steps.\(target)' runs later than step '\(step.id)'"
                            : "'steps.\(target)' is not a step of this workflow")
                    continue
                }
                if !referenced.outputNames.contains(components[2]) {
                    problem(path, "step '\(target)' keeps no output '\(components[2])'")
                }
                if step.level == .account && referenced.level == .subscriber {
                    problem(path, "account-level step '\(step.id)' cannot use subscriber-level step '\(target)'")
                }
            }
        }
    }

    func requestExpressions(_ request: RequestTemplate) -> [Expression] {
        (request.body?.expressions ?? []) + request.query.flatMap(\.value.expressions)
            + ((try? Template.compile(string: request.path))?.expressions ?? [])
    }
}
