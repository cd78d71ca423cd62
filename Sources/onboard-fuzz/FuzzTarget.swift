import Dispatch
import Foundation
import OnboardCore
import Yams

/// One fuzz input run through one of onboard's loaders of user files.
///
/// The first byte picks the loader and the rest is the file's content, written to a file because the loaders read
/// paths (that is how users hand them files):
///
/// | first byte % 5 | loader |
/// |---|---|
/// | 0 | an input file: `InputFile.load` against the shipped quickstart workflow |
/// | 1 | a manifest: `Manifest.load`, then `forEachItem` over every item |
/// | 2 | a workflow: `WorkflowLoader.load` |
/// | 3 | a subscriber CSV, named by a fixed manifest beside it, through `forEachItem` |
/// | 4 | YAML read two ways: `YAMLDocument` must give what Yams gave before for a file without anchors |
///
/// Besides crashes, hangs and huge allocations (libFuzzer's own checks), every input asserts that no diagnostic
/// prints a control character to the terminal.
enum FuzzTarget {
    static let folder: URL = {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("onboard-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let manifest = """
            workflow: quickstart
            defaults:
              message_route: {url: "https://hooks.example.com/m"}
              subscriber: {password: pw}
              test_message: {to: "+13105559999"}
            accounts:
              - key: acme
                account: {name: Acme, admin_email: admin@acme.example}
                message_route: {name: Acme route}
                subscribers_csv: subscribers.csv
            """
        try? manifest.write(to: url.appendingPathComponent("csv-manifest.yaml"), atomically: true, encoding: .utf8)
        return url
    }()

    /// The shipped workflow, found beside the package (`ONBOARD_FUZZ_WORKFLOW` overrides).
    static let definition: WorkflowDefinition = {
        let path = ProcessInfo.processInfo.environment["ONBOARD_FUZZ_WORKFLOW"].flatMap { $0.isEmpty ? nil : $0 }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("workflows/quickstart.yaml").path
        do {
            return try WorkflowLoader.load(path: path)
        } catch {
            fatalError("onboard-fuzz needs the quickstart workflow: \(error)")
        }
    }()

    static func run(_ bytes: UnsafeRawBufferPointer) {
        guard let selector = bytes.first else { return }
        let content = Data(bytes.dropFirst())
        switch selector % 5 {
        case 0:
            let path = write(content, to: "input.yaml")
            check { _ = try InputFile.load(path: path, definition: definition, environment: ["PW": "x"]) }
        case 1:
            let path = write(content, to: "manifest.yaml")
            check { try items(ofManifest: path) }
        case 2:
            let path = write(content, to: "workflow.yaml")
            check { _ = try WorkflowLoader.load(path: path) }
        case 3:
            _ = write(content, to: "subscribers.csv")
            check { try items(ofManifest: folder.appendingPathComponent("csv-manifest.yaml").path) }
        default:
            compareWithYams(content)
        }
    }

    private static func write(_ content: Data, to name: String) -> String {
        let url = folder.appendingPathComponent(name)
        try? content.write(to: url)
        return url.path
    }

    /// Runs a loader; its diagnostics must be safe to print.
    private static func check(_ body: () throws -> Void) {
        do {
            try body()
        } catch let error as DiagnosticList {
            for diagnostic in error.diagnostics {
                let text = diagnostic.description
                precondition(!text.unicodeScalars.contains(where: TerminalText.needsEscape), "unescaped: \(text)")
            }
        } catch {
            fatalError("a loader threw something other than diagnostics: \(error)")
        }
    }

    /// `Manifest.load` and `forEachItem`, waited for: the fuzzer calls in synchronously.
    private static func items(ofManifest path: String) throws {
        let manifest = try Manifest.load(path: path)
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                let problems = try await manifest.forEachItem(definition: definition, environment: [:]) { _ in }
                outcome.set(.success(problems))
            } catch {
                outcome.set(.failure(error))
            }
            done.signal()
        }
        done.wait()
        let problems = try outcome.get()
        if !problems.isEmpty { throw DiagnosticList(problems) }
    }

    /// For YAML without anchors, aliases or merge keys, the event reader must agree with Yams's node tree.
    private static func compareWithYams(_ content: Data) {
        guard let text = String(data: content, encoding: .utf8), !text.contains("&"), !text.contains("*"),
            !text.contains("<<"), !text.contains("\r"), text.utf8.count < 4096
        else { return }
        guard let node = try? Yams.compose(yaml: text), let expected = try? convert(node) else { return }
        guard let document = try? YAMLDocument(file: "fuzz.yaml", text: text) else { return }
        // Compared in canonical form, where a NaN equals itself (`!!float nan`).
        precondition(
            document.value.canonicalData() == expected.canonicalData(),
            "the event reader and Yams disagree on: \(text.debugDescription)")
    }

    /// The conversion onboard used before the event reader (see YAMLCompatibilityTests). Throws on duplicate keys,
    /// which the event reader reports instead of keeping the last.
    private static func convert(_ node: Node) throws -> JSONValue {
        switch node {
        case .scalar(let scalar):
            let text = scalar.string
            if scalar.style != .plain { return .string(text) }
            switch Tag.Name(rawValue: node.tag.rawValue) {
            case .null: return .null
            case .bool: return .bool(Bool.construct(from: scalar) ?? ["true", "yes", "on"].contains(text.lowercased()))
            case .int:
                if let int = Int(text), String(int) == text { return .int(int) }
                return .string(text)
            case .float:
                if let double = Double(text), !text.hasPrefix("+"), !text.hasPrefix("0") || text.hasPrefix("0.") {
                    return .double(double)
                }
                return .string(text)
            default: return .string(text)
            }
        case .sequence(let sequence):
            return .array(try sequence.map(convert))
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard let name = key.scalar?.string, object[name] == nil else { throw Skip() }
                object[name] = try convert(value)
            }
            return .object(object)
        case .alias:
            throw Skip()
        }
    }

    private struct Skip: Error {}

    /// The result of the asynchronous part, handed back to the fuzzer's thread.
    private final class Outcome: @unchecked Sendable {
        private var result: Result<[Diagnostic], any Error> = .success([])
        private let lock = NSLock()
        func set(_ value: Result<[Diagnostic], any Error>) { lock.withLock { result = value } }
        func get() throws -> [Diagnostic] { try lock.withLock { result }.get() }
    }
}
