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

// AssignmentStatus derives the status of a, for a task of precision p, as of
// the end of day asOf:
//   - a continuous task (thường xuyên) is CONTINUOUS;
//   - done on or before asOf: DONE_ON_TIME, or DONE_LATE when it was finished
//     after its current due date;
//   - otherwise OVERDUE once the due date has passed (the due date itself is
//     still within the deadline), else IN_PROGRESS; with no due date at all
//     ("khẩn trương") it is never overdue.
//
// assignmentStatusSQL is the same rule in SQL; a test keeps them equal.
func AssignmentStatus(a *Assignment, p Precision, asOf store.Date) Status {
	switch {
	case a.State == Cancelled:
		return StatusCancelled
	case p == PrecisionContinuous:
		return Continuous
	case a.State == Done && !a.CompletedOn.IsZero() && !a.CompletedOn.After(asOf):
		if !a.DueDate.IsZero() && a.CompletedOn.After(a.DueDate) {
			return DoneLate
		}
		return DoneOnTime
	case !a.DueDate.IsZero() && a.DueDate.Before(asOf):
		return Overdue
	}
	return InProgressOK
}

// doneBy is the SQL condition "assignment a was done by the date ?".
const doneBy = "(a.state = 'DONE' AND COALESCE(a.completed_on, '9999-12-31') <= ?)"

// assignmentStatusSQL returns AssignmentStatus as an SQL expression over
// assignments a joined with tasks t, for the cut-off asOf (a parameter).
func assignmentStatusSQL(asOf store.Date) schema.QueryWithArgs {
	d := asOf.String()
	return bun.SafeQuery("CASE WHEN a.state = 'CANCELLED' THEN 'CANCELLED'"+
		" WHEN t.precision = 'CONTINUOUS' THEN 'CONTINUOUS'"+
		" WHEN a.state = 'DONE' AND COALESCE(a.completed_on, '9999-12-31') <= ? THEN"+
		" CASE WHEN a.due_date IS NOT NULL AND a.completed_on > a.due_date THEN 'DONE_LATE' ELSE 'DONE_ON_TIME' END"+
		" WHEN a.due_date IS NOT NULL AND a.due_date < ? THEN 'OVERDUE'"+
		" ELSE 'IN_PROGRESS' END", d, d)
}

// leadTally is, per task, the count of its assignments in scope by what they
// say about the task's status as of a date, twice: over the lead (chủ trì)
// assignments (columns *_l) and over all of them (*_a). A task's status
// comes from its lead assignments: done when all are done (late if any was
// finished after its due date), overdue if any unfinished one is past due.
// A caller who sees only coordinating (phối hợp) assignments of a task gets
// the task's status from those. With taskIDs, only those tasks are tallied.
func leadTally(db bun.IDB, sc rbac.Scope, asOf store.Date, taskIDs ...int64) *bun.SelectQuery {
	d := asOf.String()
	cond, args := sc.ReadFilter("au.path")
	q := db.NewSelect().TableExpr("assignments AS a")
	if len(taskIDs) > 0 {
		q = q.Where("a.task_id IN (?)", bun.In(taskIDs))
	}
	q = q.Join("JOIN org_units AS au ON au.id = a.org_unit_id").ColumnExpr("a.task_id")
	for _, set := range []struct{ suffix, cond string }{{"l", "a.role = 'LEAD'"}, {"a", "1 = 1"}} {
		in := set.cond
		active := in + " AND a.state <> 'CANCELLED'"
		open := active + " AND NOT " + doneBy
		q = q.ColumnExpr("SUM(CASE WHEN "+in+" THEN 1 ELSE 0 END) AS n_"+set.suffix).
			ColumnExpr("SUM(CASE WHEN "+active+" THEN 1 ELSE 0 END) AS active_"+set.suffix).
			ColumnExpr("SUM(CASE WHEN "+open+" THEN 1 ELSE 0 END) AS open_"+set.suffix, d).
			ColumnExpr("SUM(CASE WHEN "+open+" AND a.due_date < ? THEN 1 ELSE 0 END) AS overdue_"+set.suffix, d, d).
			ColumnExpr("SUM(CASE WHEN "+active+" AND "+doneBy+" AND a.due_date IS NOT NULL AND a.completed_on > a.due_date THEN 1 ELSE 0 END) AS late_"+set.suffix, d)
	}
	return q.Where(cond, args...).GroupExpr("a.task_id")
}

// taskStatusSQL is the status of task t from its tally s (see leadTally):
// judged on the leads in scope, or on all assignments in scope when none of
// them leads. A task with no assignment at all (seen only by a caller who
// reads the whole country) is judged by its own due date.
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
