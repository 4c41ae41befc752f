package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
)

// MaxPage is the largest page a list returns.
const MaxPage = 100

// Lists page by keyset ("seek") cursors. Every list has a total order: an
// Order of SQL sort keys whose last key is the row's id. A cursor is opaque
// to clients (base64url of a small JSON object) and holds the name of the
// list and order it belongs to and the values of the sort keys of the row
// it points at; the next page is the rows strictly after those values in
// that order. No offset is involved, so rows inserted, deleted or updated
// while someone pages do not move the cursor. What a reader paging through
// a list that changes gets:
//   - a row whose sort key does not change while they page is returned
//     exactly once (if it still exists when its page is read);
//   - a row inserted while they page is returned once if it lands after the
//     cursor, not at all if it lands before;
//   - a row whose sort key changes is returned in its new place if that is
//     after the cursor: so it is not returned at all when it moves from
//     after the cursor to before it, and returned a second time when it
//     moves from before the cursor (already returned) to after it. Orders
//     whose key only moves rows one way (updatedAt descending) therefore
//     never repeat a row.

// KeyKind is the type of a sort key's values.
type KeyKind int

const (
	KeyInt  KeyKind = iota // INTEGER / BIGINT
	KeyText                // TEXT
	KeyTime                // {{.Timestamp}}, compared as instants
	KeyDate                // a store.Date, stored as TEXT YYYY-MM-DD
)

// Key is one sort key of an Order.
type Key struct {
	// Expr is the SQL expression sorted on (code, never user input).
	Expr string
	Kind KeyKind
	// Nullable keys sort NULLs after every value, in both directions.
	Nullable bool
}

// Order is the total order of one list: its keys, all in one direction,
// the last of which is the row's id (the tie-breaker).
type Order struct {
	// Name identifies the list and order in cursors ("tasks.DUE_DATE"), so
	// that a cursor of another list or order is refused.
	Name string
	Desc bool
	Keys []Key
	// Selected says the query already names its columns (ColumnExpr);
	// otherwise the model's columns are selected.
	Selected bool
}

// maxKeys is the number of sort-key slots in SortKey.
const maxKeys = 6

// SortKey is embedded in every listed model: the values of its list's sort
// keys read with the row (columns k0…k5), and its cursor.
type SortKey struct {
	K0     any    `bun:"k0,scanonly" json:"-"`
	K1     any    `bun:"k1,scanonly" json:"-"`
	K2     any    `bun:"k2,scanonly" json:"-"`
	K3     any    `bun:"k3,scanonly" json:"-"`
	K4     any    `bun:"k4,scanonly" json:"-"`
	K5     any    `bun:"k5,scanonly" json:"-"`
	Cursor string `bun:"-" json:"-"`
}

// SortKeys returns k; listed models get it by embedding SortKey.
func (k *SortKey) SortKeys() *SortKey { return k }

func (k *SortKey) slot(i int) any {
	return [maxKeys]any{k.K0, k.K1, k.K2, k.K3, k.K4, k.K5}[i]
}

// Keyed is a listed model.
type Keyed interface{ SortKeys() *SortKey }

// Page asks for Limit rows after the row of the cursor After ("" for the
// first page).
type Page struct {
	Limit int
	After string
	// SkipCount leaves PageInfo.Total zero instead of counting the whole
	// list: one statement less when the caller does not show the count.
	SkipCount bool
	// SkipCursors leaves the rows' cursors empty, for a caller that shows
	// none.
	SkipCursors bool
}

// PageInfo describes a page returned: the total count of the list (every
// page, not only the rest), whether rows follow the page, and whether the
// page was asked for after a cursor.
type PageInfo struct {
	Total       int
	HasNext     bool
	HasPrevious bool
	// Cursors says the rows' cursors are set (Page.SkipCursors was not).
	Cursors bool
}

// cursor is the JSON inside a cursor.
type cursor struct {
	O string `json:"o"`
	K []any  `json:"k"`
}

// name is the order's name with its direction.
func (o Order) name() string {
	if o.Desc {
		return o.Name + ".DESC"
	}
	return o.Name + ".ASC"
}

// ErrCursor is the INVALID error of a cursor that is not one of this list
// and order's: garbage, tampered with, or from another list or order.
func ErrCursor(c string) *Error {
	if len(c) > 40 {
		c = c[:40] + "…"
	}
	return &Error{Code: Invalid, Field: "after",
		Message: "con trỏ after không hợp lệ cho danh sách và thứ tự này: " + c,
		English: "invalid after cursor for this list and order: " + c}
}

