import Foundation
import Testing

@testable import OnboardCore

/// Lengths and characters of text inputs, and text made safe for a terminal.
@Suite struct InputLimitTests {
    func load(_ text: String, definition: WorkflowDefinition = InputTests.definition) throws -> InputFile {
        try TemporaryFolder.with { folder in
            try InputFile.load(path: try folder.write(text, to: "input.yaml"), definition: definition, environment: ["PW": "pw"])
        }
    }

    func problems(_ replacing: String, with replacement: String) -> [String] {
        let text = InputTests.valid.replacingOccurrences(of: replacing, with: replacement)
        #expect(text != InputTests.valid)
        return diagnostics { _ = try load(text) }.map { String($0[$0.range(of: "input.yaml:")!.lowerBound...]) }
    }

    @Test func lengthsHaveDefaultsByFormatAndName() {
        let name256 = String(repeating: "n", count: 256)
        #expect(problems("name: Acme,", with: "name: \(name256),").isEmpty)
        #expect(
            problems("name: Acme,", with: "name: \(name256)x,")
                == ["input.yaml:1: account.name: is 257 characters long; at most 256 are allowed"])
        let local = String(repeating: "a", count: 243)
        #expect(
            problems("admin_email: admin@acme.example", with: "admin_email: \(local)@acme.example")
                == ["input.yaml:1: account.admin_email: is 256 characters long; at most 254 are allowed"])
        let path = String(repeating: "p", count: 2030)
        #expect(
            problems("url: https://hooks.acme.example/m", with: "url: https://hooks.acme.example/\(path)")
                == ["input.yaml:2: message_route.url: is 2057 characters long; at most 2048 are allowed"])
        let body = String(repeating: "b", count: 1601)
        #expect(
            problems("to: \"+13105559999\"", with: "to: \"+13105559999\", body: \(body)")
                == ["input.yaml:5: test_message.body: is 1601 characters long; at most 1600 are allowed"])
        // Characters, not bytes: 256 accented letters are a valid name.
        #expect(problems("name: Acme,", with: "name: \(String(repeating: "é", count: 256)),").isEmpty)
    }

    @Test func aHugeValueIsRefusedWithoutBeingQuoted() {
        let large = String(repeating: "x", count: 100_000)
        #expect(
            problems("admin_email: admin@acme.example", with: "admin_email: \(large)")
                == ["input.yaml:1: account.admin_email: is 100000 characters long; at most 254 are allowed"])
        // Past 1 MiB the YAML reader stops first.
        let huge = String(repeating: "x", count: 2_000_000)
        #expect(
            problems("admin_email: admin@acme.example", with: "admin_email: \(huge)")
                == ["input.yaml:1: account.admin_email: a value longer than 1 MiB"])
    }

    @Test(arguments: [
        ("name: Acme,", "name: \"Ac\\eme\",", "input.yaml:1: account.name: contains a control character (U+001B) at character 3"),
        ("name: Acme,", "name: \"Acme\\nCorp\",", "input.yaml:1: account.name: contains a line break or tab (U+000A) at character 5"),
        ("name: Jane,", "name: \"Ja\\x9Bne\",", "input.yaml:4: subscriber.name: contains a control character (U+009B) at character 3"),
        ("name: Main,", "name: \"Ma\\x7Fin\",", "input.yaml:2: message_route.name: contains a control character (U+007F) at character 3"),
        ("name: Main,", "name: \"Ma\\Lin\",", "input.yaml:2: message_route.name: contains a control character (U+2028) at character 3"),
    ])
    func controlCharactersAreRefused(original: String, replacement: String, expected: String) {
        let found = problems(original, with: replacement)
        #expect(found.count == 1 && found[0].hasPrefix(expected), "\(found)")
    }

    @Test func aMessageBodyMayHoldLineBreaksButNoEscape() throws {
        let multiline = InputTests.valid.replacingOccurrences(
            of: "to: \"+13105559999\"", with: "to: \"+13105559999\", body: \"Hello\\r\\n\\tthere\"")
        #expect(try load(multiline).inputs.raw.value(atPath: "test_message.body") == "Hello\r\n\tthere")
        #expect(
            problems("to: \"+13105559999\"", with: "to: \"+13105559999\", body: \"Hi\\e[2J\"")
                == ["input.yaml:5: test_message.body: contains a control character (U+001B) at character 3; it is not allowed in this field"])
    }

    @Test func aWorkflowMaySetMaxLengthAndMultiline() throws {
        let path = DefinitionTests.root.appendingPathComponent("workflows/quickstart.yaml").path
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(
            of: "  subscriber.name: {required: true}", with: "  subscriber.name: {required: true, max_length: 4, multiline: true}")
        let definition = try WorkflowLoader.load(file: "custom.yaml", text: text)
        #expect(definition.input("subscriber.name")?.maxLength == 4)
        #expect(try load(InputTests.valid.replacingOccurrences(of: "name: Jane,", with: "name: \"J\\nn\","), definition: definition)
            .inputs.raw.value(atPath: "subscriber.name") == "J\nn")
        #expect(
            diagnostics { _ = try load(InputTests.valid.replacingOccurrences(of: "name: Jane,", with: "name: Janet,"), definition: definition) }
                .contains { $0.hasSuffix("input.yaml:4: subscriber.name: is 5 characters long; at most 4 are allowed") })
        let bad = text.replacingOccurrences(of: "max_length: 4", with: "max_length: 0")
        #expect(
            diagnostics { _ = try WorkflowLoader.load(file: "custom.yaml", text: bad) }
                .contains { $0.hasPrefix("custom.yaml:45: inputs.subscriber.name.max_length: must be a whole number from 1 to 1000000") })
    }

    @Test func valuesQuotedInErrorsAreEscapedAndCut() {
        let found = problems("admin_email: admin@acme.example", with: "admin_email: \"\\e[31mnot-an-email\"")
        #expect(found == ["input.yaml:1: account.admin_email: contains a control character (U+001B) at character 1; it is not allowed in this field"])
        let long = String(repeating: "z", count: 200)
        let quoted = problems("admin_email: admin@acme.example", with: "admin_email: \(long)")
        #expect(quoted == ["input.yaml:1: account.admin_email: not an email address ('\(String(repeating: "z", count: 64))… (200 characters)')"])
    }

    @Test func anInputKeyIsAKeyToo() {
        let found = diagnostics { _ = try load("key: \"a\\eb\"\n" + InputTests.valid) }
        #expect(found.count == 1 && found[0].hasSuffix("input.yaml:1: key: a key cannot contain control characters"), "\(found)")
    }
}
