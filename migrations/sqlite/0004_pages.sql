-- 0004_pages.sql: indexes for the pages and metrics of `onboard serve` (DESIGN.md section 8), so that a view of a
-- database of 100,000 runs reads about a page of rows, and counts come from indexes instead of every run.
--
-- * runs_status_created: `/` filtered by status, newest first (ORDER BY created_at DESC, id DESC LIMIT/OFFSET), and
--   the runs being executed now (status = 'running').
-- * runs_batch_created: a batch's runs in order (`/` filtered by batch, `/api/batches/ID`, a batch's accounts).
-- * runs_batch_kind_status: a batch's counts per status, of all its runs or of its accounts, and of those changed
--   lately (its rate), from the index alone; and the accounts of a batch in one status (those that block others).
-- * runs_parent_status: an account's subscribers counted per status, from the index alone.
-- * steps_in_doubt: the steps in doubt, counted at every scrape of /metrics and on every batch page, without
--   reading every step (queries name the status literally so that SQLite can use this partial index).
--
-- runs_status, runs_batch_id and runs_parent_id (0001) stay: these begin with the same columns, but other queries
-- may name them.

CREATE INDEX runs_status_created ON runs (status, created_at, id);
CREATE INDEX runs_batch_created ON runs (batch_id, created_at, id);
CREATE INDEX runs_batch_kind_status ON runs (batch_id, kind, status, created_at, id, updated_at);
CREATE INDEX runs_parent_status ON runs (parent_id, status, created_at, id);
CREATE INDEX steps_in_doubt ON steps (run_id) WHERE status = 'in_doubt';
