-- Frozen reports: on the first day of each month (the scheduler) and on a
-- coordinator's demand, each unit's progress report for a month is stored
-- as it stood (reports.Report as JSON), so that the figures quoted at a
-- meeting can be reproduced whatever happens afterwards. One per unit and
-- period; a snapshot never changes: UPDATE and DELETE are refused (and
-- TRUNCATE on PostgreSQL), like the audit log's.
CREATE TABLE report_snapshots (
    id {{.PK}},
    org_unit_id {{.BigInt}} NOT NULL REFERENCES org_units (id),
    period TEXT NOT NULL,
    as_of TEXT NOT NULL,
    data TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    cause TEXT NOT NULL,
    created_at {{.Timestamp}} NOT NULL,
    created_by {{.BigInt}} REFERENCES users (id),
    CHECK (cause IN ('MANUAL', 'SCHEDULED')),
    UNIQUE (org_unit_id, period)
);
--bun:split
CREATE INDEX report_snapshots_period_idx ON report_snapshots (period, id);
--bun:split
{{if .Postgres}}
CREATE FUNCTION report_snapshots_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'report_snapshots never change: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
--bun:split
CREATE TRIGGER report_snapshots_no_change BEFORE UPDATE OR DELETE ON report_snapshots
    FOR EACH ROW EXECUTE FUNCTION report_snapshots_frozen();
--bun:split
CREATE TRIGGER report_snapshots_no_truncate BEFORE TRUNCATE ON report_snapshots
    FOR EACH STATEMENT EXECUTE FUNCTION report_snapshots_frozen();
{{else}}
CREATE TRIGGER report_snapshots_no_update BEFORE UPDATE ON report_snapshots
BEGIN
    SELECT RAISE(ABORT, 'report_snapshots never change: UPDATE refused');
END;
--bun:split
CREATE TRIGGER report_snapshots_no_delete BEFORE DELETE ON report_snapshots
BEGIN
    SELECT RAISE(ABORT, 'report_snapshots never change: DELETE refused');
END;
{{end}}
