package tasks

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"p06/auth"
	"p06/rbac"
	"p06/store"
)

// Service is the write path of documents, tasks and assignments, the one
// every feature copies: a method per use case opens a transaction, loads the
// object in the caller's scope (NOT_FOUND when out of it), checks the
// permission on the object's own unit, applies the domain rule (a caller's
// mistake is an INVALID or CONFLICT *store.Error naming the input field),
// writes the row with its version bumped, its history and its audit entry,
// and commits.
type Service struct {
	db       *store.DB
	authz    *rbac.Authorizer
	clock    store.Clock
	notifier Notifier // told of changes to assignments (live updates); may be nil
}

// NewService returns the write path on db, deciding permissions with authz
// and telling the time by clock.
func NewService(db *store.DB, authz *rbac.Authorizer, clock store.Clock) *Service {
	return &Service{db: db, authz: authz, clock: clock}
}

// MaxNoteLength bounds the note of a change, in characters.
const MaxNoteLength = 2000

// AssignmentUpdate is a change to an assignment's facts. Nil fields keep
// their value.
type AssignmentUpdate struct {
	AssignmentID int64
	// ExpectedVersion is the version the caller read; a newer one in the
	// database is a CONFLICT and nothing is written.
	ExpectedVersion int
	State           *State
	Progress        *int
	CompletedOn     *store.Date
	Note            string
}

// signedIn refuses a use case without a caller.
func signedIn(actor *auth.Identity) error {
	if actor == nil {
		return store.Errorf(store.Unauthenticated, "cần đăng nhập", "sign-in required")
	}
	return nil
}

// must checks that actor holds perm on the unit at path.
func (s *Service) must(actor *auth.Identity, path string, perm rbac.Permission) error {
	if !s.authz.Can(actor.Subject(), path, perm) {
		return store.Errorf(store.Forbidden, "bạn không có quyền %s trên đơn vị này", "you do not have the %s permission on this unit", perm)
	}
	return nil
}

// cleanText trims and NFC-normalises v and checks its length (and, when
// required, that it is there); what is wrong is an INVALID error on field.
func cleanText(field, v string, max int, required bool) (string, error) {
	// Spaces and invisible format characters (zero-width space, joiners,
	// direction marks) at the ends carry nothing: a note of only those is
	// no note.
	v = strings.TrimFunc(store.NFC(v), func(r rune) bool { return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) })
	if required && v == "" {
		return "", errField(store.Invalid, field, fmt.Sprintf("%s không được để trống", field), fmt.Sprintf("%s is required", field))
	}
	if n := utf8.RuneCountInString(v); n > max {
		return "", errField(store.Invalid, field, fmt.Sprintf("%s dài %d ký tự, quá giới hạn %d", field, n, max),
			fmt.Sprintf("%s is %d characters long, over the limit of %d", field, n, max))
	}
	return v, nil
}

// errField makes a caller's mistake about an input field.
func errField(code store.Code, field, vi, en string) *store.Error {
	return &store.Error{Code: code, Field: field, Message: vi, English: en}
}

var errNoAssignment = &store.Error{Code: store.NotFound, Field: "assignment", Message: "không tìm thấy nhiệm vụ được giao", English: "assignment not found"}

// Conflict is the error of a write that named a stale version: Current is
// the assignment as it now stands, for the caller to show.
type Conflict struct {
	Err     *store.Error
	Current *Assignment
}

func (c *Conflict) Error() string { return c.Err.Error() }
func (c *Conflict) Unwrap() error { return c.Err }

