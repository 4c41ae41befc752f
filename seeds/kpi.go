package seeds

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/uptrace/bun"

	"p06/kpi"
	"p06/store"
)

// loadIndicators adds the indicator groups and indicators that are missing
// (by code): the Decision 766 indicators (verified), the nine-group
// arrangement of them (a working proposal, marked PROPOSAL with a note) and
// the Project 06 headline group of the review. They are data: an
// administrator edits or replaces them through saveIndicatorGroup and
// saveIndicator.
func loadIndicators(ctx context.Context, tx bun.Tx, clock store.Clock) error {
	groups, err := readTable("reference/indicator-groups.tsv")
	if err != nil {
		return err
	}
	have, err := storedKeys(ctx, tx, "indicator_groups", "code")
	if err != nil {
		return err
	}
	for i, r := range groups.rows {
		if have[groups.get(r, "code")] {
			continue
		}
		g := &kpi.Group{Code: groups.get(r, "code"), Name: groups.get(r, "name"), NameEn: groups.get(r, "name_en"), SortOrder: i + 1,
			Source: store.Source(groups.get(r, "source")), SourceNote: groups.get(r, "source_note"), Version: 1, UpdatedAt: clock()}
		if _, err := tx.NewInsert().Model(g).Exec(ctx); err != nil {
			return fmt.Errorf("indicator group %s: %w", g.Code, err)
		}
	}
	var gs []*kpi.Group
	if err := tx.NewSelect().Model(&gs).Scan(ctx); err != nil {
		return err
	}
	groupID := map[string]int64{}
	for _, g := range gs {
		groupID[g.Code] = g.ID
	}
	inds, err := readTable("reference/indicators.tsv")
	if err != nil {
		return err
	}
	if have, err = storedKeys(ctx, tx, "indicators", "code"); err != nil {
		return err
	}
	num := func(s string) *float64 {
		if s == "" {
			return nil
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			panic(fmt.Sprintf("seeds: indicators.tsv: %q", s))
		}
		return &f
	}
	for i, r := range inds.rows {
		if have[inds.get(r, "code")] {
			continue
		}
		due, _ := strconv.Atoi(inds.get(r, "due_days"))
		ind := &kpi.Indicator{GroupID: groupID[inds.get(r, "group")], Code: inds.get(r, "code"), Name: inds.get(r, "name"), NameEn: inds.get(r, "name_en"),
			Unit: inds.get(r, "unit"), Kind: kpi.Kind(inds.get(r, "kind")), PeriodType: kpi.PeriodType(inds.get(r, "period_type")),
			Direction: kpi.Direction(inds.get(r, "direction")), Aggregation: kpi.Aggregation(inds.get(r, "aggregation")),
			ReportingKinds: strings.Split(inds.get(r, "reporting_kinds"), ","), DueDays: due, Min: num(inds.get(r, "min")), Max: num(inds.get(r, "max")),
			JumpThreshold: num(inds.get(r, "jump_threshold")), Weight: *num(inds.get(r, "weight")), SortOrder: i + 1,
			Source: store.Source(inds.get(r, "source")), SourceNote: inds.get(r, "source_note"), Version: 1, UpdatedAt: clock()}
		if err := ind.Validate(); err != nil {
			return fmt.Errorf("indicator %s: %w", ind.Code, err)
		}
		if _, err := tx.NewInsert().Model(ind).Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("indicator %s: %w", ind.Code, err)
		}
		if err := store.IndexSearch(ctx, tx, store.SearchIndicator, ind.ID, ind.Code+" "+ind.Name+" "+ind.NameEn, ""); err != nil {
			return err
		}
	}
	return nil
}

// seedChunk is how many rows one INSERT of the demo values carries.
const seedChunk = 500

// DemoMonths are the months of the demo values: 2022-01 … 2023-12.
var DemoMonths = func() []string {
	var out []string
	for y := 2022; y <= 2023; y++ {
		for m := 1; m <= 12; m++ {
			out = append(out, fmt.Sprintf("%04d-%02d", y, m))
		}
	}
	return out
}()

// Spread splits total over weights in proportion, in whole numbers that
// add up to total exactly (largest remainder; ties to the earlier weight).
func Spread(total int64, weights []int64) []int64 {
	var sum int64
	for _, w := range weights {
		sum += w
	}
	out := make([]int64, len(weights))
	rem := make([]int64, len(weights))
	var given int64
	for i, w := range weights {
		out[i] = total * w / sum
		rem[i] = total * w % sum
		given += out[i]
	}
	idx := make([]int, len(weights))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return rem[idx[a]] > rem[idx[b]] })
	for k := 0; given < total; k++ {
		out[idx[k]]++
		given++
	}
	return out
}

