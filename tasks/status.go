package tasks

import (
	"github.com/uptrace/bun"

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
// assignments a joined with tasks t, for the cut-off asOf.
func assignmentStatusSQL(asOf store.Date) bun.Safe {
	d := asOf.String()
	return bun.Safe("CASE WHEN a.state = 'CANCELLED' THEN 'CANCELLED'" +
		" WHEN t.precision = 'CONTINUOUS' THEN 'CONTINUOUS'" +
		" WHEN a.state = 'DONE' AND COALESCE(a.completed_on, '9999-12-31') <= '" + d + "' THEN" +
		" CASE WHEN a.due_date IS NOT NULL AND a.completed_on > a.due_date THEN 'DONE_LATE' ELSE 'DONE_ON_TIME' END" +
		" WHEN a.due_date IS NOT NULL AND a.due_date < '" + d + "' THEN 'OVERDUE'" +
		" ELSE 'IN_PROGRESS' END")
}

// leadTally is, per task, the count of its lead assignments in scope by what
// they say about the task's status as of a date. A task's status comes from
// its lead (chủ trì) assignments: done when all are done (late if any was
// finished after its due date), overdue if any unfinished one is past due.
// With taskIDs, only those tasks are tallied.
func leadTally(db bun.IDB, sc rbac.Scope, asOf store.Date, taskIDs ...int64) *bun.SelectQuery {
	d := asOf.String()
	cond, args := sc.ReadFilter("au.path")
	lead := "a.role = 'LEAD' AND a.state <> 'CANCELLED'"
	open := lead + " AND NOT " + doneBy
	q := db.NewSelect().TableExpr("assignments AS a")
	if len(taskIDs) > 0 {
		q = q.Where("a.task_id IN (?)", bun.In(taskIDs))
	}
	return q.
		Join("JOIN org_units AS au ON au.id = a.org_unit_id").
		ColumnExpr("a.task_id").
		ColumnExpr("SUM(CASE WHEN a.role = 'LEAD' THEN 1 ELSE 0 END) AS leads").
		ColumnExpr("SUM(CASE WHEN "+lead+" THEN 1 ELSE 0 END) AS active").
		ColumnExpr("SUM(CASE WHEN "+open+" THEN 1 ELSE 0 END) AS open", d).
		ColumnExpr("SUM(CASE WHEN "+open+" AND a.due_date < ? THEN 1 ELSE 0 END) AS overdue", d, d).
		ColumnExpr("SUM(CASE WHEN "+lead+" AND "+doneBy+" AND a.due_date IS NOT NULL AND a.completed_on > a.due_date THEN 1 ELSE 0 END) AS late", d).
		Where(cond, args...).
		GroupExpr("a.task_id")
}

// taskStatusSQL is the status of task t from its tally s (see leadTally).
// A task with no lead assignment yet is judged by its own due date.
func taskStatusSQL(asOf store.Date) bun.Safe {
	d := asOf.String()
	return bun.Safe("CASE WHEN t.precision = 'CONTINUOUS' THEN 'CONTINUOUS'" +
		" WHEN COALESCE(s.leads, 0) > 0 AND s.active = 0 THEN 'CANCELLED'" +
		" WHEN COALESCE(s.active, 0) > 0 AND s.open = 0 THEN CASE WHEN s.late > 0 THEN 'DONE_LATE' ELSE 'DONE_ON_TIME' END" +
		" WHEN COALESCE(s.overdue, 0) > 0 THEN 'OVERDUE'" +
		" WHEN COALESCE(s.leads, 0) = 0 AND t.due_date IS NOT NULL AND t.due_date < '" + d + "' THEN 'OVERDUE'" +
		" ELSE 'IN_PROGRESS' END")
}
