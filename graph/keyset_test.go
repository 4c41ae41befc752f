package graph_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"p06/rbac"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
	"p06/tasks"
)

// row is a listed task or assignment as the keyset tests read it.
type row struct {
	ID        string
	DueDate   *string
	UpdatedAt string
	Progress  int
}

func numID(t *testing.T, gid string) int64 {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(gid)
	_, num, ok := strings.Cut(string(b), ":")
	n, err2 := strconv.ParseInt(num, 10, 64)
	if err != nil || !ok || err2 != nil {
		t.Fatalf("global id %q", gid)
	}
	return n
}

// pageThrough reads the whole list field (tasks or assignments) in order
// orderBy, size rows at a time, following endCursor; it checks pageInfo on
// every page and returns the rows in the order read and the totalCount of
// the first page. between runs after each page.
func pageThrough(t *testing.T, c *client, field, orderBy string, size int, between func()) ([]row, int) {
	t.Helper()
	sel := "id dueDate updatedAt"
	if field == "assignments" {
		sel += " progress"
	}
	q := fmt.Sprintf(`query($after: String) { l: %s(orderBy: %s, first: %d, after: $after) {
		totalCount nodes { %s } edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`, field, orderBy, size, sel)
	var rows []row
	var after any
	total := -1
	for page := 0; ; page++ {
		var out struct {
			L struct {
				TotalCount int
				Nodes      []row
				Edges      []struct{ Cursor string }
				PageInfo   struct {
					HasNextPage, HasPreviousPage bool
					StartCursor, EndCursor       *string
				}
			}
		}
		c.must(q, map[string]any{"after": after}, &out)
		l := out.L
		if total < 0 {
			total = l.TotalCount
		}
		if l.PageInfo.HasPreviousPage != (after != nil) {
			t.Fatalf("%s %s page %d: hasPreviousPage %v", field, orderBy, page, l.PageInfo.HasPreviousPage)
		}
		if len(l.Nodes) > size || len(l.Edges) != len(l.Nodes) || (l.PageInfo.HasNextPage && len(l.Nodes) != size) {
			t.Fatalf("%s %s page %d: %d nodes, %d edges, hasNextPage %v", field, orderBy, page, len(l.Nodes), len(l.Edges), l.PageInfo.HasNextPage)
		}
		rows = append(rows, l.Nodes...)
		if between != nil {
			between()
		}
		if !l.PageInfo.HasNextPage {
			return rows, total
		}
		if *l.PageInfo.StartCursor != l.Edges[0].Cursor || *l.PageInfo.EndCursor != l.Edges[len(l.Edges)-1].Cursor {
			t.Fatalf("%s %s page %d: start/end cursors are not the edges'", field, orderBy, page)
		}
		after = *l.PageInfo.EndCursor
		if page > 2000 {
			t.Fatal("no end to the pages")
		}
	}
}

// checkOrder checks that rows are in order by key (nil: NULL) in direction
// desc, NULLs last in both directions, ties broken by id in the same
// direction.
func checkOrder(t *testing.T, name string, rows []row, desc bool, key func(row) *string) {
	t.Helper()
	nulls := false
	for i, r := range rows {
		k := key(r)
		if k == nil {
			nulls = true
		} else if nulls {
			t.Fatalf("%s: row %d has a key after a NULL", name, i)
		}
		if i == 0 {
			continue
		}
		p, pk := rows[i-1], key(rows[i-1])
		var cmp int
		switch {
		case k == nil && pk == nil:
		case k == nil || pk == nil:
			continue // the NULLs-last rule, checked above
		default:
			cmp = strings.Compare(*k, *pk)
		}
		if cmp == 0 {
			a, b := numID(t, p.ID), numID(t, r.ID)
			if (!desc && b <= a) || (desc && b >= a) {
				t.Fatalf("%s: tie at row %d not broken by id (%d then %d)", name, i, a, b)
			}
			continue
		}
		if (cmp < 0) != desc {
			t.Fatalf("%s: row %d (%s) out of order after %s", name, i, *k, *pk)
		}
	}
}

