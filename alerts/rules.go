package alerts

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"p06/kpi"
	"p06/store"
)

// Kind is the kind of an alert.
type Kind string

// The kinds of alert about an assignment, by how far its due date in force
// is from the day of the scan. Their windows do not overlap, so a scan
// raises at most one of them for a subject: the one that holds that day.
// ReportDue is about an indicator value.
const (
	DueIn7Days    Kind = "DUE_IN_7_DAYS"   // due in 4–7 days
	DueIn3Days    Kind = "DUE_IN_3_DAYS"   // due in 2–3 days
	DueIn1Day     Kind = "DUE_IN_1_DAY"    // due tomorrow or today
	Overdue       Kind = "OVERDUE"         // from the first day after the due date, for 29 days
	Overdue30Days Kind = "OVERDUE_30_DAYS" // 30 days or more after the due date: escalated
	// ReportDue: a value expected of a unit not submitted by its due day
	// (raised from the day after, within reportDueWindow days).
	ReportDue Kind = "REPORT_DUE"
)

// Kinds lists the kinds: the assignments' in order of urgency, then the
// values'.
var Kinds = []Kind{DueIn7Days, DueIn3Days, DueIn1Day, Overdue, Overdue30Days, ReportDue}

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

// Subject kinds: an assignment (subject_id is assignments.id), or an
// indicator value expected of a unit for a period, which may never have
// been entered (subject_id is the indicator's id; the alert's org_unit_id
// and period name the rest).
const (
	SubjectAssignment SubjectKind = "ASSIGNMENT"
	SubjectDataValue  SubjectKind = "DATA_VALUE"
)

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
// subject_id, org_unit_id, unit_kind, due_date and period of the subjects
// still to be done whose due date is within [from, to] (and, with only,
// whose id only selects); nil when there are none. Resolved gives the
// condition (on the table alerts) under which an open alert of the source
// no longer holds as of d, and the resolution it gets (the state that
// ended it, or DUE_DATE_CHANGED): two expressions, each taking args.
type Source struct {
	Subject  SubjectKind
	Open     func(ctx context.Context, db bun.IDB, d, from, to store.Date, only *bun.SelectQuery) (*bun.SelectQuery, error)
	Resolved func(d store.Date) (cond string, resolution string, args []any)
	// Changed selects the ids of the subjects changed since an instant;
	// nil when the source has no cheap way to tell (every scan then reads
	// its whole window, and checks all its open alerts).
	Changed func(db bun.IDB, since time.Time) *bun.SelectQuery
}

