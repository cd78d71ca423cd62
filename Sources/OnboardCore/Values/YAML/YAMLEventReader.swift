import Foundation

internal import CYaml

/// One event of libyaml's event stream, copied out of the C structure.
///
/// libyaml reads YAML as a stream of events (`mapping start`, `scalar "name"`, `scalar "Acme"`, `mapping end`, …)
/// without building anything. `YAMLComposer` builds values from them, and a manifest builds one item at a time.
enum YAMLEvent {
    case streamStart
    case streamEnd
    case documentStart
    case documentEnd
    case alias(anchor: String, line: Int)
    case scalar(YAMLScalar)
    case sequenceStart(anchor: String?, line: Int)
    case sequenceEnd
    case mappingStart(anchor: String?, line: Int)
    case mappingEnd

    /// The 1-based line the event starts on, for events that begin a node.
    var line: Int? {
        switch self {
        case .alias(_, let line), .sequenceStart(_, let line), .mappingStart(_, let line): return line
        case .scalar(let scalar): return scalar.line
        default: return nil
        }
    }
}

/// A scalar as written: its text, whether it was plain (unquoted), and its explicit tag if any.
struct YAMLScalar {
    var text: String
    /// Plain (not quoted, not a block scalar): only plain scalars are typed (`801` is a number, `"801"` is text).
    var isPlain: Bool
    /// The explicit tag (`tag:yaml.org,2002:int` for `!!int`), nil when none was written.
    var tag: String?
    var anchor: String?
    var line: Int
}

/// Reads libyaml events from a file or from bytes in memory.
///
/// A file is read in chunks by libyaml (`yaml_parser_set_input_file`), so a manifest of any length streams. A
/// syntax error becomes a `Diagnostic` with its line; a reader error (bytes that are not UTF-8, a control
/// character) gets its line by counting the line breaks before its byte offset.
final class YAMLEventReader {
    let file: String
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    /// The bytes being parsed, for text input; libyaml reads them in place, so they live as long as the parser.
    private let buffer: UnsafeMutableBufferPointer<UInt8>?
    private let handle: UnsafeMutablePointer<FILE>?
    /// The 1-based line where the last event read starts.
    private(set) var line = 1

    /// Parses `bytes` (a whole document read into memory).
    init(file: String, bytes: some Collection<UInt8>) {
        self.file = file
        parser = .allocate(capacity: 1)
        parser.initialize(to: yaml_parser_t())
        yaml_parser_initialize(parser)
        let storage = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        _ = storage.initialize(from: bytes)
        buffer = storage
        handle = nil
        yaml_parser_set_input_string(parser, storage.baseAddress, bytes.count)
    }

    /// Streams the file at `path`; throws when it cannot be opened or is not a regular file.
    init(path: String) throws(DiagnosticList) {
        try FileCheck.requireRegularFile(path, what: "file")
        guard let handle = fopen(path, "rb") else {
            throw DiagnosticList([Diagnostic(file: path, line: nil, field: nil, message: "cannot read the file")])
        }
        file = path
        parser = .allocate(capacity: 1)
        parser.initialize(to: yaml_parser_t())
        yaml_parser_initialize(parser)
        buffer = nil
        self.handle = handle
        yaml_parser_set_input_file(parser, handle)
    }

    deinit {
        yaml_parser_delete(parser)
        parser.deinitialize(count: 1)
        parser.deallocate()
        buffer?.deallocate()
        if let handle { fclose(handle) }
    }

    /// The next event; after `streamEnd`, `streamEnd` again.
    func next() throws(DiagnosticList) -> YAMLEvent {
        var event = yaml_event_t()
        guard yaml_parser_parse(parser, &event) == 1 else { throw DiagnosticList([syntaxError()]) }
        defer { yaml_event_delete(&event) }
        let line = Int(event.start_mark.line) + 1
        self.line = line
        switch event.type {
        case YAML_STREAM_START_EVENT: return .streamStart
        case YAML_STREAM_END_EVENT: return .streamEnd
        case YAML_DOCUMENT_START_EVENT: return .documentStart
        case YAML_DOCUMENT_END_EVENT: return .documentEnd
        case YAML_ALIAS_EVENT:
            return .alias(anchor: Self.string(event.data.alias.anchor) ?? "", line: line)
        case YAML_SCALAR_EVENT:
            let data = event.data.scalar
            let text = String(decoding: UnsafeBufferPointer(start: data.value, count: data.length), as: UTF8.self)
            let isPlain = data.style == YAML_PLAIN_SCALAR_STYLE
            // A plain scalar without a tag is typed by its look; an explicit tag (`!!int 5`, `!!str 5`) is kept.
            return .scalar(
                YAMLScalar(
                    text: text, isPlain: isPlain, tag: Self.string(data.tag), anchor: Self.string(data.anchor),
                    line: line))
        case YAML_SEQUENCE_START_EVENT:
            return .sequenceStart(anchor: Self.string(event.data.sequence_start.anchor), line: line)
        case YAML_SEQUENCE_END_EVENT: return .sequenceEnd
        case YAML_MAPPING_START_EVENT:
            return .mappingStart(anchor: Self.string(event.data.mapping_start.anchor), line: line)
        case YAML_MAPPING_END_EVENT: return .mappingEnd
        default:
            return .streamEnd
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }

    /// The parser's error as a diagnostic with a line.
    private func syntaxError() -> Diagnostic {
        let state = parser.pointee
        let problem = state.problem.map { String(cString: $0) } ?? "unreadable YAML"
        switch state.error {
        case YAML_MEMORY_ERROR:
            return Diagnostic(file: file, line: nil, field: nil, message: "YAML syntax error: out of memory")
        case YAML_READER_ERROR:
            return Diagnostic(
                file: file, line: lineOfByte(state.problem_offset), field: nil,
                message: "not readable as UTF-8 YAML text: \(problem)")
        default:
            if problem.hasPrefix("Maximum nesting level") {
                // libyaml's own bound (1,000 levels), met before onboard's when flow collections open on one line.
                return Diagnostic(
                    file: file, line: Int(state.problem_mark.line) + 1, field: nil,
                    message: "values nest more than \(YAMLLimits.standard.maxDepth) levels deep")
            }
            var message = "YAML syntax error: \(problem)"
            if let context = state.context.map({ String(cString: $0) }) {
                message += " (\(context) on line \(state.context_mark.line + 1))"
            }
            return Diagnostic(file: file, line: Int(state.problem_mark.line) + 1, field: nil, message: message)
        }
    }

    /// The 1-based line holding byte `offset` of the input.
    private func lineOfByte(_ offset: Int) -> Int? {
        if let buffer {
            return 1 + buffer.prefix(offset).reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        }
        guard let again = fopen(file, "rb") else { return nil }
        defer { fclose(again) }
        var line = 1
        var remaining = offset
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while remaining > 0 {
            let count = fread(&chunk, 1, min(chunk.count, remaining), again)
            if count <= 0 { break }
            line += chunk.prefix(count).reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            remaining -= count
        }
        return line
    }
}
