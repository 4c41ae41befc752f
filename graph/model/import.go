package model

import "p06/tasks"

// ImportTasksPayload is importTasks' answer; its rows are paged by a
// resolver from AllRows.
type ImportTasksPayload struct {
	Document        *tasks.Document
	AllRows         []*tasks.ImportRow
	RowCount        int
	RowErrors       []*tasks.ImportError
	ErrorCount      int
	Imported        bool
	Tasks           []*tasks.Task
	AssignmentCount int
	UserErrors      []*UserError
}
