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
// the most units any one period had; unitPeriods counts the units of every
// period, what a SHARE_OF_UNITS share over time is taken over.
func (ind *Indicator) overTime(parts []Agg) (out Agg, unitPeriods int) {
	most := 0
	for _, p := range parts {
		unitPeriods += p.Units
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
	}
	return out, unitPeriods
}

// Result is a figure as the API shows it.
type Result struct {
	Value, Numerator, Denominator *float64
	Contributing                  int
}

// result reads an Agg as the indicator's figure; over is how many
// unit-periods a SHARE_OF_UNITS share is over (0: a's Units, one period).
// Stored numbers whose sums overflow (entered before MaxMagnitude was
// checked) give no figure rather than one JSON cannot carry.
func (ind *Indicator) result(a Agg, over int) Result {
	r := ind.rawResult(a, over)
	if r.Numerator != nil && (finite(r.Numerator) == nil || finite(r.Denominator) == nil) {
		r.Value, r.Numerator, r.Denominator = nil, nil, nil
	}
	r.Value = finite(r.Value)
	return r
}

// rawResult is result before its numbers are checked.
func (ind *Indicator) rawResult(a Agg, over int) Result {
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

// RollupRow is a row of kpi_rollups: the unit's own contribution (O*), the
// sum of its children's figures (B*) and its figure (E*). Exported for bulk
// writers (the generator copies the rows Build makes).
type RollupRow struct {
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

func (r *RollupRow) own() *Agg {
	if r.OUnits == 0 {
		return nil
	}
	return &Agg{Units: r.OUnits, Value: r.OValue, Num: r.ONum, Den: r.ODen, Yes: r.OYes}
}

func (r *RollupRow) below() Agg {
	return Agg{Units: r.BUnits, Value: r.BValue, Num: r.BNum, Den: r.BDen, Yes: r.BYes}
}

func (r *RollupRow) eff() Agg {
	return Agg{Units: r.EUnits, Value: r.EValue, Num: r.ENum, Den: r.EDen, Yes: r.EYes}
}

func (r *RollupRow) setOwn(a *Agg) {
	if a == nil {
		a = &Agg{}
	}
	r.OUnits, r.OValue, r.ONum, r.ODen, r.OYes = a.Units, a.Value, a.Num, a.Den, a.Yes
}

func (r *RollupRow) setBelow(a Agg) {
	r.BUnits, r.BValue, r.BNum, r.BDen, r.BYes = a.Units, a.Value, a.Num, a.Den, a.Yes
}

func (r *RollupRow) setEff(a Agg) {
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
	rows := map[key]*RollupRow{}
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
				rows[k] = &RollupRow{IndicatorID: k.ind, Class: k.class, OrgUnitID: k.unit, Period: k.period}
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
		fresh := make([]*RollupRow, len(part))
		tuples := make([]string, len(part))
		args := make([]any, 0, 4*len(part))
		for j, k := range part {
			fresh[j] = &RollupRow{IndicatorID: k.ind, Class: k.class, OrgUnitID: k.unit, Period: k.period}
			tuples[j] = "(?, ?, ?, ?)"
			args = append(args, k.ind, k.class, k.unit, k.period)
		}
		if engine == store.Postgres {
			if _, err := db.NewInsert().Model(&fresh).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
				return fmt.Errorf("kpi: creating roll-up rows: %w", err)
			}
		}
		var got []*RollupRow
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
		out := make([]*RollupRow, len(part))
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

// Build computes from nothing the roll-up rows that ApplyOwn keeps for the
// own contributions in changes (removals are skipped): the row of each
// contributing unit and of each of its ancestors, deepest first, by the same
// rule (effective). unitID gives the id of the unit at a path. For bulk
// loads (the seeds through Rebuild, the generator), which would otherwise
// read and lock rows that do not exist yet. The rows come in key order.
func Build(changes []OwnChange, unitID func(path string) (int64, bool)) ([]*RollupRow, error) {
	type key struct {
		ind          int64
		class        int
		path, period string
	}
	rows := map[key]*RollupRow{}
	inds := map[int64]*Indicator{}
	var keys []key
	for _, c := range changes {
		if c.Own == nil {
			continue
		}
		inds[c.Indicator.ID] = c.Indicator
		for i, p := range ancestors(c.UnitPath) {
			k := key{c.Indicator.ID, c.Class, p, c.Period}
			r := rows[k]
			if r == nil {
				id, ok := unitID(p)
				if !ok {
					return nil, fmt.Errorf("kpi: no org unit at %s", p)
				}
				r = &RollupRow{IndicatorID: k.ind, Class: k.class, OrgUnitID: id, Period: k.period}
				rows[k] = r
				keys = append(keys, k)
			}
			if i == 0 {
				r.setOwn(c.Own)
			}
		}
	}
	depth := func(p string) int { return strings.Count(p, "/") }
	sort.SliceStable(keys, func(i, j int) bool { return depth(keys[i].path) > depth(keys[j].path) })
	for _, k := range keys {
		r := rows[k]
		e := inds[k.ind].effective(r.own(), r.below())
		r.setEff(e)
		if pp := parentPath(k.path); pp != "" {
			pr := rows[key{k.ind, k.class, pp, k.period}]
			pr.setBelow(pr.below().add(e))
		}
	}
	out := make([]*RollupRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.IndicatorID != b.IndicatorID {
			return a.IndicatorID < b.IndicatorID
		}
		if a.Class != b.Class {
			return a.Class < b.Class
		}
		if a.OrgUnitID != b.OrgUnitID {
			return a.OrgUnitID < b.OrgUnitID
		}
		return a.Period < b.Period
	})
	return out, nil
}

// Rebuild recomputes the roll-ups of ind from its current values, in db (a
// transaction): Build over the values, its rows written in place of the
// old ones. It returns how many rows it wrote and how many of the old
// rows' figures (E*) it changed. The roll-ups kept on write add and
// subtract differences in floating point: counts stay exact (whole
// numbers below 2^53), but amounts with decimals can drift in their last
// digits after many corrections, which Rebuild removes (changed > 0 says
// it did). The seeds write their roll-ups with it. On PostgreSQL it first
// locks kpi_rollups against writers (SHARE ROW EXCLUSIVE), so that no
// value written meanwhile is missed.
func Rebuild(ctx context.Context, db bun.IDB, engine store.Dialect, ind *Indicator) (written, changed int, err error) {
	if engine == store.Postgres {
		if _, err := db.ExecContext(ctx, "LOCK TABLE kpi_rollups IN SHARE ROW EXCLUSIVE MODE"); err != nil {
			return 0, 0, fmt.Errorf("kpi: locking the roll-ups: %w", err)
		}
	}
	var vs []struct {
		Path   string   `bun:"path"`
		Period string   `bun:"period"`
		State  State    `bun:"state"`
		Value  *float64 `bun:"value"`
		Num    *float64 `bun:"numerator"`
		Den    *float64 `bun:"denominator"`
	}
	if err := db.NewSelect().TableExpr("data_values AS dv").Join("JOIN org_units AS u ON u.id = dv.org_unit_id").
		ColumnExpr("u.path, dv.period, dv.state, dv.value, dv.numerator, dv.denominator").
		Where("dv.indicator_id = ?", ind.ID).Scan(ctx, &vs); err != nil {
		return 0, 0, fmt.Errorf("kpi: values of %s: %w", ind.Code, err)
	}
	var changes []OwnChange
	paths := map[string]bool{}
	for _, v := range vs {
		dv := &DataValue{State: v.State, Value: v.Value, Numerator: v.Num, Denominator: v.Den}
		changes = append(changes, ChangesOf(ind, v.Path, v.Period, nil, dv)...)
		for _, p := range ancestors(v.Path) {
			paths[p] = true
		}
	}
	units, err := unitsByPath(ctx, db, paths)
	if err != nil {
		return 0, 0, err
	}
	rows, err := Build(changes, func(p string) (int64, bool) { u, ok := units[p]; return u.id, ok })
	if err != nil {
		return 0, 0, err
	}
	var old []*RollupRow
	if err := db.NewSelect().Model(&old).Where("r.indicator_id = ?", ind.ID).Scan(ctx); err != nil {
		return 0, 0, fmt.Errorf("kpi: roll-ups of %s: %w", ind.Code, err)
	}
	type key struct {
		class  int
		unit   int64
		period string
	}
	before := make(map[key]Agg, len(old))
	for _, r := range old {
		before[key{r.Class, r.OrgUnitID, r.Period}] = r.eff()
	}
	for _, r := range rows {
		if b, ok := before[key{r.Class, r.OrgUnitID, r.Period}]; !ok && r.EUnits != 0 || ok && b != r.eff() {
			changed++
		}
		delete(before, key{r.Class, r.OrgUnitID, r.Period})
	}
	for _, b := range before {
		if b.Units != 0 {
			changed++
		}
	}
	if _, err := db.NewDelete().Model((*RollupRow)(nil)).Where("indicator_id = ?", ind.ID).Exec(ctx); err != nil {
		return 0, 0, fmt.Errorf("kpi: roll-ups of %s: %w", ind.Code, err)
	}
	for i := 0; i < len(rows); i += rollupChunk {
		part := rows[i:min(i+rollupChunk, len(rows))]
		if _, err := db.NewInsert().Model(&part).Exec(ctx); err != nil {
			return 0, 0, fmt.Errorf("kpi: writing the roll-ups of %s: %w", ind.Code, err)
		}
	}
	return len(rows), changed, nil
}
