-- Progress reports on assignments, with evidence files.
--
-- The files' bytes are stored in the database, once per content
-- (evidence_blobs, keyed by the SHA-256 of the bytes, in hex), not on the
-- server's disk: several server processes behind a load balancer share the
-- database and nothing else, and a report, its files and its audit row
-- commit together or not at all, so a refused upload leaves nothing behind.
-- A report names its files (evidence_files: the safe name, size, the type
-- detected from the bytes, and the hash of the blob). Nothing updates or
-- deletes these rows.

CREATE TABLE evidence_blobs (
    sha256 TEXT PRIMARY KEY,
    size {{.BigInt}} NOT NULL,
    content {{.Blob}} NOT NULL,
    created_at {{.Timestamp}} NOT NULL,
    CHECK (length(sha256) = 64)
);
--bun:split
CREATE TABLE progress_reports (
    id {{.PK}},
    assignment_id {{.BigInt}} NOT NULL REFERENCES assignments (id),
    author_id {{.BigInt}} REFERENCES users (id),
    text TEXT NOT NULL,
    search_text TEXT NOT NULL,
    reported_at {{.Timestamp}} NOT NULL,
    reported_on TEXT NOT NULL
);
--bun:split
CREATE INDEX progress_reports_assignment_idx ON progress_reports (assignment_id, reported_at, id);
--bun:split
CREATE TABLE evidence_files (
    id {{.PK}},
    report_id {{.BigInt}} NOT NULL REFERENCES progress_reports (id),
    ord INTEGER NOT NULL,
    name TEXT NOT NULL,
    size {{.BigInt}} NOT NULL,
    content_type TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES evidence_blobs (sha256),
    UNIQUE (report_id, ord)
);
--bun:split
CREATE INDEX evidence_files_sha256_idx ON evidence_files (sha256);
