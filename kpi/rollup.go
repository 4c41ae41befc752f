package kpi

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/uptrace/bun"

	"p06/store"
)

// The roll-up rule (one place): a unit's figure for an indicator and a
// period is its own value where the indicator says its own value wins
// (OwnValueWins) or where nothing below it reports; otherwise the
// combination of its children's figures by the indicator's aggregation.
// Combining adds the parts (Agg.add): values for SUM and LATEST, numerators
// and denominators for RATIO_OF_SUMS (so a ratio is Σ numerators / Σ
// denominators, never a mean of ratios), units and yes-answers for
// SHARE_OF_UNITS; each part counts the reporting units that contributed.
// Over time a quarter or year combines its periods the same way, except
// LATEST, which takes its last period with values (overTime).
//
// Figures are kept pre-aggregated (kpi_rollups): each write of a value
// updates, in its transaction, the rows of its unit and of every ancestor,
// for each class of states it counts in (classCounted: SUBMITTED, APPROVED,
// ACCEPTED; classApproved: APPROVED, ACCEPTED). A figure is then one row
// (or, for a caller who reads only parts of a unit's subtree, the sum of the
// rows of the parts it reads), whatever the number of values below.

// Classes of roll-up.
const (
	classCounted  = 1
	classApproved = 2
)

func classOf(approvedOnly bool) int {
	if approvedOnly {
		return classApproved
	}
	return classCounted
}

// Agg is a roll-up: what a set of reporting units' values add up to.
type Agg struct {
	Units int     // reporting units that contributed
	Value float64 // Σ values (SUM, LATEST)
	Num   float64 // Σ numerators (RATIO_OF_SUMS)
	Den   float64 // Σ denominators
	Yes   int     // units answering yes (SHARE_OF_UNITS)
}

func (a Agg) add(b Agg) Agg {
	return Agg{Units: a.Units + b.Units, Value: a.Value + b.Value, Num: a.Num + b.Num, Den: a.Den + b.Den, Yes: a.Yes + b.Yes}
}

func (a Agg) sub(b Agg) Agg {
	return Agg{Units: a.Units - b.Units, Value: a.Value - b.Value, Num: a.Num - b.Num, Den: a.Den - b.Den, Yes: a.Yes - b.Yes}
}

// ownAgg is what one value contributes.
func ownAgg(v, num, den *float64) Agg {
	a := Agg{Units: 1}
	if v != nil {
		a.Value = *v
		if *v == 1 {
			a.Yes = 1
		}
	}
	if num != nil && den != nil {
		a.Num, a.Den = *num, *den
	}
	return a
}

// effective is a unit's figure from its own value (nil: none counted) and
// the sum of its children's figures.
func (ind *Indicator) effective(own *Agg, below Agg) Agg {
	if own != nil && (ind.OwnValueWins || below.Units == 0) {
		return *own
	}
	return below
}

// overTime combines the figures of the periods making up a longer one, in
// order: LATEST takes the last with values, the others add up. Units is then
// the most units any one period had.
func (ind *Indicator) overTime(parts []Agg) Agg {
	var out Agg
	most := 0
	for _, p := range parts {
		if ind.Aggregation == Latest {
			if p.Units > 0 {
				out = p
			}
			continue
		}
		out = out.add(p)
		most = max(most, p.Units)
	}
	if ind.Aggregation != Latest {
		out.Units = most
		if ind.Aggregation == ShareOfUnits {
			// the share is over unit-periods; Units is reported separately
			return Agg{Units: most, Yes: out.Yes, Value: float64(sumUnits(parts))}
		}
	}
	return out
}

func sumUnits(parts []Agg) int {
	n := 0
	for _, p := range parts {
		n += p.Units
	}
	return n
}

// Result is a figure as the API shows it.
type Result struct {
	Value, Numerator, Denominator *float64
	Contributing                  int
}

