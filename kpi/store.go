package kpi

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"p06/rbac"
	"p06/store"
)

// Store reads indicators, values, targets and figures. Every read of values
// and figures takes the caller's scope and filters in SQL: a figure for a
// caller is computed over the parts of the unit's subtree it may read.
type Store struct {
	db bun.IDB
}

// NewStore returns a Store on db.
func NewStore(db bun.IDB) *Store { return &Store{db: db} }

// Bounds of the definition lists.
const (
	MaxIndicators      = 200 // indicators in one list
	MaxGroups          = 50  // groups
	MaxGroupIndicators = 100 // indicators of one group
	MaxHistory         = 100 // versions of a value
)

// Bounds are the sizes the indicators' prices follow (graph's complexity
// limit): how many indicators there are, and the most one group has, each
// at most what one list returns.
type Bounds struct {
	Indicators, GroupIndicators int
}

// Bounds measures the indicators, whatever any caller's scope: the figures
// price queries and are never shown.
func (s *Store) Bounds(ctx context.Context) (Bounds, error) {
	var b Bounds
	err := s.db.NewRaw(`SELECT (SELECT COUNT(*) FROM indicators),
		(SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM indicators GROUP BY group_id) g)`).Scan(ctx, &b.Indicators, &b.GroupIndicators)
	if err != nil {
		return Bounds{}, fmt.Errorf("kpi: measuring the indicators: %w", err)
	}
	b.Indicators, b.GroupIndicators = min(b.Indicators, MaxIndicators), min(b.GroupIndicators, MaxGroupIndicators)
	return b, nil
}

// Groups returns every indicator group, in order (definitions are national
// and readable by every signed-in caller).
func (s *Store) Groups(ctx context.Context, ids ...int64) ([]*Group, error) {
	var gs []*Group
	q := s.db.NewSelect().Model(&gs).OrderExpr("g.sort_order, g.id").Limit(MaxGroups)
	if len(ids) > 0 {
		q = q.Where("g.id IN (?)", bun.In(ids))
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("kpi: groups: %w", err)
	}
	return gs, nil
}

// IndicatorFilter narrows the indicators list.
type IndicatorFilter struct {
	GroupID int64
	Search  string // code or name, without diacritics
	Kinds   []Kind
	IDs     []int64
}

// Indicators returns the indicators that f keeps, by group and order.
func (s *Store) Indicators(ctx context.Context, f IndicatorFilter) ([]*Indicator, error) {
	if err := store.CheckSearch(f.Search, "filter.search"); err != nil {
		return nil, err
	}
	var is []*Indicator
	q := s.db.NewSelect().Model(&is).Join("JOIN indicator_groups AS g ON g.id = i.group_id").
		OrderExpr("g.sort_order, g.id, i.sort_order, i.id").Limit(MaxIndicators)
	if f.GroupID != 0 {
		q = q.Where("i.group_id = ?", f.GroupID).Limit(MaxGroupIndicators)
	}
	if len(f.Kinds) > 0 {
		q = q.Where("i.kind IN (?)", bun.In(f.Kinds))
	}
	if len(f.IDs) > 0 {
		q = q.Where("i.id IN (?)", bun.In(f.IDs))
	}
	q = store.SearchFilter(q, s.db, store.SearchIndicator, "i.id", f.Search)
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("kpi: indicators: %w", err)
	}
	return is, nil
}

// Indicator returns one indicator, NOT_FOUND when there is none.
func (s *Store) Indicator(ctx context.Context, id int64) (*Indicator, error) {
	m, err := indicatorsByID(ctx, s.db, []int64{id})
	if err != nil {
		return nil, err
	}
	if m[id] == nil {
		return nil, &store.Error{Code: store.NotFound, Field: "indicator", Message: "không tìm thấy chỉ tiêu", English: "indicator not found"}
	}
	return m[id], nil
}

// ValueFilter narrows the data values list.
type ValueFilter struct {
	IndicatorID int64
	UnitPath    string // the unit and those below it
	Period      string
	States      []State
	IDs         []int64
}

var valueOrder = store.Order{Name: "dataValues", Selected: true, Keys: []store.Key{{Expr: "dv.period", Kind: store.KeyText}, {Expr: "dv.id"}}}

