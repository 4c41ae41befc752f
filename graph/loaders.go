package graph

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/vikstrous/dataloadgen"

	"p06/auth"
	"p06/kpi"
	"p06/org"
	"p06/rbac"
	"p06/store"
	"p06/tasks"
)

// loaders batch the nested lookups of one request, so that a page of tasks
// with their documents, assignments and units costs a fixed number of
// queries whatever its size. They are made per request, with the caller's
// scope, and wait 1 ms to gather a batch.
type loaders struct {
	unit          *dataloadgen.Loader[int64, *org.Unit]
	unitByCode    *dataloadgen.Loader[string, *org.Unit]
	children      *dataloadgen.Loader[int64, []*org.Unit]
	groupsOfUnit  *dataloadgen.Loader[int64, []*org.WorkingGroup]
	members       *dataloadgen.Loader[int64, []*org.Member]
	document      *dataloadgen.Loader[int64, *tasks.Document]
	taskCount     *dataloadgen.Loader[int64, int]
	task          *dataloadgen.Loader[int64, *tasks.Task]
	assignmentsOf *dataloadgen.Loader[int64, []*tasks.Assignment]
	// inUnitOrder puts each list of assignments in the order
	// Task.assignments gives them (orderAssignments), by their units: those
	// the process has read before, and the rest read (with their
	// ancestors) and primed into unit.
	inUnitOrder func(ctx context.Context, lists ...[]*tasks.Assignment) error
	historyOf   *dataloadgen.Loader[historyKey, []*tasks.Facts]
	// factsAsOf gives nil for an assignment made after the date.
	factsAsOf  *dataloadgen.Loader[assignmentStatusKey, *tasks.Facts]
	reportsOf  *dataloadgen.Loader[historyKey, []*tasks.ProgressReport]
	taskStatus *dataloadgen.Loader[statusKey, tasks.Status]
	// assignmentStatus gives "" for an assignment made after the date.
	assignmentStatus *dataloadgen.Loader[assignmentStatusKey, tasks.Status]
	user             *dataloadgen.Loader[int64, *auth.User]
	ext              *extLoaders // deadline extensions (graph/extensions.go)
	indicator        *dataloadgen.Loader[int64, *kpi.Indicator]
	indicatorGroup   *dataloadgen.Loader[int64, *kpi.Group]
}

// statusKey asks for a task's status as of a date, judged on the caller's
// scope or, with unitPath, on that unit's subtree.
type statusKey struct {
	asOf     store.Date
	unitPath string
	task     int64
	judged   tasks.Judged // against the due date in force (zero) or the original
}

// historyKey asks for the last (newest) n items of one of an assignment's
// lists: versions of its facts, progress reports, extension requests, due
// dates (see lastOfLoader).
type historyKey struct {
	assignment int64
	last       int
}

type assignmentStatusKey struct {
	asOf       store.Date
	assignment int64
	judged     tasks.Judged
}

const loaderWait = time.Millisecond

// unit returns the unit id if the caller may read it: from the units the
// process has read before when it can (org.Store.Cached: no query, no wait
// for a batch), through the request's loader otherwise.
func (r *Resolver) unit(ctx context.Context, id int64) (*org.Unit, error) {
	if u := r.OrgStore.Cached(scopeOf(ctx), id); u != nil {
		return u, nil
	}
	return loadersOf(ctx).unit.Load(ctx, id)
}

// prefetchUnit enqueues the unit id into the request's loader unless the
// process has read it before (see unit).
func (r *Resolver) prefetchUnit(ctx context.Context, l *loaders, id int64) {
	if r.OrgStore.Cached(scopeOf(ctx), id) == nil {
		l.unit.LoadThunk(ctx, id)
	}
}

