// Scoped test resources: a fresh temporary folder (and database file) per test, and sample records.
import Foundation
import OnboardCore
import OnboardSQLite

/// Runs `body` with a new empty folder, removed afterwards whether `body` returns or throws.
@discardableResult
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("onboard-store-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(at: folder) }
    return try await body(folder)
}

/// Runs `body` with a store on a new database file of its own (`path`).
@discardableResult
func withStore<T>(_ body: (SQLiteCheckpointStore, _ path: String) async throws -> T) async throws -> T {
    try await withTemporaryDirectory { folder in
        let path = folder.appendingPathComponent("onboard.sqlite").path
        let store = try SQLiteCheckpointStore(path: path)
        defer { try? store.close() }
        return try await body(store, path)
    }
}

/// A fixed instant plus `seconds`: whole and binary fractions of seconds survive Unix-seconds storage exactly.
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
        inputPath: "/tmp/acme.yaml", status: status, createdAt: createdAt, updatedAt: createdAt)
}

func sampleAttempt(
    _ run: RunRecord, _ stepID: String, purpose: AttemptPurpose = .send, n: Int = 1, at: Date = time(10)
) -> AttemptRecord {
    AttemptRecord(
        runID: run.id, stepID: stepID, purpose: purpose, effect: purpose == .send ? .create : .read,
        idempotencyKey: "\(run.id)/\(stepID)/\(n)", method: "POST", path: "/api/v1/\(stepID)", startedAt: at)
}

let quickstartSteps = ["create_account", "create_route", "buy_number", "create_subscriber"]

/// Takes the run's lease for a new owner.
func takeLease(_ store: SQLiteCheckpointStore, _ runID: String) async throws -> Lease {
    guard case .acquired(let lease) = try await store.acquireLease(
        runID: runID, owner: LeaseOwner.make().rawValue, duration: .seconds(60), replacing: nil)
    else { throw StoreError(.io, "lease of \(runID) not acquired") }
    return lease
}
