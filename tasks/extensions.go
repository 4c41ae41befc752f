package tasks

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"p06/auth"
	"p06/rbac"
	"p06/store"
)

// ExtensionState is where a deadline-extension request stands.
type ExtensionState string

const (
	ExtensionPending  ExtensionState = "PENDING"
	ExtensionApproved ExtensionState = "APPROVED"
	ExtensionRejected ExtensionState = "REJECTED"
)

// ExtensionRequest is an assignee's request for a later due date, and the
// assigning level's decision on it.
type ExtensionRequest struct {
	bun.BaseModel `bun:"table:extension_requests,alias:er"`

	ID           int64 `bun:"id,pk,autoincrement"`
	AssignmentID int64 `bun:"assignment_id"`
	// DeadlineText is the new deadline as written; RequestedDueDate and
	// Precision are what ParseDeadline resolved it to.
	DeadlineText     string     `bun:"deadline_text"`
	RequestedDueDate store.Date `bun:"requested_due_date,type:text"`
	Precision        Precision  `bun:"precision"`
	// PreviousDueDate is the due date in force when the request was made.
	PreviousDueDate store.Date     `bun:"previous_due_date,type:text"`
	Reason          string         `bun:"reason"`
	State           ExtensionState `bun:"state"`
	RequestedBy     int64          `bun:"requested_by"`
	RequestedAt     time.Time      `bun:"requested_at"`
	DecidedBy       int64          `bun:"decided_by,nullzero"`
	DecidedAt       *time.Time     `bun:"decided_at"`
	DecisionNote    string         `bun:"decision_note"`
	// FactsVersion is the version of the assignment's facts an approval
	// made (the one that carries the new due date); 0 otherwise.
	FactsVersion int `bun:"facts_version,nullzero"`
}

// MaxReasonLength bounds the reason of an extension request, in characters.
const MaxReasonLength = 2000

// ExtensionAsk is an assignee's request for more time.
type ExtensionAsk struct {
	AssignmentID int64
	DeadlineText string
	Reason       string
}

var errNoExtension = &store.Error{Code: store.NotFound, Field: "request", Message: "không tìm thấy đề nghị gia hạn", English: "extension request not found"}

