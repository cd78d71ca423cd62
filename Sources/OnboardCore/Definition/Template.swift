import Foundation

/// A JSON value in which strings may hold `${expression}` placeholders, compiled once.
///
/// A string that is exactly one placeholder keeps the type of what it evaluates to
/// (`VoiceEnabled: ${inputs.voice_route.enabled}` sends a boolean); placeholders inside longer text are
/// interpolated as text. A trailing `?` (`${steps.voice_route.call_route_id?}`) marks a value that may be absent:
/// when it evaluates to `null`, the object key or array element holding it is left out of the request.
public indirect enum Template: Sendable, Hashable {
    case literal(JSONValue)
    case expression(Expression, isOptional: Bool)
    case interpolated([Part])
    case object([(key: String, value: Template)])
    case array([Template])

    public enum Part: Sendable, Hashable {
        case text(String)
        case expression(Expression)
    }

    public static func == (lhs: Template, rhs: Template) -> Bool {
        switch (lhs, rhs) {
        case (.literal(let a), .literal(let b)): return a == b
        case (.expression(let a, let x), .expression(let b, let y)): return a == b && x == y
        case (.interpolated(let a), .interpolated(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case (.array(let a), .array(let b)): return a == b
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .literal(let value): hasher.combine(value)
        case .expression(let expression, let optional): hasher.combine(expression); hasher.combine(optional)
        case .interpolated(let parts): hasher.combine(parts)
        case .object(let pairs): for pair in pairs { hasher.combine(pair.key); hasher.combine(pair.value) }
        case .array(let items): hasher.combine(items)
        }
    }
}

extension Template {
    /// Compiles a JSON value; throws `ExpressionSyntaxError` for a malformed placeholder.
    public static func compile(_ value: JSONValue) throws -> Template {
        switch value {
        case .string(let string):
            return try compile(string: string)
        case .array(let items):
            return .array(try items.map(compile))
        case .object(let object):
            return .object(try object.keys.sorted().map { (key: $0, value: try compile(object[$0]!)) })
        default:
            return .literal(value)
        }
    }

    public static func compile(string: String) throws -> Template {
        guard string.contains("${") else { return .literal(.string(string)) }
        var parts: [Part] = []
        var rest = Substring(string)
        while let open = rest.range(of: "${") {
            if open.lowerBound > rest.startIndex { parts.append(.text(String(rest[..<open.lowerBound]))) }
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                throw ExpressionSyntaxError(expression: string, column: string.count, reason: "missing '}'")
            }
            var source = String(rest[open.upperBound..<close]).trimmingCharacters(in: .whitespaces)
            var isOptional = false
            if source.hasSuffix("?"), !source.hasSuffix("??") {
                isOptional = true
                source.removeLast()
            }
            let expression = try Expression.parse(source)
            if parts.isEmpty, rest.index(after: close) == rest.endIndex, open.lowerBound == rest.startIndex {
                return .expression(expression, isOptional: isOptional)
            }
            parts.append(.expression(expression))
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { parts.append(.text(String(rest))) }
        return .interpolated(parts)
    }

    /// Every expression in the template, for static reference checks.
    public var expressions: [Expression] {
        switch self {
        case .literal: return []
        case .expression(let expression, _): return [expression]
        case .interpolated(let parts):
            return parts.compactMap { if case .expression(let e) = $0 { return e } else { return nil } }
        case .object(let pairs): return pairs.flatMap { $0.value.expressions }
        case .array(let items): return items.flatMap(\.expressions)
        }
    }

    /// Renders against `scope`. Returns `nil` for an optional placeholder that evaluated to `null`.
    /// Throws `TemplateError.unresolved` when a required placeholder evaluates to `null`.
    public func render(in scope: some ExpressionScope) throws -> JSONValue? {
        switch self {
        case .literal(let value):
            return value
        case .expression(let expression, let isOptional):
            let value = expression.evaluate(in: scope)
            if case .null = value {
                if isOptional { return nil }
                throw TemplateError.unresolved(expression.paths.first?.joined(separator: ".") ?? "expression")
            }
            return value
        case .interpolated(let parts):
            var text = ""
            for part in parts {
                switch part {
                case .text(let string):
                    text += string
                case .expression(let expression):
                    let value = expression.evaluate(in: scope)
                    guard let string = value.stringValue else {
                        if case .null = value {
                            throw TemplateError.unresolved(
                                expression.paths.first?.joined(separator: ".") ?? "expression")
                        }
                        text += value.canonicalString()
                        continue
                    }
                    text += string
                }
            }
            return .string(text)
        case .object(let pairs):
            var object: [String: JSONValue] = [:]
            for pair in pairs {
                if let value = try pair.value.render(in: scope) { object[pair.key] = value }
            }
            return .object(object)
        case .array(let items):
            return .array(try items.compactMap { try $0.render(in: scope) })
        }
    }
}

public enum TemplateError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A placeholder referred to something that has no value (an input not given, an output not kept).
    case unresolved(String)

    public var description: String {
        switch self {
        case .unresolved(let path): return "'\(path)' has no value"
        }
    }
}
