package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"p06/org"
	"p06/store"
	"p06/tasks"
)

// Prefetching: when a connection resolves its page, it enqueues the nested
// lookups its nodes will make (only those the query selects) into the
// loaders at once. The batch then holds the whole page however slowly the
// nodes' resolvers start, so a page costs a fixed number of queries.

// nodeSelections returns the fields selected on the nodes of the connection
// being resolved, under nodes { … } and edges { node { … } }.
func nodeSelections(ctx context.Context) []graphql.CollectedField {
	if graphql.GetFieldContext(ctx) == nil {
		return nil
	}
	oc := graphql.GetOperationContext(ctx)
	var out []graphql.CollectedField
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		switch f.Name {
		case "nodes":
			out = append(out, graphql.CollectFields(oc, f.Selections, nil)...)
		case "edges":
			for _, e := range graphql.CollectFields(oc, f.Selections, nil) {
				if e.Name == "node" {
					out = append(out, graphql.CollectFields(oc, e.Selections, nil)...)
				}
			}
		}
	}
	return out
}

// prefetchTasks enqueues the documents, assignments and statuses of a page
// of tasks; assignee is the list's assignee filter (nil when none), on whose
// assignments statuses are judged by default.
func (r *Resolver) prefetchTasks(ctx context.Context, ts []*tasks.Task, assignee *org.Unit) {
	if len(ts) == 0 {
		return
	}
	l := loadersOf(ctx)
	oc := graphql.GetOperationContext(ctx)
	for _, f := range nodeSelections(ctx) {
		switch f.Name {
		case "document":
			for _, t := range ts {
				l.document.LoadThunk(ctx, t.DocumentID)
			}
		case "assignments":
			for _, t := range ts {
				l.assignmentsOf.LoadThunk(ctx, t.ID)
			}
		case "status":
			args := f.ArgumentMap(oc.Variables)
			var asOf *store.Date
			if s, ok := args["asOf"].(string); ok {
				if d, err := store.ParseDate(s); err == nil {
					asOf = &d
				}
			}
			key := statusKey{asOf: r.asOf(asOf)}
			code, named := args["orgUnit"].(string)
			switch {
			case named && code == "":
			case named && (assignee == nil || code != assignee.Code):
				continue // resolved by the field itself
			case assignee != nil:
				key.unitPath = assignee.Path
			}
			for _, t := range ts {
				key.task = t.ID
				l.taskStatus.LoadThunk(ctx, key)
			}
		}
	}
}

// prefetchAssignments enqueues the tasks and units of a page of assignments.
func (r *Resolver) prefetchAssignments(ctx context.Context, as []*tasks.Assignment) {
	l := loadersOf(ctx)
	for _, f := range nodeSelections(ctx) {
		switch f.Name {
		case "task":
			for _, a := range as {
				l.task.LoadThunk(ctx, a.TaskID)
			}
		case "status":
			var asOf *store.Date
			if s, ok := f.ArgumentMap(graphql.GetOperationContext(ctx).Variables)["asOf"].(string); ok {
				if d, err := store.ParseDate(s); err == nil {
					asOf = &d
				}
			}
			day := r.asOf(asOf)
			for _, a := range as {
				l.assignmentStatus.LoadThunk(ctx, assignmentStatusKey{asOf: day, assignment: a.ID})
			}
		case "orgUnit":
			for _, a := range as {
				r.prefetchUnit(ctx, l, a.OrgUnitID)
			}
		default:
			r.prefetchExtensions(ctx, f, as)
		}
	}
}

// prefetchUnits enqueues the parents, children and working groups of a page
// of units.
func (r *Resolver) prefetchUnits(ctx context.Context, us []*org.Unit) {
	l := loadersOf(ctx)
	for _, f := range nodeSelections(ctx) {
		for _, u := range us {
			switch f.Name {
			case "parent":
				if u.ParentID != 0 {
					r.prefetchUnit(ctx, l, u.ParentID)
				}
			case "children":
				l.children.LoadThunk(ctx, u.ID)
			case "workingGroups":
				l.groupsOfUnit.LoadThunk(ctx, u.ID)
			}
		}
	}
}

// prefetchGroups enqueues the units and members of a page of working groups.
func (r *Resolver) prefetchGroups(ctx context.Context, gs []*org.WorkingGroup) {
	l := loadersOf(ctx)
	for _, f := range nodeSelections(ctx) {
		for _, g := range gs {
			switch f.Name {
			case "orgUnit":
				r.prefetchUnit(ctx, l, g.OrgUnitID)
			case "members", "leader":
				l.members.LoadThunk(ctx, g.ID)
			}
		}
	}
}
