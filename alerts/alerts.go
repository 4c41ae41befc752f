// Package alerts raises alerts about work coming due or overdue, exactly
// once per subject, kind and due date, and delivers them: in the app (the
// alerts list, acknowledgement, the alertRaised subscription), by a daily
// e-mail digest and by signed webhooks. The scheduled jobs that run the
// scan and the deliveries are in package jobs.
package alerts

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"p06/auth"
	"p06/rbac"
	"p06/store"
)

// Alert is one alert: a subject (an assignment, or a value expected of
// OrgUnitID for an indicator and Period) reached a kind's window for a due
// date.
type Alert struct {
	bun.BaseModel `bun:"table:alerts,alias:alr"`

	ID             int64       `bun:"id,pk,autoincrement"`
	SubjectKind    SubjectKind `bun:"subject_kind"`
	SubjectID      int64       `bun:"subject_id"`
	Kind           Kind        `bun:"kind"`
	DueDate        store.Date  `bun:"due_date"`
	OrgUnitID      int64       `bun:"org_unit_id"`
	Escalated      bool        `bun:"escalated"`
	RaisedAt       time.Time   `bun:"raised_at"`
	JobRunID       int64       `bun:"job_run_id"`
	AcknowledgedAt *time.Time  `bun:"acknowledged_at"`
	AcknowledgedBy int64       `bun:"acknowledged_by,nullzero"`
	ResolvedAt     *time.Time  `bun:"resolved_at"`
	Resolution     string      `bun:"resolution"`
	// Period is the period of the value due (REPORT_DUE; SubjectID is
	// then the indicator), "" for an assignment.
	Period string `bun:"period"`

	// UnitPath is the path of the alert's unit (read with it).
	UnitPath string `bun:"unit_path,scanonly"`

	store.SortKey
}

// Store reads and writes alerts.
type Store struct {
	db       *store.DB
	authz    *rbac.Authorizer
	clock    store.Clock
	notifier Notifier
}

// NewStore returns the alerts of db; authz decides who may acknowledge.
func NewStore(db *store.DB, authz *rbac.Authorizer, clock store.Clock) *Store {
	return &Store{db: db, authz: authz, clock: clock}
}

// Authorizer decides what callers may do.
func (s *Store) Authorizer() *rbac.Authorizer { return s.authz }

// DB is the database the store works on.
func (s *Store) DB() *store.DB { return s.db }

// Scanned is what a scan did.
type Scanned struct {
	Raised   map[Kind]int
	Resolved int
	// First and Last are the smallest and largest ids raised (0 when none).
	First, Last int64
	// Queued is how many webhook deliveries the alerts raised queued.
	Queued int
}

// Total is the number of alerts raised.
func (r Scanned) Total() int {
	n := 0
	for _, c := range r.Raised {
		n += c
	}
	return n
}

