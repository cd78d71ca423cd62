import Foundation
import Testing

@testable import OnboardCore

/// The YAML reader: values, lines, aliases, merge keys, and every problem with its file and line.
@Suite struct YAMLDocumentTests {
    func value(_ text: String) throws -> JSONValue {
        try YAMLDocument(file: "t.yaml", text: text).value
    }

    @Test(arguments: [
        ("\"801\"", JSONValue.string("801")),
        ("801", .int(801)),
        ("-5", .int(-5)),
        ("+13105559999", .string("+13105559999")),
        ("07001", .string("07001")),
        ("0801", .string("0801")),
        ("0x1F", .string("0x1F")),
        ("1_000", .string("1_000")),
        ("1.5", .double(1.5)),
        ("1e3", .double(1000)),
        (".5", .double(0.5)),
        ("+1.5", .string("+1.5")),
        (".inf", .string(".inf")),
        ("yes", .bool(true)),
        ("Off", .bool(false)),
        ("TRUE", .bool(true)),
        ("'yes'", .string("yes")),
        ("~", .null),
        ("null", .null),
        ("", .null),
        ("!!str 5", .string("5")),
        ("!!int 5", .int(5)),
        ("!!bool maybe", .bool(false)),
        ("!!float 2", .double(2)),
        ("!custom 5", .string("5")),
        ("Acme Mobile", .string("Acme Mobile")),
        ("|\n  two\n  lines", .string("two\nlines")),
    ])
    func scalarsAreTypedAsBefore(written: String, expected: JSONValue) throws {
        #expect(try value("a: \(written)")["a"] == expected)
    }

    @Test func everyValueHasItsLine() throws {
        let document = try YAMLDocument(
            file: "t.yaml",
            text: """
                account:
                  name: Acme
                  tags: [a, b]
                list:
                  - x: 1
                  - x: 2
                """)
        // A block mapping starts where its first key is.
        #expect(document.line(of: "account") == 2)
        #expect(document.line(of: "account.name") == 2)
        #expect(document.line(of: "account.tags.1") == 3)
        #expect(document.line(of: "list.1.x") == 6)
        #expect(document.line(of: "list.1.x.missing") == 6)
        #expect(document.lines["list.0"] == 5)
    }

    @Test func anAliasIsTheValueItNames() throws {
        let document = try YAMLDocument(
            file: "t.yaml",
            text: """
                base: &acme
                  name: Acme
                  admin_email: admin@acme.example
                first: *acme
                second:
                  account: *acme
                """)
        let acme: JSONValue = ["name": "Acme", "admin_email": "admin@acme.example"]
        #expect(document.value["first"] == acme)
        #expect(document.value["second"]?["account"] == acme)
        // The alias itself is where it is used; what it expands to is where the anchor wrote it.
        #expect(document.line(of: "second.account") == 6)
        #expect(document.line(of: "second.account.admin_email") == 3)
    }

