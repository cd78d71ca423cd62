// The backends the store contract is checked against: every test of this target runs once per factory.
import Foundation
import OnboardCore
import OnboardPostgres
import OnboardRuntime
import Testing

/// Makes fresh, empty stores of one backend.
struct StoreFactory: Sendable, CustomTestStringConvertible {
    var name: String
    /// A new empty database and a way to open more stores on it (another process's view of the same data).
    var make: @Sendable () async throws -> StoreFixture

    var testDescription: String { name }

    /// SQLite: a new file in a new temporary folder.
    static let sqlite = StoreFactory(name: "sqlite") {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("onboard-contract-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        let location = StoreLocation.sqlite(path: folder.appendingPathComponent("onboard.sqlite").path)
        return StoreFixture(location: location) { try? FileManager.default.removeItem(at: folder) }
    }

    /// PostgreSQL: a new schema in the database of `ONBOARD_TEST_POSTGRES_URL` (dropped afterwards), when that is
    /// set. `.ci/run` starts a throwaway server and sets it.
    static let postgres: StoreFactory? = {
        guard let server = ProcessInfo.processInfo.environment[postgresVariable], !server.isEmpty else { return nil }
        return StoreFactory(name: "postgres") {
            let scratch = try PostgresScratchSchema(on: server)
            return StoreFixture(location: .postgres(url: scratch.url)) { await scratch.drop() }
        }
    }()

    static let postgresVariable = "ONBOARD_TEST_POSTGRES_URL"

    /// Every backend this machine can test: SQLite always, PostgreSQL when a server is given.
    static var available: [StoreFactory] {
        guard let postgres else {
            _ = sqliteOnlyNotice
            return [.sqlite]
        }
        return [.sqlite, postgres]
    }

    /// Said once per test process, so a run that skipped PostgreSQL says so.
    private static let sqliteOnlyNotice: Void = {
        FileHandle.standardError.write(
            Data(
                ("note: \(postgresVariable) is not set, so the store contract runs on SQLite only; set it to a "
                    + "PostgreSQL server (postgres://USER@127.0.0.1:PORT/postgres, a user allowed to create schemas there) "
                    + "to run it on PostgreSQL too, as .ci/run does\n").utf8))
    }()
}

/// One fresh database.
struct StoreFixture: Sendable {
    var location: StoreLocation
    var cleanUp: @Sendable () async -> Void

    func open() async throws -> any CheckpointStore { try await location.open(create: true) }
}

/// Runs `body` with a store on a new empty database of `factory`'s backend, removed afterwards.
func withStore(
    _ factory: StoreFactory, _ body: (any CheckpointStore, StoreFixture) async throws -> Void
) async throws {
    let fixture = try await factory.make()
    let store = try await fixture.open()
    do {
        try await body(store, fixture)
        try? await store.close()
        await fixture.cleanUp()
    } catch {
        try? await store.close()
        await fixture.cleanUp()
        throw error
    }
}

/// A fixed instant plus `seconds`.
func time(_ seconds: Double = 0) -> Date {
    Date(timeIntervalSince1970: 1_700_000_000 + seconds)
}

func sampleRun(
    _ key: String, kind: RunKind = .single, parentID: String? = nil, batchID: String? = nil,
    status: RunStatus = .pending, createdAt: Date = time()
) -> RunRecord {
    RunRecord(
        id: "r-" + key.replacingOccurrences(of: "/", with: "-"), key: key, kind: kind, parentID: parentID,
        batchID: batchID, workflow: "quickstart", definitionDigest: "def-digest", inputsDigest: "inputs-digest",
        inputs: ["CompanyName": "Acme", "AreaCode": 801, "Voice": true, "Email": "<redacted>"],
        inputPath: "/tmp/acme.yaml", status: status, createdAt: createdAt, updatedAt: createdAt,
        baseURL: "http://127.0.0.1:8080", workflowPath: "/tmp/quickstart.yaml")
}

func sampleAttempt(
    _ run: RunRecord, _ stepID: String, purpose: AttemptPurpose = .send, effect: StepEffect = .create, n: Int = 1,
    at: Date = time(10)
) -> AttemptRecord {
    AttemptRecord(
        runID: run.id, stepID: stepID, purpose: purpose, effect: purpose == .send ? effect : .read,
        idempotencyKey: "\(run.id)/\(stepID)/\(n)", method: "POST", path: "/api/v1/\(stepID)", startedAt: at,
        requestDigest: "request-\(n)", inputsDigest: run.inputsDigest, timeout: 30, startedUptime: 1000 + Double(n),
        bootID: "boot-1")
}

let quickstartSteps = ["create_account", "create_route", "buy_number", "create_subscriber"]

/// A fresh owner, as an execution would make.
func newOwner() -> String { LeaseOwner.make().rawValue }

/// Takes the run's lease for a new owner; the test fails if it cannot.
func lease(_ store: any CheckpointStore, _ runID: String, duration: Duration = .seconds(60)) async throws -> Lease {
    let acquisition = try await store.acquireLease(runID: runID, owner: newOwner(), duration: duration, replacing: nil)
    guard case .acquired(let lease) = acquisition else {
        Issue.record("expected to take the lease of \(runID), got \(acquisition)")
        throw StoreError(.io, "lease not acquired")
    }
    return lease
}
