-- 0005_accepted_changes.sql: what `--accept-changes` accepted stays on record (issue 11).
--
-- A run repinned to new inputs or a new definition while steps it had finished (or left in doubt) were built from
-- the old ones keeps, per acceptance, the lines that were shown then: the API still holds what the old values made.
-- `onboard show` and the run page print them for as long as the run exists.

CREATE TABLE accepted_changes (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    accepted_at REAL NOT NULL,
    lines TEXT NOT NULL -- a JSON array of the lines shown when the changes were accepted
);
CREATE INDEX accepted_changes_run ON accepted_changes (run_id, accepted_at);
