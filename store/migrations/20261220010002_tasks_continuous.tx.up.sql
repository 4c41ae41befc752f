-- The alert scan (alerts/rules.go, Assignments) leaves out the assignments
-- of continuous tasks (thường xuyên): an anti-join with this index of the
-- few continuous tasks, where it joined every task for its precision (the
-- first scan of a national programme read all 100,000 tasks, 70 MB on
-- PostgreSQL, for one column; BENCHMARKS.md, "Alert scan").
CREATE INDEX tasks_continuous_idx ON tasks (id) WHERE precision = 'CONTINUOUS';