// RequestExtension records actor's request for a later due date of an
// assignment: the assignment must be in the actor's scope (NOT_FOUND
// otherwise) and the actor must hold REQUEST_EXTENSION on its unit. Rules:
// a reason is required; the deadline is a phrase ParseDeadline reads, naming
// a date later than the current due date and not before today; a done or
// cancelled assignment, or one without a due date, cannot ask; at most one
// request per assignment is open (PENDING) at a time (CONFLICT).
func (s *Service) RequestExtension(ctx context.Context, actor *auth.Identity, in ExtensionAsk) (*ExtensionRequest, error) {
	if err := signedIn(actor); err != nil {
		return nil, err
	}
	reason, err := cleanText("reason", in.Reason, MaxReasonLength, false)
	if err != nil {
		return nil, err
	}
	if reason == "" {
		return nil, errField(store.Invalid, "reason", "cần nêu lý do xin gia hạn", "a reason for the extension is required")
	}
	dl, err := ParseDeadline(in.DeadlineText)
	if err != nil {
		e := *err.(*store.Error) // ParseDeadline's errors are always *store.Error
		e.Field = "deadlineText"
		return nil, &e
	}
	if dl.Due.IsZero() {
		return nil, errField(store.Invalid, "deadlineText", fmt.Sprintf("thời hạn mới %q phải là một ngày cụ thể", dl.Text),
			fmt.Sprintf("the new deadline %q must name a date", dl.Text))
	}
	today := store.Today(s.clock)
	r := &ExtensionRequest{DeadlineText: dl.Text, RequestedDueDate: dl.Due, Precision: dl.Precision, Reason: reason,
		State: ExtensionPending, RequestedBy: actor.User.ID, RequestedAt: s.clock().UTC()}
	err = s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		t, err := s.assignmentForWrite(ctx, tx, actor, in.AssignmentID, rbac.RequestExtension)
		if err != nil {
			return err
		}
		a, path := &t.Assignment, t.Path
		switch {
		case a.State == Done || a.State == Cancelled:
			return errField(store.Invalid, "assignment", fmt.Sprintf("nhiệm vụ đang ở trạng thái %s, không thể xin gia hạn", a.State),
				fmt.Sprintf("the assignment is %s: it cannot ask for more time", a.State))
		case a.DueDate.IsZero():
			return errField(store.Invalid, "assignment", "nhiệm vụ không có hạn (thường xuyên hoặc không ấn định), không cần gia hạn",
				"the assignment has no due date (continuous or unset): there is nothing to extend")
		case !dl.Due.After(a.DueDate):
			return errField(store.Invalid, "deadlineText", fmt.Sprintf("thời hạn mới %s (%s) phải sau hạn hiện tại %s", dl.Text, dl.Due, a.DueDate),
				fmt.Sprintf("the new deadline %s (%s) must be later than the current due date %s", dl.Text, dl.Due, a.DueDate))
		case dl.Due.Before(today):
			return errField(store.Invalid, "deadlineText", fmt.Sprintf("thời hạn mới %s (%s) đã qua (hôm nay %s)", dl.Text, dl.Due, today),
				fmt.Sprintf("the new deadline %s (%s) is already past (today is %s)", dl.Text, dl.Due, today))
		}
		open, err := tx.NewSelect().Model((*ExtensionRequest)(nil)).
			Where("er.assignment_id = ? AND er.state = ?", a.ID, ExtensionPending).Exists(ctx)
		if err != nil {
			return fmt.Errorf("tasks: open extension requests of %d: %w", a.ID, err)
		}
		if open {
			return errOpenRequest
		}
		r.AssignmentID, r.PreviousDueDate = a.ID, a.DueDate
		if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
			if store.IsUniqueViolation(err) {
				return errOpenRequest
			}
			return fmt.Errorf("tasks: storing an extension request: %w", err)
		}
		return store.Audit(ctx, tx, auth.AuditEntry(actor, s.clock(), "extension.request", "ExtensionRequest", r.ID, path),
			map[string]any{"after": requestDetail(r), "assignment": a.ID})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

var errOpenRequest = errField(store.Conflict, "assignment", "nhiệm vụ này đã có một đề nghị gia hạn đang chờ quyết định",
	"this assignment already has an extension request awaiting a decision")

// ExtensionDecision is the assigning level's answer to a request.
type ExtensionDecision struct {
	RequestID int64
	Approve   bool
	Note      string
}

