import Foundation
import Testing

@testable import OnboardCore

@Suite struct InputTests {
    static let definition = try! WorkflowLoader.load(
        path: DefinitionTests.root.appendingPathComponent("workflows/quickstart.yaml").path)

    static let valid = """
        account: {name: Acme, admin_email: admin@acme.example}
        message_route: {name: Main, url: https://hooks.acme.example/m}
        number: {area_code: "801"}
        subscriber: {name: Jane, email: jane@acme.example, password: "${env.PW}"}
        test_message: {to: "+13105559999"}
        """

    func load(_ text: String, environment: [String: String] = ["PW": "s3cret"]) throws -> InputFile {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("input-\(UUID().uuidString).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try InputFile.load(path: path, definition: Self.definition, environment: environment)
    }

    @Test func validInputGetsDefaultsAndAKey() throws {
        let file = try load(Self.valid)
        #expect(file.key == "Acme/jane@acme.example")
        #expect(file.inputs.raw.value(atPath: "number.number_type") == "mvno")
        #expect(file.inputs.raw.value(atPath: "voice_route.enabled") == false)
        // The stored form keeps the reference, never the value.
        #expect(file.inputs.stored(for: Self.definition).value(atPath: "subscriber.password") == "${env.PW}")
        #expect(!file.inputs.stored(for: Self.definition).canonicalString().contains("s3cret"))
    }

    @Test func inlineSecretIsRedactedWhenStored() throws {
        let file = try load(Self.valid.replacingOccurrences(of: "\"${env.PW}\"", with: "hunter2-inline"))
        let stored = file.inputs.stored(for: Self.definition).canonicalString()
        #expect(!stored.contains("hunter2-inline"))
        #expect(stored.contains("<redacted>"))
    }

    @Test(arguments: [
        ("admin_email: admin@acme.example", "admin_email: not-an-email", "account.admin_email: not an email address"),
        ("to: \"+13105559999\"", "to: \"3105559999\"", "test_message.to: not an E.164 phone number"),
        ("area_code: \"801\"", "area_code: \"80\"", "number.area_code: an area code is 3 digits"),
        ("area_code: \"801\"", "area_code: \"801\", number_type: satellite", "number.number_type: 'satellite' is not one of: mvno, iot"),
        ("area_code: \"801\"", "area_code: \"801\", number_type: iot, message_type: a2p", "number.message_type: iot numbers cannot be a2p"),
        ("name: Main,", "", "message_route.name: is required"),
        ("password: \"${env.PW}\"", "password: \"${env.NOPE}\"", "environment variable NOPE is not set"),
        ("name: Jane,", "name: Jane, emial: x,", "subscriber.emial: unknown input field (did you mean 'subscriber.email'?)"),
    ])
    func badInputIsNamed(original: String, replacement: String, expected: String) throws {
        let text = Self.valid.replacingOccurrences(of: original, with: replacement)
        #expect(text != Self.valid)
        #expect {
            try load(text)
        } throws: { error in
            let message = (error as! DiagnosticList).description
            return message.contains(expected) && message.contains(".yaml:")
        }
    }

    @Test func environmentReferencesAreFoundAndReplaced() throws {
        let text = "a ${ env.X } b ${env.Y_2}${inputs.x} ${env.} ${env.Zé} c ${env.X"
        #expect(EnvironmentReference.names(in: text) == ["X", "Y_2"])
        #expect(EnvironmentReference.isBareReference(" ${env.PW} "))
        #expect(!EnvironmentReference.isBareReference("${env.PW}x"))
        let raw: JSONValue = ["a": ["b": .string(text), "n": 5], "list": ["${env.X}", "plain"], "c": "no reference"]
        let resolved = try RunInputs(raw: raw).resolved(in: ["X": "1", "Y_2": "2"])
        #expect(resolved["a"]?["b"] == .string("a 1 b 2${inputs.x} ${env.} ${env.Zé} c ${env.X"))
        #expect(resolved["list"] == ["1", "plain"])
        #expect(resolved["c"] == "no reference")
        #expect(throws: DiagnosticList.self) { try RunInputs(raw: raw).resolved(in: ["X": "1"]) }
    }

    @Test func voiceEnabledNeedsAVoiceRoute() throws {
        #expect(throws: DiagnosticList.self) {
            try load(Self.valid + "\nvoice_route: {enabled: true}")
        }
        let file = try load(Self.valid + "\nvoice_route: {enabled: true, name: V, type: URL, url: https://v.example/x}")
        #expect(file.inputs.raw.value(atPath: "voice_route.enabled") == true)
    }
}

@Suite struct FormatTests {
    @Test func formats() {
        #expect(Formats.isEmail("jane@acme.example"))
        for bad in ["jane", "jane@", "@acme.example", "jane@acme", "jane@acme.", "ja ne@acme.example", "a@b@c.d"] {
            #expect(!Formats.isEmail(bad), "\(bad)")
        }
        #expect(Formats.isE164("+13105559999"))
        for bad in ["13105559999", "+0310555999", "+1310", "+1310555999912345", "+1310555999x"] {
            #expect(!Formats.isE164(bad), "\(bad)")
        }
        #expect(Formats.isDigits("", count: 3, orEmpty: true))
        #expect(Formats.isDigits("801", count: 3, orEmpty: true))
        #expect(!Formats.isDigits("8011", count: 3, orEmpty: true))
        #expect(!Formats.isDigits("8a1", count: 3, orEmpty: true))
    }
}
