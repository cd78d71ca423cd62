import Foundation

/// A YAML file read into a `JSONValue`, remembering the line of every value so errors can point at it.
///
/// Paths are dotted: `steps.3.request.path`, `account.billing_address.zip`.
///
/// ```swift
/// let document = try YAMLDocument(contentsOf: "examples/quickstart.yaml")
/// document.value["account"]?["name"]        // "Acme Mobile"
/// document.line(of: "account.name")         // 2
/// ```
///
/// The file is read from libyaml's event stream (`YAMLComposer`) within `YAMLLimits`: aliases are expanded but
/// priced first, nesting is bounded, and a file read whole is at most 16 MiB. Scalars are typed as
/// `YAMLScalarTyping` describes (`"801"` and `07001` stay text). Every problem is a `DiagnosticList` with the file
/// and line: syntax errors, duplicate keys, unknown aliases, a passed limit.
public struct YAMLDocument: Sendable {
    public let file: String
    public let value: JSONValue
    /// Where each value is written.
    public let lineMap: LineMap

    /// Line (1-based) of each value written in the file, by path; the root is `""`. Values reached through an alias
    /// are found by `line(of:)`.
    public var lines: [String: Int] { lineMap.lines }

    /// Parses `text`.
    public init(file: String, text: String, limits: YAMLLimits = .standard) throws(DiagnosticList) {
        try self.init(reader: YAMLEventReader(file: file, bytes: text.utf8), limits: limits)
    }

    /// Reads and parses a file (at most `limits.maxDocumentBytes`).
    public init(contentsOf path: String, limits: YAMLLimits = .standard) throws(DiagnosticList) {
        let data = try FileCheck.contents(of: path, limit: limits.maxDocumentBytes)
        try self.init(reader: YAMLEventReader(file: path, bytes: data), limits: limits)
    }

    private init(reader: YAMLEventReader, limits: YAMLLimits) throws(DiagnosticList) {
        let composer = YAMLComposer(reader: reader, limits: limits)
        var lineMap = LineMap()
        var value = JSONValue.null
        if let root = try composer.openDocument() {
            value = try composer.build(root, path: "", depth: 1, into: &lineMap).value
            try composer.closeDocument()
        }
        if !composer.problems.isEmpty { throw DiagnosticList(composer.problems) }
        self.init(file: reader.file, value: value, lineMap: lineMap)
    }

    /// A value built elsewhere (one item of a streamed manifest) with its lines.
    init(file: String, value: JSONValue, lineMap: LineMap) {
        self.file = file
        self.value = value
        self.lineMap = lineMap
    }

    /// The line of `path`, or of its nearest ancestor that has one.
    public func line(of path: String) -> Int? { lineMap.line(of: path) }

    /// A diagnostic located at `path`.
    public func diagnostic(_ path: String, _ message: String, item: String? = nil) -> Diagnostic {
        Diagnostic(file: file, line: line(of: path), field: path, item: item, message: message)
    }
}

func join(_ path: String, _ component: String) -> String {
    path.isEmpty ? component : path + "." + component
}
