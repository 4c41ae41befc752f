package tasks

import (
	"context"

	"p06/rbac"
	"p06/store"
)

// DerivedSummary is what Summary counts of tasks, statuses and assignments
// from the facts (the status rule as of the day), whatever the scope: the
// answer the kept statuses must give.
func (s *Store) DerivedSummary(ctx context.Context, sc rbac.Scope, asOf store.Date, kinds []DocKind) (*Summary, error) {
	out := &Summary{ByKind: map[DocKind]int{}, ByStatus: map[Status]int{}}
	return out, s.derivedCounts(ctx, sc, asOf, kinds, SumAll, out)
}
