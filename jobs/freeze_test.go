package jobs_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"p06/alerts"
	"p06/auth"
	"p06/jobs"
	"p06/org"
	"p06/rbac"
	"p06/reports"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
	"p06/tasks"
)

// The freeze runs on the first of the month at its time in Hà Nội, on a
// fake clock: two processes running it at once, then a manual runJob,
// store each unit's report for the month just ended exactly once.
func TestFreezeJobOncePerUnitAndMonth(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			ctx := context.Background()
			// 30 November 2026, 23:00 in Hà Nội: the freeze is due at 06:30.
			fake := clockwork.NewFakeClockAt(time.Date(2026, 11, 30, 23, 0, 0, 0, store.VN))
			clock := store.Clock(fake.Now)
			al := newStore(t, db, clock)
			authz, err := rbac.NewAuthorizer(ctx, db, 0)
			if err != nil {
				t.Fatal(err)
			}
			svc := reports.NewService(db, org.NewStore(db), tasks.NewStore(db, clock), auth.NewService(db, authz, clock, auth.DefaultConfig), clock, quiet)
			units, err := svc.ReportUnits(ctx, rbac.National())
			if err != nil || len(units) < 64 {
				t.Fatalf("%d units, %v", len(units), err)
			}
			if _, err := jobs.FreezeJob(svc, "6h30"); err == nil {
				t.Fatal("a time of day that is not HH:MM")
			}
			// Two processes on the database, each with its scheduler.
			var scheds []*jobs.Scheduler
			for range 2 {
				job, err := jobs.FreezeJob(svc, "06:30")
				if err != nil {
					t.Fatal(err)
				}
				s, err := jobs.New(al, quiet, jobs.Options{Clock: fake, Now: clock}, job)
				if err != nil {
					t.Fatal(err)
				}
				s.Start()
				defer s.Stop(ctx) //nolint:errcheck // the test is over
				scheds = append(scheds, s)
			}
			fake.BlockUntil(2) // both wait for 1 December, 06:30
			if rs, _, _ := al.Runs(ctx, jobs.JobFreeze, store.Page{Limit: 10}); len(rs) != 0 {
				t.Fatalf("ran before its time: %+v", rs)
			}
			fake.Advance(7*time.Hour + 30*time.Minute)
			rs := waitRuns(t, al, jobs.JobFreeze, 2)
			created := 0
			for _, r := range rs {
				if r.Trigger != jobs.TriggerSchedule || r.Outcome != alerts.OK || !r.StartedAt.Equal(time.Date(2026, 12, 1, 6, 30, 0, 0, store.VN)) {
					t.Fatalf("scheduled run %+v", r)
				}
				var c struct{ Created, Kept int }
				decode(t, r.Counts, &c)
				if c.Created+c.Kept != len(units) {
					t.Errorf("run %+v: created and kept are not every unit (%d)", r, len(units))
				}
				created += c.Created
			}
			if created != len(units) {
				t.Errorf("the two runs created %d snapshots, want one per unit: %d", created, len(units))
			}
			if n, err := db.NewSelect().Table("report_snapshots").Where("period = ? AND cause = ?", "2026-11", reports.Scheduled).Count(ctx); err != nil || n != int64(len(units)) {
				t.Fatalf("%d snapshots of 2026-11, want %d: %v", n, len(units), err)
			}
			// Asked again by an administrator (runJob): nothing more.
			r, err := scheds[0].RunNow(ctx, identity(t, al, "admin"), jobs.JobFreeze)
			if err != nil || r.Outcome != alerts.OK || r.Trigger != jobs.TriggerManual {
				t.Fatalf("manual run %+v %v", r, err)
			}
			var c struct{ Created, Kept int }
			if decode(t, r.Counts, &c); c.Created != 0 || c.Kept != len(units) {
				t.Errorf("manual run counts %s", r.Counts)
			}
			if n, _ := db.NewSelect().Table("report_snapshots").Count(ctx); n != int64(len(units)) {
				t.Errorf("%d snapshots in all, want %d", n, len(units))
			}
		})
	}
}

func decode(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("counts %q: %v", s, err)
	}
}
