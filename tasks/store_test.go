package tasks_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"p06/org"
	"p06/rbac"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
	"p06/tasks"
)

func TestScopeLimitsWhatIsSeen(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ts := tasks.NewStore(db, store.SystemClock)
		hue := rbac.Scope{Read: []string{"/VN/46/"}}

		_, allInfo, err := ts.ListTasks(ctx, rbac.National(), tasks.TaskFilter{}, tasks.Order{}, store.Page{Limit: 1})
		all := allInfo.Total
		if err != nil {
			t.Fatal(err)
		}
		list, info, err := ts.ListTasks(ctx, hue, tasks.TaskFilter{}, tasks.Order{}, store.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		n := info.Total
		var want int
		err = db.NewSelect().TableExpr("tasks AS t").ColumnExpr("COUNT(DISTINCT t.id)").
			Join("JOIN assignments AS a ON a.task_id = t.id").Join("JOIN org_units AS u ON u.id = a.org_unit_id").
			Where("u.code = '46'").Scan(ctx, &want)
		if err != nil {
			t.Fatal(err)
		}
		if n != want || n == 0 || n >= all {
			t.Fatalf("Huế sees %d tasks; SQL count of tasks assigned to 46 is %d, all tasks %d", n, want, all)
		}
		ids := make([]int64, len(list))
		for i, task := range list {
			ids[i] = task.ID
		}
		as, err := ts.AssignmentsOfTasks(ctx, hue, ids)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			var code string
			if err := db.NewSelect().Table("org_units").Column("code").Where("id = ?", a.OrgUnitID).Scan(ctx, &code); err != nil {
				t.Fatal(err)
			}
			if code != "46" {
				t.Fatalf("Huế sees an assignment of unit %s", code)
			}
		}
		// The empty scope sees nothing, never everything.
		if _, n, err := ts.ListTasks(ctx, rbac.Scope{}, tasks.TaskFilter{}, tasks.Order{}, store.Page{Limit: 10}); err != nil || n.Total != 0 {
			t.Fatalf("empty scope sees %d tasks (%v)", n.Total, err)
		}
		if _, n, err := ts.ListDocuments(ctx, rbac.Scope{}, tasks.DocumentFilter{}, store.Page{Limit: 10}); err != nil || n.Total != 0 {
			t.Fatalf("empty scope sees %d documents (%v)", n.Total, err)
		}
		if sum, err := ts.Summary(ctx, rbac.Scope{}, store.MustDate("2024-01-01"), nil, tasks.SumAll); err != nil || sum.Tasks != 0 || sum.Assignments != 0 {
			t.Fatalf("empty scope summary = %+v (%v)", sum, err)
		}
	})
}

func TestTaskFilters(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ts := tasks.NewStore(db, store.SystemClock)
		sc := rbac.National()
		from, to := store.MustDate("2024-01-01"), store.MustDate("2024-03-31")
		list, n, err := ts.ListTasks(ctx, sc, tasks.TaskFilter{DueFrom: from, DueTo: to}, tasks.Order{}, store.Page{Limit: 100})
		if err != nil || n.Total == 0 {
			t.Fatalf("due in Q1 2024: %d, %v", n.Total, err)
		}
		for _, task := range list {
			if task.DueDate.Before(from) || task.DueDate.After(to) {
				t.Errorf("task due %s outside %s..%s", task.DueDate, from, to)
			}
		}
		list, n, err = ts.ListTasks(ctx, sc, tasks.TaskFilter{DocumentNumber: "21/CT-TTg"}, tasks.Order{}, store.Page{Limit: 100})
		if err != nil || n.Total == 0 {
			t.Fatalf("tasks of 21/CT-TTg: %d, %v", n.Total, err)
		}
		_, inHue, err := ts.ListTasks(ctx, sc, tasks.TaskFilter{AssigneePath: "/VN/46/", AssigneeRole: tasks.Lead}, tasks.Order{}, store.Page{Limit: 1})
		if err != nil || inHue.Total == 0 {
			t.Fatalf("tasks led by 46: %d, %v", inHue.Total, err)
		}
		_, err = ts.TaskStatuses(ctx, sc, store.MustDate("2024-01-01"), "", nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = ts.ListTasks(ctx, sc, tasks.TaskFilter{Statuses: []tasks.Status{tasks.Overdue}}, tasks.Order{}, store.Page{Limit: 1})
		if store.ErrorCode(err) != store.Invalid {
			t.Fatalf("statuses without statusAsOf: %v, want INVALID", err)
		}
		_, _, err = ts.ListTasks(ctx, sc, tasks.TaskFilter{DueFrom: to, DueTo: from}, tasks.Order{}, store.Page{Limit: 1})
		if store.ErrorCode(err) != store.Invalid {
			t.Fatalf("dueTo before dueFrom: %v, want INVALID", err)
		}
	})
}

