package graph

import (
	"context"
	"errors"
	"p06/alerts"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vikstrous/dataloadgen"

	"p06/auth"
	"p06/graph/model"
	"p06/kpi"
	"p06/org"
	"p06/store"
	"p06/tasks"
)

// node fetches any object by global ID, within the caller's scope. An object
// out of scope is NOT_FOUND, exactly like one that does not exist.
func (r *Resolver) node(ctx context.Context, gid string) (model.Node, error) {
	typ, id, err := parseID(gid)
	if err != nil {
		return nil, err
	}
	l := loadersOf(ctx)
	var n model.Node
	switch typ {
	case typeOrgUnit:
		n, err = r.unit(ctx, id)
	case typeWorkingGroup:
		var gs []*org.WorkingGroup
		gs, err = r.OrgStore.GroupsByIDs(ctx, scopeOf(ctx), []int64{id})
		if err == nil && len(gs) == 1 {
			n = gs[0]
		}
	case typeDocument:
		n, err = l.document.Load(ctx, id)
	case typeTask:
		n, err = l.task.Load(ctx, id)
	case typeUser:
		n, err = l.user.Load(ctx, id)
	case typeAPIToken:
		if actor := auth.IdentityFrom(ctx); actor != nil {
			n, err = r.Auth.TokenByID(ctx, actor, id)
		}
	case typeAuditEntry:
		n, err = r.Auth.AuditEntryByID(ctx, auth.IdentityFrom(ctx), id)
	case typeProgressReport:
		var rs []*tasks.ProgressReport
		rs, err = r.TaskStore.ProgressReportsByIDs(ctx, scopeOf(ctx), []int64{id})
		if err == nil && len(rs) == 1 {
			n = rs[0]
		}
	case typeAssignment:
		var as []*tasks.Assignment
		as, err = r.TaskStore.AssignmentsByIDs(ctx, scopeOf(ctx), []int64{id})
		if err == nil && len(as) == 1 {
			n = as[0]
		}
	case typeAlert:
		var as []*alerts.Alert
		as, err = r.AlertStore.ByIDs(ctx, scopeOf(ctx), []int64{id})
		if err == nil && len(as) == 1 {
			n = as[0]
		}
	case typeExtensionRequest:
		n, err = l.ext.request.Load(ctx, id)
	case typeIndicatorGroup:
		n, err = l.indicatorGroup.Load(ctx, id)
	case typeIndicator:
		n, err = l.indicator.Load(ctx, id)
	case typeDataValue:
		var vs []*kpi.DataValue
		vs, _, err = r.KpiStore.DataValues(ctx, scopeOf(ctx), kpi.ValueFilter{IDs: []int64{id}}, store.Page{Limit: 1})
		if err == nil && len(vs) == 1 {
			n = vs[0]
		}
	}
	if err != nil && !errors.Is(err, dataloadgen.ErrNotFound) && store.ErrorCode(err) != store.NotFound {
		return nil, err
	}
	if n == nil || err != nil {
		return nil, store.Errorf(store.NotFound, "không tìm thấy đối tượng có ID %q", "no object with ID %q", gid)
	}
	return n, nil
}

