package tasks

import (
	"context"
	"fmt"
	"sort"

	"github.com/uptrace/bun"

	"p06/rbac"
	"p06/store"
)

// The queries of the progress reports and their charts (reports/). Where
// the statuses are kept (statuses.go: the nation, a ministry, a province)
// they are sums over task_status_days like Summary's (keptDays); elsewhere
// they are built on the status rule (assignmentsAsOf, taskTally,
// taskStatusSQL) and the tasks list's filter (taskQuery), never on a copy
// of them.

// statusCounts is the query counting the tasks in sc by status as of asOf
// (programmeSummary's byStatus), with k as its first column: the same shape
// as Summary's status count, keyed so that several go in one statement.
func (s *Store) statusCounts(sc rbac.Scope, asOf store.Date, k int) *bun.SelectQuery {
	q := s.taskQuery(s.db.NewSelect().TableExpr("tasks AS t"), sc, TaskFilter{StatusAsOf: asOf}).
		Join("LEFT JOIN (?) AS s ON s.task_id = t.id", taskTally(s.db, sc, asOf))
	return q.ColumnExpr("? AS k", k).ColumnExpr("? AS status, COUNT(*) AS n", taskStatusSQL(asOf)).GroupExpr("1, 2")
}

// StatusCountsByUnit counts, for each unit path among paths, the tasks of
// that unit's subtree by status as of asOf, judged on the subtree's
// assignments: what programmeSummary(orgUnit:) counts for each. The units
// whose statuses are kept (keptScope: a ministry, a province, the nation,
// when sc reads all of it) are one sum over task_status_days; the others
// the rule's count, in one more statement. Out of sc, a unit counts
// nothing.
func (s *Store) StatusCountsByUnit(ctx context.Context, sc rbac.Scope, asOf store.Date, paths []string) ([]map[Status]int, error) {
	out := make([]map[Status]int, len(paths))
	var parts []*bun.SelectQuery
	kept := map[string][]int{} // scope → indexes of paths
	var keptPaths []string
	for i, p := range paths {
		out[i] = map[Status]int{}
		sub := sc.Within(p)
		if sub.Empty() {
			continue
		}
		if k, ok := keptScope(sub); ok {
			if kept[k] == nil {
				keptPaths = append(keptPaths, k)
			}
			kept[k] = append(kept[k], i)
			continue
		}
		parts = append(parts, s.statusCounts(sub, asOf, i))
	}
	if len(keptPaths) > 0 {
		rows, err := s.keptStatusCounts(ctx, keptPaths, asOf, nil)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			for _, i := range kept[r.Scope] {
				if r.Tasks != 0 {
					out[i][r.Status] = r.Tasks
				}
			}
		}
	}
	var rows []struct {
		K      int    `bun:"k"`
		Status Status `bun:"status"`
		N      int    `bun:"n"`
	}
	if err := scanUnion(ctx, s.db, parts, &rows); err != nil {
		return nil, fmt.Errorf("tasks: status counts by unit: %w", err)
	}
	for _, r := range rows {
		out[r.K][r.Status] = r.N
	}
	return out, nil
}

// OverdueByDay counts, for each day among days, the tasks of the
// subtree at path (within sc) whose status that day was OVERDUE: the tasks
// list's statuses filter on each day. A kept scope reads the overdue rows
// of task_status_days up to the last day once and sums them day by day;
// another is the rule on each day, in one statement.
func (s *Store) OverdueByDay(ctx context.Context, sc rbac.Scope, path string, days []store.Date) ([]int, error) {
	out := make([]int, len(days))
	sub := sc.Within(path)
	if sub.Empty() || len(days) == 0 {
		return out, nil
	}
	if k, ok := keptScope(sub); ok {
		var changes []struct {
			Day   string `bun:"day"`
			Tasks int    `bun:"tasks"`
		}
		order := make([]int, len(days))
		for i := range order {
			order[i] = i
		}
		sort.Slice(order, func(a, b int) bool { return days[order[a]].Before(days[order[b]]) })
		err := s.keptDays([]string{k}, days[order[len(order)-1]], nil).Where("status = ?", Overdue).
			ColumnExpr("day, SUM(tasks) AS tasks").GroupExpr("day").OrderExpr("day").Scan(ctx, &changes)
		if err != nil {
			return nil, fmt.Errorf("tasks: overdue by day: %w", err)
		}
		n, j := 0, 0
		for _, i := range order {
			for ; j < len(changes) && changes[j].Day <= days[i].String(); j++ {
				n += changes[j].Tasks
			}
			out[i] = n
		}
		return out, nil
	}
	parts := make([]*bun.SelectQuery, len(days))
	for i, d := range days {
		parts[i] = s.taskQuery(s.db.NewSelect().TableExpr("tasks AS t"), sub, TaskFilter{StatusAsOf: d, Statuses: []Status{Overdue}}).
			ColumnExpr("? AS k, COUNT(*) AS n", i)
	}
	var rows []struct {
		K int `bun:"k"`
		N int `bun:"n"`
	}
	if err := scanUnion(ctx, s.db, parts, &rows); err != nil {
		return nil, fmt.Errorf("tasks: overdue by day: %w", err)
	}
	for _, r := range rows {
		out[r.K] = r.N
	}
	return out, nil
}

