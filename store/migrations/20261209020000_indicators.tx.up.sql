-- Indicators (kpi/): groups and indicators are data an administrator edits,
-- values are entered per indicator, org unit and period, approved in two
-- levels, and rolled up over the unit tree.
--
-- data_values holds the current version of each value (a version bumped by
-- every change, like assignments); data_value_history holds every version,
-- valid from a day to the day the next replaced it (Asia/Ho_Chi_Minh days,
-- valid_to NULL for the current one), so figures as of a date use the values
-- as they stood then (the rule of assignment_facts).
--
-- kpi_rollups is the roll-up, pre-aggregated on write (kpi/rollup.go): per
-- indicator, period (the indicator's own period type), class (1: values
-- counted by default, SUBMITTED/APPROVED/ACCEPTED; 2: approved only,
-- APPROVED/ACCEPTED) and org unit, the unit's own value (o_*), the sum of
-- its children's figures (b_*) and its figure (e_*), each as value, numerator,
-- denominator, units contributing and units answering yes. The write that
-- changes a value updates the rows of its unit and its ancestors in the same
-- transaction, so figures need no rebuild before they show.
CREATE TABLE indicator_groups (
    id {{.PK}},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    sort_order INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL,
    source_note TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    updated_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE TABLE indicators (
    id {{.PK}},
    group_id {{.BigInt}} NOT NULL REFERENCES indicator_groups (id),
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    unit TEXT NOT NULL,
    kind TEXT NOT NULL,
    period_type TEXT NOT NULL,
    direction TEXT NOT NULL,
    aggregation TEXT NOT NULL,
    reporting_kinds TEXT NOT NULL,
    own_value_wins {{.Bool}} NOT NULL DEFAULT FALSE,
    due_days INTEGER NOT NULL,
    min_value {{.Float}},
    max_value {{.Float}},
    jump_threshold {{.Float}},
    weight {{.Float}} NOT NULL DEFAULT 1,
    sort_order INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL,
    source_note TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    updated_at {{.Timestamp}} NOT NULL,
    CHECK (due_days >= 0),
    CHECK (weight >= 0)
);
--bun:split
CREATE INDEX indicators_group_idx ON indicators (group_id, sort_order);
--bun:split
CREATE TABLE data_values (
    id {{.PK}},
    indicator_id {{.BigInt}} NOT NULL REFERENCES indicators (id),
    org_unit_id {{.BigInt}} NOT NULL REFERENCES org_units (id),
    period TEXT NOT NULL,
    value {{.Float}},
    numerator {{.Float}},
    denominator {{.Float}},
    comment TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL,
    source TEXT NOT NULL,
    entered_by {{.BigInt}} REFERENCES users (id),
    entered_at {{.Timestamp}} NOT NULL,
    submitted_by {{.BigInt}} REFERENCES users (id),
    submitted_at {{.Timestamp}},
    approved_by {{.BigInt}} REFERENCES users (id),
    approved_at {{.Timestamp}},
    accepted_by {{.BigInt}} REFERENCES users (id),
    accepted_at {{.Timestamp}},
    first_submitted_on TEXT,
    updated_at {{.Timestamp}} NOT NULL,
    UNIQUE (indicator_id, org_unit_id, period),
    CHECK (state IN ('DRAFT', 'SUBMITTED', 'APPROVED', 'ACCEPTED', 'REJECTED'))
);
--bun:split
CREATE INDEX data_values_unit_idx ON data_values (org_unit_id, period);
--bun:split
CREATE INDEX data_values_period_idx ON data_values (period, indicator_id);
--bun:split
CREATE TABLE data_value_history (
    id {{.PK}},
    data_value_id {{.BigInt}} NOT NULL REFERENCES data_values (id),
    version INTEGER NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    value {{.Float}},
    numerator {{.Float}},
    denominator {{.Float}},
    comment TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    changed_at {{.Timestamp}} NOT NULL,
    changed_by {{.BigInt}} REFERENCES users (id),
    UNIQUE (data_value_id, version),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
--bun:split
CREATE INDEX data_value_history_asof_idx ON data_value_history (data_value_id, valid_from);
--bun:split
CREATE TABLE kpi_targets (
    id {{.PK}},
    indicator_id {{.BigInt}} NOT NULL REFERENCES indicators (id),
    org_unit_id {{.BigInt}} NOT NULL REFERENCES org_units (id),
    period TEXT NOT NULL,
    value {{.Float}} NOT NULL,
    updated_at {{.Timestamp}} NOT NULL,
    UNIQUE (indicator_id, period, org_unit_id)
);
--bun:split
CREATE TABLE kpi_rollups (
    indicator_id {{.BigInt}} NOT NULL,
    class INTEGER NOT NULL,
    org_unit_id {{.BigInt}} NOT NULL,
    period TEXT NOT NULL,
    o_units INTEGER NOT NULL DEFAULT 0,
    o_value {{.Float}} NOT NULL DEFAULT 0,
    o_num {{.Float}} NOT NULL DEFAULT 0,
    o_den {{.Float}} NOT NULL DEFAULT 0,
    o_yes INTEGER NOT NULL DEFAULT 0,
    b_units INTEGER NOT NULL DEFAULT 0,
    b_value {{.Float}} NOT NULL DEFAULT 0,
    b_num {{.Float}} NOT NULL DEFAULT 0,
    b_den {{.Float}} NOT NULL DEFAULT 0,
    b_yes INTEGER NOT NULL DEFAULT 0,
    e_units INTEGER NOT NULL DEFAULT 0,
    e_value {{.Float}} NOT NULL DEFAULT 0,
    e_num {{.Float}} NOT NULL DEFAULT 0,
    e_den {{.Float}} NOT NULL DEFAULT 0,
    e_yes INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (indicator_id, class, org_unit_id, period)
);