// result reads an Agg as the indicator's figure; over is how many
// unit-periods a SHARE_OF_UNITS share is over (0: a's Units).
func (ind *Indicator) result(a Agg, over int) Result {
	r := Result{Contributing: a.Units}
	if a.Units == 0 {
		return r
	}
	switch ind.Aggregation {
	case RatioOfSums:
		num, den := a.Num, a.Den
		r.Numerator, r.Denominator = &num, &den
		r.Value = ind.Figure(nil, &num, &den)
	case ShareOfUnits:
		if over == 0 {
			over = a.Units
		}
		v := 100 * float64(a.Yes) / float64(over)
		r.Value = &v
	default:
		v := a.Value
		r.Value = &v
	}
	return r
}

// OwnChange is a change of what one unit's own value contributes to one
// class of roll-up: Own nil removes it.
type OwnChange struct {
	Indicator *Indicator
	UnitPath  string
	Period    string
	Class     int
	Own       *Agg
}

// rollupRow is a row of kpi_rollups.
type rollupRow struct {
	bun.BaseModel `bun:"table:kpi_rollups,alias:r"`

	IndicatorID int64   `bun:"indicator_id,pk"`
	Class       int     `bun:"class,pk"`
	OrgUnitID   int64   `bun:"org_unit_id,pk"`
	Period      string  `bun:"period,pk"`
	OUnits      int     `bun:"o_units"`
	OValue      float64 `bun:"o_value"`
	ONum        float64 `bun:"o_num"`
	ODen        float64 `bun:"o_den"`
	OYes        int     `bun:"o_yes"`
	BUnits      int     `bun:"b_units"`
	BValue      float64 `bun:"b_value"`
	BNum        float64 `bun:"b_num"`
	BDen        float64 `bun:"b_den"`
	BYes        int     `bun:"b_yes"`
	EUnits      int     `bun:"e_units"`
	EValue      float64 `bun:"e_value"`
	ENum        float64 `bun:"e_num"`
	EDen        float64 `bun:"e_den"`
	EYes        int     `bun:"e_yes"`
}

func (r *rollupRow) own() *Agg {
	if r.OUnits == 0 {
		return nil
	}
	return &Agg{Units: r.OUnits, Value: r.OValue, Num: r.ONum, Den: r.ODen, Yes: r.OYes}
}

func (r *rollupRow) below() Agg {
	return Agg{Units: r.BUnits, Value: r.BValue, Num: r.BNum, Den: r.BDen, Yes: r.BYes}
}

func (r *rollupRow) eff() Agg {
	return Agg{Units: r.EUnits, Value: r.EValue, Num: r.ENum, Den: r.EDen, Yes: r.EYes}
}

func (r *rollupRow) setOwn(a *Agg) {
	if a == nil {
		a = &Agg{}
	}
	r.OUnits, r.OValue, r.ONum, r.ODen, r.OYes = a.Units, a.Value, a.Num, a.Den, a.Yes
}

func (r *rollupRow) setBelow(a Agg) {
	r.BUnits, r.BValue, r.BNum, r.BDen, r.BYes = a.Units, a.Value, a.Num, a.Den, a.Yes
}

func (r *rollupRow) setEff(a Agg) {
	r.EUnits, r.EValue, r.ENum, r.EDen, r.EYes = a.Units, a.Value, a.Num, a.Den, a.Yes
}

// ancestors lists path and the paths above it, deepest first: "/VN/46/X/"
// gives "/VN/46/X/", "/VN/46/", "/VN/".
func ancestors(path string) []string {
	var out []string
	for p := path; len(p) > 1; {
		out = append(out, p)
		i := strings.LastIndex(strings.TrimSuffix(p, "/"), "/")
		if i < 0 {
			break
		}
		p = p[:i+1]
	}
	return out
}

func parentPath(path string) string {
	if a := ancestors(path); len(a) > 1 {
		return a[1]
	}
	return ""
}

// rollupChunk bounds the rows of one statement of ApplyOwn (each row binds
// 19 values; SQLite allows 32,766).
const rollupChunk = 400