// listTasks serves Query.tasks and Document.tasks (documentID ≠ 0).
func (r *Resolver) listTasks(ctx context.Context, filter *model.TaskFilter, orderBy *model.TaskOrder, documentID int64, first *int, after *string) (*model.TaskConnection, error) {
	p, err := pageOf(ctx, first, after)
	if err != nil {
		return nil, err
	}
	f := tasks.TaskFilter{DocumentID: documentID}
	if filter != nil {
		f.DocumentKinds, f.Statuses, f.Precisions = filter.DocumentKinds, filter.Statuses, filter.Precisions
		f.DocumentNumber, f.Search = deref(filter.DocumentNumber), deref(filter.Search)
		f.StatusAsOf, f.DueFrom, f.DueTo = derefDate(filter.StatusAsOf), derefDate(filter.DueFrom), derefDate(filter.DueTo)
		if filter.AssigneeRole != nil {
			f.AssigneeRole = *filter.AssigneeRole
		}
		if filter.Document != nil {
			id, err := idOf(*filter.Document, typeDocument, "filter.document")
			if err != nil {
				return nil, err
			}
			if documentID != 0 && id != documentID {
				return &model.TaskConnection{Edges: []*model.TaskEdge{}, Nodes: []*tasks.Task{}, PageInfo: &model.PageInfo{}}, nil
			}
			f.DocumentID = id
		}
	}
	var assignee *org.Unit
	if filter != nil {
		if assignee, err = r.unitFilter(ctx, "filter.assignee", deref(filter.Assignee)); err != nil {
			return nil, err
		}
		if assignee != nil {
			f.AssigneePath = assignee.Path
		}
	}
	var o tasks.Order
	if orderBy != nil {
		o = tasks.Order{Field: tasks.OrderField(orderBy.Field), Desc: orderBy.Direction == model.OrderDirectionDesc}
	}
	sel := nodeSelections(ctx)
	ts, total, joined, err := r.TaskStore.ListTasksWith(ctx, scopeOf(ctx), f, o, p, r.taskJoins(ctx, sel, assignee))
	if err != nil {
		return nil, err
	}
	r.prefetchTasks(ctx, sel, ts, assignee, joined)
	edges, info := connection(ts, total, func(c string, n *tasks.Task) *model.TaskEdge { return &model.TaskEdge{Cursor: c, Node: n} })
	return &model.TaskConnection{Edges: edges, Nodes: ts, PageInfo: info, TotalCount: total.Total}, nil
}

// asOf is the cut-off date asked for, or today in Asia/Ho_Chi_Minh.
func (r *Resolver) asOf(d *store.Date) store.Date {
	if d != nil && !d.IsZero() {
		return *d
	}
	return store.Today(r.Clock)
}

// addError reports err for one element of the list field being resolved,
// without failing the whole field.
func addError(ctx context.Context, err error, index int) {
	var path ast.Path
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		path = fc.Path()
	}
	e := graphql.DefaultErrorPresenter(ctx, err)
	e.Path = append(path, ast.PathIndex(index))
	graphql.AddError(ctx, e)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func derefDate(d *store.Date) store.Date {
	if d == nil {
		return store.Date{}
	}
	return *d
}

// orNil turns a loader's "not found" into a null value without an error, for
// optional links (an org unit's parent out of the caller's scope).
func orNil[T any](v *T, err error) (*T, error) {
	if errors.Is(err, dataloadgen.ErrNotFound) {
		return nil, nil
	}
	return v, err
}

// listAssignee is the assignee filter of the tasks list (Query.tasks or
// Document.tasks) whose node is the task being resolved, or "" when the task
// is not a node of such a list.
func listAssignee(ctx context.Context) string {
	fc := graphql.GetFieldContext(ctx)
	// up is the nearest enclosing field (list elements skipped); nil at the
	// root, whose context has no field.
	up := func(f *graphql.FieldContext) *graphql.FieldContext {
		for f = f.Parent; f != nil && f.Index != nil; f = f.Parent {
		}
		if f == nil || f.Field.Field == nil {
			return nil
		}
		return f
	}
	named := func(f *graphql.FieldContext, name string) bool { return f != nil && f.Field.Name == name }
	if fc == nil {
		return ""
	}
	p := up(fc)
	switch {
	case named(p, "nodes"):
		p = up(p)
	case named(p, "node") && named(up(p), "edges"):
		p = up(up(p))
	default:
		return ""
	}
	if !named(p, "tasks") {
		return ""
	}
	if filter, ok := p.Args["filter"].(*model.TaskFilter); ok && filter != nil {
		return deref(filter.Assignee)
	}
	return ""
}
