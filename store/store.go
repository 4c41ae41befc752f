// Package store opens the application database (embedded SQLite by default,
// PostgreSQL through DATABASE_URL), applies the embedded migrations and holds
// the small types every domain package shares: dates, errors, text folding.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/pgdriver"
	"github.com/uptrace/bun/schema"
)

// Dialect names the database engine behind a DB.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is the application database.
type DB struct {
	*bun.DB
	Engine Dialect
	// Where is a description of the database safe to print (no password).
	Where string
	// PoolMax is how many connections the pool opens at most.
	PoolMax int
	stats   *Stats
	// dsn and params open PostgreSQL again (LongRunning), into long.
	dsn    string
	params map[string]any
	long   *longPool
}

// Config says which database to open.
type Config struct {
	// URL is DATABASE_URL: empty or "sqlite:PATH" for SQLite, "postgres://…"
	// or "postgresql://…" for PostgreSQL.
	URL string
	// DataDir holds the default SQLite file p06.db when URL is empty.
	DataDir string
	// MaxConns is P06_DB_MAX_CONNS: how many connections the pool opens at
	// most (and keeps while idle). Zero derives it (see PoolSize).
	MaxConns int
}

// Open opens the database cfg names and checks that it answers.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	u := strings.TrimSpace(cfg.URL)
	var db *DB
	var err error
	switch {
	case u == "":
		dir := cfg.DataDir
		if dir == "" {
			dir = "data"
		}
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("store: creating data directory: %w", err)
		}
		db, err = openSQLite(filepath.Join(dir, "p06.db"))
	case strings.HasPrefix(u, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(u, "sqlite:"), "//")
		if path == "" {
			return nil, errors.New("store: DATABASE_URL sqlite: needs a file path, e.g. sqlite:data/p06.db")
		}
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("store: creating data directory: %w", err)
			}
		}
		db, err = openSQLite(path)
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		db, err = openPostgres(u, nil)
		if err == nil {
			err = db.sizePool(ctx, cfg.MaxConns)
		}
	default:
		return nil, fmt.Errorf("store: DATABASE_URL must start with sqlite: or postgres://, got %q", redact(u))
	}
	if err != nil {
		return nil, err
	}
	if db.Engine == SQLite && cfg.MaxConns > 0 {
		db.setPool(cfg.MaxConns)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connecting to %s: %w", db.Where, err)
	}
	return db, nil
}

// Optimize gives the query planner statistics where they are missing or
// stale. On SQLite that is PRAGMA optimize, checking every table
// (0x10002), with ANALYZE sampling at most analysisLimit rows per index:
// without statistics SQLite plans a page of tasks by scanning and sorting
// every task and computing each one's status and assignments before
// taking the page, instead of walking the documents' index in the page's
// order. It analyzes the tables never analyzed and those whose size
// changed about tenfold since, a few milliseconds; it takes the write lock
// even when there is nothing to do, so it waits behind a writer as any
// write does. The statistics of a first ANALYZE reach every connection
// (the schema changes); later ones reach the others as they are replaced
// (connMaxLifetime). PostgreSQL's autovacuum keeps its own statistics:
// nothing to do there.
func (db *DB) Optimize(ctx context.Context) error {
	if db.Engine != SQLite {
		return nil
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: optimizing: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA analysis_limit = %d", analysisLimit)); err != nil {
		return fmt.Errorf("store: optimizing: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA optimize(0x10002)"); err != nil {
		return fmt.Errorf("store: optimizing: %w", err)
	}
	return nil
}

// Checkpoint folds SQLite's write-ahead log into the database file and
// empties it (wal_checkpoint(TRUNCATE)), waiting for readers and writers
// as a write does; nothing on PostgreSQL. A log left full after a bulk
// load (the demo seeding writes 20 MB of it) is consulted by every read
// until writes recycle it: a P1 page cost SQLite 2.9 ms of CPU through it
// and 2.3 ms without it.
func (db *DB) Checkpoint(ctx context.Context) error {
	if db.Engine != SQLite {
		return nil
	}
	if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return fmt.Errorf("store: checkpoint: %w", err)
	}
	return nil
}

// analysisLimit bounds ANALYZE's rows per index on SQLite (Optimize): a
// sample is enough to rank the indexes, and keeps ANALYZE short on a
// national database (the demo's 55 indexes took 11 ms).
const analysisLimit = 1000

// KeepOptimized runs Optimize every interval until ctx ends, logging a
// failure and going on: the statistics follow a database that grows from a
// handful of rows to a national programme while the server runs.
func (db *DB) KeepOptimized(ctx context.Context, every time.Duration, logf func(error)) {
	if db.Engine != SQLite {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := db.Optimize(ctx); err != nil && ctx.Err() == nil {
				logf(err)
			}
		}
	}
}

// openSQLite opens a SQLite file through the pure-Go driver. The pragmas are
// in the DSN so that every pooled connection gets them.
func openSQLite(path string) (*DB, error) {
	dsn := "file:" + path + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)" +
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	sqldb := sql.OpenDB(stmtConnector{dsn: dsn})
	// One writer at a time is SQLite's rule; a small pool keeps readers
	// concurrent under WAL without piling up writers on the busy timeout.
	db := newDB(sqldb, sqlitedialect.New(), SQLite, "sqlite:"+path)
	db.setPool(sqlitePool)
	return db, nil
}

// sqlitePool is the default pool of the embedded database: readers run
// concurrently under WAL, writers take turns on the write lock.
const sqlitePool = 4

