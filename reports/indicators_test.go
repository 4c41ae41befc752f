package reports_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"math"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"p06/org"
	"p06/rbac"
	"p06/reports"
	"p06/seeds/seedtest"
	"p06/store"
)

// indicatorIDs are the global IDs of the indicators by code, as the API
// lists them.
func (s *stack) indicatorIDs(c caller) map[string]string {
	s.t.Helper()
	var out struct {
		Indicators []struct{ ID, Code string }
	}
	if r := s.query(c, `{ indicators { id code } }`, nil, &out); len(r.Errors) > 0 {
		s.t.Fatalf("indicators: %v", r.Errors)
	}
	ids := map[string]string{}
	for _, i := range out.Indicators {
		ids[i.Code] = i.ID
	}
	return ids
}

// setTargets sets targets through the API as c: value per period.
func (s *stack) setTargets(c caller, indicator, unit string, values map[string]float64) {
	s.t.Helper()
	var ts []map[string]any
	for p, v := range values {
		ts = append(ts, map[string]any{"indicator": indicator, "orgUnit": unit, "period": p, "value": v})
	}
	var out struct {
		SetTargets struct {
			Count      int
			UserErrors []struct{ Message string }
		}
	}
	r := s.query(c, `mutation($t: [TargetInput!]!) { setTargets(input: {targets: $t}) { count userErrors { message } } }`,
		map[string]any{"t": ts}, &out)
	if len(r.Errors) > 0 || len(out.SetTargets.UserErrors) > 0 || out.SetTargets.Count != len(ts) {
		s.t.Fatalf("setTargets: %v %+v", r.Errors, out)
	}
}

