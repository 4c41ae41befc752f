package reports

import (
	"fmt"

	"p06/kpi"
	"p06/store"
)

// Period is a reporting period: a month ("2024-01"), a quarter ("2024Q1")
// or a year ("2024"), read and reckoned by kpi.Period (one period type for
// the indicators and the reports); Key, Start and End are what a report
// (and a frozen snapshot of it) says of it.
type Period struct {
	Key   string     `json:"key"`
	Start store.Date `json:"start"`
	End   store.Date `json:"end"`
}

// periodOf is the reporting period of the indicators' period p.
func periodOf(p kpi.Period) Period { return Period{Key: p.String(), Start: p.Start(), End: p.End()} }

// KPI is the period as the indicators reckon it.
func (p Period) KPI() kpi.Period {
	k, _ := kpi.ParsePeriod(p.Key, "period") // Key came from ParsePeriod
	return k
}

// ParsePeriod reads a period key (kpi.ParsePeriod) of a year from 2000 to
// 2100; a bad one is INVALID on field.
func ParsePeriod(s, field string) (Period, error) {
	if len(s) > len("2024-01") {
		s = store.Clip(s) // so that the message does not quote all of it
	}
	k, err := kpi.ParsePeriod(s, field)
	if err != nil {
		return Period{}, err
	}
	if k.Year < 2000 || k.Year > 2100 {
		return Period{}, invalid(field, fmt.Sprintf("kỳ báo cáo %q ngoài các năm 2000–2100", s),
			fmt.Sprintf("period %q is outside the years 2000–2100", s))
	}
	return periodOf(k), nil
}

// MonthBefore is the month that ended before day: the period the first of
// each month freezes.
func MonthBefore(day store.Date) Period {
	return periodOf(kpi.PeriodOf(kpi.Month, day).Previous())
}

// Title is the period in words: "tháng 01/2024", "quý I/2024", "năm 2024".
func (p Period) Title(l Lang) string {
	k := p.KPI()
	switch k.Type {
	case kpi.Month:
		return msg(l, fmt.Sprintf("tháng %02d/%d", k.Index, k.Year), p.Start.Time().Format("January 2006"))
	case kpi.Quarter:
		roman := [...]string{"", "I", "II", "III", "IV"}[k.Index]
		return msg(l, fmt.Sprintf("quý %s/%d", roman, k.Year), fmt.Sprintf("Q%d %d", k.Index, k.Year))
	}
	return msg(l, fmt.Sprintf("năm %d", k.Year), fmt.Sprint(k.Year))
}

// periodLabel is a period's short name on a chart's axis: "12/2023",
// "Q4/2023", "2023" (English: the key).
func periodLabel(l Lang, k kpi.Period) string {
	if l == English {
		return k.String()
	}
	switch k.Type {
	case kpi.Month:
		return fmt.Sprintf("%02d/%d", k.Index, k.Year)
	case kpi.Quarter:
		return fmt.Sprintf("Q%d/%d", k.Index, k.Year)
	}
	return fmt.Sprint(k.Year)
}

// sampleDays are at most most evenly spaced days from from to to, both
// included (61: every day of a month, about weekly over a year).
func sampleDays(from, to store.Date, most int) []store.Date {
	n := from.DaysUntil(to)
	step := max(1, (n+most-2)/(most-1))
	var out []store.Date
	for d := 0; d < n; d += step {
		out = append(out, from.AddDays(d))
	}
	return append(out, to)
}
