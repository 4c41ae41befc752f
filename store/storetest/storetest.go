// Package storetest gives tests isolated, migrated databases: a SQLite file in
// a temporary directory always and, when TEST_DATABASE_URL names a PostgreSQL
// database, a schema of its own in that database too.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"p06/store"
)

// Dialects returns the databases tests run on: SQLite, and PostgreSQL when
// TEST_DATABASE_URL is set.
func Dialects() []store.Dialect {
	if os.Getenv("TEST_DATABASE_URL") != "" {
		return []store.Dialect{store.SQLite, store.Postgres}
	}
	return []store.Dialect{store.SQLite}
}

// Each runs fn as a parallel subtest per dialect, each with a fresh migrated
// database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fn(t, Fresh(t, d))
		})
	}
}

// Fresh returns an empty migrated database of dialect d, removed when the test
// ends.
func Fresh(t testing.TB, d store.Dialect) *store.DB {
	t.Helper()
	db := Unmigrated(t, d)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrating %s: %v", db.Where, err)
	}
	return db
}

// Unmigrated returns an empty database of dialect d with no tables, removed
// when the test ends.
func Unmigrated(t testing.TB, d store.Dialect) *store.DB {
	t.Helper()
	ctx := context.Background()
	switch d {
	case store.SQLite:
		db, err := store.Open(ctx, store.Config{URL: "sqlite:" + filepath.Join(t.TempDir(), "test.db")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	case store.Postgres:
		url := os.Getenv("TEST_DATABASE_URL")
		if url == "" {
			t.Skip("TEST_DATABASE_URL is not set")
		}
		schema := "t_" + randomHex()
		admin, err := store.Open(ctx, store.Config{URL: url})
		if err != nil {
			t.Fatalf("TEST_DATABASE_URL: %v", err)
		}
		if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
			admin.Close()
			t.Fatal(err)
		}
		db, err := store.OpenPostgresSchema(url, schema)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			db.Close()
			if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
				t.Errorf("dropping test schema %s: %v", schema, err)
			}
			admin.Close()
		})
		return db
	}
	t.Fatalf("unknown dialect %q", d)
	return nil
}

func randomHex() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
