-- Identity and access: users, sessions, API tokens, failed-login counters,
-- Casbin policies, and the append-only audit log.

CREATE TABLE users (
    id {{.PK}},
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    search_name TEXT NOT NULL,
    email TEXT NOT NULL DEFAULT '',
    org_unit_id {{.BigInt}} NOT NULL REFERENCES org_units (id),
    password_hash TEXT NOT NULL,
    disabled {{.Bool}} NOT NULL DEFAULT FALSE,
    created_at {{.Timestamp}} NOT NULL,
    updated_at {{.Timestamp}} NOT NULL,
    password_changed_at {{.Timestamp}} NOT NULL
);
--bun:split
CREATE INDEX users_unit_idx ON users (org_unit_id);
--bun:split
-- Server-side sessions for the cookie. Only a hash of the cookie value is
-- stored; csrf_token is the value mutations must echo in X-CSRF-Token.
CREATE TABLE sessions (
    id {{.PK}},
    token_hash TEXT NOT NULL UNIQUE,
    csrf_token TEXT NOT NULL,
    user_id {{.BigInt}} NOT NULL REFERENCES users (id),
    created_at {{.Timestamp}} NOT NULL,
    expires_at {{.Timestamp}} NOT NULL,
    last_seen_at {{.Timestamp}} NOT NULL,
    revoked_at {{.Timestamp}},
    client_ip TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT ''
);
--bun:split
CREATE INDEX sessions_user_idx ON sessions (user_id);
--bun:split
-- API tokens for integrations: shown once, stored hashed.
CREATE TABLE api_tokens (
    id {{.PK}},
    user_id {{.BigInt}} NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_by {{.BigInt}} NOT NULL REFERENCES users (id),
    created_at {{.Timestamp}} NOT NULL,
    expires_at {{.Timestamp}},
    last_used_at {{.Timestamp}},
    revoked_at {{.Timestamp}}
);
--bun:split
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);
--bun:split
-- Failed sign-ins per key ("user:name" or "ip:addr") within a window; a key
-- over the threshold is locked until locked_until. In the database so every
-- server process sees the same counts.
CREATE TABLE login_failures (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_start {{.Timestamp}} NOT NULL,
    locked_until {{.Timestamp}}
);
--bun:split
-- Casbin policies: p rows are role permissions, g rows grant a role to a
-- subject in a domain (an org-unit path; the grant covers the units below).
CREATE TABLE casbin_rules (
    id {{.PK}},
    ptype TEXT NOT NULL,
    v0 TEXT NOT NULL DEFAULT '',
    v1 TEXT NOT NULL DEFAULT '',
    v2 TEXT NOT NULL DEFAULT '',
    v3 TEXT NOT NULL DEFAULT '',
    v4 TEXT NOT NULL DEFAULT '',
    v5 TEXT NOT NULL DEFAULT '',
    UNIQUE (ptype, v0, v1, v2, v3, v4, v5)
);
--bun:split
-- Bumped in the same transaction as every policy change, so each server
-- process knows when to reload.
CREATE TABLE policy_version (
    id INTEGER PRIMARY KEY,
    version {{.BigInt}} NOT NULL
);
--bun:split
INSERT INTO policy_version (id, version) VALUES (1, 0);
--bun:split
-- Append-only: rows are inserted, never updated or deleted. org_path is the
-- unit the action concerns, for scoped reading; via is how the actor signed
-- in ("session:12", "api_token:5 created_by:3").
CREATE TABLE audit_log (
    id {{.PK}},
    at {{.Timestamp}} NOT NULL,
    actor_id {{.BigInt}},
    actor TEXT NOT NULL,
    via TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    object_type TEXT NOT NULL DEFAULT '',
    object_id TEXT NOT NULL DEFAULT '',
    org_path TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    client_ip TEXT NOT NULL DEFAULT ''
);
--bun:split
CREATE INDEX audit_log_at_idx ON audit_log (at);
