// Package storetest gives tests isolated, migrated databases: a SQLite file in
// a temporary directory always and, when TEST_DATABASE_URL names a PostgreSQL
// database, a schema of its own in that database too.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"p06/store"
)

// Dialects returns the databases tests run on: SQLite, and PostgreSQL when
// TEST_DATABASE_URL is set; TEST_DIALECTS=postgres leaves SQLite out (CI,
// which has run every test on SQLite alone already).
func Dialects() []store.Dialect {
	if os.Getenv("TEST_DATABASE_URL") == "" {
		return []store.Dialect{store.SQLite}
	}
	if os.Getenv("TEST_DIALECTS") == "postgres" {
		return []store.Dialect{store.Postgres}
	}
	return []store.Dialect{store.SQLite, store.Postgres}
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
	if d == store.Postgres && os.Getenv("TEST_DATABASE_URL") == "" {
		t.Skip("TEST_DATABASE_URL is not set")
	}
	db, cleanup, err := Open(d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cleanup(); err != nil {
			t.Error(err)
		}
	})
	return db
}

// Open returns an empty database of dialect d with no tables and the
// function that removes it: a SQLite file in a new temporary directory, or a
// new schema in the PostgreSQL database TEST_DATABASE_URL names.
func Open(d store.Dialect) (*store.DB, func() error, error) {
	ctx := context.Background()
	switch d {
	case store.SQLite:
		dir, err := os.MkdirTemp("", "p06test")
		if err != nil {
			return nil, nil, err
		}
		db, err := store.Open(ctx, store.Config{URL: "sqlite:" + filepath.Join(dir, "test.db")})
		if err != nil {
			os.RemoveAll(dir)
			return nil, nil, err
		}
		return db, func() error { db.Close(); return os.RemoveAll(dir) }, nil
	case store.Postgres:
		url := os.Getenv("TEST_DATABASE_URL")
		if url == "" {
			return nil, nil, errors.New("TEST_DATABASE_URL is not set")
		}
		admin, err := store.Open(ctx, store.Config{URL: url})
		if err != nil {
			return nil, nil, fmt.Errorf("TEST_DATABASE_URL: %w", err)
		}
		schema := "t_" + randomHex()
		if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
			admin.Close()
			return nil, nil, err
		}
		db, err := store.OpenPostgresSchema(url, schema)
		if err != nil {
			admin.Close()
			return nil, nil, err
		}
		return db, func() error {
			db.Close()
			defer admin.Close()
			if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
				return fmt.Errorf("dropping test schema %s: %w", schema, err)
			}
			return nil
		}, nil
	}
	return nil, nil, fmt.Errorf("unknown dialect %q", d)
}

func randomHex() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
