package graph

import (
	"context"
	"errors"

	"p06/org"
	"p06/store"
)

// unitFilter looks up an org-unit code given in a list filter (field is its
// argument path, e.g. "filter.assignee"): NOT_FOUND when the caller cannot
// see that unit, instead of an empty list. A unit that does not exist and
// one out of the caller's scope give the same error, as
// programmeSummary(orgUnit:) does. The empty code filters nothing (nil).
func (r *Resolver) unitFilter(ctx context.Context, field, code string) (*org.Unit, error) {
	if code == "" {
		return nil, nil
	}
	if err := org.CheckCode(field, code); err != nil {
		return nil, err
	}
	u, err := loadersOf(ctx).unitByCode.Load(ctx, code)
	var se *store.Error
	if errors.As(err, &se) {
		return nil, atPath(field, se)
	}
	return u, err
}

// checkUnitFilter is unitFilter for filters that pass the code on.
func (r *Resolver) checkUnitFilter(ctx context.Context, field, code string) error {
	_, err := r.unitFilter(ctx, field, code)
	return err
}
