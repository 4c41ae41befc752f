package tasks

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"p06/auth"
	"p06/rbac"
	"p06/store"
)

// The standing agency's use cases: entering a document and its tasks,
// assigning a task to units and cancelling it. Each is one transaction on
// the write path of Service (see service.go), audited with what it made.

// Length limits of what the standing agency enters, in characters.
const (
	MaxDocNumberLength    = 50
	MaxIssuerLength       = 200
	MaxTitleLength        = 1000
	MaxClauseLength       = 100
	MaxDescriptionLength  = 10000
	MaxDeadlineTextLength = 200
	// MaxAssignCodes bounds the unit codes one assignTask names (lead and
	// coordinate together; allProvinces and allMinistries are not counted).
	MaxAssignCodes = 200
)

// NewDocument is a document to enter.
type NewDocument struct {
	Kind      DocKind
	Number    string // "21/CT-TTg"
	IssueDate store.Date
	Issuer    string
	Title     string
}

// NewTask is a task of a stored document, in the document's words.
type NewTask struct {
	DocumentID   int64
	Clause       string
	Title        string
	Description  string
	DeadlineText string
}

// Assign names the units a task is given to. AllProvinces and AllMinistries
// add every unit of kind PROVINCE or MINISTRY not named in Lead or
// Coordinate and not already assigned, in the role AllRole (COORDINATE when
// empty).
type Assign struct {
	TaskID        int64
	Lead          []string // unit codes
	Coordinate    []string
	AllProvinces  bool
	AllMinistries bool
	AllRole       Role
}

