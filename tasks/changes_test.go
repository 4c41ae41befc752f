package tasks_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"

	"p06/auth"
	"p06/rbac"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
	"p06/tasks"
)

// recorder is a Notifier that remembers what it was told, and can refuse
// inside the transaction: its notice is then SQL that fails.
type recorder struct {
	mu        sync.Mutex
	inTx      []tasks.Change
	committed []tasks.Change
	refuse    bool
}

func (r *recorder) Notice(cs []tasks.Change) schema.QueryAppender {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inTx = append(r.inTx, cs...)
	if r.refuse {
		return bun.SafeQuery("refused_by_the_test()")
	}
	return nil
}

func (r *recorder) Committed(cs []tasks.Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.committed = append(r.committed, cs...)
}

// The Service tells its notifier of each change inside the transaction and
// after the commit; a transaction that rolls back (here: the notifier
// itself refuses, after the row was written) is told to nobody and leaves
// the assignment as it was.
func TestChangesAreToldOnlyOnCommit(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := seedtest.Fresh(t, d)
			clock := store.FixedClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
			svc, actor, sc := hueService(t, db, clock)
			rec := &recorder{}
			svc.SetNotifier(rec)
			as, _, err := tasks.NewStore(db, clock).ListAssignments(ctx, sc,
				tasks.AssignmentFilter{States: []tasks.State{tasks.NotStarted, tasks.InProgress}}, tasks.Order{}, store.Page{Limit: 1})
			if err != nil || len(as) == 0 {
				t.Fatalf("an open assignment of hue: %v", err)
			}
			a := as[0]
			progress := 13
			rec.refuse = true
			if _, err := svc.UpdateAssignment(ctx, actor, tasks.AssignmentUpdate{AssignmentID: a.ID, ExpectedVersion: a.Version, Progress: &progress}); err == nil {
				t.Fatal("the notifier refused, yet the update succeeded")
			}
			if len(rec.inTx) != 1 || len(rec.committed) != 0 {
				t.Fatalf("rolled back: told %v in the transaction, %v after; want one inside, none after", rec.inTx, rec.committed)
			}
			now, err := tasks.NewStore(db, clock).AssignmentsByIDs(ctx, sc, []int64{a.ID})
			if err != nil || now[0].Version != a.Version || now[0].Progress == progress {
				t.Fatalf("rolled back, yet the assignment changed: %+v %v", now[0], err)
			}
			if n := count(t, db, "audit_log", "action = 'assignment.update'"); n != 0 {
				t.Fatalf("rolled back, yet %d audit rows", n)
			}
			if n := count(t, db, "assignment_facts", "assignment_id = ?", a.ID); n != a.Version {
				t.Fatalf("rolled back, yet %d versions of the facts for version %d", n, a.Version)
			}

			rec.refuse, rec.inTx = false, nil
			if _, err := svc.UpdateAssignment(ctx, actor, tasks.AssignmentUpdate{AssignmentID: a.ID, ExpectedVersion: a.Version, Progress: &progress}); err != nil {
				t.Fatal(err)
			}
			want := tasks.Change{Assignment: a.ID, Kind: tasks.ChangeUpdated}
			if len(rec.inTx) != 1 || rec.inTx[0] != want || len(rec.committed) != 1 || rec.committed[0] != want {
				t.Fatalf("committed: told %v inside, %v after; want %v each", rec.inTx, rec.committed, want)
			}
		})
	}
}

// hueService is the write path on db as the demo editor of Huế (hue) uses
// it, telling the time by clock: the service, hue signed in by session 7
// from 203.0.113.9, and hue's scope.
func hueService(t *testing.T, db *store.DB, clock store.Clock) (*tasks.Service, *auth.Identity, rbac.Scope) {
	t.Helper()
	ctx := context.Background()
	authz, err := rbac.NewAuthorizer(ctx, db, 0)
	if err != nil {
		t.Fatal(err)
	}
	us, _, err := auth.NewService(db, authz, clock, auth.DefaultConfig).
		ListUsers(ctx, rbac.National(), auth.UserFilter{Search: "hue"}, store.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range us {
		if u.Username == "hue" {
			actor := &auth.Identity{User: u, Method: auth.MethodSession, SessionID: 7, CSRFOK: true, ClientIP: "203.0.113.9"}
			return tasks.NewService(db, authz, clock), actor, authz.ScopeOf(actor.Subject())
		}
	}
	t.Fatal("no demo user hue")
	return nil, nil, rbac.Scope{}
}
