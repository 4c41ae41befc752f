-- Keyset paging and the orders of the tasks and assignments lists.
--
-- assignments.updated_at is when the assignment was created or its facts
-- last saved (tasks.Store.CreateTask, SaveFacts); tasks.updated_at is the
-- latest of the task's creation and its assignments' updated_at, kept by
-- the same two methods so that the order can use an index. Rows that
-- existed before this migration count as updated at the migration's time,
-- a constant written the way bun writes instants (UTC, '+00:00'), so that
-- SQLite, which compares TIMESTAMP columns as text, orders it with the
-- values bun writes later.
ALTER TABLE assignments ADD COLUMN updated_at {{.Timestamp}} NOT NULL DEFAULT '2026-12-07 04:00:00+00:00';
--bun:split
ALTER TABLE tasks ADD COLUMN updated_at {{.Timestamp}} NOT NULL DEFAULT '2026-12-07 04:00:00+00:00';
--bun:split
-- Each order of the tasks and assignments lists, with the id as the last
-- key (NULL due dates sort last; the index serves the ascending order and,
-- read backwards, the descending one's non-NULL part).
CREATE INDEX tasks_due_id_idx ON tasks (due_date, id);
--bun:split
CREATE INDEX tasks_updated_id_idx ON tasks (updated_at, id);
--bun:split
CREATE INDEX assignments_due_id_idx ON assignments (due_date, id);
--bun:split
CREATE INDEX assignments_updated_id_idx ON assignments (updated_at, id);
--bun:split
CREATE INDEX assignments_progress_id_idx ON assignments (progress, id);