// Scan raises the alerts due as of the instant asOf (its day in
// Asia/Ho_Chi_Minh), recorded as raised by job run runID, and resolves the
// open alerts whose subject was done, cancelled or given another due date
// by then. One transaction: a scan interrupted raises nothing. Each rule is
// one INSERT … SELECT over the subjects in its window that have no alert
// of that kind and due date yet (an anti-join on the unique key), so
// running it again raises nothing twice. Scans take turns (on PostgreSQL a
// transaction-level advisory lock; SQLite has one writer): a scan on
// another process waits for the one running to commit, then sees its
// alerts. The unique key stays the last word: an insert it refuses fails
// the scan rather than raise an alert twice. The webhook deliveries of the
// alerts raised are queued in the same transaction.
func (s *Store) Scan(ctx context.Context, asOf time.Time, runID int64) (Scanned, error) {
	d := store.DateOf(asOf)
	res := Scanned{Raised: map[Kind]int{}}
	// Alerts whose subject changed before the last scan that ended well
	// were resolved by it; a margin covers writes that committed after
	// that scan began (ResolveOnChanges resolves most at once anyway).
	//
	// The same goes for raising: a subject unchanged since then whose due
	// date was in a rule's window on that scan's day got its alert then, so
	// a scan on the same or a later day reads only the subjects changed
	// since, and the due dates that entered the window since that day (a
	// rerun the same day: none). A scan of an earlier day reads them all.
	var since time.Time
	var lastDay store.Date
	if last, err := s.LastRun(ctx, JobScan); err != nil {
		return res, err
	} else if last != nil && last.Outcome == OK && last.StartedAt.Before(asOf) {
		since = last.StartedAt.Add(-resolveMargin)
		if ld := store.DateOf(last.StartedAt); !d.Before(ld) {
			lastDay = ld
		}
	}
	// The first scan of a national programme may send nothing back for
	// longer than the pool's read timeout on a busy machine: it runs on the
	// database's long-running pool (opened once; its context still bounds
	// it).
	db, _ := s.db.LongRunning()
	err := db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		res = Scanned{Raised: map[Kind]int{}}
		if s.db.Engine == store.Postgres {
			// JIT compilation costs more than these statements save; the
			// first scan's joins of a million assignments hash in memory.
			for _, set := range []string{"SET LOCAL jit = off", "SET LOCAL work_mem = '64MB'", scanLock} {
				if _, err := tx.ExecContext(ctx, set); err != nil {
					return err
				}
			}
		}
		n, err := resolve(ctx, tx, Sources(), d, asOf, nil, since)
		if err != nil {
			return err
		}
		res.Resolved = n
		// The alerts this scan raises are those of its run above the
		// largest id before it (ids only grow): a range of the primary
		// key, where an index by run cost every alert one more entry.
		var before int64
		if err := tx.NewSelect().Table("alerts").ColumnExpr("COALESCE(MAX(id), 0)").Scan(ctx, &before); err != nil {
			return fmt.Errorf("alerts: reading the last alert: %w", err)
		}
		for _, r := range Rules {
			from, to := r.Window(d)
			esc := "FALSE"
			if r.Escalate != "" {
				esc = "(" + r.Escalate + ")"
			}
			cands, err := candidates(ctx, tx, r, d, from, to, lastDay, since)
			if err != nil {
				return err
			}
			if cands == nil {
				continue
			}
			sel := tx.NewSelect().TableExpr("(?) AS s", cands).
				ColumnExpr("?, s.subject_id, ?, s.due_date, s.org_unit_id, s.period, "+esc+", ?, ?", string(r.Source.Subject), string(r.Kind), asOf.UTC(), runID).
				Where("NOT EXISTS (SELECT 1 FROM alerts AS x WHERE x.subject_kind = ? AND x.subject_id = s.subject_id AND "+
					"x.org_unit_id = s.org_unit_id AND x.period = s.period AND x.kind = ? AND x.due_date = s.due_date)", string(r.Source.Subject), string(r.Kind)).
				// In the unique key's order: its entries go in at its
				// right edge, not at random pages (a tenth less WAL
				// and a sixth fewer buffer visits for 114,000 alerts).
				OrderExpr("s.subject_id")
			out, err := tx.NewRaw("INSERT INTO alerts (subject_kind, subject_id, kind, due_date, org_unit_id, period, escalated, raised_at, job_run_id) ?", sel).Exec(ctx)
			if err != nil {
				return fmt.Errorf("alerts: raising %s: %w", r.Kind, err)
			}
			m, _ := out.RowsAffected()
			res.Raised[r.Kind] += int(m)
		}
		if res.Total() == 0 {
			return nil
		}
		if res.Queued, err = queueDeliveries(ctx, tx, runID, before, asOf); err != nil {
			return err
		}
		return tx.NewSelect().Table("alerts").ColumnExpr("MIN(id), MAX(id)").Where("id > ? AND job_run_id = ?", before, runID).
			Scan(ctx, &res.First, &res.Last)
	})
	return res, err
}

// candidates selects the subjects rule r raises an alert for on day d:
// all those in its window [from, to], or, when a good scan of day lastDay
// (not zero) began after since and the source can tell what changed,
// those changed since then and those whose due date entered the window
// after lastDay; nil when there are none.
func candidates(ctx context.Context, tx bun.IDB, r Rule, d, from, to, lastDay store.Date, since time.Time) (*bun.SelectQuery, error) {
	src := r.Source
	if lastDay.IsZero() || src.Changed == nil {
		return src.Open(ctx, tx, d, from, to, nil)
	}
	changed, err := src.Open(ctx, tx, d, from, to, src.Changed(tx, since))
	if err != nil {
		return nil, err
	}
	_, lastTo := r.Window(lastDay)
	newFrom := from
	if !lastTo.IsZero() && (newFrom.IsZero() || lastTo.AddDays(1).After(newFrom)) {
		newFrom = lastTo.AddDays(1)
	}
	if !to.IsZero() && newFrom.After(to) {
		return changed, nil
	}
	entered, err := src.Open(ctx, tx, d, newFrom, to, nil)
	if err != nil || entered == nil {
		return changed, err
	}
	if changed == nil {
		return entered, nil
	}
	// A subject changed since whose due date also entered the window is
	// in both: once (UNION, not UNION ALL).
	return entered.Union(changed), nil
}

