/// Builds `JSONValue`s from libyaml's events, within `YAMLLimits`, recording the line of every value.
///
/// A whole document is one `build` of its root. A manifest builds only parts of its file (one account's sections,
/// one subscriber) and `skip`s the rest, so memory holds one item at a time whatever the file's length.
///
/// - Aliases are expanded: `*acme` is the value anchored `&acme`. Each anchor records its node count and height
///   when it is read, so an alias is priced before it is used and a "billion laughs" is refused at once.
/// - Merge keys (`<<: *base`, `<<: [*a, *b]`, YAML 1.1) copy the keys of the merged mappings that the mapping does not
///   write itself; among several merged mappings the first wins. The merge is shallow, as the YAML spec says.
/// - A key written twice in one mapping is a problem (the last value is kept, so the rest can still be checked).
///
/// Problems that leave the document readable (duplicate keys, unknown aliases, a key that is not text, a bad
/// merge) are collected in `problems`; a syntax error or a passed limit is thrown at once.
final class YAMLComposer {
    let reader: YAMLEventReader
    let limits: YAMLLimits
    /// Problems found so far that did not stop reading.
    var problems: [Diagnostic] = []
    /// Nodes that alias expansions added, over the whole file.
    private(set) var aliasNodes = 0
    /// Nodes built since `startUnit()`.
    private var unitNodes = 0
    private var anchors: [String: Anchor] = [:]
    /// While skipping, problems are left to the reader that builds that part of the file.
    private var quiet = false

    var file: String { reader.file }

    /// A value built from events, with what an alias to it would cost.
    struct Built {
        var value: JSONValue
        var nodes: Int
        /// Levels of nesting in the value: 1 for a scalar or an empty collection.
        var height: Int
    }

    private struct Anchor {
        let built: Built
        let lines: LineMap.Shared?
    }

    init(reader: YAMLEventReader, limits: YAMLLimits = .standard) {
        self.reader = reader
        self.limits = limits
    }

    func next() throws(DiagnosticList) -> YAMLEvent { try reader.next() }

    /// Starts counting `maxNodes` afresh: for a manifest, each account and each subscriber is one unit.
    func startUnit() { unitNodes = 0 }

    /// Reads the stream's start and its document's start; returns the root's first event, or nil for a file with
    /// no document (empty, or only comments).
    func openDocument() throws(DiagnosticList) -> YAMLEvent? {
        var event = try next()
        if case .streamStart = event { event = try next() }
        guard case .documentStart = event else { return nil }
        return try next()
    }

    /// Reads the end of the document, and refuses a second one: a file onboard reads holds one document.
    func closeDocument() throws(DiagnosticList) {
        var event = try next()
        if case .documentEnd = event { event = try next() }
        if case .documentStart = event {
            throw fatal("the file holds more than one YAML document (a line '---' starts another); keep one")
        }
    }

    // MARK: Building

    /// Builds the node that starts with `event`, standing at `path` and nested `depth` levels deep (1 for a root).
    func build(_ event: YAMLEvent, path: String, depth: Int, into lines: inout LineMap) throws(DiagnosticList) -> Built {
        switch event {
        case .scalar(let scalar):
            try count(1)
            try checkSize(scalar, path: path)
            lines.set(scalar.line, at: path)
            let built = Built(value: YAMLScalarTyping.value(of: scalar), nodes: 1, height: 1)
            if let anchor = scalar.anchor { anchors[anchor] = Anchor(built: built, lines: nil) }
            return built
        case .alias(let name, let line):
            lines.set(line, at: path)
            guard let anchor = anchors[name] else {
                problem(line, path, "unknown alias '*\(name)': no '&\(name)' before it")
                return Built(value: .null, nodes: 1, height: 1)
            }
            guard depth - 1 + anchor.built.height <= limits.maxDepth else {
                throw fatal("alias '*\(name)' nests values more than \(limits.maxDepth) levels deep", line: line)
            }
            aliasNodes += anchor.built.nodes
            guard aliasNodes <= limits.maxAliasNodes else {
                throw fatal(
                    "aliases expand to more than \(limits.maxAliasNodes.grouped) values in this file "
                        + "(a YAML alias bomb?); onboard refuses it", line: line)
            }
            try count(anchor.built.nodes, line: line)
            if let shared = anchor.lines { lines.link(path, to: shared) }
            return anchor.built
        case .sequenceStart(let anchor, let line), .mappingStart(let anchor, let line):
            guard depth <= limits.maxDepth else {
                throw fatal("values nest more than \(limits.maxDepth) levels deep", line: line)
            }
            try count(1, line: line)
            lines.set(line, at: path)
            guard let anchor else { return try buildCollection(event, path: path, depth: depth, into: &lines) }
            // An anchored value keeps its own line map, shared by every alias to it.
            var own = LineMap()
            own.set(line, at: "")
            let built = try buildCollection(event, path: "", depth: depth, into: &own)
            let shared = LineMap.Shared(own)
            lines.link(path, to: shared)
            anchors[anchor] = Anchor(built: built, lines: shared)
            return built
        default:
            throw fatal("unexpected YAML event")
        }
    }

