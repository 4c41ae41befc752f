// Package tasks holds the directing documents (directives, resolutions,
// dispatches…), the tasks they give, the assignments of each task to org
// units, deadline phrases and the reporting-status rules.
package tasks

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"p06/store"
)

// DocKind is the kind of a directing document.
type DocKind string

const (
	QuyetDinh DocKind = "QUYET_DINH" // Quyết định (QĐ)
	ChiThi    DocKind = "CHI_THI"    // Chỉ thị (CT)
	NghiQuyet DocKind = "NGHI_QUYET" // Nghị quyết (NQ)
	CongDien  DocKind = "CONG_DIEN"  // Công điện (CĐ)
	KetLuan   DocKind = "KET_LUAN"   // Kết luận (KL)
	ThongBao  DocKind = "THONG_BAO"  // Thông báo (TB)
	KeHoach   DocKind = "KE_HOACH"   // Kế hoạch (KH)
)

// DocKinds lists the kinds in display order.
var DocKinds = []DocKind{QuyetDinh, ChiThi, NghiQuyet, CongDien, KetLuan, ThongBao, KeHoach}

// Valid reports whether k is a known kind.
func (k DocKind) Valid() bool {
	for _, v := range DocKinds {
		if k == v {
			return true
		}
	}
	return false
}

// Document is a directing document that creates tasks.
type Document struct {
	bun.BaseModel `bun:"table:documents,alias:d"`

	ID         int64        `bun:"id,pk,autoincrement"`
	Kind       DocKind      `bun:"kind"`
	Number     string       `bun:"number"` // "21/CT-TTg"
	IssueDate  store.Date   `bun:"issue_date,type:text"`
	Issuer     string       `bun:"issuer"`
	Title      string       `bun:"title"`
	SearchText string       `bun:"search_text"`
	Source     store.Source `bun:"source"`
	Note       string       `bun:"note"`

	store.SortKey
}

// Validate checks d before it is stored.
func (d *Document) Validate() error {
	if !d.Kind.Valid() {
		return &store.Error{Code: store.Invalid, Field: "kind",
			Message: fmt.Sprintf("loại văn bản %q không hợp lệ", d.Kind), English: fmt.Sprintf("unknown document kind %q", d.Kind)}
	}
	if d.Number == "" {
		return &store.Error{Code: store.Invalid, Field: "number", Message: "số hiệu văn bản không được để trống", English: "document number is required"}
	}
	if d.IssueDate.IsZero() {
		return &store.Error{Code: store.Invalid, Field: "issueDate", Message: "ngày ban hành không được để trống", English: "issue date is required"}
	}
	if d.Title == "" {
		return &store.Error{Code: store.Invalid, Field: "title", Message: "trích yếu văn bản không được để trống", English: "document title is required"}
	}
	return nil
}

// Task is one thing a document asks for, in the document's own words.
type Task struct {
	bun.BaseModel `bun:"table:tasks,alias:t"`

	ID          int64  `bun:"id,pk,autoincrement"`
	DocumentID  int64  `bun:"document_id"`
	SortOrder   int    `bun:"sort_order"`
	Clause      string `bun:"clause"` // where in the document: "Mục II.1.a"
	Title       string `bun:"title"`
	Description string `bun:"description"`
	SearchText  string `bun:"search_text"`
	// DeadlineText is the deadline as written ("quý I/2024"); DueDate and
	// Precision are what ParseDeadline resolved it to.
	DeadlineText string       `bun:"deadline_text"`
	DueDate      store.Date   `bun:"due_date,type:text"`
	Precision    Precision    `bun:"precision"`
	Source       store.Source `bun:"source"`
	Note         string       `bun:"note"`
	// RecordedOn is the day the task was entered; seeded rows, which
	// reconstruct the past, hold since store.Beginning.
	RecordedOn store.Date `bun:"recorded_on,type:text"`
	// UpdatedAt is the latest change to the task or any of its
	// assignments: its creation, or the latest UpdatedAt of its
	// assignments (kept by CreateTask and SaveFacts).
	UpdatedAt time.Time `bun:"updated_at"`

	store.SortKey
}

// Role is how a unit takes part in a task.
type Role string

const (
	Lead       Role = "LEAD"       // chủ trì
	Coordinate Role = "COORDINATE" // phối hợp
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == Lead || r == Coordinate }

// State is the stored state of an assignment.
type State string

const (
	NotStarted State = "NOT_STARTED"
	InProgress State = "IN_PROGRESS"
	Done       State = "DONE"
	Cancelled  State = "CANCELLED"
)

// Valid reports whether s is a known state.
func (s State) Valid() bool {
	switch s {
	case NotStarted, InProgress, Done, Cancelled:
		return true
	}
	return false
}

