package tasks

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"p06/rbac"
	"p06/store"
)

// Store reads and writes documents, tasks and assignments. Every read takes
// the caller's scope and filters in SQL: a caller who reads the whole country
// sees every task; anyone else sees a task only through its assignments to
// units in their scope, and a document only through such tasks.
type Store struct {
	db    bun.IDB
	clock store.Clock
	// later, when not nil, holds the tasks whose kept statuses its writes
	// changed, for RefreshStatuses (KeepStatusesLater).
	later map[int64]bool
}

// NewStore returns a Store on db (a database or a transaction) that tells
// the time by clock.
func NewStore(db bun.IDB, clock store.Clock) *Store { return &Store{db: db, clock: clock} }

// now is the clock's time to the microsecond, as both databases keep it:
// what a write answers (updatedAt) is what a read of it gives later.
func (s *Store) now() time.Time { return s.clock().Truncate(time.Microsecond) }

// KeepStatusesLater returns a Store on the same database or transaction
// whose writes note the tasks whose kept statuses they change, rather than
// refreshing each task's at once; RefreshStatuses then refreshes them all in
// one go, before the commit (a use case writing many assignments, the seeds
// writing hundreds of tasks).
func (s *Store) KeepStatusesLater() *Store {
	return &Store{db: s.db, clock: s.clock, later: map[int64]bool{}}
}

