package graph

import (
	"context"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"p06/graph/model"
	"p06/store"
	"p06/tasks"
)

// Cursors are opaque keyset cursors made and read by store.List (see
// store/page.go): the sort key values and id of a row, for one list and
// order. The resolvers pass them through untouched.

// pageOf reads first/after into a page: first must be 1–100.
//
// The list is counted only when the query selects the connection's
// totalCount, and its cursors made only when it selects edges or pageInfo.
func pageOf(ctx context.Context, first *int, after *string) (store.Page, error) {
	p := store.Page{Limit: defaultPage, SkipCount: true, SkipCursors: true}
	for _, f := range selected(ctx) {
		switch f.Name {
		case "totalCount":
			p.SkipCount = false
		case "edges", "pageInfo":
			p.SkipCursors = false
		}
	}
	if first != nil {
		if *first < 1 || *first > store.MaxPage {
			return p, &store.Error{Code: store.Invalid, Field: "first",
				Message: "first phải từ 1 đến 100, nhận được " + strconv.Itoa(*first),
				English: "first must be between 1 and 100, got " + strconv.Itoa(*first)}
		}
		p.Limit = *first
	}
	if after != nil {
		p.After = *after
	}
	return p, nil
}

// connection builds the edges and page info of a page of items.
// Without cursors (store.Page.SkipCursors: the query selects neither edges
// nor pageInfo) the edges' cursors are empty.
func connection[T store.Keyed, E any](items []T, pi store.PageInfo, edge func(cursor string, node T) E) ([]E, *model.PageInfo) {
	edges := make([]E, len(items))
	for i, it := range items {
		edges[i] = edge(it.SortKeys().Cursor, it)
	}
	info := &model.PageInfo{HasNextPage: pi.HasNext, HasPreviousPage: pi.HasPrevious}
	if len(items) > 0 && pi.Cursors {
		s, e := items[0].SortKeys().Cursor, items[len(items)-1].SortKeys().Cursor
		info.StartCursor, info.EndCursor = &s, &e
	}
	return edges, info
}

// selects says whether the field being resolved selects a field of this
// name (directly or through fragments).
func selects(ctx context.Context, name string) bool {
	for _, f := range selected(ctx) {
		if f.Name == name {
			return true
		}
	}
	return false
}

// everyField stands for the selection outside a query: everything.
var everyField = []graphql.CollectedField{{Field: &ast.Field{Name: "totalCount"}}, {Field: &ast.Field{Name: "edges"}},
	{Field: &ast.Field{Name: "pageInfo"}}}

// selected is the fields the field being resolved selects (directly or
// through fragments); outside a query, every field that costs work.
func selected(ctx context.Context) []graphql.CollectedField {
	if graphql.GetFieldContext(ctx) == nil {
		return everyField
	}
	return graphql.CollectFieldsCtx(ctx, nil)
}

// summaryParts are the parts of a programme summary the query selects.
func summaryParts(ctx context.Context) tasks.SummaryPart {
	var parts tasks.SummaryPart
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		switch f.Name {
		case "documentCount", "documentsByKind":
			parts |= tasks.SumDocuments
		case "taskCount":
			parts |= tasks.SumTasks
		case "byStatus":
			parts |= tasks.SumStatuses
		case "assignmentCount":
			parts |= tasks.SumAssignments
		}
	}
	return parts
}
