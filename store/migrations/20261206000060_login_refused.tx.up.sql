-- Attempts refused while a key is locked are counted here, not written to the
-- audit log one by one: when the lock ends, one login.locked audit row says
-- how many there were, so a flood leaves a bounded log that still shows it.
ALTER TABLE login_failures ADD COLUMN refused INTEGER NOT NULL DEFAULT 0;
