package tasks_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
	"p06/tasks"
)

// count counts the rows of table matching where.
func count(t *testing.T, db *store.DB, table, where string, args ...any) int {
	t.Helper()
	n, err := db.NewSelect().Table(table).Where(where, args...).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// An update writes its new version, the history row of that version
// (closing the one before) and its audit row: who, how signed in, from
// where, on which unit, before and after with the note in NFC. On
// PostgreSQL these are one statement; the rows are the same on both
// databases.
func TestUpdateWritesHistoryAndAudit(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := seedtest.Fresh(t, d)
			clock := store.FixedClock(time.Date(2026, 12, 1, 9, 0, 0, 0, store.VN))
			svc, actor, sc := hueService(t, db, clock)
			as, _, err := tasks.NewStore(db, clock).ListAssignments(ctx, sc,
				tasks.AssignmentFilter{States: []tasks.State{tasks.InProgress}}, tasks.Order{}, store.Page{Limit: 1})
			if err != nil || len(as) == 0 {
				t.Fatalf("an assignment of hue in progress: %v", err)
			}
			a := as[0]
			progress, state := 35, tasks.InProgress
			if a.Progress == progress {
				progress++
			}
			got, err := svc.UpdateAssignment(ctx, actor, tasks.AssignmentUpdate{AssignmentID: a.ID, ExpectedVersion: a.Version,
				Progress: &progress, Note: " \u00a0Đa\u0303 bắt đầu triển khai "}) // "Đã" in NFD
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != a.Version+1 || got.State != state || got.Progress != progress || !got.UpdatedAt.Equal(clock()) {
				t.Fatalf("returned %+v", got)
			}

			hist, err := tasks.NewStore(db, clock).History(ctx, sc, []int64{a.ID}, 2)
			if err != nil || len(hist) != 2 {
				t.Fatalf("history: %+v %v", hist, err)
			}
			prev, cur := hist[0], hist[1]
			if prev.Version != a.Version || prev.ValidTo != store.Today(clock) {
				t.Fatalf("the version before: %+v, want closed on %s", prev, store.Today(clock))
			}
			if cur.Version != a.Version+1 || cur.ValidFrom != store.Today(clock) || !cur.ValidTo.IsZero() || cur.State != state ||
				cur.Progress != progress || cur.Note != "Đã bắt đầu triển khai" || cur.ChangedBy != actor.User.ID || !cur.ChangedAt.Equal(clock()) {
				t.Fatalf("the new version: %+v", cur)
			}
			if n := count(t, db, "assignment_facts", "assignment_id = ? AND valid_to IS NULL", a.ID); n != 1 {
				t.Fatalf("%d open versions", n)
			}

			var rows []store.AuditEntry
			if err := db.NewSelect().Model(&rows).Where("action = 'assignment.update'").Scan(ctx); err != nil || len(rows) != 1 {
				t.Fatalf("audit rows: %+v %v", rows, err)
			}
			e := rows[0]
			if e.ActorID != actor.User.ID || e.Actor != "hue" || e.Via != "session:7" || e.ClientIP != "203.0.113.9" ||
				e.ObjectType != "Assignment" || e.ObjectID != strconv.FormatInt(a.ID, 10) || e.OrgPath != "/VN/46/" || !e.At.Equal(clock()) {
				t.Fatalf("audit row %+v", e)
			}
			var detail struct {
				Before, After struct {
					State    tasks.State
					Progress int
					Version  int
				}
				Note string
			}
			if err := json.Unmarshal([]byte(e.Detail), &detail); err != nil {
				t.Fatal(err)
			}
			if detail.Before.State != state || detail.Before.Progress != a.Progress || detail.Before.Version != a.Version || detail.After.State != state ||
				detail.After.Progress != progress || detail.After.Version != a.Version+1 || detail.Note != "Đã bắt đầu triển khai" {
				t.Fatalf("audit detail %s", e.Detail)
			}
		})
	}
}

// A change someone saved between the read of the assignment and the write
// of an update (here: while the update asks the clock for today) is a
// CONFLICT carrying what they saved, and the late update writes nothing: no
// version, no history row, no audit row.
func TestUpdateSavedMeanwhileIsAConflict(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := seedtest.Fresh(t, d)
			at := time.Date(2026, 12, 1, 9, 0, 0, 0, store.VN)
			other, actor, sc := hueService(t, db, store.FixedClock(at))
			as, _, err := tasks.NewStore(db, store.FixedClock(at)).ListAssignments(ctx, sc,
				tasks.AssignmentFilter{States: []tasks.State{tasks.InProgress}}, tasks.Order{}, store.Page{Limit: 1})
			if err != nil || len(as) == 0 {
				t.Fatalf("an assignment of hue in progress: %v", err)
			}
			a := as[0]
			theirs, mine := 60, 70
			var meanwhile error
			saved := false
			late, _, _ := hueService(t, db, func() time.Time {
				if !saved {
					saved = true
					_, meanwhile = other.UpdateAssignment(ctx, actor, tasks.AssignmentUpdate{AssignmentID: a.ID, ExpectedVersion: a.Version, Progress: &theirs})
				}
				return at
			})
			_, err = late.UpdateAssignment(ctx, actor, tasks.AssignmentUpdate{AssignmentID: a.ID, ExpectedVersion: a.Version, Progress: &mine, Note: "của tôi"})
			if meanwhile != nil {
				t.Fatal(meanwhile)
			}
			var c *tasks.Conflict
			if !errors.As(err, &c) || store.ErrorCode(err) != store.Conflict || c.Current.Progress != theirs || c.Current.Version != a.Version+1 {
				t.Fatalf("late update: %v %+v", err, c)
			}
			if n := count(t, db, "audit_log", "action = 'assignment.update'"); n != 1 {
				t.Fatalf("%d audit rows, want theirs only", n)
			}
			if n := count(t, db, "assignment_facts", "assignment_id = ?", a.ID); n != a.Version+1 {
				t.Fatalf("%d versions of the facts, want %d", n, a.Version+1)
			}
			now, err := tasks.NewStore(db, store.FixedClock(at)).AssignmentsByIDs(ctx, sc, []int64{a.ID})
			if err != nil || now[0].Progress != theirs || now[0].Version != a.Version+1 {
				t.Fatalf("stored %+v %v", now, err)
			}
		})
	}
}
