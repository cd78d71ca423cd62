import Foundation
import OnboardCore
import Testing

/// `onboard demo` with a database of the user's choosing (`--db`, `ONBOARD_DB`), through the same composition root
/// as every other command: a file given with `--db` is replaced, PostgreSQL and the database `ONBOARD_DB` names are
/// added to (the demo's run takes a key of its own), and `onboard show` finds the run there.
@Suite struct DemoDatabaseTests {
    static let input = Harness.root.appendingPathComponent("examples/quickstart.yaml").path

    static func demo(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) async throws -> OnboardBinary.Result {
        var base = OnboardBinary.environment()
        base["ONBOARD_DB"] = nil
        for (key, value) in environment { base[key] = value }
        return try await OnboardBinary.run(["demo", "--input", input] + arguments, directory: directory, environment: base)
    }

    /// The runs of the database, by key, with their status.
    static func runs(_ database: TestDatabase) async throws -> [String: RunStatus] {
        try await database.withStore { store in
            Dictionary(uniqueKeysWithValues: try await store.runs(matching: RunFilter()).map { ($0.key, $0.status) })
        }
    }

    @Test("onboard demo --db URL and ONBOARD_DB=URL run the quick start on PostgreSQL, adding to the database")
    func demoOnPostgres() async throws {
        guard Backend.available.contains(.postgres) else {
            print("skipped: \(Backend.postgresVariable) is not set, so the demo is not run on PostgreSQL")
            return
        }
        try await Harness.with { harness in
            try await TestDatabase.with(.postgres, in: harness.directory) { database in
                let first = try await Self.demo(["--db", database.argument], in: harness.directory)
                #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
                #expect(first.stdout.contains("added to it as run key acme-mobile-demo-"), "\(first.stdout)")
                #expect(first.stdout.contains("test_message"), "\(first.stdout)")
                #expect(!first.stdout.contains("onboard-demo.sqlite"))
                let hint = try #require(first.stdout.split(separator: "\n").first { $0.hasPrefix("next: onboard show ") })
                #expect(hint.contains(" --db 'postgres://") && !hint.contains("onboard-demo.sqlite"), "\(hint)")

                // Again, through ONBOARD_DB: a second run beside the first, nothing cleared.
                let second = try await Self.demo(["--json"], in: harness.directory, environment: ["ONBOARD_DB": database.argument])
                #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
                let report = try JSONValue(jsonData: Data(second.stdout.utf8))
                #expect(report["status"] == "done")
                let runs = try await Self.runs(database)
                #expect(runs.count == 2 && runs.values.allSatisfy { $0 == .done }, "\(runs)")
                #expect(runs.keys.allSatisfy { $0.hasPrefix("acme-mobile-demo-") })

                // What the demo left is there for `onboard show`, like any run of that database.
                let runID = try #require(report["run"]?.stringValue, "\(report)")
                let show = try await OnboardBinary.run(["show", runID, "--db", database.argument, "--json"], directory: harness.directory)
                #expect(show.status == 0, "\(show.stderr)")
                #expect(try JSONValue(jsonData: Data(show.stdout.utf8))["status"] == "done")
                #expect(!FileManager.default.fileExists(atPath: harness.directory.appendingPathComponent("onboard-demo.sqlite").path))
            }
        }
    }

    @Test("onboard demo --db FILE replaces the file; ONBOARD_DB=FILE is added to, never cleared")
    func demoOnAFile() async throws {
        try await Harness.with { harness in
            let replaced = TestDatabase(backend: .sqlite, argument: harness.directory.appendingPathComponent("mine.sqlite").path)
            for _ in 0..<2 {
                let result = try await Self.demo(["--db", replaced.argument], in: harness.directory)
                #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
            }
            #expect(try await Self.runs(replaced) == ["acme-mobile": .done])

            let shared = TestDatabase(backend: .sqlite, argument: harness.directory.appendingPathComponent("work.sqlite").path)
            for _ in 0..<2 {
                let result = try await Self.demo([], in: harness.directory, environment: ["ONBOARD_DB": shared.argument])
                #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
                #expect(result.stdout.contains("checkpoints in \(shared.argument) (added to it as run key acme-mobile-demo-"), "\(result.stdout)")
            }
            let runs = try await Self.runs(shared)
            #expect(runs.count == 2 && runs.values.allSatisfy { $0 == .done }, "\(runs)")
        }
    }
}