// UpdateAssignment applies u for actor: the assignment's unit must be in
// the actor's scope and the actor must hold UPDATE_ASSIGNMENT there. Rules:
// progress 0–100; DONE needs a completion date not after today and sets
// progress to 100; leaving DONE or CANCELLED needs a note saying why; a
// CANCELLED assignment cannot be completed (reopen it first), and cancelling
// is not an assignee's update (the assigning level cancels a task); any
// state but DONE clears the completion date; a completion date is not before
// the document giving the task was issued; NOT_STARTED means progress 0 and
// IN_PROGRESS less than 100.
//
// The rules are judged on the assignment as read, unlocked; the write then
// checks that it is still at that version (see saveAlone), so a change saved
// in between is a CONFLICT like any stale expectedVersion.
func (s *Service) UpdateAssignment(ctx context.Context, actor *auth.Identity, u AssignmentUpdate) (*Assignment, error) {
	if err := signedIn(actor); err != nil {
		return nil, err
	}
	note, err := cleanText("note", u.Note, MaxNoteLength, false)
	if err != nil {
		return nil, err
	}
	t, err := s.assignmentForWrite(ctx, s.db, actor, u.AssignmentID, rbac.UpdateAssignment)
	if err != nil {
		return nil, err
	}
	a := &t.Assignment
	if a.Version != u.ExpectedVersion {
		return nil, &Conflict{Err: conflictError(a), Current: a}
	}
	before := *a
	if err := s.applyUpdate(a, u, note, t.Issued); err != nil {
		return nil, err
	}
	if a.State == before.State && a.Progress == before.Progress && a.CompletedOn == before.CompletedOn && note == "" {
		return a, nil // nothing changed: no version, no history, no audit
	}
	detail := changeDetail(&before, a)
	detail["note"] = note
	err = s.saveAlone(ctx, ChangeUpdated, a, FactsChange{Expected: u.ExpectedVersion, Day: store.Today(s.clock), Note: note,
		By: actor.User.ID, Audit: auth.AuditEntry(actor, s.clock(), "assignment.update", "Assignment", a.ID, t.Path), Detail: detail,
		KeepsStatus: a.State == before.State && a.DueDate == before.DueDate && a.CompletedOn == before.CompletedOn})
	if errors.Is(err, errVersionConflict) {
		// Saved by someone else since it was read: the payload shows the
		// assignment as it now stands.
		if t, err = s.assignmentForWrite(ctx, s.db, actor, u.AssignmentID, rbac.UpdateAssignment); err != nil {
			return nil, err
		}
		return nil, &Conflict{Err: conflictError(&t.Assignment), Current: &t.Assignment}
	}
	if err != nil {
		return nil, err
	}
	return a, nil
}

// saveAlone saves a change of one assignment's facts that is a use case's
// only write (SaveFacts) and tells the notifier of it as kind: on
// PostgreSQL, when it keeps every status (a note, a progress), as one
// statement, its own transaction; otherwise in a transaction with the
// task's kept statuses (on SQLite that takes the write lock at BEGIN).
func (s *Service) saveAlone(ctx context.Context, kind ChangeKind, a *Assignment, c FactsChange) error {
	var err error
	if s.db.Engine == store.Postgres && c.KeepsStatus {
		err = store.AsBusy(NewStore(s.db, s.clock).SaveFacts(ctx, a, c))
	} else {
		err = s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error { return NewStore(tx, s.clock).SaveFacts(ctx, a, c) })
	}
	if err == nil && s.notifier != nil {
		s.notifier.Committed([]Change{{Assignment: a.ID, Kind: kind}})
	}
	return err
}

func conflictError(current *Assignment) *store.Error {
	return errField(store.Conflict, "expectedVersion",
		fmt.Sprintf("người khác đã lưu trước bạn (phiên bản hiện tại %d): trạng thái %s, tiến độ %d%%", current.Version, current.State, current.Progress),
		fmt.Sprintf("someone else saved first (current version %d): state %s, progress %d%%", current.Version, current.State, current.Progress))
}