// RefreshStatuses refreshes the kept statuses of the tasks noted since
// KeepStatusesLater (or since the last call).
func (s *Store) RefreshStatuses(ctx context.Context) error {
	if len(s.later) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(s.later))
	for id := range s.later {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	clear(s.later)
	// A hundred tasks a statement: each stays well within the read timeout.
	for len(ids) > 0 {
		n := min(len(ids), 100)
		if err := refreshStatuses(ctx, s.db, ids[:n]...); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// statusesChanged refreshes the kept statuses of task id, or notes it for
// RefreshStatuses.
func (s *Store) statusesChanged(ctx context.Context, id int64) error {
	if s.later != nil {
		s.later[id] = true
		return nil
	}
	return refreshStatuses(ctx, s.db, id)
}

// ofVisibleAssignment restricts q to rows whose assignment (the column col,
// e.g. "af.assignment_id") sc may read: the rows of an assignment's lists
// (facts, reports, extension requests) are as visible as the assignment.
// Use it with SelectQuery.Apply.
func ofVisibleAssignment(sc rbac.Scope, col string) func(*bun.SelectQuery) *bun.SelectQuery {
	cond, args := sc.ReadFilter("vu.path")
	return func(q *bun.SelectQuery) *bun.SelectQuery {
		return q.Where("EXISTS (SELECT 1 FROM assignments AS va JOIN org_units AS vu ON vu.id = va.org_unit_id WHERE va.id = "+col+" AND "+cond+")", args...)
	}
}

// visibleTasks restricts q (tasks t) to the tasks sc may read.
func visibleTasks(q *bun.SelectQuery, sc rbac.Scope) *bun.SelectQuery {
	if sc.ReadsAll() {
		return q
	}
	cond, args := sc.ReadFilter("vu.path")
	return q.Where("EXISTS (SELECT 1 FROM assignments AS va JOIN org_units AS vu ON vu.id = va.org_unit_id"+
		" WHERE va.task_id = t.id AND "+cond+")", args...)
}

// visibleDocuments restricts q (documents d) to the documents sc may read.
func visibleDocuments(q *bun.SelectQuery, sc rbac.Scope) *bun.SelectQuery {
	if sc.ReadsAll() {
		return q
	}
	cond, args := sc.ReadFilter("vu.path")
	return q.Where("EXISTS (SELECT 1 FROM tasks AS vt JOIN assignments AS va ON va.task_id = vt.id"+
		" JOIN org_units AS vu ON vu.id = va.org_unit_id WHERE vt.document_id = d.id AND "+cond+")", args...)
}

// DocumentFilter narrows a list of documents.
type DocumentFilter struct {
	Kinds  []DocKind
	Number string
	// Search matches number or title, ignoring case and diacritics.
	Search string
}

// documentOrder is the order of the documents list: issue date, then id.
var documentOrder = store.Order{Name: "documents", Keys: []store.Key{{Expr: "d.issue_date", Kind: store.KeyDate}, {Expr: "d.id"}}}

// ListDocuments returns a page of the documents in scope, oldest first, and
// the page's info.
func (s *Store) ListDocuments(ctx context.Context, sc rbac.Scope, f DocumentFilter, p store.Page) ([]*Document, store.PageInfo, error) {
	var docs []*Document
	q := visibleDocuments(s.db.NewSelect().Model(&docs), sc)
	if len(f.Kinds) > 0 {
		q = q.Where("d.kind IN (?)", bun.In(f.Kinds))
	}
	if f.Number != "" {
		q = q.Where("d.number = ?", store.NFC(f.Number))
	}
	if err := store.CheckSearch(f.Search, "filter.search"); err != nil {
		return nil, store.PageInfo{}, err
	}
	q = store.SearchFilter(q, s.db, store.SearchDocument, "d.id", f.Search)
	info, err := store.List(ctx, q, &docs, documentOrder, p)
	if err != nil {
		return nil, info, fmt.Errorf("tasks: listing documents: %w", err)
	}
	return docs, info, nil
}

// DocumentsByIDs returns the documents in scope among ids.
func (s *Store) DocumentsByIDs(ctx context.Context, sc rbac.Scope, ids []int64) ([]*Document, error) {
	var docs []*Document
	if len(ids) == 0 {
		return docs, nil
	}
	if err := visibleDocuments(s.db.NewSelect().Model(&docs), sc).Where("d.id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("tasks: documents by id: %w", err)
	}
	return docs, nil
}

// TaskFilter narrows a list of tasks. Zero fields do not filter.
type TaskFilter struct {
	DocumentKinds  []DocKind
	DocumentNumber string
	DocumentID     int64
	// AssigneePath keeps tasks assigned to the unit at this path or a unit
	// below it; their statuses are then judged on that subtree's
	// assignments (see TaskStatuses).
	AssigneePath string
	AssigneeRole Role
	// Statuses keeps tasks whose status as of StatusAsOf is one of these.
	// With StatusAsOf, tasks recorded after that day are left out: they did
	// not exist then.
	StatusAsOf store.Date
	Statuses   []Status
	// DueFrom and DueTo bound the task's due date, inclusive.
	DueFrom, DueTo store.Date
	Precisions     []Precision
	Search         string
}

var errStatusesNeedAsOf = &store.Error{Code: store.Invalid, Field: "filter.statusAsOf",
	Message: "lọc theo trạng thái cần ngày tính trạng thái (statusAsOf)", English: "filtering by status needs statusAsOf"}

// Validate checks the filter's own consistency.
func (f TaskFilter) Validate() error {
	if len(f.Statuses) > 0 && f.StatusAsOf.IsZero() {
		return errStatusesNeedAsOf
	}
	if err := store.CheckSearch(f.Search, "filter.search"); err != nil {
		return err
	}
	if !f.DueFrom.IsZero() && !f.DueTo.IsZero() && f.DueTo.Before(f.DueFrom) {
		return &store.Error{Code: store.Invalid, Field: "filter.dueTo",
			Message: fmt.Sprintf("dueTo (%s) trước dueFrom (%s)", f.DueTo, f.DueFrom), English: fmt.Sprintf("dueTo (%s) is before dueFrom (%s)", f.DueTo, f.DueFrom)}
	}
	return nil
}

func (s *Store) taskQuery(q *bun.SelectQuery, sc rbac.Scope, f TaskFilter) *bun.SelectQuery {
	// With statuses judged on a kept scope, the tasks are those with a
	// kept span of those statuses on the day: a span in the judged scope
	// means an assignment there (so the task is visible, and assigned in
	// the assignee's subtree) and a task recorded by then, so those
	// conditions are left to it.
	judged := judgedOn(sc, f.AssigneePath)
	keptPath, kept := keptScope(judged)
	kept = kept && len(f.Statuses) > 0
	q = q.Join("JOIN documents AS d ON d.id = t.document_id")
	if !kept {
		q = visibleTasks(q, sc)
	}
	if len(f.DocumentKinds) > 0 {
		q = q.Where("d.kind IN (?)", bun.In(f.DocumentKinds))
	}
	if f.DocumentNumber != "" {
		q = q.Where("d.number = ?", store.NFC(f.DocumentNumber))
	}
	if f.DocumentID != 0 {
		q = q.Where("t.document_id = ?", f.DocumentID)
	}
	if f.AssigneePath != "" && !(kept && f.AssigneeRole == "") {
		cond, args := sc.ReadFilter("fu.path")
		role := ""
		if f.AssigneeRole != "" {
			role = " AND fa.role = ?"
			args = append([]any{f.AssigneeRole}, args...)
		}
		args = append([]any{f.AssigneePath + "%"}, args...)
		q = q.Where("EXISTS (SELECT 1 FROM assignments AS fa JOIN org_units AS fu ON fu.id = fa.org_unit_id"+
			" WHERE fu.path LIKE ?"+role+" AND fa.task_id = t.id AND "+cond+")", args...)
	}
	if !f.DueFrom.IsZero() {
		q = q.Where("t.due_date >= ?", f.DueFrom.String())
	}
	if !f.DueTo.IsZero() {
		q = q.Where("t.due_date <= ?", f.DueTo.String())
	}
	if len(f.Precisions) > 0 {
		q = q.Where("t.precision IN (?)", bun.In(f.Precisions))
	}
	q = store.SearchFilter(q, s.db, store.SearchTask, "t.id", f.Search)
	if !f.StatusAsOf.IsZero() && !kept {
		// A task entered after the cut-off did not exist then.
		q = q.Where("t.recorded_on <= ?", f.StatusAsOf.String())
	}
	if len(f.Statuses) > 0 {
		if kept {
			d := f.StatusAsOf.String()
			q = q.Where("t.id IN (SELECT ks.task_id FROM task_statuses AS ks WHERE ks.scope = ?"+
				" AND ks.valid_from <= ? AND ks.valid_to > ? AND ks.status IN (?))", keptPath, d, d, bun.In(f.Statuses))
		} else {
			q = q.Join("LEFT JOIN (?) AS s ON s.task_id = t.id", taskTally(s.db, judged, f.StatusAsOf)).
				Where("? IN (?)", taskStatusSQL(f.StatusAsOf), bun.In(f.Statuses))
		}
	}
	return q
}

// judgedOn is the scope a task's status is judged on: the caller's, or
// within it the subtree of the unit at path when one is named.
func judgedOn(sc rbac.Scope, path string) rbac.Scope {
	if path == "" {
		return sc
	}
	return sc.Within(path)
}

// OrderField is what a list of tasks or assignments is sorted by; the id
// breaks ties, so every order is total.
type OrderField string

const (
	// ByDocument is the document order: for tasks the document's issue
	// date, the document, the task's place in it; for assignments the
	// task, then the unit's place in the tree.
	ByDocument OrderField = "DOCUMENT"
	// ByDueDate is the (current) due date; tasks without one come last in
	// both directions.
	ByDueDate OrderField = "DUE_DATE"
	// ByUpdatedAt is the updated time (Task.UpdatedAt, Assignment.UpdatedAt).
	ByUpdatedAt OrderField = "UPDATED_AT"
	// ByProgress is the progress percentage (assignments only).
	ByProgress OrderField = "PROGRESS"
)

// Order is the order of a list of tasks or assignments: the zero value is
// the document order, ascending.
type Order struct {
	Field OrderField
	Desc  bool
}

func errOrder(field OrderField, list string) error {
	return &store.Error{Code: store.Invalid, Field: "orderBy.field",
		Message: fmt.Sprintf("không sắp xếp được danh sách %s theo %s", list, field),
		English: fmt.Sprintf("the %s list cannot be ordered by %s", list, field)}
}

// taskOrder is the keyset order of the tasks list in order o.
func taskOrder(o Order) (store.Order, error) {
	id := store.Key{Expr: "t.id"}
	var keys []store.Key
	switch o.Field {
	case ByDocument, "":
		o.Field = ByDocument
		keys = []store.Key{{Expr: "d.issue_date", Kind: store.KeyDate}, {Expr: "d.id"}, {Expr: "t.sort_order"}, id}
	case ByDueDate:
		keys = []store.Key{{Expr: "t.due_date", Kind: store.KeyDate, Nullable: true}, id}
	case ByUpdatedAt:
		keys = []store.Key{{Expr: "t.updated_at", Kind: store.KeyTime}, id}
	default:
		return store.Order{}, errOrder(o.Field, "tasks")
	}
	return store.Order{Name: "tasks." + string(o.Field), Desc: o.Desc, Keys: keys}, nil
}

// ListTasks returns a page of the tasks in scope that match f, in order o,
// and the page's info.
func (s *Store) ListTasks(ctx context.Context, sc rbac.Scope, f TaskFilter, o Order, p store.Page) ([]*Task, store.PageInfo, error) {
	ts, info, _, err := s.ListTasksWith(ctx, sc, f, o, p, TaskJoins{})
	return ts, info, err
}

// TaskJoins asks ListTasksWith to read, in the page's own statement, what a
// caller would otherwise look up for the page's tasks afterwards. The zero
// value reads the tasks alone.
type TaskJoins struct {
	// Documents reads each task's document (already joined for the
	// filters and the order).
	Documents bool
	// Status reads each task's status as of StatusAsOf, judged on the
	// caller's scope or within it on the subtree at StatusUnitPath (as
	// TaskStatuses), where the kept spans answer it: when that scope is
	// kept, for the tasks with a span that day.
	Status         bool
	StatusAsOf     store.Date
	StatusUnitPath string
	// Assignments reads each task's assignments in scope, in no order,
	// as AssignmentsOfTasks (assignedColumn).
	Assignments bool
}

// Joined is what ListTasksWith read with the page's tasks.
type Joined struct {
	// Documents are the documents of the page's tasks, by id (TaskJoins.
	// Documents): each is in scope, as a task in scope is.
	Documents map[int64]*Document
	// Statuses are the statuses of the tasks the kept spans answered for
	// (TaskJoins.Status), as of StatusAsOf judged on StatusUnitPath's
	// subtree (as asked); the others are TaskStatuses' to derive.
	Statuses       map[int64]Status
	StatusAsOf     store.Date
	StatusUnitPath string
	// Assignments are the assignments in scope of every task of the page
	// (TaskJoins.Assignments), by task id: an empty list for none; nil
	// when they could not be read with the page (an unusual stored value),
	// for the caller to read them as AssignmentsOfTasks.
	Assignments map[int64][]*Assignment
}

var (
	docColumnsOnce sync.Once
	docColumnList  string
)

// taskRow is a row of ListTasksWith: a task and what TaskJoins asked.
type taskRow struct {
	Task       `bun:",extend"`
	Doc        Document `bun:"d,scanonly"`
	KeptStatus Status   `bun:"ks_status,scanonly"`
	Assigned   string   `bun:"ja,scanonly"`
}

// docColumns selects the document d of a taskRow (d.id AS d__id, …): every
// column of Document, the same in both dialects.
func docColumns(db bun.IDB) string {
	docColumnsOnce.Do(func() {
		var cols []string
		for _, f := range db.Dialect().Tables().Get(reflect.TypeFor[Document]()).Fields {
			cols = append(cols, "d."+f.Name+" AS d__"+f.Name)
		}
		docColumnList = strings.Join(cols, ", ")
	})
	return docColumnList
}

// ListTasksWith is ListTasks reading with the tasks what j asks, in the same
// statement (no read of its own; a page without j reads nothing more).
func (s *Store) ListTasksWith(ctx context.Context, sc rbac.Scope, f TaskFilter, o Order, p store.Page, j TaskJoins) ([]*Task, store.PageInfo, Joined, error) {
	var joined Joined
	if err := f.Validate(); err != nil {
		return nil, store.PageInfo{}, joined, err
	}
	so, err := taskOrder(o)
	if err != nil {
		return nil, store.PageInfo{}, joined, err
	}
	total, counted, err := s.keptTotal(ctx, sc, f, p)
	if err != nil {
		return nil, store.PageInfo{}, joined, err
	}
	p.SkipCount = p.SkipCount || counted
	keptPath, kept := keptScope(judgedOn(sc, j.StatusUnitPath))
	kept = kept && j.Status
	var ts []*Task
	var info store.PageInfo
	if !j.Documents && !kept && !j.Assignments {
		info, err = store.List(ctx, s.taskQuery(s.db.NewSelect().Model(&ts), sc, f), &ts, so, p)
	} else {
		var rows []*taskRow
		q := s.taskQuery(s.db.NewSelect().Model(&rows), sc, f)
		if j.Documents {
			q = q.ColumnExpr(docColumns(s.db))
		}
		if kept {
			// A task's spans in a scope do not overlap: one holds the day,
			// or none (a task the scope has no assignment in, or not yet
			// recorded).
			d := j.StatusAsOf.String()
			q = q.ColumnExpr("(SELECT ks.status FROM task_statuses AS ks WHERE ks.task_id = t.id AND ks.scope = ?"+
				" AND ks.valid_from <= ? AND ks.valid_to > ? ORDER BY ks.valid_from DESC LIMIT 1) AS ks_status", keptPath, d, d)
		}
		if j.Assignments {
			expr, args := assignedColumn(s.db, sc)
			q = q.ColumnExpr(expr, args...)
		}
		info, err = store.List(ctx, q, &rows, so, p)
		ts = make([]*Task, len(rows))
		if j.Documents {
			joined.Documents = make(map[int64]*Document)
		}
		if kept {
			joined.Statuses = make(map[int64]Status, len(rows))
			joined.StatusAsOf, joined.StatusUnitPath = j.StatusAsOf, j.StatusUnitPath
		}
		micros := s.db.Dialect().Name() == dialect.PG // assignedColumn's updated_at
		if j.Assignments {
			joined.Assignments = make(map[int64][]*Assignment, len(rows))
		}
		for i, r := range rows {
			ts[i] = &r.Task
			if j.Documents && joined.Documents[r.DocumentID] == nil {
				joined.Documents[r.DocumentID] = &r.Doc
			}
			if r.KeptStatus != "" {
				joined.Statuses[r.ID] = r.KeptStatus
			}
			if joined.Assignments != nil {
				// What the usual read takes and this one does not (a value
				// written by hand in another form) leaves the page's
				// assignments to it, rather than failing the page.
				as, derr := decodeAssigned(r.ID, r.Assigned, micros)
				if derr != nil {
					slog.WarnContext(ctx, "tasks: the assignments read with a page of tasks are read again", "err", derr)
					joined.Assignments = nil
				}
				if joined.Assignments != nil {
					joined.Assignments[r.ID] = as
				}
			}
		}
	}
	if err != nil {
		return nil, info, Joined{}, fmt.Errorf("tasks: listing tasks: %w", err)
	}
	if counted {
		info.Total = total
	}
	return ts, info, joined, nil
}

// keptTotal counts the list of f from the kept per-day counts when f
// filters only by statuses judged on a kept scope (and document kinds):
// the counts programmeSummary reads, rather than every matching task
// joined to its document. counted is false when f needs the list counted.
func (s *Store) keptTotal(ctx context.Context, sc rbac.Scope, f TaskFilter, p store.Page) (total int, counted bool, err error) {
	path, kept := keptScope(judgedOn(sc, f.AssigneePath))
	if p.SkipCount || !kept || len(f.Statuses) == 0 || f.AssigneeRole != "" || f.DocumentNumber != "" || f.DocumentID != 0 ||
		!f.DueFrom.IsZero() || !f.DueTo.IsZero() || len(f.Precisions) > 0 || f.Search != "" {
		return 0, false, nil
	}
	sum := Summary{ByStatus: map[Status]int{}}
	if err := s.keptCounts(ctx, path, f.StatusAsOf, f.DocumentKinds, &sum); err != nil {
		return 0, false, err
	}
	for _, st := range slices.Compact(slices.Sorted(slices.Values(f.Statuses))) {
		total += sum.ByStatus[st]
	}
	return total, true, nil
}

// TasksByIDs returns the tasks in scope among ids.
func (s *Store) TasksByIDs(ctx context.Context, sc rbac.Scope, ids []int64) ([]*Task, error) {
	var ts []*Task
	if len(ids) == 0 {
		return ts, nil
	}
	if err := visibleTasks(s.db.NewSelect().Model(&ts), sc).Where("t.id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("tasks: tasks by id: %w", err)
	}
	return ts, nil
}

// TaskStatuses returns the status as of asOf of each task among ids that is
// in scope, judged on the lead assignments in scope or, when unitPath names
// a unit, on that unit's subtree's (its leads, or its coordinating
// assignments when it only coordinates; a task it has no part in is judged
// by the task's own due date).
func (s *Store) TaskStatuses(ctx context.Context, sc rbac.Scope, asOf store.Date, unitPath string, ids []int64) (map[int64]Status, error) {
	return s.TaskStatusesJudged(ctx, sc, asOf, unitPath, DueInForce, ids)
}

// TaskStatusesJudged is TaskStatuses with the assignments judged against
// the due date j (DueOriginal: the original deadline, ignoring extensions).
// Judged on a kept scope against the due date in force, the statuses are
// read from the kept spans; the rule derives the rest.
func (s *Store) TaskStatusesJudged(ctx context.Context, sc rbac.Scope, asOf store.Date, unitPath string, j Judged, ids []int64) (map[int64]Status, error) {
	out := make(map[int64]Status, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	if path, kept := keptScope(judgedOn(sc, unitPath)); kept && j == DueInForce {
		if err := s.keptTaskStatuses(ctx, path, asOf, ids, out); err != nil {
			return nil, err
		}
		// The rest have no kept span that day: tasks the scope has no
		// assignment in (judged by their own due date) or not yet recorded.
		ids = slices.DeleteFunc(slices.Clone(ids), func(id int64) bool { _, ok := out[id]; return ok })
	}
	return out, s.derivedTaskStatuses(ctx, sc, asOf, unitPath, j, ids, out)
}

// derivedTaskStatuses sets in out the status of each task among ids by the
// rule, from the facts.
func (s *Store) derivedTaskStatuses(ctx context.Context, sc rbac.Scope, asOf store.Date, unitPath string, j Judged, ids []int64, out map[int64]Status) error {
	if len(ids) == 0 {
		return nil
	}
	var rows []struct {
		ID     int64  `bun:"id"`
		Status Status `bun:"status"`
	}
	q := visibleTasks(s.db.NewSelect().TableExpr("tasks AS t"), sc).
		Join("LEFT JOIN (?) AS s ON s.task_id = t.id", taskTallyJudged(s.db, judgedOn(sc, unitPath), asOf, j, ids...)).
		ColumnExpr("t.id").ColumnExpr("? AS status", taskStatusSQL(asOf)).
		Where("t.id IN (?)", bun.In(ids))
	if err := q.Scan(ctx, &rows); err != nil {
		return fmt.Errorf("tasks: task statuses: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r.Status
	}
	return nil
}

// AssignmentFilter narrows a list of assignments.
type AssignmentFilter struct {
	TaskID int64
	// OrgUnit keeps assignments to this unit or a unit below it.
	OrgUnit    string
	Roles      []Role
	States     []State
	StatusAsOf store.Date
	Statuses   []Status
}

func assignmentQuery(q *bun.SelectQuery, sc rbac.Scope) *bun.SelectQuery {
	cond, args := sc.ReadFilter("au.path")
	return q.Join("JOIN org_units AS au ON au.id = a.org_unit_id").Where(cond, args...)
}

// assignmentOrder is the keyset order of the assignments list in order o.
func assignmentOrder(o Order) (store.Order, error) {
	id := store.Key{Expr: "a.id"}
	var keys []store.Key
	switch o.Field {
	case ByDocument, "":
		o.Field = ByDocument
		keys = []store.Key{{Expr: "a.task_id"}, {Expr: "au.depth"}, {Expr: "au.sort_order"}, {Expr: "au.code", Kind: store.KeyText}, id}
	case ByDueDate:
		keys = []store.Key{{Expr: "a.due_date", Kind: store.KeyDate, Nullable: true}, id}
	case ByUpdatedAt:
		keys = []store.Key{{Expr: "a.updated_at", Kind: store.KeyTime}, id}
	case ByProgress:
		keys = []store.Key{{Expr: "a.progress"}, id}
	default:
		return store.Order{}, errOrder(o.Field, "assignments")
	}
	return store.Order{Name: "assignments." + string(o.Field), Desc: o.Desc, Keys: keys}, nil
}

// ListAssignments returns a page of the assignments in scope that match f,
// in order o (by default task order then unit order), and the page's info.
func (s *Store) ListAssignments(ctx context.Context, sc rbac.Scope, f AssignmentFilter, o Order, p store.Page) ([]*Assignment, store.PageInfo, error) {
	if len(f.Statuses) > 0 && f.StatusAsOf.IsZero() {
		return nil, store.PageInfo{}, errStatusesNeedAsOf
	}
	so, err := assignmentOrder(o)
	if err != nil {
		return nil, store.PageInfo{}, err
	}
	var as []*Assignment
	q := assignmentQuery(s.db.NewSelect().Model(&as), sc).Join("JOIN tasks AS t ON t.id = a.task_id")
	if f.TaskID != 0 {
		q = q.Where("a.task_id = ?", f.TaskID)
	}
	if f.OrgUnit != "" {
		q = q.Where("au.path LIKE (SELECT p.path FROM org_units AS p WHERE p.code = ?) || '%'", f.OrgUnit)
	}
	if len(f.Roles) > 0 {
		q = q.Where("a.role IN (?)", bun.In(f.Roles))
	}
	if len(f.States) > 0 {
		q = q.Where("a.state IN (?)", bun.In(f.States))
	}
	if len(f.Statuses) > 0 {
		q = q.Where("a.id IN (?)", assignmentsWithStatus(s.db, sc, f.StatusAsOf, f.Statuses))
	}
	info, err := store.List(ctx, q, &as, so, p)
	if err != nil {
		return nil, info, fmt.Errorf("tasks: listing assignments: %w", err)
	}
	return as, info, nil
}

// assignmentsWithStatus selects the ids of assignments whose status as of
// asOf is one of sts, among them all those of sc, from their kept spans
// (assignment_statuses). An assignment's status is its own, whoever asks:
// its spans are kept once, under its depth-1 unit, so the spans of the
// depth-1 units over sc's subtrees hold those of sc (the caller narrows to
// sc itself). Working out every assignment's status by the rule instead
// (assignmentsAsOf) took 50 ms a date for the whole country on the demo
// data, so one request asking for many dates held a core for seconds.
func assignmentsWithStatus(db bun.IDB, sc rbac.Scope, asOf store.Date, sts []Status) *bun.SelectQuery {
	d := asOf.String()
	q := db.NewSelect().TableExpr("assignment_statuses AS ks").Column("ks.assignment_id").
		Where("ks.valid_from <= ? AND ks.valid_to > ? AND ks.status IN (?)", d, d, bun.In(sts))
	if sc.ReadsAll() {
		return q
	}
	tops := []string{}
	for _, p := range sc.Read {
		if t := topPath(p); !slices.Contains(tops, t) {
			tops = append(tops, t)
		}
	}
	if len(tops) == 0 {
		return q.Where("FALSE")
	}
	return q.Where("ks.scope IN (?)", bun.In(tops))
}

// topPath is the path of the depth-1 unit at or above the unit at path
// ("/VN/46/" for "/VN/46/H01/"), as the kept spans' scope (topOf); the
// root's for the root.
func topPath(path string) string {
	parts := strings.SplitN(strings.TrimPrefix(path, "/"), "/", 3)
	if len(parts) < 3 {
		return path
	}
	return "/" + parts[0] + "/" + parts[1] + "/"
}

// AssignmentStatuses returns the status as of asOf of each assignment among
// ids that is in scope and existed then.
func (s *Store) AssignmentStatuses(ctx context.Context, sc rbac.Scope, asOf store.Date, ids []int64) (map[int64]Status, error) {
	return s.AssignmentStatusesJudged(ctx, sc, asOf, DueInForce, ids)
}

// AssignmentStatusesJudged is AssignmentStatuses judged against the due
// date j (DueOriginal: the original deadline, ignoring extensions).
func (s *Store) AssignmentStatusesJudged(ctx context.Context, sc rbac.Scope, asOf store.Date, j Judged, ids []int64) (map[int64]Status, error) {
	out := make(map[int64]Status, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID     int64  `bun:"id"`
		Status Status `bun:"status"`
	}
	x := assignmentsJudged(s.db, sc, asOf, j).Where("xa.id IN (?)", bun.In(ids))
	if err := s.db.NewSelect().TableExpr("(?) AS x", x).Column("x.id", "x.status").Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("tasks: assignment statuses: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r.Status
	}
	return out, nil
}

// AssignmentsByIDs returns the assignments in scope among ids.
func (s *Store) AssignmentsByIDs(ctx context.Context, sc rbac.Scope, ids []int64) ([]*Assignment, error) {
	var as []*Assignment
	if len(ids) == 0 {
		return as, nil
	}
	if err := assignmentQuery(s.db.NewSelect().Model(&as), sc).Where("a.id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("tasks: assignments by id: %w", err)
	}
	return as, nil
}

// AssignmentsOfTasks returns the assignments in scope of the tasks taskIDs,
// in no order: the caller orders them by their units, which it has.
func (s *Store) AssignmentsOfTasks(ctx context.Context, sc rbac.Scope, taskIDs []int64) ([]*Assignment, error) {
	var as []*Assignment
	if len(taskIDs) == 0 {
		return as, nil
	}
	err := assignmentQuery(s.db.NewSelect().Model(&as), sc).Where("a.task_id IN (?)", bun.In(taskIDs)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("tasks: assignments of tasks: %w", err)
	}
	return as, nil
}

// TaskCountsOfDocuments returns, per document among ids, how many of its
// tasks are in scope.
func (s *Store) TaskCountsOfDocuments(ctx context.Context, sc rbac.Scope, ids []int64) (map[int64]int, error) {
	out := make(map[int64]int, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		DocumentID int64 `bun:"document_id"`
		N          int   `bun:"n"`
	}
	q := visibleTasks(s.db.NewSelect().TableExpr("tasks AS t"), sc).
		ColumnExpr("t.document_id, COUNT(*) AS n").Where("t.document_id IN (?)", bun.In(ids)).GroupExpr("t.document_id")
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("tasks: task counts: %w", err)
	}
	for _, r := range rows {
		out[r.DocumentID] = r.N
	}
	return out, nil
}

// CreateDocument validates and stores d.
func (s *Store) CreateDocument(ctx context.Context, d *Document) error {
	d.Number, d.Title, d.Issuer = store.NFC(d.Number), store.NFC(d.Title), store.NFC(d.Issuer)
	if err := d.Validate(); err != nil {
		return err
	}
	d.SearchText = store.Fold(d.Number + " " + d.Title)
	if _, err := s.db.NewInsert().Model(d).Exec(ctx); err != nil {
		if store.IsUniqueViolation(err) {
			return &store.Error{Code: store.Conflict, Field: "number",
				Message: fmt.Sprintf("đã có văn bản số %s", d.Number), English: fmt.Sprintf("document %s already exists", d.Number)}
		}
		return fmt.Errorf("tasks: creating document %s: %w", d.Number, err)
	}
	return store.IndexSearch(ctx, s.db, store.SearchDocument, d.ID, d.Number+" "+d.Title, "")
}

// NewAssignment is one unit a new task is given to.
type NewAssignment struct {
	OrgUnitID   int64
	Role        Role
	State       State
	Progress    int
	CompletedOn store.Date
}

// CreateTask resolves t's deadline, stores t and its assignments. Each
// assignment's current due date starts as the task's.
func (s *Store) CreateTask(ctx context.Context, t *Task, as []NewAssignment) error {
	t.Title, t.Description, t.Clause = store.NFC(t.Title), store.NFC(t.Description), store.NFC(t.Clause)
	if t.Title == "" {
		return &store.Error{Code: store.Invalid, Field: "title", Message: "nội dung nhiệm vụ không được để trống", English: "task title is required"}
	}
	dl, err := ParseDeadline(t.DeadlineText)
	if err != nil {
		e := *err.(*store.Error) // ParseDeadline's errors are always *store.Error
		e.Field = "deadline"
		return &e
	}
	t.DeadlineText, t.DueDate, t.Precision = dl.Text, dl.Due, dl.Precision
	t.SearchText = store.Fold(t.Title + " " + t.Description)
	if t.RecordedOn.IsZero() {
		t.RecordedOn = store.Beginning
	}
	t.UpdatedAt = s.now().UTC()
	if _, err := s.db.NewInsert().Model(t).Exec(ctx); err != nil {
		return fmt.Errorf("tasks: creating task: %w", err)
	}
	if err := store.IndexSearch(ctx, s.db, store.SearchTask, t.ID, t.Title, t.Description); err != nil {
		return err
	}
	if len(as) == 0 {
		return s.statusesChanged(ctx, t.ID) // judged by its own due date
	}
	_, err = s.insertAssignments(ctx, t, as, t.RecordedOn)
	return err
}

// insertAssignments stores the assignments as of task t, each at version 1
// with the task's due date and its first facts valid from day, and the
// task's kept statuses: the one way assignments are made (CreateTask,
// Service.AssignTask).
func (s *Store) insertAssignments(ctx context.Context, t *Task, as []NewAssignment, day store.Date) ([]*Assignment, error) {
	if len(as) == 0 {
		return nil, nil
	}
	at := s.now().UTC()
	rows := make([]*Assignment, len(as))
	for i, n := range as {
		rows[i] = &Assignment{TaskID: t.ID, OrgUnitID: n.OrgUnitID, Role: n.Role, State: n.State,
			Progress: n.Progress, DueDate: t.DueDate, CompletedOn: n.CompletedOn, Source: t.Source, Version: 1,
			UpdatedAt: at}
		if rows[i].State == "" {
			rows[i].State = NotStarted
		}
		if err := rows[i].Validate(); err != nil {
			return nil, err
		}
	}
	if _, err := s.db.NewInsert().Model(&rows).Exec(ctx); err != nil {
		if store.IsUniqueViolation(err) {
			return nil, &store.Error{Code: store.Conflict, Field: "assignments",
				Message: "một đơn vị được giao nhiệm vụ hai lần", English: "a unit is assigned the same task twice"}
		}
		return nil, fmt.Errorf("tasks: creating assignments: %w", err)
	}
	// The task counts its assignments; its updated time is the latest of
	// its assignments'.
	if _, err := s.db.NewUpdate().Table("tasks").Set("assignment_count = assignment_count + ?", len(rows)).
		Set("updated_at = CASE WHEN updated_at < ? THEN ? ELSE updated_at END", at, at).Where("id = ?", t.ID).Exec(ctx); err != nil {
		return nil, fmt.Errorf("tasks: touching task %d: %w", t.ID, err)
	}
	if at.After(t.UpdatedAt) {
		t.UpdatedAt = at
	}
	facts := make([]*Facts, len(rows))
	for i, a := range rows {
		facts[i] = factsOf(a, day, "", at, 0)
	}
	if _, err := s.db.NewInsert().Model(&facts).Exec(ctx); err != nil {
		return nil, fmt.Errorf("tasks: recording assignment facts: %w", err)
	}
	if err := s.statusesChanged(ctx, t.ID); err != nil {
		return nil, err
	}
	for _, a := range rows {
		changed(ctx, a.ID)
	}
	return rows, nil
}

var errVersionConflict = &store.Error{Code: store.Conflict, Field: "expectedVersion",
	Message: "người khác đã lưu thay đổi trước bạn", English: "someone else saved first"}

// FactsChange is a new version of an assignment's facts: what SaveFacts
// needs besides the facts themselves.
type FactsChange struct {
	// Expected is the version the change was made from: another one in the
	// database is a CONFLICT, and nothing is written.
	Expected int
	// Day is the first day the new facts hold (the previous version's end).
	Day store.Date
	// Note and By (the user; 0 for none) are the history row's.
	Note string
	By   int64
	// Audit, with its Detail (stored as JSON), is the change's audit row,
	// written with it; nil for none (seeds and tests).
	Audit  *store.AuditEntry
	Detail any
	// KeepsStatus says the change leaves the state, due date and
	// completion date as they were (a note, a progress): no status can
	// change, so the kept statuses are not recomputed, and on PostgreSQL
	// SaveFacts needs no transaction.
	KeepsStatus bool
}

// SaveFacts stores a's facts (state, progress, due date, completion date) as
// its next version, provided it still is at version c.Expected: otherwise
// nothing is written and the error is CONFLICT. With the new version go its
// history row (valid from c.Day, closing the previous one: the open row of
// version c.Expected, as every version's row is written with the version
// its assignment reaches), the task's updated time and the audit row
// c.Audit, and unless c.KeepsStatus the task's kept statuses
// (refreshStatuses). On PostgreSQL the facts are one statement (a WITH of
// data-modifying queries, each made only if the versioned UPDATE changed the
// row), so with c.KeepsStatus it is atomic even outside a transaction; on
// SQLite it is a statement per table, so run it in a transaction.
func (s *Store) SaveFacts(ctx context.Context, a *Assignment, c FactsChange) error {
	if err := a.Validate(); err != nil {
		return err
	}
	at := s.now().UTC()
	var err error
	if dialectOf(s.db) == store.Postgres {
		err = s.saveFactsOnce(ctx, a, c, at)
	} else {
		err = s.saveFactsSteps(ctx, a, c, at)
	}
	if err != nil {
		return err
	}
	if !c.KeepsStatus {
		if err := s.statusesChanged(ctx, a.TaskID); err != nil {
			return err
		}
	}
	a.Version, a.UpdatedAt = c.Expected+1, at
	changed(ctx, a.ID)
	return nil
}

// dialectOf names db's database engine.
func dialectOf(db bun.IDB) store.Dialect {
	if db.Dialect().Name() == dialect.PG {
		return store.Postgres
	}
	return store.SQLite
}

// saveFactsOnce is SaveFacts on PostgreSQL: one statement, one round trip.
// The versioned UPDATE waits for a writer holding the row and then checks
// the version again, so when it returns the row, the facts row it closes
// is the one of version c.Expected.
func (s *Store) saveFactsOnce(ctx context.Context, a *Assignment, c FactsChange, at time.Time) error {
	q := s.db.NewSelect().
		With("u", s.db.NewRaw("UPDATE assignments AS a SET state = ?, progress = ?, due_date = ?, completed_on = ?,"+
			" version = a.version + 1, updated_at = ? WHERE a.id = ? AND a.version = ? RETURNING a.id, a.version",
			a.State, a.Progress, a.DueDate, a.CompletedOn, at, a.ID, c.Expected)).
		// The task's updated time is the latest of its assignments'.
		With("t", s.db.NewRaw("UPDATE tasks SET updated_at = ? WHERE id = ? AND updated_at < ? AND EXISTS (SELECT 1 FROM u)", at, a.TaskID, at)).
		With("c", s.db.NewRaw("UPDATE assignment_facts SET valid_to = ? WHERE assignment_id = ? AND version = ? AND valid_to IS NULL"+
			" AND EXISTS (SELECT 1 FROM u)", c.Day, a.ID, c.Expected)).
		With("f", s.db.NewRaw("INSERT INTO assignment_facts (assignment_id, version, valid_from, state, progress, due_date, completed_on,"+
			" note, changed_at, changed_by) SELECT id, version, ?, ?, ?, ?, ?, ?, ?, ? FROM u",
			c.Day, a.State, a.Progress, a.DueDate, a.CompletedOn, c.Note, at, nullID(c.By)))
	if c.Audit != nil {
		audit, err := store.AuditFrom(c.Audit, c.Detail, "u")
		if err != nil {
			return err
		}
		q = q.With("l", s.db.NewRaw("?", audit))
	}
	var version int
	if err := q.TableExpr("u").Column("version").Scan(ctx, &version); err != nil {
		if store.IsNoRows(err) {
			return errVersionConflict
		}
		return fmt.Errorf("tasks: saving assignment %d: %w", a.ID, err)
	}
	return nil
}

// saveFactsSteps is SaveFacts on SQLite, a statement per table.
func (s *Store) saveFactsSteps(ctx context.Context, a *Assignment, c FactsChange, at time.Time) error {
	res, err := s.db.NewUpdate().Model(a).Column("state", "progress", "due_date", "completed_on").
		Set("version = version + 1").Set("updated_at = ?", at).Where("a.id = ? AND a.version = ?", a.ID, c.Expected).Exec(ctx)
	if err != nil {
		return fmt.Errorf("tasks: saving assignment %d: %w", a.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		if err != nil {
			return fmt.Errorf("tasks: saving assignment %d: %w", a.ID, err)
		}
		return errVersionConflict
	}
	// The task's updated time is the latest of its assignments'.
	if _, err := s.db.NewUpdate().Table("tasks").Set("updated_at = ?", at).
		Where("id = ? AND updated_at < ?", a.TaskID, at).Exec(ctx); err != nil {
		return fmt.Errorf("tasks: touching the task of assignment %d: %w", a.ID, err)
	}
	if _, err := s.db.NewUpdate().Table("assignment_facts").Set("valid_to = ?", c.Day.String()).
		Where("assignment_id = ? AND version = ? AND valid_to IS NULL", a.ID, c.Expected).Exec(ctx); err != nil {
		return fmt.Errorf("tasks: closing the facts of assignment %d: %w", a.ID, err)
	}
	f := factsOf(a, c.Day, c.Note, at, c.By)
	f.Version = c.Expected + 1
	// Without RETURNING: SQLite runs an INSERT … RETURNING several times
	// slower, and the new row's id is not needed.
	if _, err := s.db.NewInsert().Model(f).Returning("NULL").Exec(ctx); err != nil {
		return fmt.Errorf("tasks: recording the facts of assignment %d: %w", a.ID, err)
	}
	if c.Audit != nil {
		return store.Audit(ctx, s.db, c.Audit, c.Detail)
	}
	return nil
}

// nullID is id, or NULL for 0.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// AssignmentBounds measures every assignment, whatever any caller's scope:
// how many there are and the most any one task has. The figures price
// queries and are never shown.
func (s *Store) AssignmentBounds(ctx context.Context) (total, perTask int, err error) {
	err = s.db.NewRaw(`SELECT COALESCE(SUM(assignment_count), 0), COALESCE(MAX(assignment_count), 0) FROM tasks`).Scan(ctx, &total, &perTask)
	if err != nil {
		return 0, 0, fmt.Errorf("tasks: measuring assignments: %w", err)
	}
	return total, perTask, nil
}
