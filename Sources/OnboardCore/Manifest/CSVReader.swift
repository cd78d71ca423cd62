import Foundation

/// Reads a CSV file (RFC 4180) a row at a time, so a subscriber list of any length is never held in memory.
///
/// ```swift
/// let reader = try CSVReader(path: "acme.csv")
/// while let row = try reader.nextRow() { print(row.line, row.fields) }
/// ```
///
/// - Rows end with CRLF (the RFC's line end, what spreadsheets write), LF, or a lone CR. The file is scanned as
///   bytes, never as Swift `Character`s, in which `"\r\n"` is one character.
/// - A leading UTF-8 byte order mark is skipped.
/// - A field may be quoted: `"Doe, Jane"`, `"say ""hi"""` (a doubled quote is one quote), and a quoted field may
///   span lines. A row's `line` is the line where it starts.
/// - Spaces around a field are trimmed; spaces inside quotes are kept. Blank lines are skipped.
/// - A quote left open at the end of the file, a row longer than `maxRowBytes` (1 MiB) and a NUL byte (a binary
///   file) are errors naming the file and line; their text is never quoted back.
///
/// Written here rather than taken from a CSV package because the ones available read the whole file first.
public final class CSVReader {
    public struct Row: Sendable {
        /// 1-based line in the file where the row starts.
        public var line: Int
        public var fields: [String]
    }

    /// The file's name in diagnostics.
    public let path: String
    /// The longest row read, in bytes: a bound on memory whatever the file holds.
    public static let maxRowBytes = 1 << 20

    private let file: UnsafeMutablePointer<FILE>
    private var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    private var chunkCount = 0
    private var position = 0
    private var startOfFile = true
    /// The line of the next byte (1-based); a CRLF counts once.
    private var line = 1
    private var previous: UInt8 = 0
    /// A row ended on CR: an LF right after it belongs to the same line end.
    private var skipLF = false

    /// Where the scanner is within one field.
    private enum State {
        /// Nothing but spaces yet.
        case start
        case unquoted
        case quoted
        /// After a closing quote (or the first quote of a doubled pair).
        case afterQuote
    }

    /// Opens `path`, a regular file; diagnostics name it `shownAs` (the path as the manifest wrote it).
    public init(path: String, shownAs: String? = nil) throws(DiagnosticList) {
        let shown = shownAs ?? path
        do {
            try FileCheck.requireRegularFile(path, what: "CSV file")
        } catch {
            throw DiagnosticList(error.diagnostics.map { Diagnostic(file: shown, line: nil, field: nil, message: $0.message) })
        }
        guard let file = fopen(path, "rb") else {
            throw DiagnosticList([Diagnostic(file: shown, line: nil, field: nil, message: "cannot read the CSV file")])
        }
        self.path = shown
        self.file = file
    }

    deinit { fclose(file) }

    /// The next non-blank row, or nil at the end of the file.
    public func nextRow() throws(DiagnosticList) -> Row? {
        while true {
            var fields: [String] = []
            var field: [UInt8] = []
            var state = State.start
            var rowBytes = 0
            var start: Int?
            func endField() {
                var bytes = field[...]
                if state == .unquoted {
                    while let last = bytes.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") {
                        bytes = bytes.dropLast()
                    }
                }
                fields.append(String(decoding: bytes, as: UTF8.self))
                field.removeAll(keepingCapacity: true)
                state = .start
            }
            scan: while true {
                guard let byte = try nextByte() else {
                    if state == .quoted { throw problem(start ?? line, "a quoted field opened on this line is not closed") }
                    if start == nil { return nil }
                    break scan
                }
                if skipLF {
                    skipLF = false
                    if byte == 0x0A { continue }
                }
                if start == nil { start = lineOfLastByte }
                rowBytes += 1
                guard rowBytes <= Self.maxRowBytes else {
                    throw problem(start ?? line, "a row longer than 1 MiB (an unclosed quote?)")
                }
                if byte == 0 { throw problem(lineOfLastByte, "not a text file (it holds a NUL byte)") }
                switch (state, byte) {
                case (.quoted, UInt8(ascii: "\"")):
                    state = .afterQuote
                case (.quoted, _):
                    field.append(byte)
                case (.afterQuote, UInt8(ascii: "\"")):
                    // `""` inside quotes is one quote.
                    field.append(byte)
                    state = .quoted
                case (_, UInt8(ascii: ",")):
                    endField()
                case (_, 0x0D), (_, 0x0A):
                    skipLF = byte == 0x0D
                    break scan
                case (.start, UInt8(ascii: " ")), (.start, UInt8(ascii: "\t")), (.afterQuote, UInt8(ascii: " ")),
                    (.afterQuote, UInt8(ascii: "\t")):
                    continue
                case (.start, UInt8(ascii: "\"")):
                    state = .quoted
                case (.start, _):
                    field.append(byte)
                    state = .unquoted
                default:
                    // Text after a closing quote (`"a"b`) is kept as text, as common readers do.
                    field.append(byte)
                }
            }
            // A blank line (or one of spaces) is no row.
            if fields.isEmpty && field.isEmpty && state == .start { continue }
            endField()
            return Row(line: start ?? line, fields: fields)
        }
    }

    /// The line of the byte just read.
    private var lineOfLastByte: Int {
        // `line` already moved past a line break just read.
        previous == 0x0D || (previous == 0x0A) ? line - 1 : line
    }

    private func nextByte() throws(DiagnosticList) -> UInt8? {
        if position == chunkCount {
            chunkCount = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, file) }
            position = 0
            guard chunkCount > 0 else {
                if ferror(file) != 0 { throw problem(line, "cannot read the CSV file") }
                return nil
            }
            if startOfFile {
                startOfFile = false
                // A UTF-8 byte order mark, as spreadsheets write it, is not part of the first column's name.
                if chunkCount >= 3 && chunk[0] == 0xEF && chunk[1] == 0xBB && chunk[2] == 0xBF { position = 3 }
                if position == chunkCount { return try nextByte() }
            }
        }
        let byte = chunk[position]
        position += 1
        if byte == 0x0D || (byte == 0x0A && previous != 0x0D) { line += 1 }
        previous = byte
        return byte
    }

    private func problem(_ line: Int, _ message: String) -> DiagnosticList {
        DiagnosticList([Diagnostic(file: path, line: line, field: nil, message: message)])
    }
}
