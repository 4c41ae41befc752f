package graph

import (
	"context"
	"errors"

	"github.com/vikstrous/dataloadgen"

	"p06/graph/model"
	"p06/org"
	"p06/store"
	"p06/tasks"
)

type tasksHit = tasks.Hit

type nodeKey struct {
	kind store.SearchKind
	id   int64
}

// searchNodes loads the objects of a page of hits, one batch per kind
// (tasks, documents and units through the request's loaders, in the same
// batch window), scoped like everything else. A hit whose object is gone
// has no entry.
func (r *Resolver) searchNodes(ctx context.Context, hits []*tasks.Hit) (map[nodeKey]model.Node, error) {
	ids := map[store.SearchKind][]int64{}
	for _, h := range hits {
		ids[h.Kind] = append(ids[h.Kind], h.ObjectID)
	}
	l := loadersOf(ctx)
	taskT := l.task.LoadAllThunk(ctx, ids[store.SearchTask])
	docT := l.document.LoadAllThunk(ctx, ids[store.SearchDocument])
	unitT := l.unit.LoadAllThunk(ctx, ids[store.SearchOrgUnit])
	out := make(map[nodeKey]model.Node, len(hits))
	ts, err := taskT()
	if err := loadError(err); err != nil {
		return nil, err
	}
	for _, t := range ts {
		if t != nil {
			out[nodeKey{store.SearchTask, t.ID}] = t
		}
	}
	ds, err := docT()
	if err := loadError(err); err != nil {
		return nil, err
	}
	for _, d := range ds {
		if d != nil {
			out[nodeKey{store.SearchDocument, d.ID}] = d
		}
	}
	us, err := unitT()
	if err := loadError(err); err != nil {
		return nil, err
	}
	for _, u := range us {
		if u != (*org.Unit)(nil) {
			out[nodeKey{store.SearchOrgUnit, u.ID}] = u
		}
	}
	if len(ids[store.SearchReport]) > 0 {
		rs, err := r.TaskStore.ProgressReportsByIDs(ctx, scopeOf(ctx), ids[store.SearchReport])
		if err != nil {
			return nil, err
		}
		for _, pr := range rs {
			out[nodeKey{store.SearchReport, pr.ID}] = pr
		}
	}
	return out, nil
}

// loadError is the first error of a LoadAll that is not "not found".
func loadError(err error) error {
	var es dataloadgen.ErrorSlice
	if !errors.As(err, &es) {
		return err
	}
	for _, e := range es {
		if e != nil && !errors.Is(e, dataloadgen.ErrNotFound) {
			return e
		}
	}
	return nil
}
