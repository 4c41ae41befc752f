package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"p06/store"
	"p06/store/storetest"
)

func TestMigrateTwiceAppliesNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		again, err := db.Migrate(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(again) != 0 {
			t.Fatalf("second Migrate applied %v, want nothing", again)
		}
		pending, err := db.Pending(ctx)
		if err != nil || len(pending) != 0 {
			t.Fatalf("pending after migrate = %v, %v", pending, err)
		}
		for _, table := range []string{"org_units", "working_groups", "documents", "tasks", "assignments"} {
			if _, err := db.NewSelect().Table(table).Count(ctx); err != nil {
				t.Errorf("table %s: %v", table, err)
			}
		}
	})
}

// A migration that fails leaves nothing behind and is not marked applied,
// so the next start tries it again.
func TestFailedMigrationIsNotMarkedApplied(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := storetest.Unmigrated(t, d)
			// A table in the way makes the first migration fail half-way.
			if _, err := db.ExecContext(ctx, "CREATE TABLE tasks (x INTEGER)"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Migrate(ctx); err == nil {
				t.Fatal("Migrate succeeded over a conflicting table")
			}
			if n, err := db.NewSelect().Table("bun_migrations").Count(ctx); err != nil || n != 0 {
				t.Fatalf("bun_migrations has %d rows (%v), want 0", n, err)
			}
			if _, err := db.NewSelect().Table("org_units").Count(ctx); err == nil {
				t.Fatal("org_units exists after a failed migration: it was not rolled back")
			}
			if _, err := db.ExecContext(ctx, "DROP TABLE tasks"); err != nil {
				t.Fatal(err)
			}
			applied, err := db.Migrate(ctx)
			if err != nil || len(applied) == 0 {
				t.Fatalf("retry: applied %v, %v", applied, err)
			}
		})
	}
}

func TestOpenDefaultsToSQLiteFileInDataDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db, err := store.Open(context.Background(), store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Engine != store.SQLite || db.Where != "sqlite:"+filepath.Join(dir, "p06.db") {
		t.Fatalf("opened %s %s", db.Engine, db.Where)
	}
	var fk int
	if err := db.QueryRowContext(context.Background(), "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys = %d, %v; want 1 on every connection", fk, err)
	}
	var mode string
	if err := db.QueryRowContext(context.Background(), "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
}

func TestOpenRejectsUnknownURL(t *testing.T) {
	t.Parallel()
	_, err := store.Open(context.Background(), store.Config{URL: "mysql://root:secret@localhost/p06"})
	if err == nil || !strings.Contains(err.Error(), "sqlite: or postgres://") || strings.Contains(err.Error(), "secret") {
		t.Fatalf("err = %v; want a clear error without the password", err)
	}
}

func TestDate(t *testing.T) {
	t.Parallel()
	d := store.MustDate("2024-02-28")
	if got := d.AddDays(1).String(); got != "2024-02-29" {
		t.Errorf("leap day: %s", got)
	}
	if !d.Before(store.MustDate("2024-03-01")) || d.After(d) {
		t.Error("Before/After")
	}
	if n := d.DaysUntil(store.MustDate("2024-03-31")); n != 32 {
		t.Errorf("DaysUntil = %d", n)
	}
	// 23:30 UTC on 31/12/2023 is already 1/1/2024 in Hà Nội.
	late := time.Date(2023, 12, 31, 23, 30, 0, 0, time.UTC)
	if got := store.Today(store.FixedClock(late)).String(); got != "2024-01-01" {
		t.Errorf("today in Asia/Ho_Chi_Minh = %s", got)
	}
	if _, err := store.ParseDate("31/12/2024"); err == nil || !strings.Contains(err.Error(), "31/12/2024") {
		t.Errorf("bad date error = %v", err)
	}
	// ParseDate's quick path agrees with time.Parse, and String with the
	// format, on every day of a few years (leap days too) and the edges.
	for day := time.Date(1896, 1, 1, 0, 0, 0, 0, time.UTC); day.Year() < 2030; day = day.AddDate(0, 0, 1) {
		s := day.Format(time.DateOnly)
		got, err := store.ParseDate(s)
		if err != nil || got != (store.Date{Year: day.Year(), Month: day.Month(), Day: day.Day()}) || got.String() != s {
			t.Fatalf("ParseDate(%q) = %v (%s), %v", s, got, got.String(), err)
		}
	}
	for _, bad := range []string{"2023-02-29", "2024-02-30", "1900-02-29", "2100-02-29", "2024-04-31", "2024-13-01", "2024-00-10", "2024-01-00", "2024-1-011", "20x4-01-01", "2024/01/01", "+024-01-01"} {
		if d, err := store.ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) = %v, want an error", bad, d)
		}
	}
	if got := store.Beginning.String(); got != "0001-01-01" {
		t.Errorf("Beginning = %s", got)
	}
	var z store.Date
	if v, _ := z.Value(); v != nil {
		t.Error("zero date must be stored as NULL")
	}
}

