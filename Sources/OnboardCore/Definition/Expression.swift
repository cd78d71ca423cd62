import Foundation

/// The small expression language of workflow definitions.
///
/// An expression is what stands between `${` and `}` in a template, or in a `when` / `check` / `until` field:
///
/// ```
/// inputs.voice_route.enabled
/// steps.provision.phone_number
/// !(inputs.number.number_type == 'iot' && inputs.number.message_type == 'a2p')
/// response.ResultsTotal > 0
/// inputs.number.area_code ?? ''
/// ```
///
/// Paths are dotted names looked up in the evaluation scope; a path that does not resolve evaluates to `null`
/// (so `??` can give a default). Literals: `'text'` or `"text"`, integers, decimals, `true`, `false`, `null`.
/// Operators, loosest first: `??`, `||`, `&&`, `==` `!=`, `<` `<=` `>` `>=`, prefix `!`.
public indirect enum Expression: Sendable, Hashable {
    case literal(JSONValue)
    case path([String])
    case not(Expression)
    case binary(BinaryOperator, Expression, Expression)

    public enum BinaryOperator: String, Sendable, Hashable {
        case coalesce = "??"
        case or = "||"
        case and = "&&"
        case equal = "=="
        case notEqual = "!="
        case less = "<"
        case lessOrEqual = "<="
        case greater = ">"
        case greaterOrEqual = ">="
    }

    /// Every path the expression reads, for static checks of references.
    public var paths: [[String]] {
        switch self {
        case .literal: return []
        case .path(let components): return [components]
        case .not(let inner): return inner.paths
        case .binary(_, let lhs, let rhs): return lhs.paths + rhs.paths
        }
    }
}

/// A syntax error in an expression, with the column (1-based, within the expression) where it was found.
public struct ExpressionSyntaxError: Error, Sendable, Hashable, CustomStringConvertible {
    public let expression: String
    public let column: Int
    public let reason: String
    public var description: String { "\(reason) at column \(column) of '\(expression)'" }
}

extension Expression {
    /// Parses `source`; throws `ExpressionSyntaxError`.
    public static func parse(_ source: String) throws -> Expression {
        var parser = ExpressionParser(source: source)
        let expression = try parser.parseCoalesce()
        parser.skipSpaces()
        if !parser.isAtEnd { throw parser.error("unexpected '\(parser.remainder)'") }
        return expression
    }

    /// Evaluates against `scope`, whose top-level keys are the roots of paths (`inputs`, `steps`, `response`, ...).
    public func evaluate(in scope: some ExpressionScope) -> JSONValue {
        switch self {
        case .literal(let value):
            return value
        case .path(let components):
            return scope.lookup(components) ?? .null
        case .not(let inner):
            return .bool(!inner.evaluate(in: scope).isTruthy)
        case .binary(let op, let lhsExpression, let rhsExpression):
            let lhs = lhsExpression.evaluate(in: scope)
            switch op {
            case .coalesce:
                if case .null = lhs { return rhsExpression.evaluate(in: scope) }
                return lhs
            case .or:
                return lhs.isTruthy ? .bool(true) : .bool(rhsExpression.evaluate(in: scope).isTruthy)
            case .and:
                return lhs.isTruthy ? .bool(rhsExpression.evaluate(in: scope).isTruthy) : .bool(false)
            case .equal:
                return .bool(Self.looselyEqual(lhs, rhsExpression.evaluate(in: scope)))
            case .notEqual:
                return .bool(!Self.looselyEqual(lhs, rhsExpression.evaluate(in: scope)))
            case .less, .lessOrEqual, .greater, .greaterOrEqual:
                let rhs = rhsExpression.evaluate(in: scope)
                guard let order = Self.compare(lhs, rhs) else { return .bool(false) }
                switch op {
                case .less: return .bool(order < 0)
                case .lessOrEqual: return .bool(order <= 0)
                case .greater: return .bool(order > 0)
                default: return .bool(order >= 0)
                }
            }
        }
    }

    /// Numbers compare by value (`1 == 1.0`); a number and its decimal string are equal (`801 == '801'`), since
    /// the API returns some numeric fields as strings.
    static func looselyEqual(_ lhs: JSONValue, _ rhs: JSONValue) -> Bool {
        if lhs == rhs { return true }
        if let left = number(lhs), let right = number(rhs) { return left == right }
        return false
    }

    static func compare(_ lhs: JSONValue, _ rhs: JSONValue) -> Int? {
        if let left = number(lhs), let right = number(rhs) { return left < right ? -1 : (left == right ? 0 : 1) }
        if case .string(let left) = lhs, case .string(let right) = rhs {
            return left < right ? -1 : (left == right ? 0 : 1)
        }
        return nil
    }

    static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let int): return Double(int)
        case .double(let double): return double
        case .string(let string): return Double(string)
        default: return nil
        }
    }
}

/// What paths resolve against.
public protocol ExpressionScope {
    func lookup(_ path: [String]) -> JSONValue?
}

/// A scope made of named JSON roots.
public struct JSONScope: ExpressionScope, Sendable {
    public var roots: [String: JSONValue]
    public init(_ roots: [String: JSONValue]) { self.roots = roots }

