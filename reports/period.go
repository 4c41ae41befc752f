package reports

import (
	"fmt"
	"regexp"
	"strconv"
	"time"

	"p06/store"
)

// Period is a reporting period: a month ("2024-01"), a quarter ("2024Q1")
// or a year ("2024"), the same keys indicator values use.
type Period struct {
	Key   string     `json:"key"`
	Start store.Date `json:"start"`
	End   store.Date `json:"end"`
}

var periodRE = regexp.MustCompile(`^(\d{4})(?:-(\d{2})|Q([1-4]))?$`)

// ParsePeriod reads a period key; a bad one is INVALID on field.
func ParsePeriod(s, field string) (Period, error) {
	m := periodRE.FindStringSubmatch(s)
	bad := &store.Error{Code: store.Invalid, Field: field,
		Message: fmt.Sprintf("kỳ báo cáo %q không hợp lệ: dùng tháng (2024-01), quý (2024Q1) hoặc năm (2024)", s),
		English: fmt.Sprintf("period %q is invalid: use a month (2024-01), a quarter (2024Q1) or a year (2024)", s)}
	if m == nil {
		return Period{}, bad
	}
	y, _ := strconv.Atoi(m[1])
	if y < 2000 || y > 2100 {
		return Period{}, bad
	}
	first, months := time.January, 12
	switch {
	case m[2] != "":
		mo, _ := strconv.Atoi(m[2])
		if mo < 1 || mo > 12 {
			return Period{}, bad
		}
		first, months = time.Month(mo), 1
	case m[3] != "":
		q, _ := strconv.Atoi(m[3])
		first, months = time.Month(3*q-2), 3
	}
	start := store.NewDate(y, first, 1)
	end := store.NewDate(y, first+time.Month(months), 1).AddDays(-1)
	return Period{Key: s, Start: start, End: end}, nil
}

// MonthBefore is the month that ended before day: the period the first of
// each month freezes.
func MonthBefore(day store.Date) Period {
	d := store.NewDate(day.Year, day.Month, 1).AddDays(-1)
	p, _ := ParsePeriod(fmt.Sprintf("%04d-%02d", d.Year, int(d.Month)), "period")
	return p
}

// Title is the period in words: "tháng 01/2024", "quý I/2024", "năm 2024".
func (p Period) Title(l Lang) string {
	switch len(p.Key) {
	case 7:
		return msg(l, fmt.Sprintf("tháng %02d/%d", int(p.Start.Month), p.Start.Year), p.Start.Time().Format("January 2006"))
	case 6:
		q := p.Key[5:]
		roman := map[string]string{"1": "I", "2": "II", "3": "III", "4": "IV"}[q]
		return msg(l, fmt.Sprintf("quý %s/%d", roman, p.Start.Year), fmt.Sprintf("Q%s %d", q, p.Start.Year))
	}
	return msg(l, fmt.Sprintf("năm %d", p.Start.Year), fmt.Sprint(p.Start.Year))
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