// scanUnion runs the queries as one UNION ALL (each wrapped as a derived
// table, which both databases accept whatever the parts' GROUP BY) and
// scans the rows into dst.
func scanUnion(ctx context.Context, db bun.IDB, parts []*bun.SelectQuery, dst any) error {
	if len(parts) == 0 {
		return nil
	}
	q := db.NewSelect().TableExpr("(?) AS u0", parts[0]).ColumnExpr("u0.*")
	for i, p := range parts[1:] {
		q = q.UnionAll(db.NewSelect().TableExpr(fmt.Sprintf("(?) AS u%d", i+1), p).ColumnExpr(fmt.Sprintf("u%d.*", i+1)))
	}
	return q.Scan(ctx, dst)
}

// ReportRow is one assignment of a unit's progress report, as it stood at
// the end of the report's day.
type ReportRow struct {
	AssignmentID int64  `bun:"id" json:"assignmentId"`
	TaskID       int64  `bun:"task_id" json:"taskId"`
	UnitCode     string `bun:"unit_code" json:"unitCode"`
	UnitName     string `bun:"unit_name" json:"unitName"`
	Role         Role   `bun:"role" json:"role"`
	Document     string `bun:"document_number" json:"document"`
	Clause       string `bun:"clause" json:"clause,omitempty"`
	Title        string `bun:"title" json:"title"`
	// DeadlineText is the deadline as written; DueDate the due date in
	// force that day, OriginalDue the task's own.
	DeadlineText string     `bun:"deadline_text" json:"deadlineText"`
	DueDate      store.Date `bun:"due_date,type:text" json:"dueDate"`
	OriginalDue  store.Date `bun:"original_due,type:text" json:"originalDue"`
	State        State      `bun:"state" json:"state"`
	Progress     int        `bun:"progress" json:"progress"`
	CompletedOn  store.Date `bun:"completed_on,type:text" json:"completedOn"`
	Status       Status     `bun:"status" json:"status"`
	// LastReportOn and LastReport are the latest progress report by then.
	LastReportOn store.Date `bun:"last_report_on,type:text" json:"lastReportOn"`
	LastReport   string     `bun:"last_report" json:"lastReport,omitempty"`
}

// Late reports whether the row is late: overdue, or done after its due date.
func (r *ReportRow) Late() bool { return r.Status == Overdue || r.Status == DoneLate }

// ReportRows returns the assignments to the unit at path and below it (in
// sc) as they stood at the end of asOf, overdue ones first, then by due date
// (none last), document and task, at most limit of them, and how many there
// are in all. Each assignment's status and due date then are kept
// (assignment_statuses) where the scope is (keptScope); elsewhere they are
// the rule's (assignmentsAsOf). The listed rows' facts then and last
// progress report are read for them alone, after the limit.
func (s *Store) ReportRows(ctx context.Context, sc rbac.Scope, asOf store.Date, path string, limit int) ([]ReportRow, int, error) {
	return s.reportRows(ctx, sc, asOf, path, limit, true)
}

