-- Kept statuses of assignments (tasks/statuses.go): an assignment's
-- reporting status as of a day, with the due date in force then, as spans
-- [valid_from, valid_to) of its facts' versions cut where the status
-- changes; scope is the subtree at depth 1 (a ministry, a province) of the
-- assignee, or the root's path for the root itself. task_id, org_unit_id
-- and role are the assignment's (which never change), for the reports. valid_to
-- '9999-12-31' is open. The write path rewrites a task's assignments'
-- spans with the task's kept statuses; the Go migration after this one
-- fills them for the rows that existed before.
CREATE TABLE assignment_statuses (
    assignment_id {{.BigInt}} NOT NULL REFERENCES assignments (id),
    valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL,
    scope TEXT NOT NULL,
    status TEXT NOT NULL,
    due_date TEXT,
    task_id {{.BigInt}} NOT NULL,
    org_unit_id {{.BigInt}} NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (assignment_id, valid_from),
    CHECK (valid_to > valid_from)
);
--bun:split
CREATE INDEX assignment_statuses_task_idx ON assignment_statuses (task_id);
--bun:split
-- A report's rows of a scope as of a day read only this index (an
-- index-only scan on PostgreSQL): a scope's rows are spread over the table.
CREATE INDEX assignment_statuses_scope_idx ON assignment_statuses (scope, valid_from, valid_to, status, due_date, assignment_id, task_id, org_unit_id, role);
