package tasks

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"p06/store"
)

func TestParseDeadline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		due  string // "" for no date
		prec Precision
	}{
		// Quarters.
		{"quý I/2024", "2024-03-31", PrecisionQuarter},
		{"Quý 1/2024", "2024-03-31", PrecisionQuarter},
		{"quý I năm 2024", "2024-03-31", PrecisionQuarter},
		{"Quý 1 năm 2024", "2024-03-31", PrecisionQuarter},
		{"trong quý II/2024", "2024-06-30", PrecisionQuarter},
		{"quý III/2024", "2024-09-30", PrecisionQuarter},
		{"quý IV/2023", "2023-12-31", PrecisionQuarter},
		{"Quý 04/2024", "2024-12-31", PrecisionQuarter},
		{"Quí II/2024", "2024-06-30", PrecisionQuarter},
		{"cuối quý II/2024", "2024-06-30", PrecisionQuarter},
		{"đầu năm 2024", "2024-03-31", PrecisionQuarter},

		// Months.
		{"tháng 1/2024", "2024-01-31", PrecisionMonth},
		{"tháng 01/2024", "2024-01-31", PrecisionMonth},
		{"tháng 01 năm 2024", "2024-01-31", PrecisionMonth},
		{"trong tháng 12/2023", "2023-12-31", PrecisionMonth},
		{"tháng 12 năm 2023", "2023-12-31", PrecisionMonth},
		{"tháng 2/2024", "2024-02-29", PrecisionMonth},
		{"tháng 2/2023", "2023-02-28", PrecisionMonth},
		{"cuối tháng 6/2024", "2024-06-30", PrecisionMonth},
		{"Hoàn thành chậm nhất trong tháng 6/2024", "2024-06-30", PrecisionMonth},

		// "trước" a period: the end of the period before it.
		{"trước tháng 6/2024", "2024-05-31", PrecisionMonth},
		{"trước tháng 1/2024", "2023-12-31", PrecisionMonth},
		{"trước quý II/2024", "2024-03-31", PrecisionQuarter},
		{"trước quý I/2024", "2023-12-31", PrecisionQuarter},
		{"trước năm 2025", "2024-12-31", PrecisionYear},

		// Half years.
		{"6 tháng đầu năm 2024", "2024-06-30", PrecisionHalfYear},
		{"sáu tháng đầu năm 2024", "2024-06-30", PrecisionHalfYear},
		{"6 tháng cuối năm 2024", "2024-12-31", PrecisionHalfYear},
		{"trong 6 tháng đầu năm 2024", "2024-06-30", PrecisionHalfYear},

		// Years.
		{"trong năm 2024", "2024-12-31", PrecisionYear},
		{"năm 2025", "2025-12-31", PrecisionYear},
		{"cuối năm 2024", "2024-12-31", PrecisionYear},
		{"trong năm 2024 và các năm tiếp theo", "2024-12-31", PrecisionYear},
		{"Năm 2024 và những năm tiếp theo", "2024-12-31", PrecisionYear},
		{"đến năm 2025", "2025-12-31", PrecisionYear},
		{"đến hết năm 2025", "2025-12-31", PrecisionYear},
		{"từ nay đến cuối năm 2024", "2024-12-31", PrecisionYear},
		{"Hoàn thành trong năm 2024", "2024-12-31", PrecisionYear},

		// Days: "trước ngày X" is due on X itself.
		{"ngày 15/01/2024", "2024-01-15", PrecisionDay},
		{"15/01/2024", "2024-01-15", PrecisionDay},
		{"ngày 15 tháng 01 năm 2024", "2024-01-15", PrecisionDay},
		{"trước ngày 31/3/2024", "2024-03-31", PrecisionDay},
		{"trước 31/3/2024", "2024-03-31", PrecisionDay},
		{"chậm nhất ngày 30/6/2024", "2024-06-30", PrecisionDay},
		{"Chậm nhất là ngày 29/02/2024", "2024-02-29", PrecisionDay},
		{"hoàn thành trước ngày 15/2/2024", "2024-02-15", PrecisionDay},
		{"từ nay đến ngày 31/12/2024", "2024-12-31", PrecisionDay},
		{"ngày 5 / 9 / 2024", "2024-09-05", PrecisionDay},

		// Tết: due on the eve of the first day.
		{"trước Tết Nguyên đán Giáp Thìn 2024", "2024-02-09", PrecisionDay},
		{"từ nay đến Tết Nguyên đán Giáp Thìn 2024", "2024-02-09", PrecisionDay},
		{"trước Tết Nguyên đán 2024", "2024-02-09", PrecisionDay},
		{"trước Tết 2024", "2024-02-09", PrecisionDay},
		{"trước Tết Nguyên đán Ất Tỵ 2025", "2025-01-28", PrecisionDay},
		{"trước Tết Ất Tị 2025", "2025-01-28", PrecisionDay},
		{"Trước Tết Nguyên Đán Quý Mão 2023", "2023-01-21", PrecisionDay},
		{"trước Tết Nguyên đán Bính Ngọ năm 2026", "2026-02-16", PrecisionDay},

		// Ongoing work.
		{"thường xuyên", "", PrecisionContinuous},
		{"Thường xuyên", "", PrecisionContinuous},
		{"hằng năm", "", PrecisionContinuous},
		{"hàng năm", "", PrecisionContinuous},
		{"định kỳ hằng năm", "", PrecisionContinuous},
		{"liên tục", "", PrecisionContinuous},
		{"Thường xuyên.", "", PrecisionContinuous},

		// Urgent, undated.
		{"sớm", "", PrecisionNone},
		{"khẩn trương", "", PrecisionNone},
		{"ngay", "", PrecisionNone},
		{"kịp thời", "", PrecisionNone},
		{"trong thời gian sớm nhất", "", PrecisionNone},
		{"khẩn trương hoàn thành", "", PrecisionNone},
		{"Hoàn thành sớm", "", PrecisionNone},

		// Spacing, case and punctuation.
		{"  TRONG   Quý  I / 2024 . ", "2024-03-31", PrecisionQuarter},
		{"tháng\u00a06/2024", "2024-06-30", PrecisionMonth},
		{"Quý II/2024.", "2024-06-30", PrecisionQuarter},
		{"ðến hết năm 2025", "2025-12-31", PrecisionYear},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			t.Parallel()
			got, err := ParseDeadline(tc.text)
			if err != nil {
				t.Fatalf("ParseDeadline(%q): %v", tc.text, err)
			}
			want := Deadline{Text: strings.TrimSpace(tc.text), Precision: tc.prec}
			if tc.due != "" {
				want.Due = store.MustDate(tc.due)
			}
			if got != want {
				t.Errorf("ParseDeadline(%q) = %+v, want %+v", tc.text, got, want)
			}
			if !got.Precision.Valid() {
				t.Errorf("ParseDeadline(%q) precision %q is not valid", tc.text, got.Precision)
			}
		})
	}
}

func TestParseDeadlineErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want string // part of the explanation after the quoted phrase
	}{
		{"", "chưa viết gì"},
		{"   ", "chưa viết gì"},
		{"abc", "không nhận ra"},
		{"hoàn thành", "không nhận ra"},
		{"đầu tháng 6/2024", "không nhận ra"},
		{"giai đoạn 2021 - 2025", "không nhận ra"},
		{"quý V/2024", "không có quý V"},
		{"quý 5/2024", "không có quý 5"},
		{"quý 0/2024", "không có quý 0"},
		{"tháng 13/2024", "không có tháng 13"},
		{"tháng 0/2024", "không có tháng 0"},
		{"năm 20244", "năm 20244 không hợp lệ"},
		{"năm 1800", "năm 1800 không hợp lệ"},
		{"31/02/2024", "không có ngày 31/02/2024"},
		{"ngày 29/2/2023", "không có ngày 29/2/2023"},
		{"ngày 0/1/2024", "không có ngày 0/1/2024"},
		{"ngày 31 tháng 4 năm 2024", "không có ngày 31/4/2024"},
		{"15/01", "thiếu năm"},
		{"ngày 15 tháng 01", "thiếu năm"},
		{"trước quý II", "thiếu năm"},
		{"tháng 6", "thiếu năm"},
		{"trước Tết Nguyên đán Giáp Thìn", "thiếu năm"},
		{"trước Tết Nguyên đán Giáp Thìn 2025", "không khớp với năm 2025 (năm 2025 là Ất Tỵ)"},
		{"trước Tết Nguyên đán Ất Tỵ 2024", "không khớp với năm 2024 (năm 2024 là Giáp Thìn)"},
		{"trước Tết Giáp Sửu 2024", "không khớp"},
		{"trước Tết 2051", "2000–2050"},
		{"Tết 2024", `cần "trước" hoặc "đến"`},
		{"trong Tết 2024", `không dùng được "trong"`},
		{"trước đầu năm 2025", `không dùng được "trước"`},
		{"trước năm 2024 và các năm tiếp theo", `không dùng được "trước"`},
		{"cuối 6 tháng đầu năm 2024", `không dùng được "cuối"`},
		{"trước cuối năm 2024", `không dùng được "trước cuối"`},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			t.Parallel()
			got, err := ParseDeadline(tc.text)
			if err == nil {
				t.Fatalf("ParseDeadline(%q) = %+v, want an error", tc.text, got)
			}
			if got != (Deadline{}) {
				t.Errorf("ParseDeadline(%q) returned %+v with its error, want the zero Deadline", tc.text, got)
			}
			prefix := fmt.Sprintf("không hiểu thời hạn %q: ", strings.TrimSpace(tc.text))
			if msg := err.Error(); !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, tc.want) {
				t.Errorf("ParseDeadline(%q) error = %q, want it to start with %q and contain %q", tc.text, msg, prefix, tc.want)
			}
		})
	}
}

