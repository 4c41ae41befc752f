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

// taskJoins says what the page statement of a list of tasks reads with its
// tasks for the nodes' selections sel (nodeSelections): the documents when
// `document` is selected, the assignments when `assignments` is, and the
// statuses of the first `status` selection prefetchTasks enqueues
// (pageStatusKey), where they are kept. What is not selected is not read.
func (r *Resolver) taskJoins(ctx context.Context, sel []graphql.CollectedField, assignee *org.Unit) tasks.TaskJoins {
	var j tasks.TaskJoins
	for _, f := range sel {
		switch f.Name {
		case "document":
			j.Documents = true
		case "assignments":
			j.Assignments = true
		case "status":
			if key, ok := r.pageStatusKey(ctx, f, assignee); ok && !j.Status {
				j.Status, j.StatusAsOf, j.StatusUnitPath = true, key.asOf, key.unitPath
			}
		}
	}
	return j
}

// pageStatusKey is the key (without the task) of the statuses that a
// `status` selection f on the nodes of a list of tasks will load, and false
// when the field resolves them itself (another unit than the list's
// assignee); assignee is the list's assignee filter (nil when none), on
// whose assignments statuses are judged by default.
func (r *Resolver) pageStatusKey(ctx context.Context, f graphql.CollectedField, assignee *org.Unit) (statusKey, bool) {
	args := f.ArgumentMap(graphql.GetOperationContext(ctx).Variables)
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
		return key, false
	case assignee != nil:
		key.unitPath = assignee.Path
	}
	return key, true
}

// prefetchTasks primes the loaders with what the page's statement read
// (joined, asked by taskJoins) and enqueues the rest of the documents,
// assignments and statuses the nodes' selections sel will load.
func (r *Resolver) prefetchTasks(ctx context.Context, sel []graphql.CollectedField, ts []*tasks.Task, assignee *org.Unit, joined tasks.Joined) {
	if len(ts) == 0 {
		return
	}
	l := loadersOf(ctx)
	for _, d := range joined.Documents {
		l.document.Prime(d.ID, d)
	}
	read := false       // the assignments
	statusSelf := false // a status the field reads itself
	for _, f := range sel {
		switch f.Name {
		case "document":
			if joined.Documents == nil {
				for _, t := range ts {
					l.document.LoadThunk(ctx, t.DocumentID)
				}
			}
		case "assignments":
			if read {
				continue // selected again (an alias): read once
			}
			read = true
			if joined.Assignments != nil {
				lists := make([][]*tasks.Assignment, len(ts))
				for i, t := range ts {
					lists[i] = joined.Assignments[t.ID]
				}
				// When their units cannot be read, the loader reads the
				// assignments again, and reports.
				if l.inUnitOrder(ctx, lists...) == nil {
					for i, t := range ts {
						l.assignmentsOf.Prime(t.ID, lists[i])
					}
					continue
				}
			}
			for _, t := range ts {
				l.assignmentsOf.LoadThunk(ctx, t.ID)
			}
		case "status":
			key, ok := r.pageStatusKey(ctx, f, assignee)
			if !ok {
				statusSelf = true
				continue // resolved by the field itself
			}
			for _, t := range ts {
				key.task = t.ID
				if st, ok := joined.Statuses[t.ID]; ok && key.asOf == joined.StatusAsOf && key.unitPath == joined.StatusUnitPath {
					l.taskStatus.Prime(key, st)
				} else {
					l.taskStatus.LoadThunk(ctx, key)
				}
			}
		}
	}
	// The nodes' resolver fields loaded above for every task: the list may
	// then be marshalled inline.
	seedInline(ctx, taskConnectionImplementors, "Task", map[string]bool{"document": true, "assignments": true, "status": !statusSelf})
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
