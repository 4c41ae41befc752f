package tasks

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"p06/rbac"
	"p06/store"
)

// A page of tasks can read its tasks' assignments in its own statement
// (TaskJoins.Assignments): one column per task, the assignments in scope
// aggregated into one text, rather than a second statement returning a row
// per assignment. Every column of an assignment is a number, a code, a date
// or an instant, none of which holds the separators, so the text needs no
// escaping; it is one value for the driver to read instead of eleven per
// assignment, and its fields are cut from it without copying.
const (
	assignedFieldSep = ','
	assignedRowSep   = ';'
)

// assignedColumn is the select-list expression (AS ja) of a page of tasks t
// aggregating each task's assignments in scope sc, in no order (an order in
// the aggregate costs PostgreSQL more than the rest of it; the caller orders
// them, as it orders AssignmentsOfTasks'); NULL for a task with none in
// scope. Each is "id,org_unit_id,role,state,progress,due_date,completed_on,
// source,version,updated_at" (see decodeAssigned); updated_at is
// microseconds since 1970 on PostgreSQL and the stored text on SQLite. One
// concat_ws builds each row's text in one allocation, where a chain of ||
// made nine intermediate strings (a fifth of the statement on PostgreSQL,
// a tenth on SQLite, whose allocator is one lock for the whole process).
// Every column is NOT NULL but the two dates, which are COALESCEd:
// concat_ws leaves out a NULL, which would shift the fields. The scope is
// checked per assignment on its unit's primary key, so the cost does not
// grow with the number of units in scope.
func assignedColumn(db bun.IDB, sc rbac.Scope) (string, []any) {
	updated, agg := "ja.updated_at", "group_concat"
	if db.Dialect().Name() == dialect.PG {
		updated, agg = "(extract(epoch FROM ja.updated_at) * 1000000)::bigint", "string_agg"
	}
	scoped, args := "", []any(nil)
	if !sc.ReadsAll() {
		var cond string
		cond, args = sc.ReadFilter("jau.path")
		scoped = " AND EXISTS (SELECT 1 FROM org_units AS jau WHERE jau.id = ja.org_unit_id AND " + cond + ")"
	}
	row := "concat_ws('" + string(assignedFieldSep) + "', " + strings.Join([]string{"ja.id", "ja.org_unit_id", "ja.role", "ja.state",
		"ja.progress", "COALESCE(ja.due_date, '')", "COALESCE(ja.completed_on, '')", "ja.source", "ja.version", updated}, ", ") + ")"
	return "(SELECT " + agg + "(" + row + ", '" + string(assignedRowSep) + "') FROM assignments AS ja WHERE ja.task_id = t.id" +
		scoped + ") AS ja", args
}

// decodeAssigned returns the assignments of task taskID that assignedColumn
// aggregated into s ("" for none); micros says updated_at is microseconds
// (PostgreSQL) rather than text (SQLite). It reads what the application
// writes; anything else is an error, for the caller to read the assignments
// the usual way (AssignmentsOfTasks), which reads more forms.
func decodeAssigned(taskID int64, s string, micros bool) ([]*Assignment, error) {
	if s == "" {
		return []*Assignment{}, nil
	}
	n := strings.Count(s, string(assignedRowSep)) + 1
	slab := make([]Assignment, n)
	out := make([]*Assignment, n)
	for i := range slab {
		row := s
		if j := strings.IndexByte(s, assignedRowSep); j >= 0 {
			row, s = s[:j], s[j+1:]
		}
		a := &slab[i]
		a.TaskID = taskID
		if err := a.decode(row, micros); err != nil {
			return nil, fmt.Errorf("tasks: the assignments of task %d: %w", taskID, err)
		}
		out[i] = a
	}
	return out, nil
}

// decode sets a's columns from one row of assignedColumn's text.
func (a *Assignment) decode(row string, micros bool) error {
	var f [10]string
	for k := range f {
		j := strings.IndexByte(row, assignedFieldSep)
		if (j < 0) != (k == len(f)-1) {
			return fmt.Errorf("%q has not %d fields", row, len(f))
		}
		if j < 0 {
			f[k] = row
		} else {
			f[k], row = row[:j], row[j+1:]
		}
	}
	var err error
	num := func(s string) int64 {
		v, e := strconv.ParseInt(s, 10, 64)
		if e != nil && err == nil {
			err = e
		}
		return v
	}
	date := func(s string) store.Date {
		var d store.Date
		if e := d.Scan(s); e != nil && err == nil {
			err = e
		}
		return d
	}
	a.ID, a.OrgUnitID = num(f[0]), num(f[1])
	a.Role, a.State = Role(f[2]), State(f[3])
	a.Progress = int(num(f[4]))
	a.DueDate, a.CompletedOn = date(f[5]), date(f[6])
	a.Source = store.Source(f[7])
	a.Version = int(num(f[8]))
	if micros {
		a.UpdatedAt = time.UnixMicro(num(f[9])).UTC()
	} else {
		a.UpdatedAt = storedInstant(f[9], &err)
	}
	return err
}

// storedInstant reads an instant as bun stores it on SQLite
// (store.ParseStoredInstant), or sets *err.
func storedInstant(s string, err *error) time.Time {
	t, e := store.ParseStoredInstant(s)
	if e != nil && *err == nil {
		*err = fmt.Errorf("updated_at: %w", e)
	}
	return t
}
