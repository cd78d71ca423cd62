import Foundation

/// The inputs of one run, as written: `${env.NAME}` references unresolved and inline secrets present. This value
/// lives in memory only; what is stored is `stored` (secrets redacted), and what is sent is `resolved(in:)`.
public struct RunInputs: Sendable, Hashable {
    /// With the workflow's defaults applied.
    public var raw: JSONValue

    public init(raw: JSONValue) { self.raw = raw }

    /// The form written to the database and shown to people: every secret field that is not a bare
    /// `${env.NAME}` reference is replaced by `<redacted>`.
    public func stored(for definition: WorkflowDefinition) -> JSONValue {
        var value = raw
        for field in definition.inputs where field.isSecret {
            guard let current = value.value(atPath: field.path) else { continue }
            if case .string(let text) = current, EnvironmentReference.isBareReference(text) { continue }
            value.set(.string("<redacted>"), atPath: field.path)
        }
        return value
    }

    /// The digest pinned to a run: of the stored form, so it never depends on a secret's value.
    public func digest(for definition: WorkflowDefinition) -> String {
        sha256Hex(stored(for: definition).canonicalData())
    }

    /// Substitutes every `${env.NAME}`; throws `DiagnosticList` naming each variable that is not set.
    public func resolved(in environment: [String: String], file: String = "input") throws(DiagnosticList) -> JSONValue {
        var missing: [Diagnostic] = []
        let value = EnvironmentReference.substitute(in: raw, path: "", environment: environment) { path, name in
            missing.append(
                Diagnostic(
                    file: file, line: nil, field: path,
                    message: "environment variable \(name) is not set (the input refers to ${env.\(name)})"))
        }
        if !missing.isEmpty { throw DiagnosticList(missing) }
        return value
    }
}

/// `${env.NAME}` references inside input values.
public enum EnvironmentReference {
    /// `"${env.NAME}"` and nothing else.
    public static func isBareReference(_ text: String) -> Bool {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let reference = references(in: trimmed).first, references(in: trimmed).count == 1 else { return false }
        return reference.range == trimmed.startIndex..<trimmed.endIndex
    }

    /// Names referred to in `text`.
    public static func names(in text: String) -> [String] {
        references(in: text).map(\.name)
    }

    /// Each `${env.NAME}` (spaces allowed inside the braces) with where it stands. Scanned by hand: this runs for
    /// every input value at every run start, and a Regex costs far more to build than the scan.
    static func references(in text: String) -> [(name: String, range: Range<String.Index>)] {
        guard text.contains("${") else { return [] }
        var found: [(String, Range<String.Index>)] = []
        var searchStart = text.startIndex
        while let open = text.range(of: "${", range: searchStart..<text.endIndex) {
            guard let close = text[open.upperBound...].firstIndex(of: "}") else { break }
            let inside = text[open.upperBound..<close].trimmingCharacters(in: .whitespaces)
            if inside.hasPrefix("env.") {
                let name = inside.dropFirst(4)
                if let first = name.first, first == "_" || first.isLetter,
                    name.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) })
                {
                    found.append((String(name), open.lowerBound..<text.index(after: close)))
                }
            }
            searchStart = text.index(after: close)
        }
        return found
    }

    static func substitute(
        in value: JSONValue, path: String, environment: [String: String], missing: (String, String) -> Void
    ) -> JSONValue {
        switch value {
        case .string(let text):
            guard text.contains("${") else { return value }
            var result = ""
            var cursor = text.startIndex
            for reference in references(in: text) {
                result += text[cursor..<reference.range.lowerBound]
                if let replacement = environment[reference.name] {
                    result += replacement
                } else {
                    missing(path, reference.name)
                }
                cursor = reference.range.upperBound
            }
            result += text[cursor...]
            return .string(result)
        case .array(let items):
            return .array(
                items.enumerated().map {
                    substitute(in: $1, path: join(path, String($0)), environment: environment, missing: missing)
                })
        case .object(let object):
            return .object(
                object.reduce(into: [:]) { result, pair in
                    result[pair.key] = substitute(
                        in: pair.value, path: join(path, pair.key), environment: environment, missing: missing)
                })
        default:
            return value
        }
    }
}

extension JSONValue {
    /// Sets the value at a dotted path, creating objects on the way.
    public mutating func set(_ newValue: JSONValue, atPath path: String) {
        set(newValue, atComponents: path.split(separator: ".").map(String.init))
    }

    public mutating func set(_ newValue: JSONValue, atComponents components: [String]) {
        self = Self.setting(newValue, in: self, components[...])
    }

    /// The value at a path given as components (no splitting, for hot loops).
    public func value(atComponents components: [String]) -> JSONValue? {
        var current = self
        for component in components {
            guard case .object(let object) = current, let next = object[component] else { return nil }
            current = next
        }
        return current
    }

    private static func setting(_ newValue: JSONValue, in value: JSONValue, _ components: ArraySlice<String>)
        -> JSONValue
    {
        guard let first = components.first else { return newValue }
        var object = value.objectValue ?? [:]
        object[first] = setting(newValue, in: object[first] ?? .null, components.dropFirst())
        return .object(object)
    }

    /// Every leaf path of an object tree (`subscriber.email`), for unknown-field checks.
    public func leafPaths(prefix: String = "") -> [String] {
        guard case .object(let object) = self, !object.isEmpty else { return [prefix] }
        return object.keys.sorted().flatMap { object[$0]!.leafPaths(prefix: join(prefix, $0)) }
    }
}
