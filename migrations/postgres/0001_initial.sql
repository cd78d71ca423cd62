-- 0001_initial.sql: the checkpoint store's first schema on PostgreSQL (see DESIGN.md section 4), table for table
-- the schema of migrations/sqlite/0001_initial.sql.
--
-- Shipped migrations are never edited: a change is a new file with the next number, the same number as its
-- SQLite twin. The store runs each file in its own transaction and records its name in onboard_migrations, so
-- there is no BEGIN/COMMIT here.
--
-- Conventions:
-- * Times are timestamptz (microseconds). Lease times and updated_at come from the server's clock.
-- * JSON values are canonical JSON text in `json` columns, which keep the text byte for byte (jsonb would reorder
--   keys and rewrite numbers, and digests are computed on the canonical text).
-- * Enumerations are text holding their raw values and are not CHECKed, so a later release can add a case; the
--   store rejects values it does not know when it reads them.

-- One manifest's worth of runs.
CREATE TABLE batches (
    id text NOT NULL PRIMARY KEY,
    manifest_path text NOT NULL,
    workflow text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

-- One item of work and its pins. `key` ties it to its checkpoints across reruns; the lease says which execution
-- runs it. parent_id and batch_id are not foreign keys: the store does not dictate the order in which a caller
-- creates batches, accounts and subscribers.
CREATE TABLE runs (
    id text NOT NULL PRIMARY KEY,
    key text NOT NULL UNIQUE,
    kind text NOT NULL,
    parent_id text,
    batch_id text,
    workflow text NOT NULL,
    definition_digest text NOT NULL,
    inputs_digest text NOT NULL,
    inputs json NOT NULL,
    input_path text,
    status text NOT NULL,
    last_error text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    lease_owner text,
    lease_expires_at timestamptz
);

CREATE INDEX runs_status ON runs (status);
CREATE INDEX runs_batch_id ON runs (batch_id);
CREATE INDEX runs_parent_id ON runs (parent_id);
-- Listings come back oldest first.
CREATE INDEX runs_created_at ON runs (created_at, id);

-- One step of one run: its state and the outputs it kept.
CREATE TABLE steps (
    run_id text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    step_id text NOT NULL,
    position integer NOT NULL,
    status text NOT NULL,
    outputs json NOT NULL DEFAULT '{}',
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    next_retry_at timestamptz,
    input_digest text,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (run_id, step_id)
);

-- One request, written before it is sent. outcome NULL means nothing was recorded after sending: in doubt.
CREATE TABLE attempts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id text NOT NULL,
    step_id text NOT NULL,
    purpose text NOT NULL,
    idempotency_key text NOT NULL,
    method text NOT NULL,
    path text NOT NULL,
    started_at timestamptz NOT NULL,
    finished_at timestamptz,
    outcome text,
    status_code integer,
    error text,
    FOREIGN KEY (run_id, step_id) REFERENCES steps (run_id, step_id) ON DELETE CASCADE
);

CREATE INDEX attempts_run_step ON attempts (run_id, step_id);
-- The in-doubt attempts a resume looks for.
CREATE INDEX attempts_unfinished ON attempts (run_id) WHERE outcome IS NULL;

-- Output values at most one run may hold (a purchased phone number), and the step that claimed each.
CREATE TABLE claims (
    scope text NOT NULL,
    value text NOT NULL,
    run_id text NOT NULL,
    step_id text NOT NULL,
    PRIMARY KEY (scope, value),
    FOREIGN KEY (run_id, step_id) REFERENCES steps (run_id, step_id) ON DELETE CASCADE
);

CREATE INDEX claims_run_step ON claims (run_id, step_id);