func TestOrderBy(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClient(t, db)
		due := func(r row) *string { return r.DueDate }
		upd := func(r row) *string {
			tm, err := time.Parse(time.RFC3339Nano, r.UpdatedAt)
			if err != nil {
				t.Fatal(err)
			}
			s := tm.UTC().Format("2006-01-02T15:04:05.000000000")
			return &s
		}
		prog := func(r row) *string { s := fmt.Sprintf("%03d", r.Progress); return &s }
		var docIDs []string
		for _, c0 := range []struct {
			field, order string
			desc         bool
			key          func(row) *string
		}{
			{"tasks", "{field: DUE_DATE}", false, due},
			{"tasks", "{field: DUE_DATE, direction: DESC}", true, due},
			{"tasks", "{field: UPDATED_AT, direction: DESC}", true, upd},
			{"assignments", "{field: DUE_DATE}", false, due},
			{"assignments", "{field: DUE_DATE, direction: DESC}", true, due},
			{"assignments", "{field: PROGRESS}", false, prog},
			{"assignments", "{field: PROGRESS, direction: DESC}", true, prog},
			{"assignments", "{field: UPDATED_AT}", false, upd},
		} {
			name := c0.field + " " + c0.order
			rows, total := pageThrough(t, c, c0.field, c0.order, 97, nil)
			if len(rows) != total || total < 413 {
				t.Fatalf("%s: read %d rows, totalCount %d", name, len(rows), total)
			}
			checkOrder(t, name, rows, c0.desc, c0.key)
			if c0.key(rows[0]) == nil {
				t.Fatalf("%s: starts with NULL", name)
			}
			if c0.field == "tasks" && c0.key(rows[len(rows)-1]) != nil && strings.Contains(c0.order, "DUE") {
				t.Fatalf("%s: the continuous tasks (no due date) are not last", name)
			}
		}
		// The default is the document order, and DOCUMENT ASC is the same.
		def, _ := pageThrough(t, c, "tasks", "null", 100, nil)
		doc, _ := pageThrough(t, c, "tasks", "{field: DOCUMENT}", 100, nil)
		back, _ := pageThrough(t, c, "tasks", "{field: DOCUMENT, direction: DESC}", 100, nil)
		for i := range def {
			docIDs = append(docIDs, def[i].ID)
			if doc[i].ID != def[i].ID || back[len(back)-1-i].ID != def[i].ID {
				t.Fatalf("document order differs at %d", i)
			}
		}
		// Document.tasks takes the order too.
		var out struct {
			Document struct {
				Tasks struct{ Nodes []row }
			}
		}
		c.must(`{ document(number: "06/QĐ-TTg") { tasks(orderBy: {field: DUE_DATE, direction: DESC}, first: 100) { nodes { id dueDate } } } }`, nil, &out)
		if len(out.Document.Tasks.Nodes) == 0 {
			t.Fatal("Document.tasks is empty")
		}
		checkOrder(t, "Document.tasks", out.Document.Tasks.Nodes, true, due)
	})
}

