package reports_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"p06/rbac"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/tasks"
)

// pdfText extracts a PDF's text with pdftotext (poppler-utils, which .ci/run
// installs; elsewhere the test skips without it unless P06_PDF_TESTS=required),
// whitespace collapsed.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("P06_PDF_TESTS") == "required" {
			t.Fatal("pdftotext (poppler-utils) is not installed")
		}
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "r.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return collapse(string(out))
}

// dump writes b to $P06_REPORTS_DUMP/name when that is set, to look at what
// the tests produced (docs/reports/ was made so).
func dump(t *testing.T, name string, b []byte) {
	if dir := os.Getenv("P06_REPORTS_DUMP"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

var spaces = regexp.MustCompile(`\s+`)

func collapse(s string) string { return strings.TrimSpace(spaces.ReplaceAllString(store.NFC(s), " ")) }

// TestReportsOverHTTP: a province exports its own report in the three
// formats, read back; another unit's is NOT_FOUND; the national viewer
// exports any unit and the nation.
func TestReportsOverHTTP(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		s := newStack(t, db)
		hue, vpcp := s.session("hue"), s.token("vpcp")
		ts := tasks.NewStore(db, store.FixedClock(today))
		rows, total, err := ts.ReportRows(context.Background(), rbac.National(), store.MustDate("2023-12-31"), "/VN/46/", 5000)
		if err != nil || total == 0 {
			t.Fatalf("Huế's rows: %d, %v", total, err)
		}

		res, body := s.get(hue, "/reports/46/2023Q4.xlsx")
		if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Disposition"), "46-2023Q4.xlsx") {
			t.Fatalf("xlsx: %d %s", res.StatusCode, body)
		}
		f, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(f.GetSheetList(), "|"); got != "Tổng hợp|Nhiệm vụ|Chỉ tiêu" {
			t.Fatalf("sheets %s", got)
		}
		if v, _ := f.GetCellValue("Nhiệm vụ", "A1"); !strings.Contains(v, "Thừa Thiên Huế") || !strings.Contains(v, "quý IV/2023") {
			t.Errorf("title %q", v)
		}
		header, _ := f.GetRows("Nhiệm vụ")
		if len(header) != 4+len(rows) || header[3][3] != "Nhiệm vụ" || header[3][5] != "Hạn xử lý" {
			t.Fatalf("%d rows, header %v", len(header), header[3])
		}
		// Row 5 is the first assignment (overdue first): the texts exactly,
		// the due date a date, the progress a number.
		first := rows[0]
		if v, _ := f.GetCellValue("Nhiệm vụ", "D5"); v != first.Title {
			t.Errorf("D5 %q, want %q", v, first.Title)
		}
		if v, _ := f.GetCellValue("Nhiệm vụ", "E5"); v != first.DeadlineText {
			t.Errorf("E5 %q, want %q", v, first.DeadlineText)
		}
		if !first.DueDate.IsZero() {
			raw, _ := f.GetCellValue("Nhiệm vụ", "F5", excelize.Options{RawCellValue: true})
			shown, _ := f.GetCellValue("Nhiệm vụ", "F5")
			if tt, _ := f.GetCellType("Nhiệm vụ", "F5"); (tt != excelize.CellTypeUnset && tt != excelize.CellTypeNumber) || !regexp.MustCompile(`^\d+$`).MatchString(raw) ||
				shown != first.DueDate.Time().Format("02/01/2006") {
				t.Errorf("F5 is not a date: type %v raw %q shown %q", tt, raw, shown)
			}
		}
		if raw, _ := f.GetCellValue("Nhiệm vụ", "H5", excelize.Options{RawCellValue: true}); !closeTo(raw, float64(first.Progress)/100) {
			t.Errorf("H5 progress raw %q for %d%%", raw, first.Progress)
		}
		panes, err := f.GetPanes("Nhiệm vụ")
		if err != nil || !panes.Freeze || panes.YSplit != 4 {
			t.Errorf("panes %+v %v", panes, err)
		}
		if dn := f.GetDefinedName(); len(dn) == 0 {
			t.Error("no filter")
		}
		// The filter covers the header and every row of the tasks sheet.
		if z, err := zip.NewReader(bytes.NewReader(body), int64(len(body))); err != nil {
			t.Error(err)
		} else if sheet, err := z.Open("xl/worksheets/sheet2.xml"); err != nil {
			t.Error(err)
		} else if x, _ := io.ReadAll(sheet); !strings.Contains(string(x), fmt.Sprintf(`<autoFilter ref="$A$4:$L$%d">`, 4+len(rows))) {
			t.Errorf("tasks sheet: no filter on rows 4 to %d", 4+len(rows))
		}
		if w, _ := f.GetColWidth("Nhiệm vụ", "D"); w < 30 {
			t.Errorf("task column width %v", w)
		}
		if v, _ := f.GetCellValue("Tổng hợp", "A5"); v != "Hoàn thành đúng hạn" {
			t.Errorf("summary A5 %q", v)
		}

		// CSV: a zip of tables, each UTF-8 with a BOM.
		res, body = s.get(hue, "/reports/46/2023Q4.csv")
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/zip" {
			t.Fatalf("csv: %d %s", res.StatusCode, body)
		}
		z, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, zf := range z.File {
			names = append(names, zf.Name)
			rc, _ := zf.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			if !bytes.HasPrefix(b, []byte("\ufeff")) {
				t.Errorf("%s has no BOM", zf.Name)
			}
			recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
			if err != nil {
				t.Fatalf("%s: %v", zf.Name, err)
			}
			if zf.Name == "tasks.csv" && (len(recs) != 1+len(rows) || recs[1][3] != first.Title || recs[1][5] != first.DueDate.String()) {
				t.Errorf("tasks.csv: %d records, first %v", len(recs), recs[1])
			}
		}
		if strings.Join(names, ",") != "summary.csv,tasks.csv,indicators.csv" {
			t.Errorf("zip holds %v", names)
		}

		// PDF: the state-document header and the tasks' own words.
		res, body = s.get(hue, "/reports/46/2023Q4.pdf")
		if res.StatusCode != 200 || !bytes.HasPrefix(body, []byte("%PDF-")) {
			t.Fatalf("pdf: %d", res.StatusCode)
		}
		dump(t, "province-"+string(db.Engine)+".pdf", body)
		text := pdfText(t, body)
		for _, want := range []string{"ỦY BAN NHÂN DÂN", "TỈNH THỪA THIÊN HUẾ", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
			"Số: /BC-UBND", "Thừa Thiên Huế, ngày 01 tháng 12 năm 2026", "BÁO CÁO", "I. TÌNH HÌNH THỰC HIỆN NHIỆM VỤ",
			"II. DANH MỤC NHIỆM VỤ", "Nơi nhận:", collapse(first.Title), collapse(rows[len(rows)-1].Title)} {
			if !strings.Contains(text, want) {
				t.Errorf("PDF lacks %q", want)
			}
		}

		// Scoped: another unit's report is NOT_FOUND, like one that does not exist.
		for _, path := range []string{"/reports/01/2023Q4.pdf", "/reports/VN/2023Q4.xlsx", "/reports/NOPE/2023Q4.csv"} {
			res, body := s.get(hue, path)
			if code, _, _ := errorCode(t, body); res.StatusCode != 404 || code != "NOT_FOUND" {
				t.Errorf("%s as Huế: %d %s", path, res.StatusCode, body)
			}
		}
		for path, field := range map[string]string{"/reports/46/2023Q5.pdf": "period", "/reports/46/2027-01.xlsx": "period"} {
			res, body := s.get(hue, path)
			if code, f, _ := errorCode(t, body); res.StatusCode != 400 || code != "INVALID" || f != field {
				t.Errorf("%s: %d %s", path, res.StatusCode, body)
			}
		}
		if res, _ := s.get(caller{}, "/reports/46/2023Q4.pdf"); res.StatusCode != 401 {
			t.Errorf("anonymous: %d", res.StatusCode)
		}

		// The national viewer: any unit, and the nation with provinces and
		// ministries compared.
		if res, _ := s.get(vpcp, "/reports/01/2023-12.xlsx"); res.StatusCode != 200 {
			t.Errorf("vpcp, Hà Nội: %d", res.StatusCode)
		}
		res, body = s.get(vpcp, "/reports/VN/2023.xlsx")
		if res.StatusCode != 200 {
			t.Fatalf("vpcp, VN: %d %s", res.StatusCode, body)
		}
		f, err = excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(f.GetSheetList(), "|"); got != "Tổng hợp|Nhiệm vụ|Tỉnh, thành phố|Bộ, ngành|Chỉ tiêu" {
			t.Fatalf("national sheets %s", got)
		}
		provinces, _ := f.GetRows("Tỉnh, thành phố")
		if len(provinces) != 4+63 {
			t.Errorf("%d province rows", len(provinces)-4)
		}
		res, body = s.get(vpcp, "/reports/VN/2023.pdf")
		if res.StatusCode != 200 {
			t.Fatalf("national pdf: %d", res.StatusCode)
		}
		dump(t, "national-"+string(db.Engine)+".pdf", body)
		text = pdfText(t, body)
		for _, want := range []string{"TỔ CÔNG TÁC TRIỂN KHAI ĐỀ ÁN 06", "Hà Nội, ngày 01 tháng 12 năm 2026", "III. SO SÁNH CÁC TỈNH, THÀNH PHỐ VÀ BỘ, NGÀNH",
			"Thừa Thiên Huế", "Bà Rịa - Vũng Tàu", "Bộ Công an"} {
			if !strings.Contains(text, want) {
				t.Errorf("national PDF lacks %q", want)
			}
		}
		// English words with lang=en.
		_, body = s.get(vpcp, "/reports/46/2023Q4.xlsx?lang=en")
		if f, err = excelize.OpenReader(bytes.NewReader(body)); err != nil || strings.Join(f.GetSheetList(), "|") != "Summary|Tasks|Indicators" {
			t.Errorf("English sheets: %v %v", f.GetSheetList(), err)
		}
	})
}

