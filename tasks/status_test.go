package tasks_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"p06/rbac"
	"p06/seeds"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
	"p06/tasks"
)

func TestMain(m *testing.M) { seedtest.Main(m) }

// fixture builds the rows a status test needs on a database with the
// reference units: a document, tasks with assignments, and later changes to
// an assignment's facts.
type fixture struct {
	t   *testing.T
	ctx context.Context
	db  *store.DB
	ts  *tasks.Store
	doc int64
	n   int
}

// as describes one assignment of a fixture task: unit code, role, and
// optionally its state and completion date at creation.
type as struct {
	unit      string
	role      tasks.Role
	state     tasks.State
	completed string
}

func newFixture(t *testing.T, d store.Dialect) *fixture {
	t.Helper()
	db := storetest.Fresh(t, d)
	ctx := context.Background()
	if _, err := seeds.Load(ctx, db, seeds.Reference, seeds.Options{}); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: ctx, db: db, ts: tasks.NewStore(db, store.FixedClock(time.Date(2026, 12, 1, 9, 0, 0, 0, store.VN)))}
	doc := &tasks.Document{Kind: tasks.ChiThi, Number: "1/CT-TEST", IssueDate: store.MustDate("2024-01-02"),
		Issuer: "Thủ tướng Chính phủ", Title: "Văn bản thử", Source: store.SourceDemo}
	if err := f.ts.CreateDocument(ctx, doc); err != nil {
		t.Fatal(err)
	}
	f.doc = doc.ID
	return f
}

// task makes a task with the deadline as written and the assignments.
func (f *fixture) task(deadline string, list ...as) (*tasks.Task, []*tasks.Assignment) {
	f.t.Helper()
	f.n++
	task := &tasks.Task{DocumentID: f.doc, SortOrder: f.n, Title: fmt.Sprintf("Nhiệm vụ thử %d", f.n), DeadlineText: deadline, Source: store.SourceDemo}
	var ns []tasks.NewAssignment
	for _, a := range list {
		var id int64
		if err := f.db.NewRaw("SELECT id FROM org_units WHERE code = ?", a.unit).Scan(f.ctx, &id); err != nil {
			f.t.Fatalf("unit %s: %v", a.unit, err)
		}
		n := tasks.NewAssignment{OrgUnitID: id, Role: a.role, State: a.state}
		if a.completed != "" {
			n.CompletedOn, n.Progress = store.MustDate(a.completed), 100
		}
		ns = append(ns, n)
	}
	if err := f.ts.CreateTask(f.ctx, task, ns); err != nil {
		f.t.Fatal(err)
	}
	got, err := f.ts.AssignmentsOfTasks(f.ctx, rbac.National(), []int64{task.ID})
	if err != nil {
		f.t.Fatal(err)
	}
	return task, got
}