func TestCursorErrors(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClient(t, db)
		cursorOf := func(q string) string {
			var out struct {
				L struct{ PageInfo struct{ EndCursor string } }
			}
			c.must(q, nil, &out)
			return out.L.PageInfo.EndCursor
		}
		due := cursorOf(`{ l: tasks(orderBy: {field: DUE_DATE}, first: 3) { pageInfo { endCursor } } }`)
		unit := cursorOf(`{ l: orgUnits(first: 3) { pageInfo { endCursor } } }`)
		raw, _ := base64.RawURLEncoding.DecodeString(due)
		enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
		tampered := enc(strings.Replace(string(raw), `"k":[`, `"k":["x",`, 1))
		for _, b := range []struct{ name, list, after string }{
			{"garbage", "tasks(orderBy: {field: DUE_DATE})", "bogus!"},
			{"not base64 JSON", "tasks(orderBy: {field: DUE_DATE})", enc("o:40")},
			{"tampered keys", "tasks(orderBy: {field: DUE_DATE})", tampered},
			{"wrong key type", "tasks(orderBy: {field: DUE_DATE})", enc(`{"o":"tasks.DUE_DATE.ASC","k":["2024-01-01","7"]}`)},
			{"a due date that is not a date", "tasks(orderBy: {field: DUE_DATE})", enc(`{"o":"tasks.DUE_DATE.ASC","k":["x'--",7]}`)},
			{"NULL id", "tasks(orderBy: {field: DUE_DATE})", enc(`{"o":"tasks.DUE_DATE.ASC","k":[null,null]}`)},
			{"unknown field", "tasks(orderBy: {field: DUE_DATE})", enc(`{"o":"tasks.DUE_DATE.ASC","k":[null,7],"x":1}`)},
			{"another order", "tasks(orderBy: {field: UPDATED_AT})", due},
			{"another direction", "tasks(orderBy: {field: DUE_DATE, direction: DESC})", due},
			{"another list", "tasks(orderBy: {field: DUE_DATE})", unit},
			{"another list (assignments)", "assignments(orderBy: {field: DUE_DATE})", due},
			{"a units cursor on users", "users", unit},
			{"a tasks cursor on documents", "documents", due},
		} {
			q := fmt.Sprintf(`query($a: String) { l: %s { totalCount } }`, strings.Replace(b.list, ")", ", after: $a)", 1))
			if !strings.Contains(b.list, "(") {
				q = fmt.Sprintf(`query($a: String) { l: %s(after: $a) { totalCount } }`, b.list)
			}
			for lang, want := range map[string]string{"vi": "con trỏ after không hợp lệ", "en": "invalid after cursor"} {
				r := c.do(q, map[string]any{"a": b.after}, nil, "Accept-Language", lang)
				if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "INVALID" || !strings.Contains(r.Errors[0].Message, want) {
					t.Errorf("%s [%s]: %+v, want INVALID %q", b.name, lang, r.Errors, want)
				}
			}
		}
		// A valid cursor still works, and the null NULL-key cursor of a
		// continuous task is accepted.
		c.must(fmt.Sprintf(`{ tasks(orderBy: {field: DUE_DATE}, after: %q) { totalCount } }`, due), nil, nil)
		c.must(fmt.Sprintf(`{ tasks(orderBy: {field: DUE_DATE}, after: %q) { totalCount } }`, enc(`{"o":"tasks.DUE_DATE.ASC","k":[null,7]}`)), nil, nil)
	})
}

