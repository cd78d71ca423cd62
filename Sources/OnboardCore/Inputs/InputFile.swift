import Foundation

/// One setup's input file (`onboard run INPUT.yaml`): the workflow's inputs, plus optional `key` (ties the setup
/// to its checkpoints; default `<account.name>/<subscriber.email>`) and `workflow` (a workflow name).
public struct InputFile: Sendable {
    public var path: String
    public var key: String
    public var workflow: String?
    public var inputs: RunInputs

    /// Reads and validates `path` against `definition`; throws every problem at once.
    public static func load(
        path: String, definition: WorkflowDefinition, environment: [String: String]
    ) throws(DiagnosticList) -> InputFile {
        let document = try YAMLDocument(contentsOf: path)
        guard case .object(var object) = document.value else {
            throw DiagnosticList([document.diagnostic("", "an input file is a mapping of account, message_route, ...")])
        }
        let key = object.removeValue(forKey: "key")?.stringValue
        let workflow = object.removeValue(forKey: "workflow")?.stringValue
        var problems: [Diagnostic] = []
        // The key names the run in `list` and `show`: no control characters, at most 256 characters.
        if let key, case .failure(let problem) = ItemKeys.check(key, field: "key") {
            problems.append(document.diagnostic("key", problem.message))
        }
        let inputs: RunInputs
        do {
            inputs = try InputValidator.prepare(
                .object(object), definition: definition, environment: environment, document: document, file: path)
        } catch {
            throw DiagnosticList(problems + error.diagnostics)
        }
        if !problems.isEmpty { throw DiagnosticList(problems) }
        let derivedKey = [inputs.raw.value(atPath: "account.name"), inputs.raw.value(atPath: "subscriber.email")]
            .compactMap { $0?.stringValue }.joined(separator: "/")
        return InputFile(path: path, key: key ?? derivedKey, workflow: workflow, inputs: inputs)
    }

    /// The `workflow:` named in an input file, read before the workflow is known; nil when absent or unreadable.
    public static func workflowName(at path: String) -> String? {
        (try? YAMLDocument(contentsOf: path))?.value["workflow"]?.stringValue
    }
}