// change records new facts of a, valid from day.
func (f *fixture) change(a *tasks.Assignment, day string, edit func(a *tasks.Assignment)) {
	f.t.Helper()
	edit(a)
	if err := f.ts.SaveFacts(f.ctx, a, tasks.FactsChange{Expected: a.Version, Day: store.MustDate(day)}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) taskStatus(sc rbac.Scope, unitPath string, task *tasks.Task, day string) tasks.Status {
	f.t.Helper()
	m, err := f.ts.TaskStatuses(f.ctx, sc, store.MustDate(day), unitPath, []int64{task.ID})
	if err != nil {
		f.t.Fatal(err)
	}
	return m[task.ID]
}

func (f *fixture) assignmentStatus(a *tasks.Assignment, day string) tasks.Status {
	f.t.Helper()
	m, err := f.ts.AssignmentStatuses(f.ctx, rbac.National(), store.MustDate(day), []int64{a.ID})
	if err != nil {
		f.t.Fatal(err)
	}
	return m[a.ID]
}

// The status rule, case by case, each with the rows it needs: an
// assignment's status from its facts as of a date, and a task's from its
// assignments' (leads, or all when none leads), including cancelled,
// extended, unassigned and coordinate-only tasks, and facts changed later.
func TestStatusRule(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, d)
			hue, national := rbac.Scope{Read: []string{"/VN/46/"}}, rbac.National()
			type check struct {
				day  string
				want tasks.Status
			}
			expect := func(name string, got func(day string) tasks.Status, checks ...check) {
				t.Helper()
				for _, c := range checks {
					if g := got(c.day); g != c.want {
						t.Errorf("%s as of %s: %s, want %s", name, c.day, g, c.want)
					}
				}
			}

			// One lead, done before, on and after the due date (quý I/2024
			// ends 2024-03-31); the due date itself is within the deadline.
			for _, c := range []struct {
				completed string
				checks    []check
			}{
				{"2024-03-01", []check{{"2024-02-29", tasks.InProgressOK}, {"2024-03-01", tasks.DoneOnTime}, {"2024-06-01", tasks.DoneOnTime}}},
				{"2024-03-31", []check{{"2024-03-31", tasks.DoneOnTime}}},
				{"2024-04-01", []check{{"2024-03-31", tasks.InProgressOK}, {"2024-04-01", tasks.DoneLate}}},
				{"2024-05-01", []check{{"2024-04-15", tasks.Overdue}, {"2024-05-01", tasks.DoneLate}}},
			} {
				task, a := f.task("quý I/2024", as{unit: "46", role: tasks.Lead, state: tasks.Done, completed: c.completed})
				expect("task done "+c.completed, func(day string) tasks.Status { return f.taskStatus(national, "", task, day) }, c.checks...)
				expect("assignment done "+c.completed, func(day string) tasks.Status { return f.assignmentStatus(a[0], day) }, c.checks...)
			}

			// Not started: in progress up to the due date, overdue after.
			task, a := f.task("quý I/2024", as{unit: "46", role: tasks.Lead})
			expect("open", func(day string) tasks.Status { return f.taskStatus(national, "", task, day) },
				check{"2024-03-31", tasks.InProgressOK}, check{"2024-04-01", tasks.Overdue})
			// Extended on 2024-03-20 to 30 June: judged against the due date
			// in force on each day; before the extension, the old one.
			f.change(a[0], "2024-03-20", func(a *tasks.Assignment) { a.DueDate = store.MustDate("2024-06-30") })
			expect("extended", func(day string) tasks.Status { return f.taskStatus(national, "", task, day) },
				check{"2024-03-19", tasks.InProgressOK}, check{"2024-04-01", tasks.InProgressOK}, check{"2024-07-01", tasks.Overdue})
			// Finished on 2024-06-15, recorded that day: done on time (the
			// extended deadline); as of the days before, still open.
			f.change(a[0], "2024-06-15", func(a *tasks.Assignment) {
				a.State, a.Progress, a.CompletedOn = tasks.Done, 100, store.MustDate("2024-06-15")
			})
			expect("extended then done", func(day string) tasks.Status { return f.assignmentStatus(a[0], day) },
				check{"2024-06-14", tasks.InProgressOK}, check{"2024-06-15", tasks.DoneOnTime}, check{"2030-01-01", tasks.DoneOnTime})
			// Recorded late: done on 2024-02-01 but entered only on
			// 2024-08-01. A report as of April said overdue and keeps saying it.
			task, a = f.task("quý I/2024", as{unit: "46", role: tasks.Lead})
			f.change(a[0], "2024-08-01", func(a *tasks.Assignment) {
				a.State, a.Progress, a.CompletedOn = tasks.Done, 100, store.MustDate("2024-02-01")
			})
			expect("recorded late", func(day string) tasks.Status { return f.taskStatus(national, "", task, day) },
				check{"2024-04-30", tasks.Overdue}, check{"2024-08-01", tasks.DoneOnTime})
			// Two changes on one day: the later holds for that day.
			f.change(a[0], "2024-09-01", func(a *tasks.Assignment) { a.State, a.Progress, a.CompletedOn = tasks.InProgress, 50, store.Date{} })
			f.change(a[0], "2024-09-01", func(a *tasks.Assignment) {
				a.State, a.Progress, a.CompletedOn = tasks.Done, 100, store.MustDate("2024-02-02")
			})
			expect("two changes in a day", func(day string) tasks.Status { return f.assignmentStatus(a[0], day) },
				check{"2024-08-31", tasks.DoneOnTime}, check{"2024-09-01", tasks.DoneOnTime})

			// Several leads: done when all are (late if any was), overdue if
			// any open one is past due; a cancelled lead does not count;
			// coordinators do not count while there is a lead.
			task, _ = f.task("tháng 1/2024", as{unit: "01", role: tasks.Lead, state: tasks.Done, completed: "2024-01-10"},
				as{unit: "46", role: tasks.Lead, state: tasks.Done, completed: "2024-02-10"},
				as{unit: "BTP", role: tasks.Coordinate})
			expect("two leads", func(day string) tasks.Status { return f.taskStatus(national, "", task, day) },
				check{"2024-01-31", tasks.InProgressOK}, check{"2024-02-01", tasks.Overdue}, check{"2024-02-10", tasks.DoneLate})
			expect("two leads, Hà Nội's", func(day string) tasks.Status { return f.taskStatus(national, "/VN/01/", task, day) },
				check{"2024-02-01", tasks.DoneOnTime})
			task, _ = f.task("tháng 1/2024", as{unit: "01", role: tasks.Lead, state: tasks.Cancelled},
				as{unit: "46", role: tasks.Lead, state: tasks.Done, completed: "2024-01-10"})
			expect("a cancelled lead", func(day string) tasks.Status { return f.taskStatus(national, "", task, day) },
				check{"2024-02-01", tasks.DoneOnTime})
			task, _ = f.task("tháng 1/2024", as{unit: "01", role: tasks.Lead, state: tasks.Cancelled}, as{unit: "46", role: tasks.Coordinate})
			expect("every lead cancelled", func(day string) tasks.Status { return f.taskStatus(national, "", task, day) },
				check{"2024-02-01", tasks.StatusCancelled})
			// Huế only coordinates: to Huë's reader, and to anyone judging
			// on Huế, the task's status is its coordinating assignment's.
			expect("coordinate only, for Huế", func(day string) tasks.Status { return f.taskStatus(hue, "", task, day) },
				check{"2024-02-01", tasks.Overdue})
			expect("coordinate only, judged on Huế", func(day string) tasks.Status { return f.taskStatus(national, "/VN/46/", task, day) },
				check{"2024-02-01", tasks.Overdue})

			// Unassigned: judged by the task's own due date.
			task, _ = f.task("quý I/2024")
			expect("unassigned", func(day string) tasks.Status { return f.taskStatus(national, "", task, day) },
				check{"2024-03-31", tasks.InProgressOK}, check{"2024-04-01", tasks.Overdue})
			// Continuous and undated tasks are never overdue.
			task, _ = f.task("thường xuyên", as{unit: "46", role: tasks.Lead})
			expect("continuous", func(day string) tasks.Status { return f.taskStatus(national, "", task, day) }, check{"2030-01-01", tasks.Continuous})
			task, _ = f.task("khẩn trương", as{unit: "46", role: tasks.Lead})
			expect("undated", func(day string) tasks.Status { return f.taskStatus(national, "", task, day) }, check{"2030-01-01", tasks.InProgressOK})

			// A task entered today exists in no earlier report.
			task, a = f.task("quý I/2024", as{unit: "46", role: tasks.Lead})
			if _, err := f.db.NewUpdate().Table("assignment_facts").Set("valid_from = '2026-12-01'").Where("assignment_id = ?", a[0].ID).Exec(f.ctx); err != nil {
				t.Fatal(err)
			}
			if st := f.assignmentStatus(a[0], "2026-11-30"); st != "" {
				t.Errorf("an assignment made on 2026-12-01 has a status on 2026-11-30: %s", st)
			}

			// A stale version changes nothing.
			stale := *a[0]
			f.change(a[0], "2026-12-01", func(a *tasks.Assignment) { a.Progress = 30 })
			stale.Progress = 60
			if err := f.ts.SaveFacts(f.ctx, &stale, tasks.FactsChange{Expected: stale.Version, Day: store.MustDate("2026-12-01")}); store.ErrorCode(err) != store.Conflict {
				t.Fatalf("saving a stale version: %v", err)
			}
			cur, err := f.ts.AssignmentsByIDs(f.ctx, national, []int64{a[0].ID})
			if err != nil || cur[0].Progress != 30 || cur[0].Version != 2 {
				t.Fatalf("after a conflict: %+v %v", cur, err)
			}
		})
	}
}

