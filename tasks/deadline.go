package tasks

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"p06/store"
)

// Precision says how exactly a deadline was written.
type Precision string

// The precisions a deadline can have.
const (
	PrecisionDay        Precision = "DAY"        // a calendar day: "ngày 15/01/2024"
	PrecisionMonth      Precision = "MONTH"      // a month: "tháng 6/2024"
	PrecisionQuarter    Precision = "QUARTER"    // a quarter: "quý II/2024"
	PrecisionHalfYear   Precision = "HALF_YEAR"  // half a year: "6 tháng đầu năm 2024"
	PrecisionYear       Precision = "YEAR"       // a year: "năm 2024"
	PrecisionContinuous Precision = "CONTINUOUS" // ongoing work: "thường xuyên"; no date
	PrecisionNone       Precision = "NONE"       // urgent but undated: "khẩn trương"; no date
)

// Valid reports whether p is one of the constants.
func (p Precision) Valid() bool {
	switch p {
	case PrecisionDay, PrecisionMonth, PrecisionQuarter, PrecisionHalfYear,
		PrecisionYear, PrecisionContinuous, PrecisionNone:
		return true
	}
	return false
}

// Deadline is a deadline as written and what it resolves to.
type Deadline struct {
	Text      string     // the phrase, trimmed and NFC-normalised
	Due       store.Date // last day the work may be done on; zero when there is none
	Precision Precision
}

// ParseDeadline resolves a deadline phrase written the way Vietnamese
// government documents write them. The due date is the last day of the period
// the phrase names:
//
//	"ngày 15/01/2024", "15/01/2024", "ngày 15 tháng 01 năm 2024"  → that day (DAY)
//	"tháng 6/2024", "tháng 06 năm 2024"                          → 30/6/2024 (MONTH)
//	"quý II/2024", "Quý 2 năm 2024"                              → 30/6/2024 (QUARTER)
//	"6 tháng đầu năm 2024", "sáu tháng cuối năm 2024"            → 30/6, 31/12 (HALF_YEAR)
//	"năm 2024", "cuối năm 2024", "năm 2024 và các năm tiếp theo" → 31/12/2024 (YEAR)
//	"đầu năm 2024"                                               → 31/3/2024 (QUARTER)
//	"cuối tháng 6/2024", "cuối quý II/2024"                      → end of that month, quarter
//	"trước Tết Nguyên đán Giáp Thìn 2024", "trước Tết 2024"      → 9/2/2024, the eve of Tết (DAY)
//	"thường xuyên", "hằng năm", "liên tục"                       → no date (CONTINUOUS)
//	"khẩn trương", "sớm", "ngay", "kịp thời"                     → no date (NONE)
//
// A leading "hoàn thành" and "chậm nhất (là)" are ignored, and the period may
// be introduced by "trong" (within: no change), "đến", "đến hết", "từ nay
// đến (hết)" (until: the end of the period) or "trước" (before: the end of the
// period before, so "trước tháng 6/2024" is 31/5/2024 and "trước năm 2025" is
// 31/12/2024). Case, extra spaces, a trailing full stop and decomposed (NFD)
// input are tolerated. Years must have four digits between 1900 and 2100.
//
// Anything else is an INVALID *store.Error that quotes the phrase, says once
// what was not understood and lists the accepted forms with an example of
// each, in Vietnamese (Message) and English; ParseDeadline never guesses.
func ParseDeadline(text string) (Deadline, error) {
	phrase := strings.TrimSpace(norm.NFC.String(text))
	due, prec, err := resolve(canonical(phrase))
	if err != nil {
		var why *store.Error
		if !errors.As(err, &why) {
			why = reason("%v", "%v", err)
		}
		return Deadline{}, &store.Error{
			Code:    store.Invalid,
			Message: fmt.Sprintf("không hiểu thời hạn %q: %s. %s", phrase, why.Message, acceptedVI),
			English: fmt.Sprintf("cannot read the deadline %q: %s. %s", phrase, why.English, acceptedEN),
		}
	}
	return Deadline{Text: phrase, Due: due, Precision: prec}, nil
}