// Assignments are the assignments not done nor cancelled, of a task with a
// due date that is not continuous (thường xuyên), judged on the due date in
// force on the day (an approved extension moves it).
var Assignments = &Source{
	Subject: SubjectAssignment,
	Open: func(_ context.Context, db bun.IDB, d, from, to store.Date, only *bun.SelectQuery) (*bun.SelectQuery, error) {
		// The facts in force on d: the current version (valid_to NULL),
		// or one closed after d. Two branches, so that each reads its own
		// partial index (assignment_facts_open_due_idx, _open_closed_idx)
		// instead of every version of every assignment.
		branch := func(validity string, args ...any) *bun.SelectQuery {
			q := db.NewSelect().TableExpr("assignment_facts AS f").
				Join("JOIN assignments AS a ON a.id = f.assignment_id").
				Join("JOIN org_units AS u ON u.id = a.org_unit_id").
				ColumnExpr("a.id AS subject_id, a.org_unit_id, u.kind AS unit_kind, f.due_date, '' AS period").
				Where("f.valid_from <= ?", d.String()).Where(validity, args...).
				Where("f.due_date IS NOT NULL AND f.state IN ('NOT_STARTED', 'IN_PROGRESS')").
				// Not of a continuous task: an anti-join with the few
				// continuous tasks (tasks_continuous_idx), not a join
				// with every task (a national programme's 100,000 rows,
				// 70 MB read for one column).
				Where("NOT EXISTS (SELECT 1 FROM tasks AS t WHERE t.id = a.task_id AND t.precision = 'CONTINUOUS')")
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
		return branch("f.valid_to IS NULL").UnionAll(branch("f.valid_to > ?", d.String())), nil
	},
	Changed: func(db bun.IDB, since time.Time) *bun.SelectQuery {
		return db.NewSelect().TableExpr("assignment_facts AS f").Column("f.assignment_id").Where("f.changed_at >= ?", since.UTC())
	},
	Resolved: func(d store.Date) (string, string, []any) {
		ds := d.String()
		inForce := "FROM assignment_facts AS f WHERE f.assignment_id = alerts.subject_id AND f.valid_from <= ? AND (f.valid_to IS NULL OR f.valid_to > ?)"
		cond := "EXISTS (SELECT 1 " + inForce + " AND (f.state IN ('DONE', 'CANCELLED') OR f.due_date IS NULL OR f.due_date <> alerts.due_date))"
		res := "(SELECT CASE WHEN f.state IN ('DONE', 'CANCELLED') THEN f.state ELSE 'DUE_DATE_CHANGED' END " + inForce + ")"
		return cond, res, []any{ds, ds}
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
	{Kind: ReportDue, Source: ReportsDue,
		Window: func(d store.Date) (store.Date, store.Date) { return d.AddDays(-reportDueWindow), d.AddDays(-1) }},
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

// submittedStates are the states of a value that count as submitted (kpi's
// completeness counts the same).
var submittedStates = []kpi.State{kpi.Submitted, kpi.Approved, kpi.Accepted}

// ReportsDue are the indicator values expected and not submitted: for each
// indicator, each org unit of a kind that reports it, and each period of
// its period type, due kpi's way (Indicator.Due: the period's end plus its
// dueDays), unless the value's version in force at the end of the day is
// SUBMITTED, APPROVED or ACCEPTED (never entered, a draft, rejected). The
// expected values are not stored: the periods due within the window come
// from the indicators (a small table), the units from their kinds.
var ReportsDue = &Source{
	Subject: SubjectDataValue,
	Open: func(ctx context.Context, db bun.IDB, d, from, to store.Date, only *bun.SelectQuery) (*bun.SelectQuery, error) {
		due, err := periodsDue(ctx, db, from, to)
		if err != nil || due == nil {
			return nil, err
		}
		q := db.NewSelect().TableExpr("(?) AS e", due).
			Join("JOIN org_units AS u ON u.kind = e.unit_kind").
			ColumnExpr("e.indicator_id AS subject_id, u.id AS org_unit_id, u.kind AS unit_kind, e.due_date, e.period").
			Where("NOT EXISTS (SELECT 1 "+valueInForce+" AND dv.indicator_id = e.indicator_id AND dv.org_unit_id = u.id AND dv.period = e.period)",
				d.String(), d.String(), bun.In(submittedStates))
		if only != nil {
			q = q.Where("e.indicator_id IN (?)", only)
		}
		return q, nil
	},
	// The indicators of the values changed since (data_value_history_changed_idx).
	Changed: func(db bun.IDB, since time.Time) *bun.SelectQuery {
		return db.NewSelect().TableExpr("data_value_history AS h").Join("JOIN data_values AS dv ON dv.id = h.data_value_id").
			ColumnExpr("dv.indicator_id").Where("h.changed_at >= ?", since.UTC())
	},
	Resolved: func(d store.Date) (string, string, []any) {
		ds := d.String()
		inForce := valueInForce + " AND dv.indicator_id = alerts.subject_id AND dv.org_unit_id = alerts.org_unit_id AND dv.period = alerts.period"
		return "EXISTS (SELECT 1 " + inForce + ")", "(SELECT h.state " + inForce + ")", []any{ds, ds, bun.In(submittedStates)}
	},
}

// valueInForce selects (FROM …) the values submitted as of the end of a day
// (the version of data_value_history in force then): its arguments are the
// day twice and the submitted states.
const valueInForce = "FROM data_values AS dv JOIN data_value_history AS h ON h.data_value_id = dv.id " +
	"WHERE h.valid_from <= ? AND (h.valid_to IS NULL OR h.valid_to > ?) AND h.state IN (?)"

// periodsDue selects the columns indicator_id, period, due_date and
// unit_kind of the periods of each indicator due within [from, to] (both
// needed), once per kind of unit reporting it; nil when there are none.
func periodsDue(ctx context.Context, db bun.IDB, from, to store.Date) (*bun.SelectQuery, error) {
	if from.IsZero() || to.IsZero() {
		return nil, fmt.Errorf("alerts: the window of values due needs both ends, got %s–%s", from, to)
	}
	var inds []*kpi.Indicator
	if err := db.NewSelect().Model(&inds).Column("id", "period_type", "due_days", "reporting_kinds").OrderExpr("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("alerts: reading the indicators: %w", err)
	}
	var rows []string
	var args []any
	for _, ind := range inds {
		for _, p := range periodsEnding(ind.PeriodType, from.AddDays(-ind.DueDays), to.AddDays(-ind.DueDays)) {
			for _, k := range ind.ReportingKinds {
				rows = append(rows, "SELECT ? AS indicator_id, ? AS period, ? AS due_date, ? AS unit_kind")
				args = append(args, ind.ID, p.String(), ind.Due(p).String(), k)
			}
		}
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return db.NewSelect().TableExpr("("+strings.Join(rows, " UNION ALL ")+") AS p", args...).Column("p.*"), nil
}

// periodsEnding are the periods of type t that end within [from, to].
func periodsEnding(t kpi.PeriodType, from, to store.Date) []kpi.Period {
	p := kpi.Period{Type: t, Year: from.Year, Index: 1}
	switch t {
	case kpi.Month:
		p.Index = int(from.Month)
	case kpi.Quarter:
		p.Index = (int(from.Month)-1)/3 + 1
	}
	var out []kpi.Period
	for ; !p.End().After(to); p = p.Next() {
		if !p.End().Before(from) {
			out = append(out, p)
		}
	}
	return out
}

// reportDueWindow is how many days after its due day a value not submitted
// still raises REPORT_DUE (a scan that did not run for longer misses it;
// values due before that, when the rule first runs, raise nothing).
const reportDueWindow = 31

// described joins to alerts (as alr) what each is about, for the digest
// and the webhooks: the column task (the assignment's task title, or the
// indicator's name), indicator (the indicator's code, "" for an
// assignment), assignment (its id, 0 for a value) and alr.period.
func described(q *bun.SelectQuery) *bun.SelectQuery {
	return q.Join("LEFT JOIN assignments AS a ON alr.subject_kind = ? AND a.id = alr.subject_id", string(SubjectAssignment)).
		Join("LEFT JOIN tasks AS t ON t.id = a.task_id").
		Join("LEFT JOIN indicators AS i ON alr.subject_kind = ? AND i.id = alr.subject_id", string(SubjectDataValue)).
		ColumnExpr("COALESCE(t.title, i.name, '') AS task, COALESCE(i.code, '') AS indicator, COALESCE(a.id, 0) AS assignment, alr.period")
}