// TestParseDeadlineNFD feeds decomposed text, as some keyboards and PDFs
// produce it: the result must be the same as for the composed text.
func TestParseDeadlineNFD(t *testing.T) {
	t.Parallel()
	tests := []string{
		"Quý I/2024",
		"trong tháng 12/2023",
		"6 tháng đầu năm 2024",
		"trước Tết Nguyên đán Giáp Thìn 2024",
		"Hoàn thành chậm nhất ngày 30/6/2024",
		"định kỳ hằng năm",
		"khẩn trương",
	}
	for _, text := range tests {
		t.Run(text, func(t *testing.T) {
			t.Parallel()
			nfd := norm.NFD.String(text)
			if nfd == text {
				t.Fatalf("NFD of %q is the same text; the test proves nothing", text)
			}
			want, err := ParseDeadline(text)
			if err != nil {
				t.Fatalf("ParseDeadline(%q): %v", text, err)
			}
			got, err := ParseDeadline(nfd)
			if err != nil {
				t.Fatalf("ParseDeadline(NFD %q): %v", text, err)
			}
			if got != want {
				t.Errorf("ParseDeadline(NFD %q) = %+v, want %+v", text, got, want)
			}
		})
	}

	t.Run("error quotes the NFC phrase", func(t *testing.T) {
		t.Parallel()
		_, err := ParseDeadline(norm.NFD.String("tháng 13/2024"))
		if want := `không hiểu thời hạn "tháng 13/2024"`; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error = %v, want it to contain %q", err, want)
		}
	})
}

func TestPrecisionValid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p    Precision
		want bool
	}{
		{PrecisionDay, true},
		{PrecisionMonth, true},
		{PrecisionQuarter, true},
		{PrecisionHalfYear, true},
		{PrecisionYear, true},
		{PrecisionContinuous, true},
		{PrecisionNone, true},
		{"", false},
		{"day", false},
		{"WEEK", false},
	}
	for _, tc := range tests {
		if got := tc.p.Valid(); got != tc.want {
			t.Errorf("Precision(%q).Valid() = %v, want %v", tc.p, got, tc.want)
		}
	}
}

// FuzzParseDeadline: any text either resolves to a consistent deadline or
// fails with an error quoting it; it never panics. Run longer with
// go test -fuzz FuzzParseDeadline ./tasks/
func FuzzParseDeadline(f *testing.F) {
	for _, s := range []string{"quý I/2024", "tháng 1/2024", "trước tháng 6/2024", "trong năm 2024", "6 tháng đầu năm 2024",
		"đầu năm 2024", "ngày 15/01/2024", "trước ngày 31/3/2024", "thường xuyên", "khẩn trương",
		"trước Tết Nguyên đán Giáp Thìn 2024", "quý V/2024", "31/02/2024", "", "tháng 13/2024", "Quy\u0301 1 năm 2024"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		d, err := ParseDeadline(text)
		if err != nil {
			if !strings.Contains(err.Error(), "không hiểu thời hạn") {
				t.Fatalf("%q: error %q does not say what it could not read", text, err)
			}
			return
		}
		if !d.Precision.Valid() {
			t.Fatalf("%q: invalid precision %q", text, d.Precision)
		}
		dated := d.Precision != PrecisionContinuous && d.Precision != PrecisionNone
		if dated == d.Due.IsZero() {
			t.Fatalf("%q: precision %s with due date %q", text, d.Precision, d.Due)
		}
	})
}

// TestParseDeadlineErrorLanguages checks the error a caller sees: INVALID,
// the problem said once, in Vietnamese and in English, with the accepted
// forms and an example of each.
func TestParseDeadlineErrorLanguages(t *testing.T) {
	t.Parallel()
	_, err := ParseDeadline("quý V/2024")
	var se *store.Error
	if !errors.As(err, &se) || se.Code != store.Invalid {
		t.Fatalf("error = %#v, want an INVALID *store.Error", err)
	}
	if want := `không hiểu thời hạn "quý V/2024": không có quý V (chỉ có quý I đến IV). Các cách viết được chấp nhận: `; !strings.HasPrefix(se.Message, want) {
		t.Errorf("Message = %q, want it to start with %q", se.Message, want)
	}
	if want := `cannot read the deadline "quý V/2024": there is no quarter V (only I to IV). Accepted forms: `; !strings.HasPrefix(se.English, want) {
		t.Errorf("English = %q, want it to start with %q", se.English, want)
	}
	for _, msg := range []string{se.Message, se.English} {
		if n := strings.Count(msg, "quý V/2024"); n != 1 {
			t.Errorf("%q names the phrase %d times, want once", msg, n)
		}
		for _, example := range []string{`"31/3/2024"`, `"tháng 1/2024"`, `"quý I/2024"`, `"trước tháng 6/2024"`,
			`"trong năm 2024"`, `"từ nay đến Tết Nguyên đán Giáp Thìn 2024"`, `"thường xuyên"`} {
			if !strings.Contains(msg, example) {
				t.Errorf("%q does not show the example %s", msg, example)
			}
		}
	}
	for _, m := range regexp.MustCompile(`"([^"]+)"`).FindAllStringSubmatch(acceptedVI+acceptedEN, -1) {
		if m[1] == "trong" || m[1] == "trước" || m[1] == "đến hết" {
			continue
		}
		if _, err := ParseDeadline(m[1]); err != nil {
			t.Errorf("example %q is not accepted: %v", m[1], err)
		}
	}
}