// acceptedVI and acceptedEN list the forms ParseDeadline reads, with an
// example of each, for its error messages.
const (
	acceptedVI = `Các cách viết được chấp nhận: một ngày ("31/3/2024", "ngày 31 tháng 3 năm 2024"), ` +
		`một tháng ("tháng 1/2024"), một quý ("quý I/2024"), nửa năm ("6 tháng đầu năm 2024"), ` +
		`một năm ("năm 2024", "cuối năm 2024", "đầu năm 2024", "năm 2024 và các năm tiếp theo"), ` +
		`kèm "trong", "trước", "đến hết" ("trong năm 2024", "trước tháng 6/2024", "đến hết quý II/2024"), ` +
		`Tết ("từ nay đến Tết Nguyên đán Giáp Thìn 2024", "trước Tết 2024"), ` +
		`không có hạn cụ thể ("thường xuyên", "hằng năm", "khẩn trương")`
	acceptedEN = `Accepted forms: a day ("31/3/2024", "ngày 31 tháng 3 năm 2024"), ` +
		`a month ("tháng 1/2024"), a quarter ("quý I/2024"), a half year ("6 tháng đầu năm 2024"), ` +
		`a year ("năm 2024", "cuối năm 2024", "đầu năm 2024", "năm 2024 và các năm tiếp theo"), ` +
		`with "trong", "trước" or "đến hết" ("trong năm 2024", "trước tháng 6/2024", "đến hết quý II/2024"), ` +
		`Tết ("từ nay đến Tết Nguyên đán Giáp Thìn 2024", "trước Tết 2024"), ` +
		`no fixed date ("thường xuyên", "hằng năm", "khẩn trương")`
)

// reason is why a phrase was not understood, in both languages.
func reason(vi, en string, args ...any) *store.Error {
	return store.Errorf(store.Invalid, vi, en, args...)
}

// canonical lower-cases an NFC phrase and tidies its spacing and punctuation,
// so the grammar below only has to deal with one spelling of each form.
func canonical(s string) string {
	s = strings.ToLower(s)
	// Text converted from old Vietnamese encodings often has the Icelandic
	// eth (ð) where "đ" is meant.
	s = strings.ReplaceAll(s, "ð", "đ")
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(strings.ReplaceAll(s, " /", "/"), "/ ", "/")
	return strings.TrimRight(s, " .;,")
}

// undated are the phrases that set no date, after canonical and without a
// leading "hoàn thành".
var undated = map[string]Precision{
	"thường xuyên":             PrecisionContinuous,
	"liên tục":                 PrecisionContinuous,
	"thường xuyên, liên tục":   PrecisionContinuous,
	"hằng năm":                 PrecisionContinuous,
	"hàng năm":                 PrecisionContinuous,
	"định kỳ hằng năm":         PrecisionContinuous,
	"định kỳ hàng năm":         PrecisionContinuous,
	"hằng quý":                 PrecisionContinuous,
	"hàng quý":                 PrecisionContinuous,
	"định kỳ hằng quý":         PrecisionContinuous,
	"định kỳ hàng quý":         PrecisionContinuous,
	"hằng tháng":               PrecisionContinuous,
	"hàng tháng":               PrecisionContinuous,
	"định kỳ hằng tháng":       PrecisionContinuous,
	"định kỳ hàng tháng":       PrecisionContinuous,
	"sớm":                      PrecisionNone,
	"sớm nhất":                 PrecisionNone,
	"trong thời gian sớm nhất": PrecisionNone,
	"khẩn trương":              PrecisionNone,
	"khẩn trương hoàn thành":   PrecisionNone,
	"ngay":                     PrecisionNone,
	"ngay lập tức":             PrecisionNone,
	"kịp thời":                 PrecisionNone,
}

