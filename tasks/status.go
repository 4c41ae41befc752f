package tasks

import (
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"

	"p06/rbac"
	"p06/store"
)

// Status is the reporting status of a task or an assignment as of a cut-off
// date, in the Government's vocabulary. It is derived, never stored.
type Status string

const (
	DoneOnTime   Status = "DONE_ON_TIME" // hoàn thành đúng hạn
	DoneLate     Status = "DONE_LATE"    // hoàn thành quá hạn
	InProgressOK Status = "IN_PROGRESS"  // đang thực hiện, trong hạn
	Overdue      Status = "OVERDUE"      // quá hạn, chưa hoàn thành
	Continuous   Status = "CONTINUOUS"   // thường xuyên
	// StatusCancelled is a task whose lead assignments were all cancelled.
	StatusCancelled Status = "CANCELLED"
)

// Statuses lists the statuses in report order.
var Statuses = []Status{DoneOnTime, DoneLate, InProgressOK, Overdue, Continuous, StatusCancelled}

// The status rule exists once, here, in SQL: every list, filter, count and
// field that shows a status reads it from assignmentsAsOf (an assignment's)
// and taskTally/taskStatusSQL (a task's, from its assignments').

// assignmentsAsOf selects the assignments sc may read with their facts as
// they stood at the end of the day asOf (from assignment_facts, so a past
// date's answer never changes afterwards) and their reporting status then:
//   - CANCELLED when cancelled; CONTINUOUS for a continuous task (thường xuyên);
//   - done by asOf: DONE_ON_TIME, or DONE_LATE when finished after the due
//     date in force;
//   - otherwise OVERDUE once that due date has passed (the due date itself is
//     still within the deadline), else IN_PROGRESS; with no due date at all
//     ("khẩn trương") never overdue.
//
// An assignment made after asOf is not in it. Columns: id, task_id,
// org_unit_id, role, state, progress, due_date, completed_on, status.
func assignmentsAsOf(db bun.IDB, sc rbac.Scope, asOf store.Date) *bun.SelectQuery {
	return assignmentsJudged(db, sc, asOf, DueInForce)
}

// Judged names the due date a status is judged against.
type Judged int

const (
	// DueInForce judges against the due date in force on the day (the
	// original one, or as an approved extension moved it).
	DueInForce Judged = iota
	// DueOriginal judges against the original deadline, the task's own
	// due date, whatever extensions were granted.
	DueOriginal
)

// column is the SQL column of the due date judged, in assignmentsJudged.
func (j Judged) column() string {
	if j == DueOriginal {
		return "xt.due_date"
	}
	return "xf.due_date"
}

// assignmentsJudged is assignmentsAsOf with the status judged against the
// due date j (the due_date column is always the one in force).
func assignmentsJudged(db bun.IDB, sc rbac.Scope, asOf store.Date, j Judged) *bun.SelectQuery {
	d := asOf.String()
	due := j.column()
	cond, args := sc.ReadFilter("xu.path")
	return db.NewSelect().TableExpr("assignments AS xa").
		Join("JOIN assignment_facts AS xf ON xf.assignment_id = xa.id AND xf.valid_from <= ? AND (xf.valid_to IS NULL OR xf.valid_to > ?)", d, d).
		Join("JOIN tasks AS xt ON xt.id = xa.task_id").
		Join("JOIN org_units AS xu ON xu.id = xa.org_unit_id").
		ColumnExpr("xa.id, xa.task_id, xa.org_unit_id, xa.role, xf.state, xf.progress, xf.due_date, xf.completed_on").
		ColumnExpr("CASE WHEN xf.state = 'CANCELLED' THEN 'CANCELLED'"+
			" WHEN xt.precision = 'CONTINUOUS' THEN 'CONTINUOUS'"+
			" WHEN xf.state = 'DONE' AND COALESCE(xf.completed_on, '9999-12-31') <= ? THEN"+
			" CASE WHEN "+due+" IS NOT NULL AND xf.completed_on > "+due+" THEN 'DONE_LATE' ELSE 'DONE_ON_TIME' END"+
			" WHEN "+due+" IS NOT NULL AND "+due+" < ? THEN 'OVERDUE'"+
			" ELSE 'IN_PROGRESS' END AS status", d, d).
		Where(cond, args...)
}

// taskTally counts, per task, its assignments in sc as of asOf by status,
// twice: over the lead (chủ trì) assignments (columns *_l) and over all of
// them (*_a). With taskIDs, only those tasks are tallied.
func taskTally(db bun.IDB, sc rbac.Scope, asOf store.Date, taskIDs ...int64) *bun.SelectQuery {
	return taskTallyJudged(db, sc, asOf, DueInForce, taskIDs...)
}

// taskTallyJudged is taskTally with the assignments judged against the due
// date j.
func taskTallyJudged(db bun.IDB, sc rbac.Scope, asOf store.Date, j Judged, taskIDs ...int64) *bun.SelectQuery {
	x := assignmentsJudged(db, sc, asOf, j)
	if len(taskIDs) > 0 {
		x = x.Where("xa.task_id IN (?)", bun.In(taskIDs))
	}
	q := db.NewSelect().TableExpr("(?) AS x", x).ColumnExpr("x.task_id")
	for _, set := range []struct{ suffix, cond string }{{"l", "x.role = 'LEAD'"}, {"a", "1 = 1"}} {
		count := func(col, status string) {
			q = q.ColumnExpr("SUM(CASE WHEN " + set.cond + status + " THEN 1 ELSE 0 END) AS " + col + "_" + set.suffix)
		}
		count("n", "")
		count("active", " AND x.status <> 'CANCELLED'")
		count("open", " AND x.status IN ('IN_PROGRESS', 'OVERDUE')")
		count("overdue", " AND x.status = 'OVERDUE'")
		count("late", " AND x.status = 'DONE_LATE'")
	}
	return q.GroupExpr("x.task_id")
}

// taskStatusSQL is the status of task t from its tally s (taskTally, joined
// as s): a continuous task is CONTINUOUS; otherwise judged on the lead
// assignments, or on all of them when none leads (a unit that only
// coordinates): CANCELLED when all are cancelled, done when all the others
// are done (DONE_LATE if any was late), OVERDUE if any open one is past due,
// else IN_PROGRESS. A task with no assignment at all in the tally is judged
// by its own due date.
func taskStatusSQL(asOf store.Date) schema.QueryWithArgs {
	rule := func(x string) string {
		return "CASE WHEN s.active_" + x + " = 0 THEN 'CANCELLED'" +
			" WHEN s.open_" + x + " = 0 THEN CASE WHEN s.late_" + x + " > 0 THEN 'DONE_LATE' ELSE 'DONE_ON_TIME' END" +
			" WHEN s.overdue_" + x + " > 0 THEN 'OVERDUE'" +
			" ELSE 'IN_PROGRESS' END"
	}
	return bun.SafeQuery("CASE WHEN t.precision = 'CONTINUOUS' THEN 'CONTINUOUS'"+
		" WHEN s.task_id IS NULL THEN CASE WHEN t.due_date IS NOT NULL AND t.due_date < ? THEN 'OVERDUE' ELSE 'IN_PROGRESS' END"+
		" WHEN s.n_l > 0 THEN "+rule("l")+
		" ELSE "+rule("a")+" END", asOf.String())
}