// Assignment is one task given to one org unit. Its state, progress, current
// due date and completion date are the facts the reporting status is derived
// from.
type Assignment struct {
	bun.BaseModel `bun:"table:assignments,alias:a"`

	ID          int64        `bun:"id,pk,autoincrement"`
	TaskID      int64        `bun:"task_id"`
	OrgUnitID   int64        `bun:"org_unit_id"`
	Role        Role         `bun:"role"`
	State       State        `bun:"state"`
	Progress    int          `bun:"progress"`
	DueDate     store.Date   `bun:"due_date,type:text"`
	CompletedOn store.Date   `bun:"completed_on,type:text"`
	Source      store.Source `bun:"source"`
	// Version counts the changes of the facts above; a write names the
	// version it read, so that two people saving at once never lose one.
	Version int `bun:"version"`
	// UpdatedAt is when the assignment was created or its facts last saved.
	UpdatedAt time.Time `bun:"updated_at"`

	store.SortKey
}

// Facts is one version of an assignment's facts, as they stood from
// ValidFrom until the day before ValidTo (zero while current). Statuses as
// of a date are computed from these rows.
type Facts struct {
	bun.BaseModel `bun:"table:assignment_facts,alias:af"`

	ID           int64      `bun:"id,pk,autoincrement"`
	AssignmentID int64      `bun:"assignment_id"`
	Version      int        `bun:"version"`
	ValidFrom    store.Date `bun:"valid_from,type:text"`
	ValidTo      store.Date `bun:"valid_to,type:text"`
	State        State      `bun:"state"`
	Progress     int        `bun:"progress"`
	DueDate      store.Date `bun:"due_date,type:text"`
	CompletedOn  store.Date `bun:"completed_on,type:text"`
	Note         string     `bun:"note"`
	ChangedAt    time.Time  `bun:"changed_at"`
	ChangedBy    int64      `bun:"changed_by,nullzero"`
}

// factsOf returns the facts of a, version a.Version, valid from day.
func factsOf(a *Assignment, day store.Date, note string, at time.Time, by int64) *Facts {
	return &Facts{AssignmentID: a.ID, Version: a.Version, ValidFrom: day, State: a.State, Progress: a.Progress,
		DueDate: a.DueDate, CompletedOn: a.CompletedOn, Note: note, ChangedAt: at.UTC(), ChangedBy: by}
}

// Validate checks the stored facts of a against each other.
func (a *Assignment) Validate() error {
	switch {
	case !a.Role.Valid():
		return &store.Error{Code: store.Invalid, Field: "role", Message: fmt.Sprintf("vai trò %q không hợp lệ (LEAD hoặc COORDINATE)", a.Role),
			English: fmt.Sprintf("role %q is invalid (LEAD or COORDINATE)", a.Role)}
	case !a.State.Valid():
		return &store.Error{Code: store.Invalid, Field: "state", Message: fmt.Sprintf("trạng thái %q không hợp lệ", a.State),
			English: fmt.Sprintf("state %q is invalid", a.State)}
	case a.Progress < 0 || a.Progress > 100:
		return &store.Error{Code: store.Invalid, Field: "progress", Message: fmt.Sprintf("tiến độ %d%% phải trong khoảng 0–100", a.Progress),
			English: fmt.Sprintf("progress %d%% must be within 0–100", a.Progress)}
	case a.State == Done && a.CompletedOn.IsZero():
		return &store.Error{Code: store.Invalid, Field: "completedOn", Message: "nhiệm vụ đã hoàn thành phải có ngày hoàn thành",
			English: "a done assignment needs its completion date"}
	case a.State != Done && !a.CompletedOn.IsZero():
		return &store.Error{Code: store.Invalid, Field: "completedOn", Message: "chỉ nhiệm vụ đã hoàn thành mới có ngày hoàn thành",
			English: "only a done assignment has a completion date"}
	}
	return nil
}

// BeforeAppendModel refuses to insert a task without its updated time,
// which the UPDATED_AT order needs: Store.CreateTask sets it from its clock.
func (t *Task) BeforeAppendModel(_ context.Context, q bun.Query) error {
	if _, ok := q.(*bun.InsertQuery); ok && t.UpdatedAt.IsZero() {
		return fmt.Errorf("tasks: inserting task %q without updated_at", t.Title)
	}
	return nil
}

// BeforeAppendModel refuses to insert an assignment without its updated
// time, which the UPDATED_AT order needs: set it from the store's clock.
func (a *Assignment) BeforeAppendModel(_ context.Context, q bun.Query) error {
	if _, ok := q.(*bun.InsertQuery); ok && a.UpdatedAt.IsZero() {
		return fmt.Errorf("tasks: inserting assignment of task %d without updated_at", a.TaskID)
	}
	return nil
}
