import Foundation
import Testing

@testable import OnboardCore

/// Manifests read a unit at a time: items in order, keys that cannot collide, and every problem with its place.
@Suite struct ManifestTests {
    static let definition = InputTests.definition

    static let head = """
        workflow: quickstart
        defaults:
          message_route: {url: "https://hooks.example.com/m"}
          subscriber: {password: pw-inline}
          test_message: {to: "+13105559999"}
        accounts:

        """

    /// What `forEachItem` gives for a manifest written at `m/batch.yaml` in a fresh folder, with other `files`.
    struct Outcome {
        var keys: [String] = []
        var items: [BatchItem] = []
        var problems: [String] = []
        var folder = ""
    }

    static func read(
        _ text: String, files: [String: String] = [:], allowOutside: Bool = false,
        prepare: (TemporaryFolder) throws -> Void = { _ in }
    ) async throws -> Outcome {
        try await TemporaryFolder.with { folder in
            let path = try folder.write(text, to: "m/batch.yaml")
            for (name, content) in files { try folder.write(content, to: name) }
            try prepare(folder)
            var outcome = Outcome(folder: folder.path)
            do {
                let manifest = try Manifest.load(path: path, allowCSVOutside: allowOutside)
                let problems = try await manifest.forEachItem(definition: definition, environment: [:]) { item in
                    outcome.keys.append(item.key)
                    outcome.items.append(item)
                }
                outcome.problems = problems.map(\.description)
            } catch let error as DiagnosticList {
                outcome.problems = error.diagnostics.map(\.description)
            }
            return outcome
        }
    }

    @Test func itemsComeAccountFirstWhereverSubscribersStand() async throws {
        let outcome = try await Self.read(
            Self.head + """
                  - subscribers:
                      - {name: Jane, email: jane@acme.example}
                      - {name: Joe, email: joe@acme.example, area_code: "212"}
                    key: acme
                    message_route: {name: Acme route}
                    account: {name: Acme, admin_email: admin@acme.example}
                  - account: {name: Globex, admin_email: it@globex.example}
                    message_route: {name: Globex route}
                    subscribers: [{name: Ann, email: ann@globex.example}]
                """)
        #expect(outcome.problems == [])
        #expect(outcome.keys == ["acme", "acme/jane@acme.example", "acme/joe@acme.example", "Globex", "Globex/ann@globex.example"])
        let joe = outcome.items[2].inputs.raw
        #expect(joe.value(atPath: "number.area_code") == "212")
        #expect(joe.value(atPath: "account.name") == "Acme")
        #expect(joe.value(atPath: "message_route.name") == "Acme route")
    }

