package kpi

import "p06/store"

// What the reports (reports/) need of the indicators beyond the queries
// behind kpiSeries and kpiRanking, which they call as they are.

// HasFigureFor reports whether the indicator has a figure for periods of
// p's type: its own period type is as fine as p's or finer (a monthly
// indicator has a figure for a quarter; a yearly one none for a month).
func (ind *Indicator) HasFigureFor(p Period) bool { return ind.PeriodType.finer(p.Type) }

// PeriodOf is the period of type t holding day d.
func PeriodOf(t PeriodType, d store.Date) Period {
	switch t {
	case Month:
		return Period{Month, d.Year, int(d.Month)}
	case Quarter:
		return Period{Quarter, d.Year, (int(d.Month)-1)/3 + 1}
	}
	return Period{Year, d.Year, 1}
}