func newLoaders(r *Resolver, sc rbac.Scope) *loaders {
	wait := dataloadgen.WithWait(loaderWait)
	l := &loaders{}
	// Units come with their ancestors, and the units of loaded assignments
	// are loaded with them: primed into the cache, later lookups of a parent
	// or of an assignment's unit cost no query, whenever they arrive.
	primeUnits := func(ctx context.Context, ids []int64) (map[int64]*org.Unit, error) {
		us, err := r.OrgStore.UnitsWithAncestors(ctx, sc, ids)
		if err != nil {
			return nil, err
		}
		for _, u := range us {
			l.unit.Prime(u.ID, u)
		}
		return byID(us, func(u *org.Unit) int64 { return u.ID }), nil
	}
	l.unit = dataloadgen.NewMappedLoader(primeUnits, wait)
	l.unitByCode = dataloadgen.NewLoader(func(ctx context.Context, codes []string) ([]*org.Unit, []error) {
		us, err := r.OrgStore.UnitsByCodes(ctx, sc, codes)
		if err != nil {
			return nil, fill(len(codes), err)
		}
		m := make(map[string]*org.Unit, len(us))
		for _, u := range us {
			m[u.Code] = u
			l.unit.Prime(u.ID, u)
		}
		out := make([]*org.Unit, len(codes))
		errs := make([]error, len(codes))
		for i, c := range codes {
			if out[i] = m[c]; out[i] == nil {
				errs[i] = org.ErrNoUnit(c)
			}
		}
		return out, errs
	}, wait)
	l.children = dataloadgen.NewLoader(func(ctx context.Context, ids []int64) ([][]*org.Unit, []error) {
		us, err := r.OrgStore.ChildrenOf(ctx, sc, ids)
		for _, u := range us {
			l.unit.Prime(u.ID, u)
		}
		return groupBy(ids, us, func(u *org.Unit) int64 { return u.ParentID }, err)
	}, wait)
	l.groupsOfUnit = dataloadgen.NewLoader(func(ctx context.Context, ids []int64) ([][]*org.WorkingGroup, []error) {
		gs, err := r.OrgStore.GroupsOfUnits(ctx, sc, ids)
		return groupBy(ids, gs, func(g *org.WorkingGroup) int64 { return g.OrgUnitID }, err)
	}, wait)
	l.members = dataloadgen.NewLoader(func(ctx context.Context, ids []int64) ([][]*org.Member, []error) {
		ms, err := r.OrgStore.MembersOf(ctx, ids)
		return groupBy(ids, ms, func(m *org.Member) int64 { return m.WorkingGroupID }, err)
	}, wait)
	l.document = dataloadgen.NewMappedLoader(func(ctx context.Context, ids []int64) (map[int64]*tasks.Document, error) {
		ds, err := r.TaskStore.DocumentsByIDs(ctx, sc, ids)
		return byID(ds, func(d *tasks.Document) int64 { return d.ID }), err
	}, wait)
	l.taskCount = dataloadgen.NewLoader(func(ctx context.Context, ids []int64) ([]int, []error) {
		m, err := r.TaskStore.TaskCountsOfDocuments(ctx, sc, ids)
		out := make([]int, len(ids))
		for i, id := range ids {
			out[i] = m[id]
		}
		return out, fill(len(ids), err)
	}, wait)
	l.task = dataloadgen.NewMappedLoader(func(ctx context.Context, ids []int64) (map[int64]*tasks.Task, error) {
		ts, err := r.TaskStore.TasksByIDs(ctx, sc, ids)
		return byID(ts, func(t *tasks.Task) int64 { return t.ID }), err
	}, wait)
	l.inUnitOrder = func(ctx context.Context, lists ...[]*tasks.Assignment) error {
		units := make(map[int64]*org.Unit)
		var unread []int64
		for _, as := range lists {
			for _, a := range as {
				if _, seen := units[a.OrgUnitID]; !seen {
					if units[a.OrgUnitID] = r.OrgStore.Cached(sc, a.OrgUnitID); units[a.OrgUnitID] == nil {
						unread = append(unread, a.OrgUnitID)
					}
				}
			}
		}
		if len(unread) > 0 {
			read, err := primeUnits(ctx, unread)
			if err != nil {
				return err
			}
			for _, id := range unread {
				units[id] = read[id]
			}
		}
		for _, as := range lists {
			orderAssignments(as, units)
		}
		return nil
	}
	l.assignmentsOf = dataloadgen.NewLoader(func(ctx context.Context, ids []int64) ([][]*tasks.Assignment, []error) {
		as, err := r.TaskStore.AssignmentsOfTasks(ctx, sc, ids)
		if err == nil {
			err = l.inUnitOrder(ctx, as) // each task's keep that order in groupBy
		}
		return groupBy(ids, as, func(a *tasks.Assignment) int64 { return a.TaskID }, err)
	}, wait)
	l.factsAsOf = dataloadgen.NewLoader(func(ctx context.Context, keys []assignmentStatusKey) ([]*tasks.Facts, []error) {
		return batched(keys, func(k assignmentStatusKey) (store.Date, int64) { return k.asOf, k.assignment },
			func(d store.Date, ids []int64) (map[int64]*tasks.Facts, error) {
				return r.TaskStore.FactsAsOf(ctx, sc, d, ids)
			})
	}, wait)
	l.historyOf = lastOfLoader(func(ctx context.Context, ids []int64, last int) ([]*tasks.Facts, error) {
		return r.TaskStore.History(ctx, sc, ids, last)
	}, func(f *tasks.Facts) int64 { return f.AssignmentID })
	l.reportsOf = lastOfLoader(func(ctx context.Context, ids []int64, first int) ([]*tasks.ProgressReport, error) {
		return r.TaskStore.ProgressReports(ctx, sc, ids, first)
	}, func(rep *tasks.ProgressReport) int64 { return rep.AssignmentID })
	l.taskStatus = dataloadgen.NewLoader(func(ctx context.Context, keys []statusKey) ([]tasks.Status, []error) {
		type judge struct {
			asOf     store.Date
			unitPath string
			judged   tasks.Judged
		}
		out, errs := batched(keys, func(k statusKey) (judge, int64) { return judge{k.asOf, k.unitPath, k.judged}, k.task },
			func(j judge, ids []int64) (map[int64]tasks.Status, error) {
				return r.TaskStore.TaskStatusesJudged(ctx, sc, j.asOf, j.unitPath, j.judged, ids)
			})
		if errs != nil {
			return nil, errs
		}
		errs = make([]error, len(keys))
		for i, s := range out {
			if s == "" { // not in scope
				errs[i] = store.Errorf(store.NotFound, "không tìm thấy nhiệm vụ", "task not found")
			}
		}
		return out, errs
	}, wait)
	l.assignmentStatus = dataloadgen.NewLoader(func(ctx context.Context, keys []assignmentStatusKey) ([]tasks.Status, []error) {
		type judge struct {
			asOf   store.Date
			judged tasks.Judged
		}
		return batched(keys, func(k assignmentStatusKey) (judge, int64) { return judge{k.asOf, k.judged}, k.assignment },
			func(j judge, ids []int64) (map[int64]tasks.Status, error) {
				return r.TaskStore.AssignmentStatusesJudged(ctx, sc, j.asOf, j.judged, ids)
			})
	}, wait)
	l.user = dataloadgen.NewMappedLoader(func(ctx context.Context, ids []int64) (map[int64]*auth.User, error) {
		us, err := r.Auth.UsersByIDs(ctx, sc, ids)
		return byID(us, func(u *auth.User) int64 { return u.ID }), err
	}, wait)
	l.ext = newExtLoaders(r, sc, l)
	l.indicator = dataloadgen.NewMappedLoader(func(ctx context.Context, ids []int64) (map[int64]*kpi.Indicator, error) {
		is, err := r.KpiStore.Indicators(ctx, kpi.IndicatorFilter{IDs: ids})
		return byID(is, func(i *kpi.Indicator) int64 { return i.ID }), err
	}, wait)
	l.indicatorGroup = dataloadgen.NewMappedLoader(func(ctx context.Context, ids []int64) (map[int64]*kpi.Group, error) {
		gs, err := r.KpiStore.Groups(ctx, ids...)
		return byID(gs, func(g *kpi.Group) int64 { return g.ID }), err
	}, wait)
	return l
}