// DecideExtension approves or rejects a pending request: its assignment must
// be in the actor's scope (NOT_FOUND otherwise) and the actor must hold
// DECIDE_EXTENSION on the assignment's unit. A decided request cannot be
// decided again (CONFLICT). An approval moves the assignment's current due
// date to the requested one through SaveFacts, like any change of its facts:
// a new version valid from today, a history row with the note (or, without
// one, the request's reason) and an audit entry; a done or cancelled
// assignment can only be refused. It returns the request and the assignment
// as they now stand.
func (s *Service) DecideExtension(ctx context.Context, actor *auth.Identity, d ExtensionDecision) (*ExtensionRequest, *Assignment, error) {
	if err := signedIn(actor); err != nil {
		return nil, nil, err
	}
	note, err := cleanText("note", d.Note, MaxNoteLength, false)
	if err != nil {
		return nil, nil, err
	}
	var r *ExtensionRequest
	var a *Assignment
	err = s.inTx(ctx, ChangeExtended, func(ctx context.Context, tx bun.Tx) error {
		sc := s.authz.ScopeOf(actor.Subject())
		found, err := NewStore(tx, s.clock).ExtensionRequestsByIDs(ctx, sc, []int64{d.RequestID})
		if err != nil {
			return err
		}
		if len(found) == 0 {
			return errNoExtension
		}
		// The assignment first, then the request, locked in that order
		// (as RequestExtension does), so two decisions take turns.
		t, err := s.assignmentForWrite(ctx, tx, actor, found[0].AssignmentID, rbac.DecideExtension)
		if err != nil {
			return err
		}
		a = &t.Assignment
		path := t.Path
		r = new(ExtensionRequest)
		q := tx.NewSelect().Model(r).Where("er.id = ?", d.RequestID)
		if s.db.Engine == store.Postgres {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return fmt.Errorf("tasks: extension request %d: %w", d.RequestID, err)
		}
		if r.State != ExtensionPending {
			return errField(store.Conflict, "request", fmt.Sprintf("đề nghị gia hạn đã được quyết định (%s)", r.State),
				fmt.Sprintf("the extension request was already decided (%s)", r.State))
		}
		before := *r
		now := s.clock().UTC()
		r.DecidedBy, r.DecidedAt, r.DecisionNote = actor.User.ID, &now, note
		r.State = ExtensionRejected
		if d.Approve {
			if a.State == Done || a.State == Cancelled {
				return errField(store.Invalid, "approve", fmt.Sprintf("nhiệm vụ đã ở trạng thái %s: chỉ có thể từ chối đề nghị", a.State),
					fmt.Sprintf("the assignment is %s now: the request can only be rejected", a.State))
			}
			r.State = ExtensionApproved
			was := *a
			a.DueDate = r.RequestedDueDate
			why := note
			if why == "" {
				why = r.Reason
			}
			detail := changeDetail(&was, a)
			detail["note"], detail["extensionRequest"] = why, r.ID
			if err := NewStore(tx, s.clock).SaveFacts(ctx, a, FactsChange{Expected: was.Version, Day: store.Today(s.clock), Note: why, By: actor.User.ID,
				Audit: auth.AuditEntry(actor, s.clock(), "assignment.extend", "Assignment", a.ID, path), Detail: detail}); err != nil {
				return err
			}
			r.FactsVersion = a.Version
		}
		res, err := tx.NewUpdate().Model(r).Column("state", "decided_by", "decided_at", "decision_note", "facts_version").
			Where("er.id = ? AND er.state = ?", r.ID, ExtensionPending).Exec(ctx)
		if err != nil {
			return fmt.Errorf("tasks: deciding extension request %d: %w", r.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("tasks: deciding extension request %d: %d rows, %v", r.ID, n, err)
		}
		return store.Audit(ctx, tx, auth.AuditEntry(actor, s.clock(), "extension.decide", "ExtensionRequest", r.ID, path),
			map[string]any{"before": requestDetail(&before), "after": requestDetail(r), "assignment": a.ID})
	})
	if err != nil {
		return nil, nil, err
	}
	return r, a, nil
}

// requestDetail is what the audit log records of a request.
func requestDetail(r *ExtensionRequest) map[string]any {
	m := map[string]any{"state": r.State, "deadlineText": r.DeadlineText, "requestedDueDate": r.RequestedDueDate.String(),
		"previousDueDate": r.PreviousDueDate.String(), "reason": r.Reason}
	if r.State != ExtensionPending {
		m["decisionNote"] = r.DecisionNote
		m["factsVersion"] = r.FactsVersion
	}
	return m
}

// extensionQuery restricts q (extension_requests er) to the requests whose
// assignment sc may read.
func extensionQuery(q *bun.SelectQuery, sc rbac.Scope) *bun.SelectQuery {
	cond, args := sc.ReadFilter("eu.path")
	return q.Join("JOIN assignments AS ea ON ea.id = er.assignment_id").
		Join("JOIN org_units AS eu ON eu.id = ea.org_unit_id").Where(cond, args...)
}

// ExtensionRequestsByIDs returns the requests in scope among ids.
func (s *Store) ExtensionRequestsByIDs(ctx context.Context, sc rbac.Scope, ids []int64) ([]*ExtensionRequest, error) {
	var rs []*ExtensionRequest
	if len(ids) == 0 {
		return rs, nil
	}
	if err := extensionQuery(s.db.NewSelect().Model(&rs), sc).Where("er.id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("tasks: extension requests by id: %w", err)
	}
	return rs, nil
}

// MaxExtensionRequests bounds how many requests of one assignment
// ExtensionRequestsOf returns.
const MaxExtensionRequests = 100

// ExtensionRequestsOf returns the last requests (at most last, itself at
// most MaxExtensionRequests) of each assignment among ids that is in scope,
// oldest first, in one query.
func (s *Store) ExtensionRequestsOf(ctx context.Context, sc rbac.Scope, assignmentIDs []int64, last int) ([]*ExtensionRequest, error) {
	var rs []*ExtensionRequest
	if len(assignmentIDs) == 0 || last <= 0 {
		return rs, nil
	}
	ranked := extensionQuery(s.db.NewSelect().TableExpr("extension_requests AS er"), sc).ColumnExpr("er.id").
		ColumnExpr("ROW_NUMBER() OVER (PARTITION BY er.assignment_id ORDER BY er.id DESC) AS n").
		Where("er.assignment_id IN (?)", bun.In(assignmentIDs))
	err := s.db.NewSelect().Model(&rs).Where("er.id IN (SELECT r.id FROM (?) AS r WHERE r.n <= ?)", ranked, min(last, MaxExtensionRequests)).
		OrderExpr("er.assignment_id, er.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("tasks: extension requests: %w", err)
	}
	return rs, nil
}

// DueDateChange is one due date an assignment has had: the version of its
// facts that set it, from when, by whom, why, and the extension request
// that caused it (0 for the original deadline or another change).
type DueDateChange struct {
	AssignmentID       int64      `bun:"assignment_id"`
	Version            int        `bun:"version"`
	ValidFrom          store.Date `bun:"valid_from,type:text"`
	DueDate            store.Date `bun:"due_date,type:text"`
	Note               string     `bun:"note"`
	ChangedAt          time.Time  `bun:"changed_at"`
	ChangedBy          int64      `bun:"changed_by,nullzero"`
	ExtensionRequestID int64      `bun:"request_id,nullzero"`
}

// DueDateHistory returns, for each assignment among ids in scope, the last
// (at most last, itself at most MaxHistory) versions of its facts that set
// its due date (the first version, and every one whose due date differs from
// the version before), oldest first, each with the approved extension
// request that made it, if any: one query whatever the number of
// assignments.
func (s *Store) DueDateHistory(ctx context.Context, sc rbac.Scope, assignmentIDs []int64, last int) ([]*DueDateChange, error) {
	var out []*DueDateChange
	if len(assignmentIDs) == 0 || last <= 0 {
		return out, nil
	}
	versions := s.db.NewSelect().TableExpr("assignment_facts AS f").
		ColumnExpr("f.assignment_id, f.version, f.valid_from, f.due_date, f.note, f.changed_at, f.changed_by").
		ColumnExpr("LAG(f.due_date, 1, 'none') OVER (PARTITION BY f.assignment_id ORDER BY f.version) AS prev").
		ColumnExpr("ROW_NUMBER() OVER (PARTITION BY f.assignment_id ORDER BY f.version) AS k").
		Where("f.assignment_id IN (?)", bun.In(assignmentIDs)).
		Apply(ofVisibleAssignment(sc, "f.assignment_id"))
	changes := s.db.NewSelect().TableExpr("(?) AS v", versions).ColumnExpr("v.*").
		ColumnExpr("ROW_NUMBER() OVER (PARTITION BY v.assignment_id ORDER BY v.version DESC) AS n").
		Where("v.k = 1 OR COALESCE(v.due_date, '') <> COALESCE(v.prev, '')")
	err := s.db.NewSelect().TableExpr("(?) AS c", changes).
		ColumnExpr("c.assignment_id, c.version, c.valid_from, c.due_date, c.note, c.changed_at, c.changed_by, r.id AS request_id").
		Join("LEFT JOIN extension_requests AS r ON r.assignment_id = c.assignment_id AND r.facts_version = c.version AND r.state = ?", ExtensionApproved).
		Where("c.n <= ?", min(last, MaxHistory)).
		OrderExpr("c.assignment_id, c.version").Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("tasks: due-date history: %w", err)
	}
	return out, nil
}