// marker is the word that introduces the period in a phrase.
type marker int

const (
	markNone   marker = iota // "quý II/2024"
	markIn                   // "trong quý II/2024": within the period
	markUntil                // "đến hết quý II/2024": until the period ends
	markBefore               // "trước quý II/2024": before the period begins
)

// markers are the introducing words, longest first so that a shorter one
// never hides a longer one.
var markers = []struct {
	prefix string
	mark   marker
}{
	{"từ nay đến hết ", markUntil},
	{"từ nay đến ", markUntil},
	{"đến hết ", markUntil},
	{"đến ", markUntil},
	{"trong ", markIn},
	{"trước ", markBefore},
}

// span is a period named by a phrase: its first and last days and how
// exactly it was written.
type span struct {
	first, last store.Date
	prec        Precision
}

// form is one way of writing a dated period.
type form struct {
	re      *regexp.Regexp
	marks   []marker // the markers the form accepts
	endOf   bool     // whether "cuối" (the end of) may precede it
	resolve func(m []string) (span, error)
}

// Sets of markers a form accepts.
var (
	anyMark       = []marker{markNone, markIn, markUntil, markBefore}
	onlyBare      = []marker{markNone}
	bareOrIn      = []marker{markNone, markIn}
	beforeOrUntil = []marker{markUntil, markBefore}
)

// forms are the dated periods ParseDeadline understands, tried in order on
// the phrase left after its marker and any "cuối".
var forms = []form{
	{ // 15/01/2024, ngày 15/01/2024
		re: regexp.MustCompile(`^(?:ngày )?(\d{1,2})/(\d{1,2})/(\d+)$`), marks: anyMark,
		resolve: func(m []string) (span, error) { return daySpan(m[1], m[2], m[3]) },
	},
	{ // ngày 15 tháng 01 năm 2024
		re: regexp.MustCompile(`^ngày (\d{1,2}) tháng (\d{1,2}) năm (\d+)$`), marks: anyMark,
		resolve: func(m []string) (span, error) { return daySpan(m[1], m[2], m[3]) },
	},
	{ // tháng 6/2024, tháng 06 năm 2024
		re: regexp.MustCompile(`^tháng (\d{1,2})(?:/| năm )(\d+)$`), marks: anyMark, endOf: true,
		resolve: monthSpan,
	},
	{ // quý II/2024, quý 2 năm 2024
		re: regexp.MustCompile(`^qu[ýí] ([ivx]+|\d{1,2})(?:/| năm )(\d+)$`), marks: anyMark, endOf: true,
		resolve: quarterSpan,
	},
	{ // 6 tháng đầu năm 2024, sáu tháng cuối năm 2024
		re: regexp.MustCompile(`^(?:6|06|sáu) tháng (đầu|cuối) năm (\d+)$`), marks: anyMark,
		resolve: halfSpan,
	},
	{ // năm 2024
		re: regexp.MustCompile(`^năm (\d+)$`), marks: anyMark, endOf: true,
		resolve: yearSpan,
	},
	{ // năm 2024 và các năm tiếp theo: due at the end of the first year named
		re:      regexp.MustCompile(`^năm (\d+) và (?:các|những) năm (?:tiếp theo|sau)$`),
		marks:   bareOrIn,
		resolve: yearSpan,
	},
	{ // đầu năm 2024: read as the first quarter
		re: regexp.MustCompile(`^đầu năm (\d+)$`), marks: onlyBare,
		resolve: func(m []string) (span, error) {
			y, err := parseYear(m[1])
			if err != nil {
				return span{}, err
			}
			return quarter(y, 1), nil
		},
	},
	{ // Tết Nguyên đán Giáp Thìn 2024, Tết 2024
		re:      regexp.MustCompile(`^tết(?: nguyên đán| âm lịch)?(?: (\pL+ \pL+))?(?: năm)? (\d+)$`),
		marks:   beforeOrUntil,
		resolve: tetSpan,
	},
}

