-- Deadline extensions: an assignee asks for a later due date with a reason,
-- and the assigning level approves or rejects it. An approval changes the
-- assignment's current due date through its facts (a new version of
-- assignment_facts, valid from the day of the decision), so statuses as of
-- any date are judged against the due date in force then; facts_version is
-- that version, linking the due date's history to the request that set it.
--
-- The original deadline is the task's own due date (tasks.due_date): an
-- assignment starts with it and only an extension changes it, so nothing
-- more is stored for it.
--
-- At most one open (PENDING) request per assignment: the partial unique
-- index enforces it on SQLite and PostgreSQL alike.
CREATE TABLE extension_requests (
    id {{.PK}},
    assignment_id {{.BigInt}} NOT NULL REFERENCES assignments (id),
    deadline_text TEXT NOT NULL,
    requested_due_date TEXT NOT NULL,
    precision TEXT NOT NULL,
    previous_due_date TEXT,
    reason TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'PENDING',
    requested_by {{.BigInt}} NOT NULL REFERENCES users (id),
    requested_at {{.Timestamp}} NOT NULL,
    decided_by {{.BigInt}} REFERENCES users (id),
    decided_at {{.Timestamp}},
    decision_note TEXT NOT NULL DEFAULT '',
    facts_version INTEGER,
    CHECK (state IN ('PENDING', 'APPROVED', 'REJECTED')),
    CHECK ((state = 'PENDING') = (decided_at IS NULL)),
    CHECK (reason <> '')
);
--bun:split
CREATE UNIQUE INDEX extension_requests_one_open ON extension_requests (assignment_id) WHERE state = 'PENDING';
--bun:split
CREATE INDEX extension_requests_assignment_idx ON extension_requests (assignment_id, id);