// Every way of asking for a status gives the same answer, for every seeded
// task and assignment, on several dates, for a caller who reads the whole
// country, one who reads Huế only, both judging on Huế, and one who reads
// Huế and Hà Nội (whose task statuses are not kept): the status field
// (TaskStatuses, AssignmentStatuses), the statuses filters of the lists, and
// the summary's counts.
func TestStatusesAgreeEverywhere(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ts := tasks.NewStore(db, store.SystemClock)
		hue := rbac.Scope{Read: []string{"/VN/46/"}}
		two := rbac.Scope{Read: []string{"/VN/46/", "/VN/01/"}} // statuses not kept for it
		for _, c := range []struct {
			name     string
			sc       rbac.Scope
			unitPath string
		}{{"national", rbac.National(), ""}, {"hue", hue, ""}, {"national judged on hue", rbac.National(), "/VN/46/"}, {"hue judged on hue", hue, "/VN/46/"},
			{"hue and hanoi", two, ""}} {
			f := tasks.TaskFilter{AssigneePath: c.unitPath}
			recorded := map[int64]store.Date{}
			ids := pageAll(t, func(p store.Page) ([]*tasks.Task, store.PageInfo, error) {
				return ts.ListTasks(ctx, c.sc, f, tasks.Order{}, p)
			}, func(x *tasks.Task) int64 { recorded[x.ID] = x.RecordedOn; return x.ID })
			if len(ids) == 0 || (c.name == "national" && len(ids) < 413) {
				t.Fatalf("%s: only %d tasks", c.name, len(ids))
			}
			judged := c.sc
			if c.unitPath != "" {
				judged = c.sc.Within(c.unitPath)
			}
			as := pageAll(t, func(p store.Page) ([]*tasks.Assignment, store.PageInfo, error) {
				return ts.ListAssignments(ctx, judged, tasks.AssignmentFilter{}, tasks.Order{}, p)
			}, func(x *tasks.Assignment) int64 { return x.ID })
			for _, day := range []string{"2022-06-30", "2023-12-21", "2024-06-30", "2026-12-01"} {
				asOf := store.MustDate(day)
				got, err := ts.TaskStatuses(ctx, c.sc, asOf, c.unitPath, ids)
				if err != nil {
					t.Fatal(err)
				}
				gotA, err := ts.AssignmentStatuses(ctx, judged, asOf, as)
				if err != nil {
					t.Fatal(err)
				}
				byStatus, byStatusA := map[tasks.Status]map[int64]bool{}, map[tasks.Status]map[int64]bool{}
				for _, id := range ids {
					if asOf.Before(recorded[id]) {
						continue // not entered yet that day (the demo alerts plan's tasks)
					}
					if byStatus[got[id]] == nil {
						byStatus[got[id]] = map[int64]bool{}
					}
					byStatus[got[id]][id] = true
				}
				for _, id := range as {
					if byStatusA[gotA[id]] == nil {
						byStatusA[gotA[id]] = map[int64]bool{}
					}
					byStatusA[gotA[id]][id] = true
				}
				for _, st := range tasks.Statuses {
					f := tasks.TaskFilter{AssigneePath: c.unitPath, StatusAsOf: asOf, Statuses: []tasks.Status{st}}
					listed := pageAll(t, func(p store.Page) ([]*tasks.Task, store.PageInfo, error) {
						return ts.ListTasks(ctx, c.sc, f, tasks.Order{}, p)
					}, func(x *tasks.Task) int64 { return x.ID })
					if !sameSet(listed, byStatus[st]) {
						t.Errorf("%s %s: the filter lists %d tasks %s, the status field says %d", c.name, day, len(listed), st, len(byStatus[st]))
					}
					af := tasks.AssignmentFilter{StatusAsOf: asOf, Statuses: []tasks.Status{st}}
					listedA := pageAll(t, func(p store.Page) ([]*tasks.Assignment, store.PageInfo, error) {
						return ts.ListAssignments(ctx, judged, af, tasks.Order{}, p)
					}, func(x *tasks.Assignment) int64 { return x.ID })
					if !sameSet(listedA, byStatusA[st]) {
						t.Errorf("%s %s: the filter lists %d assignments %s, the status field says %d", c.name, day, len(listedA), st, len(byStatusA[st]))
					}
				}
				if c.unitPath == "" {
					sum, err := ts.Summary(ctx, c.sc, asOf, nil, tasks.SumAll)
					if err != nil {
						t.Fatal(err)
					}
					for _, st := range tasks.Statuses {
						if sum.ByStatus[st] != len(byStatus[st]) {
							t.Errorf("%s %s: the summary counts %d tasks %s, the status field %d", c.name, day, sum.ByStatus[st], st, len(byStatus[st]))
						}
					}
				}
			}
		}
	})
}

// pageAll pages through a list 100 at a time, following the cursors, and
// returns the ids.
func pageAll[T store.Keyed](t *testing.T, list func(store.Page) ([]T, store.PageInfo, error), id func(T) int64) []int64 {
	t.Helper()
	var ids []int64
	p := store.Page{Limit: 100}
	for {
		page, info, err := list(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range page {
			ids = append(ids, id(x))
		}
		if !info.HasNext {
			return ids
		}
		p.After = page[len(page)-1].SortKeys().Cursor
	}
}

func sameSet(ids []int64, set map[int64]bool) bool {
	if len(ids) != len(set) {
		return false
	}
	for _, id := range ids {
		if !set[id] {
			return false
		}
	}
	return true
}
