import Foundation
import Testing
import Yams

@testable import OnboardCore

/// The event reader gives exactly what the Yams node tree gave before it, on every file onboard ships and on
/// generated scalars, so no workflow digest or input value changed when the reader did.
@Suite struct YAMLCompatibilityTests {
    /// The conversion onboard used before the event reader (Yams.compose and a walk of its nodes), kept here as
    /// the reference. Its aliases are Yams's (expanded, unbounded): fine for files without a bomb.
    static func reference(_ text: String) throws -> (JSONValue, [String: Int]) {
        var lines: [String: Int] = [:]
        func convert(_ node: Node, path: String) -> JSONValue {
            if let line = node.mark?.line { lines[path] = line }
            switch node {
            case .scalar(let scalar):
                return convertScalar(scalar, tag: node.tag)
            case .sequence(let sequence):
                return .array(sequence.enumerated().map { convert($1, path: join(path, String($0))) })
            case .mapping(let mapping):
                var object: [String: JSONValue] = [:]
                for (key, value) in mapping {
                    let name = key.scalar?.string ?? "\(key)"
                    object[name] = convert(value, path: join(path, name))
                }
                return .object(object)
            case .alias:
                return .null
            }
        }
        func convertScalar(_ scalar: Node.Scalar, tag: Yams.Tag) -> JSONValue {
            let text = scalar.string
            if scalar.style != .plain { return .string(text) }
            switch Yams.Tag.Name(rawValue: tag.rawValue) {
            case .null: return .null
            case .bool: return .bool(Bool.construct(from: scalar) ?? (["true", "yes", "on"].contains(text.lowercased())))
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
        }
        let node = try Yams.compose(yaml: text)
        return (node.map { convert($0, path: "") } ?? .null, lines)
    }

    static let root = DefinitionTests.root

    @Test(arguments: ["workflows/quickstart.yaml", "workflows/quickstart-guide.yaml", "examples/quickstart.yaml", "examples/batch.yaml"])
    func shippedFilesReadAsBefore(file: String) throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent(file), encoding: .utf8)
        let (expected, expectedLines) = try Self.reference(text)
        let document = try YAMLDocument(file: file, text: text)
        #expect(document.value == expected)
        #expect(document.lines == expectedLines)
        #expect(document.value.canonicalData() == expected.canonicalData())
    }

    @Test func shippedWorkflowDigestsAreUnchanged() throws {
        // Runs pin these digests: a reader that changed any value would make every run look like drift.
        for name in ["quickstart", "quickstart-guide"] {
            let path = Self.root.appendingPathComponent("workflows/\(name).yaml").path
            let (expected, _) = try Self.reference(try String(contentsOfFile: path, encoding: .utf8))
            #expect(try WorkflowLoader.load(path: path).digest == sha256Hex(expected.canonicalData()))
        }
    }

    /// Scalars drawn from the characters the YAML 1.1 patterns care about, typed by both readers.
    @Test func generatedScalarsAreTypedAsYamsTypesThem() throws {
        let alphabet = Array("0123456789_+-.eExXbo:abcfinINFaNlsuyYtTrRnoOfF~ ")
        var generator = SplitMix(seed: 42)
        let fixed = [
            "0", "00", "0_", "0o", "0o7", "0b", "0b1", "0x", "0xF_", "1:30", "1:60", "1:5_", "-1:3:0", "190:20:30.15",
            "1.", "1.e5", "1e", "1e+", ".5e+1", "._", "-.inf", "+.INF", ".NaN", "-.nan", "1__2", "+0", "-0", "0.0",
            "Yes", "yES", "y", "n", "NULL", "nULL", "Null", "~", "<<", "=", "2001-12-14",
        ]
        var texts = fixed
        for _ in 0..<20_000 {
            let length = Int(generator.next() % 8) + 1
            texts.append(String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }))
        }
        var mismatches: [String] = []
        for text in texts where !text.hasPrefix(" ") && !text.hasSuffix(" ") {
            let yaml = "v: \(text)\n"
            guard let expected = try? Self.reference(yaml).0["v"] else { continue }  // not valid YAML as a plain scalar
            let actual = try? YAMLDocument(file: "t.yaml", text: yaml).value["v"]
            if actual != expected { mismatches.append("\(text): \(String(describing: actual)) != \(expected)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(20))")
    }
}

/// A small seeded generator, so the generated cases are the same on every run.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
