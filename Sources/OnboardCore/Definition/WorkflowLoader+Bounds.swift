import Foundation

/// Bounds on the expressions a workflow writes (`when:`, `check:`, `until:`, `${…}` in templates), checked on the
/// text before it is parsed.
///
/// The expression parser and evaluator recurse once per level of parentheses and `!`, and once per operator of a
/// chain (`a || b || c …`), so a workflow file with 20,000 `(` or 100,000 `||` used to overflow the stack and
/// crash onboard (found by fuzzing). A condition a person writes is a line: an expression of at most 1,000
/// characters nested at most 32 levels is refused with its file, line and field when it passes either bound.
enum ExpressionBounds {
    static let maxLength = 1000
    static let maxNesting = 32

    /// Why `source` (the text of one expression) is out of bounds, or nil.
    static func problem(in source: String) -> String? {
        if source.utf8.count > maxLength && source.unicodeScalars.count > maxLength {
            return "an expression is at most \(maxLength) characters; this one has \(source.unicodeScalars.count)"
        }
        var parentheses = 0
        var negations = 0
        for scalar in source.unicodeScalars {
            switch scalar {
            case "(":
                parentheses += 1
                negations = 0
            case ")":
                parentheses -= 1
            case "!":
                negations += 1
            case " ":
                continue
            default:
                negations = 0
            }
            if parentheses + negations > maxNesting {
                return "an expression nests at most \(maxNesting) levels of parentheses and '!'"
            }
        }
        return nil
    }

    /// The first problem of the `${…}` expressions in the strings of `value` (a template), or nil.
    static func problem(inTemplate value: JSONValue) -> String? {
        switch value {
        case .string(let text):
            var rest = Substring(text)
            while let open = rest.range(of: "${") {
                let close = rest[open.upperBound...].firstIndex(of: "}") ?? rest.endIndex
                if let problem = problem(in: String(rest[open.upperBound..<close])) { return problem }
                guard close < rest.endIndex else { return nil }
                rest = rest[rest.index(after: close)...]
            }
            return nil
        case .array(let items):
            return items.lazy.compactMap(problem(inTemplate:)).first
        case .object(let object):
            return object.values.lazy.compactMap(problem(inTemplate:)).first
        default:
            return nil
        }
    }
}