// DataValues returns a page of the values in scope that f keeps, by period
// then id.
func (s *Store) DataValues(ctx context.Context, sc rbac.Scope, f ValueFilter, p store.Page) ([]*DataValue, store.PageInfo, error) {
	var vs []*DataValue
	cond, args := sc.ReadFilter("u.path")
	q := s.db.NewSelect().Model(&vs).ColumnExpr("dv.*").ColumnExpr("u.path AS unit_path, u.code AS unit_code").
		Join("JOIN org_units AS u ON u.id = dv.org_unit_id").Where(cond, args...)
	if f.IndicatorID != 0 {
		q = q.Where("dv.indicator_id = ?", f.IndicatorID)
	}
	if f.UnitPath != "" {
		q = q.Where("u.path LIKE ?", f.UnitPath+"%")
	}
	if f.Period != "" {
		q = q.Where("dv.period = ?", f.Period)
	}
	if len(f.States) > 0 {
		q = q.Where("dv.state IN (?)", bun.In(f.States))
	}
	if len(f.IDs) > 0 {
		q = q.Where("dv.id IN (?)", bun.In(f.IDs))
	}
	info, err := store.List(ctx, q, &vs, valueOrder, p)
	if err != nil {
		return nil, info, fmt.Errorf("kpi: data values: %w", err)
	}
	return vs, info, nil
}

// History returns the versions of a value, oldest first (at most 100).
func (s *Store) History(ctx context.Context, valueID int64) ([]*HistoryRow, error) {
	var hs []*HistoryRow
	if err := s.db.NewSelect().Model(&hs).Where("h.data_value_id = ?", valueID).OrderExpr("h.version DESC").Limit(MaxHistory).Scan(ctx); err != nil {
		return nil, fmt.Errorf("kpi: history: %w", err)
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].Version < hs[j].Version })
	return hs, nil
}

// Unit is an org unit as figures name it.
type Unit struct {
	ID   int64  `bun:"id"`
	Code string `bun:"code"`
	Name string `bun:"name"`
	Path string `bun:"path"`
	Kind string `bun:"kind"`
}

// UnitByCode returns the unit code if sc reads any of its subtree
// (NOT_FOUND otherwise): a caller who reads Huế may ask about the nation,
// and gets Huế's part of it.
func (s *Store) UnitByCode(ctx context.Context, sc rbac.Scope, code string) (*Unit, error) {
	return s.unitByCode(ctx, sc, code, false)
}

// ReadableUnit returns the unit code if sc reads all of it (NOT_FOUND
// otherwise, as the unit of a chart or report): the unit whose figure and
// target a caller asks for. Huế asking for the nation is refused; a
// national target still applies to Huế's own figure when it has none.
func (s *Store) ReadableUnit(ctx context.Context, sc rbac.Scope, code string) (*Unit, error) {
	return s.unitByCode(ctx, sc, code, true)
}

func (s *Store) unitByCode(ctx context.Context, sc rbac.Scope, code string, whole bool) (*Unit, error) {
	u := new(Unit)
	err := s.db.NewSelect().Table("org_units").Column("id", "code", "name", "path", "kind").Where("code = ?", code).Scan(ctx, u)
	if err == nil && (len(roots(sc, u.Path)) == 0 || whole && !sc.CanRead(u.Path)) {
		err = errNoRows
	}
	if err != nil {
		if store.IsNoRows(err) || err == errNoRows {
			return nil, &store.Error{Code: store.NotFound, Field: "orgUnit", Message: fmt.Sprintf("không tìm thấy đơn vị %q", code), English: fmt.Sprintf("org unit %q not found", code)}
		}
		return nil, fmt.Errorf("kpi: unit: %w", err)
	}
	return u, nil
}

var errNoRows = fmt.Errorf("kpi: no rows")

