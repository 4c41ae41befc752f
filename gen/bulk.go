package gen

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
)

// batch is rows of one table built for a bulk write: COPY text on
// PostgreSQL, bound values on SQLite. Values are added column by column
// (int, float, str, null, date, instant), each row closed with end.
type batch struct {
	table string
	cols  []string
	pg    bool
	buf   []byte // PostgreSQL: the rows in COPY's text format
	args  []any  // SQLite: the values, row after row
	n     int    // rows
	col   int    // values in the row being built
}

func newBatch(pg bool, table string, cols ...string) *batch {
	return &batch{table: table, cols: cols, pg: pg}
}

// sep starts a value.
func (b *batch) sep() {
	if b.pg && b.col > 0 {
		b.buf = append(b.buf, '\t')
	}
	b.col++
}

func (b *batch) int(v int64) {
	b.sep()
	if b.pg {
		b.buf = strconv.AppendInt(b.buf, v, 10)
	} else {
		b.args = append(b.args, v)
	}
}

func (b *batch) float(f float64) {
	b.sep()
	if b.pg {
		b.buf = strconv.AppendFloat(b.buf, f, 'g', -1, 64)
	} else {
		b.args = append(b.args, f)
	}
}

// optFloat writes *f, or NULL for nil.
func (b *batch) optFloat(f *float64) {
	if f == nil {
		b.null()
		return
	}
	b.float(*f)
}

func (b *batch) str(s string) {
	b.sep()
	if !b.pg {
		b.args = append(b.args, s)
		return
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			b.buf = append(b.buf, '\\', '\\')
		case '\t':
			b.buf = append(b.buf, '\\', 't')
		case '\n':
			b.buf = append(b.buf, '\\', 'n')
		case '\r':
			b.buf = append(b.buf, '\\', 'r')
		default:
			b.buf = append(b.buf, c)
		}
	}
}

func (b *batch) null() {
	b.sep()
	if b.pg {
		b.buf = append(b.buf, '\\', 'N')
	} else {
		b.args = append(b.args, nil)
	}
}

// date writes a day number (see day) as "YYYY-MM-DD", or NULL for 0.
func (b *batch) date(d day) {
	if d == 0 {
		b.null()
		return
	}
	b.str(d.String())
}

// instant writes t as bun writes instants on SQLite ("2006-01-02
// 15:04:05.999999+00:00", UTC: SQLite compares them as text, so they must
// have the form the write path gives them), which PostgreSQL reads too.
func (b *batch) instant(t time.Time) {
	b.str(t.UTC().Format("2006-01-02 15:04:05.999999-07:00"))
}

func (b *batch) end() {
	if b.col != len(b.cols) {
		panic(fmt.Sprintf("gen: %s row with %d values for %d columns", b.table, b.col, len(b.cols)))
	}
	if b.pg {
		b.buf = append(b.buf, '\n')
	}
	b.col = 0
	b.n++
}

func (b *batch) reset() {
	b.buf, b.args, b.n, b.col = b.buf[:0], b.args[:0], 0, 0
}

// writer writes batches inside the generator's transaction: with COPY on
// PostgreSQL (on the transaction's own connection), with multi-row INSERTs
// of bound values on SQLite (statements prepared once per table).
type writer struct {
	conn  bun.Conn
	tx    bun.Tx
	stmts map[string]*sql.Stmt
	rows  int
}

// sqliteRows is how many rows one INSERT carries on SQLite, under its
// limit of 32,766 bound values a statement.
func sqliteRows(cols int) int { return max(1, 400/cols) }

func (w *writer) write(ctx context.Context, b *batch) error {
	if b.n == 0 {
		return nil
	}
	defer b.reset()
	w.rows += b.n
	cols := strings.Join(b.cols, ", ")
	if b.pg {
		_, err := pgdriver.CopyFrom(ctx, w.conn, bytes.NewReader(b.buf), "COPY "+b.table+" ("+cols+") FROM STDIN")
		if err != nil {
			return fmt.Errorf("gen: copying %d rows into %s: %w", b.n, b.table, err)
		}
		return nil
	}
	per := sqliteRows(len(b.cols))
	for from := 0; from < b.n; from += per {
		n := min(per, b.n-from)
		stmt, err := w.insert(ctx, b.table, cols, len(b.cols), n)
		if err != nil {
			return err
		}
		if _, err := stmt.ExecContext(ctx, b.args[from*len(b.cols):(from+n)*len(b.cols)]...); err != nil {
			return fmt.Errorf("gen: inserting %d rows into %s: %w", n, b.table, err)
		}
	}
	return nil
}

// insert returns the prepared INSERT of n rows into table.
func (w *writer) insert(ctx context.Context, table, cols string, ncols, n int) (*sql.Stmt, error) {
	key := table + "/" + strconv.Itoa(n)
	if s, ok := w.stmts[key]; ok {
		return s, nil
	}
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", ncols), ", ") + ")"
	// OR FAIL: a failing row stops the statement without undoing its
	// earlier rows (the transaction is rolled back anyway), so for a table
	// without foreign keys (search_words, the largest) SQLite keeps no
	// statement journal (its writes took a sixth of the load; the tables with
	// foreign keys still keep one).
	q := "INSERT OR FAIL INTO " + table + " (" + cols + ") VALUES " + strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
	s, err := w.tx.PrepareContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("gen: preparing the insert into %s: %w", table, err)
	}
	if w.stmts == nil {
		w.stmts = map[string]*sql.Stmt{}
	}
	w.stmts[key] = s
	return s, nil
}

func (w *writer) close() {
	for _, s := range w.stmts {
		s.Close()
	}
}
