-- Each task keeps how many assignments it has (tasks.Store.insertAssignments
-- adds them in the statement that touches the task; assignments are never
-- deleted), so the complexity limit's measure of the largest
-- Task.assignments list (tasks.Store.AssignmentBounds, re-read every minute
-- and at start-up) reads the tasks, not a GROUP BY over every assignment:
-- 1.3 s on a national programme of 1,000,000 assignments (BENCHMARKS.md,
-- "Start-up").
ALTER TABLE tasks ADD COLUMN assignment_count INTEGER NOT NULL DEFAULT 0;
--bun:split
UPDATE tasks SET assignment_count = (SELECT COUNT(*) FROM assignments AS a WHERE a.task_id = tasks.id);
--bun:split
CREATE INDEX tasks_assignment_count_idx ON tasks (assignment_count);