    private func buildCollection(
        _ event: YAMLEvent, path: String, depth: Int, into lines: inout LineMap
    ) throws(DiagnosticList) -> Built {
        if case .sequenceStart = event {
            var items: [JSONValue] = []
            var nodes = 1
            var height = 1
            while true {
                let child = try next()
                if case .sequenceEnd = child { break }
                let built = try build(child, path: join(path, String(items.count)), depth: depth + 1, into: &lines)
                items.append(built.value)
                nodes += built.nodes
                height = max(height, built.height + 1)
            }
            return Built(value: .array(items), nodes: nodes, height: height)
        }
        var skipped: [(key: String, line: Int)] = []
        return try buildMapping(path: path, depth: depth, into: &lines, skipped: &skipped)
    }

    /// Builds a mapping whose start event was just read. Keys in `skipping` are read past, not built (a
    /// manifest's account leaves its `subscribers` to another reader); `skipped` gets their lines.
    func buildMapping(
        path: String, depth: Int, into lines: inout LineMap, skipping: Set<String> = [],
        skipped: inout [(key: String, line: Int)]
    ) throws(DiagnosticList) -> Built {
        var object: [String: JSONValue] = [:]
        var nodes = 1
        var height = 1
        var merges: [(object: [String: JSONValue], lines: LineMap.Shared, root: String)] = []
        while true {
            let keyEvent = try next()
            if case .mappingEnd = keyEvent { break }
            let key = try mappingKey(keyEvent, path: path, depth: depth)
            let valueEvent = try next()
            guard let key else {
                try skip(valueEvent, depth: depth + 1)
                continue
            }
            if key.isMerge {
                var mergeLines = LineMap()
                let built = try build(valueEvent, path: "", depth: depth, into: &mergeLines)
                nodes += built.nodes
                let shared = LineMap.Shared(mergeLines)
                switch built.value {
                case .object(let merged):
                    merges.append((merged, shared, ""))
                    height = max(height, built.height)
                case .array(let list) where list.allSatisfy({ $0.objectValue != nil }):
                    for (index, merged) in list.enumerated() {
                        merges.append((merged.objectValue ?? [:], shared, String(index)))
                    }
                    height = max(height, built.height - 1)
                default:
                    problem(key.line, join(path, "<<"), "'<<' merges a mapping or a list of mappings into this one")
                }
                continue
            }
            let childPath = join(path, key.text)
            if skipping.contains(key.text) {
                if skipped.contains(where: { $0.key == key.text }) {
                    problem(key.line, childPath, "duplicate key '\(key.text)'")
                }
                skipped.append((key.text, key.line))
                try skip(valueEvent, depth: depth + 1)
                continue
            }
            if object[key.text] != nil {
                problem(key.line, childPath, "duplicate key '\(key.text)'")
            }
            let built = try build(valueEvent, path: childPath, depth: depth + 1, into: &lines)
            object[key.text] = built.value
            nodes += built.nodes
            height = max(height, built.height + 1)
        }
        // Keys written in the mapping win over merged ones; among merged mappings, the first wins.
        for merge in merges {
            for (key, value) in merge.object where object[key] == nil && !skipped.contains(where: { $0.key == key }) {
                object[key] = value
                lines.link(join(path, key), to: merge.lines, root: join(merge.root, key))
            }
        }
        return Built(value: .object(object), nodes: nodes, height: height)
    }