// reportRows is ReportRows, reading the kept statuses only with kept.
func (s *Store) reportRows(ctx context.Context, sc rbac.Scope, asOf store.Date, path string, limit int, kept bool) ([]ReportRow, int, error) {
	rows := []ReportRow{}
	sub := sc.Within(path)
	if sub.Empty() {
		return rows, 0, nil
	}
	d := asOf.String()
	var x *bun.SelectQuery
	idCol := "xs.id" // x's assignment id, to narrow it
	if k, ok := keptScope(sub); ok && kept {
		idCol = "ks.assignment_id"
		x = s.db.NewSelect().TableExpr("assignment_statuses AS ks").
			ColumnExpr("ks.assignment_id AS id, ks.task_id, ks.org_unit_id, ks.role, ks.status, ks.due_date").
			Where("ks.valid_from <= ? AND ks.valid_to > ?", d, d)
		if k != rbac.RootPath {
			x = x.Where("ks.scope = ?", k)
		}
	} else {
		x = s.db.NewSelect().TableExpr("(?) AS xs", assignmentsAsOf(s.db, sub, asOf)).
			ColumnExpr("xs.id, xs.task_id, xs.org_unit_id, xs.role, xs.status, xs.due_date")
	}
	// The rows' order begins with overdue first, then by due date (none
	// last), which x has; the rest needs the task, its document and the
	// unit. So x's keys are read first, and only the rows up to the
	// limit-th row's key (with its ties) are joined and ordered whole, not
	// every row of the scope.
	var keys []struct {
		ID     int64  `bun:"id"`
		Status Status `bun:"status"`
		Due    string `bun:"due_date"`
	}
	if err := s.db.NewSelect().TableExpr("(?) AS x", x).ColumnExpr("x.id, x.status, x.due_date").Scan(ctx, &keys); err != nil {
		return nil, 0, fmt.Errorf("tasks: report rows: %w", err)
	}
	if len(keys) == 0 {
		return rows, 0, nil
	}
	key := func(i int) [2]string {
		o := "1"
		if keys[i].Status == Overdue {
			o = "0"
		}
		if keys[i].Due == "" {
			return [2]string{o, "~"}
		}
		return [2]string{o, keys[i].Due}
	}
	less := func(a, b [2]string) bool { return a[0] < b[0] || a[0] == b[0] && a[1] < b[1] }
	ids := make([]int64, 0, min(len(keys), limit))
	if len(keys) <= limit {
		for i := range keys {
			ids = append(ids, keys[i].ID)
		}
	} else {
		order := make([]int, len(keys))
		for i := range order {
			order[i] = i
		}
		sort.Slice(order, func(a, b int) bool { return less(key(order[a]), key(order[b])) })
		cut := key(order[limit-1])
		for _, i := range order {
			if less(cut, key(i)) {
				break
			}
			ids = append(ids, keys[i].ID)
		}
	}
	listed := s.db.NewSelect().TableExpr("(?) AS x", x.Where(idCol+" IN (?)", bun.In(ids))).
		Join("JOIN tasks AS t ON t.id = x.task_id").
		Join("JOIN documents AS d ON d.id = t.document_id").
		Join("JOIN org_units AS u ON u.id = x.org_unit_id").
		ColumnExpr("x.id, x.task_id, x.role, x.status, x.due_date, u.code AS unit_code, u.name AS unit_name, d.number AS document_number").
		ColumnExpr("t.clause, t.title, t.deadline_text, t.due_date AS original_due").
		ColumnExpr("ROW_NUMBER() OVER (ORDER BY " + reportOrder + ") AS n").
		OrderExpr(reportOrder).
		Limit(int64(limit))
	last := func(col string) string {
		return "(SELECT pr." + col + " FROM progress_reports AS pr WHERE pr.assignment_id = y.id AND pr.reported_on <= ?" +
			" ORDER BY pr.reported_at DESC, pr.id DESC LIMIT 1)"
	}
	q := s.db.NewSelect().TableExpr("(?) AS y", listed).
		Join("JOIN assignment_facts AS xf ON xf.assignment_id = y.id AND xf.valid_from <= ? AND (xf.valid_to IS NULL OR xf.valid_to > ?)", d, d).
		ColumnExpr("y.id, y.task_id, y.role, y.status, y.due_date, y.unit_code, y.unit_name, y.document_number, y.clause, y.title, y.deadline_text, y.original_due").
		ColumnExpr("xf.state, xf.progress, xf.completed_on").
		ColumnExpr(last("reported_on")+" AS last_report_on", d).
		ColumnExpr(last("text")+" AS last_report", d).
		OrderExpr("y.n")
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, 0, fmt.Errorf("tasks: report rows: %w", err)
	}
	return rows, len(keys), nil
}

// reportOrder is the order of a report's rows: overdue first, then by due
// date (none last), document and task.
const reportOrder = "CASE WHEN x.status = 'OVERDUE' THEN 0 ELSE 1 END, x.due_date IS NULL, x.due_date, d.issue_date, d.id, t.sort_order, u.path, x.id"