// ApplyOwn applies changes to the roll-ups on db (the transaction of the
// change): it sets each unit's own contribution and recomputes the figures
// of the unit and every ancestor, in a fixed number of statements per
// 400 rows touched. Callable in bulk (a generator, a rebuild). On
// PostgreSQL the rows are locked (created first when missing), so
// concurrent writers below a common ancestor take turns.
func ApplyOwn(ctx context.Context, db bun.IDB, engine store.Dialect, changes []OwnChange) error {
	if len(changes) == 0 {
		return nil
	}
	paths := map[string]bool{}
	for _, c := range changes {
		for _, p := range ancestors(c.UnitPath) {
			paths[p] = true
		}
	}
	units, err := unitsByPath(ctx, db, paths)
	if err != nil {
		return err
	}
	type key struct {
		ind    int64
		class  int
		unit   int64
		period string
	}
	rows := map[key]*rollupRow{}
	inds := map[int64]*Indicator{}
	var keys []key
	for _, c := range changes {
		inds[c.Indicator.ID] = c.Indicator
		for _, p := range ancestors(c.UnitPath) {
			u, ok := units[p]
			if !ok {
				return fmt.Errorf("kpi: no org unit at %s", p)
			}
			k := key{c.Indicator.ID, c.Class, u.id, c.Period}
			if rows[k] == nil {
				rows[k] = &rollupRow{IndicatorID: k.ind, Class: k.class, OrgUnitID: k.unit, Period: k.period}
				keys = append(keys, k)
			}
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.ind != b.ind {
			return a.ind < b.ind
		}
		if a.class != b.class {
			return a.class < b.class
		}
		if a.unit != b.unit {
			return a.unit < b.unit
		}
		return a.period < b.period
	})
	// Read (and on PostgreSQL create and lock) the rows, in key order.
	for i := 0; i < len(keys); i += rollupChunk {
		part := keys[i:min(i+rollupChunk, len(keys))]
		fresh := make([]*rollupRow, len(part))
		tuples := make([]string, len(part))
		args := make([]any, 0, 4*len(part))
		for j, k := range part {
			fresh[j] = &rollupRow{IndicatorID: k.ind, Class: k.class, OrgUnitID: k.unit, Period: k.period}
			tuples[j] = "(?, ?, ?, ?)"
			args = append(args, k.ind, k.class, k.unit, k.period)
		}
		if engine == store.Postgres {
			if _, err := db.NewInsert().Model(&fresh).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
				return fmt.Errorf("kpi: creating roll-up rows: %w", err)
			}
		}
		var got []*rollupRow
		q := db.NewSelect().Model(&got).
			Where("(r.indicator_id, r.class, r.org_unit_id, r.period) IN ("+strings.Join(tuples, ", ")+")", args...).
			OrderExpr("r.indicator_id, r.class, r.org_unit_id, r.period")
		if engine == store.Postgres {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return fmt.Errorf("kpi: reading roll-up rows: %w", err)
		}
		for _, g := range got {
			*rows[key{g.IndicatorID, g.Class, g.OrgUnitID, g.Period}] = *g
		}
	}
	for _, c := range changes {
		rows[key{c.Indicator.ID, c.Class, units[c.UnitPath].id, c.Period}].setOwn(c.Own)
	}
	// Recompute deepest first: a unit's new figure moves its parent's sum
	// of children by the difference.
	byDepth := make([]key, len(keys))
	copy(byDepth, keys)
	depth := map[int64]int{}
	parent := map[int64]int64{}
	for p, u := range units {
		depth[u.id] = u.depth
		if pp := parentPath(p); pp != "" {
			parent[u.id] = units[pp].id
		}
	}
	sort.SliceStable(byDepth, func(i, j int) bool { return depth[byDepth[i].unit] > depth[byDepth[j].unit] })
	for _, k := range byDepth {
		r := rows[k]
		old := r.eff()
		now := inds[k.ind].effective(r.own(), r.below())
		r.setEff(now)
		if pid, ok := parent[k.unit]; ok {
			pr := rows[key{k.ind, k.class, pid, k.period}]
			pr.setBelow(pr.below().add(now.sub(old)))
		}
	}
	for i := 0; i < len(keys); i += rollupChunk {
		part := keys[i:min(i+rollupChunk, len(keys))]
		out := make([]*rollupRow, len(part))
		for j, k := range part {
			out[j] = rows[k]
		}
		_, err := db.NewInsert().Model(&out).On("CONFLICT (indicator_id, class, org_unit_id, period) DO UPDATE").
			Set("o_units = EXCLUDED.o_units, o_value = EXCLUDED.o_value, o_num = EXCLUDED.o_num, o_den = EXCLUDED.o_den, o_yes = EXCLUDED.o_yes").
			Set("b_units = EXCLUDED.b_units, b_value = EXCLUDED.b_value, b_num = EXCLUDED.b_num, b_den = EXCLUDED.b_den, b_yes = EXCLUDED.b_yes").
			Set("e_units = EXCLUDED.e_units, e_value = EXCLUDED.e_value, e_num = EXCLUDED.e_num, e_den = EXCLUDED.e_den, e_yes = EXCLUDED.e_yes").
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("kpi: writing roll-up rows: %w", err)
		}
	}
	return nil
}

