package tasks

import (
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"

	"p06/rbac"
	"p06/store"
)

// Status is the reporting status of a task or an assignment as of a cut-off
// date, in the Government's vocabulary. It is derived from the facts by the
// rule below; statuses.go keeps it, computed by the same rule, for counting.
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
// and taskTally/taskStatusSQL (a task's, from its assignments'), or from
// the kept statuses, which statusSpansSQL computes with the same CASEs
// (assignmentStatusCase, tallyTerms, taskStatusCase).

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
	cond, args := sc.ReadFilter("xu.path")
	return db.NewSelect().TableExpr("assignments AS xa").
		Join("JOIN assignment_facts AS xf ON xf.assignment_id = xa.id AND xf.valid_from <= ? AND (xf.valid_to IS NULL OR xf.valid_to > ?)", d, d).
		Join("JOIN tasks AS xt ON xt.id = xa.task_id").
		Join("JOIN org_units AS xu ON xu.id = xa.org_unit_id").
		ColumnExpr("xa.id, xa.task_id, xa.org_unit_id, xa.role, xf.state, xf.progress, xf.due_date, xf.completed_on").
		ColumnExpr(assignmentStatusCase(j.column(), "?")+" AS status", d, d).
		Where(cond, args...)
}

// assignmentStatusCase is the status of an assignment (facts xf, task xt)
// at the end of the day at (an SQL expression used twice: "?" for a
// parameter, or a column), judged against the due date column due.
func assignmentStatusCase(due, at string) string {
	return "CASE WHEN xf.state = 'CANCELLED' THEN 'CANCELLED'" +
		" WHEN xt.precision = 'CONTINUOUS' THEN 'CONTINUOUS'" +
		" WHEN xf.state = 'DONE' AND COALESCE(xf.completed_on, '9999-12-31') <= " + at + " THEN" +
		" CASE WHEN " + due + " IS NOT NULL AND xf.completed_on > " + due + " THEN 'DONE_LATE' ELSE 'DONE_ON_TIME' END" +
		" WHEN " + due + " IS NOT NULL AND " + due + " < " + at + " THEN 'OVERDUE'" +
		" ELSE 'IN_PROGRESS' END"
}

// tallyTerms are the counts of a task's tally, as (column, indicator)
// pairs: the indicator is 1 for an assignment (with status and role the
// SQL expressions given) that the column counts, else 0. Over the lead
// (chủ trì) assignments (columns *_l) and over all of them (*_a): n, those
// not cancelled (active), open (in progress or overdue), overdue, late.
func tallyTerms(status, role string) [][2]string {
	var out [][2]string
	for _, set := range []struct{ suffix, cond string }{{"l", role + " = 'LEAD'"}, {"a", "1 = 1"}} {
		for _, c := range []struct{ name, cond string }{{"n", ""},
			{"active", " AND " + status + " <> 'CANCELLED'"},
			{"open", " AND " + status + " IN ('IN_PROGRESS', 'OVERDUE')"},
			{"overdue", " AND " + status + " = 'OVERDUE'"},
			{"late", " AND " + status + " = 'DONE_LATE'"}} {
			out = append(out, [2]string{c.name + "_" + set.suffix, "CASE WHEN " + set.cond + c.cond + " THEN 1 ELSE 0 END"})
		}
	}
	return out
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
	for _, c := range tallyTerms("x.status", "x.role") {
		q = q.ColumnExpr("SUM(" + c[1] + ") AS " + c[0])
	}
	return q.GroupExpr("x.task_id")
}

// taskStatusSQL is the status of task t from its tally s (taskTally, joined
// as s) as of asOf: taskStatusCase with the date as a parameter.
func taskStatusSQL(asOf store.Date) schema.QueryWithArgs {
	return bun.SafeQuery(taskStatusCase("?"), asOf.String())
}

// taskStatusCase is the status of task t from its tally s (columns of
// tallyTerms) at the end of the day at (an SQL expression: "?" for a
// parameter, or a column): a continuous task is CONTINUOUS; otherwise
// judged on the lead assignments, or on all of them when none leads (a unit
// that only coordinates): CANCELLED when all are cancelled, done when all
// the others are done (DONE_LATE if any was late), OVERDUE if any open one
// is past due, else IN_PROGRESS. A task with no assignment in the tally
// (no row, or a count of 0) is judged by its own due date.
func taskStatusCase(at string) string {
	rule := func(x string) string {
		return "CASE WHEN s.active_" + x + " = 0 THEN 'CANCELLED'" +
			" WHEN s.open_" + x + " = 0 THEN CASE WHEN s.late_" + x + " > 0 THEN 'DONE_LATE' ELSE 'DONE_ON_TIME' END" +
			" WHEN s.overdue_" + x + " > 0 THEN 'OVERDUE'" +
			" ELSE 'IN_PROGRESS' END"
	}
	return "CASE WHEN t.precision = 'CONTINUOUS' THEN 'CONTINUOUS'" +
		" WHEN COALESCE(s.n_a, 0) = 0 THEN CASE WHEN t.due_date IS NOT NULL AND t.due_date < " + at + " THEN 'OVERDUE' ELSE 'IN_PROGRESS' END" +
		" WHEN s.n_l > 0 THEN " + rule("l") +
		" ELSE " + rule("a") + " END"
}
