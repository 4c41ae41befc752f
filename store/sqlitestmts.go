package store

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"strings"
	"sync/atomic"

	"github.com/uptrace/bun/driver/sqliteshim"
)

// SQLite compiles every statement before it runs it, and bun sends each
// statement as text with its values written in: sqlite3_prepare was 6% of
// the server's CPU on a page of tasks, and its parser allocates through
// the driver's allocator, one lock for the whole process. The same
// page asked by the same user on the same day is the same text, so each
// connection keeps the statements it compiled for reading, by text, the
// most recently used first (stmtCacheSize of them), and runs a kept one
// again after resetting it. SQLite recompiles a kept statement by itself
// when the schema changes (sqlite3_prepare_v2), and when its connection
// learns of new planner statistics. Only reads (SELECT, WITH) of at most
// stmtCacheText bytes are kept: an INSERT … RETURNING or a long IN list
// holds values written in, and would only push the reads out.

// stmtCacheSize is how many compiled statements each connection keeps, and
// stmtCacheText the longest text kept.
const (
	stmtCacheSize = 32
	stmtCacheText = 16 << 10
)

// stmtCacheHits and stmtCacheMisses count the reads of every SQLite
// connection that found their statement kept, and those that compiled it.
var stmtCacheHits, stmtCacheMisses atomic.Int64

// SQLiteStatementCache is how many reads on SQLite found their compiled
// statement kept, and how many compiled it, since the process started.
func SQLiteStatementCache() (hits, misses int64) {
	return stmtCacheHits.Load(), stmtCacheMisses.Load()
}

// stmtConnector opens SQLite connections through the driver sqliteshim
// registers, each keeping its compiled statements.
type stmtConnector struct{ dsn string }

func (c stmtConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := sqliteshim.Driver().Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return newStmtConn(conn)
}

func (c stmtConnector) Driver() driver.Driver { return sqliteshim.Driver() }

// sqliteConn is what the SQLite driver's connections do: everything
// database/sql asks of a connection, with contexts.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// stmtConn is a SQLite connection keeping its compiled statements. It needs
// no lock of its own: database/sql holds the connection's lock while it
// queries, and while it closes rows. A kept statement whose rows are still
// open (a second read of the same text inside a transaction) is not
// reused: that read compiles its own, as it would without keeping.
type stmtConn struct {
	sqliteConn
	byText map[string]*list.Element // of *keptStmt
	lru    list.List                // most recently used first
}

type keptStmt struct {
	text  string
	stmt  driver.Stmt
	busy  bool // its rows are open
	gone  bool // evicted while busy: closed when its rows close
	query driver.StmtQueryContext
}

// newStmtConn keeps c's statements, or returns c as it is when its driver
// is not the one this was written for (sqliteshim picks mattn/go-sqlite3
// under the cgosqlite build tag, whose values and rows work otherwise).
func newStmtConn(c driver.Conn) (driver.Conn, error) {
	sc, ok := c.(sqliteConn)
	if _, checks := c.(driver.NamedValueChecker); !ok || checks {
		return c, nil
	}
	return &stmtConn{sqliteConn: sc, byText: map[string]*list.Element{}}, nil
}

// keepable says whether query's compiled statement is worth keeping: a
// read, not too long.
func keepable(query string) bool {
	if len(query) > stmtCacheText {
		return false
	}
	q := strings.TrimLeft(query, " \t\n")
	return len(q) >= 6 && (strings.EqualFold(q[:6], "SELECT") || strings.EqualFold(q[:4], "WITH"))
}

// QueryContext runs query with a compiled statement kept for its text, or
// compiles and keeps one.
func (c *stmtConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if !keepable(query) {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	var k *keptStmt
	if e, ok := c.byText[query]; ok {
		k = e.Value.(*keptStmt)
		if k.busy {
			return c.sqliteConn.QueryContext(ctx, query, args)
		}
		c.lru.MoveToFront(e)
		stmtCacheHits.Add(1)
	} else {
		st, err := c.sqliteConn.PrepareContext(ctx, query)
		if err != nil {
			return nil, err
		}
		q, ok := st.(driver.StmtQueryContext)
		if !ok {
			st.Close()
			return c.sqliteConn.QueryContext(ctx, query, args)
		}
		stmtCacheMisses.Add(1)
		k = &keptStmt{text: query, stmt: st, query: q}
		c.byText[query] = c.lru.PushFront(k)
		if c.lru.Len() > stmtCacheSize {
			c.evict(c.lru.Back())
		}
	}
	rows, err := k.query.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	sr, ok := rows.(sqliteRows)
	if !ok { // not the driver this was written for: its rows as they come
		rows.Close()
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	k.busy = true
	return &keptRows{sqliteRows: sr, kept: k}, nil
}

// evict forgets e's statement, closing it now or, if its rows are open,
// when they close.
func (c *stmtConn) evict(e *list.Element) {
	k := c.lru.Remove(e).(*keptStmt)
	delete(c.byText, k.text)
	if k.busy {
		k.gone = true
		return
	}
	k.stmt.Close()
}

// Close closes the kept statements, then the connection.
func (c *stmtConn) Close() error {
	for c.lru.Len() > 0 {
		c.evict(c.lru.Front())
	}
	return c.sqliteConn.Close()
}

// sqliteRows is what the SQLite driver's rows do.
type sqliteRows interface {
	driver.Rows
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

// keptRows are the rows of a kept statement: closing them resets the
// statement (the driver does) and frees it for the next read.
type keptRows struct {
	sqliteRows
	kept *keptStmt
}

func (r *keptRows) Close() error {
	err := r.sqliteRows.Close()
	k := r.kept
	k.busy = false
	if k.gone {
		err = errors.Join(err, k.stmt.Close())
	}
	return err
}
