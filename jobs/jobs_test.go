package jobs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"p06/alerts"
	"p06/auth"
	"p06/jobs"
	"p06/rbac"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newStore(t *testing.T, db *store.DB, clock store.Clock) *alerts.Store {
	t.Helper()
	authz, err := rbac.NewAuthorizer(context.Background(), db, 0)
	if err != nil {
		t.Fatal(err)
	}
	return alerts.NewStore(db, authz, clock)
}

func TestMain(m *testing.M) { seedtest.Main(m) }

// identity is the demo user name signed in with a session.
func identity(t *testing.T, al *alerts.Store, name string) *auth.Identity {
	t.Helper()
	var u auth.User
	if err := al.DB().NewSelect().Model(&u).Where("username = ?", name).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &auth.Identity{User: &u, Method: auth.MethodSession, SessionID: 1, CSRFOK: true}
}

// waitRuns waits until job has n runs that ended, and returns them newest
// first.
func waitRuns(t *testing.T, al *alerts.Store, job string, n int) []*alerts.Run {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		rs, _, err := al.Runs(context.Background(), job, store.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		ended := 0
		for _, r := range rs {
			if r.Outcome != alerts.Running {
				ended++
			}
		}
		if ended >= n {
			return rs
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d runs of %s ended, want %d", ended, job, n)
		}
	}
}

// A job with an interval runs at start-up; a manual run is recorded as
// such with the user who asked; a failed last run and a job that has not
// run for longer than its Due make Health report it; Stop waits for a run
// in progress until its context ends, and the run is recorded as failed.
func TestSchedulerRunsRecordsAndReports(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) { t.Parallel(); schedulerRuns(t, seedtest.Fresh(t, d)) })
	}
}

func schedulerRuns(t *testing.T, db *store.DB) {
	{
		ctx := context.Background()
		now := time.Date(2026, 12, 1, 9, 0, 0, 0, store.VN)
		clock := func() time.Time { return now }
		al := newStore(t, db, clock)
		fail := false
		block := make(chan struct{})
		s, err := jobs.New(al, quiet, jobs.Options{Now: clock},
			jobs.Job{Name: "count", Every: time.Hour, Due: 2 * time.Hour, Run: func(ctx context.Context, runID int64) (map[string]int, error) {
				if fail {
					return map[string]int{"done": 0}, errors.New("nothing to count")
				}
				return map[string]int{"done": 3}, nil
			}},
			jobs.Job{Name: "slow", Run: func(ctx context.Context, runID int64) (map[string]int, error) {
				close(block)
				<-ctx.Done()
				return nil, ctx.Err()
			}},
		)
		if err != nil {
			t.Fatal(err)
		}
		s.Start()
		rs := waitRuns(t, al, "count", 1)
		if r := rs[0]; r.Trigger != jobs.TriggerStart || r.Outcome != alerts.OK || r.Counts != `{"done":3}` || r.Process == "" || !r.StartedAt.Equal(now) {
			t.Fatalf("start-up run %+v", r)
		}
		if err := s.Health(ctx); err != nil {
			t.Fatalf("healthy scheduler: %v", err)
		}

		admin, hue := identity(t, al, "admin"), identity(t, al, "hue")
		if _, err := s.RunNow(ctx, hue, "count"); store.ErrorCode(err) != store.Forbidden {
			t.Fatalf("a province editor running a job: %v", err)
		}
		fail = true
		r, err := s.RunNow(ctx, admin, "count")
		if err != nil || r.Trigger != jobs.TriggerManual || r.Outcome != alerts.Failed || r.Error != "nothing to count" {
			t.Fatalf("manual run %+v %v", r, err)
		}
		if err := s.Health(ctx); err == nil || !strings.Contains(err.Error(), "nothing to count") {
			t.Fatalf("health after a failed run: %v", err)
		}
		fail = false
		if _, err := s.RunNow(ctx, admin, "count"); err != nil {
			t.Fatal(err)
		}
		if err := s.Health(ctx); err != nil {
			t.Fatalf("health after a good run: %v", err)
		}
		now = now.Add(3 * time.Hour)
		if err := s.Health(ctx); err == nil || !strings.Contains(err.Error(), "overdue") {
			t.Fatalf("health 3 hours later: %v", err)
		}
		if _, err := s.RunNow(ctx, admin, "nothing"); store.ErrorCode(err) != store.Invalid {
			t.Fatalf("an unknown job: %v", err)
		}

		go s.RunNow(ctx, admin, "slow") //nolint:errcheck // its run is checked below
		<-block
		if _, err := s.RunNow(ctx, admin, "slow"); store.ErrorCode(err) != store.Conflict {
			t.Fatalf("a second run of a running job: %v", err)
		}
		stopCtx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if err := s.Stop(stopCtx); err != nil {
			t.Fatal(err)
		}
		rs = waitRuns(t, al, "slow", 1)
		if rs[0].Outcome != alerts.Failed || !strings.Contains(rs[0].Error, "canceled") {
			t.Fatalf("the run stopped by the shutdown: %+v", rs[0])
		}
	}
}

// On PostgreSQL one process of those sharing a database leads; when it
// stops, another takes the lead at its next try (its retry interval), and
// says so (OnTakeOver) once.
func TestElectorOneLeader(t *testing.T) {
	t.Parallel()
	db := storetest.Fresh(t, store.Postgres)
	ctx := context.Background()
	a, err := jobs.NewElector(ctx, db, quiet, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.IsLeader(ctx); err != nil {
		t.Fatalf("the first process: %v", err)
	}
	b, err := jobs.NewElector(ctx, db, quiet, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	tookOver := make(chan struct{}, 10)
	b.OnTakeOver(func() { tookOver <- struct{}{} })
	if err := b.IsLeader(ctx); !errors.Is(err, jobs.ErrNotLeader) {
		t.Fatalf("the second process while the first leads: %v", err)
	}
	if err := a.IsLeader(ctx); err != nil {
		t.Fatalf("the leader again: %v", err)
	}
	a.Close()
	select {
	case <-tookOver:
	case <-time.After(30 * time.Second):
		t.Fatal("the second process did not take the lead")
	}
	if err := b.IsLeader(ctx); err != nil || !b.Leading() {
		t.Fatalf("the second process once the first stopped: %v", err)
	}
	if len(tookOver) != 0 {
		t.Fatalf("took over %d more times", len(tookOver))
	}
}