// PoolSize is how many PostgreSQL connections one process opens at most,
// and keeps open while idle, unless told otherwise (Config.MaxConns): four
// per processor the process may use (a request waits on the database about
// as long as it computes, and runs two or three queries at once through its
// loaders), from 8 to 64, and never more than a quarter of the connections
// the server accepts for ordinary users, so that four replicas and the
// administrator's tools fit.
func PoolSize(procs, serverMax int) int {
	n := min(max(4*procs, 8), 64)
	if serverMax > 0 {
		n = min(n, max(serverMax/4, 2))
	}
	return n
}

// Connections live at most connMaxLifetime, so that a pool follows a
// failover or a changed DNS name, and close after connMaxIdle unused.
const (
	connMaxLifetime = 30 * time.Minute
	connMaxIdle     = 5 * time.Minute
)

// setPool sizes the pool: as many idle connections as open ones. With Go's
// default of two idle, a busy server closed and reopened PostgreSQL
// connections on most requests.
func (db *DB) setPool(n int) {
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(connMaxIdle)
	db.SetConnMaxLifetime(connMaxLifetime)
	db.PoolMax = n
}

// sizePool sets the PostgreSQL pool to want, or derives it from this
// machine and the server's max_connections (less its reserved ones).
func (db *DB) sizePool(ctx context.Context, want int) error {
	if want > 0 {
		db.setPool(want)
		return nil
	}
	var maxConns, reserved int
	err := db.QueryRowContext(ctx, `SELECT current_setting('max_connections')::int,
		current_setting('superuser_reserved_connections')::int`).Scan(&maxConns, &reserved)
	if err != nil {
		db.Close()
		return fmt.Errorf("store: connecting to %s: %w", db.Where, err)
	}
	db.setPool(PoolSize(runtime.GOMAXPROCS(0), maxConns-reserved))
	return nil
}

// openPostgres opens PostgreSQL through bun's pgdriver. params are extra
// connection parameters (the tests use search_path).
func openPostgres(dsn string, params map[string]any) (*DB, error) {
	sqldb := sql.OpenDB(pgdriver.NewConnector(postgresOptions(dsn, params)...))
	db := newDB(sqldb, pgdialect.New(), Postgres, redact(dsn))
	db.dsn, db.params = dsn, params
	db.setPool(PoolSize(runtime.GOMAXPROCS(0), 0))
	return db, nil
}

// postgresTimeout bounds connecting, and each read and write of a
// statement's messages: a statement that sends nothing back for longer
// fails (i/o timeout), whatever its context allows.
const postgresTimeout = 10 * time.Second

func postgresOptions(dsn string, params map[string]any) []pgdriver.Option {
	opts := []pgdriver.Option{pgdriver.WithDSN(dsn), pgdriver.WithTimeout(postgresTimeout)}
	if params != nil {
		opts = append(opts, pgdriver.WithConnParams(params))
	}
	return opts
}

// LongRunning returns a handle on the same database for work of which one
// statement may take longer than postgresTimeout (a bulk COPY on a busy
// machine, VACUUM of large tables, the first alert scan of a national
// programme), and a release function kept for its callers, which does
// nothing: on PostgreSQL a small pool of its own whose reads and writes wait
// as long as their context allows, opened on first use and closed with db
// (so a job that runs every few minutes does not connect anew each time);
// on SQLite, which has no such timeout, db itself.
func (db *DB) LongRunning() (*DB, func() error) {
	release := func() error { return nil }
	if db.Engine != Postgres {
		return db, release
	}
	db.long.mu.Lock()
	defer db.long.mu.Unlock()
	if db.long.db == nil {
		opts := append(postgresOptions(db.dsn, db.params), pgdriver.WithReadTimeout(0), pgdriver.WithWriteTimeout(0))
		long := newDB(sql.OpenDB(pgdriver.NewConnector(opts...)), pgdialect.New(), Postgres, db.Where)
		long.dsn, long.params = db.dsn, db.params
		long.setPool(2)
		db.long.db = long
	}
	return db.long.db, release
}

// longPool is the pool LongRunning opens once.
type longPool struct {
	mu sync.Mutex
	db *DB
}

// Close closes the database and the pool LongRunning opened on it.
func (db *DB) Close() error {
	db.long.mu.Lock()
	long := db.long.db
	db.long.db = nil
	db.long.mu.Unlock()
	if long != nil {
		_ = long.Close()
	}
	return db.DB.Close()
}

// newDB wraps an opened pool, counting its statements.
func newDB(sqldb *sql.DB, d schema.Dialect, engine Dialect, where string) *DB {
	db := &DB{DB: bun.NewDB(sqldb, d), Engine: engine, Where: where, stats: &Stats{}, long: &longPool{}}
	db.AddQueryHook(db.stats)
	return db
}

// Stats counts what a DB did since it was opened.
type Stats struct {
	statements atomic.Int64
}

// Statements is how many SQL statements have run.
func (s *Stats) Statements() int64 { return s.statements.Load() }

func (s *Stats) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }
func (s *Stats) AfterQuery(context.Context, *bun.QueryEvent)                        { s.statements.Add(1) }

// Counts is what the database did since it was opened.
func (db *DB) Counts() *Stats { return db.stats }

// OpenPostgresSchema opens PostgreSQL with search_path set to schema, so that
// every pooled connection works inside it. Test helpers use it to give each
// test its own schema in one database.
func OpenPostgresSchema(dsn, schema string) (*DB, error) {
	return openPostgres(dsn, map[string]any{"search_path": schema})
}

// redact hides the password in a database URL.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// InTx runs fn in a transaction, committing when it returns nil and rolling
// back otherwise, so a failed change leaves nothing behind.
//
// A transaction that could not get its locks in time (another writer held
// the database or the rows too long, or a deadlock) is the caller's to
// retry: a CONFLICT saying so, not an internal error.
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	return AsBusy(db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return fn(ctx, tx) }))
}