// encode returns the cursor of a row whose keys are k.
func (o Order) encode(k *SortKey) (string, error) {
	c := cursor{O: o.name(), K: make([]any, len(o.Keys))}
	for i, key := range o.Keys {
		v, err := normalise(key, k.slot(i))
		if err != nil {
			return "", fmt.Errorf("store: %s cursor key %d (%s): %w", o.Name, i, key.Expr, err)
		}
		if t, ok := v.(time.Time); ok {
			v = t.Format(time.RFC3339Nano)
		}
		c.K[i] = v
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("store: encoding cursor: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// normalise turns a value read from either driver into the Go value of its
// key's kind: int64, string or time.Time (UTC), or nil.
func normalise(k Key, v any) (any, error) {
	if v == nil {
		if !k.Nullable {
			return nil, fmt.Errorf("NULL in a key that is not nullable")
		}
		return nil, nil
	}
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	switch k.Kind {
	case KeyInt:
		switch n := v.(type) {
		case int64:
			return n, nil
		case int32:
			return int64(n), nil
		case int:
			return int64(n), nil
		case string:
			return strconv.ParseInt(n, 10, 64)
		}
	case KeyText, KeyDate:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case KeyTime:
		switch t := v.(type) {
		case time.Time:
			return t.UTC(), nil
		case string:
			for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999"} {
				if p, err := time.Parse(layout, t); err == nil {
					return p.UTC(), nil
				}
			}
		}
	}
	return nil, fmt.Errorf("unexpected value %T %v", v, v)
}

// decode reads the cursor c of this order into its key values, or fails
// with ErrCursor.
func (o Order) decode(c string) ([]any, error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return nil, ErrCursor(c)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var cur cursor
	if err := dec.Decode(&cur); err != nil || dec.More() || cur.O != o.name() || len(cur.K) != len(o.Keys) {
		return nil, ErrCursor(c)
	}
	vals := make([]any, len(o.Keys))
	for i, key := range o.Keys {
		v := cur.K[i]
		if v == nil {
			if !key.Nullable {
				return nil, ErrCursor(c)
			}
			continue
		}
		switch key.Kind {
		case KeyInt:
			n, ok := v.(json.Number)
			if !ok {
				return nil, ErrCursor(c)
			}
			x, err := strconv.ParseInt(string(n), 10, 64)
			if err != nil {
				return nil, ErrCursor(c)
			}
			vals[i] = x
		case KeyText:
			s, ok := v.(string)
			if !ok || strings.IndexByte(s, 0) >= 0 {
				return nil, ErrCursor(c)
			}
			vals[i] = s
		case KeyDate:
			s, ok := v.(string)
			if !ok {
				return nil, ErrCursor(c)
			}
			if _, err := ParseDate(s); err != nil {
				return nil, ErrCursor(c)
			}
			vals[i] = s
		case KeyTime:
			s, ok := v.(string)
			if !ok {
				return nil, ErrCursor(c)
			}
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return nil, ErrCursor(c)
			}
			vals[i] = t.UTC()
		}
	}
	return vals, nil
}

// after returns the condition "the row comes after the row with key values
// vals" in this order, NULLs last: for keys k1…kn,
//
//	k1 ≻ v1 OR (k1 = v1 AND (k2 ≻ v2 OR (k2 = v2 AND … kn ≻ vn)))
//
// where ≻ is > (ascending) or < (descending), "k ≻ v" also holds when k is
// NULL and v is not, never when v is NULL, and "k = NULL" is "k IS NULL".
func (o Order) after(vals []any) (string, []any) {
	op := " > ?"
	if o.Desc {
		op = " < ?"
	}
	var b strings.Builder
	var args []any
	for i, k := range o.Keys {
		v := vals[i]
		last := i == len(o.Keys)-1
		switch {
		case v == nil:
			b.WriteString("(1 = 0")
		case k.Nullable:
			b.WriteString("((" + k.Expr + op + " OR " + k.Expr + " IS NULL)")
			args = append(args, v)
		default:
			b.WriteString("(" + k.Expr + op)
			args = append(args, v)
		}
		if last {
			break
		}
		if v == nil {
			b.WriteString(" OR (" + k.Expr + " IS NULL AND ")
		} else {
			b.WriteString(" OR (" + k.Expr + " = ? AND ")
			args = append(args, v)
		}
	}
	for i := range o.Keys {
		if i < len(o.Keys)-1 {
			b.WriteString("))")
		} else {
			b.WriteString(")")
		}
	}
	return b.String(), args
}

// orderBy is the ORDER BY of this order.
func (o Order) orderBy() string {
	dir := " ASC"
	if o.Desc {
		dir = " DESC"
	}
	parts := make([]string, len(o.Keys))
	for i, k := range o.Keys {
		parts[i] = k.Expr + dir
		if k.Nullable {
			parts[i] += " NULLS LAST"
		}
	}
	return strings.Join(parts, ", ")
}

// List reads into *rows (the model of q) the page p of q in order o, sets
// each row's cursor, and returns the page's info. q holds the list's
// filters and scope; the total count ignores the cursor. A cursor that is
// not one of o's is INVALID.
func List[T Keyed](ctx context.Context, q *bun.SelectQuery, rows *[]T, o Order, p Page) (PageInfo, error) {
	if len(o.Keys) == 0 || len(o.Keys) > maxKeys {
		return PageInfo{}, fmt.Errorf("store: order %s has %d keys", o.Name, len(o.Keys))
	}
	if p.Limit <= 0 {
		p.Limit = 50
	}
	p.Limit = min(p.Limit, MaxPage)
	var vals []any
	if p.After != "" {
		var err error
		if vals, err = o.decode(p.After); err != nil {
			return PageInfo{}, err
		}
	}
	info := PageInfo{HasPrevious: p.After != ""}
	if !p.SkipCount {
		total, err := q.Count(ctx)
		if err != nil {
			return PageInfo{}, err
		}
		info.Total = int(total)
	}
	if !o.Selected {
		q = q.ColumnExpr("?TableColumns")
	}
	for i, k := range o.Keys {
		q = q.ColumnExpr(k.Expr + " AS k" + strconv.Itoa(i))
	}
	if vals != nil {
		cond, args := o.after(vals)
		q = q.Where(cond, args...)
	}
	if err := q.OrderExpr(o.orderBy()).Limit(int64(p.Limit + 1)).Scan(ctx); err != nil {
		return PageInfo{}, err
	}
	if len(*rows) > p.Limit {
		*rows, info.HasNext = (*rows)[:p.Limit], true
	}
	if p.SkipCursors {
		return info, nil
	}
	for _, r := range *rows {
		k := r.SortKeys()
		var err error
		if k.Cursor, err = o.encode(k); err != nil {
			return PageInfo{}, err
		}
	}
	info.Cursors = true
	return info, nil
}
