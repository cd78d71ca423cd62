-- 0003_coordination.sql: coordination between processes kept in the store (DESIGN.md section 8, issues 12 and 15).
--
-- * purchase_budgets / purchase_slots: the spend ceiling. A (run, step) that starts a purchase takes one slot of
--   its scope (the run's batch, or the run itself) for good; `used` counts them so that the check against
--   `max_purchases` is one conditional update in the transaction that records the purchase attempt.
-- * request_budgets / request_reservations: one request budget per credential (an opaque digest) shared by every
--   process: the moments reserved for requests, and a pause (a 429's Retry-After). SQLite's moments are seconds of
--   the machine's CLOCK_BOOTTIME, which no wall-clock change moves; `clock` names the boot they belong to, and
--   moments of another boot are discarded.
-- * workflows: definition texts by digest, so a worker runs exactly what was enqueued.
-- * runs_claimable: the runs a worker may claim, oldest first.

CREATE TABLE purchase_budgets (
    scope TEXT NOT NULL PRIMARY KEY,
    max_purchases INTEGER,
    used INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE purchase_slots (
    run_id TEXT NOT NULL,
    step_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (run_id, step_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX purchase_slots_scope ON purchase_slots (scope);

-- Purchases recorded before this migration hold their slots too: a ceiling set later counts them.
INSERT INTO purchase_slots (run_id, step_id, scope, created_at)
SELECT attempts.run_id, attempts.step_id, COALESCE(runs.batch_id, runs.id), MIN(attempts.started_at)
FROM attempts JOIN runs ON runs.id = attempts.run_id
WHERE attempts.effect = 'purchase' AND attempts.purpose = 'send'
GROUP BY attempts.run_id, attempts.step_id;

INSERT INTO purchase_budgets (scope, used)
SELECT scope, COUNT(*) FROM purchase_slots GROUP BY scope;

CREATE TABLE request_budgets (
    credential TEXT NOT NULL PRIMARY KEY,
    clock TEXT NOT NULL,
    paused_until REAL
) STRICT;

CREATE TABLE request_reservations (
    credential TEXT NOT NULL,
    at REAL NOT NULL
) STRICT;

CREATE INDEX request_reservations_credential_at ON request_reservations (credential, at);

CREATE TABLE workflows (
    digest TEXT NOT NULL PRIMARY KEY,
    name TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at REAL NOT NULL
) STRICT;

CREATE INDEX runs_claimable ON runs (created_at, id) WHERE status IN ('pending', 'interrupted', 'running');
