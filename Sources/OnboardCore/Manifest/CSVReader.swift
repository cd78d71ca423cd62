import Foundation

/// Reads a CSV file a row at a time (header first), so a subscriber list of any length is never held in memory.
///
/// Fields may be quoted (`"Doe, Jane"`, `""` for a quote inside); a quoted field may not span lines. Written here
/// rather than taken from a CSV package because the ones available read the whole file into memory first.
public final class CSVReader: Sequence, IteratorProtocol {
    public struct Row: Sendable {
        /// 1-based line in the file.
        public var line: Int
        public var fields: [String]
    }

    public let path: String
    private let file: UnsafeMutablePointer<FILE>
    private var lineNumber = 0

    public init(path: String) throws(DiagnosticList) {
        guard let file = fopen(path, "r") else {
            throw DiagnosticList([Diagnostic(file: path, line: nil, field: nil, message: "cannot read the CSV file")])
        }
        self.path = path
        self.file = file
    }

    deinit { fclose(file) }

    public func next() -> Row? {
        var buffer: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(buffer) }
        while true {
            let count = getline(&buffer, &capacity, file)
            guard count >= 0, let buffer else { return nil }
            lineNumber += 1
            var text = String(cString: buffer)
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            if text.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            return Row(line: lineNumber, fields: Self.split(text))
        }
    }

    static func split(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var iterator = line.makeIterator()
        while let character = iterator.next() {
            if quoted {
                if character == "\"" {
                    if let following = iterator.next() {
                        if following == "\"" {
                            current.append("\"")
                        } else {
                            quoted = false
                            if following == "," {
                                fields.append(current)
                                current = ""
                            } else {
                                current.append(following)
                            }
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    current.append(character)
                }
            } else if character == "," {
                fields.append(current)
                current = ""
            } else if character == "\"" && current.isEmpty {
                quoted = true
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields.map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