    @Test func mergeKeysCopyWhatTheMappingDoesNotWrite() throws {
        let document = try YAMLDocument(
            file: "t.yaml",
            text: """
                a: &a {role: Manager, area_code: "801", to: "+13105559999"}
                b: &b {role: Subscriber, body: Hi}
                sub:
                  name: Jane
                  <<: [*a, *b]
                  to: "+12125550100"
                quoted: {"<<": x}
                """)
        #expect(
            document.value["sub"]
                == ["name": "Jane", "role": "Manager", "area_code": "801", "to": "+12125550100", "body": "Hi"])
        #expect(document.value["quoted"] == ["<<": "x"])
        #expect(document.line(of: "sub.area_code") == 1)
        #expect(document.line(of: "sub.body") == 2)
        #expect(document.line(of: "sub.to") == 6)
    }

    @Test(arguments: [
        ("a: 1\nb:\n  c: 1\n  c: 2\n", "t.yaml:4: b.c: duplicate key 'c'"),
        ("a: *nowhere\n", "t.yaml:1: a: unknown alias '*nowhere': no '&nowhere' before it"),
        ("a:\n  <<: 5\n", "t.yaml:2: a.<<: '<<' merges a mapping or a list of mappings into this one"),
        ("? [a, b]\n: 1\n", "t.yaml:1: a mapping key must be text, not a list or a mapping"),
        ("a: [1, 2\nb: 3\n", "t.yaml:2: YAML syntax error"),
        ("a: 1\n---\nb: 2\n", "t.yaml:2: the file holds more than one YAML document"),
        ("a: 1\nb: \"x\u{7}\"\n", "t.yaml:2: not readable as UTF-8 YAML text: control characters are not allowed"),
    ])
    func problemsNameFileAndLine(text: String, expected: String) {
        let found = diagnostics { _ = try YAMLDocument(file: "t.yaml", text: text) }
        #expect(found.contains { $0.hasPrefix(expected) }, "\(found)")
    }

    @Test func bytesThatAreNotUTF8AreRefusedWithTheirLine() throws {
        try TemporaryFolder.with { folder in
            let path = try folder.write(Data("a: 1\nb: 2\nc: \u{FF}".utf8) + Data([0xC3, 0x28]), to: "bad.yaml")
            let found = diagnostics { _ = try YAMLDocument(contentsOf: path) }
            #expect(found.count == 1 && found[0].hasPrefix("\(path):3: not readable as UTF-8 YAML text"), "\(found)")
        }
    }

    /// The "billion laughs": 9 levels of 10 aliases each, 10⁹ values from about 1 KB.
    static let billionLaughs: String = {
        var text = "lol0: &lol0 lol\n"
        for level in 1...9 {
            let items = Array(repeating: "*lol\(level - 1)", count: 10).joined(separator: ", ")
            text += "lol\(level): &lol\(level) [\(items)]\n"
        }
        return text + "boom: *lol9\n"
    }()

    @Test func anAliasBombIsRefusedAtTheLineWhereItPassesTheLimit() {
        let found = diagnostics { _ = try YAMLDocument(file: "bomb.yaml", text: Self.billionLaughs) }
        // lol6 would hold 1,111,111 values: the limit is passed on its line, before anything is expanded.
        #expect(found == [
            "bomb.yaml:7: aliases expand to more than 1,000,000 values in this file (a YAML alias bomb?); onboard refuses it"
        ])
    }

    @Test func theLimitsAreThoseConfigured() {
        let small = YAMLLimits(maxNodes: 10, maxAliasNodes: 5, maxDepth: 3, maxScalarBytes: 8)
        func refused(_ text: String) -> [String] {
            diagnostics { _ = try YAMLDocument(file: "t.yaml", text: text, limits: small) }
        }
        #expect(refused("a: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]").first?.hasPrefix("t.yaml:1: more than 10 values") == true)
        #expect(refused("a: &a [1, 2, 3]\nb: *a\nc: *a\n") == [
            "t.yaml:3: aliases expand to more than 5 values in this file (a YAML alias bomb?); onboard refuses it"
        ])
        #expect(refused("a:\n  b:\n    c:\n      d: 1\n") == ["t.yaml:4: values nest more than 3 levels deep"])
        #expect(refused("a: &a {b: {c: 1}}\nd:\n  e: *a\n") == ["t.yaml:3: alias '*a' nests values more than 3 levels deep"])
        #expect(refused("a: 123456789\n") == ["t.yaml:1: a: a value longer than 8 bytes"])
        #expect(refused("a: [1, 2]\nb: 12345678\n").isEmpty)
    }

    @Test func deepNestingIsRefusedNotRecursedInto() {
        let flow = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        #expect(diagnostics { _ = try YAMLDocument(file: "deep.yaml", text: flow) } == [
            "deep.yaml:1: values nest more than 64 levels deep"
        ])
        let block = (0..<100).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n") + " x\n"
        #expect(diagnostics { _ = try YAMLDocument(file: "deep.yaml", text: block) } == [
            "deep.yaml:65: values nest more than 64 levels deep"
        ])
    }

    @Test func onlyRegularFilesOfBoundedSizeAreRead() throws {
        try TemporaryFolder.with { folder in
            #expect(diagnostics { _ = try YAMLDocument(contentsOf: "/dev/zero") } == [
                "/dev/zero: cannot read the file: not a regular file"
            ])
            #expect(diagnostics { _ = try YAMLDocument(contentsOf: folder.path) } == [
                "\(folder.path): cannot read the file: not a regular file"
            ])
            let big = try folder.write(String(repeating: "# padding\n", count: 300_000), to: "big.yaml")
            #expect(diagnostics { _ = try YAMLDocument(contentsOf: big, limits: YAMLLimits(maxDocumentBytes: 1 << 20)) } == [
                "\(big): the file is larger than 1 MiB, the most onboard reads whole"
            ])
            #expect(diagnostics { _ = try YAMLDocument(contentsOf: folder.path + "/missing.yaml") } == [
                "\(folder.path)/missing.yaml: cannot read the file (no such file)"
            ])
        }
    }
}
