package tasks_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"p06/gen"
	"p06/rbac"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
	"p06/tasks"
)

// The kept statuses give the answers the status rule derives from the facts,
// on a generated programme (with districts and communes), over a walk of
// dates from before the first document to after the last deadline, for
// the nation, provinces and a ministry, by kind: the summary's counts of
// tasks, statuses and assignments, and the lists filtered by status (also
// judged on a province). Then changes through the write path (completions,
// cancellations, reopenings, extensions, a task cancelled, a new task) on
// later days keep them equal, and leave every answer for the days before
// the changes as it was.
func TestKeptStatusesAgreeWithTheRule(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := seedtest.Fresh(t, d)
			o := gen.DefaultOptions
			o.Tasks, o.Documents, o.CommunesPerProvince, o.DistrictsPerProvince, o.AllProvincesPercent, o.Seed = 150, 8, 2, 1, 5, 11
			o.Clock = store.FixedClock(time.Date(2026, 11, 20, 9, 0, 0, 0, store.VN))
			if _, err := gen.Programme(ctx, db, o); err != nil {
				t.Fatal(err)
			}
			var dates []store.Date
			for day := store.MustDate("2018-12-01"); day.Before(store.MustDate("2028-01-01")); day = day.AddDays(113) {
				dates = append(dates, day)
			}
			dates = append(dates, store.MustDate("2023-12-21"), store.MustDate("2026-11-30"), store.MustDate("2026-12-01"),
				store.MustDate("2026-12-14"), store.MustDate("2026-12-15"), store.MustDate("2027-01-20"), store.MustDate("2027-03-31"), store.MustDate("2027-04-01"))
			before := agree(t, ctx, db, dates)

			// Changes on three later days, each in a transaction of the write path.
			rng := rand.New(rand.NewPCG(3, 4))
			ts := tasks.NewStore(db, store.SystemClock)
			all, _, err := ts.ListAssignments(ctx, rbac.National(), tasks.AssignmentFilter{}, tasks.Order{}, store.Page{Limit: 100, SkipCount: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, day := range []string{"2026-12-01", "2026-12-15", "2027-01-20"} {
				at := store.MustDate(day)
				clock := store.FixedClock(at.Time().Add(10 * time.Hour))
				err := db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
					st := tasks.NewStore(tx, clock)
					for i := 0; i < 25; i++ {
						cur, err := st.AssignmentsByIDs(ctx, rbac.National(), []int64{all[rng.IntN(len(all))].ID})
						if err != nil {
							return err
						}
						a := cur[0]
						was := a.Version
						switch {
						case a.State == tasks.Cancelled:
							a.State, a.Progress = tasks.InProgress, 10
						case a.State == tasks.Done:
							a.State, a.Progress, a.CompletedOn = tasks.InProgress, 80, store.Date{}
						case rng.IntN(3) == 0 && !a.DueDate.IsZero():
							a.DueDate = a.DueDate.AddDays(40)
						case rng.IntN(2) == 0:
							a.State, a.CompletedOn = tasks.Cancelled, store.Date{}
						default:
							a.State, a.Progress, a.CompletedOn = tasks.Done, 100, at
						}
						if err := st.SaveFacts(ctx, a, tasks.FactsChange{Expected: was, Day: at}); err != nil {
							return err
						}
					}
					// Notes and progress keep every status.
					cur, err := st.AssignmentsByIDs(ctx, rbac.National(), []int64{all[rng.IntN(len(all))].ID})
					if err != nil {
						return err
					}
					if err := st.SaveFacts(ctx, cur[0], tasks.FactsChange{Expected: cur[0].Version, Day: at, Note: "ghi chú", KeepsStatus: true}); err != nil {
						return err
					}
					// A new task, recorded today, given to Huế and a commune of Hà Nội.
					var units []int64
					if err := tx.NewRaw("SELECT id FROM org_units WHERE code IN ('46', '01-X001') ORDER BY code").Scan(ctx, &units); err != nil {
						return err
					}
					nt := &tasks.Task{DocumentID: all[0].TaskID, Title: "Nhiệm vụ mới " + day, DeadlineText: "tháng 1/2027",
						Source: store.SourceDemo, RecordedOn: at}
					var doc int64
					if err := tx.NewRaw("SELECT document_id FROM tasks WHERE id = ?", all[0].TaskID).Scan(ctx, &doc); err != nil {
						return err
					}
					nt.DocumentID, nt.SortOrder = doc, 1000+rng.IntN(1000)
					return st.CreateTask(ctx, nt, []tasks.NewAssignment{{OrgUnitID: units[0], Role: tasks.Lead}, {OrgUnitID: units[1], Role: tasks.Coordinate}})
				})
				if err != nil {
					t.Fatalf("changes on %s: %v", day, err)
				}
			}
			after := agree(t, ctx, db, dates)
			for k, v := range before {
				if k.day.Before(store.MustDate("2026-12-01")) && after[k] != v {
					t.Errorf("after the changes, %s as of %s became %s (was %s)", k.scope, k.day, after[k], v)
				}
			}
		})
	}
}