// A task whose deadline cannot be read is refused with the phrase quoted, and
// nothing is stored.
func TestCreateTaskRejectsUnreadableDeadline(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := org.NewStore(db).CreateUnit(ctx, &org.Unit{Code: "VN", Name: "Toàn quốc", Kind: org.National, Source: store.SourceUser}, ""); err != nil {
			t.Fatal(err)
		}
		ts := tasks.NewStore(db, store.SystemClock)
		doc := &tasks.Document{Kind: tasks.ChiThi, Number: "99/CT-TTg", IssueDate: store.MustDate("2024-01-02"),
			Issuer: "Thủ tướng Chính phủ", Title: "Thử", Source: store.SourceUser}
		if err := ts.CreateDocument(ctx, doc); err != nil {
			t.Fatal(err)
		}
		err := ts.CreateTask(ctx, &tasks.Task{DocumentID: doc.ID, Title: "Việc", DeadlineText: "quý V/2024", Source: store.SourceUser}, nil)
		var se *store.Error
		if !errors.As(err, &se) || se.Code != store.Invalid || se.Field != "deadline" || !strings.Contains(se.Message, `"quý V/2024"`) {
			t.Fatalf("err = %#v", err)
		}
		if n, _ := db.NewSelect().Table("tasks").Count(ctx); n != 0 {
			t.Fatalf("%d tasks stored after a refused one", n)
		}
		dup := *doc
		dup.ID = 0
		if err := ts.CreateDocument(ctx, &dup); store.ErrorCode(err) != store.Conflict {
			t.Fatalf("duplicate number: %v, want CONFLICT", err)
		}
	})
}

// TestAssignmentBoundsCountEveryAssignment: the measure the complexity
// limit prices Task.assignments with counts the seeded assignments and
// those a new task gets, on every task.
func TestAssignmentBoundsCountEveryAssignment(t *testing.T) {
	t.Parallel()
	seedtest.EachFresh(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ts := tasks.NewStore(db, store.SystemClock)
		var want struct{ Total, PerTask int }
		truth := func() {
			t.Helper()
			if err := db.NewRaw(`SELECT COUNT(*) AS total, (SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM assignments GROUP BY task_id) AS x) AS per_task
				FROM assignments`).Scan(ctx, &want); err != nil {
				t.Fatal(err)
			}
			total, perTask, err := ts.AssignmentBounds(ctx)
			if err != nil || total != want.Total || perTask != want.PerTask {
				t.Fatalf("AssignmentBounds = %d, %d, %v; counted %d, %d", total, perTask, err, want.Total, want.PerTask)
			}
			seedtest.CheckAssignmentCounts(t, db)
		}
		truth()
		var units []int64
		if err := db.NewSelect().Table("org_units").Column("id").Where("kind = 'PROVINCE'").Scan(ctx, &units); err != nil {
			t.Fatal(err)
		}
		var docID int64
		if err := db.NewSelect().Table("documents").ColumnExpr("MIN(id)").Scan(ctx, &docID); err != nil {
			t.Fatal(err)
		}
		as := make([]tasks.NewAssignment, len(units))
		for i, u := range units {
			as[i] = tasks.NewAssignment{OrgUnitID: u, Role: tasks.Lead}
		}
		if err := ts.CreateTask(ctx, &tasks.Task{DocumentID: docID, Title: "Mọi tỉnh", DeadlineText: "tháng 12/2026", Source: store.SourceUser}, as); err != nil {
			t.Fatal(err)
		}
		before := want.PerTask
		truth()
		if want.PerTask < len(units) || before > len(units) && want.PerTask != before {
			t.Fatalf("largest task has %d assignments (%d before), the new one %d", want.PerTask, before, len(units))
		}
	})
}

// What a write answers is what a later read gives: the instants a store
// writes are kept to the microsecond, as both databases keep them.
func TestSavedInstantReadsBackTheSame(t *testing.T) {
	t.Parallel()
	seedtest.EachFresh(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		at := time.Date(2026, 12, 5, 20, 19, 18, 123456789, store.VN)
		ts := tasks.NewStore(db, store.FixedClock(at))
		sc := rbac.Scope{Read: []string{rbac.RootPath}, Write: []string{rbac.RootPath}}
		as, err := ts.AssignmentsByIDs(ctx, sc, []int64{1})
		if err != nil || len(as) != 1 {
			t.Fatal(as, err)
		}
		a := as[0] // a note: a new version, whatever its facts
		if err := ts.SaveFacts(ctx, a, tasks.FactsChange{Expected: a.Version, Day: store.DateOf(at), Note: "ghi chú"}); err != nil {
			t.Fatal(err)
		}
		again, err := ts.AssignmentsByIDs(ctx, sc, []int64{1})
		if err != nil || len(again) != 1 {
			t.Fatal(again, err)
		}
		if !a.UpdatedAt.Equal(again[0].UpdatedAt) || a.UpdatedAt.Nanosecond() != 123456000 {
			t.Fatalf("saved at %v, read back %v", a.UpdatedAt, again[0].UpdatedAt)
		}
	})
}
