package seeds_test

import (
	"context"
	"testing"

	"p06/rbac"
	"p06/seeds"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
	"p06/tasks"
)

func TestMain(m *testing.M) { seedtest.Main(m) }

// The demo programme reproduces the figures of the two-year review
// (21/12/2023): 33 directing documents (6 directives, 23 resolutions, 4
// dispatches) with 413 tasks, 17 of them overdue; and the roadmap of
// Quyết định 06/QĐ-TTg with 10 overdue tasks.
func TestDemoReproducesReviewFigures(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ts := tasks.NewStore(db, store.SystemClock)
		directing := []tasks.DocKind{tasks.ChiThi, tasks.NghiQuyet, tasks.CongDien}
		sum, err := ts.Summary(ctx, rbac.National(), seeds.ReviewDate, directing, tasks.SumAll)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Documents != 33 || sum.ByKind[tasks.ChiThi] != 6 || sum.ByKind[tasks.NghiQuyet] != 23 || sum.ByKind[tasks.CongDien] != 4 {
			t.Errorf("directing documents = %d %v, want 33: 6 CT, 23 NQ, 4 CĐ", sum.Documents, sum.ByKind)
		}
		if sum.Tasks != 413 {
			t.Errorf("directing tasks = %d, want 413", sum.Tasks)
		}
		if sum.ByStatus[tasks.Overdue] != 17 {
			t.Errorf("overdue directing tasks on 2023-12-21 = %d, want 17 (%v)", sum.ByStatus[tasks.Overdue], sum.ByStatus)
		}
		roadmap, err := ts.Summary(ctx, rbac.National(), seeds.ReviewDate, []tasks.DocKind{tasks.QuyetDinh}, tasks.SumAll)
		if err != nil {
			t.Fatal(err)
		}
		if roadmap.Documents != 1 || roadmap.ByStatus[tasks.Overdue] != 10 {
			t.Errorf("QĐ 06 roadmap: %d documents, %d overdue; want 1 and 10", roadmap.Documents, roadmap.ByStatus[tasks.Overdue])
		}
		// The same count through the list filter the API uses.
		_, n, err := ts.ListTasks(ctx, rbac.National(), tasks.TaskFilter{DocumentKinds: directing,
			StatusAsOf: seeds.ReviewDate, Statuses: []tasks.Status{tasks.Overdue}}, tasks.Order{}, store.Page{Limit: 1})
		if err != nil || n.Total != 17 {
			t.Errorf("ListTasks overdue = %d, %v; want 17", n.Total, err)
		}
	})
}

// The tasks the review names are there, word for word, with their deadlines.
func TestDemoHasTheReviewNamedTasks(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ts := tasks.NewStore(db, store.SystemClock)
		for _, c := range []struct{ search, deadline, due string }{
			{"ly lich tu phap", "quý I/2024", "2024-03-31"},
			{"so suc khoe dien tu", "tháng 1/2024", "2024-01-31"},
			{"vietcombank", "đầu năm 2024", "2024-03-31"},
			{"bao ve du lieu ca nhan", "năm 2024", "2024-12-31"},
		} {
			list, _, err := ts.ListTasks(ctx, rbac.National(), tasks.TaskFilter{Search: c.search}, tasks.Order{}, store.Page{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, task := range list {
				if task.DeadlineText == c.deadline && task.DueDate.String() == c.due && task.Source == store.SourceReview {
					found = true
				}
			}
			if !found {
				t.Errorf("no REVIEW task matching %q due %q (%s)", c.search, c.deadline, c.due)
			}
		}
	})
}

func TestLoadTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			ctx := context.Background()
			counts := func() map[string]int {
				out := map[string]int{}
				for _, table := range []string{"org_units", "working_groups", "working_group_members", "documents", "tasks", "assignments", "users", "casbin_rules", "audit_log"} {
					n, err := db.NewSelect().Table(table).Count(ctx)
					if err != nil {
						t.Fatal(err)
					}
					out[table] = int(n)
				}
				return out
			}
			before := counts()
			rep, err := seeds.Load(ctx, db, seeds.Demo, seeds.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if rep != (seeds.Report{}) {
				t.Errorf("second load added %s", rep)
			}
			after := counts()
			for k, v := range before {
				if after[k] != v {
					t.Errorf("%s: %d rows before, %d after", k, v, after[k])
				}
			}
			if before["org_units"] != 1+31+63 || before["working_groups"] != 64 {
				t.Errorf("reference data: %d org units, %d working groups; want 95 and 64", before["org_units"], before["working_groups"])
			}
		})
	}
}
