package alerts

import (
	"time"

	"github.com/uptrace/bun"

	"p06/store"
)

// Kind is the kind of an alert.
type Kind string

// The kinds of alert about an assignment, by how far its due date in force
// is from the day of the scan. Their windows do not overlap, so a scan
// raises at most one of them for a subject: the one that holds that day.
const (
	DueIn7Days    Kind = "DUE_IN_7_DAYS"   // due in 4–7 days
	DueIn3Days    Kind = "DUE_IN_3_DAYS"   // due in 2–3 days
	DueIn1Day     Kind = "DUE_IN_1_DAY"    // due tomorrow or today
	Overdue       Kind = "OVERDUE"         // from the first day after the due date, for 29 days
	Overdue30Days Kind = "OVERDUE_30_DAYS" // 30 days or more after the due date: escalated
)

// Kinds lists the kinds, in order of urgency.
var Kinds = []Kind{DueIn7Days, DueIn3Days, DueIn1Day, Overdue, Overdue30Days}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	for _, v := range Kinds {
		if v == k {
			return true
		}
	}
	return false
}

// SubjectKind is what an alert is about.
type SubjectKind string

// SubjectAssignment is an assignment (assignments.id). Indicator values
// (REPORT_DUE) will be another subject kind with a Source of its own.
const SubjectAssignment SubjectKind = "ASSIGNMENT"

// Rule raises alerts of one Kind about the subjects of one Source: those
// whose due date falls in the window, as of the day of the scan.
type Rule struct {
	Kind   Kind
	Source *Source
	// Window gives the due dates the rule raises an alert for on day d,
	// from and to included (the zero Date: unbounded).
	Window func(d store.Date) (from, to store.Date)
	// Escalate says which alerts also go to the coordinators: an SQL
	// condition on the source's columns (s.unit_kind), or "" for none.
	Escalate string
}

// Source is the set of open subjects of one kind with their due date in
// force on a day: Open selects, as of the end of day d, the columns
// subject_id, org_unit_id, unit_kind and due_date of the subjects still to
// be done whose due date is within [from, to] (and, with only, whose id
// only selects). Resolved selects the
// subject_id and the resolution (the state that ended the alert, or
// DUE_DATE_CHANGED) of the subjects whose open alerts with due date
// a.due_date (a correlated reference to the alert as a) no longer hold as
// of d.
type Source struct {
	Subject  SubjectKind
	Open     func(db bun.IDB, d, from, to store.Date, only *bun.SelectQuery) *bun.SelectQuery
	Resolved func(d store.Date) (cond string, resolution string, args []any)
	// Changed selects the ids of the subjects changed since an instant.
	Changed func(db bun.IDB, since time.Time) *bun.SelectQuery
}

// Assignments are the assignments not done nor cancelled, of a task with a
// due date that is not continuous (thường xuyên), judged on the due date in
// force on the day (an approved extension moves it).
var Assignments = &Source{
	Subject: SubjectAssignment,
	Open: func(db bun.IDB, d, from, to store.Date, only *bun.SelectQuery) *bun.SelectQuery {
		// The facts in force on d: the current version (valid_to NULL),
		// or one closed after d. Two branches, so that each reads its own
		// partial index (assignment_facts_open_due_idx, _open_closed_idx)
		// instead of every version of every assignment.
		branch := func(validity string, args ...any) *bun.SelectQuery {
			q := db.NewSelect().TableExpr("assignment_facts AS f").
				Join("JOIN assignments AS a ON a.id = f.assignment_id").
				Join("JOIN tasks AS t ON t.id = a.task_id").
				Join("JOIN org_units AS u ON u.id = a.org_unit_id").
				ColumnExpr("a.id AS subject_id, a.org_unit_id, u.kind AS unit_kind, f.due_date").
				Where("f.valid_from <= ?", d.String()).Where(validity, args...).
				Where("f.due_date IS NOT NULL AND f.state IN ('NOT_STARTED', 'IN_PROGRESS')").
				Where("t.precision <> 'CONTINUOUS'")
			if !from.IsZero() {
				q = q.Where("f.due_date >= ?", from.String())
			}
			if !to.IsZero() {
				q = q.Where("f.due_date <= ?", to.String())
			}
			if only != nil {
				q = q.Where("f.assignment_id IN (?)", only)
			}
			return q
		}
		return branch("f.valid_to IS NULL").UnionAll(branch("f.valid_to > ?", d.String()))
	},
	Changed: func(db bun.IDB, since time.Time) *bun.SelectQuery {
		return db.NewSelect().TableExpr("assignment_facts AS f").Column("f.assignment_id").Where("f.changed_at >= ?", since.UTC())
	},
	Resolved: func(d store.Date) (string, string, []any) {
		ds := d.String()
		inForce := "FROM assignment_facts AS f WHERE f.assignment_id = alerts.subject_id AND f.valid_from <= ? AND (f.valid_to IS NULL OR f.valid_to > ?)"
		cond := "EXISTS (SELECT 1 " + inForce + " AND (f.state IN ('DONE', 'CANCELLED') OR f.due_date IS NULL OR f.due_date <> alerts.due_date))"
		res := "(SELECT CASE WHEN f.state IN ('DONE', 'CANCELLED') THEN f.state ELSE 'DUE_DATE_CHANGED' END " + inForce + ")"
		return cond, res, []any{ds, ds, ds, ds}
	},
}

// escalatedUnits are the kinds of unit whose long-overdue alerts also go
// to the coordinators.
const escalatedUnits = "s.unit_kind IN ('PROVINCE', 'MINISTRY')"

// Rules are the rules the scan applies, one set-based statement each.
var Rules = []Rule{
	{Kind: DueIn7Days, Source: Assignments, Window: func(d store.Date) (store.Date, store.Date) { return d.AddDays(4), d.AddDays(7) }},
	{Kind: DueIn3Days, Source: Assignments, Window: func(d store.Date) (store.Date, store.Date) { return d.AddDays(2), d.AddDays(3) }},
	{Kind: DueIn1Day, Source: Assignments, Window: func(d store.Date) (store.Date, store.Date) { return d, d.AddDays(1) }},
	{Kind: Overdue, Source: Assignments, Window: func(d store.Date) (store.Date, store.Date) { return d.AddDays(-29), d.AddDays(-1) }},
	{Kind: Overdue30Days, Source: Assignments, Escalate: escalatedUnits,
		Window: func(d store.Date) (store.Date, store.Date) { return store.Date{}, d.AddDays(-30) }},
}

// Sources are the distinct sources of Rules.
func Sources() []*Source {
	var out []*Source
	seen := map[*Source]bool{}
	for _, r := range Rules {
		if !seen[r.Source] {
			seen[r.Source] = true
			out = append(out, r.Source)
		}
	}
	return out
}
