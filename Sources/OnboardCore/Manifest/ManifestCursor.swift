/// A reader positioned in the `accounts:` list of a manifest file, reading it one account entry at a time.
///
/// `Manifest.forEachItem` runs two of these over the same file, in step: one builds each account's sections and
/// skips its subscribers, the other skips the sections and builds the subscribers one at a time. An account's
/// item (which needs all its sections, wherever `subscribers:` stands among them) then comes before its
/// subscribers, and memory holds one account and one subscriber whatever the manifest's length.
final class ManifestCursor {
    let composer: YAMLComposer
    private var done = false

    /// Depths of the manifest's levels: the root mapping, the accounts list, an account, its subscriber list.
    static let accountDepth = 3

    /// Opens `path` and reads up to the first entry of its `accounts:` list.
    init(path: String, limits: YAMLLimits) throws(DiagnosticList) {
        composer = YAMLComposer(reader: try YAMLEventReader(path: path), limits: limits)
        guard let root = try composer.openDocument(), case .mappingStart = root else {
            done = true
            return
        }
        while true {
            let keyEvent = try composer.next()
            if case .mappingEnd = keyEvent {
                done = true
                return
            }
            guard case .scalar(let key) = keyEvent else {
                try composer.skip(keyEvent, depth: 2)
                try composer.skip(try composer.next(), depth: 2)
                continue
            }
            let valueEvent = try composer.next()
            if key.text == "accounts", case .sequenceStart = valueEvent { return }
            try composer.skip(valueEvent, depth: 2)
        }
    }

    /// The first event of the next account entry, or nil after the last.
    func nextEntry() throws(DiagnosticList) -> YAMLEvent? {
        guard !done else { return nil }
        let event = try composer.next()
        if case .sequenceEnd = event {
            done = true
            return nil
        }
        return event
    }

    /// The problems found while building, which the caller reports.
    func takeProblems() -> [Diagnostic] {
        defer { composer.problems.removeAll() }
        return composer.problems
    }

    /// One account entry as the sections reader builds it.
    struct Account {
        var line: Int
        /// The entry's value; its `subscribers` only when they were not written in the entry itself (an alias to an
        /// account, a merged template).
        var value: JSONValue
        var document: YAMLDocument
        /// `subscribers:` is written in the entry: the other reader streams it.
        var streamsSubscribers: Bool
    }

    /// Builds the account entry that starts with `first`, leaving out a `subscribers:` written in it.
    func account(_ first: YAMLEvent, index: Int) throws(DiagnosticList) -> Account {
        composer.startUnit()
        let path = "accounts.\(index)"
        var lines = LineMap()
        let line = first.line ?? composer.reader.line
        if case .mappingStart(nil, _) = first {
            var skipped: [(key: String, line: Int)] = []
            lines.set(line, at: path)
            let built = try composer.buildMapping(
                path: path, depth: Self.accountDepth, into: &lines, skipping: ["subscribers"], skipped: &skipped)
            return Account(
                line: line, value: built.value, document: YAMLDocument(file: composer.file, value: .null, lineMap: lines),
                streamsSubscribers: !skipped.isEmpty)
        }
        let built = try composer.build(first, path: path, depth: Self.accountDepth, into: &lines)
        return Account(
            line: line, value: built.value, document: YAMLDocument(file: composer.file, value: .null, lineMap: lines),
            streamsSubscribers: false)
    }

    /// Reads the account entry that starts with `first`, calling `body` with each subscriber written under its
    /// `subscribers:` key, built one at a time, with its path and lines. Anything else in the entry is skipped.
    func subscribers(
        of first: YAMLEvent, index: Int, _ body: (JSONValue, String, YAMLDocument) async throws -> Void
    ) async throws {
        guard case .mappingStart(nil, _) = first else {
            try composer.skip(first, depth: Self.accountDepth)
            return
        }
        let depth = Self.accountDepth + 1
        while true {
            let keyEvent = try composer.next()
            if case .mappingEnd = keyEvent { return }
            guard case .scalar(let key) = keyEvent, key.text == "subscribers" else {
                if case .scalar = keyEvent {} else { try composer.skip(keyEvent, depth: depth) }
                try composer.skip(try composer.next(), depth: depth)
                continue
            }
            let listPath = "accounts.\(index).subscribers"
            let valueEvent = try composer.next()
            if case .sequenceStart(nil, _) = valueEvent {
                var position = 0
                while true {
                    let itemEvent = try composer.next()
                    if case .sequenceEnd = itemEvent { break }
                    composer.startUnit()
                    let path = join(listPath, String(position))
                    var lines = LineMap()
                    let built = try composer.build(itemEvent, path: path, depth: depth + 1, into: &lines)
                    try await body(built.value, path, YAMLDocument(file: composer.file, value: .null, lineMap: lines))
                    position += 1
                }
                continue
            }
            // An alias to a list, an anchored list, or not a list at all: built whole (an anchor is in memory).
            composer.startUnit()
            var lines = LineMap()
            let built = try composer.build(valueEvent, path: listPath, depth: depth, into: &lines)
            let document = YAMLDocument(file: composer.file, value: .null, lineMap: lines)
            guard case .array(let items) = built.value else {
                composer.problems.append(document.diagnostic(listPath, "must be a list of subscribers"))
                continue
            }
            for (position, item) in items.enumerated() {
                try await body(item, join(listPath, String(position)), document)
            }
        }
    }
}
