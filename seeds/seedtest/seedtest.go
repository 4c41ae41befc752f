// Package seedtest gives tests a database migrated and seeded with the demo
// programme, on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL.
package seedtest

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"p06/seeds"
	"p06/store"
	"p06/store/storetest"
)

type shared struct {
	once    sync.Once
	db      *store.DB
	cleanup func() error
	err     error
}

var (
	mu      sync.Mutex
	perKind = map[store.Dialect]*shared{}
)

// Shared returns the demo-seeded database of dialect d that all tests of the
// package share. Tests must only read it; a test that writes takes Fresh.
// The package's TestMain must call Main so that it is removed at the end.
func Shared(t testing.TB, d store.Dialect) *store.DB {
	t.Helper()
	mu.Lock()
	s := perKind[d]
	if s == nil {
		s = &shared{}
		perKind[d] = s
	}
	mu.Unlock()
	s.once.Do(func() {
		s.db, s.cleanup, s.err = storetest.Open(d)
		if s.err == nil {
			s.err = migrateAndSeed(s.db)
		}
	})
	if s.err != nil {
		t.Fatalf("seeded %s database: %v", d, s.err)
	}
	return s.db
}

// Fresh returns a demo-seeded database of dialect d of the test's own.
func Fresh(t testing.TB, d store.Dialect) *store.DB {
	t.Helper()
	db := storetest.Unmigrated(t, d)
	if err := migrateAndSeed(db); err != nil {
		t.Fatal(err)
	}
	return db
}

// Each runs fn as a parallel subtest per dialect on the shared database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	each(t, Shared, fn)
}

// EachFresh runs fn as a parallel subtest per dialect on a database of its
// own (Fresh), for a test that writes: a write to the shared database would
// change what the package's other tests read while they read it.
func EachFresh(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	each(t, Fresh, fn)
}

// each runs fn as a parallel subtest per dialect on the database open gives.
func each(t *testing.T, open func(testing.TB, store.Dialect) *store.DB, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fn(t, open(t, d))
		})
	}
}

// Main runs the tests and removes the shared databases; call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	for d, s := range perKind {
		if s.cleanup != nil {
			if err := s.cleanup(); err != nil {
				fmt.Fprintf(os.Stderr, "removing shared %s test database: %v\n", d, err)
			}
		}
	}
	os.Exit(code)
}

// SeededAt is when test databases are seeded: the demo plan of alerts
// (seeds.DemoAlertsDocument) falls due around it, the same on any day the
// tests run.
var SeededAt = time.Date(2026, 12, 1, 8, 0, 0, 0, store.VN)

func migrateAndSeed(db *store.DB) error {
	ctx := context.Background()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	_, err := seeds.Load(ctx, db, seeds.Demo, seeds.Options{Clock: store.FixedClock(SeededAt)})
	return err
}

// CheckAssignmentCounts fails t unless every task's assignment_count is
// the number of its assignments (the count the complexity limit's measure
// reads, tasks.Store.AssignmentBounds, kept by every writer of
// assignments).
func CheckAssignmentCounts(t testing.TB, db *store.DB) {
	t.Helper()
	var wrong []struct {
		ID          int64 `bun:"id"`
		Kept, Count int
	}
	if err := db.NewRaw(`SELECT t.id, t.assignment_count AS kept, COUNT(a.id) AS count
		FROM tasks AS t LEFT JOIN assignments AS a ON a.task_id = t.id
		GROUP BY t.id, t.assignment_count HAVING t.assignment_count <> COUNT(a.id) ORDER BY t.id LIMIT 5`).Scan(context.Background(), &wrong); err != nil {
		t.Fatal(err)
	}
	if len(wrong) > 0 {
		t.Fatalf("tasks whose assignment_count is not their number of assignments (id, kept, counted): %+v", wrong)
	}
}