    public func lookup(_ path: [String]) -> JSONValue? {
        guard let first = path.first, let root = roots[first] else { return nil }
        return root.value(atPath: path.dropFirst().joined(separator: "."))
    }
}

private struct ExpressionParser {
    let source: String
    let scalars: [Unicode.Scalar]
    var index = 0

    init(source: String) {
        self.source = source
        self.scalars = Array(source.unicodeScalars)
    }

    var isAtEnd: Bool { index >= scalars.count }
    var remainder: String { String(String.UnicodeScalarView(scalars[index...])) }

    func error(_ reason: String) -> ExpressionSyntaxError {
        ExpressionSyntaxError(expression: source, column: index + 1, reason: reason)
    }

    mutating func skipSpaces() {
        while !isAtEnd, scalars[index].properties.isWhitespace { index += 1 }
    }

    mutating func consume(_ token: String) -> Bool {
        skipSpaces()
        let tokenScalars = Array(token.unicodeScalars)
        guard index + tokenScalars.count <= scalars.count,
            Array(scalars[index..<index + tokenScalars.count]) == tokenScalars
        else { return false }
        // `=` must not be read as the start of `==`, nor `<` of `<=`: callers try longer tokens first.
        index += tokenScalars.count
        return true
    }

    mutating func parseCoalesce() throws -> Expression {
        var lhs = try parseOr()
        while consume("??") { lhs = .binary(.coalesce, lhs, try parseOr()) }
        return lhs
    }

    mutating func parseOr() throws -> Expression {
        var lhs = try parseAnd()
        while consume("||") { lhs = .binary(.or, lhs, try parseAnd()) }
        return lhs
    }

    mutating func parseAnd() throws -> Expression {
        var lhs = try parseEquality()
        while consume("&&") { lhs = .binary(.and, lhs, try parseEquality()) }
        return lhs
    }

    mutating func parseEquality() throws -> Expression {
        var lhs = try parseComparison()
        while true {
            if consume("==") {
                lhs = .binary(.equal, lhs, try parseComparison())
            } else if consume("!=") {
                lhs = .binary(.notEqual, lhs, try parseComparison())
            } else {
                return lhs
            }
        }
    }

    mutating func parseComparison() throws -> Expression {
        var lhs = try parseUnary()
        while true {
            if consume("<=") {
                lhs = .binary(.lessOrEqual, lhs, try parseUnary())
            } else if consume(">=") {
                lhs = .binary(.greaterOrEqual, lhs, try parseUnary())
            } else if consume("<") {
                lhs = .binary(.less, lhs, try parseUnary())
            } else if consume(">") {
                lhs = .binary(.greater, lhs, try parseUnary())
            } else {
                return lhs
            }
        }
    }

    mutating func parseUnary() throws -> Expression {
        skipSpaces()
        if !isAtEnd, scalars[index] == "!", !(index + 1 < scalars.count && scalars[index + 1] == "=") {
            index += 1
            return .not(try parseUnary())
        }
        return try parsePrimary()
    }

    mutating func parsePrimary() throws -> Expression {
        skipSpaces()
        guard !isAtEnd else { throw error("expected a value") }
        let scalar = scalars[index]
        if scalar == "(" {
            index += 1
            let inner = try parseCoalesce()
            guard consume(")") else { throw error("expected ')'") }
            return inner
        }
        if scalar == "'" || scalar == "\"" {
            let quote = scalar
            index += 1
            var text = String.UnicodeScalarView()
            while !isAtEnd, scalars[index] != quote {
                if scalars[index] == "\\", index + 1 < scalars.count { index += 1 }
                text.append(scalars[index])
                index += 1
            }
            guard !isAtEnd else { throw error("unterminated string") }
            index += 1
            return .literal(.string(String(text)))
        }
        if scalar.properties.numericType != nil || (scalar == "-" && index + 1 < scalars.count
            && scalars[index + 1].properties.numericType != nil)
        {
            let start = index
            index += 1
            while !isAtEnd, scalars[index].properties.numericType != nil || scalars[index] == "." { index += 1 }
            let text = String(String.UnicodeScalarView(scalars[start..<index]))
            if let int = Int(text) { return .literal(.int(int)) }
            if let double = Double(text) { return .literal(.double(double)) }
            throw error("bad number '\(text)'")
        }
        if Self.isNameStart(scalar) {
            var components: [String] = []
            while true {
                let start = index
                while !isAtEnd, Self.isNameCharacter(scalars[index]) { index += 1 }
                guard index > start else { throw error("expected a name after '.'") }
                components.append(String(String.UnicodeScalarView(scalars[start..<index])))
                if !isAtEnd, scalars[index] == "." { index += 1 } else { break }
            }
            if components.count == 1 {
                switch components[0] {
                case "true": return .literal(.bool(true))
                case "false": return .literal(.bool(false))
                case "null": return .literal(.null)
                default: break
                }
            }
            return .path(components)
        }
        throw error("unexpected '\(Character(scalar))'")
    }

    static func isNameStart(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || scalar.properties.isAlphabetic
    }

    static func isNameCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || scalar == "-" || scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }
}
