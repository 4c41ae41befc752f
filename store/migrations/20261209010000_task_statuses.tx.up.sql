-- Kept statuses (tasks/statuses.go). A task's reporting status as of a day
-- is a step function of the day, kept as spans [valid_from, valid_to) per
-- scope: the whole country (scope '/VN/') and each subtree at depth 1
-- (a ministry, a province: '/VN/46/') that has one of the task's
-- assignments. assignments is the number of the scope's assignments that
-- existed then; kind is the task's document's. valid_to '9999-12-31' is
-- open. The write path rewrites a task's spans in the transaction that
-- changes its facts; the Go migration after this one fills them for the
-- rows that existed before.
CREATE TABLE task_statuses (
    task_id {{.BigInt}} NOT NULL REFERENCES tasks (id),
    scope TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT NOT NULL,
    status TEXT NOT NULL,
    assignments INTEGER NOT NULL,
    kind TEXT NOT NULL,
    PRIMARY KEY (task_id, scope, valid_from),
    CHECK (valid_to > valid_from)
);
--bun:split
CREATE INDEX task_statuses_scope_idx ON task_statuses (scope, status, valid_from, valid_to, task_id);
--bun:split
-- The same spans as changes per day: on day, tasks (and assignments) came
-- into status (positive) or left it (negative), per document kind and, as
-- kind '', of every kind. The counts as of a day are the sums up to it.
CREATE TABLE task_status_days (
    scope TEXT NOT NULL,
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    tasks INTEGER NOT NULL,
    assignments INTEGER NOT NULL,
    PRIMARY KEY (scope, day, kind, status)
);
--bun:split
-- The sums read only this index (an index-only scan on PostgreSQL): a
-- scope's rows are spread over the table in the order they were written.
CREATE INDEX task_status_days_sum_idx ON task_status_days (scope, kind, day, status, tasks, assignments);
