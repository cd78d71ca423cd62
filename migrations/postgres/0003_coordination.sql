-- 0003_coordination.sql: coordination between processes kept in the store (DESIGN.md section 8, issues 12 and
-- 15); the PostgreSQL twin of migrations/sqlite/0003_coordination.sql.
--
-- * purchase_budgets / purchase_slots: the spend ceiling. A (run, step) that starts a purchase takes one slot of
--   its scope (the run's batch, or the run itself) for good; `used` counts them so that the check against
--   `max_purchases` is one conditional upsert (which locks the scope's row) in the transaction that records the
--   purchase attempt.
-- * request_budgets / request_reservations: one request budget per credential (an opaque digest) shared by every
--   process and machine: the moments reserved for requests, and a pause (a 429's Retry-After). A reservation locks
--   its credential's row, so reservations of one credential are serialised; moments are the server's clock.
-- * workflows: definition texts by digest, so a worker runs exactly what was enqueued.
-- * runs_claimable: the runs a worker may claim, oldest first.

CREATE TABLE purchase_budgets (
    scope text NOT NULL PRIMARY KEY,
    max_purchases integer,
    used integer NOT NULL DEFAULT 0
);

CREATE TABLE purchase_slots (
    run_id text NOT NULL,
    step_id text NOT NULL,
    scope text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (run_id, step_id)
);

CREATE INDEX purchase_slots_scope ON purchase_slots (scope);

-- Purchases recorded before this migration hold their slots too: a ceiling set later counts them.
INSERT INTO purchase_slots (run_id, step_id, scope, created_at)
SELECT attempts.run_id, attempts.step_id, COALESCE(runs.batch_id, runs.id), MIN(attempts.started_at)
FROM attempts JOIN runs ON runs.id = attempts.run_id
WHERE attempts.effect = 'purchase' AND attempts.purpose = 'send'
GROUP BY attempts.run_id, attempts.step_id, runs.batch_id, runs.id;

INSERT INTO purchase_budgets (scope, used)
SELECT scope, COUNT(*) FROM purchase_slots GROUP BY scope;

CREATE TABLE request_budgets (
    credential text NOT NULL PRIMARY KEY,
    paused_until timestamptz
);

CREATE TABLE request_reservations (
    credential text NOT NULL,
    at timestamptz NOT NULL
);

CREATE INDEX request_reservations_credential_at ON request_reservations (credential, at);

CREATE TABLE workflows (
    digest text NOT NULL PRIMARY KEY,
    name text NOT NULL,
    text text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE INDEX runs_claimable ON runs (created_at, id) WHERE status IN ('pending', 'interrupted', 'running');
