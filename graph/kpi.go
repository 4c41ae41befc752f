package graph

import (
	"context"
	"errors"

	"p06/auth"
	"p06/graph/model"
	"p06/kpi"
	"p06/org"
	"p06/store"
)

// kpiQuery reads the arguments every figure takes: the indicator, the unit
// (one the caller reads whole, else NOT_FOUND; "" for none), whether
// only approved values count, and the date the values are read as of.
func (r *Resolver) kpiQuery(ctx context.Context, indicator, unit string, approvedOnly *bool, asOf *store.Date) (kpi.Query, *kpi.Unit, error) {
	q := kpi.Query{ApprovedOnly: approvedOnly != nil && *approvedOnly}
	if asOf != nil {
		q.AsOf = *asOf
	}
	id, err := idOf(indicator, typeIndicator, "indicator")
	if err != nil {
		return q, nil, err
	}
	if q.Indicator, err = r.KpiStore.Indicator(ctx, id); err != nil {
		return q, nil, err
	}
	if unit == "" {
		return q, nil, nil
	}
	if err := org.CheckCode("orgUnit", unit); err != nil {
		return q, nil, err
	}
	u, err := r.KpiStore.ReadableUnit(ctx, scopeOf(ctx), unit)
	return q, u, err
}

// unitOf is the unit a figure names: the caller named it or reads below it.
func unitOf(u *kpi.Unit) *org.Unit {
	return &org.Unit{ID: u.ID, Code: u.Code, Name: u.Name, Path: u.Path, Kind: org.Kind(u.Kind)}
}

func kpiValueOf(ind *kpi.Indicator, u *kpi.Unit, f kpi.Figure) *model.KpiValue {
	return &model.KpiValue{Indicator: ind, OrgUnit: unitOf(u), Period: f.Period, Value: f.Result.Value, Numerator: f.Result.Numerator,
		Denominator: f.Result.Denominator, Target: f.Target, Attainment: f.Attainment(ind), ContributingUnits: f.Result.Contributing,
		ExpectedUnits: f.Expected}
}

// problemsOf translates a batch's problems into the client's language.
func problemsOf(ctx context.Context, ps kpi.Problems) []*model.DataValueProblem {
	out := make([]*model.DataValueProblem, len(ps))
	for i, p := range ps {
		ues, _ := userErrors(ctx, p.Err)
		msg, field := p.Err.Message, []string{"input"}
		if len(ues) == 1 {
			msg, field = ues[0].Message, ues[0].Field
		}
		out[i] = &model.DataValueProblem{Index: p.Index, Indicator: p.Indicator, OrgUnit: p.OrgUnit, Period: p.Period, Rule: p.Rule,
			Field: field, Message: msg, Code: p.Err.Code}
	}
	return out
}

// oneValue names the field of reopenDataValue's input (value) in a path
// decide gives for a list of values (input.values or input.values.0…).
func oneValue(field []string) []string {
	if len(field) < 2 || field[0] != "input" || field[1] != "values" {
		return field
	}
	rest := field[2:]
	if len(rest) > 0 && rest[0] == "0" {
		rest = rest[1:]
	}
	return append([]string{"input", "value"}, rest...)
}

// decide takes an approval step on values.
func (r *Resolver) decide(ctx context.Context, step kpi.Step, gids []string, reason string) (*model.DataValuesPayload, error) {
	out := &model.DataValuesPayload{Values: []*kpi.DataValue{}, Problems: []*model.DataValueProblem{}}
	ids := make([]int64, len(gids))
	var err error
	for i, g := range gids {
		if ids[i], err = idOf(g, typeDataValue, "values"); err != nil {
			break
		}
	}
	if err == nil {
		var vs []*kpi.DataValue
		vs, err = r.Kpi.Decide(ctx, auth.IdentityFrom(ctx), step, ids, reason)
		out.Values = append(out.Values, vs...)
		var ps kpi.Problems
		if errors.As(err, &ps) {
			out.Problems = problemsOf(ctx, ps)
			err = &store.Error{Code: store.Invalid, Field: "values", Message: ps.Error(), English: ps[0].Err.English}
		}
	}
	out.UserErrors, err = userErrors(ctx, err)
	return out, err
}

func derefInt(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}
