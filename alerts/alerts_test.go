package alerts_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"p06/alerts"
	"p06/auth"
	"p06/kpi"
	"p06/rbac"
	"p06/seeds"
	"p06/store"
	"p06/store/storetest"
	"p06/tasks"
)

// fixture is a database with the reference units, one document, and the
// tasks (and indicators) a test makes, with a clock the test moves. The
// reference indicators are removed: a test about values makes its own.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	db    *store.DB
	ts    *tasks.Store
	al    *alerts.Store
	now   time.Time
	doc   int64
	n     int
	runID int64
	authz *rbac.Authorizer
}

// indicator makes an indicator reported by the units of kinds every period
// of type pt, due dueDays after the period ends.
func (f *fixture) indicator(code string, pt kpi.PeriodType, dueDays int, kinds ...string) *kpi.Indicator {
	f.t.Helper()
	var group int64
	if err := f.db.NewRaw("SELECT MIN(id) FROM indicator_groups").Scan(f.ctx, &group); err != nil {
		f.t.Fatal(err)
	}
	ind := &kpi.Indicator{GroupID: group, Code: code, Name: "Chỉ tiêu thử " + code, Unit: "hồ sơ", Kind: kpi.Count, PeriodType: pt,
		Direction: kpi.HigherIsBetter, Aggregation: kpi.Sum, ReportingKinds: kinds, DueDays: dueDays, Weight: 1,
		Source: store.SourceDemo, Version: 1, UpdatedAt: f.now}
	if err := ind.Validate(); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.db.NewInsert().Model(ind).Returning("id").Exec(f.ctx); err != nil {
		f.t.Fatal(err)
	}
	return ind
}

