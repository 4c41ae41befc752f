package tasks_test

import (
	"context"
	"testing"

	"p06/rbac"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/tasks"
)

func TestMain(m *testing.M) { seedtest.Main(m) }

func TestAssignmentStatus(t *testing.T) {
	t.Parallel()
	d := store.MustDate
	due := d("2024-03-31")
	for _, c := range []struct {
		name string
		a    tasks.Assignment
		p    tasks.Precision
		asOf string
		want tasks.Status
	}{
		{"done before due", tasks.Assignment{State: tasks.Done, DueDate: due, CompletedOn: d("2024-03-01")}, tasks.PrecisionQuarter, "2024-06-01", tasks.DoneOnTime},
		{"done on the due date", tasks.Assignment{State: tasks.Done, DueDate: due, CompletedOn: due}, tasks.PrecisionQuarter, "2024-06-01", tasks.DoneOnTime},
		{"done after due", tasks.Assignment{State: tasks.Done, DueDate: due, CompletedOn: d("2024-04-01")}, tasks.PrecisionQuarter, "2024-06-01", tasks.DoneLate},
		{"done later than the cut-off is not done yet", tasks.Assignment{State: tasks.Done, DueDate: due, CompletedOn: d("2024-05-01")}, tasks.PrecisionQuarter, "2024-04-15", tasks.Overdue},
		{"not done, due today", tasks.Assignment{State: tasks.InProgress, DueDate: due}, tasks.PrecisionQuarter, "2024-03-31", tasks.InProgressOK},
		{"not done, past due", tasks.Assignment{State: tasks.InProgress, DueDate: due}, tasks.PrecisionQuarter, "2024-04-01", tasks.Overdue},
		{"not started, within deadline", tasks.Assignment{State: tasks.NotStarted, DueDate: due}, tasks.PrecisionQuarter, "2024-01-01", tasks.InProgressOK},
		{"continuous", tasks.Assignment{State: tasks.InProgress}, tasks.PrecisionContinuous, "2030-01-01", tasks.Continuous},
		{"no date (khẩn trương) is never overdue", tasks.Assignment{State: tasks.NotStarted}, tasks.PrecisionNone, "2030-01-01", tasks.InProgressOK},
		{"cancelled", tasks.Assignment{State: tasks.Cancelled, DueDate: due}, tasks.PrecisionQuarter, "2030-01-01", tasks.StatusCancelled},
	} {
		if got := tasks.AssignmentStatus(&c.a, c.p, d(c.asOf)); got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
	}
}

