-- REPORT_DUE alerts (alerts/rules.go, source ReportsDue): an indicator value
-- expected of a unit for a period and not submitted by its due day. The
-- value may never have been entered, so it has no row of its own: such an
-- alert's subject is the indicator (subject_kind DATA_VALUE, subject_id the
-- indicator's id), its org_unit_id the unit that must report, and period
-- the period due ('' for an assignment's alert).
--
-- Exactly once per expected value, kind and due date: the unique key now
-- holds the unit and the period too (for an assignment they follow from its
-- id). SQLite cannot drop a table's UNIQUE constraint, so there the table
-- is rebuilt: the deliveries that refer to its rows are set aside while the
-- old table is dropped, then put back with their ids.
{{if .Postgres}}
ALTER TABLE alerts ADD COLUMN period TEXT NOT NULL DEFAULT '';
--bun:split
ALTER TABLE alerts DROP CONSTRAINT alerts_subject_kind_subject_id_kind_due_date_key;
--bun:split
ALTER TABLE alerts ADD CONSTRAINT alerts_subject_key UNIQUE (subject_kind, subject_id, org_unit_id, period, kind, due_date);
{{else}}
CREATE TABLE alerts_new (
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
    period TEXT NOT NULL DEFAULT '',
    UNIQUE (subject_kind, subject_id, org_unit_id, period, kind, due_date)
);
--bun:split
INSERT INTO alerts_new (id, subject_kind, subject_id, kind, due_date, org_unit_id, escalated, raised_at, job_run_id,
    acknowledged_at, acknowledged_by, resolved_at, resolution)
SELECT id, subject_kind, subject_id, kind, due_date, org_unit_id, escalated, raised_at, job_run_id,
    acknowledged_at, acknowledged_by, resolved_at, resolution FROM alerts;
--bun:split
CREATE TABLE webhook_deliveries_kept AS SELECT * FROM webhook_deliveries;
--bun:split
DELETE FROM webhook_deliveries;
--bun:split
DROP TABLE alerts;
--bun:split
ALTER TABLE alerts_new RENAME TO alerts;
--bun:split
INSERT INTO webhook_deliveries SELECT * FROM webhook_deliveries_kept;
--bun:split
DROP TABLE webhook_deliveries_kept;
--bun:split
CREATE INDEX alerts_open_idx ON alerts (subject_id) WHERE resolved_at IS NULL;
--bun:split
CREATE INDEX alerts_run_idx ON alerts (job_run_id, id);
--bun:split
CREATE INDEX alerts_unit_idx ON alerts (org_unit_id, id);
{{end}}
