-- 0002_fencing.sql: exactly once under slowness, pauses and edits (DESIGN.md section 8); the PostgreSQL twin of
-- migrations/sqlite/0002_fencing.sql.
--
-- * runs.lease_epoch grows by one every time an execution takes a run's lease; every commit that records or
--   completes work checks owner, epoch and expiry (by the server's clock) in its own transaction (fencing).
-- * runs.base_url and runs.workflow_path: a run remembers its target, so resume goes where the run started.
-- * attempts record what a lookup needs to pin an in-doubt step to what was sent (request_digest, inputs_digest),
--   the request timeout and CLOCK_BOOTTIME readings with the boot id of the machine that sent it, the step's
--   effect, and when a lookup disproved the attempt.
-- * input_versions keeps a run's earlier inputs when they are repinned (--accept-changes), for those lookups.

ALTER TABLE runs ADD COLUMN lease_epoch bigint NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN base_url text;
ALTER TABLE runs ADD COLUMN workflow_path text;

ALTER TABLE attempts ADD COLUMN effect text NOT NULL DEFAULT 'read';
ALTER TABLE attempts ADD COLUMN request_digest text;
ALTER TABLE attempts ADD COLUMN inputs_digest text;
ALTER TABLE attempts ADD COLUMN timeout double precision;
ALTER TABLE attempts ADD COLUMN started_uptime double precision;
ALTER TABLE attempts ADD COLUMN finished_uptime double precision;
ALTER TABLE attempts ADD COLUMN boot_id text;
ALTER TABLE attempts ADD COLUMN disproved_at timestamptz;

-- As on SQLite: sends recorded before this migration are treated as creates (a no-op on a new database).
UPDATE attempts SET effect = 'create' WHERE purpose = 'send';

CREATE TABLE input_versions (
    run_id text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    digest text NOT NULL,
    inputs json NOT NULL,
    PRIMARY KEY (run_id, digest)
);