// The SQL that filters and counts by status agrees with the rules, for every
// seeded task and assignment, on several cut-off dates, for a caller who
// reads the whole country, for one who reads Thừa Thiên Huế only (and so
// judges national tasks on Huế's own assignments), and for the national
// caller asking about Huế (the same judgement, whoever asks).
func TestStatusSQLAgreesWithRules(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ts := tasks.NewStore(db)
		hue := rbac.Scope{Read: []string{"/VN/46/"}}
		for _, c := range []struct {
			name     string
			sc       rbac.Scope
			unitPath string
		}{{"national", rbac.National(), ""}, {"hue", hue, ""}, {"national judged on hue", rbac.National(), "/VN/46/"}, {"hue judged on hue", hue, "/VN/46/"}} {
			name, sc := c.name, c.sc
			var ids []int64
			byID := map[int64]*tasks.Task{}
			for off := 0; ; off += 100 {
				page, total, err := ts.ListTasks(ctx, sc, tasks.TaskFilter{}, store.Page{Limit: 100, Offset: off})
				if err != nil {
					t.Fatal(err)
				}
				for _, task := range page {
					ids = append(ids, task.ID)
					byID[task.ID] = task
				}
				if off+100 >= total {
					break
				}
			}
			if len(ids) == 0 || (name == "national" && len(ids) < 413) {
				t.Fatalf("%s: only %d tasks", name, len(ids))
			}
			judgedScope := sc
			if c.unitPath != "" {
				judgedScope = sc.Within(c.unitPath)
			}
			as, err := ts.AssignmentsOfTasks(ctx, judgedScope, ids)
			if err != nil {
				t.Fatal(err)
			}
			for _, day := range []string{"2022-06-30", "2023-12-21", "2024-06-30", "2026-12-01"} {
				asOf := store.MustDate(day)
				// The task rule, restated: from the lead assignments in scope,
				// or from all in scope when none of them leads.
				leads, all := map[int64][]tasks.Status{}, map[int64][]tasks.Status{}
				for _, a := range as {
					st := tasks.AssignmentStatus(a, byID[a.TaskID].Precision, asOf)
					all[a.TaskID] = append(all[a.TaskID], st)
					if a.Role == tasks.Lead {
						leads[a.TaskID] = append(leads[a.TaskID], st)
					}
				}
				got, err := ts.TaskStatuses(ctx, sc, asOf, c.unitPath, ids)
				if err != nil {
					t.Fatal(err)
				}
				want := map[tasks.Status]int{}
				for id, task := range byID {
					judged := leads[id]
					if len(judged) == 0 {
						judged = all[id]
					}
					w := taskRule(task, judged, asOf)
					if got[id] != w {
						t.Errorf("%s %s: task %d (%q, %s): SQL says %s, rule says %s", name, day, id, task.Title, task.DeadlineText, got[id], w)
					}
					if len(all[id]) > 0 {
						want[w]++
					}
				}
				// The list filtered by assignee and status judges on the
				// assignee's subtree too.
				if c.unitPath != "" {
					for _, st := range tasks.Statuses {
						_, n, err := ts.ListTasks(ctx, sc, tasks.TaskFilter{AssigneePath: c.unitPath, StatusAsOf: asOf, Statuses: []tasks.Status{st}}, store.Page{Limit: 1})
						if err != nil {
							t.Fatal(err)
						}
						if n != want[st] {
							t.Errorf("%s %s: %d tasks of the unit %s by SQL, %d by rule", name, day, n, st, want[st])
						}
					}
				}
				// Assignment statuses: the SQL filter selects exactly the
				// ones the Go rule gives.
				for _, st := range tasks.Statuses {
					wantN := 0
					for _, a := range as {
						if tasks.AssignmentStatus(a, byID[a.TaskID].Precision, asOf) == st {
							wantN++
						}
					}
					_, n, err := ts.ListAssignments(ctx, judgedScope, tasks.AssignmentFilter{StatusAsOf: asOf, Statuses: []tasks.Status{st}}, store.Page{Limit: 1})
					if err != nil {
						t.Fatal(err)
					}
					if n != wantN {
						t.Errorf("%s %s: %d assignments %s by SQL, %d by rule", name, day, n, st, wantN)
					}
				}
			}
		}
	})
}

// taskRule derives a task's status from the statuses of the assignments it
// is judged on, or from its own due date when there are none.
func taskRule(t *tasks.Task, judged []tasks.Status, asOf store.Date) tasks.Status {
	switch {
	case t.Precision == tasks.PrecisionContinuous:
		return tasks.Continuous
	case len(judged) == 0 && !t.DueDate.IsZero() && t.DueDate.Before(asOf):
		return tasks.Overdue
	case len(judged) == 0:
		return tasks.InProgressOK
	}
	active, open, overdue, late := 0, 0, 0, 0
	for _, s := range judged {
		switch s {
		case tasks.StatusCancelled:
			continue
		case tasks.Overdue:
			overdue++
			open++
		case tasks.InProgressOK:
			open++
		case tasks.DoneLate:
			late++
		}
		active++
	}
	switch {
	case active == 0:
		return tasks.StatusCancelled
	case open == 0 && late > 0:
		return tasks.DoneLate
	case open == 0:
		return tasks.DoneOnTime
	case overdue > 0:
		return tasks.Overdue
	}
	return tasks.InProgressOK
}