// roots are the disjoint subtrees of the unit at path that sc reads: the
// unit itself when sc reads all of it.
func roots(sc rbac.Scope, path string) []string {
	ps := sc.Within(path).Read
	sort.Strings(ps)
	var out []string
	for _, p := range ps {
		if len(out) > 0 && strings.HasPrefix(p, out[len(out)-1]) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// Query asks for figures of one indicator.
type Query struct {
	Indicator    *Indicator
	ApprovedOnly bool
	// AsOf reads the values as they stood at the end of that day (from
	// their history); zero reads the current roll-ups.
	AsOf store.Date
}

// aggs returns, per root path, the figures of q's indicator for the base
// periods, by period.
func (s *Store) aggs(ctx context.Context, q Query, rootPaths []string, periods []string) (map[string]map[string]Agg, error) {
	out := map[string]map[string]Agg{}
	if len(rootPaths) == 0 || len(periods) == 0 {
		return out, nil
	}
	class := classOf(q.ApprovedOnly)
	if q.AsOf.IsZero() {
		var rs []struct {
			Path   string  `bun:"path"`
			Period string  `bun:"period"`
			Units  int     `bun:"e_units"`
			Value  float64 `bun:"e_value"`
			Num    float64 `bun:"e_num"`
			Den    float64 `bun:"e_den"`
			Yes    int     `bun:"e_yes"`
		}
		for i := 0; i < len(rootPaths); i += 500 {
			var part []struct {
				Path   string  `bun:"path"`
				Period string  `bun:"period"`
				Units  int     `bun:"e_units"`
				Value  float64 `bun:"e_value"`
				Num    float64 `bun:"e_num"`
				Den    float64 `bun:"e_den"`
				Yes    int     `bun:"e_yes"`
			}
			err := s.db.NewSelect().TableExpr("kpi_rollups AS r").Join("JOIN org_units AS u ON u.id = r.org_unit_id").
				ColumnExpr("u.path, r.period, r.e_units, r.e_value, r.e_num, r.e_den, r.e_yes").
				Where("r.indicator_id = ? AND r.class = ?", q.Indicator.ID, class).
				Where("u.path IN (?)", bun.In(rootPaths[i:min(i+500, len(rootPaths))])).Where("r.period IN (?)", bun.In(periods)).
				Scan(ctx, &part)
			if err != nil {
				return nil, fmt.Errorf("kpi: roll-ups: %w", err)
			}
			rs = append(rs, part...)
		}
		for _, r := range rs {
			if out[r.Path] == nil {
				out[r.Path] = map[string]Agg{}
			}
			out[r.Path][r.Period] = Agg{Units: r.Units, Value: r.Value, Num: r.Num, Den: r.Den, Yes: r.Yes}
		}
		return out, nil
	}
	// As of a date: the versions valid then, folded by the same rule.
	var hs []struct {
		Path   string   `bun:"path"`
		Period string   `bun:"period"`
		State  State    `bun:"state"`
		Value  *float64 `bun:"value"`
		Num    *float64 `bun:"numerator"`
		Den    *float64 `bun:"denominator"`
	}
	conds := make([]string, len(rootPaths))
	args := make([]any, len(rootPaths))
	for i, p := range rootPaths {
		conds[i], args[i] = "u.path LIKE ?", p+"%"
	}
	d := q.AsOf.String()
	err := s.db.NewSelect().TableExpr("data_value_history AS h").Join("JOIN data_values AS dv ON dv.id = h.data_value_id").
		Join("JOIN org_units AS u ON u.id = dv.org_unit_id").
		ColumnExpr("u.path, dv.period, h.state, h.value, h.numerator, h.denominator").
		Where("dv.indicator_id = ?", q.Indicator.ID).Where("dv.period IN (?)", bun.In(periods)).
		Where("h.valid_from <= ? AND (h.valid_to IS NULL OR h.valid_to > ?)", d, d).
		Where("("+strings.Join(conds, " OR ")+")", args...).Scan(ctx, &hs)
	if err != nil {
		return nil, fmt.Errorf("kpi: values as of %s: %w", d, err)
	}
	owns := map[string]map[string]Agg{}
	for _, h := range hs {
		if (class == classCounted && !h.State.Counted()) || (class == classApproved && !h.State.ApprovedClass()) {
			continue
		}
		if owns[h.Period] == nil {
			owns[h.Period] = map[string]Agg{}
		}
		owns[h.Period][h.Path] = ownAgg(h.Value, h.Num, h.Den)
	}
	for period, o := range owns {
		for root, a := range q.Indicator.foldTree(o, rootPaths) {
			if out[root] == nil {
				out[root] = map[string]Agg{}
			}
			out[root][period] = a
		}
	}
	return out, nil
}

// basePeriods are the periods of ind's type making up p: INVALID when p is
// finer than the indicator's periods.
func basePeriods(ind *Indicator, p Period, field string) ([]string, error) {
	if !ind.PeriodType.finer(p.Type) {
		return nil, &store.Error{Code: store.Invalid, Field: field,
			Message: fmt.Sprintf("chỉ tiêu %s báo cáo theo %s, không tính được cho kỳ %s", ind.Code, periodVI[ind.PeriodType], p),
			English: fmt.Sprintf("indicator %s is reported by %s; it has no figure for %s", ind.Code, strings.ToLower(string(ind.PeriodType)), p)}
	}
	var out []string
	for _, b := range p.Parts(ind.PeriodType) {
		out = append(out, b.String())
	}
	return out, nil
}

// combine is the figure for p of a unit whose base-period figures are by.
func combine(ind *Indicator, by []map[string]Agg, parts []string) Result {
	aggs := make([]Agg, len(parts))
	for i, b := range parts {
		for _, m := range by {
			aggs[i] = aggs[i].add(m[b])
		}
	}
	if len(aggs) == 1 {
		return ind.result(aggs[0], 0)
	}
	a, unitPeriods := ind.overTime(aggs)
	return ind.result(a, unitPeriods)
}

// Figure is a figure with its target.
type Figure struct {
	Period   string
	Result   Result
	Expected int
	Target   *float64
}

// Attainment is how far the figure reaches its target, in percent: value ÷
// target when higher is better, target ÷ value when lower is.
func (f Figure) Attainment(ind *Indicator) *float64 {
	if f.Target == nil || f.Result.Value == nil {
		return nil
	}
	v, t := *f.Result.Value, *f.Target
	var a float64
	switch {
	case ind.Direction == LowerIsBetter && v == 0:
		a = 100
	case ind.Direction == LowerIsBetter:
		a = 100 * t / v
	case t == 0:
		a = 100
	default:
		a = 100 * v / t
	}
	return finite(&a)
}

// Series returns the figures of the unit at path for each period from..to
// (of one type), as the caller sc reads them.
func (s *Store) Series(ctx context.Context, sc rbac.Scope, q Query, u *Unit, from, to Period) ([]Figure, error) {
	if from.Type != to.Type || to.String() < from.String() && to.Year <= from.Year {
		return nil, &store.Error{Code: store.Invalid, Field: "to", Message: "kỳ đến phải cùng loại và không trước kỳ từ", English: "to must be of the same type as from and not before it"}
	}
	var periods []Period
	for p := from; len(periods) <= MaxSeries; p = p.Next() {
		periods = append(periods, p)
		if p == to {
			break
		}
	}
	if len(periods) > MaxSeries {
		return nil, &store.Error{Code: store.Invalid, Field: "to", Message: fmt.Sprintf("tối đa %d kỳ", MaxSeries), English: fmt.Sprintf("at most %d periods", MaxSeries)}
	}
	rs := roots(sc, u.Path)
	var all []string
	parts := make([][]string, len(periods))
	for i, p := range periods {
		b, err := basePeriods(q.Indicator, p, "from")
		if err != nil {
			return nil, err
		}
		parts[i] = b
		all = append(all, b...)
	}
	by, err := s.aggs(ctx, q, rs, all)
	if err != nil {
		return nil, err
	}
	expected, err := s.expected(ctx, q.Indicator, rs)
	if err != nil {
		return nil, err
	}
	maps := make([]map[string]Agg, 0, len(rs))
	for _, r := range rs {
		maps = append(maps, by[r])
	}
	targets, err := s.targets(ctx, q.Indicator, []int64{u.ID}, periodStrings(periods))
	if err != nil {
		return nil, err
	}
	out := make([]Figure, len(periods))
	for i, p := range periods {
		out[i] = Figure{Period: p.String(), Result: combine(q.Indicator, maps, parts[i]), Expected: expected, Target: targets.of(u.ID, p.String())}
	}
	return out, nil
}

// MaxSeries is the most periods one series has.
const MaxSeries = 120

func periodStrings(ps []Period) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// Value returns the figure of the unit for period p, as sc reads it.
func (s *Store) Value(ctx context.Context, sc rbac.Scope, q Query, u *Unit, p Period) (Figure, error) {
	fs, err := s.Series(ctx, sc, q, u, p, p)
	if err != nil {
		return Figure{}, err
	}
	return fs[0], nil
}

// expected counts the reporting units of ind in the subtrees.
func (s *Store) expected(ctx context.Context, ind *Indicator, rootPaths []string) (int, error) {
	m, err := s.expectedUnder(ctx, ind, rootPaths)
	n := 0
	for _, v := range m {
		n += v
	}
	return n, err
}

// expectedUnder counts the reporting units of ind under each root, in one
// statement.
func (s *Store) expectedUnder(ctx context.Context, ind *Indicator, rootPaths []string) (map[string]int, error) {
	out := map[string]int{}
	if len(rootPaths) == 0 {
		return out, nil
	}
	root, args := rootOf(rootPaths)
	var rs []struct {
		Root string `bun:"root"`
		N    int    `bun:"n"`
	}
	err := s.db.NewSelect().TableExpr("org_units AS u").ColumnExpr(root+" AS root, COUNT(*) AS n", args...).
		Where("("+root+") IS NOT NULL", args...).
		Where("u.kind IN (?)", bun.In([]string(ind.ReportingKinds))).GroupExpr("root").Scan(ctx, &rs)
	if err != nil {
		return nil, fmt.Errorf("kpi: expected units: %w", err)
	}
	for _, r := range rs {
		out[r.Root] = r.N
	}
	return out, nil
}

// rootOf is an SQL expression (and its arguments) that is the root among
// rootPaths of the unit u (its path's prefix that is one of them), NULL for
// a unit under none: the roots grouped by length, each length a lookup of
// "substr(u.path, 1, length)" among them, so one statement covers roots of
// any lengths (the ministries' codes differ in length) without joining on
// path LIKE root || '%', which compares every unit with every root.
func rootOf(rootPaths []string) (string, []any) {
	by := map[int][]string{}
	var lengths []int
	for _, p := range rootPaths {
		n := utf8.RuneCountInString(p)
		if by[n] == nil {
			lengths = append(lengths, n)
		}
		by[n] = append(by[n], p)
	}
	sort.Ints(lengths)
	var expr strings.Builder
	args := make([]any, 0, 3*len(lengths))
	expr.WriteString("CASE")
	for _, n := range lengths {
		expr.WriteString(" WHEN substr(u.path, 1, ?) IN (?) THEN substr(u.path, 1, ?)")
		args = append(args, n, bun.In(by[n]), n)
	}
	expr.WriteString(" END")
	return expr.String(), args
}

// UnitTargets are the targets set on u itself for p (not the national ones
// it falls back to), by indicator: one per indicator at most.
func (s *Store) UnitTargets(ctx context.Context, u *Unit, p Period) ([]*Target, error) {
	var ts []*Target
	// Through indicators, so the (indicator, period, unit) key finds each.
	err := s.db.NewSelect().Model(&ts).Where("kt.indicator_id IN (SELECT id FROM indicators)").
		Where("kt.period = ?", p.String()).Where("kt.org_unit_id = ?", u.ID).OrderExpr("kt.indicator_id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("kpi: targets of %s: %w", u.Code, err)
	}
	return ts, nil
}

type targetMap struct {
	own      map[[2]any]float64
	national map[string]float64
}

func (t targetMap) of(unit int64, period string) *float64 {
	if v, ok := t.own[[2]any{unit, period}]; ok {
		return finite(&v)
	}
	if v, ok := t.national[period]; ok {
		return finite(&v)
	}
	return nil
}

// targets reads the targets of units and of the nation for periods.
func (s *Store) targets(ctx context.Context, ind *Indicator, units []int64, periods []string) (targetMap, error) {
	m := targetMap{own: map[[2]any]float64{}, national: map[string]float64{}}
	var ts []struct {
		Unit   int64   `bun:"org_unit_id"`
		Period string  `bun:"period"`
		Value  float64 `bun:"value"`
		Path   string  `bun:"path"`
	}
	err := s.db.NewSelect().TableExpr("kpi_targets AS t").Join("JOIN org_units AS u ON u.id = t.org_unit_id").
		ColumnExpr("t.org_unit_id, t.period, t.value, u.path").Where("t.indicator_id = ?", ind.ID).
		Where("t.period IN (?)", bun.In(periods)).Where("(t.org_unit_id IN (?) OR u.path = ?)", bun.In(units), rbac.RootPath).Scan(ctx, &ts)
	if err != nil {
		return m, fmt.Errorf("kpi: targets: %w", err)
	}
	for _, t := range ts {
		if t.Path == rbac.RootPath {
			m.national[t.Period] = t.Value
		}
		m.own[[2]any{t.Unit, t.Period}] = t.Value
	}
	return m, nil
}

// Ranked is a unit's place in a ranking.
type Ranked struct {
	Unit     *Unit
	Figure   Figure
	Previous Result
	Rank     int // 0: no value
}

// Ranking ranks the units of kind level that sc reads by their figure for
// p (best first by the indicator's direction; equal figures share a rank;
// units without a figure come last, unranked), with the previous period's.
func (s *Store) Ranking(ctx context.Context, sc rbac.Scope, q Query, level string, p Period) ([]Ranked, error) {
	units, err := s.unitsAt(ctx, sc, level)
	if err != nil {
		return nil, err
	}
	cur, err := basePeriods(q.Indicator, p, "period")
	if err != nil {
		return nil, err
	}
	prev, _ := basePeriods(q.Indicator, p.Previous(), "period")
	paths := make([]string, len(units))
	ids := make([]int64, len(units))
	for i, u := range units {
		paths[i], ids[i] = u.Path, u.ID
	}
	by, err := s.aggs(ctx, q, paths, append(append([]string{}, cur...), prev...))
	if err != nil {
		return nil, err
	}
	expected, err := s.expectedUnder(ctx, q.Indicator, paths)
	if err != nil {
		return nil, err
	}
	targets, err := s.targets(ctx, q.Indicator, ids, []string{p.String()})
	if err != nil {
		return nil, err
	}
	out := make([]Ranked, len(units))
	for i, u := range units {
		m := []map[string]Agg{by[u.Path]}
		out[i] = Ranked{Unit: u, Figure: Figure{Period: p.String(), Result: combine(q.Indicator, m, cur), Expected: expected[u.Path], Target: targets.of(u.ID, p.String())},
			Previous: combine(q.Indicator, m, prev)}
	}
	better := func(a, b float64) bool {
		if q.Indicator.Direction == LowerIsBetter {
			return a < b
		}
		return a > b
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Figure.Result.Value, out[j].Figure.Result.Value
		switch {
		case a == nil || b == nil:
			return a != nil && b == nil
		default:
			return better(*a, *b)
		}
	})
	for i := range out {
		if out[i].Figure.Result.Value == nil {
			break
		}
		out[i].Rank = i + 1
		if i > 0 && *out[i-1].Figure.Result.Value == *out[i].Figure.Result.Value {
			out[i].Rank = out[i-1].Rank
		}
	}
	return out, nil
}

// unitsAt lists the units of kind level that sc reads, in code order.
func (s *Store) unitsAt(ctx context.Context, sc rbac.Scope, level string) ([]*Unit, error) {
	var us []*Unit
	cond, args := sc.ReadFilter("path")
	if err := s.db.NewSelect().Table("org_units").Column("id", "code", "name", "path", "kind").Where("kind = ?", level).
		Where(cond, args...).OrderExpr("sort_order, code").Limit(MaxLevelUnits).Scan(ctx, &us); err != nil {
		return nil, fmt.Errorf("kpi: units: %w", err)
	}
	return us, nil
}

// MaxLevelUnits bounds the units of a ranking, score or completeness table.
const MaxLevelUnits = 20000
