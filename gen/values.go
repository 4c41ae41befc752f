package gen

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/uptrace/bun"

	"p06/kpi"
	"p06/org"
	"p06/store"
)

// Generated indicator values: a group of indicators (code genGroup) that
// the lowest generated units report (communes, else districts, else
// provinces) every month of the 24 before today, filled with Options.Values
// values, written in bulk with their history rows and their roll-ups (made
// by kpi.Build, the write path's rule, in one go per indicator), with the
// values' secondary indexes and foreign keys made after the load (see
// defer.go).

// genGroup is the code of the generated indicators' group.
const genGroup = "GEN"

// valueMonths is how many months the values cover, the last before today.
const valueMonths = 24

// MaxValues bounds Options.Values.
const MaxValues = 20_000_000

// genKind is what a generated indicator measures.
type genKind struct {
	kind               kpi.Kind
	aggregation        kpi.Aggregation
	name, nameEn, unit string
}

// genKinds cycle over the generated indicators: one of each rule of
// roll-up.
var genKinds = []genKind{
	{kpi.Count, kpi.Sum, "Hồ sơ thủ tục hành chính tiếp nhận", "Administrative dossiers received", "hồ sơ"},
	{kpi.Percent, kpi.RatioOfSums, "Tỷ lệ hồ sơ giải quyết đúng hạn", "Share of dossiers settled on time", "%"},
	{kpi.Count, kpi.Latest, "Tài khoản định danh điện tử đã kích hoạt", "Electronic identification accounts activated", "tài khoản"},
	{kpi.Boolean, kpi.ShareOfUnits, "Bộ phận một cửa kết nối Cổng dịch vụ công", "One-stop desk connected to the public service portal", "có/không"},
}

// genUnit is a unit that reports the generated indicators.
type genUnit struct {
	id   int64
	path string
}

