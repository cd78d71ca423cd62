import Foundation

/// What templates of a run see: `inputs`, `steps.<id>.<output>`, `run.id`/`run.key`, `env.NAME`, and, where the
/// definition allows, `response`, `item` and `outputs`.
struct RunScope: ExpressionScope, Sendable {
    var inputs: JSONValue
    var steps: [String: [String: JSONValue]]
    var run: JSONValue
    var environment: [String: String]
    /// When set, `env.*` gives `<env.NAME>` and inputs are the stored (redacted) form: for digests and plans.
    var isRedacted: Bool
    /// When set, outputs not known yet read as `<steps.id.output>`: for plans.
    var isPlanning = false
    var extra: [String: JSONValue] = [:]

    func lookup(_ path: [String]) -> JSONValue? {
        guard let root = path.first else { return nil }
        let rest = path.dropFirst()
        switch root {
        case "inputs":
            return inputs.value(atPathComponents: rest)
        case "steps":
            guard path.count >= 2, let outputs = steps[path[1]] else {
                return isPlanning ? .string("<\(path.joined(separator: "."))>") : nil
            }
            return JSONValue.object(outputs).value(atPathComponents: path.dropFirst(2))
        case "run":
            return run.value(atPathComponents: rest)
        case "env":
            let name = rest.joined(separator: ".")
            if isRedacted { return .string("<env.\(name)>") }
            return environment[name].map(JSONValue.string)
        default:
            return extra[root]?.value(atPathComponents: rest)
        }
    }

    func with(_ name: String, _ value: JSONValue) -> RunScope {
        var copy = self
        copy.extra[name] = value
        return copy
    }
}

extension RequestTemplate {
    /// Renders into a request. `extraQuery` adds paging parameters.
    func render(in scope: RunScope, extraQuery: [APIRequest.QueryItem] = []) throws -> APIRequest {
        // Most paths hold no placeholder: only those are compiled and rendered.
        let renderedPath =
            path.utf8.contains(UInt8(ascii: "$")) ? try Template.compile(string: path).render(in: scope)?.stringValue ?? path : path
        var items: [APIRequest.QueryItem] = []
        for (name, value) in query {
            guard let rendered = try value.render(in: scope) else { continue }
            items.append(.init(name: name, value: rendered.stringValue ?? rendered.canonicalString()))
        }
        return APIRequest(
            method: method, path: renderedPath, query: items + extraQuery, body: try body?.render(in: scope) ?? nil)
    }
}

extension APIRequest {
    /// SHA-256 of the request as sent, rendered with secrets redacted: what drift detection compares.
    var digest: String {
        let query = JSONValue.array(self.query.map { ["name": .string($0.name), "value": .string($0.value)] })
        let value: JSONValue = ["method": .string(method), "path": .string(path), "query": query, "body": body ?? .null]
        return sha256Hex(value.canonicalData())
    }
}

/// Reads an output: a plain field path (`AccountId`, `Account.AccountId`) is looked up in `source`; anything with
/// a placeholder is rendered.
func extractOutput(_ template: Template, from source: JSONValue, scope: RunScope) throws -> JSONValue? {
    if case .literal(.string(let path)) = template { return source.value(atPath: path) }
    return try template.render(in: scope)
}