// missingYear matches the forms above written without their year, to say so.
var missingYear = regexp.MustCompile(`^(?:(?:ngày )?\d{1,2}/\d{1,2}|ngày \d{1,2} tháng \d{1,2}|tháng \d{1,2}|` +
	`qu[ýí] (?:[ivx]+|\d{1,2})|(?:6|06|sáu) tháng (?:đầu|cuối) năm|(?:đầu )?năm|` +
	`tết(?: nguyên đán| âm lịch)?(?: \pL+ \pL+)?)$`)

// resolve turns a canonical phrase into its due date and precision.
func resolve(s string) (store.Date, Precision, error) {
	if s == "" {
		return store.Date{}, "", reason("chưa viết gì", "nothing is written")
	}
	s = strings.TrimPrefix(s, "hoàn thành ")
	if p, ok := undated[s]; ok {
		return store.Date{}, p, nil
	}
	if rest, ok := strings.CutPrefix(s, "chậm nhất "); ok {
		s = strings.TrimPrefix(rest, "là ")
	}

	body, mark := s, markNone
	for _, m := range markers {
		if rest, ok := strings.CutPrefix(s, m.prefix); ok {
			body, mark = rest, m.mark
			break
		}
	}
	inner, endOf := strings.CutPrefix(body, "cuối ")

	for _, f := range forms {
		m := f.re.FindStringSubmatch(inner)
		if m == nil {
			continue
		}
		if endOf && (!f.endOf || (mark != markNone && mark != markUntil)) ||
			!endOf && !slices.Contains(f.marks, mark) {
			return store.Date{}, "", misuse(strings.TrimSpace(strings.TrimSuffix(s, inner)), inner)
		}
		sp, err := f.resolve(m)
		if err != nil {
			return store.Date{}, "", err
		}
		// "trước" a period means by the end of the period before it; "trước"
		// a day is read as "by that day", due on the day itself, which is
		// what the documents mean by "trước ngày 31/3/2024".
		if mark == markBefore && sp.prec != PrecisionDay {
			return sp.first.AddDays(-1), sp.prec, nil
		}
		return sp.last, sp.prec, nil
	}
	if missingYear.MatchString(inner) {
		return store.Date{}, "", reason("thiếu năm", "the year is missing")
	}
	return store.Date{}, "", reason("không nhận ra cách viết này", "this is not a form we know")
}

// misuse is the error for a period introduced by words it does not take:
// qual is what came before the period (possibly nothing), period the rest.
func misuse(qual, period string) error {
	if qual == "" {
		return reason("cần \"trước\" hoặc \"đến\" trước %q", "%q needs \"trước\" or \"đến\" before it", period)
	}
	return reason("không dùng được %q với %q", "%q cannot be used with %q", qual, period)
}

// parseYear reads a four-digit year between 1900 and 2100.
func parseYear(s string) (int, error) {
	y, err := strconv.Atoi(s)
	if err != nil || len(s) != 4 || y < 1900 || y > 2100 {
		return 0, reason("năm %s không hợp lệ (cần năm có 4 chữ số, từ 1900 đến 2100)",
			"the year %s is not valid (a four-digit year from 1900 to 2100 is needed)", s)
	}
	return y, nil
}

// parseMonth reads a month number 1–12.
func parseMonth(s string) (time.Month, error) {
	m, _ := strconv.Atoi(s) // s is one or two digits
	if m < 1 || m > 12 {
		return 0, reason("không có tháng %s", "there is no month %s", s)
	}
	return time.Month(m), nil
}

