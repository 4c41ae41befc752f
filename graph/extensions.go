package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vikstrous/dataloadgen"

	"p06/rbac"
	"p06/store"
	"p06/tasks"
)

// typeExtensionRequest is the type name of an extension request's global ID.
const typeExtensionRequest = "ExtensionRequest"

// extLoaders batch the lookups of deadline extensions in one request: a
// page of assignments with their requests and due-date history costs one
// query for each, whatever its size.
type extLoaders struct {
	assignment *dataloadgen.Loader[int64, *tasks.Assignment]
	request    *dataloadgen.Loader[int64, *tasks.ExtensionRequest]
	requestsOf *dataloadgen.Loader[historyKey, []*tasks.ExtensionRequest]
	dueDatesOf *dataloadgen.Loader[historyKey, []*tasks.DueDateChange]
}

func newExtLoaders(r *Resolver, sc rbac.Scope, l *loaders) *extLoaders {
	wait := dataloadgen.WithWait(loaderWait)
	// users enqueues the users a batch names, so that the page's setBy,
	// requestedBy and decidedBy are one lookup, however their resolvers
	// are scheduled.
	users := func(ctx context.Context, ids ...int64) {
		for _, id := range ids {
			if id != 0 {
				l.user.LoadThunk(ctx, id)
			}
		}
	}
	x := &extLoaders{}
	*x = extLoaders{
		assignment: dataloadgen.NewMappedLoader(func(ctx context.Context, ids []int64) (map[int64]*tasks.Assignment, error) {
			as, err := r.TaskStore.AssignmentsByIDs(ctx, sc, ids)
			return byID(as, func(a *tasks.Assignment) int64 { return a.ID }), err
		}, wait),
		request: dataloadgen.NewMappedLoader(func(ctx context.Context, ids []int64) (map[int64]*tasks.ExtensionRequest, error) {
			rs, err := r.TaskStore.ExtensionRequestsByIDs(ctx, sc, ids)
			return byID(rs, func(x *tasks.ExtensionRequest) int64 { return x.ID }), err
		}, wait),
		requestsOf: lastOfLoader(func(ctx context.Context, ids []int64, last int) ([]*tasks.ExtensionRequest, error) {
			rs, err := r.TaskStore.ExtensionRequestsOf(ctx, sc, ids, last)
			for _, q := range rs {
				users(ctx, q.RequestedBy, q.DecidedBy)
			}
			return rs, err
		}, func(q *tasks.ExtensionRequest) int64 { return q.AssignmentID }),
		dueDatesOf: lastOfLoader(func(ctx context.Context, ids []int64, last int) ([]*tasks.DueDateChange, error) {
			cs, err := r.TaskStore.DueDateHistory(ctx, sc, ids, last)
			for _, c := range cs {
				users(ctx, c.ChangedBy)
				if c.ExtensionRequestID != 0 {
					x.request.LoadThunk(ctx, c.ExtensionRequestID)
				}
			}
			return cs, err
		}, func(c *tasks.DueDateChange) int64 { return c.AssignmentID }),
	}
	return x
}

// taskStatus serves Task.status and Task.statusAgainstOriginal: judged on
// the unit named, or by default on the enclosing list's assignee, or on the
// caller's scope.
func (r *Resolver) taskStatus(ctx context.Context, obj *tasks.Task, asOf *store.Date, orgUnit *string, judged tasks.Judged) (tasks.Status, error) {
	code := deref(orgUnit)
	if orgUnit == nil {
		code = listAssignee(ctx)
	}
	l := loadersOf(ctx)
	key := statusKey{asOf: r.asOf(asOf), task: obj.ID, judged: judged}
	if code != "" {
		u, err := l.unitByCode.Load(ctx, code)
		if err != nil {
			return "", err
		}
		key.unitPath = u.Path
	}
	return l.taskStatus.Load(ctx, key)
}

// prefetchExtensions enqueues what the extension fields f of a page of
// assignments will load (see prefetchAssignments).
func (r *Resolver) prefetchExtensions(ctx context.Context, f graphql.CollectedField, as []*tasks.Assignment) {
	l := loadersOf(ctx)
	args := f.ArgumentMap(graphql.GetOperationContext(ctx).Variables)
	switch f.Name {
	case "originalDueDate":
		for _, a := range as {
			l.task.LoadThunk(ctx, a.TaskID)
		}
	case "statusAgainstOriginal":
		var asOf *store.Date
		if s, ok := args["asOf"].(string); ok {
			if d, err := store.ParseDate(s); err == nil {
				asOf = &d
			}
		}
		day := r.asOf(asOf)
		for _, a := range as {
			l.assignmentStatus.LoadThunk(ctx, assignmentStatusKey{asOf: day, assignment: a.ID, judged: tasks.DueOriginal})
		}
	case "extensionRequests", "dueDateHistory":
		var last *int
		if v, ok := args["last"].(int64); ok {
			last = new(int(v))
		}
		n := asked("Assignment."+f.Name, last) // as the resolver reads it
		for _, a := range as {
			if f.Name == "extensionRequests" {
				l.ext.requestsOf.LoadThunk(ctx, historyKey{a.ID, n})
			} else {
				l.ext.dueDatesOf.LoadThunk(ctx, historyKey{a.ID, n})
			}
		}
	}
}
