-- Alerts raised by the scheduler's alert scan (alerts.Store.Scan), and the
-- record of every scheduled job's runs.
--
-- An alert is about a subject: an assignment (subject_kind ASSIGNMENT) today;
-- an indicator value due for submission (REPORT_DUE) is one more subject kind
-- with its own rule, written to the same table. Exactly once: the unique key
-- (subject_kind, subject_id, kind, due_date) makes a rerun, a restart or two
-- processes scanning together insert nothing twice (INSERT … ON CONFLICT DO
-- NOTHING). A new due date in force (an approved extension) is a new key, so
-- a new cycle of alerts; the old cycle's open alerts are resolved.
--
-- org_unit_id is the unit the alert concerns (the assignment's), copied so
-- that scoping reads no subject table. escalated marks an OVERDUE_30_DAYS
-- alert of a province or ministry, which also goes to the coordinators.
CREATE TABLE alerts (
    id {{.PK}},
    subject_kind TEXT NOT NULL,
    subject_id {{.BigInt}} NOT NULL,
    kind TEXT NOT NULL,
    due_date TEXT NOT NULL,
    org_unit_id {{.BigInt}} NOT NULL REFERENCES org_units (id),
    escalated {{.Bool}} NOT NULL DEFAULT FALSE,
    raised_at {{.Timestamp}} NOT NULL,
    job_run_id {{.BigInt}} NOT NULL,
    acknowledged_at {{.Timestamp}},
    acknowledged_by {{.BigInt}} REFERENCES users (id),
    resolved_at {{.Timestamp}},
    resolution TEXT NOT NULL DEFAULT '',
    UNIQUE (subject_kind, subject_id, kind, due_date)
);
--bun:split
-- The open alerts of a subject (resolving on finish, cancel, extension).
CREATE INDEX alerts_open_idx ON alerts (subject_id) WHERE resolved_at IS NULL;
--bun:split
CREATE INDEX alerts_run_idx ON alerts (job_run_id, id);
--bun:split
CREATE INDEX alerts_unit_idx ON alerts (org_unit_id, id);
--bun:split
-- Every run of a scheduled job, on whichever process ran it: outcome
-- RUNNING, OK or FAILED; counts as JSON ({"DUE_IN_7_DAYS": 3, …}).
CREATE TABLE job_runs (
    id {{.PK}},
    job TEXT NOT NULL,
    trigger TEXT NOT NULL,
    started_at {{.Timestamp}} NOT NULL,
    ended_at {{.Timestamp}},
    outcome TEXT NOT NULL DEFAULT 'RUNNING',
    counts TEXT NOT NULL DEFAULT '{}',
    error TEXT NOT NULL DEFAULT '',
    process TEXT NOT NULL DEFAULT '',
    requested_by {{.BigInt}} REFERENCES users (id),
    CHECK (outcome IN ('RUNNING', 'OK', 'FAILED'))
);
--bun:split
CREATE INDEX job_runs_job_idx ON job_runs (job, id);
--bun:split
-- The alert scan reads the open facts in force whose due date falls in a
-- kind's window: the current versions by due date, and those closed later
-- than the day scanned (none when scanning today), instead of every version
-- of every assignment; it resolves the alerts of assignments whose facts
-- changed since its last run (changed_at).
CREATE INDEX IF NOT EXISTS assignment_facts_open_due_idx ON assignment_facts (due_date, assignment_id) WHERE valid_to IS NULL AND due_date IS NOT NULL AND state IN ('NOT_STARTED', 'IN_PROGRESS');
--bun:split
CREATE INDEX IF NOT EXISTS assignment_facts_open_closed_idx ON assignment_facts (valid_to) WHERE due_date IS NOT NULL AND state IN ('NOT_STARTED', 'IN_PROGRESS');
--bun:split
CREATE INDEX IF NOT EXISTS assignment_facts_changed_idx ON assignment_facts (changed_at);
