/// The bounds every YAML file onboard reads is held to: workflows, input files and manifests alike.
///
/// YAML aliases let a small file describe a huge value: nine levels of `&a [*b, *b, …]` in 1.5 KB expand to a
/// billion nodes (the "billion laughs"). onboard expands aliases (an alias to a mapping is that mapping), but counts
/// every node an expansion adds *before* adding it, from the sizes it recorded when each anchor was read, so such a
/// file is refused after reading its first few lines, in microseconds, without allocating the expansion.
///
/// - `maxNodes`, 1,000,000: the nodes one value built in memory may hold after expansion: a whole input or
///   workflow, or one unit of a manifest (its head, one account's sections, one subscriber).
/// - `maxAliasNodes`, 1,000,000: the nodes aliases may add over a whole file, so a streamed manifest of any length
///   cannot multiply work through aliases either.
/// - `maxDepth`, 64: levels of nesting of sequences and mappings, expansions included (the shipped workflow nests
///   7 deep).
/// - `maxScalarBytes`, 1 MiB: one scalar's text.
/// - `maxDocumentBytes`, 16 MiB: a file read whole (inputs, workflows); manifests are streamed and have no size
///   limit.
///
/// A node is a scalar, sequence or mapping value; mapping keys are not counted. Exceeding a limit is a
/// `DiagnosticList` naming the file and the line where the limit was passed (exit code 2).
public struct YAMLLimits: Sendable {
    public var maxNodes: Int
    public var maxAliasNodes: Int
    public var maxDepth: Int
    public var maxScalarBytes: Int
    public var maxDocumentBytes: Int

    public init(
        maxNodes: Int = 1_000_000, maxAliasNodes: Int = 1_000_000, maxDepth: Int = 64,
        maxScalarBytes: Int = 1 << 20, maxDocumentBytes: Int = 16 << 20
    ) {
        self.maxNodes = maxNodes
        self.maxAliasNodes = maxAliasNodes
        self.maxDepth = maxDepth
        self.maxScalarBytes = maxScalarBytes
        self.maxDocumentBytes = maxDocumentBytes
    }

    /// The limits onboard uses.
    public static let standard = YAMLLimits()
}
