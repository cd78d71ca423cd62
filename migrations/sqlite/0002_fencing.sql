-- 0002_fencing.sql: exactly once under slowness, pauses and edits (DESIGN.md section 8).
--
-- * runs.lease_epoch grows by one every time an execution takes a run's lease; every commit that records or
--   completes work checks owner, epoch and expiry in its own transaction (fencing).
-- * runs.base_url and runs.workflow_path: a run remembers its target, so resume goes where the run started.
-- * attempts record what a lookup needs to pin an in-doubt step to what was sent (request_digest, inputs_digest),
--   the request timeout and CLOCK_BOOTTIME readings with the boot id (the settle window is counted on those when
--   the boot is the same, so a wall-clock jump cannot shorten it), the step's effect, and when a lookup disproved
--   the attempt.
-- * input_versions keeps a run's earlier inputs when they are repinned (--accept-changes), for those lookups.

ALTER TABLE runs ADD COLUMN lease_epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN base_url TEXT;
ALTER TABLE runs ADD COLUMN workflow_path TEXT;

ALTER TABLE attempts ADD COLUMN effect TEXT NOT NULL DEFAULT 'read';
ALTER TABLE attempts ADD COLUMN request_digest TEXT;
ALTER TABLE attempts ADD COLUMN inputs_digest TEXT;
ALTER TABLE attempts ADD COLUMN timeout REAL;
ALTER TABLE attempts ADD COLUMN started_uptime REAL;
ALTER TABLE attempts ADD COLUMN finished_uptime REAL;
ALTER TABLE attempts ADD COLUMN boot_id TEXT;
ALTER TABLE attempts ADD COLUMN disproved_at REAL;

-- Attempts of 0001 were sends of every kind: an unanswered send of a create step must still be looked up first.
UPDATE attempts SET effect = 'create' WHERE purpose = 'send';

CREATE TABLE input_versions (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    digest TEXT NOT NULL,
    inputs TEXT NOT NULL,
    PRIMARY KEY (run_id, digest)
) STRICT, WITHOUT ROWID;
