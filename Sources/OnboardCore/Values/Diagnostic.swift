/// One problem found in a file a user wrote (a workflow, an input, a manifest, a CSV), located so it can be fixed.
///
/// ```
/// input.yaml:12: subscriber.email: not an email address ('jane@')
/// batch.yaml:40: item 'acme/jane@acme.example': subscriber.name: is required
/// ```
///
/// `description` is what a person reads on a terminal, so every part of it goes through `TerminalText.escape`: a
/// value that came from a file can never move the cursor or forge a line of output.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible, Codable {
    public var file: String
    public var line: Int?
    /// The dotted path of the field (`subscriber.email`).
    public var field: String?
    /// The batch item's key, when the problem belongs to one item of a manifest.
    public var item: String?
    public var message: String

    public init(file: String, line: Int?, field: String?, item: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.item = item
        self.message = message
    }

    /// `file:line`, or only `file` when the line is unknown.
    public var place: String { line.map { "\(file):\($0)" } ?? file }

    /// `input.yaml:12: subscriber.email: not an email address ("jane@")`
    ///
    /// Item keys and fields are cut to 200 characters and messages to 1,000, so a hostile file cannot make one
    /// line of output megabytes long.
    public var description: String {
        var text = TerminalText.escape(place) + ": "
        if let item { text += "item '\(TerminalText.quote(item, limit: 200))': " }
        if let field, !field.isEmpty { text += "\(TerminalText.quote(field, limit: 200)): " }
        return text + TerminalText.quote(message, limit: 1000)
    }
}

/// Every problem found in one pass, reported together. A definition or input with any is refused before any
/// API call is made (exit code 2).
public struct DiagnosticList: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