func TestFold(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Hà Nội":             "ha noi",
		"Thừa Thiên  Huế":    "thua thien hue",
		"Đắk Lắk":            "dak lak",
		"Ha\u0300 Nô\u0323i": "ha noi", // decomposed input
		"BÀ RỊA - VŨNG TÀU":  "ba ria - vung tau",
	} {
		if got := store.Fold(in); got != want {
			t.Errorf("Fold(%q) = %q, want %q", in, got, want)
		}
	}
}

// A burst of concurrent queries reuses the pool's connections: none is
// closed for want of idle room, and no more are opened than the pool holds.
func TestPoolKeepsItsConnectionsUnderLoad(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if db.Engine != store.Postgres {
			t.Skip("SQLite's pool is a handful of file handles; the churn concerned PostgreSQL")
		}
		ctx := context.Background()
		for round := range 5 {
			var wg sync.WaitGroup
			errs := make(chan error, 3*db.PoolMax)
			for range 3 * db.PoolMax {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := db.ExecContext(ctx, "SELECT pg_sleep(0.01)")
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
			}
		}
		st := db.Stats()
		if st.MaxIdleClosed != 0 || st.OpenConnections > db.PoolMax || st.Idle < 2 {
			t.Fatalf("pool after bursts: %+v", st)
		}
	})
}

// The audit log is append-only in the database itself: an UPDATE or a
// DELETE on audit_log fails (and on PostgreSQL a TRUNCATE), and the row is
// as it was.
func TestAuditLogIsAppendOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := &store.AuditEntry{At: time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC), Actor: "system", Action: "test.append",
			ObjectType: "Test", ObjectID: "1", OrgPath: "/VN/"}
		if err := store.Audit(ctx, db, e, map[string]any{"n": 1}); err != nil {
			t.Fatal(err)
		}
		stmts := []string{"UPDATE audit_log SET action = 'test.rewritten'", "DELETE FROM audit_log"}
		if db.Engine == store.Postgres {
			stmts = append(stmts, "TRUNCATE audit_log")
		}
		for _, q := range stmts {
			_, err := db.ExecContext(ctx, q)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v, want a refusal", q, err)
			}
		}
		// Inside a transaction too, and the insert of the same transaction
		// is rolled back with it.
		err := db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			if err := store.Audit(ctx, tx, &store.AuditEntry{At: e.At, Action: "test.second", OrgPath: "/VN/"}, nil); err != nil {
				return err
			}
			_, err := tx.NewDelete().Table("audit_log").Where("action = ?", "test.append").Exec(ctx)
			return err
		})
		if err == nil {
			t.Error("DELETE in a transaction succeeded")
		}
		var rows []store.AuditEntry
		if err := db.NewSelect().Model(&rows).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Action != "test.append" || rows[0].Detail != `{"n":1}` {
			t.Errorf("audit_log after the refused changes: %+v", rows)
		}
	})
}

// A change that could not get its locks is a CONFLICT to retry, not an
// internal error.
func TestBusyIsAConflict(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		err := db.InTx(context.Background(), func(context.Context, bun.Tx) error {
			return errors.New("sqlite: step: database is locked (5) (SQLITE_BUSY)")
		})
		if store.ErrorCode(err) != store.Conflict || !strings.Contains(err.Error(), "thử lại") {
			t.Fatalf("busy: %v", err)
		}
		if err := db.InTx(context.Background(), func(context.Context, bun.Tx) error { return errors.New("other") }); store.ErrorCode(err) != store.Internal {
			t.Fatalf("another error: %v", err)
		}
	})
}

