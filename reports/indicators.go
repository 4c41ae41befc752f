package reports

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/wcharczuk/go-chart/v2/drawing"

	"p06/kpi"
	"p06/org"
	"p06/rbac"
	"p06/store"
)

// The indicators' charts and the report's indicator section read the
// figures through kpi's own queries (Store.Series and Store.Ranking, those
// behind kpiSeries and kpiRanking): the roll-up exists once, in kpi/.

// indicatorType is the type name of an indicator's global ID (graph/).
const indicatorType = "Indicator"

var (
	valueColor  = drawing.ColorFromHex("1e88e5")
	targetColor = drawing.ColorFromHex("fb8c00")
)

// Indicator is the indicator named by its global ID v (as the API
// gives it): INVALID when v is none, NOT_FOUND when there is no such
// indicator.
func (s *Service) Indicator(ctx context.Context, v string) (*kpi.Indicator, error) {
	typ, id, ok := store.ParseGlobalID(v)
	if !ok || typ != indicatorType {
		return nil, invalid("indicator", fmt.Sprintf("indicator %q không phải ID của một chỉ tiêu (lấy từ indicators { id })", store.Clip(v)),
			fmt.Sprintf("indicator %q is not the ID of an indicator (take it from indicators { id })", store.Clip(v)))
	}
	return s.kpi.Indicator(ctx, id)
}

// periodParam reads a period parameter, def when absent.
func periodParam(v, field string, def kpi.Period) (kpi.Period, error) {
	if v == "" {
		return def, nil
	}
	p, err := ParsePeriod(v, field)
	if err != nil {
		return kpi.Period{}, err
	}
	return p.KPI(), nil
}

// lastEnded is the last period of type t that has ended by today: the
// default of the indicators' charts (values are entered after their period).
func lastEnded(t kpi.PeriodType, today store.Date) kpi.Period {
	return kpi.PeriodOf(t, today).Previous()
}

// indicatorTitle is the indicator's name with its unit of measure.
func indicatorTitle(l Lang, ind *kpi.Indicator) string {
	name := ind.Label(l == English)
	if ind.Unit != "" {
		name += " (" + ind.Unit + ")"
	}
	return name
}

// IndicatorTrend is the line of the indicator's figures for the unit (as sc
// reads them: kpiSeries) from from to to, with its targets dashed.
func (s *Service) IndicatorTrend(ctx context.Context, sc rbac.Scope, ind *kpi.Indicator, u *org.Unit, from, to kpi.Period, lang Lang) (Lines, error) {
	ku, err := s.kpi.UnitByCode(ctx, sc, u.Code)
	if err != nil {
		return Lines{}, err
	}
	fs, err := s.kpi.Series(ctx, sc, kpi.Query{Indicator: ind}, ku, from, to)
	if err != nil {
		return Lines{}, err
	}
	return seriesOf(ind, fs).lines(lang, unitName(lang, u.Name, u.NameEn)), nil
}

// seriesOf is the plain data of ind's figures fs.
func seriesOf(ind *kpi.Indicator, fs []kpi.Figure) IndicatorSeries {
	t := IndicatorSeries{Code: ind.Code, Name: ind.Name, NameEn: ind.NameEn, Unit: ind.Unit}
	for _, f := range fs {
		t.Periods = append(t.Periods, f.Period)
		t.Values = append(t.Values, f.Result.Value)
		t.Targets = append(t.Targets, f.Target)
	}
	return t
}

// lines is the chart of the series for the unit named unit: the figures,
// and the targets dashed when there are any.
func (t IndicatorSeries) lines(lang Lang, unit string) Lines {
	name := unitName(lang, t.Name, t.NameEn)
	if t.Unit != "" {
		name += " (" + t.Unit + ")"
	}
	l := Lines{Lang: lang, Title: name + " – " + unit}
	value := Series{Name: msg(lang, "Giá trị", "Value"), Color: valueColor}
	target := Series{Name: msg(lang, "Chỉ tiêu giao", "Target"), Color: targetColor, Dashed: true}
	targets := false
	for i, key := range t.Periods {
		k, _ := kpi.ParsePeriod(key, "period")
		l.XLabels = append(l.XLabels, periodLabel(lang, k))
		value.Values = append(value.Values, orNaN(t.Values[i]))
		target.Values = append(target.Values, orNaN(t.Targets[i]))
		targets = targets || t.Targets[i] != nil
	}
	l.Series = []Series{value}
	if targets {
		l.Series = append(l.Series, target)
	}
	return l
}

func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// IndicatorRanking is the bars of the units of kind level that sc reads
// ranked on the indicator for p (kpiRanking), best first; units without a
// figure last, without a bar.
func (s *Service) IndicatorRanking(ctx context.Context, sc rbac.Scope, ind *kpi.Indicator, level org.Kind, p kpi.Period, lang Lang) (Bars, error) {
	rs, err := s.kpi.Ranking(ctx, sc, kpi.Query{Indicator: ind}, string(level), p)
	if err != nil {
		return Bars{}, err
	}
	return rankingBars(lang, ind, level, p, rs), nil
}