type unitRef struct {
	id    int64
	depth int
}

// unitsByPath returns the units at paths, by path.
func unitsByPath(ctx context.Context, db bun.IDB, paths map[string]bool) (map[string]unitRef, error) {
	list := make([]string, 0, len(paths))
	for p := range paths {
		list = append(list, p)
	}
	out := make(map[string]unitRef, len(list))
	for i := 0; i < len(list); i += 500 {
		var rs []struct {
			ID    int64  `bun:"id"`
			Path  string `bun:"path"`
			Depth int    `bun:"depth"`
		}
		if err := db.NewSelect().Table("org_units").Column("id", "path", "depth").
			Where("path IN (?)", bun.In(list[i:min(i+500, len(list))])).Scan(ctx, &rs); err != nil {
			return nil, fmt.Errorf("kpi: units by path: %w", err)
		}
		for _, r := range rs {
			out[r.Path] = unitRef{r.ID, r.Depth}
		}
	}
	return out, nil
}

// ChangesOf are the roll-up changes of a value going from before to after
// (nil: no value), for each class.
func ChangesOf(ind *Indicator, path, period string, before, after *DataValue) []OwnChange {
	var out []OwnChange
	for _, class := range []int{classCounted, classApproved} {
		in := func(v *DataValue) *Agg {
			if v == nil {
				return nil
			}
			if (class == classCounted && !v.State.Counted()) || (class == classApproved && !v.State.ApprovedClass()) {
				return nil
			}
			a := ownAgg(v.Value, v.Numerator, v.Denominator)
			return &a
		}
		b, a := in(before), in(after)
		if (b == nil && a == nil) || (b != nil && a != nil && *b == *a) {
			continue
		}
		out = append(out, OwnChange{Indicator: ind, UnitPath: path, Period: period, Class: class, Own: a})
	}
	return out
}

// foldTree computes, from the own contributions of units (by path), the
// figure of each root (a path; roots are disjoint subtrees) by the same
// rule the pre-aggregation keeps: for figures as of a past date, read from
// the history.
func (ind *Indicator) foldTree(owns map[string]Agg, roots []string) map[string]Agg {
	below := map[string]Agg{}
	nodes := map[string]bool{}
	rootOf := func(p string) string {
		for _, r := range roots {
			if strings.HasPrefix(p, r) {
				return r
			}
		}
		return ""
	}
	for p := range owns {
		r := rootOf(p)
		if r == "" {
			continue
		}
		for _, a := range ancestors(p) {
			nodes[a] = true
			if a == r {
				break
			}
		}
	}
	list := make([]string, 0, len(nodes))
	for p := range nodes {
		list = append(list, p)
	}
	sort.Slice(list, func(i, j int) bool { return strings.Count(list[i], "/") > strings.Count(list[j], "/") })
	out := map[string]Agg{}
	for _, p := range list {
		var own *Agg
		if o, ok := owns[p]; ok {
			own = &o
		}
		e := ind.effective(own, below[p])
		if rootOf(p) == p {
			out[p] = e
			continue
		}
		pp := parentPath(p)
		below[pp] = below[pp].add(e)
	}
	return out
}