// lastOfLoader batches "the last n items of each assignment" lookups: one
// query per distinct n.
func lastOfLoader[T any](fetch func(ctx context.Context, ids []int64, last int) ([]T, error), owner func(T) int64) *dataloadgen.Loader[historyKey, []T] {
	return dataloadgen.NewLoader(func(ctx context.Context, keys []historyKey) ([][]T, []error) {
		byLast := map[int][]int64{}
		for _, k := range keys {
			byLast[k.last] = append(byLast[k.last], k.assignment)
		}
		got := map[historyKey][]T{}
		for last, ids := range byLast {
			items, err := fetch(ctx, ids, last)
			if err != nil {
				return nil, fill(len(keys), err)
			}
			for _, it := range items {
				k := historyKey{owner(it), last}
				got[k] = append(got[k], it)
			}
		}
		out := make([][]T, len(keys))
		for i, k := range keys {
			if out[i] = got[k]; out[i] == nil {
				out[i] = []T{}
			}
		}
		return out, nil
	}, dataloadgen.WithWait(loaderWait))
}

// batched serves a loader whose keys carry a parameter besides the id (a
// date, a unit, a judgement): it asks load once per distinct parameter with
// that group's ids, and gives each key its value (the zero value when load
// returned none for it).
func batched[K any, P comparable, V any](keys []K, split func(K) (P, int64), load func(P, []int64) (map[int64]V, error)) ([]V, []error) {
	groups := map[P][]int64{}
	for _, k := range keys {
		p, id := split(k)
		groups[p] = append(groups[p], id)
	}
	got := make(map[P]map[int64]V, len(groups))
	for p, ids := range groups {
		m, err := load(p, ids)
		if err != nil {
			return nil, fill(len(keys), err)
		}
		got[p] = m
	}
	out := make([]V, len(keys))
	for i, k := range keys {
		p, id := split(k)
		out[i] = got[p][id]
	}
	return out, nil
}

