import Foundation
import Testing

@testable import OnboardCore

/// CSV subscriber lists: RFC 4180 as spreadsheets write it, streamed, and never a way to read other files.
@Suite struct CSVTests {
    func rows(_ bytes: [UInt8]) throws -> [CSVReader.Row] {
        try TemporaryFolder.with { folder in
            let reader = try CSVReader(path: try folder.write(Data(bytes), to: "s.csv"))
            var rows: [CSVReader.Row] = []
            while let row = try reader.nextRow() { rows.append(row) }
            return rows
        }
    }

    func rows(_ text: String) throws -> [CSVReader.Row] { try rows(Array(text.utf8)) }

    @Test func crlfAndLfAndABomReadAlike() throws {
        let expected = [["name", "email"], ["Ann Lee", "ann@x.example"], ["Bo", "bo@x.example"]]
        let lf = "name,email\nAnn Lee,ann@x.example\nBo,bo@x.example\n"
        let crlf = lf.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try rows(lf).map(\.fields) == expected)
        #expect(try rows(crlf).map(\.fields) == expected)
        #expect(try rows([0xEF, 0xBB, 0xBF] + Array(crlf.utf8)).map(\.fields) == expected)
        #expect(try rows(crlf).map(\.line) == [1, 2, 3])
        // No line end after the last row, a lone CR, blank lines.
        #expect(try rows("a,b\r1,2\r\n\r\n  \n3,4").map(\.fields) == [["a", "b"], ["1", "2"], ["3", "4"]])
        #expect(try rows("a,b\r1,2\r\n\r\n  \n3,4").map(\.line) == [1, 2, 5])
    }

    @Test func quotedFieldsHoldCommasQuotesAndLineBreaks() throws {
        let text = "name,body\r\n\"Cruz, Dana\",\"She said \"\"hi\"\"\"\r\n\"Lee\",\"two\r\nlines\nhere\"\r\nBo, \"  kept  \" \r\n\"\",x\n"
        let read = try rows(text)
        #expect(
            read.map(\.fields) == [
                ["name", "body"], ["Cruz, Dana", "She said \"hi\""], ["Lee", "two\r\nlines\nhere"], ["Bo", "  kept  "],
                ["", "x"],
            ])
        // A row's line is where it starts, even after a field that spans lines.
        #expect(read.map(\.line) == [1, 2, 3, 6, 7])
    }

    @Test func aQuoteInsideAnUnquotedFieldIsText() throws {
        #expect(try rows("a\"b,c\n").map(\.fields) == [["a\"b", "c"]])
    }

    @Test(arguments: [
        ("a,b\n\"open,x\n1,2\n", "s.csv:2: a quoted field opened on this line is not closed"),
        ("a,b\n1,\u{0}\n", "s.csv:2: not a text file (it holds a NUL byte)"),
    ])
    func brokenFilesAreNamedNotQuoted(text: String, expected: String) throws {
        let found = diagnostics { _ = try rows(text) }
        #expect(found.count == 1 && found[0].hasSuffix(expected), "\(found)")
    }

    @Test func aRowIsBoundedInLength() throws {
        let found = diagnostics { _ = try rows("a\n\"" + String(repeating: "x", count: CSVReader.maxRowBytes + 10)) }
        #expect(found.count == 1 && found[0].hasSuffix("s.csv:2: a row longer than 1 MiB (an unclosed quote?)"), "\(found)")
    }

    // MARK: In a manifest

    static func manifest(csv: String) -> String {
        ManifestTests.head + """
              - key: globex
                account: {name: Globex, admin_email: it@globex.example}
                message_route: {name: Globex route}
                subscribers_csv: \(csv)
            """
    }

    @Test func spreadsheetCSVsBecomeItems() async throws {
        let csv = "\u{FEFF}name,email,area_code,to\r\n\"Cruz, Dana\",dana@globex.example,310,\r\nBo,bo@globex.example,,+14155550102\r\n"
        let outcome = try await ManifestTests.read(Self.manifest(csv: "subs.csv"), files: ["m/subs.csv": csv])
        #expect(outcome.problems == [])
        #expect(outcome.keys == ["globex", "globex/dana@globex.example", "globex/bo@globex.example"])
        #expect(outcome.items[1].inputs.raw.value(atPath: "subscriber.name") == "Cruz, Dana")
        #expect(outcome.items[1].inputs.raw.value(atPath: "test_message.to") == "+13105559999")  // empty cell: default
        #expect(outcome.items[2].inputs.raw.value(atPath: "test_message.to") == "+14155550102")
    }

    @Test func aCSVOutsideTheManifestsFolderIsRefused() async throws {
        let secret = "root:$6$SECRET-HASH:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"
        for written in ["../secret.csv", "../../\(UUID().uuidString)/x.csv", "link.csv", "sub/../../secret.csv"] {
            let outcome = try await ManifestTests.read(Self.manifest(csv: written), files: ["secret.csv": secret]) { folder in
                try FileManager.default.createSymbolicLink(
                    atPath: folder.path + "/m/link.csv", withDestinationPath: folder.path + "/secret.csv")
            }
            #expect(outcome.problems.count == 1, "\(written): \(outcome.problems)")
            let problem = outcome.problems.first ?? ""
            #expect(problem.hasPrefix("\(outcome.folder)/m/batch.yaml:10: item 'globex': accounts.0.subscribers_csv: "), "\(problem)")
            #expect(!problem.contains("SECRET"))
            #expect(problem.contains("outside the manifest's folder") || problem.contains("no such file"), "\(problem)")
        }
    }

    @Test func aFileThatIsNotASubscriberListGivesOneErrorAndNoContent() async throws {
        let secret = (0..<50).map { "user\($0):$6$SECRET-HASH-\($0):19000:0:99999:7:::" }.joined(separator: "\n")
        // One error for the file, not one per line, and nothing of what it holds.
        let outcome = try await ManifestTests.read(
            Self.manifest(csv: "../secret.csv"), files: ["secret.csv": secret], allowOutside: true)
        #expect(
            outcome.problems == [
                "\(outcome.folder)/secret.csv:1: item 'globex': not a subscriber list: its first line must name the "
                    + "columns (key, area_code, body, email, message_type, name, number_type, password, product_type, "
                    + "role, to, zip_code); none of its 1 column is one of them"
            ])
        let device = try await ManifestTests.read(Self.manifest(csv: "/dev/zero"), allowOutside: true)
        #expect(device.problems == ["/dev/zero: item 'globex': cannot read the CSV file: not a regular file"])
    }

    @Test func unknownColumnsAreNamedOnlyWhenTheyLookLikeNames() async throws {
        let csv = "name,email,emial,\u{1B}[2Jroot:x\nA,a@globex.example,x,y\n"
        let outcome = try await ManifestTests.read(Self.manifest(csv: "s.csv"), files: ["m/s.csv": csv])
        #expect(
            outcome.problems == [
                "\(outcome.folder)/m/s.csv:1: item 'globex': unknown columns 'emial', number 4 (the columns are: key, "
                    + "area_code, body, email, message_type, name, number_type, password, product_type, role, to, zip_code)"
            ])
    }

    @Test func rowsKeepTheirOwnLinesInErrors() async throws {
        let csv = "name,email\r\n\"Multi\r\nline\",ok@globex.example\r\nBad,not-an-email\r\nShort\r\n"
        let outcome = try await ManifestTests.read(Self.manifest(csv: "s.csv"), files: ["m/s.csv": csv])
        let file = "\(outcome.folder)/m/s.csv"
        #expect(
            outcome.problems == [
                "\(file):2: item 'globex/ok@globex.example': subscriber.name: contains a line break or tab (U+000D) at "
                    + "character 6; it is not allowed in this field",
                "\(file):4: item 'globex/not-an-email': subscriber.email: not an email address ('not-an-email')",
                "\(file):5: item 'globex': 1 fields where the header has 2",
            ])
    }
}