// TestIndicatorChartsOverHTTP: indicator.png|svg and ranking.png|svg
// through the whole stack: the figures of kpiSeries and kpiRanking, sized,
// scoped, cached by ETag, no-data charts, coded errors.
func TestIndicatorChartsOverHTTP(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		s := newStack(t, db)
		vpcp, hue, c06 := s.session("vpcp"), s.token("hue"), s.session("c06")
		ids := s.indicatorIDs(vpcp)
		accounts, ident, empty := ids["P06.01"], ids["P06.09"], ids["766-1.1"]
		if accounts == "" || ident == "" || empty == "" {
			t.Fatalf("indicators: %v", ids)
		}
		s.setTargets(c06, accounts, "46", map[string]float64{"2023-10": 150000, "2023-11": 160000, "2023-12": 170000})

		// The line is kpiSeries: the same figures and targets.
		var series struct {
			KpiSeries []struct {
				Period string
				Value  *float64
				Target *float64
			}
		}
		if r := s.query(hue, `query($i: ID!) { kpiSeries(indicator: $i, orgUnit: "46", from: "2023-01", to: "2023-12") { period value target } }`,
			map[string]any{"i": accounts}, &series); len(r.Errors) > 0 || len(series.KpiSeries) != 12 {
			t.Fatalf("kpiSeries: %v %+v", r.Errors, series)
		}
		ind, err := s.rep.Indicator(context.Background(), accounts)
		if err != nil {
			t.Fatal(err)
		}
		from, _ := reports.ParsePeriod("2023-01", "from")
		to, _ := reports.ParsePeriod("2023-12", "to")
		lines, err := s.rep.IndicatorTrend(context.Background(), rbac.Scope{Read: []string{"/VN/46/"}}, ind,
			&org.Unit{Code: "46", Name: "Thừa Thiên Huế"}, from.KPI(), to.KPI(), reports.Vietnamese)
		if err != nil || len(lines.Series) != 2 {
			t.Fatalf("trend: %+v %v", lines, err)
		}
		for i, v := range series.KpiSeries {
			if v.Value == nil || lines.Series[0].Values[i] != *v.Value {
				t.Errorf("%s: chart %v, kpiSeries %v", v.Period, lines.Series[0].Values[i], v.Value)
			}
			if got := lines.Series[1].Values[i]; (v.Target == nil) != math.IsNaN(got) || v.Target != nil && got != *v.Target {
				t.Errorf("%s: target %v, kpiSeries %v", v.Period, got, v.Target)
			}
		}
		if *series.KpiSeries[11].Target != 170000 || series.KpiSeries[0].Target != nil {
			t.Errorf("targets: %+v", series.KpiSeries)
		}

		path := "/charts/indicator.png?indicator=" + url.QueryEscape(accounts) + "&unit=46&from=2023-01&to=2023-12&width=700&height=360"
		res, body := s.get(hue, path)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("indicator.png: %d %s", res.StatusCode, body)
		}
		if size := decodePNG(t, body); size != (image.Point{700, 360}) {
			t.Fatalf("indicator.png size %v", size)
		}
		dump(t, "indicator-46.png", body)
		tag := res.Header.Get("ETag")
		if res, _ := s.get(hue, path, "If-None-Match", tag); tag == "" || res.StatusCode != 304 {
			t.Fatalf("If-None-Match: %d (ETag %q)", res.StatusCode, tag)
		}
		renders := s.rep.Renders()
		if res, _ := s.get(vpcp, path); res.StatusCode != 200 || res.Header.Get("ETag") != tag || s.rep.Renders() != renders {
			t.Fatalf("same chart for another caller: %d, renders %d → %d", res.StatusCode, renders, s.rep.Renders())
		}
		_, body = s.get(hue, strings.Replace(path, ".png", ".svg", 1))
		if _, text := svgOf(t, body); !strings.Contains(text, "Tài khoản đăng ký trên Cổng DVCQG (tài khoản) – Thừa Thiên Huế") ||
			!strings.Contains(text, "Chỉ tiêu giao") || !strings.Contains(text, "12/2023") {
			t.Errorf("indicator.svg: %s", text)
		}
		_, body = s.get(hue, strings.Replace(path, ".png", ".svg", 1)+"&lang=en")
		if _, text := svgOf(t, body); !strings.Contains(text, "Accounts on the national public service portal") ||
			!strings.Contains(text, "Target") || !strings.Contains(text, "2023-12") {
			t.Errorf("indicator.svg in English: %s", text)
		}
		// Scoped: Huế may not chart Hà Nội.
		res, body = s.get(hue, "/charts/indicator.png?indicator="+url.QueryEscape(accounts)+"&unit=01")
		if code, _, _ := errorCode(t, body); res.StatusCode != 404 || code != "NOT_FOUND" {
			t.Fatalf("Hà Nội as Huế: %d %s", res.StatusCode, body)
		}
		// No value in those periods: a chart saying so.
		res, body = s.get(vpcp, "/charts/indicator.svg?indicator="+url.QueryEscape(accounts)+"&unit=46&from=2020-01&to=2020-12")
		if _, text := svgOf(t, body); res.StatusCode != 200 || !strings.Contains(text, "Không có dữ liệu") {
			t.Errorf("no data: %d %s", res.StatusCode, text)
		}

		// The ranking is kpiRanking: every province, in its order.
		var ranking struct {
			KpiRanking []struct {
				OrgUnit struct{ Name string }
				Rank    *int
				Value   *float64
			}
		}
		if r := s.query(vpcp, `query($i: ID!) { kpiRanking(indicator: $i, period: "2023-12", level: PROVINCE) { orgUnit { name } rank value } }`,
			map[string]any{"i": accounts}, &ranking); len(r.Errors) > 0 || len(ranking.KpiRanking) != 63 {
			t.Fatalf("kpiRanking: %v %d", r.Errors, len(ranking.KpiRanking))
		}
		rpath := "/charts/ranking.svg?indicator=" + url.QueryEscape(accounts) + "&period=2023-12"
		res, body = s.get(vpcp, rpath)
		if res.StatusCode != 200 {
			t.Fatalf("ranking.svg: %d %s", res.StatusCode, body)
		}
		_, text := svgOf(t, body)
		at := 0
		for _, r := range ranking.KpiRanking {
			label := fmt.Sprintf("%d. %s", *r.Rank, r.OrgUnit.Name)
			i := strings.Index(text[at:], label)
			if i < 0 {
				t.Fatalf("ranking.svg lacks %q after position %d: %s", label, at, text)
			}
			at += i + len(label)
		}
		if !strings.Contains(text, "Xếp hạng tỉnh, thành phố – Tài khoản đăng ký trên Cổng DVCQG (tài khoản), tháng 12/2023") {
			t.Errorf("ranking title: %s", text)
		}
		res, body = s.get(vpcp, strings.Replace(rpath, ".svg", ".png", 1))
		if size := decodePNG(t, body); res.StatusCode != 200 || size.X != 900 || size.Y < 63*11 {
			t.Fatalf("ranking.png: %d %v", res.StatusCode, size)
		}
		dump(t, "ranking-provinces.png", body)
		_, body = s.get(vpcp, strings.Replace(rpath, ".svg", ".png", 1)+"&lang=en&width=800&height=1100")
		if size := decodePNG(t, body); size != (image.Point{800, 1100}) {
			t.Fatalf("ranking.png sized: %v", size)
		}
		_, body = s.get(vpcp, rpath+"&lang=en")
		if _, text := svgOf(t, body); !strings.Contains(text, "Ranking of provinces – Accounts on the national public service portal (tài khoản), December 2023") {
			t.Errorf("English ranking: %s", text)
		}
		// Scoped: Huế ranks alone.
		_, body = s.get(hue, rpath)
		if _, text := svgOf(t, body); !strings.Contains(text, "1. Thừa Thiên Huế") || strings.Contains(text, "Hà Nội") {
			t.Errorf("Huế's ranking: %s", text)
		}
		// An indicator without values: a chart saying so.
		res, body = s.get(vpcp, "/charts/ranking.svg?indicator="+url.QueryEscape(empty)+"&period=2023-12")
		if _, text := svgOf(t, body); res.StatusCode != 200 || !strings.Contains(text, "Không có dữ liệu") {
			t.Errorf("ranking without data: %d %s", res.StatusCode, text)
		}

		// Bad input: coded, naming the parameter.
		for path, want := range map[string]string{
			"/charts/ranking.png":                                                  "INVALID indicator",
			"/charts/ranking.png?indicator=abc":                                    "INVALID indicator",
			"/charts/ranking.png?indicator=" + store.GlobalID("OrgUnit", 1):        "INVALID indicator",
			"/charts/ranking.png?indicator=" + store.GlobalID("Indicator", 99999):  "NOT_FOUND indicator",
			"/charts/ranking.png?indicator=" + ident + "&period=2023-13":           "INVALID period",
			"/charts/ranking.png?indicator=" + ident + "&level=DISTRICT":           "INVALID level",
			"/charts/ranking.png?indicator=" + ident + "&height=300":               "INVALID height",
			"/charts/indicator.png?indicator=" + ident + "&from=2023Q1&to=2023-12": "INVALID to",
			"/charts/indicator.png?indicator=" + ident + "&to=2023-12&width=10":    "INVALID width",
			"/charts/indicator.png?indicator=" + ident + "&unit=XX":                "NOT_FOUND ",
		} {
			res, body := s.get(vpcp, path, "Accept-Language", "en")
			code, field, m := errorCode(t, body)
			if code+" "+field != want || m == "" || res.StatusCode != map[string]int{"INVALID": 400, "NOT_FOUND": 404}[code] {
				t.Errorf("%s: %d %s (want %s)", path, res.StatusCode, body, want)
			}
		}
	})
}

