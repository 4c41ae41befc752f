package graph

import (
	"context"
	"fmt"

	"p06/graph/model"
	"p06/store"
	"p06/tasks"
)

// importPayload translates an import's result; bad rows also make one
// INVALID userError on file, so a client that only reads userErrors sees
// that nothing was imported.
func importPayload(ctx context.Context, res *tasks.ImportResult) *model.ImportTasksPayload {
	out := &model.ImportTasksPayload{Document: res.Document, AllRows: res.Rows, RowCount: len(res.Rows),
		RowErrors: make([]*tasks.ImportError, len(res.Errors)), ErrorCount: res.ErrorCount, Imported: res.Imported,
		Tasks: res.Tasks, AssignmentCount: res.Assignments, UserErrors: []*model.UserError{}}
	if out.Tasks == nil {
		out.Tasks = []*tasks.Task{}
	}
	for i := range res.Errors {
		out.RowErrors[i] = &res.Errors[i]
	}
	if res.ErrorCount > 0 {
		msg := fmt.Sprintf("tệp có %d lỗi (xem rowErrors); không nhập nhiệm vụ nào", res.ErrorCount)
		if english(ctx) {
			msg = fmt.Sprintf("the file has %d errors (see rowErrors); no task was imported", res.ErrorCount)
		}
		out.UserErrors = []*model.UserError{{Field: []string{"input", "file"}, Message: msg, Code: store.Invalid}}
	}
	return out
}

// importRowsPage is the page ImportTasksPayload.rows(first:, offset:) asks
// for.
func importRowsPage(first, offset *int) (n, from int) {
	n = 100
	if first != nil {
		n = *first
	}
	if offset != nil {
		from = *offset
	}
	return n, from
}
