package graph_test

import (
	"fmt"
	"testing"

	"p06/seeds/seedtest"
	"p06/store"
)

// statusByUnit gives, for each province or ministry the caller reads, what
// programmeSummary(orgUnit:) gives for it, in one request; a province's
// user gets its own row only; other levels are refused.
func TestStatusByUnitIsEachUnitsSummary(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		type row struct {
			OrgUnit   struct{ Code string }
			AsOf      string
			TaskCount int
			ByStatus  []struct {
				Status string
				Count  int
			}
		}
		counts := func(r row) string { return fmt.Sprint(r.TaskCount, r.ByStatus) }
		vpcp := newClient(t, db)
		const q = `query($level: OrgUnitKind!) { statusByUnit(level: $level, asOf: "2023-12-21") {
			orgUnit { code } asOf taskCount byStatus { status count } } }`
		for level, want := range map[string]int{"PROVINCE": 63, "MINISTRY": 0} {
			var out struct{ StatusByUnit []row }
			vpcp.must(q, map[string]any{"level": level}, &out)
			if len(out.StatusByUnit) < 1 || (want > 0 && len(out.StatusByUnit) != want) {
				t.Fatalf("%s: %d rows", level, len(out.StatusByUnit))
			}
			overdue := 0
			for i, r := range out.StatusByUnit {
				for _, s := range r.ByStatus {
					if s.Status == "OVERDUE" {
						overdue += s.Count
					}
				}
				if i%9 != 0 && r.OrgUnit.Code != "46" {
					continue // a sample, each its own request
				}
				var s struct{ S row }
				vpcp.must(`query($u: String!) { s: programmeSummary(asOf: "2023-12-21", orgUnit: $u) {
					orgUnit { code } asOf taskCount byStatus { status count } } }`, map[string]any{"u": r.OrgUnit.Code}, &s)
				if r.AsOf != "2023-12-21" || counts(r) != counts(s.S) {
					t.Errorf("%s: statusByUnit %s, programmeSummary %s", r.OrgUnit.Code, counts(r), counts(s.S))
				}
			}
			if level == "PROVINCE" && overdue == 0 {
				t.Errorf("no province has an overdue task at the review")
			}
		}

		hue := &client{t: t, url: serveAs(t, db, "hue")}
		var own struct{ StatusByUnit []row }
		hue.must(q, map[string]any{"level": "PROVINCE"}, &own)
		if len(own.StatusByUnit) != 1 || own.StatusByUnit[0].OrgUnit.Code != "46" || own.StatusByUnit[0].TaskCount == 0 {
			t.Errorf("hue's rows: %+v", own.StatusByUnit)
		}
		r := hue.do(q, map[string]any{"level": "COMMUNE"}, nil, "Accept-Language", "en")
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "INVALID" || r.Errors[0].Extensions["field"] != "level" {
			t.Errorf("level COMMUNE: %+v", r.Errors)
		}
	})
}