// loadDemoValues adds the headline indicators' values, when none is
// stored: the review's national figures (as of 21/12/2023) for 2023-12,
// spread over the 63 provinces by population (demo/province-weights.tsv)
// so that they add up to them exactly, with monthly figures from 2022-01
// growing to them; each a DEMO row, ACCEPTED, holding since
// store.Beginning. A figure the nation reports itself (38 of 53 essential
// services) is the review's own (REVIEW), for 2023-12. The roll-ups are
// computed in one go from the values written (kpi.Rebuild), by the rule the
// write path keeps them with.
func loadDemoValues(ctx context.Context, tx bun.Tx, engine store.Dialect, clock store.Clock, rep *Report) error {
	head, err := readTable("demo/kpi-headline.tsv")
	if err != nil {
		return err
	}
	wt, err := readTable("demo/province-weights.tsv")
	if err != nil {
		return err
	}
	var units []struct {
		ID   int64  `bun:"id"`
		Code string `bun:"code"`
		Path string `bun:"path"`
	}
	if err := tx.NewSelect().Table("org_units").Column("id", "code", "path").Where("kind IN ('PROVINCE', 'NATIONAL')").Scan(ctx, &units); err != nil {
		return err
	}
	byCode := map[string]int{}
	for i, u := range units {
		byCode[u.Code] = i
	}
	var provinces []int
	var weights []int64
	for _, r := range wt.rows {
		w, _ := strconv.ParseInt(wt.get(r, "population_thousands"), 10, 64)
		i, ok := byCode[wt.get(r, "code")]
		if !ok {
			return fmt.Errorf("province-weights.tsv: no province %s", wt.get(r, "code"))
		}
		provinces, weights = append(provinces, i), append(weights, w)
	}
	now := clock()
	for _, r := range head.rows {
		ind := new(kpi.Indicator)
		if err := tx.NewSelect().Model(ind).Where("i.code = ?", head.get(r, "indicator")).Scan(ctx); err != nil {
			return fmt.Errorf("headline %s: %w", head.get(r, "indicator"), err)
		}
		if has, err := tx.NewSelect().Table("data_values").Where("indicator_id = ?", ind.ID).Exists(ctx); err != nil || has {
			if err != nil {
				return err
			}
			continue
		}
		note := head.get(r, "note")
		var vs []*kpi.DataValue
		add := func(unit int, period string, v, n, d *float64, source store.Source, comment string) {
			vs = append(vs, &kpi.DataValue{IndicatorID: ind.ID, OrgUnitID: units[unit].ID, Period: period, Value: v, Numerator: n, Denominator: d,
				Comment: comment, State: kpi.Accepted, Version: 1, Source: source, EnteredAt: now, SubmittedAt: &now, ApprovedAt: &now, AcceptedAt: &now,
				FirstSubmittedOn: store.Beginning, UpdatedAt: now, UnitPath: units[unit].Path})
		}
		f := func(x int64) *float64 { v := float64(x); return &v }
		parse := func(col string) int64 { x, _ := strconv.ParseInt(head.get(r, col), 10, 64); return x }
		if head.get(r, "units") == "VN" {
			add(byCode["VN"], "2023-12", nil, f(parse("numerator")), f(parse("denominator")), store.SourceReview, "Sơ kết 2 năm Đề án 06 (21/12/2023): "+note)
		} else {
			share, _ := strconv.ParseFloat(head.get(r, "start_share"), 64)
			final, finalNum, den := parse("value"), parse("numerator"), parse("denominator")
			dens := Spread(den, weights)
			for m, period := range DemoMonths {
				grow := share + (1-share)*float64(m)/float64(len(DemoMonths)-1)
				comment := fmt.Sprintf("Số liệu minh họa (demo): %s toàn quốc tại 21/12/2023 chia theo dân số", note)
				if ind.Aggregation == kpi.RatioOfSums {
					nums := Spread(int64(float64(finalNum)*grow+0.5), weights)
					if m == len(DemoMonths)-1 {
						nums = Spread(finalNum, weights)
					}
					for i, p := range provinces {
						add(p, period, nil, f(min(nums[i], dens[i])), f(dens[i]), store.SourceDemo, comment)
					}
					continue
				}
				total := int64(float64(final)*grow + 0.5)
				if m == len(DemoMonths)-1 {
					total = final
				}
				for i, x := range Spread(total, weights) {
					add(provinces[i], period, f(x), nil, nil, store.SourceDemo, comment)
				}
			}
		}
		// In parts: one statement of 1,500 rows is a large text to parse.
		for i := 0; i < len(vs); i += seedChunk {
			part := vs[i:min(i+seedChunk, len(vs))]
			if _, err := tx.NewInsert().Model(&part).Returning("id").Exec(ctx); err != nil {
				return fmt.Errorf("headline %s: %w", ind.Code, err)
			}
		}
		hist := make([]*kpi.HistoryRow, len(vs))
		for i, v := range vs {
			hist[i] = &kpi.HistoryRow{DataValueID: v.ID, Version: 1, ValidFrom: store.Beginning, Value: v.Value, Numerator: v.Numerator,
				Denominator: v.Denominator, Comment: v.Comment, State: v.State, ChangedAt: now}
		}
		for i := 0; i < len(hist); i += seedChunk {
			part := hist[i:min(i+seedChunk, len(hist))]
			if _, err := tx.NewInsert().Model(&part).Returning("NULL").Exec(ctx); err != nil {
				return fmt.Errorf("headline %s: %w", ind.Code, err)
			}
		}
		if _, _, err := kpi.Rebuild(ctx, tx, engine, ind); err != nil {
			return err
		}
		rep.DataValues += len(vs)
	}
	return nil
}
