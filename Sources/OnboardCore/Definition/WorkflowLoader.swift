import Crypto
import Foundation

/// Reads a workflow definition and checks it whole: every problem, with its file, line and field, before any
/// call is made.
public enum WorkflowLoader {
    /// Loads `path`; throws `DiagnosticList` with every problem found.
    public static func load(path: String) throws(DiagnosticList) -> WorkflowDefinition {
        let document = try YAMLDocument(contentsOf: path)
        return try load(document)
    }

    public static func load(file: String, text: String) throws(DiagnosticList) -> WorkflowDefinition {
        try load(YAMLDocument(file: file, text: text))
    }

    public static func load(_ document: YAMLDocument) throws(DiagnosticList) -> WorkflowDefinition {
        var reader = DefinitionReader(document: document)
        let definition = reader.read()
        if !reader.problems.isEmpty { throw DiagnosticList(reader.problems) }
        return definition!
    }
}

/// SHA-256, hex-encoded.
public func sha256Hex(_ data: some DataProtocol) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var hex: [UInt8] = []
    hex.reserveCapacity(64)
    for byte in SHA256.hash(data: Data(data)) {
        hex.append(digits[Int(byte >> 4)])
        hex.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: hex, as: UTF8.self)
}

struct DefinitionReader {
    let document: YAMLDocument
    var problems: [Diagnostic] = []

    init(document: YAMLDocument) { self.document = document }

    mutating func problem(_ path: String, _ message: String) {
        problems.append(document.diagnostic(path, message))
    }

    // MARK: Generic field access

    mutating func object(_ value: JSONValue?, _ path: String, allowed: Set<String>) -> [String: JSONValue]? {
        guard let value else { return nil }
        guard case .object(let object) = value else {
            problem(path, "must be a mapping")
            return nil
        }
        for key in object.keys.sorted() where !allowed.contains(key) {
            let suggestion = allowed.min { distance($0, key) < distance($1, key) }
            let hint = suggestion.map { distance($0, key) <= 3 ? " (did you mean '\($0)'?)" : "" } ?? ""
            problem(join(path, key), "unknown field '\(key)'\(hint)")
        }
        return object
    }

    mutating func string(_ object: [String: JSONValue], _ key: String, _ path: String, required: Bool = false)
        -> String?
    {
        guard let value = object[key], value != .null else {
            if required { problem(join(path, key), "is required") }
            return nil
        }
        guard let string = value.stringValue else {
            problem(join(path, key), "must be text")
            return nil
        }
        return string
    }

    mutating func enumValue<E: RawRepresentable & CaseIterable>(
        _ object: [String: JSONValue], _ key: String, _ path: String, default defaultValue: E? = nil
    ) -> E? where E.RawValue == String {
        guard let text = string(object, key, path, required: defaultValue == nil) else { return defaultValue }
        guard let value = E(rawValue: text) else {
            let allowed = E.allCases.map(\.rawValue).joined(separator: ", ")
            problem(join(path, key), "'\(text)' is not one of: \(allowed)")
            return defaultValue
        }
        return value
    }

    mutating func expression(_ text: String?, _ path: String) -> Expression? {
        guard let text else { return nil }
        var source = text.trimmingCharacters(in: .whitespaces)
        if source.hasPrefix("${"), source.hasSuffix("}") { source = String(source.dropFirst(2).dropLast()) }
        if let bound = ExpressionBounds.problem(in: source) {
            problem(path, "bad expression: \(bound)")
            return nil
        }
        do {
            return try Expression.parse(source)
        } catch {
            problem(path, "bad expression: \(error)")
            return nil
        }
    }

    mutating func template(_ value: JSONValue?, _ path: String) -> Template? {
        guard let value else { return nil }
        if let bound = ExpressionBounds.problem(inTemplate: value) {
            problem(path, "bad template: \(bound)")
            return nil
        }
        do {
            return try Template.compile(value)
        } catch {
            problem(path, "bad template: \(error)")
            return nil
        }
    }

    mutating func pairs(_ value: JSONValue?, _ path: String) -> [(name: String, value: Template)] {
        guard let value else { return [] }
        guard case .object(let object) = value else {
            problem(path, "must be a mapping")
            return []
        }
        return object.keys.sorted().compactMap { key in
            guard let template = template(object[key], join(path, key)) else { return nil }
            return (name: key, value: template)
        }
    }

    // MARK: Sections