// TestPagingWhileWriting pages through lists 7 rows at a time while, between
// every two pages, a writer inserts tasks (tasks.Store.CreateTask) and saves assignments'
// facts (tasks.Store.SaveFacts, raising progress by one each time, with a
// clock that only moves forward, later than every stored time).
//
// What keyset cursors guarantee (store/page.go): the next page is the rows
// strictly after the last row's sort key and id. So
//   - a row whose sort key does not change while paging appears exactly
//     once; a row inserted while paging appears at most once;
//   - a row whose key changes appears in its new place if that is after the
//     cursor: not at all if it moved from after the cursor to before it,
//     twice if it moved from before the cursor (already read) to after it.
//
// Tasks by due date: the writer never changes a task's due date, so every
// task that existed before paging appears exactly once and nothing repeats.
// Assignments by updatedAt or progress descending: an update only moves a
// row towards the front (a later time, more progress), that is behind the
// cursor, so nothing repeats at all, and every assignment the writer did
// not touch appears exactly once. Assignments by updatedAt ascending: an
// update moves a row to the end, so an updated row already read is read
// again: only rows the writer touched may repeat, every other row appears
// exactly once.
func TestPagingWhileWriting(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			ctx := context.Background()
			c := newClient(t, db)
			var latest time.Time
			if err := db.NewSelect().TableExpr("assignments").ColumnExpr("MAX(updated_at)").Scan(ctx, &latest); err != nil {
				t.Fatal(err)
			}
			var tick atomic.Int64
			clock := func() time.Time { return latest.Add(time.Hour + time.Duration(tick.Add(1))*time.Millisecond) }
			ts := tasks.NewStore(db, clock)
			var docID int64
			if err := db.NewSelect().TableExpr("documents").ColumnExpr("MIN(id)").Scan(ctx, &docID); err != nil {
				t.Fatal(err)
			}
			var unitID int64
			if err := db.NewSelect().TableExpr("org_units").Column("id").Where("code = '46'").Scan(ctx, &unitID); err != nil {
				t.Fatal(err)
			}
			var open []int64 // assignments the writer may raise
			if err := db.NewSelect().TableExpr("assignments").Column("id").Where("state = 'IN_PROGRESS' AND progress < 50").
				OrderExpr("id").Scan(ctx, &open); err != nil || len(open) < 20 {
				t.Fatalf("%d in-progress assignments, %v", len(open), err)
			}

			// The writer: one round between every two pages (a task
			// inserted, an assignment's progress raised), at most 150
			// rounds a run, so the interleaving, and so the test, is the
			// same on every run and every machine.
			deadlines := []string{"tháng 1/2024", "quý II/2025", "thường xuyên", "trong năm 2023", "tháng 12/2026"}
			round := 0
			write := func(touched map[string]bool) (writes int) {
				i := round
				round++
				task := &tasks.Task{DocumentID: docID, SortOrder: 1000 + i, Title: fmt.Sprintf("Nhiệm vụ thêm %d", i),
					DeadlineText: deadlines[i%len(deadlines)], Source: store.SourceUser}
				if err := ts.CreateTask(ctx, task, []tasks.NewAssignment{{OrgUnitID: unitID, Role: tasks.Lead}}); err != nil {
					t.Fatal(err)
				}
				as, err := ts.AssignmentsByIDs(ctx, rbac.National(), []int64{open[i%len(open)]})
				if err != nil || len(as) != 1 {
					t.Fatalf("assignment %d: %v", open[i%len(open)], err)
				}
				writes++
				if a := as[0]; a.Progress < 99 {
					a.Progress++
					touched[gid("Assignment", a.ID)] = true
					if err := ts.SaveFacts(ctx, a, tasks.FactsChange{Expected: a.Version, Day: store.Today(clock)}); err != nil {
						t.Fatal(err)
					}
					writes++
				}
				return writes
			}
			for _, run := range []struct {
				field, order string
				repeats      bool // touched rows may repeat (updatedAt ascending)
			}{
				{"tasks", "{field: DUE_DATE}", false},
				{"tasks", "{field: DUE_DATE, direction: DESC}", false},
				{"assignments", "{field: UPDATED_AT, direction: DESC}", false},
				{"assignments", "{field: PROGRESS, direction: DESC}", false},
				{"assignments", "{field: UPDATED_AT}", true},
			} {
				name := run.field + " " + run.order
				before, _ := pageThrough(t, c, run.field, run.order, 100, nil)
				touched := map[string]bool{}
				writes, pages := 0, 0
				rows, _ := pageThrough(t, c, run.field, run.order, 7, func() {
					pages++
					if pages <= 150 {
						writes += write(touched)
					}
				})
				if writes < 10 {
					t.Fatalf("%s: only %d writes during %d pages", name, writes, pages)
				}
				count := map[string]int{}
				for _, r := range rows {
					count[r.ID]++
				}
				var missing, repeated []string
				for _, r := range before {
					if !touched[r.ID] && count[r.ID] != 1 {
						missing = append(missing, fmt.Sprintf("%s×%d", r.ID, count[r.ID]))
					}
				}
				for id, n := range count {
					if n > 1 && (!run.repeats || !touched[id]) {
						repeated = append(repeated, fmt.Sprintf("%s×%d", id, n))
					}
				}
				sort.Strings(repeated)
				if len(missing) > 0 || len(repeated) > 0 {
					t.Fatalf("%s with %d writes: rows not seen exactly once %v; repeated %v", name, writes, missing, repeated)
				}
				if len(rows) <= len(before)-len(touched) {
					t.Fatalf("%s: read %d rows, %d before", name, len(rows), len(before))
				}
			}
		})
	}
}

func gid(typ string, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + strconv.FormatInt(id, 10)))
}