// The pool grows with the processors the process may use, within bounds,
// and leaves three quarters of a small PostgreSQL server to others.
func TestPoolSize(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ procs, serverMax, want int }{
		{1, 0, 8}, {2, 0, 8}, {4, 0, 16}, {32, 0, 64}, {2, 97, 8}, {8, 97, 24}, {8, 20, 5}, {2, 3, 2},
	} {
		if got := store.PoolSize(c.procs, c.serverMax); got != c.want {
			t.Errorf("PoolSize(%d, %d) = %d, want %d", c.procs, c.serverMax, got, c.want)
		}
	}
}

// LongRunning reaches the same database (on PostgreSQL, the same schema)
// through its own pool, opened once: asking again (every alert scan does)
// opens no other connection.
func TestLongRunningIsTheSameDatabase(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.ExecContext(ctx, "CREATE TABLE long_probe (n INTEGER)"); err != nil {
			t.Fatal(err)
		}
		long, done := db.LongRunning()
		if _, err := long.ExecContext(ctx, "INSERT INTO long_probe (n) VALUES (7)"); err != nil {
			t.Fatal(err)
		}
		if err := done(); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.NewRaw("SELECT n FROM long_probe").Scan(ctx, &n); err != nil || n != 7 {
			t.Errorf("read back %d, %v", n, err)
		}
		again, _ := db.LongRunning()
		if _, err := again.ExecContext(ctx, "INSERT INTO long_probe (n) VALUES (8)"); err != nil {
			t.Fatal(err)
		}
		if again != long || again.Stats().OpenConnections > 1 {
			t.Errorf("asking again opened another pool (%d connections)", again.Stats().OpenConnections)
		}
	})
}

// TestParseStoredInstant: instants as bun writes them on SQLite read back
// exactly, in UTC; other forms are refused, or read as time.Parse reads them.
func TestParseStoredInstant(t *testing.T) {
	zones := []*time.Location{time.UTC, store.VN, time.FixedZone("", -(3*3600 + 30*60))}
	base := time.Date(2026, 12, 5, 19, 19, 13, 0, time.UTC)
	for i, ns := range []int{0, 100_000_000, 123_000, 123_456_000, 999_999_000, 1_000} {
		for _, z := range zones {
			want := base.Add(time.Duration(i) * 37 * time.Hour).Add(time.Duration(ns)).In(z)
			for _, layout := range []string{"2006-01-02 15:04:05.999999-07:00", "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999"} {
				s := want.Format(layout)
				got, err := store.ParseStoredInstant(s)
				w := want
				if !strings.HasSuffix(layout, "07:00") {
					w = time.Date(want.Year(), want.Month(), want.Day(), want.Hour(), want.Minute(), want.Second(), want.Nanosecond(), time.UTC)
				}
				if err != nil || !got.Equal(w) || got.Location() != time.UTC {
					t.Errorf("ParseStoredInstant(%q) = %v, %v; want %v", s, got, err, w.UTC())
				}
			}
		}
	}
	for _, s := range []string{"", "2026-12-05", "2026-13-05 10:00:00", "2026-02-30 10:00:00", "2026-12-05 24:00:00",
		"2026-12-05 10:00:00+", "2026-12-05 10:00:00.+00:00", "2026-12-05 10:00:00+0700", "2026-12-05 10:00:00Z", "2026-12-05T10:00:00+00:00"} {
		if got, err := store.ParseStoredInstant(s); err == nil {
			t.Errorf("ParseStoredInstant(%q) = %v, want an error", s, got)
		}
	}
}

