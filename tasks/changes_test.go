package tasks_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"p06/auth"
	"p06/rbac"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
	"p06/tasks"
)

// recorder is a Notifier that remembers what it was told and, for each
// change, the version of the assignment the database held at that moment.
type recorder struct {
	db        *store.DB
	mu        sync.Mutex
	committed []tasks.Change
	versions  []int
}

func (r *recorder) Committed(cs []tasks.Change) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range cs {
		var v int
		if err := r.db.NewSelect().Table("assignments").Column("version").Where("id = ?", c.Assignment).Scan(context.Background(), &v); err != nil {
			panic(err)
		}
		r.committed = append(r.committed, c)
		r.versions = append(r.versions, v)
	}
}

// The Service tells its notifier of a change once it has committed (the
// database already holds the new version when the notifier hears of it),
// and a refused change (a stale version) tells nobody.
func TestChangesAreToldOnlyOnCommit(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := seedtest.Fresh(t, d)
			clock := store.FixedClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
			svc, actor, sc := hueService(t, db, clock)
			rec := &recorder{db: db}
			svc.SetNotifier(rec)
			as, _, err := tasks.NewStore(db, clock).ListAssignments(ctx, sc,
				tasks.AssignmentFilter{States: []tasks.State{tasks.NotStarted, tasks.InProgress}}, tasks.Order{}, store.Page{Limit: 1})
			if err != nil || len(as) == 0 {
				t.Fatalf("an open assignment of hue: %v", err)
			}
			a := as[0]
			progress := 13
			if a.Progress == progress {
				progress++
			}
			stale := a.Version - 1
			if _, err := svc.UpdateAssignment(ctx, actor, tasks.AssignmentUpdate{AssignmentID: a.ID, ExpectedVersion: stale, Progress: &progress}); store.ErrorCode(err) != store.Conflict {
				t.Fatalf("a stale version: %v", err)
			}
			if len(rec.committed) != 0 {
				t.Fatalf("refused, yet told %v", rec.committed)
			}
			if _, err := svc.UpdateAssignment(ctx, actor, tasks.AssignmentUpdate{AssignmentID: a.ID, ExpectedVersion: a.Version, Progress: &progress}); err != nil {
				t.Fatal(err)
			}
			want := tasks.Change{Assignment: a.ID, Kind: tasks.ChangeUpdated}
			if len(rec.committed) != 1 || rec.committed[0] != want || rec.versions[0] != a.Version+1 {
				t.Fatalf("told %v with versions %v; want %v once, at version %d", rec.committed, rec.versions, want, a.Version+1)
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
