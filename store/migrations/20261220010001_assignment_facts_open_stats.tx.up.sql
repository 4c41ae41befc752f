-- The alert scan (alerts/rules.go, Assignments) joins the open facts in
-- force with the assignments. PostgreSQL estimated the current open facts
-- (valid_to IS NULL AND state IN ('NOT_STARTED', 'IN_PROGRESS')) as if the
-- two conditions were independent: 636,000 of a national programme's
-- 2.9 million versions, for 155,000 (most current versions are DONE, most
-- closed ones were open). Taking the facts for the larger side, it hashed
-- the million assignments instead of them, a third of the first scan's
-- time (BENCHMARKS.md, "Alert scan"). Statistics of the two columns
-- together give 224,000, and the plan hashes the facts. SQLite has no such
-- statistics and needs none (it plans by the indexes).
{{if .Postgres}}
CREATE STATISTICS IF NOT EXISTS assignment_facts_state_valid_to (mcv) ON state, valid_to FROM assignment_facts;
--bun:split
ANALYZE assignment_facts;
{{else}}
SELECT 1;
{{end}}