// SQLite keeps each connection's compiled reads by their text: a read
// asked again answers what the table holds now, also after the table's
// columns change, while another read of the same text is still open, and
// after more texts than a connection keeps.
func TestKeptStatementsReadWhatIsStored(t *testing.T) {
	t.Parallel()
	db := storetest.Unmigrated(t, store.SQLite)
	ctx := context.Background()
	db.SetMaxOpenConns(1) // every read on the one connection that keeps them
	exec := func(q string) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	names := func(q string) string {
		t.Helper()
		var out []string
		if err := db.NewRaw(q).Scan(ctx, &out); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return strings.Join(out, " ")
	}
	exec("CREATE TABLE kept (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
	exec("INSERT INTO kept (name) VALUES ('Hà Nội'), ('Huế')")
	const read = "SELECT name FROM kept ORDER BY id"
	hits, _ := store.SQLiteStatementCache()
	if got := names(read); got != "Hà Nội Huế" {
		t.Fatalf("first read: %q", got)
	}
	exec("INSERT INTO kept (name) VALUES ('Đà Nẵng')")
	if got := names(read); got != "Hà Nội Huế Đà Nẵng" {
		t.Fatalf("the read again after an insert: %q", got)
	}
	if h, _ := store.SQLiteStatementCache(); h == hits {
		t.Fatal("the read asked again compiled its statement again")
	}

	// The columns change: the kept statement is compiled again by SQLite.
	const all = "SELECT * FROM kept ORDER BY id LIMIT 1"
	var row map[string]any
	if err := db.NewRaw(all).Scan(ctx, &row); err != nil || len(row) != 2 {
		t.Fatalf("%s: %v %v", all, row, err)
	}
	exec("ALTER TABLE kept ADD COLUMN code TEXT NOT NULL DEFAULT '01'")
	row = nil
	if err := db.NewRaw(all).Scan(ctx, &row); err != nil || row["code"] != "01" {
		t.Fatalf("%s after a column was added: %v %v", all, row, err)
	}

	// The same text while its first rows are open, in a transaction.
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		outer, err := tx.QueryContext(ctx, read)
		if err != nil {
			return err
		}
		defer outer.Close()
		var got []string
		for outer.Next() && len(got) <= 3 { // a statement reset under its rows starts again
			var n string
			if err := outer.Scan(&n); err != nil {
				return err
			}
			var inner []string
			if err := tx.NewRaw(read).Scan(ctx, &inner); err != nil {
				return err
			}
			got = append(got, n+":"+strings.Join(inner, ","))
		}
		if err := outer.Err(); err != nil {
			return err
		}
		if want := "Hà Nội:Hà Nội,Huế,Đà Nẵng Huế:Hà Nội,Huế,Đà Nẵng Đà Nẵng:Hà Nội,Huế,Đà Nẵng"; strings.Join(got, " ") != want {
			t.Errorf("nested reads of one text: %q", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// A kept statement pushed out while its rows are open is closed when
	// they close, after giving every row.
	err = db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		rows, err := tx.QueryContext(ctx, read)
		if err != nil {
			return err
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return err
			}
			got = append(got, n)
			if len(got) == 1 {
				for i := range 2 * 32 {
					var n int
					if err := tx.NewRaw("SELECT ? + count(*) FROM kept", i).Scan(ctx, &n); err != nil || n != i+3 {
						return fmt.Errorf("read %d while the first is open: %d %v", i, n, err)
					}
				}
			}
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		if strings.Join(got, " ") != "Hà Nội Huế Đà Nẵng" {
			t.Errorf("rows of a statement pushed out while open: %q", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// A read cancelled halfway, and a read failing at a row, leave their
	// statements fit to run again.
	cctx, cancel := context.WithCancel(ctx)
	rows, err := db.QueryContext(cctx, read)
	if err != nil {
		t.Fatal(err)
	}
	rows.Next()
	cancel()
	for rows.Next() {
	}
	rows.Close()
	if got := names(read); got != "Hà Nội Huế Đà Nẵng" {
		t.Fatalf("the read after one was cancelled: %q", got)
	}
	exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
	exec(`INSERT INTO notes (body) VALUES ('{"a": "một"}'), ('not JSON')`)
	const each = "SELECT json_extract(body, '$.a') FROM notes ORDER BY id"
	if got, err := db.QueryContext(ctx, each); err == nil {
		for got.Next() {
		}
		err = got.Err()
		got.Close()
		if err == nil {
			t.Fatal("json_extract of a text that is not JSON did not fail")
		}
	}
	exec(`UPDATE notes SET body = '{"a": "hai"}' WHERE id = 2`)
	if got := names(each); got != "một hai" {
		t.Fatalf("the read again after it failed: %q", got)
	}

	// More texts than a connection keeps, then the first ones again.
	for round := range 2 {
		for i := range 80 {
			var n int
			q := "SELECT count(*) + " + strconv.Itoa(i) + " FROM kept"
			if err := db.NewRaw(q).Scan(ctx, &n); err != nil || n != 3+i {
				t.Fatalf("round %d, %s: %d %v", round, q, n, err)
			}
		}
	}
	if got := names(read); got != "Hà Nội Huế Đà Nẵng" {
		t.Fatalf("the read after eviction: %q", got)
	}
}