func rankingBars(lang Lang, ind *kpi.Indicator, level org.Kind, p kpi.Period, rs []kpi.Ranked) Bars {
	what := msg(lang, "tỉnh, thành phố", "provinces")
	if level == org.Ministry {
		what = msg(lang, "bộ, ngành", "ministries")
	}
	b := Bars{Lang: lang, Totals: true,
		Title: msg(lang, "Xếp hạng "+what+" – ", "Ranking of "+what+" – ") + indicatorTitle(lang, ind) + ", " + periodOf(p).Title(lang)}
	sr := Series{Name: indicatorTitle(lang, ind), Color: valueColor, Values: make([]float64, len(rs))}
	for i, r := range rs {
		label := r.Unit.Name
		if r.Rank > 0 {
			label = fmt.Sprintf("%d. %s", r.Rank, r.Unit.Name)
		}
		b.Labels = append(b.Labels, label)
		sr.Values[i] = orNaN(r.Figure.Result.Value)
	}
	b.Series = []Series{sr}
	return b
}

// maxIndicatorCharts is how many indicators a report charts: those with a
// target first, then those with a value, in the indicators' order.
const maxIndicatorCharts = 4

// trendPeriods is how many periods an indicator's chart in a report spans,
// up to the report's: a year of months, two of quarters, five years.
var trendPeriods = map[kpi.PeriodType]int{kpi.Month: 12, kpi.Quarter: 8, kpi.Year: 5}

// indicatorSection is the report's indicators: every indicator with a
// figure for periods like p that is reported in the unit's subtree (or
// has a value or a target there), with its figure for p as sc reads it
// (kpiValue); with trend, the trends of a few of them.
func (s *Service) indicatorSection(ctx context.Context, sc rbac.Scope, u *org.Unit, p Period, trend bool) ([]IndicatorRow, []IndicatorSeries, error) {
	rows := []IndicatorRow{}
	ku, err := s.kpi.UnitByCode(ctx, sc, u.Code)
	if err != nil {
		return nil, nil, err
	}
	inds, err := s.kpi.Indicators(ctx, kpi.IndicatorFilter{})
	if err != nil {
		return nil, nil, err
	}
	groups, err := s.kpi.Groups(ctx)
	if err != nil {
		return nil, nil, err
	}
	groupOf := map[int64]*kpi.Group{}
	for _, g := range groups {
		groupOf[g.ID] = g
	}
	kp := p.KPI()
	var charted []*kpi.Indicator
	var later []*kpi.Indicator
	var ours []*kpi.Indicator
	for _, ind := range inds {
		if ind.HasFigureFor(kp) {
			ours = append(ours, ind)
		}
	}
	figs, err := s.values(ctx, sc, ours, ku, kp)
	if err != nil {
		return nil, nil, err
	}
	for i, ind := range ours {
		f := figs[i]
		if f.Expected == 0 && f.Result.Value == nil && f.Target == nil {
			continue // not reported here
		}
		row := IndicatorRow{Code: ind.Code, Name: ind.Name, NameEn: ind.NameEn, Unit: ind.Unit, Value: f.Result.Value,
			Target: f.Target, Attainment: f.Attainment(ind), Contributing: f.Result.Contributing, Expected: f.Expected}
		if g := groupOf[ind.GroupID]; g != nil {
			row.Group, row.GroupEn = g.Name, g.NameEn
		}
		rows = append(rows, row)
		switch {
		case f.Target != nil:
			charted = append(charted, ind)
		case f.Result.Value != nil:
			later = append(later, ind)
		}
	}
	if !trend {
		return rows, nil, nil
	}
	charted = append(charted, later...)
	// Periods like the report's, up to it: its target is of those.
	from := kp
	for range trendPeriods[kp.Type] - 1 {
		from = from.Previous()
	}
	charted = charted[:min(len(charted), maxIndicatorCharts)]
	trends := make([]IndicatorSeries, len(charted))
	err = atOnce(len(charted), func(i int) error {
		fs, err := s.kpi.Series(ctx, sc, kpi.Query{Indicator: charted[i]}, ku, from, kp)
		trends[i] = seriesOf(charted[i], fs)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return rows, trends, nil
}

// figureWorkers is how many indicators' figures a report asks for at once:
// each is a few statements (kpiValue's), and their round trips overlap.
const figureWorkers = 4

// values is kpiValue's figure of each indicator for the unit and period,
// asked figureWorkers at a time.
func (s *Service) values(ctx context.Context, sc rbac.Scope, inds []*kpi.Indicator, u *kpi.Unit, p kpi.Period) ([]kpi.Figure, error) {
	out := make([]kpi.Figure, len(inds))
	err := atOnce(len(inds), func(i int) (err error) {
		out[i], err = s.kpi.Value(ctx, sc, kpi.Query{Indicator: inds[i]}, u, p)
		return err
	})
	return out, err
}

// atOnce calls fn for 0..n-1, figureWorkers at a time, and returns their
// errors joined.
func atOnce(n int, fn func(i int) error) error {
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(figureWorkers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = fn(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}
