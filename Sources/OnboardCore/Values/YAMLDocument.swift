import Foundation
import Yams

/// A YAML file read into a `JSONValue`, remembering the line of every value so errors can point at it.
///
/// Paths are dotted: `steps.3.request.path`, `account.billing_address.zip`.
public struct YAMLDocument: Sendable {
    public let file: String
    public let value: JSONValue
    /// Line (1-based) of the value at each path; the root is `""`.
    public let lines: [String: Int]

    /// Parses `text`; a syntax error becomes a `Diagnostic` with the line libyaml reported.
    public init(file: String, text: String) throws(DiagnosticList) {
        self.file = file
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw DiagnosticList([Self.diagnostic(for: error, file: file)])
        } catch {
            throw DiagnosticList([Diagnostic(file: file, line: nil, field: nil, message: "\(error)")])
        }
        var lines: [String: Int] = [:]
        var problems: [Diagnostic] = []
        self.value = node.map { Self.convert($0, path: "", lines: &lines, file: file, problems: &problems) } ?? .null
        self.lines = lines
        if !problems.isEmpty { throw DiagnosticList(problems) }
    }

    /// Reads and parses a file.
    public init(contentsOf path: String) throws(DiagnosticList) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw DiagnosticList([Diagnostic(file: path, line: nil, field: nil, message: "cannot read the file")])
        }
        try self.init(file: path, text: text)
    }

    /// The line of `path`, or of its nearest ancestor that has one.
    public func line(of path: String) -> Int? {
        var current = path
        while true {
            if let line = lines[current] { return line }
            guard let dot = current.lastIndex(of: ".") else { return lines[""] }
            current = String(current[..<dot])
        }
    }

    /// A diagnostic located at `path`.
    public func diagnostic(_ path: String, _ message: String, item: String? = nil) -> Diagnostic {
        Diagnostic(file: file, line: line(of: path), field: path, item: item, message: message)
    }

    private static func convert(
        _ node: Node, path: String, lines: inout [String: Int], file: String, problems: inout [Diagnostic]
    ) -> JSONValue {
        if let line = node.mark?.line { lines[path] = line }
        switch node {
        case .scalar(let scalar):
            return convertScalar(scalar, tag: node.tag)
        case .sequence(let sequence):
            return .array(
                sequence.enumerated().map { index, element in
                    convert(element, path: join(path, String(index)), lines: &lines, file: file, problems: &problems)
                })
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (keyNode, valueNode) in mapping {
                let key = keyNode.scalar?.string ?? "\(keyNode)"
                if object[key] != nil {
                    problems.append(
                        Diagnostic(
                            file: file, line: keyNode.mark?.line, field: join(path, key),
                            message: "duplicate key '\(key)'"))
                }
                object[key] = convert(valueNode, path: join(path, key), lines: &lines, file: file, problems: &problems)
            }
            return .object(object)
        case .alias:
            return .null
        }
    }

    /// Scalars keep YAML's types, except that a number whose text would not survive the conversion stays text:
    /// `+13105559999` (E.164), `07001` (a zip code) and `0801` are strings, not integers.
    private static func convertScalar(_ scalar: Node.Scalar, tag: Tag) -> JSONValue {
        let text = scalar.string
        if scalar.style != .plain { return .string(text) }
        switch Tag.Name(rawValue: tag.rawValue) {
        case .null:
            return .null
        case .bool:
            return .bool(Bool.construct(from: scalar) ?? (["true", "yes", "on"].contains(text.lowercased())))
        case .int:
            if let int = Int(text), String(int) == text { return .int(int) }
            return .string(text)
        case .float:
            if let double = Double(text), !text.hasPrefix("+"), !text.hasPrefix("0") || text.hasPrefix("0.") {
                return .double(double)
            }
            return .string(text)
        default:
            return .string(text)
        }
    }

    private static func diagnostic(for error: YamlError, file: String) -> Diagnostic {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return Diagnostic(file: file, line: mark.line, field: nil, message: "YAML syntax error: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, _):
            return Diagnostic(
                file: file, line: nil, field: nil,
                message: "duplicate keys: \(duplicates.joined(separator: ", "))")
        default:
            return Diagnostic(file: file, line: nil, field: nil, message: "YAML error: \(error)")
        }
    }
}

func join(_ path: String, _ component: String) -> String {
    path.isEmpty ? component : path + "." + component
}