// closeTo reports whether the number s is v.
func closeTo(s string, v float64) bool {
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && math.Abs(f-v) < 1e-9
}

// TestCSVFormulas: a progress report a spreadsheet would read as a formula
// ("-2+3+cmd|x!A0") is text in tasks.csv, quoted with a leading "'".
func TestCSVFormulas(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		s := newStack(t, db)
		hue := s.session("hue")
		var as struct {
			Assignments struct{ Nodes []struct{ ID string } }
		}
		if r := s.query(hue, `{ assignments(first: 1, filter: {orgUnit: "46", roles: [LEAD]}) { nodes { id } } }`, nil, &as); len(r.Errors) > 0 || len(as.Assignments.Nodes) == 0 {
			t.Fatalf("assignments: %+v", r.Errors)
		}
		for _, text := range []string{"@SUM(1)", "-2+3+cmd|x!A0"} {
			r := s.query(hue, `mutation($in: ReportProgressInput!) { reportProgress(input: $in) { userErrors { message } } }`,
				map[string]any{"in": map[string]any{"assignment": as.Assignments.Nodes[0].ID, "text": text}}, nil)
			if len(r.Errors) > 0 {
				t.Fatalf("reportProgress: %+v", r.Errors)
			}
		}
		res, body := s.get(hue, "/reports/46/2026-12.csv")
		if res.StatusCode != 200 {
			t.Fatalf("csv: %d %s", res.StatusCode, body)
		}
		found := false
		for _, rec := range csvOf(t, body, "tasks.csv")[1:] {
			for _, cell := range rec {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("a cell a spreadsheet would compute: %q", cell)
				}
				if cell == "'-2+3+cmd|x!A0" {
					found = true
				}
			}
		}
		if !found {
			t.Error("the last report is not in tasks.csv")
		}
	})
}

// csvOf is the records of the file name in the zip of CSV files body.
func csvOf(t *testing.T, body []byte, name string) [][]string {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range z.File {
		if zf.Name != name {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	t.Fatalf("no %s in the zip", name)
	return nil
}