// kpiValue is the figure the API gives for the indicator, unit and period.
type kpiValue struct {
	Value, Target, Attainment        *float64
	ContributingUnits, ExpectedUnits int
}

func (s *stack) kpiValue(c caller, indicator, unit, period string) kpiValue {
	s.t.Helper()
	var out struct{ KpiValue kpiValue }
	r := s.query(c, `query($i: ID!, $u: String!, $p: String!) { kpiValue(indicator: $i, orgUnit: $u, period: $p) {
		value target attainment contributingUnits expectedUnits } }`, map[string]any{"i": indicator, "u": unit, "p": period}, &out)
	if len(r.Errors) > 0 {
		s.t.Fatalf("kpiValue: %v", r.Errors)
	}
	return out.KpiValue
}

// xlsxRow is the row of the sheet whose column B is code, as raw values,
// with the cells' types.
func xlsxRow(t *testing.T, f *excelize.File, sheet, code string) ([]string, []excelize.CellType) {
	t.Helper()
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if len(r) > 1 && r[1] == code {
			var types []excelize.CellType
			for c := range r {
				cell, _ := excelize.CoordinatesToCellName(c+1, i+1)
				tt, _ := f.GetCellType(sheet, cell)
				types = append(types, tt)
			}
			return r, types
		}
	}
	t.Fatalf("sheet %s has no row %s", sheet, code)
	return nil, nil
}