// Resolve resolves the open alerts of the given assignments that no longer
// hold today (done, cancelled, another due date in force): called when
// their changes commit, so an alert ends when its work does, not at the
// next scan.
func (s *Store) Resolve(ctx context.Context, assignmentIDs []int64) (int, error) {
	if len(assignmentIDs) == 0 {
		return 0, nil
	}
	now := s.clock()
	return resolve(ctx, s.db, []*Source{Assignments}, store.DateOf(now), now, assignmentIDs, time.Time{})
}

// scanLock makes scans on PostgreSQL take turns, each holding it until its
// transaction ends.
const scanLock = "SELECT pg_advisory_xact_lock(hashtext('p06 alert-scan'))"

// ResolveSubmitted resolves, in the transaction tx of a write of indicator
// values, the open REPORT_DUE alerts of those indicators whose value is
// now submitted (as of at's day): one statement. It is the kpi write
// path's kpi.SubmittedFunc (kpi.Service.OnSubmitted).
func ResolveSubmitted(ctx context.Context, tx bun.IDB, at time.Time, indicators []int64) error {
	_, err := resolve(ctx, tx, []*Source{ReportsDue}, store.DateOf(at), at, indicators, time.Time{})
	return err
}

// resolveMargin is how long before the last scan a scan looks for changes.
const resolveMargin = 10 * time.Minute

// resolve sets resolved_at and the resolution of the open alerts of the
// sources srcs that no longer hold on day d (with ids, only those
// subjects'; with since, only subjects whose facts changed since then,
// when the source can tell).
func resolve(ctx context.Context, db bun.IDB, srcs []*Source, d store.Date, at time.Time, ids []int64, since time.Time) (int, error) {
	total := 0
	for _, src := range srcs {
		cond, resolution, args := src.Resolved(d)
		q := db.NewUpdate().Table("alerts").
			Set("resolved_at = ?", at.UTC()).
			Set("resolution = "+resolution, args...).
			Where("resolved_at IS NULL AND subject_kind = ?", string(src.Subject)).
			Where(cond, args...)
		if ids != nil {
			q = q.Where("subject_id IN (?)", bun.In(ids))
		}
		if !since.IsZero() && src.Changed != nil {
			q = q.Where("subject_id IN (?)", src.Changed(db, since))
		}
		out, err := q.Exec(ctx)
		if err != nil {
			return 0, fmt.Errorf("alerts: resolving: %w", err)
		}
		n, _ := out.RowsAffected()
		total += int(n)
	}
	return total, nil
}

// Filter narrows the alerts list.
type Filter struct {
	Kinds []Kind
	// Acknowledged: nil for all, else only those (not) acknowledged.
	Acknowledged *bool
	// Open: only the alerts not resolved.
	Open bool
	// After and Through bound the id (alertRaised reads a scan's alerts).
	After, Through int64
}

// alertOrder is the alerts list's order: newest first.
var alertOrder = store.Order{Name: "alerts", Desc: true, Selected: true,
	Keys: []store.Key{{Expr: "alr.raised_at", Kind: store.KeyTime}, {Expr: "alr.id"}}}

// scoped is the alerts sc may read, with their unit's path.
func (s *Store) scoped(db bun.IDB, sc rbac.Scope, as *[]*Alert) *bun.SelectQuery {
	cond, args := sc.ReadFilter("u.path")
	return db.NewSelect().Model(as).ColumnExpr("alr.*, u.path AS unit_path").
		Join("JOIN org_units AS u ON u.id = alr.org_unit_id").Where(cond, args...)
}

func (f Filter) apply(q *bun.SelectQuery) *bun.SelectQuery {
	if len(f.Kinds) > 0 {
		ks := make([]string, len(f.Kinds))
		for i, k := range f.Kinds {
			ks[i] = string(k)
		}
		q = q.Where("alr.kind IN (?)", bun.In(ks))
	}
	if f.Acknowledged != nil {
		if *f.Acknowledged {
			q = q.Where("alr.acknowledged_at IS NOT NULL")
		} else {
			q = q.Where("alr.acknowledged_at IS NULL")
		}
	}
	if f.Open {
		q = q.Where("alr.resolved_at IS NULL")
	}
	if f.After != 0 {
		q = q.Where("alr.id > ?", f.After)
	}
	if f.Through != 0 {
		q = q.Where("alr.id <= ?", f.Through)
	}
	return q
}