    @Test func anchorsAliasesAndMergeKeysWorkInManifests() async throws {
        let outcome = try await Self.read(
            """
            workflow: quickstart
            defaults:
              message_route: {url: "https://hooks.example.com/m"}
              test_message: {to: "+13105559999"}
            templates: &common {password: pw-inline, role: Manager}
            accounts:
              - &acme
                key: acme
                account: {name: Acme, admin_email: admin@acme.example}
                message_route: {name: Acme route}
                subscribers:
                  - {<<: *common, name: Jane, email: jane@acme.example}
              - <<: *acme
                key: acme-2
            """)
        // `templates` is not a manifest field: reported, and nothing else is wrong.
        #expect(outcome.problems.count == 1)
        #expect(outcome.problems.first?.contains("batch.yaml:5: templates: unknown field 'templates'") == true)
        let ok = try await Self.read(
            """
            workflow: quickstart
            defaults:
              message_route: {url: "https://hooks.example.com/m"}
              test_message: {to: "+13105559999"}
              subscriber: &common {password: pw-inline, role: Manager}
            accounts:
              - &acme
                key: acme
                account: {name: Acme, admin_email: admin@acme.example}
                message_route: {name: Acme route}
                subscribers:
                  - {subscriber: *common, name: Jane, email: jane@acme.example}
              - <<: *acme
                key: acme-2
              - *acme
            """)
        // The third entry is the first again: both its keys are reported, each with the first place.
        #expect(ok.keys == ["acme", "acme/jane@acme.example", "acme-2", "acme-2/jane@acme.example"])
        #expect(
            ok.problems == [
                "\(ok.folder)/m/batch.yaml:15: item 'acme': item key 'acme' is used twice: also at "
                    + "\(ok.folder)/m/batch.yaml:7; give one of them another key",
                "\(ok.folder)/m/batch.yaml:12: item 'acme/jane@acme.example': key: item key 'acme/jane@acme.example' "
                    + "is used twice: also at \(ok.folder)/m/batch.yaml:12; give one of them another key",
            ])
        #expect(ok.items[1].inputs.raw.value(atPath: "subscriber.role") == "Manager")
    }

    // MARK: Keys (issue 9)

    static func account(_ lines: String) -> String {
        lines.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n") + "\n"
    }

    @Test func anAccountKeyWithASlashIsRefusedWithItsPlace() async throws {
        // Before: this account's key equalled the subscriber key of `acme`'s jane, and plan called it valid.
        let outcome = try await Self.read(
            Self.head + """
                  - key: acme
                    account: {name: Acme, admin_email: admin@acme.example}
                    message_route: {name: Acme route}
                    subscribers: [{name: Jane, email: jane@x.example}]
                  - key: acme/jane@x.example
                    account: {name: Other, admin_email: admin@other.example}
                    message_route: {name: Other route}
                """)
        #expect(
            outcome.problems == [
                "\(outcome.folder)/m/batch.yaml:11: accounts.1.key: an account key cannot contain '/': it separates an "
                    + "account from its subscriber in item keys (acme/jane@acme.example)"
            ])
    }

    @Test func aKeyDerivedFromANameNeverHoldsASlash() async throws {
        let outcome = try await Self.read(
            Self.head + """
                  - account: {name: acme/jane@x.example 100%, admin_email: admin@other.example}
                    message_route: {name: Other route}
                  - key: acme
                    account: {name: Acme, admin_email: admin@acme.example}
                    message_route: {name: Acme route}
                    subscribers: [{name: Jane, email: jane@x.example}]
                """)
        #expect(outcome.problems == [])
        #expect(outcome.keys == ["acme%2Fjane@x.example 100%25", "acme", "acme/jane@x.example"])
        // The name itself is sent as written.
        #expect(outcome.items[0].inputs.raw.value(atPath: "account.name") == "acme/jane@x.example 100%")
    }

    @Test func twoItemsWithOneKeyAreReportedAtBothPlaces() async throws {
        let outcome = try await Self.read(
            Self.head + """
                  - key: Acme
                    account: {name: Acme Mobile, admin_email: admin@acme.example}
                    message_route: {name: Acme route}
                    subscribers:
                      - {name: Jane, email: jane@acme.example}
                      - {name: Jane again, email: jane@acme.example}
                  - account: {name: Acme, admin_email: admin@acme2.example}
                    message_route: {name: Acme 2 route}
                """)
        let file = "\(outcome.folder)/m/batch.yaml"
        #expect(
            outcome.problems == [
                "\(file):12: item 'Acme/jane@acme.example': key: item key 'Acme/jane@acme.example' is used twice: also at "
                    + "\(file):11; give one of them another key",
                "\(file):13: item 'Acme': item key 'Acme' is used twice: also at \(file):7; give one of them another key",
            ])
        #expect(outcome.keys == ["Acme", "Acme/jane@acme.example"])
    }

    /// An account entry of the head's `accounts:` list, with the fields every valid account has.
    static let valid = "key: a, account: {name: A, admin_email: a@a.example}, message_route: {name: R}"

    @Test(arguments: [
        ("  - [not, a, mapping]\n", "batch.yaml:7: accounts.0: an account is a mapping"),
        ("  - message_route: {name: R}\n", "batch.yaml:7: accounts.0.account.name: an account needs account.name (or a key)"),
        ("  - {\(valid.replacingOccurrences(of: "key: a", with: "key: [a]"))}\n", "batch.yaml:7: accounts.0.key: must be text"),
        (
            "  - {\(valid.replacingOccurrences(of: "key: a", with: "key: \"a\\u001Bb\""))}\n",
            "batch.yaml:7: accounts.0.key: a key cannot contain control characters"
        ),
        ("  - {\(valid), subscribers: 5}\n", "batch.yaml:7: accounts.0.subscribers: must be a list of subscribers"),
        ("  - {\(valid), subscribers: [5]}\n", "batch.yaml:7: item 'a': accounts.0.subscribers.0: a subscriber is a mapping"),
        ("  - {\(valid), subscribers: [{nmae: x}]}\n", "batch.yaml:7: item 'a': nmae: unknown subscriber field"),
        (
            "  - {\(valid.replacingOccurrences(of: "name: A,", with: "name: A, name: B,"))}\n",
            "batch.yaml:7: accounts.0.account.name: duplicate key 'name'"
        ),
    ])
    func badAccountsAreNamed(entry: String, expected: String) async throws {
        let outcome = try await Self.read(Self.head + entry)
        #expect(outcome.problems.contains { $0.contains(expected) }, "\(outcome.problems)")
    }

    @Test(arguments: [
        ("subscriber: {password: x}\n", "batch.yaml:1: subscriber: unknown field 'subscriber' (a manifest has workflow, batch, max_purchases, defaults, accounts)"),
        ("defaults: 5\naccounts: []\n", "batch.yaml:1: defaults: must be a mapping"),
        ("workflow: quickstart\n", "batch.yaml:1: accounts: is required: a list of accounts"),
        ("accounts: []\naccounts: []\n", "batch.yaml:2: accounts: duplicate key 'accounts'"),
        ("- a\n- b\n", "batch.yaml:1: a manifest is a mapping with workflow, defaults and accounts"),
        ("accounts:\n  - {key: a\n", "YAML syntax error"),
    ])
    func badManifestsAreRefusedAtLoad(text: String, expected: String) async throws {
        let outcome = try await Self.read(text)
        #expect(outcome.problems.contains { $0.contains(expected) }, "\(outcome.problems)")
    }

    @Test func anAliasBombInAManifestIsRefusedAtLoad() async throws {
        let bomb = YAMLDocumentTests.billionLaughs.split(separator: "\n").dropLast().map { "  " + $0 }.joined(separator: "\n")
        let outcome = try await Self.read("defaults:\n" + bomb + "\naccounts:\n  - *lol9\n")
        #expect(
            outcome.problems == [
                "\(outcome.folder)/m/batch.yaml:8: aliases expand to more than 1,000,000 values in this file "
                    + "(a YAML alias bomb?); onboard refuses it"
            ])
    }
}
