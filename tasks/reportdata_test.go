package tasks_test

import (
	"context"
	"testing"

	"p06/rbac"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/tasks"
)

// The reports' counts agree with the summary and the tasks list they are
// built from, unit by unit and day by day, in the caller's scope.
func TestReportCountsAgreeWithSummary(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ts := tasks.NewStore(db, store.SystemClock)
		asOf := store.MustDate("2023-12-21")
		paths := []string{"/VN/", "/VN/01/", "/VN/46/", "/VN/BCA/", "/VN/79/"}
		for _, sc := range []rbac.Scope{rbac.National(), {Read: []string{"/VN/46/"}}} {
			got, err := ts.StatusCountsByUnit(ctx, sc, asOf, paths)
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range paths {
				want := map[tasks.Status]int{}
				if sub := sc.Within(p); !sub.Empty() {
					s, err := ts.Summary(ctx, sub, asOf, nil, tasks.SumStatuses)
					if err != nil {
						t.Fatal(err)
					}
					want = s.ByStatus
				}
				if len(got[i]) != len(want) {
					t.Fatalf("%v %s: got %v, summary %v", sc.Read, p, got[i], want)
				}
				for st, n := range want {
					if got[i][st] != n {
						t.Fatalf("%v %s: got %v, summary %v", sc.Read, p, got[i], want)
					}
				}
			}
		}
		days := []store.Date{store.MustDate("2022-06-30"), store.MustDate("2023-06-30"), asOf}
		for _, p := range []string{"/VN/", "/VN/46/"} {
			got, err := ts.OverdueByDay(ctx, rbac.National(), p, days)
			if err != nil {
				t.Fatal(err)
			}
			for i, d := range days {
				s, err := ts.Summary(ctx, rbac.National().Within(p), d, nil, tasks.SumStatuses)
				if err != nil {
					t.Fatal(err)
				}
				if got[i] != s.ByStatus[tasks.Overdue] {
					t.Fatalf("%s on %s: %d overdue, summary %d", p, d, got[i], s.ByStatus[tasks.Overdue])
				}
			}
			if p == "/VN/" && got[2] == 0 {
				t.Fatal("no overdue task at the review: the comparison proves nothing")
			}
		}
		rows, total, err := ts.ReportRows(ctx, rbac.National(), asOf, "/VN/46/", 5)
		if err != nil {
			t.Fatal(err)
		}
		if total < 50 || len(rows) != 5 {
			t.Fatalf("Huế: %d rows of %d", len(rows), total)
		}
		all, _, err := ts.ReportRows(ctx, rbac.National(), asOf, "/VN/46/", 10000)
		if err != nil {
			t.Fatal(err)
		}
		seenOther := false
		for _, r := range all {
			if r.Status == tasks.Overdue && seenOther {
				t.Fatalf("an overdue row after another: %+v", r)
			}
			seenOther = seenOther || r.Status != tasks.Overdue
			if r.UnitCode != "46" || r.Title == "" || r.Document == "" {
				t.Fatalf("row %+v", r)
			}
		}
		none, n, err := ts.ReportRows(ctx, rbac.Scope{Read: []string{"/VN/01/"}}, asOf, "/VN/46/", 10)
		if err != nil || n != 0 || len(none) != 0 {
			t.Fatalf("Hà Nội reading Huế: %d rows, %v", n, err)
		}
	})
}
