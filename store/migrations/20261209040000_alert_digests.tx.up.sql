-- The daily e-mail digest of alerts (alerts.Digester). users.alert_digest is
-- each user's choice (setAlertDigest); alert_digests has one row per
-- recipient and day, a unique key claimed before the message is sent, so a
-- rerun, a restart or two processes never send a second digest that day.
ALTER TABLE users ADD COLUMN alert_digest {{.Bool}} NOT NULL DEFAULT TRUE;
--bun:split
CREATE TABLE alert_digests (
    id {{.PK}},
    user_id {{.BigInt}} NOT NULL REFERENCES users (id),
    day TEXT NOT NULL,
    sent_at {{.Timestamp}} NOT NULL,
    alert_count INTEGER NOT NULL,
    job_run_id {{.BigInt}} NOT NULL,
    UNIQUE (user_id, day)
);
