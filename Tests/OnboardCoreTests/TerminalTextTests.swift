import Testing

@testable import OnboardCore

/// Text from files and inputs is printed with every character that acts on a terminal escaped.
@Suite struct TerminalTextTests {
    @Test(arguments: [
        ("Acme Mobile", "Acme Mobile"),
        ("Zoë Møller 日本", "Zoë Møller 日本"),
        ("a\u{1B}[2Jb", "a\\u{1B}[2Jb"),
        ("line\r\nnext\tx", "line\\u{D}\\u{A}next\\u{9}x"),
        ("\u{7F}\u{9B}\u{0}", "\\u{7F}\\u{9B}\\u{0}"),
        ("evil\u{202E}txt.exe", "evil\\u{202E}txt.exe"),
        ("a\u{2028}b", "a\\u{2028}b"),
    ])
    func escape(text: String, expected: String) {
        #expect(TerminalText.escape(text) == expected)
    }

    @Test func diagnosticsAreEscaped() {
        let diagnostic = Diagnostic(file: "in\u{1B}.yaml", line: 3, field: "a\nb", item: "k\u{7}", message: "m\u{1B}[2J")
        #expect(diagnostic.description == "in\\u{1B}.yaml:3: item 'k\\u{7}': a\\u{A}b: m\\u{1B}[2J")
    }

    @Test func longPartsAreCut() {
        #expect(TerminalText.quote("abcdef", limit: 4) == "abcd… (6 characters)")
        #expect(TerminalText.quote("a\u{1B}", limit: 4) == "a\\u{1B}")
        let diagnostic = Diagnostic(
            file: "f.yaml", line: 1, field: String(repeating: "k", count: 5000), message: String(repeating: "m", count: 5000))
        #expect(
            diagnostic.description
                == "f.yaml:1: \(String(repeating: "k", count: 200))… (5000 characters): "
                + "\(String(repeating: "m", count: 1000))… (5000 characters)")
    }
}