// CreateDocument enters a document. Documents are national: the actor must
// hold CREATE_DOCUMENT on the root unit. Its number is unique (CONFLICT on
// number); it cannot be issued after today.
func (s *Service) CreateDocument(ctx context.Context, actor *auth.Identity, in NewDocument) (*Document, error) {
	if err := signedIn(actor); err != nil {
		return nil, err
	}
	if err := s.must(actor, rbac.RootPath, rbac.CreateDocument); err != nil {
		return nil, err
	}
	d := &Document{Kind: in.Kind, IssueDate: in.IssueDate, Source: store.SourceUser}
	var err error
	if d.Number, err = cleanText("number", in.Number, MaxDocNumberLength, true); err != nil {
		return nil, err
	}
	if d.Issuer, err = cleanText("issuer", in.Issuer, MaxIssuerLength, true); err != nil {
		return nil, err
	}
	if d.Title, err = cleanText("title", in.Title, MaxTitleLength, true); err != nil {
		return nil, err
	}
	if today := store.Today(s.clock); d.IssueDate.After(today) {
		return nil, errField(store.Invalid, "issuedOn", fmt.Sprintf("ngày ban hành %s sau hôm nay (%s)", d.IssueDate, today),
			fmt.Sprintf("the issue date %s is after today (%s)", d.IssueDate, today))
	}
	err = s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := NewStore(tx, s.clock).CreateDocument(ctx, d); err != nil {
			return renameField(err, "issueDate", "issuedOn")
		}
		return store.Audit(ctx, tx, auth.AuditEntry(actor, s.clock(), "document.create", "Document", d.ID, rbac.RootPath),
			map[string]any{"after": map[string]any{"kind": d.Kind, "number": d.Number, "issueDate": d.IssueDate.String(),
				"issuer": d.Issuer, "title": d.Title}})
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// renameField gives a store.Error about field from the name the store uses
// to the one of the input.
func renameField(err error, from, to string) error {
	if se, ok := err.(*store.Error); ok && se.Field == from {
		e := *se
		e.Field = to
		return &e
	}
	return err
}

// CreateTask enters a task of a document the actor can read, after the
// document's other tasks (CREATE_DOCUMENT on the root unit, as for the
// document). Its due date and precision are what ParseDeadline makes of
// the deadline text (an unreadable one is INVALID on deadlineText, with
// the parser's message); it is recorded today, so reports for earlier
// dates do not count it.
func (s *Service) CreateTask(ctx context.Context, actor *auth.Identity, in NewTask) (*Task, error) {
	if err := signedIn(actor); err != nil {
		return nil, err
	}
	if err := s.must(actor, rbac.RootPath, rbac.CreateDocument); err != nil {
		return nil, err
	}
	t, err := s.newTask(in)
	if err != nil {
		return nil, err
	}
	err = s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		doc, err := s.documentOf(ctx, tx, actor, in.DocumentID)
		if err != nil {
			return err
		}
		return s.createTaskInTx(ctx, tx, actor, doc, t)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// newTask checks and cleans the texts of a task to enter (INVALID on the
// field at fault); its deadline is resolved when it is stored.
func (s *Service) newTask(in NewTask) (*Task, error) {
	t := &Task{DocumentID: in.DocumentID, Source: store.SourceUser, RecordedOn: store.Today(s.clock)}
	var err error
	if t.Clause, err = cleanText("clause", in.Clause, MaxClauseLength, false); err != nil {
		return nil, err
	}
	if t.Title, err = cleanText("title", in.Title, MaxTitleLength, true); err != nil {
		return nil, err
	}
	if t.Description, err = cleanText("description", in.Description, MaxDescriptionLength, false); err != nil {
		return nil, err
	}
	if t.DeadlineText, err = cleanText("deadlineText", in.DeadlineText, MaxDeadlineTextLength, true); err != nil {
		return nil, err
	}
	return t, nil
}

// documentOf loads a document the actor can read (NOT_FOUND on document
// otherwise).
func (s *Service) documentOf(ctx context.Context, tx bun.IDB, actor *auth.Identity, id int64) (*Document, error) {
	docs, err := NewStore(tx, s.clock).DocumentsByIDs(ctx, s.authz.ScopeOf(actor.Subject()), []int64{id})
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, errField(store.NotFound, "document", "không tìm thấy văn bản", "document not found")
	}
	return docs[0], nil
}

// createTaskInTx stores t, checked by newTask, as the next task of doc and
// audits it: the one way createTask and importTasks enter a task.
func (s *Service) createTaskInTx(ctx context.Context, tx bun.Tx, actor *auth.Identity, doc *Document, t *Task) error {
	t.DocumentID = doc.ID
	if err := tx.NewSelect().Table("tasks").ColumnExpr("COALESCE(MAX(sort_order), 0) + 1").
		Where("document_id = ?", doc.ID).Scan(ctx, &t.SortOrder); err != nil {
		return fmt.Errorf("tasks: next task of document %d: %w", doc.ID, err)
	}
	if err := NewStore(tx, s.clock).CreateTask(ctx, t, nil); err != nil {
		return renameField(err, "deadline", "deadlineText")
	}
	return store.Audit(ctx, tx, auth.AuditEntry(actor, s.clock(), "task.create", "Task", t.ID, rbac.RootPath),
		map[string]any{"after": map[string]any{"document": doc.Number, "clause": t.Clause, "title": t.Title,
			"deadlineText": t.DeadlineText, "dueDate": t.DueDate.String(), "precision": t.Precision, "recordedOn": t.RecordedOn.String()}})
}

// taskForWrite loads a task the actor can read, locked for the transaction
// on PostgreSQL (SQLite transactions hold the write lock from BEGIN), so
// two assignTask or cancelTask calls on one task take turns.
func (s *Service) taskForWrite(ctx context.Context, tx bun.Tx, actor *auth.Identity, id int64) (*Task, error) {
	t := new(Task)
	q := visibleTasks(tx.NewSelect().Model(t), s.authz.ScopeOf(actor.Subject())).Where("t.id = ?", id)
	if s.db.Engine == store.Postgres {
		q = q.For("UPDATE OF t")
	}
	if err := q.Scan(ctx); err != nil {
		if store.IsNoRows(err) {
			return nil, errField(store.NotFound, "task", "không tìm thấy nhiệm vụ", "task not found")
		}
		return nil, fmt.Errorf("tasks: loading task %d: %w", id, err)
	}
	return t, nil
}

// unitRow is an org unit as assigning needs it.
type unitRow struct {
	ID   int64  `bun:"id"`
	Code string `bun:"code"`
	Path string `bun:"path"`
}

// AssignTask gives a task to units, one assignment each, all or none: the
// actor must hold ASSIGN_TASK on each unit. A code named twice, in both
// lists, unknown, or of a unit the task is already assigned to is a
// caller's mistake naming it, and nothing is written. Each new assignment
// starts today at version 1 with the task's due date. It returns the task
// and the new assignments.
func (s *Service) AssignTask(ctx context.Context, actor *auth.Identity, in Assign) (*Task, []*Assignment, error) {
	if err := signedIn(actor); err != nil {
		return nil, nil, err
	}
	var (
		t     *Task
		added []*Assignment
	)
	err := s.inTx(ctx, ChangeAssigned, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if t, err = s.taskForWrite(ctx, tx, actor, in.TaskID); err != nil {
			return err
		}
		added, err = s.assignInTx(ctx, tx, actor, t, in)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return t, added, nil
}

// assignInTx gives task t, loaded for writing, to the units in (its TaskID
// is not read), checked, authorised on each unit and audited: the one way
// assignTask and importTasks assign.
func (s *Service) assignInTx(ctx context.Context, tx bun.Tx, actor *auth.Identity, t *Task, in Assign) ([]*Assignment, error) {
	if n := len(in.Lead) + len(in.Coordinate); n > MaxAssignCodes {
		return nil, errField(store.Invalid, "lead", fmt.Sprintf("nêu %d đơn vị, quá giới hạn %d (dùng allProvinces, allMinistries)", n, MaxAssignCodes),
			fmt.Sprintf("%d units named, over the limit of %d (use allProvinces, allMinistries)", n, MaxAssignCodes))
	}
	allRole := in.AllRole
	if allRole == "" {
		allRole = Coordinate
	}
	if !allRole.Valid() {
		return nil, errField(store.Invalid, "allRole", fmt.Sprintf("vai trò %q không hợp lệ", allRole), fmt.Sprintf("role %q is invalid", allRole))
	}
	type named struct {
		code, field string
		role        Role
	}
	var names []named
	seen := map[string]string{} // code → the field that named it
	for _, l := range []struct {
		field string
		role  Role
		codes []string
	}{{"lead", Lead, in.Lead}, {"coordinate", Coordinate, in.Coordinate}} {
		for _, c := range l.codes {
			c = strings.TrimSpace(store.NFC(c))
			if prev, ok := seen[c]; ok {
				if prev == l.field {
					return nil, errField(store.Invalid, l.field, fmt.Sprintf("đơn vị %s được nêu hai lần", c), fmt.Sprintf("unit %s is named twice", c))
				}
				return nil, errField(store.Invalid, l.field, fmt.Sprintf("đơn vị %s vừa chủ trì vừa phối hợp", c),
					fmt.Sprintf("unit %s is named both to lead and to coordinate", c))
			}
			seen[c] = l.field
			names = append(names, named{c, l.field, l.role})
		}
	}
	var added []*Assignment
	var assigned []string
	if err := tx.NewSelect().TableExpr("assignments AS a").Join("JOIN org_units AS u ON u.id = a.org_unit_id").
		Column("u.code").Where("a.task_id = ?", t.ID).Scan(ctx, &assigned); err != nil {
		return nil, fmt.Errorf("tasks: units of task %d: %w", t.ID, err)
	}
	already := map[string]bool{}
	for _, c := range assigned {
		already[c] = true
	}
	units := map[string]unitRow{}
	if len(names) > 0 {
		codes := make([]string, len(names))
		for i, n := range names {
			codes[i] = n.code
		}
		var rows []unitRow
		if err := tx.NewSelect().Table("org_units").Column("id", "code", "path").Where("code IN (?)", bun.In(codes)).Scan(ctx, &rows); err != nil {
			return nil, fmt.Errorf("tasks: units to assign: %w", err)
		}
		for _, u := range rows {
			units[u.Code] = u
		}
	}
	var plan []NewAssignment
	paths := map[int64]unitRow{}
	for _, n := range names {
		u, ok := units[n.code]
		if !ok {
			return nil, errField(store.NotFound, n.field, fmt.Sprintf("không có đơn vị mã %q", n.code), fmt.Sprintf("no unit has the code %q", n.code))
		}
		if already[n.code] {
			return nil, errField(store.Conflict, n.field, fmt.Sprintf("nhiệm vụ đã được giao cho đơn vị %s", n.code),
				fmt.Sprintf("the task is already assigned to unit %s", n.code))
		}
		plan = append(plan, NewAssignment{OrgUnitID: u.ID, Role: n.role})
		paths[u.ID] = u
	}
	for _, k := range []struct {
		on   bool
		kind string
	}{{in.AllProvinces, "PROVINCE"}, {in.AllMinistries, "MINISTRY"}} {
		if !k.on {
			continue
		}
		var rows []unitRow
		if err := tx.NewSelect().Table("org_units").Column("id", "code", "path").Where("kind = ?", k.kind).
			OrderExpr("sort_order, code").Scan(ctx, &rows); err != nil {
			return nil, fmt.Errorf("tasks: units of kind %s: %w", k.kind, err)
		}
		for _, u := range rows {
			if _, named := seen[u.Code]; named || already[u.Code] {
				continue
			}
			plan = append(plan, NewAssignment{OrgUnitID: u.ID, Role: allRole})
			paths[u.ID] = u
		}
	}
	if len(plan) == 0 {
		return nil, errField(store.Invalid, "lead", "không có đơn vị nào để giao", "no unit to assign the task to")
	}
	for _, p := range plan {
		if err := s.must(actor, paths[p.OrgUnitID].Path, rbac.AssignTask); err != nil {
			return nil, err
		}
	}
	var err error
	if added, err = NewStore(tx, s.clock).insertAssignments(ctx, t, plan, store.Today(s.clock)); err != nil {
		return nil, err
	}
	for _, a := range added {
		u := paths[a.OrgUnitID]
		if err := store.Audit(ctx, tx, auth.AuditEntry(actor, s.clock(), "task.assign", "Assignment", a.ID, u.Path),
			map[string]any{"task": t.ID, "after": map[string]any{"unit": u.Code, "role": a.Role, "state": a.State,
				"dueDate": a.DueDate.String(), "version": a.Version}}); err != nil {
			return nil, err
		}
	}
	return added, nil
}

// CancelTask cancels every open (not started or in progress) assignment of
// a task, each through SaveFacts like an update (a new version, a history
// row with the reason as its note, an audit row with before and after);
// done assignments stay done. The actor must hold ASSIGN_TASK on each
// cancelled assignment's unit. It returns the task and the assignments it
// cancelled.
func (s *Service) CancelTask(ctx context.Context, actor *auth.Identity, taskID int64, reason string) (*Task, []*Assignment, error) {
	if err := signedIn(actor); err != nil {
		return nil, nil, err
	}
	reason, err := cleanText("reason", reason, MaxNoteLength, true)
	if err != nil {
		return nil, nil, err
	}
	var (
		t         *Task
		cancelled []*Assignment
	)
	err = s.inTx(ctx, ChangeCancelled, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if t, err = s.taskForWrite(ctx, tx, actor, taskID); err != nil {
			return err
		}
		var open []*Assignment
		q := assignmentQuery(tx.NewSelect().Model(&open), rbac.National()).
			Where("a.task_id = ? AND a.state IN (?)", t.ID, bun.In([]State{NotStarted, InProgress})).OrderExpr("a.id")
		if s.db.Engine == store.Postgres {
			q = q.For("UPDATE OF a")
		}
		if err := q.Scan(ctx); err != nil {
			return fmt.Errorf("tasks: open assignments of task %d: %w", t.ID, err)
		}
		if len(open) == 0 {
			return errField(store.Invalid, "task", "nhiệm vụ không còn phần việc nào đang mở để hủy", "the task has no open assignment to cancel")
		}
		ids := make([]int64, len(open))
		for i, a := range open {
			ids[i] = a.ID
		}
		var units []struct {
			ID   int64  `bun:"id"`
			Path string `bun:"path"`
		}
		if err := tx.NewSelect().TableExpr("assignments AS a").Join("JOIN org_units AS u ON u.id = a.org_unit_id").
			ColumnExpr("a.id, u.path").Where("a.id IN (?)", bun.In(ids)).Scan(ctx, &units); err != nil {
			return fmt.Errorf("tasks: units of task %d: %w", t.ID, err)
		}
		path := map[int64]string{}
		for _, u := range units {
			path[u.ID] = u.Path
			if err := s.must(actor, u.Path, rbac.AssignTask); err != nil {
				return err
			}
		}
		st, today := NewStore(tx, s.clock).KeepStatusesLater(), store.Today(s.clock)
		for _, a := range open {
			before := *a
			a.State, a.CompletedOn = Cancelled, store.Date{}
			detail := changeDetail(&before, a)
			detail["task"], detail["note"] = t.ID, reason
			if err := st.SaveFacts(ctx, a, FactsChange{Expected: before.Version, Day: today, Note: reason, By: actor.User.ID,
				Audit: auth.AuditEntry(actor, s.clock(), "task.cancel", "Assignment", a.ID, path[a.ID]), Detail: detail}); err != nil {
				return err
			}
		}
		cancelled = open
		return st.RefreshStatuses(ctx)
	})
	if err != nil {
		return nil, nil, err
	}
	return t, cancelled, nil
}