// writeValues makes the generated indicators and writes o.Values values.
func (g *generator) writeValues(ctx context.Context) error {
	if g.o.Values == 0 {
		return nil
	}
	kind := org.Province
	switch {
	case g.o.CommunesPerProvince > 0:
		kind = org.Commune
	case g.o.DistrictsPerProvince > 0:
		kind = org.District
	}
	var us []struct {
		ID   int64  `bun:"id"`
		Path string `bun:"path"`
		Kind string `bun:"kind"`
	}
	if err := g.tx.NewSelect().Table("org_units").Column("id", "path", "kind").
		Where("kind IN (?)", bun.In([]org.Kind{org.National, org.Province, org.District, org.Commune})).
		OrderExpr("path").Scan(ctx, &us); err != nil {
		return fmt.Errorf("gen: units: %w", err)
	}
	ids := map[string]int64{}
	var reporting []genUnit
	for _, u := range us {
		ids[u.Path] = u.ID
		if u.Kind == string(kind) {
			reporting = append(reporting, genUnit{u.ID, u.Path})
		}
	}
	perIndicator := len(reporting) * valueMonths
	n := (g.o.Values + perIndicator - 1) / perIndicator
	if n > kpi.MaxGroupIndicators {
		return invalid("values", "--values %d cần %d chỉ tiêu cho %d đơn vị báo cáo × %d tháng (tối đa %d): hãy tăng --communes-per-province",
			"--values %d needs %d indicators for %d reporting units × %d months (at most %d): raise --communes-per-province",
			g.o.Values, n, len(reporting), valueMonths, kpi.MaxGroupIndicators)
	}
	inds, err := g.makeIndicators(ctx, n, kind)
	if err != nil {
		return err
	}
	checks, err := deferChecks(ctx, g.tx, g.pg, "data_values", "data_value_history")
	if err != nil {
		return err
	}
	today := g.today.Date()
	last := kpi.Period{Type: kpi.Month, Year: today.Year, Index: int(today.Month)}.Previous()
	months := make([]kpi.Period, valueMonths)
	for i := range months {
		months[valueMonths-1-i] = last
		last = last.Previous()
	}
	vals := newBatch(g.pg, "data_values", "id", "indicator_id", "org_unit_id", "period", "value", "numerator", "denominator",
		"comment", "state", "reason", "version", "source", "entered_at", "submitted_at", "approved_at", "accepted_at",
		"first_submitted_on", "updated_at")
	hist := newBatch(g.pg, "data_value_history", "data_value_id", "version", "valid_from", "value", "numerator", "denominator",
		"comment", "state", "reason", "changed_at")
	rollups := newBatch(g.pg, "kpi_rollups", "indicator_id", "class", "org_unit_id", "period", "o_units", "o_value", "o_num", "o_den", "o_yes",
		"b_units", "b_value", "b_num", "b_den", "b_yes", "e_units", "e_value", "e_num", "e_den", "e_yes")
	// Which slots (indicator × unit × month) get a value: exactly o.Values
	// of them, uniformly (selection sampling), the rest missing.
	slots, want := n*perIndicator, g.o.Values
	r := g.rng
	id := g.nextValue
	for k, ind := range inds {
		var changes []kpi.OwnChange
		for _, u := range reporting {
			base := 50 + r.IntN(450) // the unit's size
			for m, p := range months {
				take := r.IntN(slots) < want
				slots--
				if !take {
					continue
				}
				want--
				v := g.value(r, ind, base, m)
				age := valueMonths - m // 1 for last month
				v.State = kpi.Accepted
				switch {
				case age == 1 && r.IntN(10) == 0:
					v.State = kpi.Draft
				case age == 1:
					v.State = kpi.Submitted
				case age == 2:
					v.State = kpi.Approved
				}
				end := dayOf(p.End())
				submitted := end + day(1+r.IntN(ind.DueDays+6)) // some late
				if submitted > g.today {
					submitted = g.today
				}
				at := submitted.at(8*60 + r.IntN(9*60))
				vals.int(id)
				vals.int(ind.ID)
				vals.int(u.id)
				vals.str(p.String())
				vals.optFloat(v.Value)
				vals.optFloat(v.Numerator)
				vals.optFloat(v.Denominator)
				vals.str("")
				vals.str(string(v.State))
				vals.str("")
				vals.int(1)
				vals.str(string(store.SourceDemo))
				vals.instant(at)
				if v.State == kpi.Draft {
					vals.null()
				} else {
					vals.instant(at)
				}
				for _, s := range []kpi.State{kpi.Approved, kpi.Accepted} {
					if v.State == kpi.Accepted || v.State == s {
						vals.instant(at)
					} else {
						vals.null()
					}
				}
				if v.State == kpi.Draft {
					vals.null()
				} else {
					vals.date(submitted)
				}
				vals.instant(at)
				vals.end()
				hist.int(id)
				hist.int(1)
				hist.date(submitted)
				hist.optFloat(v.Value)
				hist.optFloat(v.Numerator)
				hist.optFloat(v.Denominator)
				hist.str("")
				hist.str(string(v.State))
				hist.str("")
				hist.instant(at)
				hist.end()
				changes = append(changes, kpi.ChangesOf(ind, u.path, p.String(), nil, &v)...)
				id++
				g.rep.Values++
				if vals.n >= valuesPerWrite {
					if err := g.w.write(ctx, vals); err != nil {
						return err
					}
					if err := g.w.write(ctx, hist); err != nil {
						return err
					}
				}
			}
		}
		if err := g.w.write(ctx, vals); err != nil {
			return err
		}
		if err := g.w.write(ctx, hist); err != nil {
			return err
		}
		rows, err := kpi.Build(changes, func(p string) (int64, bool) { id, ok := ids[p]; return id, ok })
		if err != nil {
			return fmt.Errorf("gen: %w", err)
		}
		for _, x := range rows {
			rollups.int(x.IndicatorID)
			rollups.int(int64(x.Class))
			rollups.int(x.OrgUnitID)
			rollups.str(x.Period)
			for _, a := range [][5]float64{{float64(x.OUnits), x.OValue, x.ONum, x.ODen, float64(x.OYes)},
				{float64(x.BUnits), x.BValue, x.BNum, x.BDen, float64(x.BYes)}, {float64(x.EUnits), x.EValue, x.ENum, x.EDen, float64(x.EYes)}} {
				rollups.int(int64(a[0]))
				rollups.float(a[1])
				rollups.float(a[2])
				rollups.float(a[3])
				rollups.int(int64(a[4]))
			}
			rollups.end()
			if rollups.n >= valuesPerWrite {
				if err := g.w.write(ctx, rollups); err != nil {
					return err
				}
			}
		}
		if err := g.w.write(ctx, rollups); err != nil {
			return err
		}
		g.rep.Rollups += len(rows)
		g.progress("indicator %d of %d: %d values so far (%s)", k+1, len(inds), g.rep.Values, g.since())
	}
	g.rep.Indicators = len(inds)
	g.progress("making the values' indexes and foreign keys again (%s)", g.since())
	return checks.restore(ctx, g.tx)
}

