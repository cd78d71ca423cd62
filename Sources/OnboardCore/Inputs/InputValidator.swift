import Foundation

/// Checks one run's inputs against its workflow's `inputs:` and `rules:`, collecting every problem.
public enum InputValidator {
    /// Which fields an item must have: all, or only those of some top-level sections (an account item of a
    /// batch carries only the sections its steps read).
    public enum Scope: Sendable {
        case all
        case sections(Set<String>)

        func contains(_ path: String) -> Bool {
            switch self {
            case .all: return true
            case .sections(let sections): return sections.contains(String(path.split(separator: ".").first ?? ""))
            }
        }
    }

    /// The fields and rules that apply within a scope, worked out once for many items.
    public struct Schema: Sendable {
        let fields: [(field: InputField, components: [String], limits: InputField.TextLimits)]
        let declared: Set<String>
        /// Every proper prefix of a declared path (`account`, `account.billing_address`).
        let parents: Set<String>
        let rules: [Rule]

        public init(definition: WorkflowDefinition, scope: Scope = .all) {
            let fields = definition.inputs.filter { scope.contains($0.path) }
            self.fields = fields.map { ($0, $0.path.split(separator: ".").map(String.init), $0.textLimits) }
            self.declared = Set(fields.map(\.path))
            var parents: Set<String> = []
            for field in fields {
                var prefix = ""
                for component in field.path.split(separator: ".").dropLast() {
                    prefix = join(prefix, String(component))
                    parents.insert(prefix)
                }
            }
            self.parents = parents
            self.rules = definition.rules.filter { rule in
                rule.check.paths.allSatisfy { $0.first != "inputs" || scope.contains($0.dropFirst().joined(separator: ".")) }
            }
        }
    }

    /// Applies defaults to `value` and validates it. `document` locates problems (file and line); `item` names
    /// the batch item. Returns the inputs with defaults, or throws every problem at once.
    public static func prepare(
        _ value: JSONValue, definition: WorkflowDefinition, environment: [String: String],
        document: YAMLDocument?, pathPrefix: String = "", item: String? = nil, file: String, line: Int? = nil,
        scope: Scope = .all
    ) throws(DiagnosticList) -> RunInputs {
        try prepare(
            value, schema: Schema(definition: definition, scope: scope), environment: environment, document: document,
            pathPrefix: pathPrefix, item: item, file: file, line: line)
    }

    /// As `prepare(_:definition:...)`, with the schema worked out beforehand.
    public static func prepare(
        _ value: JSONValue, schema: Schema, environment: [String: String],
        document: YAMLDocument?, pathPrefix: String = "", item: String? = nil, file: String, line: Int? = nil
    ) throws(DiagnosticList) -> RunInputs {
        var problems: [Diagnostic] = []
        func report(_ path: String, _ message: String) {
            let fullPath = join(pathPrefix, path)
            problems.append(
                Diagnostic(
                    file: document?.file ?? file, line: line ?? document?.line(of: fullPath), field: path, item: item,
                    message: message))
        }
        var inputs = value.objectValue == nil ? JSONValue.object([:]) : value
        let declared = schema.declared
        for leaf in inputs.leafPaths() where !leaf.isEmpty && !declared.contains(leaf) {
            if !schema.parents.contains(leaf) {
                let suggestion = declared.min { distance($0, leaf) < distance($1, leaf) }
                let hint = suggestion.map { distance($0, leaf) <= 3 ? " (did you mean '\($0)'?)" : "" } ?? ""
                report(leaf, "unknown input field\(hint)")
            }
        }
        for (field, components, _) in schema.fields {
            let current = inputs.value(atComponents: components)
            if current == nil || current == .null {
                if let defaultValue = field.defaultValue {
                    inputs.set(defaultValue, atComponents: components)
                } else if field.isRequired {
                    report(field.path, "is required" + (field.description.map { " (\($0))" } ?? ""))
                }
            }
        }
        let resolved: JSONValue
        do {
            resolved = try RunInputs(raw: inputs).resolved(in: environment, file: document?.file ?? file)
        } catch {
            for diagnostic in error.diagnostics {
                report(diagnostic.field ?? "", diagnostic.message)
            }
            throw DiagnosticList(problems)
        }
        for (field, components, limits) in schema.fields {
            guard let current = resolved.value(atComponents: components), current != .null else { continue }
            if let message = check(current, against: field, limits: limits) { report(field.path, message) }
        }
        // The documents' rules are checked with the field errors, so every problem is reported at once; a rule
        // reading a field that is wrong already is left out (its verdict would mean nothing).
        let wrong = Set(problems.compactMap(\.field))
        let expressionScope = JSONScope(["inputs": resolved])
        for rule in schema.rules {
            let reads = rule.check.paths.filter { $0.first == "inputs" }.map { $0.dropFirst().joined(separator: ".") }
            guard !reads.contains(where: wrong.contains), !rule.check.evaluate(in: expressionScope).isTruthy else { continue }
            report(rule.field, rule.message)
        }
        if !problems.isEmpty { throw DiagnosticList(problems) }
        return RunInputs(raw: inputs)
    }

