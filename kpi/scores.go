package kpi

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"p06/rbac"
)

// Score is a unit's composite score in a group.
type Score struct {
	Unit *Unit
	// Score is Σ weight × min(attainment, 100) ÷ Σ weight over the group's
	// indicators that have a figure and a target for the unit; nil when
	// none has.
	Score      *float64
	Indicators int // how many indicators the score is over
}

// GroupScore scores each unit of kind level that sc reads, 0–100, from its
// indicators' attainment of their targets for p and their weights.
func (s *Store) GroupScore(ctx context.Context, sc rbac.Scope, groupID int64, p Period, level string, approvedOnly bool) ([]Score, error) {
	inds, err := s.Indicators(ctx, IndicatorFilter{GroupID: groupID})
	if err != nil {
		return nil, err
	}
	units, err := s.unitsAt(ctx, sc, level)
	if err != nil {
		return nil, err
	}
	out := make([]Score, len(units))
	sum := make([]float64, len(units))
	weights := make([]float64, len(units))
	for i, u := range units {
		out[i].Unit = u
	}
	for _, ind := range inds {
		if !ind.PeriodType.finer(p.Type) || ind.Weight == 0 {
			continue
		}
		rank, err := s.Ranking(ctx, sc, Query{Indicator: ind, ApprovedOnly: approvedOnly}, level, p)
		if err != nil {
			return nil, err
		}
		at := map[int64]*float64{}
		for _, r := range rank {
			at[r.Unit.ID] = r.Figure.Attainment(ind)
		}
		for i, u := range units {
			if a := at[u.ID]; a != nil {
				sum[i] += ind.Weight * min(*a, 100)
				weights[i] += ind.Weight
				out[i].Indicators++
			}
		}
	}
	for i := range out {
		if weights[i] > 0 {
			v := sum[i] / weights[i]
			out[i].Score = &v
		}
	}
	return out, nil
}

// Completeness is how many of the values expected of a unit were submitted,
// and on time.
type Completeness struct {
	Unit      *Unit
	Expected  int
	Submitted int // SUBMITTED, APPROVED or ACCEPTED
	OnTime    int // first submitted by the due day
}

// Completeness counts, for each unit of kind level that sc reads, the
// values due for p (each indicator of the group, or of every group, whose
// periods make up p, for each reporting unit below it), those submitted and
// those submitted on time.
func (s *Store) Completeness(ctx context.Context, sc rbac.Scope, p Period, level string, groupID int64) ([]Completeness, error) {
	inds, err := s.Indicators(ctx, IndicatorFilter{GroupID: groupID})
	if err != nil {
		return nil, err
	}
	units, err := s.unitsAt(ctx, sc, level)
	if err != nil {
		return nil, err
	}
	out := make([]Completeness, len(units))
	paths := make([]string, len(units))
	idx := map[string]int{}
	for i, u := range units {
		out[i].Unit, paths[i], idx[u.Path] = u, u.Path, i
	}
	if len(units) == 0 {
		return out, nil
	}
	for _, ind := range inds {
		if !ind.PeriodType.finer(p.Type) {
			continue
		}
		exp, err := s.expectedUnder(ctx, ind, paths)
		if err != nil {
			return nil, err
		}
		parts := p.Parts(ind.PeriodType)
		for path, n := range exp {
			out[idx[path]].Expected += n * len(parts)
		}
		// One statement for every part of the period and every root:
		// each value on time by its own part's due day.
		due := make([]any, 0, 2*len(parts))
		names := make([]string, len(parts))
		for i, b := range parts {
			names[i] = b.String()
			due = append(due, names[i], ind.Due(b).String())
		}
		root, rootArgs := rootOf(paths)
		var rs []struct {
			Root      string `bun:"root"`
			Submitted int    `bun:"submitted"`
			OnTime    int    `bun:"on_time"`
		}
		err = s.db.NewSelect().TableExpr("data_values AS dv").Join("JOIN org_units AS u ON u.id = dv.org_unit_id").
			ColumnExpr(root+" AS root, COUNT(*) AS submitted", rootArgs...).
			ColumnExpr("SUM(CASE WHEN dv.first_submitted_on <= (CASE dv.period"+strings.Repeat(" WHEN ? THEN ?", len(parts))+" END) THEN 1 ELSE 0 END) AS on_time", due...).
			Where("dv.indicator_id = ? AND dv.period IN (?)", ind.ID, bun.In(names)).
			Where("dv.state IN (?)", bun.In([]State{Submitted, Approved, Accepted})).
			Where("u.kind IN (?)", bun.In([]string(ind.ReportingKinds))).
			Where("("+root+") IS NOT NULL", rootArgs...).
			GroupExpr("root").Scan(ctx, &rs)
		if err != nil {
			return nil, fmt.Errorf("kpi: completeness: %w", err)
		}
		for _, r := range rs {
			out[idx[r.Root]].Submitted += r.Submitted
			out[idx[r.Root]].OnTime += r.OnTime
		}
	}
	return out, nil
}

// Share is part of whole in percent; nil when whole is 0.
func Share(part, whole int) *float64 {
	if whole == 0 {
		return nil
	}
	v := 100 * float64(part) / float64(whole)
	return &v
}