// applyUpdate applies the rules of UpdateAssignment to a.
func (s *Service) applyUpdate(a *Assignment, u AssignmentUpdate, note string, issued store.Date) error {
	today := store.Today(s.clock)
	was := a.State
	next := was
	if u.State != nil {
		next = *u.State
		if !next.Valid() {
			return errField(store.Invalid, "state", fmt.Sprintf("trạng thái %q không hợp lệ", next), fmt.Sprintf("state %q is invalid", next))
		}
	}
	switch {
	case next == Cancelled && was != Cancelled:
		return errField(store.Invalid, "state", "hủy nhiệm vụ là quyết định của cấp giao (cancelTask), không phải cập nhật của đơn vị được giao",
			"cancelling is the assigning level's decision (cancelTask), not an assignee's update")
	case was == Cancelled && next == Done:
		return errField(store.Invalid, "state", "nhiệm vụ đã hủy không thể chuyển thẳng sang hoàn thành; hãy mở lại trước",
			"a cancelled assignment cannot be completed; reopen it first")
	case (was == Done || was == Cancelled) && next != was && note == "":
		return errField(store.Invalid, "note", "mở lại nhiệm vụ đã hoàn thành hoặc đã hủy cần ghi chú lý do",
			"reopening a done or cancelled assignment needs a note saying why")
	}
	a.State = next
	if u.Progress != nil {
		if *u.Progress < 0 || *u.Progress > 100 {
			return errField(store.Invalid, "progress", fmt.Sprintf("tiến độ %d%% phải trong khoảng 0–100", *u.Progress),
				fmt.Sprintf("progress %d%% must be within 0–100", *u.Progress))
		}
		a.Progress = *u.Progress
	}
	// Progress says the same as the state: nothing done before starting,
	// less than all of it while in progress (checked when the caller sets
	// either; older rows may say otherwise).
	if u.State != nil || u.Progress != nil {
		switch {
		case next == NotStarted && a.Progress > 0:
			return errField(store.Invalid, "progress", fmt.Sprintf("chưa bắt đầu (NOT_STARTED) thì tiến độ là 0%%, không phải %d%%", a.Progress),
				fmt.Sprintf("NOT_STARTED means progress 0%%, not %d%%", a.Progress))
		case next == InProgress && a.Progress >= 100:
			return errField(store.Invalid, "progress", "đang thực hiện (IN_PROGRESS) thì tiến độ dưới 100%: đã xong thì chọn DONE",
				"IN_PROGRESS means progress below 100%: when it is done, choose DONE")
		}
	}
	switch {
	case next == Done:
		if u.CompletedOn != nil && !u.CompletedOn.IsZero() {
			a.CompletedOn = *u.CompletedOn
		}
		if a.CompletedOn.IsZero() {
			return errField(store.Invalid, "completedOn", "hoàn thành cần ngày hoàn thành", "DONE needs the completion date (completedOn)")
		}
		if a.CompletedOn.After(today) {
			return errField(store.Invalid, "completedOn", fmt.Sprintf("ngày hoàn thành %s sau hôm nay (%s)", a.CompletedOn, today),
				fmt.Sprintf("the completion date %s is after today (%s)", a.CompletedOn, today))
		}
		if a.CompletedOn.Before(issued) {
			return errField(store.Invalid, "completedOn", fmt.Sprintf("ngày hoàn thành %s trước ngày ban hành văn bản giao nhiệm vụ (%s)", a.CompletedOn, issued),
				fmt.Sprintf("the completion date %s is before the document giving the task was issued (%s)", a.CompletedOn, issued))
		}
		a.Progress = 100
	case u.CompletedOn != nil && !u.CompletedOn.IsZero():
		return errField(store.Invalid, "completedOn", "chỉ nhiệm vụ hoàn thành (DONE) mới có ngày hoàn thành",
			"only a DONE assignment has a completion date")
	default:
		a.CompletedOn = store.Date{}
	}
	return nil
}

// writeTarget is an assignment as a change loads it: with its unit's path
// and the issue date of the document giving its task.
type writeTarget struct {
	Assignment `bun:",extend"`
	Path       string     `bun:"unit_path,scanonly"`
	Issued     store.Date `bun:"issue_date,scanonly"`
}