    /// Why `value` does not fit `field`, or nil. Never quotes a secret; quotes anything else escaped and cut short
    /// (`TerminalText.quote`).
    static func check(_ value: JSONValue, against field: InputField, limits: InputField.TextLimits? = nil) -> String? {
        let shown: (String) -> String = { field.isSecret ? "" : " ('\(TerminalText.quote($0))')" }
        switch field.kind {
        case .bool:
            guard case .bool = value else { return "must be true or false" }
            return nil
        case .int:
            guard case .int = value else { return "must be a whole number" }
            return nil
        case .string:
            guard let text = value.stringValue, value.arrayValue == nil else { return "must be text" }
            // Length and characters first: a huge or hostile value is refused before anything quotes it.
            if let problem = (limits ?? field.textLimits).problem(text) { return problem }
            if let allowed = field.allowed, !allowed.contains(text) {
                let written = text.isEmpty ? "empty" : "'\(TerminalText.quote(text))'"
                return "\(written) is not one of: \(allowed.joined(separator: ", "))"
            }
            guard let format = field.format else { return nil }
            switch format {
            case .email:
                if !Formats.isEmail(text) { return "not an email address\(shown(text))" }
            case .e164:
                if !Formats.isE164(text) { return "not an E.164 phone number like +13105559999\(shown(text))" }
            case .areaCode:
                if !Formats.isDigits(text, count: 3, orEmpty: true) {
                    return "an area code is 3 digits (or empty for any)\(shown(text))"
                }
            case .zipCode:
                if !Formats.isDigits(text, count: 5, orEmpty: true) {
                    return "a US zip code is 5 digits (or empty for any)\(shown(text))"
                }
            case .url:
                guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
                    url.host?.isEmpty == false
                else { return "not an http(s) URL\(shown(text))" }
            }
            return nil
        }
    }
}

/// The input formats, checked by hand: validation runs for every item of a manifest (100,000 of them), and a
/// Swift `Regex` costs far more per call than these scans.
enum Formats {
    /// `local@domain.tld`: no spaces, one `@`, a dot in the domain with something on both sides.
    static func isEmail(_ text: String) -> Bool {
        // Printable ASCII, the usual case, is checked on bytes; anything else by the Character rules below.
        let bytes = text.utf8
        if bytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            guard let at = bytes.firstIndex(of: UInt8(ascii: "@")), at != bytes.startIndex else { return false }
            let domain = bytes[bytes.index(after: at)...]
            guard !domain.contains(UInt8(ascii: "@")), let dot = domain.lastIndex(of: UInt8(ascii: ".")) else {
                return false
            }
            return dot != domain.startIndex && bytes.index(after: dot) != bytes.endIndex
        }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !text.contains(where: \.isWhitespace) else { return false }
        let domain = parts[1]
        guard let dot = domain.lastIndex(of: "."), dot != domain.startIndex, domain.index(after: dot) != domain.endIndex
        else { return false }
        return true
    }

    /// `+` then 8 to 15 digits, the first not 0.
    static func isE164(_ text: String) -> Bool {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 9, utf8.count <= 16, utf8[0] == UInt8(ascii: "+"), utf8[1] != UInt8(ascii: "0") else {
            return false
        }
        return utf8.dropFirst().allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    static func isDigits(_ text: String, count: Int, orEmpty: Bool) -> Bool {
        if text.isEmpty { return orEmpty }
        let utf8 = text.utf8
        return utf8.count == count && utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }
}