func byID[T any](items []T, id func(T) int64) map[int64]T {
	m := make(map[int64]T, len(items))
	for _, it := range items {
		m[id(it)] = it
	}
	return m
}

// orderAssignments puts assignments in the order Task.assignments gives
// them: leads first, then by unit (nearer the root first, then in the
// units' own order, then by code), units being those of as. When as holds
// several tasks' assignments, each task's are in that order among
// themselves.
func orderAssignments(as []*tasks.Assignment, units map[int64]*org.Unit) {
	slices.SortStableFunc(as, func(a, b *tasks.Assignment) int {
		if c := cmp.Compare(b.Role, a.Role); c != 0 { // LEAD before COORDINATE
			return c
		}
		// A unit not read (never: the units of assignments in scope are)
		// goes last.
		ua, ub := units[a.OrgUnitID], units[b.OrgUnitID]
		switch {
		case ua == nil && ub == nil:
			return cmp.Compare(a.ID, b.ID)
		case ua == nil:
			return 1
		case ub == nil:
			return -1
		}
		return cmp.Or(cmp.Compare(ua.Depth, ub.Depth), cmp.Compare(ua.SortOrder, ub.SortOrder), strings.Compare(ua.Code, ub.Code))
	})
}

// groupBy splits items by key into one slice per id, in the order of ids;
// an id with no items gets an empty slice.
func groupBy[T any](ids []int64, items []T, key func(T) int64, err error) ([][]T, []error) {
	if err != nil {
		return nil, fill(len(ids), err)
	}
	m := map[int64][]T{}
	for _, it := range items {
		m[key(it)] = append(m[key(it)], it)
	}
	out := make([][]T, len(ids))
	for i, id := range ids {
		out[i] = m[id]
		if out[i] == nil {
			out[i] = []T{}
		}
	}
	return out, nil
}

// fill returns n copies of err, or nil when err is nil.
func fill(n int, err error) []error {
	if err == nil {
		return nil
	}
	errs := make([]error, n)
	for i := range errs {
		errs[i] = err
	}
	return errs
}

type ctxKey int

const (
	requestKey ctxKey = iota
	langKey
)

// request is the per-request state: the caller's scope and the loaders
// bound to it. It is a pointer so that signing in can switch both for the
// rest of the request (the login payload is read as the new caller).
type request struct {
	scope   rbac.Scope
	loaders *loaders
	exec    *execMemo // the executor's (graph/fieldset.go)
}

// WithScope returns ctx carrying the caller's scope and fresh loaders bound
// to it.
func (r *Resolver) WithScope(ctx context.Context, sc rbac.Scope) context.Context {
	return context.WithValue(ctx, requestKey, &request{scope: sc, loaders: newLoaders(r, sc), exec: newExecMemo()})
}

// switchScope makes the rest of the request run with scope sc.
func (r *Resolver) switchScope(ctx context.Context, sc rbac.Scope) {
	if req, _ := ctx.Value(requestKey).(*request); req != nil {
		req.scope, req.loaders = sc, newLoaders(r, sc)
	}
}

// scopeOf returns the caller's scope; without one, the empty scope, which
// reads nothing.
func scopeOf(ctx context.Context) rbac.Scope {
	if req, _ := ctx.Value(requestKey).(*request); req != nil {
		return req.scope
	}
	return rbac.Scope{}
}

// execMemoOf returns what the executor keeps for the request, nil outside
// a request.
func execMemoOf(ctx context.Context) *execMemo {
	if req, _ := ctx.Value(requestKey).(*request); req != nil {
		return req.exec
	}
	return nil
}

func loadersOf(ctx context.Context) *loaders {
	req, _ := ctx.Value(requestKey).(*request)
	if req == nil {
		panic("graph: request without loaders (use Resolver.WithScope)")
	}
	return req.loaders
}