// user makes a user of unit with role on the unit code on.
func (f *fixture) user(name, email, unit string, role rbac.Role, on string) *auth.User {
	f.t.Helper()
	svc := auth.NewService(f.db, f.authz, func() time.Time { return f.now }, auth.DefaultConfig)
	u, err := svc.CreateUser(f.ctx, nil, auth.NewUser{Username: name, DisplayName: "Người dùng " + name, Email: email, OrgUnit: unit, Password: "mật-khẩu-dài-đủ"})
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := svc.GrantRole(f.ctx, nil, u.ID, role, on); err != nil {
		f.t.Fatal(err)
	}
	return u
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	if _, err := seeds.Load(ctx, db, seeds.Reference, seeds.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.NewDelete().Table("indicators").Where("TRUE").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: ctx, db: db, now: time.Date(2026, 12, 1, 9, 0, 0, 0, store.VN)}
	clock := func() time.Time { return f.now }
	f.ts = tasks.NewStore(db, clock)
	authz, err := rbac.NewAuthorizer(ctx, db, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.al = alerts.NewStore(db, authz, clock)
	f.authz = authz
	doc := &tasks.Document{Kind: tasks.ChiThi, Number: "1/CT-TEST", IssueDate: store.MustDate("2026-01-02"),
		Issuer: "Thủ tướng Chính phủ", Title: "Văn bản thử", Source: store.SourceDemo}
	if err := f.ts.CreateDocument(ctx, doc); err != nil {
		t.Fatal(err)
	}
	f.doc = doc.ID
	return f
}

// task makes a task with the deadline as written, led by the units codes.
func (f *fixture) task(deadline string, codes ...string) []*tasks.Assignment {
	f.t.Helper()
	f.n++
	task := &tasks.Task{DocumentID: f.doc, SortOrder: f.n, Title: fmt.Sprintf("Nhiệm vụ thử %d", f.n), DeadlineText: deadline, Source: store.SourceDemo}
	var ns []tasks.NewAssignment
	for _, c := range codes {
		var id int64
		if err := f.db.NewRaw("SELECT id FROM org_units WHERE code = ?", c).Scan(f.ctx, &id); err != nil {
			f.t.Fatalf("unit %s: %v", c, err)
		}
		ns = append(ns, tasks.NewAssignment{OrgUnitID: id, Role: tasks.Lead, State: tasks.NotStarted})
	}
	if err := f.ts.CreateTask(f.ctx, task, ns); err != nil {
		f.t.Fatal(err)
	}
	as, err := f.ts.AssignmentsOfTasks(f.ctx, rbac.National(), []int64{task.ID})
	if err != nil {
		f.t.Fatal(err)
	}
	return as
}

// change records new facts of a from today.
func (f *fixture) change(a *tasks.Assignment, edit func(a *tasks.Assignment)) {
	f.t.Helper()
	edit(a)
	if err := f.ts.SaveFacts(f.ctx, a, tasks.FactsChange{Expected: a.Version, Day: store.DateOf(f.now)}); err != nil {
		f.t.Fatal(err)
	}
}

// scan moves the clock to day (09:00) and scans, returning what it raised
// as "unit:KIND" sorted, and how many it resolved.
func (f *fixture) scan(day string) ([]string, int) {
	f.t.Helper()
	f.now = store.MustDate(day).Time().Add(9 * time.Hour)
	run, err := f.al.StartRun(f.ctx, "alert-scan", "MANUAL", "test", 0)
	if err != nil {
		f.t.Fatal(err)
	}
	res, err := f.al.Scan(f.ctx, f.now, run.ID)
	if err != nil {
		f.t.Fatalf("scan of %s: %v", day, err)
	}
	// Ended, so that the next scan is incremental (after this one).
	if err := f.al.EndRun(f.ctx, run, nil, nil); err != nil {
		f.t.Fatal(err)
	}
	return f.raisedBy(run.ID), res.Resolved
}

func (f *fixture) raisedBy(run int64) []string {
	f.t.Helper()
	var rows []struct {
		Code, Kind, DueDate string
		Escalated           bool
	}
	if err := f.db.NewRaw("SELECT u.code, a.kind, a.due_date, a.escalated FROM alerts a JOIN org_units u ON u.id = a.org_unit_id WHERE a.job_run_id = ?", run).
		Scan(f.ctx, &rows); err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		s := r.Code + ":" + r.Kind + ":" + r.DueDate
		if r.Escalated {
			s += ":escalated"
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// The scan walked day by day with a fake clock through one task's due date:
// each kind is raised once when its window opens (7, 3 and 1 days before,
// the first day after, 30 days after: escalated for a province or
// ministry), never again on a rerun or for a past day; finishing resolves
// the unit's open alerts; an approved extension resolves the old cycle and
// starts a new one for the new date; continuous and undated tasks raise
// nothing.
func TestScanWalksTheCalendar(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		as := f.task("ngày 15/12/2026", "46", "BTP")
		var btpID int64
		if err := db.NewRaw("SELECT id FROM org_units WHERE code = 'BTP'").Scan(f.ctx, &btpID); err != nil {
			t.Fatal(err)
		}
		hue, btp := as[0], as[1]
		if hue.OrgUnitID == btpID {
			hue, btp = btp, hue
		}
		f.task("thường xuyên", "01")
		f.task("khẩn trương", "01")

		steps := []struct {
			day      string
			raised   string
			resolved int
			before   func()
		}{
			{day: "2026-12-01"},
			{day: "2026-12-07"},
			{day: "2026-12-08", raised: "46:DUE_IN_7_DAYS:2026-12-15 BTP:DUE_IN_7_DAYS:2026-12-15"},
			{day: "2026-12-08"},
			{day: "2026-12-11"},
			{day: "2026-12-12", raised: "46:DUE_IN_3_DAYS:2026-12-15 BTP:DUE_IN_3_DAYS:2026-12-15"},
			{day: "2026-12-14", raised: "46:DUE_IN_1_DAY:2026-12-15 BTP:DUE_IN_1_DAY:2026-12-15"},
			{day: "2026-12-15"},
			{day: "2026-12-16", raised: "46:OVERDUE:2026-12-15 BTP:OVERDUE:2026-12-15"},
			{day: "2026-12-08"}, // a past day again: nothing twice
			{day: "2026-12-20", resolved: 4, before: func() {
				f.change(btp, func(a *tasks.Assignment) {
					a.State, a.Progress, a.CompletedOn = tasks.Done, 100, store.MustDate("2026-12-20")
				})
			}},
			{day: "2027-01-13"},
			{day: "2027-01-14", raised: "46:OVERDUE_30_DAYS:2026-12-15:escalated"},
			{day: "2027-01-20", resolved: 5, before: func() {
				f.change(hue, func(a *tasks.Assignment) { a.DueDate = store.MustDate("2027-02-28") })
			}},
			{day: "2027-02-20"},
			{day: "2027-02-21", raised: "46:DUE_IN_7_DAYS:2027-02-28"},
			{day: "2027-02-21"},
		}
		for _, s := range steps {
			if s.before != nil {
				f.now = store.MustDate(s.day).Time().Add(8 * time.Hour)
				s.before()
			}
			raised, resolved := f.scan(s.day)
			if got := strings.Join(raised, " "); got != s.raised || resolved != s.resolved {
				t.Fatalf("scan of %s raised %q and resolved %d, want %q and %d", s.day, got, resolved, s.raised, s.resolved)
			}
		}
		var resolutions []string
		if err := db.NewRaw("SELECT resolution FROM alerts WHERE resolved_at IS NOT NULL GROUP BY resolution ORDER BY resolution").
			Scan(f.ctx, &resolutions); err != nil {
			t.Fatal(err)
		}
		if strings.Join(resolutions, ",") != "DONE,DUE_DATE_CHANGED" {
			t.Fatalf("resolutions %v", resolutions)
		}
		if n, err := f.al.Unread(f.ctx, rbac.National()); err != nil || n != 1 {
			t.Fatalf("unread: %d %v, want the new cycle's one", n, err)
		}
	})
}

// Scans on the same day running at once (two processes, a rerun during a
// run) raise each alert once: the unique key decides.
func TestConcurrentScansRaiseOnce(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		for i := 0; i < 20; i++ {
			f.task("ngày 10/12/2026", "46", "01", "BTP")
		}
		f.now = time.Date(2026, 12, 20, 7, 0, 0, 0, store.VN)
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				run, err := f.al.StartRun(f.ctx, "alert-scan", "MANUAL", "test", 0)
				if err == nil {
					_, err = f.al.Scan(f.ctx, f.now, run.ID)
				}
				if err != nil && store.ErrorCode(err) != store.Conflict {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		var n int
		if err := db.NewRaw("SELECT COUNT(*) FROM alerts WHERE kind = 'OVERDUE'").Scan(f.ctx, &n); err != nil || n != 60 {
			t.Fatalf("%d OVERDUE alerts (%v), want 60", n, err)
		}
	})
}

