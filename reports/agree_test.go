package reports_test

import (
	"bytes"
	"fmt"
	"strconv"
	"testing"

	"github.com/xuri/excelize/v2"

	"p06/seeds/seedtest"
	"p06/store"
	"p06/tasks"
)

// summaryByStatus is programmeSummary's byStatus for the unit as of day,
// as c reads it.
func (s *stack) summaryByStatus(c caller, unit string, day store.Date) map[tasks.Status]int {
	s.t.Helper()
	var out struct {
		ProgrammeSummary struct {
			ByStatus []struct {
				Status tasks.Status
				Count  int
			}
		}
	}
	r := s.query(c, `query($u: String, $d: Date) { programmeSummary(orgUnit: $u, asOf: $d) { byStatus { status count } } }`,
		map[string]any{"u": unit, "d": day.String()}, &out)
	if len(r.Errors) > 0 {
		s.t.Fatalf("programmeSummary: %v", r.Errors)
	}
	m := map[tasks.Status]int{}
	for _, x := range out.ProgrammeSummary.ByStatus {
		m[x.Status] = x.Count
	}
	return m
}

// TestReportsAgreeWithProgrammeSummary: the counts a report states (read
// from its XLSX) are programmeSummary's for the same unit and day, at the
// period's start and end; the national report's province and ministry
// rows too. (They are read from the kept statuses where the unit is a
// kept scope, and by the rule elsewhere.)
func TestReportsAgreeWithProgrammeSummary(t *testing.T) {
	t.Parallel()
	raw := excelize.Options{RawCellValue: true}
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		s := newStack(t, db)
		vpcp, hue := s.session("vpcp"), s.session("hue")
		for _, c := range []struct {
			who          caller
			unit, period string
			start, end   store.Date
		}{
			{hue, "46", "2023Q4", store.MustDate("2023-09-30"), store.MustDate("2023-12-31")},
			{vpcp, "01", "2023-06", store.MustDate("2023-05-31"), store.MustDate("2023-06-30")},
			{vpcp, "BCA", "2022", store.MustDate("2021-12-31"), store.MustDate("2022-12-31")},
			{vpcp, "VN", "2023-12", store.MustDate("2023-11-30"), store.MustDate("2023-12-31")},
		} {
			res, body := s.get(c.who, "/reports/"+c.unit+"/"+c.period+".xlsx")
			if res.StatusCode != 200 {
				t.Fatalf("%s %s: %d %s", c.unit, c.period, res.StatusCode, body)
			}
			f, err := excelize.OpenReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			atStart, atEnd := s.summaryByStatus(c.who, c.unit, c.start), s.summaryByStatus(c.who, c.unit, c.end)
			total := 0
			for i, st := range tasks.Statuses {
				b, _ := f.GetCellValue("Tổng hợp", fmt.Sprintf("B%d", 5+i), raw)
				e, _ := f.GetCellValue("Tổng hợp", fmt.Sprintf("C%d", 5+i), raw)
				if b != strconv.Itoa(atStart[st]) || e != strconv.Itoa(atEnd[st]) {
					t.Errorf("%s %s %s: report %s → %s, programmeSummary %d → %d", c.unit, c.period, st, b, e, atStart[st], atEnd[st])
				}
				total += atEnd[st]
			}
			if total == 0 {
				t.Errorf("%s %s: no task to compare", c.unit, c.period)
			}
			if c.unit != "VN" {
				continue
			}
			for sheet, codes := range map[string][]string{"Tỉnh, thành phố": {"01", "46", "79"}, "Bộ, ngành": {"BCA", "BTP"}} {
				rows, _ := f.GetRows(sheet, raw)
				for _, code := range codes {
					want := s.summaryByStatus(c.who, code, c.end)
					found := false
					for _, r := range rows[4:] {
						if r[1] != unitNameOf(t, s, c.who, code) {
							continue
						}
						found = true
						for i, st := range tasks.Statuses {
							if r[3+i] != strconv.Itoa(want[st]) {
								t.Errorf("VN %s, %s %s: report %s, programmeSummary %d", c.period, code, st, r[3+i], want[st])
							}
						}
					}
					if !found {
						t.Errorf("VN %s: no row for %s in %s", c.period, code, sheet)
					}
				}
			}
		}
	})
}

// unitNameOf is the unit's name as c reads it.
func unitNameOf(t *testing.T, s *stack, c caller, code string) string {
	t.Helper()
	var out struct{ OrgUnit struct{ Name string } }
	if r := s.query(c, `query($c: String!) { orgUnit(code: $c) { name } }`, map[string]any{"c": code}, &out); len(r.Errors) > 0 {
		t.Fatalf("orgUnit %s: %v", code, r.Errors)
	}
	return out.OrgUnit.Name
}