    /// A mapping key: its text, or nil (with a problem) when it is not text.
    private func mappingKey(
        _ event: YAMLEvent, path: String, depth: Int
    ) throws(DiagnosticList) -> (text: String, line: Int, isMerge: Bool)? {
        switch event {
        case .scalar(let scalar):
            try checkSize(scalar)
            if let anchor = scalar.anchor {
                anchors[anchor] = Anchor(built: Built(value: YAMLScalarTyping.value(of: scalar), nodes: 1, height: 1), lines: nil)
            }
            // Only a plain `<<` merges; a quoted "<<" is an ordinary key.
            return (scalar.text, scalar.line, scalar.isPlain && scalar.tag == nil && scalar.text == "<<")
        case .alias(let name, let line):
            if let text = anchors[name]?.built.value.stringValue, anchors[name]?.built.height == 1 {
                return (text, line, false)
            }
            problem(line, path, "a mapping key must be text, not the alias '*\(name)'")
            return nil
        default:
            problem(event.line ?? reader.line, path, "a mapping key must be text, not a list or a mapping")
            try skip(event, depth: depth + 1)
            return nil
        }
    }

    // MARK: Skipping

    /// Reads past the node that starts with `event` without building it. Anchored values inside it are still
    /// built (a later alias may need them) and aliases are still priced, so a skipped part cannot hide a bomb.
    func skip(_ event: YAMLEvent, depth: Int) throws(DiagnosticList) {
        switch event {
        case .scalar(let scalar):
            try checkSize(scalar)
            if let anchor = scalar.anchor {
                anchors[anchor] = Anchor(built: Built(value: YAMLScalarTyping.value(of: scalar), nodes: 1, height: 1), lines: nil)
            }
        case .alias(let name, let line):
            guard let anchor = anchors[name] else { return }
            aliasNodes += anchor.built.nodes
            guard aliasNodes <= limits.maxAliasNodes else {
                throw fatal(
                    "aliases expand to more than \(limits.maxAliasNodes.grouped) values in this file "
                        + "(a YAML alias bomb?); onboard refuses it", line: line)
            }
        case .sequenceStart(let anchor, let line), .mappingStart(let anchor, let line):
            guard depth <= limits.maxDepth else {
                throw fatal("values nest more than \(limits.maxDepth) levels deep", line: line)
            }
            if anchor != nil {
                let (savedQuiet, savedNodes, savedProblems) = (quiet, unitNodes, problems.count)
                quiet = true
                var scratch = LineMap()
                _ = try build(event, path: "", depth: depth, into: &scratch)
                (quiet, unitNodes) = (savedQuiet, savedNodes)
                problems.removeSubrange(savedProblems...)
                return
            }
            while true {
                let child = try next()
                switch child {
                case .sequenceEnd, .mappingEnd: return
                default: try skip(child, depth: depth + 1)
                }
            }
        default:
            throw fatal("unexpected YAML event")
        }
    }

    // MARK: Limits and problems

    private func count(_ nodes: Int, line: Int? = nil) throws(DiagnosticList) {
        unitNodes += nodes
        guard unitNodes <= limits.maxNodes else {
            throw fatal(
                "more than \(limits.maxNodes.grouped) values in one document or manifest item, aliases expanded; "
                    + "onboard refuses it", line: line)
        }
    }

    private func checkSize(_ scalar: YAMLScalar, path: String? = nil) throws(DiagnosticList) {
        guard scalar.text.utf8.count <= limits.maxScalarBytes else {
            throw fatal("a value longer than \(limits.maxScalarBytes.bytes)", line: scalar.line, field: path)
        }
    }

    private func problem(_ line: Int, _ path: String, _ message: String) {
        guard !quiet else { return }
        problems.append(Diagnostic(file: file, line: line, field: path, message: message))
    }

    /// A problem that stops reading, with the problems found before it.
    func fatal(_ message: String, line: Int? = nil, field: String? = nil) -> DiagnosticList {
        DiagnosticList(problems + [Diagnostic(file: file, line: line ?? reader.line, field: field, message: message)])
    }
}

extension Int {
    /// `1 MiB`, `16 KiB`, `100 bytes`.
    var bytes: String {
        if self >= 1 << 20 && self % (1 << 20) == 0 { return "\(self >> 20) MiB" }
        if self >= 1024 && self % 1024 == 0 { return "\(self >> 10) KiB" }
        return "\(self) bytes"
    }

    /// `1,000,000`: limits are quoted the way people read them.
    var grouped: String {
        let digits = Array(String(self))
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { text.append(",") }
            text.append(digit)
        }
        return text
    }
}
