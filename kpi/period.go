package kpi

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"p06/store"
)

// Period is a month ("2024-01"), a quarter ("2024Q1") or a year ("2024").
type Period struct {
	Type  PeriodType
	Year  int
	Index int // month 1–12, quarter 1–4, 1 for a year
}

var periodRE = regexp.MustCompile(`^(\d{4})(?:-(\d{2})|Q([1-4]))?$`)

// ParsePeriod reads a period; field names the input for the error.
func ParsePeriod(s, field string) (Period, error) {
	m := periodRE.FindStringSubmatch(s)
	if m != nil {
		y, _ := strconv.Atoi(m[1])
		switch {
		case m[2] != "":
			if mo, _ := strconv.Atoi(m[2]); mo >= 1 && mo <= 12 && y >= 1900 {
				return Period{Month, y, mo}, nil
			}
		case m[3] != "":
			q, _ := strconv.Atoi(m[3])
			return Period{Quarter, y, q}, nil
		case y >= 1900:
			return Period{Year, y, 1}, nil
		}
	}
	return Period{}, &store.Error{Code: store.Invalid, Field: field,
		Message: fmt.Sprintf("kỳ %q không hợp lệ: dùng tháng \"2024-01\", quý \"2024Q1\" hoặc năm \"2024\"", store.Clip(s)),
		English: fmt.Sprintf("period %q is invalid: use a month \"2024-01\", a quarter \"2024Q1\" or a year \"2024\"", store.Clip(s))}
}

func (p Period) String() string {
	switch p.Type {
	case Month:
		return fmt.Sprintf("%04d-%02d", p.Year, p.Index)
	case Quarter:
		return fmt.Sprintf("%04dQ%d", p.Year, p.Index)
	}
	return fmt.Sprintf("%04d", p.Year)
}

// months is how many months the period type spans.
func (t PeriodType) months() int {
	switch t {
	case Month:
		return 1
	case Quarter:
		return 3
	}
	return 12
}

// firstMonth is the period's first month, 1–12.
func (p Period) firstMonth() int {
	switch p.Type {
	case Month:
		return p.Index
	case Quarter:
		return 3*(p.Index-1) + 1
	}
	return 1
}

// Start is the first day of the period.
func (p Period) Start() store.Date { return store.NewDate(p.Year, time.Month(p.firstMonth()), 1) }

// End is the last day of the period.
func (p Period) End() store.Date {
	return store.NewDate(p.Year, time.Month(p.firstMonth()+p.Type.months()), 1).AddDays(-1)
}

// Previous is the period before p, of the same type.
func (p Period) Previous() Period {
	switch p.Type {
	case Month:
		if p.Index == 1 {
			return Period{Month, p.Year - 1, 12}
		}
		return Period{Month, p.Year, p.Index - 1}
	case Quarter:
		if p.Index == 1 {
			return Period{Quarter, p.Year - 1, 4}
		}
		return Period{Quarter, p.Year, p.Index - 1}
	}
	return Period{Year, p.Year - 1, 1}
}

// Next is the period after p, of the same type.
func (p Period) Next() Period {
	switch p.Type {
	case Month:
		if p.Index == 12 {
			return Period{Month, p.Year + 1, 1}
		}
		return Period{Month, p.Year, p.Index + 1}
	case Quarter:
		if p.Index == 4 {
			return Period{Quarter, p.Year + 1, 1}
		}
		return Period{Quarter, p.Year, p.Index + 1}
	}
	return Period{Year, p.Year + 1, 1}
}

// finer reports whether periods of type t make up periods of type u (a
// month makes up a quarter, and itself).
func (t PeriodType) finer(u PeriodType) bool {
	return t.months() <= u.months() && u.months()%t.months() == 0
}

// Parts are the periods of type t that make up p, in order (p itself when
// it is of type t). t must be finer than p's type.
func (p Period) Parts(t PeriodType) []Period {
	n := p.Type.months() / t.months()
	out := make([]Period, 0, n)
	first := Period{Month, p.Year, p.firstMonth()}
	for i := 0; i < n; i++ {
		m := first.firstMonth() + i*t.months()
		switch t {
		case Month:
			out = append(out, Period{Month, p.Year, m})
		case Quarter:
			out = append(out, Period{Quarter, p.Year, (m-1)/3 + 1})
		default:
			out = append(out, Period{Year, p.Year, 1})
		}
	}
	return out
}

// Due is the last day a value for p is on time: DueDays after p ends.
func (ind *Indicator) Due(p Period) store.Date { return p.End().AddDays(ind.DueDays) }
