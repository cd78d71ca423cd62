-- 0004_pages.sql: indexes for the pages and metrics of `onboard serve`, as migrations/sqlite/0004_pages.sql (see it
-- for what each serves).

CREATE INDEX runs_status_created ON runs (status, created_at, id);
CREATE INDEX runs_batch_created ON runs (batch_id, created_at, id);
CREATE INDEX runs_batch_kind_status ON runs (batch_id, kind, status, created_at, id, updated_at);
CREATE INDEX runs_parent_status ON runs (parent_id, status, created_at, id);
CREATE INDEX steps_in_doubt ON steps (run_id) WHERE status = 'in_doubt';
