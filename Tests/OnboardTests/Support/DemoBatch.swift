import Foundation
import OnboardCore
import OnboardRuntime
import OnboardSQLite
import Synchronization
import TelegentSimulator
import Testing

/// A database produced by a real batch against the in-process simulator, with one failure and one step in doubt:
/// what the tests of `onboard serve` (HTTP and browser) read.
///
/// - `globex` comes first and its message route is answered 400: the account fails, and its two subscribers are
///   blocked behind it (they never get a run).
/// - `acme`'s first subscriber has its `subscriber` request dropped after the API applied it, and the workflow
///   (a copy of quickstart without that step's lookup) cannot look it up: in doubt, for a person to resolve.
/// - The third account's key and name are `<script>alert(1)</script>`: every page must show it as text.
///
/// Built once per test process (the batch takes a few seconds) into a folder of its own; tests open the file.
struct DemoBatch: Sendable {
    static let hostile = "<script>alert(1)</script>"
    /// The hostile account's item key: taken from its name, with `/` (which separates item keys) written `%2F`.
    static let hostileKey = "<script>alert(1)<%2Fscript>"

    let directory: URL
    let dbPath: String
    let manifestPath: String
    /// The copy of quickstart without the subscriber step's lookup.
    let workflowPath: String
    let batchID: String

    var failedAccountRunID: String { Runner.runID(forKey: "globex") }
    var inDoubtRunID: String { Runner.runID(forKey: "acme/jane@acme.example") }
    var hostileRunID: String { Runner.runID(forKey: Self.hostileKey) }

    static func shared() async throws -> DemoBatch { try await cache.value.get() }

    private static let cache = Task<Result<DemoBatch, any Error>, Never> {
        do { return .success(try await make()) } catch { return .failure(error) }
    }

    static let manifest = """
        workflow: quickstart
        batch: demo-launch
        defaults:
          message_route: {url: "https://hooks.example.com/m"}
          number: {area_code: "801"}
          subscriber: {password: "${env.ONBOARD_SUBSCRIBER_PASSWORD}"}
          test_message: {to: "+13105559999"}
        accounts:
          - key: globex
            account: {name: Globex Wireless, admin_email: it@globex.example}
            message_route: {name: Globex messages}
            subscribers:
              - {name: Ann Lee, email: ann@globex.example}
              - {name: Bo Chen, email: bo@globex.example}
          - key: acme
            account: {name: Acme Mobile, admin_email: admin@acme.example}
            message_route: {name: Acme messages}
            subscribers:
              - {name: Jane Doe, email: jane@acme.example}
              - {name: Joe Roe, email: joe@acme.example}
          - account: {name: "\(hostile)", admin_email: mallory@example.com}
            message_route: {name: "<b>route</b>"}
            subscribers:
              - {name: "Eve <img src=x onerror=alert(2)>", email: eve@example.com}

        """

    /// The folder to remove when the test process exits.
    private static let folder = Mutex<String?>(nil)

    private static func make() async throws -> DemoBatch {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("onboard-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        folder.withLock { $0 = directory.path }
        atexit { DemoBatch.folder.withLock { $0 }.map { try? FileManager.default.removeItem(atPath: $0) } }
        let workflowPath = directory.appendingPathComponent("quickstart-no-subscriber-lookup.yaml").path
        try workflowWithoutLookup(of: "subscriber").write(toFile: workflowPath, atomically: true, encoding: .utf8)
        let manifestPath = directory.appendingPathComponent("demo-launch.yaml").path
        try manifest.write(toFile: manifestPath, atomically: true, encoding: .utf8)
        let dbPath = directory.appendingPathComponent("demo.sqlite").path
        let batchID = try await Harness.with { harness in
            let workflow = try WorkflowLoader.load(path: workflowPath)
            #expect(workflow.step("subscriber")?.reconcile == nil)
            harness.simulator.world.addFaults([
                FaultRule(method: "POST", path: "/v1.0/message/routes", action: .status, status: 400, count: 1),
                FaultRule(method: "POST", path: "/v1.0/subscribers/create", action: .drop, count: 1),
            ])
            let batchID = try await harness.withEngine(workflow: workflow) { engine in
                try await BatchRunner(runner: engine.runner, options: .init(concurrency: 1))
                    .run(try Manifest.load(path: manifestPath), environment: Harness.environment).batchID
            }
            try harness.store.close()
            // With its WAL companions, in case the last close did not fold the log into the file.
            for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: harness.dbPath + suffix) {
                try FileManager.default.copyItem(atPath: harness.dbPath + suffix, toPath: dbPath + suffix)
            }
            return batchID
        }
        return DemoBatch(
            directory: directory, dbPath: dbPath, manifestPath: manifestPath, workflowPath: workflowPath, batchID: batchID)
    }

    /// The text of workflows/quickstart.yaml with the `reconcile:` block of step `step` taken out.
    static func workflowWithoutLookup(of step: String) throws -> String {
        let text = try String(contentsOfFile: Harness.root.appendingPathComponent("workflows/quickstart.yaml").path, encoding: .utf8)
        var lines = text.components(separatedBy: "\n")
        guard let start = lines.firstIndex(of: "  - id: \(step)"),
            let reconcile = lines[start...].firstIndex(of: "    reconcile:")
        else { throw DemoBatchError(message: "no reconcile block for \(step) in quickstart.yaml") }
        var end = reconcile + 1
        while end < lines.count && (lines[end].hasPrefix("      ") || lines[end].trimmingCharacters(in: .whitespaces).isEmpty) {
            end += 1
        }
        lines.removeSubrange(reconcile..<end)
        return lines.joined(separator: "\n")
    }
}

struct DemoBatchError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
