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

    /// Each `${env.NAME}` (spaces allowed inside the braces) with where it stands. Scanned by hand on UTF-8: this
    /// runs for every input value of every item, and `range(of:)` costs far more than the scan.
    static func references(in text: String) -> [(name: String, range: Range<String.Index>)] {
        let utf8 = text.utf8
        guard utf8.contains(UInt8(ascii: "$")) else { return [] }
        var found: [(String, Range<String.Index>)] = []
        var index = utf8.startIndex
        while index < utf8.endIndex {
            let next = utf8.index(after: index)
            guard utf8[index] == UInt8(ascii: "$"), next < utf8.endIndex, utf8[next] == UInt8(ascii: "{") else {
                index = next
                continue
            }
            let innerStart = utf8.index(after: next)
            guard let close = utf8[innerStart...].firstIndex(of: UInt8(ascii: "}")) else { break }
            let inside = trimmed(text[innerStart..<close])
            if inside.hasPrefix("env.") {
                let name = inside.dropFirst(4)
                if let first = name.first, first == "_" || first.isLetter,
                    name.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) })
                {
                    found.append((String(name), index..<utf8.index(after: close)))
                }
            }
            index = utf8.index(after: close)
        }
        return found
    }

    /// `text` without the spaces and tabs around it (any Unicode space when it is not ASCII).
    private static func trimmed(_ text: Substring) -> Substring {
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else {
            return Substring(text.trimmingCharacters(in: .whitespaces))
        }
        var result = text
        while let first = result.utf8.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
            result = result.dropFirst()
        }
        while let last = result.utf8.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") {
            result = result.dropLast()
        }
        return result
    }

    static func substitute(
        in value: JSONValue, path: String, environment: [String: String], missing: (String, String) -> Void
    ) -> JSONValue {
        substituted(in: value, path: path, environment: environment, missing: missing) ?? value
    }

    /// A string with a `$`, or a container: what `substituted` must look into (the rest is skipped before its path is
    /// even built).
    private static func mayHoldReference(_ value: JSONValue) -> Bool {
        switch value {
        case .string(let text): return text.utf8.contains(UInt8(ascii: "$"))
        case .array, .object: return true
        default: return false
        }
    }

    /// The value with its references replaced, or nil when it holds none: most inputs have one or two, and
    /// rebuilding every object of every item's inputs cost more than the rest of validation.
    private static func substituted(
        in value: JSONValue, path: String, environment: [String: String], missing: (String, String) -> Void
    ) -> JSONValue? {
        switch value {
        case .string(let text):
            guard text.utf8.contains(UInt8(ascii: "$")), text.contains("${") else { return nil }
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
            var result: [JSONValue]?
            for (index, item) in items.enumerated() where mayHoldReference(item) {
                let childPath = join(path, String(index))
                if let changed = substituted(in: item, path: childPath, environment: environment, missing: missing) {
                    if result == nil { result = items }
                    result?[index] = changed
                }
            }
            return result.map(JSONValue.array)
        case .object(let object):
            var result: [String: JSONValue]?
            for (key, child) in object where mayHoldReference(child) {
                let childPath = join(path, key)
                if let changed = substituted(in: child, path: childPath, environment: environment, missing: missing) {
                    if result == nil { result = object }
                    result?[key] = changed
                }
            }
            return result.map(JSONValue.object)
        default:
            return nil
        }
    }
}

extension JSONValue {
    /// Sets the value at a dotted path, creating objects on the way.
    public mutating func set(_ newValue: JSONValue, atPath path: String) {
        set(newValue, atComponents: path.split(separator: ".").map(String.init))
    }

    public mutating func set(_ newValue: JSONValue, atComponents components: [String]) {
        assign(newValue, at: components[...])
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

    /// Sets in place: the object on the path is taken out of `self` before it changes, so a dictionary only this
    /// value holds is changed without being copied (defaults are set a dozen times per item of a manifest).
    private mutating func assign(_ newValue: JSONValue, at components: ArraySlice<String>) {
        guard let first = components.first else {
            self = newValue
            return
        }
        var object = objectValue ?? [:]
        self = .null
        object[first, default: .null].assign(newValue, at: components.dropFirst())
        self = .object(object)
    }

    /// Every leaf path of an object tree (`subscriber.email`), for unknown-field checks.
    public func leafPaths(prefix: String = "") -> [String] {
        guard case .object(let object) = self, !object.isEmpty else { return [prefix] }
        return object.keys.sorted().flatMap { object[$0]!.leafPaths(prefix: join(prefix, $0)) }
    }
}
