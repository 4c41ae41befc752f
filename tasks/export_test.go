package tasks

import (
	"context"

	"p06/rbac"
	"p06/store"
)

// DerivedSummary is what Summary counts of documents, tasks, statuses and
// assignments from the facts (the status rule as of the day), whatever the scope: the
// answer the kept statuses must give.
func (s *Store) DerivedSummary(ctx context.Context, sc rbac.Scope, asOf store.Date, kinds []DocKind) (*Summary, error) {
	out := &Summary{ByKind: map[DocKind]int{}, ByStatus: map[Status]int{}}
	if err := s.countDocuments(ctx, sc, asOf, kinds, out, false); err != nil {
		return nil, err
	}
	return out, s.derivedCounts(ctx, sc, asOf, kinds, SumAll, out)
}

// DerivedTaskStatuses is what TaskStatuses gives from the facts, by the
// rule: the answer the kept spans must give.
func (s *Store) DerivedTaskStatuses(ctx context.Context, sc rbac.Scope, asOf store.Date, unitPath string, ids []int64) (map[int64]Status, error) {
	out := make(map[int64]Status, len(ids))
	return out, s.derivedTaskStatuses(ctx, sc, asOf, unitPath, DueInForce, ids, out)
}

// DerivedReportRows is what ReportRows gives from the facts, by the rule:
// the answer the kept assignment statuses must give.
func (s *Store) DerivedReportRows(ctx context.Context, sc rbac.Scope, asOf store.Date, path string, limit int) ([]ReportRow, int, error) {
	return s.reportRows(ctx, sc, asOf, path, limit, false)
}