// assignmentForWrite loads an assignment in the actor's scope, with its
// unit's path and its document's issue date, in one query, and checks that
// the actor holds perm on that unit. In a transaction (db a bun.Tx) on
// PostgreSQL the row is locked for it; read outside one, it is not, and the
// change must check its version when it writes (SaveFacts does).
func (s *Service) assignmentForWrite(ctx context.Context, db bun.IDB, actor *auth.Identity, id int64, perm rbac.Permission) (*writeTarget, error) {
	sc := s.authz.ScopeOf(actor.Subject())
	t := new(writeTarget)
	q := assignmentQuery(db.NewSelect().Model(t), sc).ColumnExpr("a.*").ColumnExpr("au.path AS unit_path").
		ColumnExpr("(SELECT d.issue_date FROM tasks AS t JOIN documents AS d ON d.id = t.document_id WHERE t.id = a.task_id) AS issue_date").
		Where("a.id = ?", id)
	if _, inTx := db.(bun.Tx); inTx && s.db.Engine == store.Postgres {
		q = q.For("UPDATE OF a")
	}
	if err := q.Scan(ctx); err != nil {
		if store.IsNoRows(err) {
			return nil, errNoAssignment
		}
		return nil, fmt.Errorf("tasks: loading assignment %d: %w", id, err)
	}
	if err := s.must(actor, t.Path, perm); err != nil {
		return nil, err
	}
	return t, nil
}

// changeDetail is what the audit log records of a change of facts from
// before to after: both, after at its next version.
func changeDetail(before, after *Assignment) map[string]any {
	next := *after
	next.Version = before.Version + 1
	return map[string]any{"before": factsDetail(before), "after": factsDetail(&next)}
}

// factsDetail is what the audit log records of an assignment's facts.
func factsDetail(a *Assignment) map[string]any {
	return map[string]any{"state": a.State, "progress": a.Progress, "dueDate": a.DueDate.String(),
		"completedOn": a.CompletedOn.String(), "version": a.Version}
}

// MaxHistory bounds how many versions of one assignment's facts History
// returns.
const MaxHistory = 100

// History returns the last versions (at most last, itself at most
// MaxHistory) of the facts of each assignment among ids that is in scope,
// oldest first.
func (s *Store) History(ctx context.Context, sc rbac.Scope, assignmentIDs []int64, last int) ([]*Facts, error) {
	var fs []*Facts
	if len(assignmentIDs) == 0 || last <= 0 {
		return fs, nil
	}
	ranked := s.db.NewSelect().TableExpr("assignment_facts AS f").ColumnExpr("f.id").
		ColumnExpr("ROW_NUMBER() OVER (PARTITION BY f.assignment_id ORDER BY f.version DESC) AS n").
		Where("f.assignment_id IN (?)", bun.In(assignmentIDs)).
		Apply(ofVisibleAssignment(sc, "f.assignment_id"))
	err := s.db.NewSelect().Model(&fs).Where("af.id IN (SELECT r.id FROM (?) AS r WHERE r.n <= ?)", ranked, min(last, MaxHistory)).
		OrderExpr("af.assignment_id, af.version").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("tasks: history: %w", err)
	}
	return fs, nil
}

// FactsAsOf returns, for each assignment among ids in scope that existed at
// the end of the day asOf, its facts as they stood then.
func (s *Store) FactsAsOf(ctx context.Context, sc rbac.Scope, asOf store.Date, ids []int64) (map[int64]*Facts, error) {
	out := make(map[int64]*Facts, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var fs []*Facts
	d := asOf.String()
	err := s.db.NewSelect().Model(&fs).Where("af.assignment_id IN (?)", bun.In(ids)).
		Where("af.valid_from <= ? AND (af.valid_to IS NULL OR af.valid_to > ?)", d, d).
		Apply(ofVisibleAssignment(sc, "af.assignment_id")).
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("tasks: facts as of %s: %w", asOf, err)
	}
	for _, f := range fs {
		out[f.AssignmentID] = f
	}
	return out, nil
}