// daySpan is the single day d/m/y, which must exist.
func daySpan(ds, ms, ys string) (span, error) {
	y, err := parseYear(ys)
	if err != nil {
		return span{}, err
	}
	m, err := parseMonth(ms)
	if err != nil {
		return span{}, err
	}
	d, _ := strconv.Atoi(ds) // one or two digits
	day := store.NewDate(y, m, d)
	if day.Month != m { // day 0 or past the end of the month rolls over
		return span{}, reason("không có ngày %s/%s/%s", "there is no day %s/%s/%s", ds, ms, ys)
	}
	return span{day, day, PrecisionDay}, nil
}

// monthSpan is the month in m[1] of the year in m[2].
func monthSpan(m []string) (span, error) {
	mon, err := parseMonth(m[1])
	if err != nil {
		return span{}, err
	}
	y, err := parseYear(m[2])
	if err != nil {
		return span{}, err
	}
	return span{store.NewDate(y, mon, 1), store.NewDate(y, mon+1, 0), PrecisionMonth}, nil
}

// romanQuarters are the quarter numbers as Roman numerals.
var romanQuarters = map[string]int{"i": 1, "ii": 2, "iii": 3, "iv": 4}

// quarterSpan is the quarter in m[1] (Roman or Arabic) of the year in m[2].
func quarterSpan(m []string) (span, error) {
	q, ok := romanQuarters[m[1]]
	if !ok {
		q, _ = strconv.Atoi(m[1]) // 0 for a Roman numeral that is no quarter
	}
	if q < 1 || q > 4 {
		return span{}, reason("không có quý %s (chỉ có quý I đến IV)", "there is no quarter %s (only I to IV)", strings.ToUpper(m[1]))
	}
	y, err := parseYear(m[2])
	if err != nil {
		return span{}, err
	}
	return quarter(y, q), nil
}

// quarter is quarter q (1–4) of year y.
func quarter(y, q int) span {
	first := time.Month(3*q - 2)
	return span{store.NewDate(y, first, 1), store.NewDate(y, first+3, 0), PrecisionQuarter}
}

// halfSpan is the first ("đầu") or last ("cuối") six months of the year in m[2].
func halfSpan(m []string) (span, error) {
	y, err := parseYear(m[2])
	if err != nil {
		return span{}, err
	}
	if m[1] == "đầu" {
		return span{store.NewDate(y, time.January, 1), store.NewDate(y, time.June, 30), PrecisionHalfYear}, nil
	}
	return span{store.NewDate(y, time.July, 1), store.NewDate(y, time.December, 31), PrecisionHalfYear}, nil
}

// yearSpan is the year in m[1].
func yearSpan(m []string) (span, error) {
	y, err := parseYear(m[1])
	if err != nil {
		return span{}, err
	}
	return span{store.NewDate(y, time.January, 1), store.NewDate(y, time.December, 31), PrecisionYear}, nil
}

// canChiSpelling maps variant spellings of can-chi words to the ones CanChi
// uses.
var canChiSpelling = strings.NewReplacer("tị", "tỵ", "tí", "tý", "kỉ", "kỷ", "quí", "quý")

// tetSpan is the eve of Tết in the year m[2]: work due "before Tết" or "from
// now until Tết" must be done by the last day of the old lunar year. The
// can-chi name in m[1], when given, must be that year's.
func tetSpan(m []string) (span, error) {
	y, err := parseYear(m[2])
	if err != nil {
		return span{}, err
	}
	if m[1] != "" {
		if want := CanChi(y); canChiSpelling.Replace(m[1]) != strings.ToLower(want) {
			return span{}, reason("tên năm âm lịch %q không khớp với năm %d (năm %d là %s)",
				"the lunar year name %q does not match the year %d (%d is %s)", m[1], y, y, want)
		}
	}
	tet, err := TetDate(y)
	if err != nil {
		return span{}, reason("chỉ tính được Tết Nguyên đán cho các năm %d–%d", "Tết can only be worked out for the years %d–%d",
			tetFirstYear, tetLastYear)
	}
	eve := tet.AddDays(-1)
	return span{eve, eve, PrecisionDay}, nil
}
