/// The line of every value of a YAML document, by dotted path (`steps.3.request.path`), aliases included.
///
/// A value written in the file has its own entry. A value that came from an alias (`account: *acme`) has an entry
/// for the alias itself and a link to the anchor's own map, so `accounts.2.account.admin_email` answers with the
/// line where that e-mail is written under `&acme`, while the alias costs one entry however large its value is.
/// Merged keys (`<<: *base`) link the same way, one link per merged key.
public struct LineMap: Sendable {
    /// Line (1-based) of each value written in the file, by path; the root is `""`.
    public private(set) var lines: [String: Int] = [:]
    private var links: [String: Link] = [:]

    /// Another map's subtree standing at a path of this one.
    struct Link: Sendable {
        let map: Shared
        /// The path in `map` that stands at the link's path.
        let root: String
    }

    /// An anchor's map, shared by every alias to it.
    final class Shared: Sendable {
        let map: LineMap
        init(_ map: LineMap) { self.map = map }
    }

    public init() {}

    mutating func set(_ line: Int, at path: String) { lines[path] = line }

    mutating func link(_ path: String, to map: Shared, root: String = "") { links[path] = Link(map: map, root: root) }

    /// The line of `path`, or of its nearest ancestor that has one.
    public func line(of path: String) -> Int? {
        var current = path
        while true {
            if current == path, let line = lines[current] { return line }
            if let link = links[current] {
                // `path` lies in a linked subtree (an alias's value, a merged key): the anchor's map knows its line.
                let rest = current == path ? "" : String(path.dropFirst(current.isEmpty ? 0 : current.count + 1))
                let inner = link.root.isEmpty ? rest : (rest.isEmpty ? link.root : link.root + "." + rest)
                if let line = link.map.map.line(of: inner) { return line }
            }
            if let line = lines[current] { return line }
            if current.isEmpty { return nil }
            current = current.lastIndex(of: ".").map { String(current[..<$0]) } ?? ""
        }
    }
}