type agreedKey struct {
	scope string
	day   store.Date
}

// agree checks that the kept answers are the derived ones on every date,
// and returns the summaries.
func agree(t *testing.T, ctx context.Context, db *store.DB, dates []store.Date) map[agreedKey]string {
	t.Helper()
	ts := tasks.NewStore(db, store.SystemClock)
	out := map[agreedKey]string{}
	for _, c := range []struct {
		sc       rbac.Scope
		unitPath string
	}{{rbac.National(), ""}, {rbac.Scope{Read: []string{"/VN/01/"}}, ""}, {rbac.Scope{Read: []string{"/VN/46/"}}, ""},
		{rbac.Scope{Read: []string{"/VN/BCA/"}}, ""}, {rbac.National(), "/VN/01/"}} {
		name := fmt.Sprint(c.sc.Read, c.unitPath)
		list := pageAll(t, func(p store.Page) ([]*tasks.Task, store.PageInfo, error) {
			return ts.ListTasks(ctx, c.sc, tasks.TaskFilter{AssigneePath: c.unitPath}, tasks.Order{}, p)
		}, func(x *tasks.Task) int64 { return x.ID })
		recorded := map[int64]store.Date{}
		got, err := ts.TasksByIDs(ctx, c.sc, list)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range got {
			recorded[x.ID] = x.RecordedOn
		}
		for i, day := range dates {
			derived, err := ts.DerivedTaskStatuses(ctx, c.sc, day, c.unitPath, list)
			if err != nil {
				t.Fatal(err)
			}
			field, err := ts.TaskStatuses(ctx, c.sc, day, c.unitPath, list)
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(field, derived) {
				n := 0
				for id, st := range derived {
					if field[id] != st {
						n++
					}
				}
				t.Errorf("%s as of %s: the status field differs from the rule on %d of %d tasks", name, day, n, len(list))
			}
			byStatus := map[tasks.Status]map[int64]bool{}
			for _, id := range list {
				if recorded[id].After(day) {
					continue
				}
				st := derived[id]
				if byStatus[st] == nil {
					byStatus[st] = map[int64]bool{}
				}
				byStatus[st][id] = true
			}
			if c.unitPath == "" {
				for _, kinds := range [][]tasks.DocKind{nil, {tasks.ChiThi, tasks.KeHoach}} {
					kept, err := ts.Summary(ctx, c.sc, day, kinds, tasks.SumAll)
					if err != nil {
						t.Fatal(err)
					}
					want, err := ts.DerivedSummary(ctx, c.sc, day, kinds)
					if err != nil {
						t.Fatal(err)
					}
					k := fmt.Sprintf("tasks %d, assignments %d, %v", kept.Tasks, kept.Assignments, kept.ByStatus)
					if w := fmt.Sprintf("tasks %d, assignments %d, %v", want.Tasks, want.Assignments, want.ByStatus); k != w {
						t.Errorf("%s as of %s, kinds %v: kept %s, derived %s", name, day, kinds, k, w)
					}
					if kept.Documents != want.Documents || !maps.Equal(kept.ByKind, want.ByKind) {
						t.Errorf("%s as of %s, kinds %v: documents kept %d %v, derived %d %v", name, day, kinds, kept.Documents, kept.ByKind, want.Documents, want.ByKind)
					}
					if kinds == nil {
						out[agreedKey{name, day}] = k
						n := 0
						for _, set := range byStatus {
							n += len(set)
						}
						if n != kept.Tasks {
							t.Errorf("%s as of %s: kept %d tasks, the status field has %d", name, day, kept.Tasks, n)
						}
					}
				}
			}
			if i%4 != 0 {
				continue
			}
			// The page statement's statuses (ListTasksWith) are the rule's
			// for the tasks the kept spans answer, and its documents are
			// DocumentsByIDs'.
			joined, docs, assigned := map[int64]tasks.Status{}, map[int64]*tasks.Document{}, map[int64][]*tasks.Assignment{}
			with := tasks.TaskJoins{Documents: true, Status: true, StatusAsOf: day, StatusUnitPath: c.unitPath, Assignments: true}
			listedWith := pageAll(t, func(p store.Page) ([]*tasks.Task, store.PageInfo, error) {
				page, info, j, err := ts.ListTasksWith(ctx, c.sc, tasks.TaskFilter{AssigneePath: c.unitPath}, tasks.Order{}, p, with)
				for _, x := range page {
					if j.Documents[x.DocumentID] == nil {
						t.Errorf("%s as of %s: task %d listed without its document", name, day, x.ID)
					}
				}
				maps.Copy(joined, j.Statuses)
				maps.Copy(docs, j.Documents)
				for _, x := range page {
					as, ok := j.Assignments[x.ID]
					if !ok {
						t.Errorf("%s as of %s: task %d listed without its assignments", name, day, x.ID)
					}
					assigned[x.ID] = as
				}
				return page, info, err
			}, func(x *tasks.Task) int64 { return x.ID })
			if !slices.Equal(listedWith, list) {
				t.Errorf("%s as of %s: the list with joins differs from the list", name, day)
			}
			recordedBy := 0
			for _, id := range list {
				if !recorded[id].After(day) {
					recordedBy++
				}
				if st, ok := joined[id]; ok && st != derived[id] {
					t.Errorf("%s as of %s: task %d's status read with the page is %s, the rule's %s", name, day, id, st, derived[id])
				}
			}
			if recordedBy > 0 && len(joined) == 0 {
				t.Errorf("%s as of %s: no status read with the page of %d tasks recorded", name, day, recordedBy)
			}
			byID, err := ts.DocumentsByIDs(ctx, c.sc, slices.Collect(maps.Keys(docs)))
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range byID {
				if *d != *docs[d.ID] {
					t.Errorf("%s: document %d read with the page %+v, by id %+v", name, d.ID, *docs[d.ID], *d)
				}
			}
			if len(byID) != len(docs) {
				t.Errorf("%s: %d documents read with the page, %d by id", name, len(docs), len(byID))
			}
			// Its assignments are AssignmentsOfTasks', column for column.
			of, err := ts.AssignmentsOfTasks(ctx, c.sc, list)
			if err != nil {
				t.Fatal(err)
			}
			if n := sameAssignments(t, name, assigned, of); n != len(of) || n == 0 {
				t.Errorf("%s: %d assignments read with the page, %d by task", name, n, len(of))
			}
			// A report's rows: each assignment's kept status and due date
			// are the rule's, so the rows, their order and count agree.
			path := rbac.RootPath
			if len(c.sc.Read) == 1 && c.sc.Read[0] != rbac.RootPath {
				path = c.sc.Read[0]
			}
			if c.unitPath != "" {
				path = c.unitPath
			}
			keptRows, n, err := ts.ReportRows(ctx, c.sc, day, path, 100000)
			if err != nil {
				t.Fatal(err)
			}
			ruleRows, m, err := ts.DerivedReportRows(ctx, c.sc, day, path, 100000)
			if err != nil {
				t.Fatal(err)
			}
			if n != m || !slices.Equal(keptRows, ruleRows) {
				t.Errorf("%s as of %s: the report's kept rows (%d) differ from the rule's (%d)", name, day, n, m)
			}
			for _, st := range tasks.Statuses {
				f := tasks.TaskFilter{AssigneePath: c.unitPath, StatusAsOf: day, Statuses: []tasks.Status{st}}
				listed := pageAll(t, func(p store.Page) ([]*tasks.Task, store.PageInfo, error) {
					return ts.ListTasks(ctx, c.sc, f, tasks.Order{}, p)
				}, func(x *tasks.Task) int64 { return x.ID })
				if !sameSet(listed, byStatus[st]) {
					t.Errorf("%s as of %s: the filter lists %d tasks %s, the rule gives %d", name, day, len(listed), st, len(byStatus[st]))
				}
				_, info, err := ts.ListTasks(ctx, c.sc, f, tasks.Order{}, store.Page{Limit: 1})
				if err != nil {
					t.Fatal(err)
				}
				if info.Total != len(listed) {
					t.Errorf("%s as of %s: the filter's totalCount for %s is %d, it lists %d", name, day, st, info.Total, len(listed))
				}
			}
		}
	}
	return out
}