// valuesPerWrite is how many rows of values are written at a time.
const valuesPerWrite = 50_000

// value is a value of ind for a unit of size base, month m of the 24.
func (g *generator) value(r *rand.Rand, ind *kpi.Indicator, base, m int) kpi.DataValue {
	f := func(x float64) *float64 { return &x }
	var v kpi.DataValue
	switch ind.Aggregation {
	case kpi.Sum:
		v.Value = f(float64(base + r.IntN(base/2+1)))
	case kpi.RatioOfSums:
		den := base + r.IntN(base)
		v.Numerator, v.Denominator = f(float64(den*(60+m+r.IntN(17))/100)), f(float64(den))
	case kpi.Latest:
		v.Value = f(float64(base * 20 * (valueMonths + m) / valueMonths))
	case kpi.ShareOfUnits:
		yes := 0.0
		if r.IntN(valueMonths*2) < valueMonths/2+m {
			yes = 1
		}
		v.Value = f(yes)
	}
	return v
}

// makeIndicators adds the group genGroup and its n indicators, reported by
// units of kind, each monthly and due ten days after the month.
func (g *generator) makeIndicators(ctx context.Context, n int, kind org.Kind) ([]*kpi.Indicator, error) {
	now := g.o.Clock()
	grp := &kpi.Group{Code: genGroup, Name: "Chỉ tiêu sinh tự động (" + g.note + ")", NameEn: "Generated indicators (" + g.note + ")",
		SortOrder: 1000, Source: store.SourceDemo, SourceNote: g.note, Version: 1, UpdatedAt: now}
	if _, err := g.tx.NewInsert().Model(grp).Returning("id").Exec(ctx); err != nil {
		return nil, fmt.Errorf("gen: indicator group: %w", err)
	}
	inds := make([]*kpi.Indicator, n)
	for i := range inds {
		k := genKinds[i%len(genKinds)]
		ind := &kpi.Indicator{GroupID: grp.ID, Code: fmt.Sprintf("%s.%03d", genGroup, i+1), Name: fmt.Sprintf("%s (%d)", k.name, i+1),
			NameEn: fmt.Sprintf("%s (%d)", k.nameEn, i+1), Unit: k.unit, Kind: k.kind, PeriodType: kpi.Month, Direction: kpi.HigherIsBetter,
			Aggregation: k.aggregation, ReportingKinds: kpi.Kinds{string(kind)}, DueDays: 10, Weight: 1, SortOrder: i + 1,
			Source: store.SourceDemo, SourceNote: g.note, Version: 1, UpdatedAt: now}
		if err := ind.Validate(); err != nil {
			return nil, fmt.Errorf("gen: indicator %s: %w", ind.Code, err)
		}
		if _, err := g.tx.NewInsert().Model(ind).Returning("id").Exec(ctx); err != nil {
			return nil, fmt.Errorf("gen: indicator %s: %w", ind.Code, err)
		}
		if err := store.IndexSearch(ctx, g.tx, store.SearchIndicator, ind.ID, ind.Code+" "+ind.Name+" "+ind.NameEn, ""); err != nil {
			return nil, err
		}
		inds[i] = ind
	}
	return inds, nil
}
