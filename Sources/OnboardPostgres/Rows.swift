// How the records of OnboardCore map to PostgreSQL rows: times as timestamptz, JSON as canonical text in `json`
// columns, enumerations as raw values. Reading a value this release does not know is an error that names the
// row, never a guess. The column lists are those of OnboardSQLite's Rows.swift: the two schemas match.
import Foundation
import OnboardCore
import PostgresNIO

extension PostgresRandomAccessRow {
    func value<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self[column].decode(T.self)
    }

    func enumeration<Value: RawRepresentable>(_ column: String, in table: String) throws -> Value
    where Value.RawValue == String {
        let raw = try value(column, as: String.self)
        guard let value = Value(rawValue: raw) else { throw unknown(raw, column: column, table: table) }
        return value
    }

    func optionalEnumeration<Value: RawRepresentable>(_ column: String, in table: String) throws -> Value?
    where Value.RawValue == String {
        guard let raw = try value(column, as: String?.self) else { return nil }
        guard let value = Value(rawValue: raw) else { throw unknown(raw, column: column, table: table) }
        return value
    }

    func json(_ column: String, in table: String) throws -> JSONValue {
        let text = try value(column, as: String.self)
        do {
            return try JSONValue(jsonData: Data(text.utf8))
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

extension Duration {
    /// Whole microseconds (PostgreSQL's resolution), for `$n * interval '1 microsecond'`.
    var microseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }
}

/// `expression * interval '1 microsecond'`: a Duration bound as microseconds, as an interval.
let microsecond = "interval '1 microsecond'"

extension RunRecord {
    static let columns = """
        id, key, kind, parent_id, batch_id, workflow, definition_digest, inputs_digest, inputs, input_path, \
        status, last_error, created_at, updated_at, lease_owner, lease_expires_at, lease_epoch, base_url, \
        workflow_path
        """

    init(postgres row: PostgresRandomAccessRow) throws {
        self.init(
            id: try row.value("id"),
            key: try row.value("key"),
            kind: try row.enumeration("kind", in: "runs"),
            parentID: try row.value("parent_id"),
            batchID: try row.value("batch_id"),
            workflow: try row.value("workflow"),
            definitionDigest: try row.value("definition_digest"),
            inputsDigest: try row.value("inputs_digest"),
            inputs: try row.json("inputs", in: "runs"),
            inputPath: try row.value("input_path"),
            status: try row.enumeration("status", in: "runs"),
            lastError: try row.value("last_error"),
            createdAt: try row.value("created_at"),
            updatedAt: try row.value("updated_at"),
            leaseOwner: try row.value("lease_owner"),
            leaseExpiresAt: try row.value("lease_expires_at"),
            leaseEpoch: try row.value("lease_epoch"),
            baseURL: try row.value("base_url"),
            workflowPath: try row.value("workflow_path")
        )
    }
}

extension StepRecord {
    static let columns = """
        run_id, step_id, position, status, outputs, attempts, last_error, next_retry_at, input_digest, updated_at
        """

    init(postgres row: PostgresRandomAccessRow) throws {
        guard case .object(let outputs) = try row.json("outputs", in: "steps") else {
            throw StoreError(.io, "steps.outputs is not a JSON object")
        }
        self.init(
            runID: try row.value("run_id"),
            stepID: try row.value("step_id"),
            position: try row.value("position"),
            status: try row.enumeration("status", in: "steps"),
            outputs: outputs,
            attempts: try row.value("attempts"),
            lastError: try row.value("last_error"),
            nextRetryAt: try row.value("next_retry_at"),
            inputDigest: try row.value("input_digest"),
            updatedAt: try row.value("updated_at")
        )
    }
}

extension AttemptRecord {
    static let columns = """
        id, run_id, step_id, purpose, idempotency_key, method, path, started_at, finished_at, outcome, \
        status_code, error, effect, request_digest, inputs_digest, timeout, started_uptime, finished_uptime, \
        boot_id, disproved_at
        """

    init(postgres row: PostgresRandomAccessRow) throws {
        self.init(
            id: try row.value("id"),
            runID: try row.value("run_id"),
            stepID: try row.value("step_id"),
            purpose: try row.enumeration("purpose", in: "attempts"),
            effect: try row.enumeration("effect", in: "attempts"),
            idempotencyKey: try row.value("idempotency_key"),
            method: try row.value("method"),
            path: try row.value("path"),
            startedAt: try row.value("started_at"),
            finishedAt: try row.value("finished_at"),
            outcome: try row.optionalEnumeration("outcome", in: "attempts"),
            statusCode: try row.value("status_code"),
            error: try row.value("error"),
            requestDigest: try row.value("request_digest"),
            inputsDigest: try row.value("inputs_digest"),
            timeout: try row.value("timeout"),
            startedUptime: try row.value("started_uptime"),
            finishedUptime: try row.value("finished_uptime"),
            bootID: try row.value("boot_id"),
            disprovedAt: try row.value("disproved_at")
        )
    }
}

extension BatchRecord {
    static let columns = "id, manifest_path, workflow, created_at, updated_at"

    init(postgres row: PostgresRandomAccessRow) throws {
        self.init(
            id: try row.value("id"),
            manifestPath: try row.value("manifest_path"),
            workflow: try row.value("workflow"),
            createdAt: try row.value("created_at"),
            updatedAt: try row.value("updated_at")
        )
    }
}
