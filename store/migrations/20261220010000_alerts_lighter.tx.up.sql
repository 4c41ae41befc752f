-- Fewer writes for each alert raised (a first scan of a national
-- programme raises 117,000; BENCHMARKS.md, "Alert scan"):
--
-- - The index of alerts by job run goes: a scan finds the alerts it raised
--   as those of its run above the largest id before it began (ids only
--   grow), a range of the primary key.
-- - On PostgreSQL the foreign keys of alerts (org_unit_id, acknowledged_by)
--   go: each fired a trigger per alert inserted, a lookup of the unit and a
--   check of a NULL user, about a fifth of the insert's time. The scan
--   takes org_unit_id from a join with org_units, acknowledgeAlerts takes
--   acknowledged_by from the signed-in user, and neither units nor users
--   are ever deleted. SQLite keeps them: dropping one there means
--   rebuilding the table, and its checks cost little.
DROP INDEX alerts_run_idx;
{{if .Postgres}}
--bun:split
ALTER TABLE alerts DROP CONSTRAINT alerts_org_unit_id_fkey;
--bun:split
ALTER TABLE alerts DROP CONSTRAINT alerts_acknowledged_by_fkey;
{{end}}
