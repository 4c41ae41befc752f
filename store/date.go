package store

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// VN is the time zone of every "today", deadline and period in the product:
// Asia/Ho_Chi_Minh. Vietnam has kept UTC+7 without daylight saving since 1975,
// so a fixed zone is exact and needs no tzdata on the host.
var VN = time.FixedZone("Asia/Ho_Chi_Minh", 7*60*60)

// Clock tells the current time. Domain code takes one instead of calling
// time.Now, so tests can pin "today".
type Clock func() time.Time

// SystemClock reads the machine's clock.
func SystemClock() time.Time { return time.Now() }

// FixedClock returns a clock that always answers t. Tests that go through
// anything reading the real clock (a cookie jar, TLS, file times) must not
// use it; they use ShiftedClock.
func FixedClock(t time.Time) Clock { return func() time.Time { return t } }

// ShiftedClock returns the machine's clock moved by d: a test that talks
// HTTP with a real cookie jar can run the server a year ahead or behind and
// still agree with the jar about how long a cookie lives.
func ShiftedClock(d time.Duration) Clock { return func() time.Time { return time.Now().Add(d) } }

// Date is a calendar date without a time of day, as written in documents
// ("31/3/2024"). It is stored as TEXT "YYYY-MM-DD" on every database, so dates
// compare the same way in SQL on SQLite and PostgreSQL. The zero Date means
// "no date" and is stored as NULL.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// Beginning is the first day of the calendar, "0001-01-01": facts that hold
// "since always" (seeded rows that reconstruct the past) start on it.
var Beginning = Date{1, time.January, 1}

// NewDate returns the date y-m-d, normalised the way time.Date normalises
// (NewDate(2024, 3, 0) is 29 February 2024).
func NewDate(y int, m time.Month, d int) Date {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return Date{t.Year(), t.Month(), t.Day()}
}

// DateOf returns the calendar date of t in Asia/Ho_Chi_Minh.
func DateOf(t time.Time) Date {
	t = t.In(VN)
	return Date{t.Year(), t.Month(), t.Day()}
}

// Today returns the current date in Asia/Ho_Chi_Minh by clock c.
func Today(c Clock) Date { return DateOf(c()) }

// MinYear is the earliest year a date or time given by a caller may name:
// nothing in the programme is older, and both databases handle every day
// from it on.
const MinYear = 1900

// ParseDate reads "YYYY-MM-DD".
func ParseDate(s string) (Date, error) {
	// The common case without time.Parse (every date column of every row
	// read goes through here); anything else, valid or not, is time.Parse's.
	if len(s) == 10 && s[4] == '-' && s[7] == '-' {
		y, ok1 := digits(s[0:4])
		m, ok2 := digits(s[5:7])
		d, ok3 := digits(s[8:10])
		if ok1 && ok2 && ok3 && m >= 1 && m <= 12 && d >= 1 && d <= daysIn(time.Month(m), y) {
			return Date{y, time.Month(m), d}, nil
		}
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("ngày %q không đúng dạng YYYY-MM-DD", s)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

// MustDate is ParseDate for literals in code and tests; it panics on bad input.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// IsZero reports whether d is the zero Date ("no date").
func (d Date) IsZero() bool { return d == Date{} }

// daysIn is the number of days of month m of year y.
func daysIn(m time.Month, y int) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// digits reads s, made of ASCII digits only.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// String formats d as "YYYY-MM-DD", or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	if d.Year < 0 || d.Year > 9999 || d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Day > 99 {
		return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
	}
	b := [10]byte{byte('0' + d.Year/1000), byte('0' + d.Year/100%10), byte('0' + d.Year/10%10), byte('0' + d.Year%10), '-',
		byte('0' + int(d.Month)/10), byte('0' + int(d.Month)%10), '-', byte('0' + d.Day/10), byte('0' + d.Day%10)}
	return string(b[:])
}

// Time returns midnight at the start of d in Asia/Ho_Chi_Minh.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, VN) }

// AddDays returns d moved by n days.
func (d Date) AddDays(n int) Date { return NewDate(d.Year, d.Month, d.Day+n) }

// Before reports whether d is strictly earlier than e.
func (d Date) Before(e Date) bool { return d.String() < e.String() }

// After reports whether d is strictly later than e.
func (d Date) After(e Date) bool { return e.Before(d) }

// DaysUntil returns the number of days from d to e (negative when e is earlier).
func (d Date) DaysUntil(e Date) int {
	a := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	b := time.Date(e.Year, e.Month, e.Day, 0, 0, 0, 0, time.UTC)
	return int(b.Sub(a).Hours() / 24)
}

// Value stores d as TEXT, or NULL for the zero Date.
func (d Date) Value() (driver.Value, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.String(), nil
}

// Scan reads a date stored as TEXT (or, from drivers that convert, a time).
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = Date{}
		return nil
	case string:
		return d.scanString(v)
	case []byte:
		return d.scanString(string(v))
	case time.Time:
		*d = Date{v.Year(), v.Month(), v.Day()}
		return nil
	}
	return fmt.Errorf("store: cannot scan %T into Date", src)
}

func (d *Date) scanString(s string) error {
	if s == "" {
		*d = Date{}
		return nil
	}
	if len(s) > 10 {
		s = s[:10]
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ParseStoredInstant reads an instant as bun stores it on SQLite,
// "2006-01-02 15:04:05.999999+00:00" (the fraction and the offset perhaps
// left out: then UTC), and returns it in UTC. The common form is read by
// hand (every assignment of a page goes through here); anything else is
// time.Parse's.
func ParseStoredInstant(s string) (time.Time, error) {
	if len(s) >= 19 && s[4] == '-' && s[7] == '-' && s[10] == ' ' && s[13] == ':' && s[16] == ':' {
		if t, ok := storedInstant(s); ok {
			return t, nil
		}
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an instant as stored", s)
}

func storedInstant(s string) (time.Time, bool) {
	y, ok1 := digits(s[0:4])
	mo, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	h, ok4 := digits(s[11:13])
	mi, ok5 := digits(s[14:16])
	sec, ok6 := digits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > daysIn(time.Month(mo), y) || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	rest, ns := s[19:], 0
	if len(rest) > 0 && rest[0] == '.' {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 1 || i > 10 {
			return time.Time{}, false
		}
		f, _ := digits(rest[1:i])
		for k := i - 1; k < 9; k++ {
			f *= 10
		}
		ns, rest = f, rest[i:]
	}
	off := 0
	switch {
	case rest == "":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, okh := digits(rest[1:3])
		om, okm := digits(rest[4:6])
		if !okh || !okm || oh > 23 || om > 59 {
			return time.Time{}, false
		}
		if off = (oh*60 + om) * 60; rest[0] == '-' {
			off = -off
		}
	default:
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC).Add(-time.Duration(off) * time.Second), true
}