// sameAssignments reports where the assignments read with a page (by task)
// differ from those listed (AssignmentsOfTasks; both in no order), and
// returns how many were read with the page.
func sameAssignments(t *testing.T, name string, byTask map[int64][]*tasks.Assignment, listed []*tasks.Assignment) int {
	t.Helper()
	read := map[int64]*tasks.Assignment{}
	for task, as := range byTask {
		for _, a := range as {
			if a.TaskID != task || read[a.ID] != nil {
				t.Errorf("%s: assignment %d of task %d read with the page of task %d, or twice", name, a.ID, a.TaskID, task)
			}
			read[a.ID] = a
		}
	}
	for _, want := range listed {
		got := read[want.ID]
		if got == nil {
			t.Errorf("%s: assignment %d of task %d not read with the page", name, want.ID, want.TaskID)
			continue
		}
		g, w := *got, *want
		if !g.UpdatedAt.Equal(w.UpdatedAt) {
			t.Errorf("%s: assignment %d updated at %v read with the page, %v listed", name, w.ID, g.UpdatedAt, w.UpdatedAt)
		}
		g.UpdatedAt, w.UpdatedAt = time.Time{}, time.Time{}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: assignment read with the page %+v, listed %+v", name, g, w)
		}
	}
	return len(read)
}
