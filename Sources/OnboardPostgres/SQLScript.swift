// Splitting a migration file into the statements PostgreSQL takes one at a time.

/// Splits a migration file into its statements, since PostgreSQL's extended query protocol (the one
/// postgres-nio speaks) takes one statement at a time.
///
/// A statement ends at a `;` outside comments (`-- …`, `/* … */`, nested), quoted text (`'…'` with `''`),
/// quoted identifiers (`"…"`) and dollar-quoted bodies (`$$…$$`, `$tag$…$tag$`). Comments are kept in the
/// statement they precede; statements that hold nothing but comments and blanks are dropped.
enum SQLScript {
    static func statements(in sql: String) -> [String] {
        let characters = Array(sql.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var index = 0
        var hasCode = false

        func take(_ count: Int) {
            current.append(contentsOf: characters[index..<min(index + count, characters.count)])
            index += count
        }
        func peek(_ offset: Int) -> Unicode.Scalar? {
            index + offset < characters.count ? characters[index + offset] : nil
        }

        while index < characters.count {
            let scalar = characters[index]
            switch scalar {
            case "-" where peek(1) == "-":
                while index < characters.count && characters[index] != "\n" { take(1) }
            case "/" where peek(1) == "*":
                var depth = 0
                repeat {
                    if peek(0) == "/" && peek(1) == "*" {
                        depth += 1
                        take(2)
                    } else if peek(0) == "*" && peek(1) == "/" {
                        depth -= 1
                        take(2)
                    } else {
                        take(1)
                    }
                } while depth > 0 && index < characters.count
            case "'", "\"":
                hasCode = true
                take(1)
                while index < characters.count {
                    if characters[index] == scalar {
                        if peek(1) == scalar { take(2); continue }  // '' or "" inside
                        take(1)
                        break
                    }
                    take(1)
                }
            case "$":
                hasCode = true
                // $tag$ where tag is empty or an identifier (not $1, a parameter).
                var end = index + 1
                while end < characters.count, characters[end] == "_" || characters[end].properties.isAlphabetic
                    || (end > index + 1 && ("0"..."9").contains(characters[end]))
                {
                    end += 1
                }
                guard end < characters.count, characters[end] == "$" else {
                    take(1)
                    break
                }
                let tag = Array(characters[index...end])
                take(tag.count)
                while index < characters.count {
                    if characters[index] == "$", index + tag.count <= characters.count,
                        Array(characters[index..<index + tag.count]) == tag
                    {
                        take(tag.count)
                        break
                    }
                    take(1)
                }
            case ";":
                index += 1
                if hasCode { statements.append(String(current).trimmingWhitespace()) }
                current = String.UnicodeScalarView()
                hasCode = false
            default:
                if !scalar.properties.isWhitespace { hasCode = true }
                take(1)
            }
        }
        if hasCode { statements.append(String(current).trimmingWhitespace()) }
        return statements
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
