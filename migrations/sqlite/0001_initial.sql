-- 0001_initial.sql: the checkpoint store's first schema (see DESIGN.md section 4).
--
-- Shipped migrations are never edited: a change is a new file, 0002_name.sql, and so on.
-- GRDB's DatabaseMigrator runs this file in its own transaction, so there is no BEGIN/COMMIT here.
--
-- Conventions:
-- * Times are Unix seconds (REAL), so `lease_expires_at < ?` compares numbers and
--   `datetime(created_at, 'unixepoch')` reads them in the sqlite3 shell.
-- * JSON values are canonical JSON text (sorted keys, no whitespace).
-- * Enumerations are stored as their raw values and are not CHECKed, so a later release can add a case without
--   rebuilding a table; the store rejects values it does not know when it reads them.
-- * Tables are STRICT (SQLite 3.37+), so a value of the wrong type is an error instead of a silent conversion.

-- One manifest's worth of runs.
CREATE TABLE batches (
    id TEXT NOT NULL PRIMARY KEY,
    manifest_path TEXT NOT NULL,
    workflow TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
) STRICT;

-- One item of work and its pins. `key` ties it to its checkpoints across reruns; the lease says which process
-- executes it. parent_id and batch_id are not foreign keys: the store does not dictate the order in which a
-- caller creates batches, accounts and subscribers.
CREATE TABLE runs (
    id TEXT NOT NULL PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    parent_id TEXT,
    batch_id TEXT,
    workflow TEXT NOT NULL,
    definition_digest TEXT NOT NULL,
    inputs_digest TEXT NOT NULL,
    inputs TEXT NOT NULL,
    input_path TEXT,
    status TEXT NOT NULL,
    last_error TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    lease_owner TEXT,
    lease_expires_at REAL
) STRICT;

CREATE INDEX runs_status ON runs (status);
CREATE INDEX runs_batch_id ON runs (batch_id);
CREATE INDEX runs_parent_id ON runs (parent_id);
-- Listings come back oldest first.
CREATE INDEX runs_created_at ON runs (created_at, id);

-- One step of one run: its state and the outputs it kept.
CREATE TABLE steps (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    step_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    status TEXT NOT NULL,
    outputs TEXT NOT NULL DEFAULT '{}',
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_retry_at REAL,
    input_digest TEXT,
    updated_at REAL NOT NULL,
    PRIMARY KEY (run_id, step_id)
) STRICT, WITHOUT ROWID;

-- One request, written before it is sent. outcome NULL means nothing was recorded after sending: in doubt.
CREATE TABLE attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    step_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    started_at REAL NOT NULL,
    finished_at REAL,
    outcome TEXT,
    status_code INTEGER,
    error TEXT,
    FOREIGN KEY (run_id, step_id) REFERENCES steps (run_id, step_id) ON DELETE CASCADE
) STRICT;

CREATE INDEX attempts_run_step ON attempts (run_id, step_id);
-- The in-doubt attempts a resume looks for.
CREATE INDEX attempts_unfinished ON attempts (run_id) WHERE outcome IS NULL;

-- Output values at most one run may hold (a purchased phone number), and the step that claimed each.
CREATE TABLE claims (
    scope TEXT NOT NULL,
    value TEXT NOT NULL,
    run_id TEXT NOT NULL,
    step_id TEXT NOT NULL,
    PRIMARY KEY (scope, value),
    FOREIGN KEY (run_id, step_id) REFERENCES steps (run_id, step_id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE INDEX claims_run_step ON claims (run_id, step_id);