    mutating func read() -> WorkflowDefinition? {
        let root = "" as String
        guard
            let top = object(
                document.value, root,
                allowed: ["workflow", "description", "version", "auth", "inputs", "rules", "steps"])
        else {
            problem(root, "a workflow must be a mapping with workflow, auth, inputs and steps")
            return nil
        }
        let name = string(top, "workflow", root, required: true) ?? "unnamed"
        let auth = readAuth(top["auth"])
        let inputs = readInputs(top["inputs"])
        let rules = readRules(top["rules"])
        var steps: [StepDefinition] = []
        var stepDigests: [String: String] = [:]
        if case .array(let items)? = top["steps"] {
            for (index, item) in items.enumerated() {
                if let step = readStep(item, "steps.\(index)") {
                    if steps.contains(where: { $0.id == step.id }) {
                        problem("steps.\(index).id", "duplicate step id '\(step.id)'")
                    }
                    steps.append(step)
                    stepDigests[step.id] = sha256Hex(item.canonicalData())
                }
            }
        } else {
            problem("steps", "is required: a list of steps")
        }
        guard let auth else { return nil }
        let definition = WorkflowDefinition(
            name: name, description: string(top, "description", root) ?? "", auth: auth, inputs: inputs,
            rules: rules, steps: steps, digest: sha256Hex(document.value.canonicalData()),
            stepDigests: stepDigests, file: document.file)
        checkReferences(definition)
        return definition
    }

    mutating func readRequest(_ value: JSONValue?, _ path: String) -> RequestTemplate? {
        guard let value else {
            problem(path, "is required")
            return nil
        }
        guard let request = object(value, path, allowed: ["method", "path", "query", "body"]) else { return nil }
        let method = string(request, "method", path, required: true)?.uppercased() ?? "GET"
        if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(method) {
            problem(join(path, "method"), "'\(method)' is not an HTTP method")
        }
        let target = string(request, "path", path, required: true) ?? "/"
        if !target.hasPrefix("/") { problem(join(path, "path"), "must start with '/'") }
        return RequestTemplate(
            method: method, path: target, query: pairs(request["query"], join(path, "query")),
            body: template(request["body"], join(path, "body")))
    }

    mutating func readAuth(_ value: JSONValue?) -> AuthSpec? {
        guard
            let auth = object(
                value, "auth", allowed: ["request", "token", "expiry", "expiry_format", "scope"])
        else {
            problem("auth", "is required: how to get a token")
            return nil
        }
        guard let request = readRequest(auth["request"], "auth.request") else { return nil }
        return AuthSpec(
            request: request, tokenField: string(auth, "token", "auth", required: true) ?? "token",
            expiryField: string(auth, "expiry", "auth"),
            expiryFormat: string(auth, "expiry_format", "auth") ?? "MM/dd/yyyy hh:mm:ss a",
            scope: enumValue(auth, "scope", "auth", default: TokenScope.path) ?? .path)
    }

    mutating func readInputs(_ value: JSONValue?) -> [InputField] {
        guard
            let inputs = object(value, "inputs", allowed: Set((value?.objectValue ?? [:]).keys))
        else { return [] }
        return inputs.keys.sorted().compactMap { key in
            let path = "inputs.\(key)"
            guard
                let spec = object(
                    inputs[key], path,
                    allowed: [
                        "type", "required", "default", "enum", "format", "secret", "description", "max_length",
                        "multiline",
                    ])
            else { return nil }
            var allowed: [String]?
            if let list = spec["enum"] {
                if case .array(let items) = list {
                    allowed = items.compactMap(\.stringValue)
                } else {
                    problem(join(path, "enum"), "must be a list")
                }
            }
            return InputField(
                path: key, kind: enumValue(spec, "type", path, default: InputField.Kind.string) ?? .string,
                isRequired: spec["required"]?.isTruthy ?? false, defaultValue: spec["default"], allowed: allowed,
                format: spec["format"] == nil ? nil : enumValue(spec, "format", path, default: nil),
                isSecret: spec["secret"]?.isTruthy ?? false, description: string(spec, "description", path),
                declaredMaxLength: maxLength(spec["max_length"], join(path, "max_length")),
                declaredMultiline: spec["multiline"].map(\.isTruthy))
        }
    }

    /// `max_length`: a whole number from 1 to 1,000,000.
    mutating func maxLength(_ value: JSONValue?, _ path: String) -> Int? {
        guard let value else { return nil }
        guard case .int(let int) = value, (1...1_000_000).contains(int) else {
            problem(path, "must be a whole number from 1 to 1000000")
            return nil
        }
        return int
    }

    mutating func readRules(_ value: JSONValue?) -> [Rule] {
        guard let value else { return [] }
        guard case .array(let items) = value else {
            problem("rules", "must be a list")
            return []
        }
        return items.enumerated().compactMap { index, item in
            let path = "rules.\(index)"
            guard let rule = object(item, path, allowed: ["check", "field", "message"]),
                let check = expression(string(rule, "check", path, required: true), join(path, "check"))
            else { return nil }
            return Rule(
                check: check, field: string(rule, "field", path, required: true) ?? "",
                message: string(rule, "message", path, required: true) ?? "")
        }
    }

