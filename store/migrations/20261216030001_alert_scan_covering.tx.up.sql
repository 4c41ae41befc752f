-- The alert scan (alerts/rules.go) reads the open facts in force whose due date falls in a
-- kind's window (alerts/rules.go, Assignments): the index of current open
-- facts by due date now also holds valid_from, the one column the scan
-- reads besides due_date and assignment_id, so PostgreSQL answers from the
-- index alone (an index-only scan) instead of visiting a heap page per fact:
-- the first scan of a national programme read 40,000 heap pages for its
-- 114,000 long-overdue facts (BENCHMARKS.md, "Alert scan").
DROP INDEX assignment_facts_open_due_idx;
--bun:split
CREATE INDEX assignment_facts_open_due_idx ON assignment_facts (due_date, assignment_id, valid_from) WHERE valid_to IS NULL AND due_date IS NOT NULL AND state IN ('NOT_STARTED', 'IN_PROGRESS');
--bun:split
-- The unique key (subject_kind, subject_id, …) finds a subject's alerts as
-- well: the partial index of open ones only cost every raised alert one
-- more index entry (a first scan of a national programme raises 115,000).
DROP INDEX alerts_open_idx;
