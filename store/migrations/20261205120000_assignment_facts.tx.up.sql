-- The history of every assignment's facts, so that a status "as of" a past
-- date is computed from the facts as they stood on that date.
--
-- An assignment row holds the current facts and a version, bumped by every
-- change (optimistic concurrency: a write names the version it read). Each
-- version's facts are a row of assignment_facts, valid from a day to the day
-- the next version replaced them (Asia/Ho_Chi_Minh calendar days, TEXT
-- 'YYYY-MM-DD'); valid_to is NULL for the current facts. When two versions
-- start on the same day the later one holds for that day (the earlier is
-- valid from D to D: no whole day).
--
-- Tasks record the day they were entered (recorded_on). Rows that existed
-- before this migration, and seeded reference and demo rows, reconstruct
-- past facts: they hold since '0001-01-01'.

ALTER TABLE assignments ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
--bun:split
ALTER TABLE tasks ADD COLUMN recorded_on TEXT NOT NULL DEFAULT '0001-01-01';
--bun:split
CREATE TABLE assignment_facts (
    id {{.PK}},
    assignment_id {{.BigInt}} NOT NULL REFERENCES assignments (id),
    version INTEGER NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    state TEXT NOT NULL,
    progress INTEGER NOT NULL,
    due_date TEXT,
    completed_on TEXT,
    note TEXT NOT NULL DEFAULT '',
    changed_at {{.Timestamp}} NOT NULL,
    changed_by {{.BigInt}} REFERENCES users (id),
    UNIQUE (assignment_id, version),
    CHECK (progress BETWEEN 0 AND 100),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
--bun:split
CREATE INDEX assignment_facts_asof_idx ON assignment_facts (assignment_id, valid_from);
--bun:split
INSERT INTO assignment_facts (assignment_id, version, valid_from, state, progress, due_date, completed_on, changed_at)
SELECT id, 1, '0001-01-01', state, progress, due_date, completed_on, CURRENT_TIMESTAMP FROM assignments;
