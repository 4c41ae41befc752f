package graph

import (
	"context"
	"errors"

	"p06/store"
)

// checkUnitFilter makes an org-unit code given in a list filter (field is
// its argument path, e.g. "filter.assignee") NOT_FOUND when the caller
// cannot see that unit, instead of an empty list. A unit that does not exist
// and one out of the caller's scope give the same error, as
// programmeSummary(orgUnit:) does. The empty code filters nothing.
func (r *Resolver) checkUnitFilter(ctx context.Context, field, code string) error {
	if code == "" {
		return nil
	}
	_, err := r.OrgStore.UnitByCode(ctx, scopeOf(ctx), code)
	var se *store.Error
	if errors.As(err, &se) {
		return atPath(field, se)
	}
	return err
}
