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
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/pgdriver"
	"github.com/uptrace/bun/driver/sqliteshim"
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

	// dsn and params open PostgreSQL again (LongRunning).
	dsn    string
	params map[string]any
}

// Config says which database to open.
type Config struct {
	// URL is DATABASE_URL: empty or "sqlite:PATH" for SQLite, "postgres://…"
	// or "postgresql://…" for PostgreSQL.
	URL string
	// DataDir holds the default SQLite file p06.db when URL is empty.
	DataDir string
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
	default:
		return nil, fmt.Errorf("store: DATABASE_URL must start with sqlite: or postgres://, got %q", redact(u))
	}
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connecting to %s: %w", db.Where, err)
	}
	return db, nil
}

// openSQLite opens a SQLite file through the pure-Go driver. The pragmas are
// in the DSN so that every pooled connection gets them.
func openSQLite(path string) (*DB, error) {
	dsn := "file:" + path + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)" +
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	sqldb, err := sql.Open(sqliteshim.ShimName, dsn)
	if err != nil {
		return nil, fmt.Errorf("store: opening SQLite %s: %w", path, err)
	}
	// One writer at a time is SQLite's rule; a small pool keeps readers
	// concurrent under WAL without piling up writers on the busy timeout.
	sqldb.SetMaxOpenConns(4)
	sqldb.SetMaxIdleConns(4)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	return &DB{DB: bun.NewDB(sqldb, sqlitedialect.New()), Engine: SQLite, Where: "sqlite:" + path}, nil
}

// PoolSize is how many PostgreSQL connections one process opens at most,
// and keeps open while idle.
const PoolSize = 20

// openPostgres opens PostgreSQL through bun's pgdriver. params are extra
// connection parameters (the tests use search_path).
func openPostgres(dsn string, params map[string]any) (*DB, error) {
	sqldb := sql.OpenDB(pgdriver.NewConnector(postgresOptions(dsn, params)...))
	// Keep as many idle as may be open: each request runs two or three
	// queries at once through its loaders, and with Go's default of two idle
	// connections a busy server closed and reopened PostgreSQL connections
	// on most requests. Idle ones are closed after five quiet minutes.
	sqldb.SetMaxOpenConns(PoolSize)
	sqldb.SetMaxIdleConns(PoolSize)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	return &DB{DB: bun.NewDB(sqldb, pgdialect.New()), Engine: Postgres, Where: redact(dsn), dsn: dsn, params: params}, nil
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
// machine, VACUUM of large tables), and the function that releases it: on
// PostgreSQL a small pool of its own whose reads and writes wait as long as
// their context allows; on SQLite, which has no such timeout, db itself.
func (db *DB) LongRunning() (*DB, func() error) {
	if db.Engine != Postgres {
		return db, func() error { return nil }
	}
	opts := append(postgresOptions(db.dsn, db.params), pgdriver.WithReadTimeout(0), pgdriver.WithWriteTimeout(0))
	sqldb := sql.OpenDB(pgdriver.NewConnector(opts...))
	sqldb.SetMaxOpenConns(2)
	long := &DB{DB: bun.NewDB(sqldb, pgdialect.New()), Engine: Postgres, Where: db.Where, dsn: db.dsn, params: db.params}
	return long, long.Close
}

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
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return fn(ctx, tx) })
	if err != nil && IsBusy(err) {
		return ErrBusy
	}
	return err
}