// TestReportIndicatorsOverHTTP: the report's indicator section holds the
// figures kpiValue gives for the unit and period, with target and
// attainment: numbers in the XLSX, its own CSV file, a table in the PDF;
// the nation's likewise.
func TestReportIndicatorsOverHTTP(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		s := newStack(t, db)
		hue, vpcp, c06 := s.session("hue"), s.session("vpcp"), s.session("c06")
		ids := s.indicatorIDs(vpcp)
		s.setTargets(c06, ids["P06.01"], "46", map[string]float64{"2023Q4": 200000})
		want := s.kpiValue(hue, ids["P06.01"], "46", "2023Q4")
		if want.Value == nil || want.Target == nil || *want.Target != 200000 || want.Attainment == nil || want.ExpectedUnits != 1 {
			t.Fatalf("kpiValue: %+v", want)
		}

		_, body := s.get(hue, "/reports/46/2023Q4.xlsx")
		f, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		head, _ := f.GetRows("Chỉ tiêu")
		if len(head) < 5 || strings.Join(head[3], "|") != "Nhóm|Mã|Chỉ tiêu|Đơn vị tính|Giá trị|Chỉ tiêu giao|Tỷ lệ đạt|Đơn vị có số liệu|Đơn vị phải báo cáo" {
			t.Fatalf("indicators sheet: %v", head)
		}
		row, types := xlsxRow(t, f, "Chỉ tiêu", "P06.01")
		if row[2] != "Tài khoản đăng ký trên Cổng DVCQG" || row[3] != "tài khoản" || !closeTo(row[4], *want.Value) ||
			!closeTo(row[5], 200000) || !closeTo(row[6], *want.Attainment/100) || row[7] != "1" || row[8] != "1" {
			t.Errorf("P06.01 row %q, want %+v", row, want)
		}
		for c := 4; c <= 8; c++ {
			if types[c] != excelize.CellTypeUnset && types[c] != excelize.CellTypeNumber {
				t.Errorf("P06.01 column %d is not a number: %v", c+1, types[c])
			}
		}
		// Every indicator of the section is kpiValue's figure.
		rows, _ := f.GetRows("Chỉ tiêu", excelize.Options{RawCellValue: true})
		for _, r := range rows[4:] {
			got := s.kpiValue(hue, ids[r[1]], "46", "2023Q4")
			if (got.Value == nil) != (len(r) < 5 || r[4] == "") || got.Value != nil && !closeTo(r[4], *got.Value) {
				t.Errorf("%s: sheet %q, kpiValue %v", r[1], r, got.Value)
			}
		}

		// CSV: indicators.csv with the same figures, numbers with a dot.
		_, body = s.get(hue, "/reports/46/2023Q4.csv")
		found := false
		for _, r := range csvOf(t, body, "indicators.csv") {
			if r[1] == "P06.01" {
				found = closeTo(r[4], *want.Value) && r[5] == "200000" && closeTo(r[6], *want.Attainment)
				if !found {
					t.Errorf("indicators.csv P06.01: %q", r)
				}
			}
		}
		if !found {
			t.Error("no P06.01 in indicators.csv")
		}

		// PDF: the section's table.
		_, body = s.get(hue, "/reports/46/2023Q4.pdf")
		dump(t, "province-indicators-"+string(db.Engine)+".pdf", body)
		text := pdfText(t, body)
		for _, w := range []string{"III. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU", "Tài khoản đăng ký trên Cổng DVCQG (tài khoản)",
			formatVI(*want.Value), "200.000", formatVI(*want.Attainment) + "%", "1/1"} {
			if !strings.Contains(text, w) {
				t.Errorf("PDF lacks %q", w)
			}
		}

		// The nation: the essential services the nation reports itself.
		nat := s.kpiValue(vpcp, ids["P06.03"], "VN", "2023-12")
		if nat.Value == nil {
			t.Fatalf("VN P06.03: %+v", nat)
		}
		_, body = s.get(vpcp, "/reports/VN/2023-12.xlsx")
		if f, err = excelize.OpenReader(bytes.NewReader(body)); err != nil {
			t.Fatal(err)
		}
		if row, _ := xlsxRow(t, f, "Chỉ tiêu", "P06.03"); !closeTo(row[4], *nat.Value) {
			t.Errorf("VN P06.03 row %q, want %v", row, *nat.Value)
		}
		_, body = s.get(vpcp, "/reports/VN/2023-12.pdf")
		dump(t, "national-indicators-"+string(db.Engine)+".pdf", body)
		if text := pdfText(t, body); !strings.Contains(text, "IV. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU") ||
			!strings.Contains(text, "Dịch vụ công thiết yếu cung cấp trực tuyến (%)") {
			t.Errorf("national PDF's indicators: %s", text)
		}
	})
}

// formatVI writes v as the PDF does: "." for thousands, "," and one
// decimal.
func formatVI(v float64) string {
	s := strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(d)
	}
	if frac != "" {
		b.WriteString("," + frac)
	}
	return b.String()
}
