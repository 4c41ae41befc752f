-- Webhooks (alerts.Webhooks): an administrator registers a URL and a secret
-- for a unit; each alert raised about that unit or one below it is queued
-- once per webhook (the unique key, filled in the scan's transaction) and
-- delivered by the job webhook-delivery, signed with the secret, retried
-- with exponential backoff (next_at), recorded (attempts, status, error).
-- failures counts the webhook's failed attempts in a row; at
-- alerts.DisableAfter it is disabled (disabled_at). A deleted webhook keeps
-- its row (deleted_at) for its delivery log.
CREATE TABLE webhooks (
    id {{.PK}},
    org_unit_id {{.BigInt}} NOT NULL REFERENCES org_units (id),
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at {{.Timestamp}} NOT NULL,
    created_by {{.BigInt}} REFERENCES users (id),
    failures INTEGER NOT NULL DEFAULT 0,
    disabled_at {{.Timestamp}},
    deleted_at {{.Timestamp}}
);
--bun:split
CREATE INDEX webhooks_unit_idx ON webhooks (org_unit_id) WHERE deleted_at IS NULL;
--bun:split
CREATE TABLE webhook_deliveries (
    id {{.PK}},
    webhook_id {{.BigInt}} NOT NULL REFERENCES webhooks (id),
    alert_id {{.BigInt}} NOT NULL REFERENCES alerts (id),
    state TEXT NOT NULL DEFAULT 'PENDING',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at {{.Timestamp}} NOT NULL,
    last_at {{.Timestamp}},
    status_code INTEGER NOT NULL DEFAULT 0,
    error TEXT NOT NULL DEFAULT '',
    created_at {{.Timestamp}} NOT NULL,
    UNIQUE (webhook_id, alert_id),
    CHECK (state IN ('PENDING', 'DELIVERED', 'FAILED'))
);
--bun:split
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_at) WHERE state = 'PENDING';
--bun:split
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id);
