// How the records of OnboardCore map to rows: times as Unix seconds (REAL), JSON as canonical text, enumerations
// as raw values. Reading a value this release does not know is an error that names the row, never a guess.
import Foundation
import GRDB
import OnboardCore

extension Date {
    /// The stored form of a time: Unix seconds.
    var storedSeconds: Double { timeIntervalSince1970 }
}

extension Row {
    func date(_ column: String) throws -> Date {
        Date(timeIntervalSince1970: try decode(Double.self, forColumn: column))
    }

    func optionalDate(_ column: String) throws -> Date? {
        try decode(Double?.self, forColumn: column).map(Date.init(timeIntervalSince1970:))
    }

    func enumeration<Value: RawRepresentable>(_ column: String, in table: String) throws -> Value
    where Value.RawValue == String {
        let raw = try decode(String.self, forColumn: column)
        guard let value = Value(rawValue: raw) else { throw unknown(raw, column: column, table: table) }
        return value
    }

    func optionalEnumeration<Value: RawRepresentable>(_ column: String, in table: String) throws -> Value?
    where Value.RawValue == String {
        guard let raw = try decode(String?.self, forColumn: column) else { return nil }
        guard let value = Value(rawValue: raw) else { throw unknown(raw, column: column, table: table) }
        return value
    }

    func json(_ column: String, in table: String) throws -> JSONValue {
        let text = try decode(String.self, forColumn: column)
        do {
            return try JSONValue(jsonText: text)
        } catch {
            throw StoreError(.io, "\(table).\(column) holds malformed JSON")
        }
    }

    private func unknown(_ raw: String, column: String, table: String) -> StoreError {
        StoreError(
            .io,
            "\(table).\(column) holds '\(raw)', which this release of onboard does not know; "
                + "the database was probably written by a newer release")
    }
}

extension RunRecord {
    static let columns = """
        id, key, kind, parent_id, batch_id, workflow, definition_digest, inputs_digest, inputs, input_path, \
        status, last_error, created_at, updated_at, lease_owner, lease_expires_at, lease_epoch, base_url, \
        workflow_path
        """

    init(row: Row) throws {
        self.init(
            id: try row.decode(forColumn: "id"),
            key: try row.decode(forColumn: "key"),
            kind: try row.enumeration("kind", in: "runs"),
            parentID: try row.decode(forColumn: "parent_id"),
            batchID: try row.decode(forColumn: "batch_id"),
            workflow: try row.decode(forColumn: "workflow"),
            definitionDigest: try row.decode(forColumn: "definition_digest"),
            inputsDigest: try row.decode(forColumn: "inputs_digest"),
            inputs: try row.json("inputs", in: "runs"),
            inputPath: try row.decode(forColumn: "input_path"),
            status: try row.enumeration("status", in: "runs"),
            lastError: try row.decode(forColumn: "last_error"),
            createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at"),
            leaseOwner: try row.decode(forColumn: "lease_owner"),
            leaseExpiresAt: try row.optionalDate("lease_expires_at"),
            leaseEpoch: try row.decode(forColumn: "lease_epoch"),
            baseURL: try row.decode(forColumn: "base_url"),
            workflowPath: try row.decode(forColumn: "workflow_path")
        )
    }

    /// Arguments in the order of `columns`.
    var arguments: StatementArguments {
        [
            id, key, kind.rawValue, parentID, batchID, workflow, definitionDigest, inputsDigest,
            inputs.canonicalString(), inputPath, status.rawValue, lastError, createdAt.storedSeconds,
            updatedAt.storedSeconds, leaseOwner, leaseExpiresAt?.storedSeconds, leaseEpoch, baseURL, workflowPath,
        ]
    }
}

extension StepRecord {
    static let columns = """
        run_id, step_id, position, status, outputs, attempts, last_error, next_retry_at, input_digest, updated_at
        """

    init(row: Row) throws {
        guard case .object(let outputs) = try row.json("outputs", in: "steps") else {
            throw StoreError(.io, "steps.outputs is not a JSON object")
        }
        self.init(
            runID: try row.decode(forColumn: "run_id"),
            stepID: try row.decode(forColumn: "step_id"),
            position: try row.decode(forColumn: "position"),
            status: try row.enumeration("status", in: "steps"),
            outputs: outputs,
            attempts: try row.decode(forColumn: "attempts"),
            lastError: try row.decode(forColumn: "last_error"),
            nextRetryAt: try row.optionalDate("next_retry_at"),
            inputDigest: try row.decode(forColumn: "input_digest"),
            updatedAt: try row.date("updated_at")
        )
    }
}

extension AttemptRecord {
    static let columns = """
        id, run_id, step_id, purpose, idempotency_key, method, path, started_at, finished_at, outcome, \
        status_code, error, effect, request_digest, inputs_digest, timeout, started_uptime, finished_uptime, \
        boot_id, disproved_at
        """

    init(row: Row) throws {
        self.init(
            id: try row.decode(forColumn: "id"),
            runID: try row.decode(forColumn: "run_id"),
            stepID: try row.decode(forColumn: "step_id"),
            purpose: try row.enumeration("purpose", in: "attempts"),
            effect: try row.enumeration("effect", in: "attempts"),
            idempotencyKey: try row.decode(forColumn: "idempotency_key"),
            method: try row.decode(forColumn: "method"),
            path: try row.decode(forColumn: "path"),
            startedAt: try row.date("started_at"),
            finishedAt: try row.optionalDate("finished_at"),
            outcome: try row.optionalEnumeration("outcome", in: "attempts"),
            statusCode: try row.decode(forColumn: "status_code"),
            error: try row.decode(forColumn: "error"),
            requestDigest: try row.decode(forColumn: "request_digest"),
            inputsDigest: try row.decode(forColumn: "inputs_digest"),
            timeout: try row.decode(forColumn: "timeout"),
            startedUptime: try row.decode(forColumn: "started_uptime"),
            finishedUptime: try row.decode(forColumn: "finished_uptime"),
            bootID: try row.decode(forColumn: "boot_id"),
            disprovedAt: try row.optionalDate("disproved_at")
        )
    }
}

extension BatchRecord {
    static let columns = "id, manifest_path, workflow, created_at, updated_at"

    init(row: Row) throws {
        self.init(
            id: try row.decode(forColumn: "id"),
            manifestPath: try row.decode(forColumn: "manifest_path"),
            workflow: try row.decode(forColumn: "workflow"),
            createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at")
        )
    }
}
