-- Foundation: org units, working groups, documents, tasks, assignments.
-- Dates are TEXT 'YYYY-MM-DD' on both databases (see store.Date).
-- source says where a seeded row comes from: REFERENCE (verified public
-- reference data), REVIEW (a fact of the 21/12/2023 review), DEMO (made up
-- for the demo programme) or USER (entered through the API).

-- The org-unit tree. path is materialised from codes ("/VN/01/"), so a scope
-- is a set of path prefixes and "the units below X" is path LIKE X.path || '%'.
CREATE TABLE org_units (
    id {{.PK}},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    search_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    subtype TEXT NOT NULL DEFAULT '',
    region TEXT NOT NULL DEFAULT '',
    parent_id {{.BigInt}} REFERENCES org_units (id),
    path TEXT NOT NULL UNIQUE,
    depth INTEGER NOT NULL,
    sort_order INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL
);
--bun:split
CREATE INDEX org_units_parent_idx ON org_units (parent_id);
--bun:split
CREATE TABLE working_groups (
    id {{.PK}},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    search_name TEXT NOT NULL,
    level TEXT NOT NULL,
    org_unit_id {{.BigInt}} NOT NULL REFERENCES org_units (id),
    source TEXT NOT NULL
);
--bun:split
CREATE INDEX working_groups_unit_idx ON working_groups (org_unit_id);
--bun:split
-- Members are positions (Tổ trưởng: Chủ tịch UBND tỉnh), not people: people
-- come with user accounts.
CREATE TABLE working_group_members (
    id {{.PK}},
    working_group_id {{.BigInt}} NOT NULL REFERENCES working_groups (id),
    position TEXT NOT NULL,
    role TEXT NOT NULL,
    sort_order INTEGER NOT NULL DEFAULT 0
);
--bun:split
CREATE INDEX working_group_members_group_idx ON working_group_members (working_group_id);
--bun:split
CREATE TABLE documents (
    id {{.PK}},
    kind TEXT NOT NULL,
    number TEXT NOT NULL UNIQUE,
    issue_date TEXT NOT NULL,
    issuer TEXT NOT NULL,
    title TEXT NOT NULL,
    search_text TEXT NOT NULL,
    source TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
--bun:split
CREATE TABLE tasks (
    id {{.PK}},
    document_id {{.BigInt}} NOT NULL REFERENCES documents (id),
    sort_order INTEGER NOT NULL,
    clause TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    search_text TEXT NOT NULL,
    deadline_text TEXT NOT NULL,
    due_date TEXT,
    precision TEXT NOT NULL,
    source TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
--bun:split
CREATE INDEX tasks_document_idx ON tasks (document_id, sort_order);
--bun:split
CREATE INDEX tasks_due_idx ON tasks (due_date);
--bun:split
-- One task given to one unit. due_date is the current due date (the task's,
-- until an extension moves it); state, progress and completed_on are the
-- stored facts the reporting status is derived from.
CREATE TABLE assignments (
    id {{.PK}},
    task_id {{.BigInt}} NOT NULL REFERENCES tasks (id),
    org_unit_id {{.BigInt}} NOT NULL REFERENCES org_units (id),
    role TEXT NOT NULL,
    state TEXT NOT NULL,
    progress INTEGER NOT NULL DEFAULT 0,
    due_date TEXT,
    completed_on TEXT,
    source TEXT NOT NULL,
    UNIQUE (task_id, org_unit_id),
    CHECK (progress BETWEEN 0 AND 100)
);
--bun:split
CREATE INDEX assignments_unit_idx ON assignments (org_unit_id);