// List returns a page of the alerts sc reads, newest first.
func (s *Store) List(ctx context.Context, sc rbac.Scope, f Filter, p store.Page) ([]*Alert, store.PageInfo, error) {
	var as []*Alert
	info, err := store.List(ctx, f.apply(s.scoped(s.db, sc, &as)), &as, alertOrder, p)
	if err != nil {
		return nil, info, fmt.Errorf("alerts: listing: %w", err)
	}
	return as, info, nil
}

// Unread counts the alerts sc reads that are neither acknowledged nor
// resolved.
func (s *Store) Unread(ctx context.Context, sc rbac.Scope) (int, error) {
	cond, args := sc.ReadFilter("u.path")
	n, err := s.db.NewSelect().TableExpr("alerts AS alr").Join("JOIN org_units AS u ON u.id = alr.org_unit_id").
		Where(cond, args...).Where("alr.acknowledged_at IS NULL AND alr.resolved_at IS NULL").Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("alerts: counting: %w", err)
	}
	return int(n), nil
}

// ByIDs returns the alerts of ids that sc reads.
func (s *Store) ByIDs(ctx context.Context, sc rbac.Scope, ids []int64) ([]*Alert, error) {
	var as []*Alert
	if len(ids) == 0 {
		return as, nil
	}
	if err := s.scoped(s.db, sc, &as).Where("alr.id IN (?)", bun.In(ids)).OrderExpr("alr.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("alerts: reading: %w", err)
	}
	return as, nil
}

// MaxAcknowledge is the most alerts one acknowledgeAlerts names.
const MaxAcknowledge = 100

// Acknowledge records that actor has seen the alerts ids: each must be in
// the actor's scope (NOT_FOUND otherwise, like a missing one) and the actor
// must hold ACKNOWLEDGE_ALERT on its unit (FORBIDDEN). An alert already
// acknowledged keeps its first acknowledgement. One audit row per alert
// acknowledged now. Returns the alerts as they stand.
func (s *Store) Acknowledge(ctx context.Context, actor *auth.Identity, ids []int64) ([]*Alert, error) {
	if actor == nil {
		return nil, &store.Error{Code: store.Unauthenticated, Message: "cần đăng nhập", English: "sign-in required"}
	}
	if len(ids) == 0 || len(ids) > MaxAcknowledge {
		return nil, &store.Error{Code: store.Invalid, Field: "alerts",
			Message: fmt.Sprintf("alerts phải có từ 1 đến %d cảnh báo, nhận được %d", MaxAcknowledge, len(ids)),
			English: fmt.Sprintf("alerts must name 1 to %d alerts, got %d", MaxAcknowledge, len(ids))}
	}
	sc := s.authz.ScopeOf(actor.Subject())
	now := s.clock()
	var out []*Alert
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var as []*Alert
		q := s.scoped(tx, sc, &as).Where("alr.id IN (?)", bun.In(ids)).OrderExpr("alr.id")
		if s.db.Engine == store.Postgres {
			q = q.For("UPDATE OF alr")
		}
		if err := q.Scan(ctx); err != nil {
			return fmt.Errorf("alerts: reading: %w", err)
		}
		found := map[int64]*Alert{}
		for _, a := range as {
			found[a.ID] = a
		}
		for i, id := range ids {
			a := found[id]
			if a == nil {
				return &store.Error{Code: store.NotFound, Field: fmt.Sprintf("alerts[%d]", i),
					Message: "không tìm thấy cảnh báo", English: "alert not found"}
			}
			if !s.authz.Can(actor.Subject(), a.UnitPath, rbac.AcknowledgeAlert) {
				return &store.Error{Code: store.Forbidden, Field: fmt.Sprintf("alerts[%d]", i),
					Message: "không có quyền xác nhận cảnh báo của đơn vị này", English: "not allowed to acknowledge this unit's alerts"}
			}
		}
		for _, a := range as {
			if a.AcknowledgedAt != nil {
				continue
			}
			if _, err := tx.NewUpdate().Table("alerts").Set("acknowledged_at = ?, acknowledged_by = ?", now.UTC(), actor.User.ID).
				Where("id = ? AND acknowledged_at IS NULL", a.ID).Exec(ctx); err != nil {
				return fmt.Errorf("alerts: acknowledging: %w", err)
			}
			a.AcknowledgedAt, a.AcknowledgedBy = &now, actor.User.ID
			e := auth.AuditEntry(actor, now, "alert.acknowledge", "Alert", a.ID, a.UnitPath)
			if err := store.Audit(ctx, tx, e, map[string]any{"kind": a.Kind, "subject": a.SubjectKind, "subjectId": a.SubjectID,
				"dueDate": a.DueDate}); err != nil {
				return err
			}
		}
		out = as
		return nil
	})
	return out, err
}