    mutating func readStep(_ value: JSONValue, _ path: String) -> StepDefinition? {
        let allowed: Set<String> = [
            "id", "title", "level", "effect", "when", "retry", "max_attempts", "request", "outputs", "claims",
            "require", "poll", "reconcile", "hints",
        ]
        guard let step = object(value, path, allowed: allowed) else { return nil }
        guard let id = string(step, "id", path, required: true) else { return nil }
        let effect = enumValue(step, "effect", path, default: nil as StepEffect?) ?? .read
        let request = readRequest(step["request"], join(path, "request"))
        var requirements: [Requirement] = []
        if case .array(let items)? = step["require"] {
            for (index, item) in items.enumerated() {
                let itemPath = "\(path).require.\(index)"
                if let spec = object(item, itemPath, allowed: ["check", "message"]),
                    let check = expression(string(spec, "check", itemPath, required: true), itemPath)
                {
                    requirements.append(
                        Requirement(check: check, message: string(spec, "message", itemPath, required: true) ?? ""))
                }
            }
        }
        var claims: [String] = []
        if let list = step["claims"] {
            claims = list.arrayValue?.compactMap(\.stringValue) ?? []
            if list.arrayValue == nil { problem(join(path, "claims"), "must be a list of output names") }
        }
        var hints: [String: String] = [:]
        if case .object(let object)? = step["hints"] {
            for (key, value) in object { hints[key] = value.stringValue ?? "" }
        }
        let maxAttempts: Int
        if let value = step["max_attempts"] {
            if case .int(let int) = value, int >= 1 {
                maxAttempts = int
            } else {
                problem(join(path, "max_attempts"), "must be a whole number of at least 1")
                maxAttempts = 1
            }
        } else {
            maxAttempts = 8
        }
        guard let request else { return nil }
        return StepDefinition(
            id: id, title: string(step, "title", path) ?? id,
            level: enumValue(step, "level", path, default: StepLevel.account) ?? .account, effect: effect,
            when: expression(string(step, "when", path), join(path, "when")),
            retry: enumValue(step, "retry", path, default: RetryClass.standard) ?? .standard,
            maxAttempts: maxAttempts, request: request, outputs: pairs(step["outputs"], join(path, "outputs")),
            claims: claims, requirements: requirements, poll: readPoll(step["poll"], join(path, "poll")),
            reconcile: readReconcile(step["reconcile"], join(path, "reconcile")), hints: hints)
    }

    mutating func readPoll(_ value: JSONValue?, _ path: String) -> PollSpec? {
        guard
            let poll = object(
                value, path, allowed: ["request", "until", "fail_if", "outputs", "interval_ms", "timeout_s"])
        else { return nil }
        guard let request = readRequest(poll["request"], join(path, "request")),
            let until = expression(string(poll, "until", path, required: true), join(path, "until"))
        else { return nil }
        let interval: Int
        if case .int(let int)? = poll["interval_ms"] { interval = int } else { interval = 500 }
        let timeout: Int
        if case .int(let int)? = poll["timeout_s"] { timeout = int } else { timeout = 300 }
        return PollSpec(
            request: request, until: until,
            failIf: expression(string(poll, "fail_if", path), join(path, "fail_if")),
            outputs: pairs(poll["outputs"], join(path, "outputs")), interval: .milliseconds(interval),
            timeout: .seconds(timeout))
    }

    mutating func readReconcile(_ value: JSONValue?, _ path: String) -> ReconcileSpec? {
        guard
            let spec = object(
                value, path, allowed: ["request", "items", "match", "prefer_prefix", "outputs", "pages", "serialize"])
        else { return nil }
        guard let request = readRequest(spec["request"], join(path, "request")) else { return nil }
        let match = pairs(spec["match"], join(path, "match")).map { (field: $0.name, value: $0.value) }
        if match.isEmpty { problem(join(path, "match"), "is required: the fields that identify what was created") }
        var pages: PageSpec?
        if let pageValue = spec["pages"],
            let page = object(pageValue, join(path, "pages"), allowed: ["param", "size_param", "size", "total"])
        {
            var size = 100
            if case .int(let int)? = page["size"] { size = int }
            pages = PageSpec(
                param: string(page, "param", join(path, "pages"), required: true) ?? "PageNumber",
                sizeParam: string(page, "size_param", join(path, "pages")), size: size,
                total: string(page, "total", join(path, "pages")))
        }
        return ReconcileSpec(
            request: request, items: string(spec, "items", path) ?? "", match: match,
            preferPrefix: pairs(spec["prefer_prefix"], join(path, "prefer_prefix")).map { (field: $0.name, value: $0.value) },
            outputs: pairs(spec["outputs"], join(path, "outputs")), pages: pages,
            serializeKey: template(spec["serialize"], join(path, "serialize")))
    }
}

/// Levenshtein distance, for "did you mean" hints (shown at a distance of 3 or less).
func distance(_ a: String, _ b: String) -> Int {
    // No field name is longer than 64 bytes: a longer key is no typo of one, and is not worth O(n·m) to say so.
    if a.utf8.count > 64 || b.utf8.count > 64 { return 64 }
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
