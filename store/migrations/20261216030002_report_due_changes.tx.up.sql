-- The scan's REPORT_DUE rule rereads only the indicators whose values
-- changed since the last good scan (alerts.ReportsDue.Changed), like the
-- assignments' rules with assignment_facts_changed_idx.
CREATE INDEX IF NOT EXISTS data_value_history_changed_idx ON data_value_history (changed_at);