// The demo plan's tasks fall due around the day the demo is seeded, so a
// scan that day raises every kind of alert about assignments, and
// REPORT_DUE for the indicator values the demo lacks; seeding again later
// adds nothing.
func TestDemoShowsEveryKind(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		seeded := time.Date(2026, 3, 10, 8, 0, 0, 0, store.VN)
		if _, err := seeds.Load(ctx, db, seeds.Demo, seeds.Options{Clock: func() time.Time { return seeded }}); err != nil {
			t.Fatal(err)
		}
		authz, err := rbac.NewAuthorizer(ctx, db, 0)
		if err != nil {
			t.Fatal(err)
		}
		al := alerts.NewStore(db, authz, func() time.Time { return seeded })
		run, err := al.StartRun(ctx, alerts.JobScan, "MANUAL", "test", 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := al.Scan(ctx, seeded.Add(time.Hour), run.ID); err != nil {
			t.Fatal(err)
		}
		var got []string
		if err := db.NewRaw(`SELECT u.code || ':' || a.kind || ':' || a.due_date || CASE WHEN a.escalated THEN ':escalated' ELSE '' END
			FROM alerts a JOIN org_units u ON u.id = a.org_unit_id JOIN assignments s ON a.subject_kind = 'ASSIGNMENT' AND s.id = a.subject_id
			JOIN tasks t ON t.id = s.task_id JOIN documents d ON d.id = t.document_id
			WHERE d.number = ? ORDER BY 1`, seeds.DemoAlertsDocument).Scan(ctx, &got); err != nil {
			t.Fatal(err)
		}
		want := "01:DUE_IN_7_DAYS:2026-03-16 01:OVERDUE_30_DAYS:2026-01-29:escalated 46:DUE_IN_1_DAY:2026-03-11 " +
			"BCA:DUE_IN_3_DAYS:2026-03-13 BCA:OVERDUE_30_DAYS:2026-01-29:escalated BTP:DUE_IN_7_DAYS:2026-03-16 BTP:OVERDUE:2026-03-05"
		if s := strings.Join(got, " "); s != want {
			t.Fatalf("the demo plan raised\n%s\nwant\n%s", s, want)
		}
		// And the indicators' values: the demo has none after 2023, so
		// January's, due 10/02, are overdue for every reporting unit.
		var due []string
		if err := db.NewRaw(`SELECT u.code || ':' || i.code || ':' || a.period || ':' || a.due_date FROM alerts a
			JOIN org_units u ON u.id = a.org_unit_id JOIN indicators i ON a.subject_kind = 'DATA_VALUE' AND i.id = a.subject_id
			WHERE a.kind = 'REPORT_DUE' AND u.code = '01' ORDER BY 1`).Scan(ctx, &due); err != nil {
			t.Fatal(err)
		}
		if len(due) == 0 || !slices.Contains(due, "01:P06.01:2026-01:2026-02-10") {
			t.Fatalf("Hà Nội's values due on the seeding day: %v", due)
		}
		later := seeded.AddDate(0, 1, 0)
		if rep, err := seeds.Load(ctx, db, seeds.Demo, seeds.Options{Clock: func() time.Time { return later }}); err != nil || rep != (seeds.Report{}) {
			t.Fatalf("seeding again a month later added %s (%v)", rep, err)
		}
	})
}
