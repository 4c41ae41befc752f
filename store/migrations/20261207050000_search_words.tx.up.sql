-- The words of every searchable object (store/search.go): one row per
-- distinct folded word of a document, task, org unit, progress report,
-- user or working group, with its weight (16 in the title or name, 0 only in the body). The
-- primary key starts with the word, so a query word is one range scan
-- (word >= w AND word < w || U+10FFFF); on PostgreSQL the column compares
-- bytes (COLLATE "C") like SQLite's default, so both give the same order
-- and the same answers. A query reads the key alone: on SQLite the table
-- is its key (WITHOUT ROWID); on PostgreSQL the key INCLUDEs the weight, so
-- an index-only scan answers it without visiting the heap, where a word's
-- rows lie scattered (measured on 100,000 tasks, a word in 60,000 of them:
-- 0.34 s through the heap, 0.06 s index-only). Filled for existing rows by the Go migration
-- 20261207050001 (store.BackfillSearch) and kept by the writers.
CREATE TABLE search_words (
    word TEXT {{if .Postgres}}COLLATE "C" {{end}}NOT NULL,
    kind TEXT NOT NULL,
    object_id {{.BigInt}} NOT NULL,
    weight INTEGER NOT NULL,
    PRIMARY KEY (word, kind, object_id){{if .Postgres}} INCLUDE (weight){{end}}
){{if not .Postgres}} WITHOUT ROWID{{end}};

-- For IndexSearch's delete of an object's words. Not (kind, object_id):
-- without statistics (a new database) SQLite would read a query's
-- "kind IN (…)" through it, every row of those kinds, instead of the words'
-- ranges (measured: 12 ms against 1 ms for a word in no task of the demo).
CREATE INDEX search_words_object ON search_words (object_id, kind);
