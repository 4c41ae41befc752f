package reports_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
)

// TestFreezeReports: a coordinator freezes a past month; each unit's
// snapshot is listed in scope, served with ?frozen=1, never replaced and
// never changed.
func TestFreezeReports(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			s := newStack(t, db)
			c06, hue, vpcp := s.session("c06"), s.session("hue"), s.token("vpcp")
			const freeze = `mutation($p: String!) { freezeReports(input: {period: $p}) { period created kept userErrors { field message code } } }`
			type payload struct {
				F struct {
					Period     *string
					Created    int
					Kept       int
					UserErrors []struct {
						Field []string
						Code  string
					}
				} `json:"freezeReports"`
			}
			var out payload
			if r := s.query(hue, freeze, map[string]any{"p": "2023-11"}, &out); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "FORBIDDEN" {
				t.Fatalf("a province freezing: %+v", r)
			}
			if r := s.query(c06, freeze, map[string]any{"p": "2026-12"}, &out); len(r.Errors) > 0 || len(out.F.UserErrors) != 1 ||
				out.F.UserErrors[0].Code != "INVALID" || strings.Join(out.F.UserErrors[0].Field, ".") != "input.period" {
				t.Fatalf("a running month: %+v %+v", r, out)
			}
			if r := s.query(c06, freeze, map[string]any{"p": "2021-12"}, &out); len(r.Errors) > 0 || len(out.F.UserErrors) != 1 ||
				out.F.UserErrors[0].Code != "INVALID" || strings.Join(out.F.UserErrors[0].Field, ".") != "input.period" {
				t.Fatalf("a month before the programme: %+v %+v", r, out)
			}
			if r := s.query(c06, freeze, map[string]any{"p": "2023-11"}, &out); len(r.Errors) > 0 || len(out.F.UserErrors) > 0 || out.F.Created != 1+31+63 || out.F.Kept != 0 {
				t.Fatalf("freezing: %+v %+v", r, out)
			}
			// The figures move on; the snapshot does not.
			if _, err := db.NewRaw("UPDATE report_snapshots SET as_of = '2000-01-01'").Exec(context.Background()); err == nil {
				t.Fatal("a snapshot was changed")
			}
			if _, err := db.NewRaw("DELETE FROM report_snapshots").Exec(context.Background()); err == nil {
				t.Fatal("a snapshot was deleted")
			}
			if r := s.query(c06, freeze, map[string]any{"p": "2023-11"}, &out); len(r.Errors) > 0 || out.F.Created != 0 || out.F.Kept != 95 {
				t.Fatalf("freezing again: %+v %+v", r, out)
			}
			var audit int
			if err := db.NewSelect().Table("audit_log").ColumnExpr("COUNT(*)").Where("action = 'report.freeze'").Scan(context.Background(), &audit); err != nil || audit != 2 {
				t.Fatalf("%d audit rows, %v", audit, err)
			}

			// Listed in scope.
			var list struct {
				S struct {
					TotalCount int
					Nodes      []struct {
						OrgUnit struct{ Code string }
						Period  string
						AsOf    string
						Cause   string
						Xlsx    string
					}
				} `json:"reportSnapshots"`
			}
			const q = `{ reportSnapshots(period: "2023-11") { totalCount nodes { orgUnit { code } period asOf cause xlsx } } }`
			if r := s.query(hue, q, nil, &list); len(r.Errors) > 0 || list.S.TotalCount != 1 || list.S.Nodes[0].OrgUnit.Code != "46" ||
				list.S.Nodes[0].AsOf != "2023-11-30" || list.S.Nodes[0].Cause != "MANUAL" || list.S.Nodes[0].Xlsx != "/reports/46/2023-11.xlsx?frozen=1" {
				t.Fatalf("Huế's snapshots: %+v %+v", r, list)
			}
			if r := s.query(vpcp, q, nil, &list); len(r.Errors) > 0 || list.S.TotalCount != 95 {
				t.Fatalf("national snapshots: %+v %d", r, list.S.TotalCount)
			}
			var links struct {
				L []struct {
					OrgUnit  struct{ Code string }
					Pdf      string
					Snapshot *struct{ Period string }
				} `json:"reportLinks"`
			}
			const lq = `query($p: String!) { reportLinks(period: $p) { orgUnit { code } pdf snapshot { period } } }`
			if r := s.query(hue, lq, map[string]any{"p": "2023-11"}, &links); len(r.Errors) > 0 || len(links.L) != 1 ||
				links.L[0].Pdf != "/reports/46/2023-11.pdf" || links.L[0].Snapshot == nil {
				t.Fatalf("Huế's links: %+v %+v", r, links)
			}
			if r := s.query(vpcp, lq, map[string]any{"p": "2024Q1"}, &links); len(r.Errors) > 0 || len(links.L) != 95 ||
				links.L[0].OrgUnit.Code != "VN" || links.L[0].Snapshot != nil {
				t.Fatalf("national links: %+v %d", r, len(links.L))
			}
			if r := s.query(vpcp, lq, map[string]any{"p": "2024-13"}, &links); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "INVALID" {
				t.Fatalf("bad period: %+v", r)
			}
			// No links to reports that cannot be made yet: a period to come
			// is INVALID, as its report is.
			if r := s.query(vpcp, lq, map[string]any{"p": "2100"}, &links); len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "INVALID" ||
				!strings.Contains(r.Errors[0].Message, "chưa bắt đầu") {
				t.Fatalf("a period to come: %+v", r)
			}

			// Served as frozen, saying so; another unit's is NOT_FOUND.
			res, body := s.get(hue, "/reports/46/2023-11.xlsx?frozen=1")
			if res.StatusCode != 200 {
				t.Fatalf("frozen xlsx: %d %s", res.StatusCode, body)
			}
			f, err := excelize.OpenReader(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if v, _ := f.GetCellValue("Tổng hợp", "A2"); !strings.Contains(v, "bản chốt số liệu") || !strings.Contains(v, "30/11/2023") {
				t.Errorf("frozen subheading %q", v)
			}
			if res, _ := s.get(hue, "/reports/01/2023-11.xlsx?frozen=1"); res.StatusCode != 404 {
				t.Errorf("Hà Nội's snapshot as Huế: %d", res.StatusCode)
			}
			if res, _ := s.get(hue, "/reports/46/2023-10.pdf?frozen=1"); res.StatusCode != 404 {
				t.Errorf("an unfrozen month: %d", res.StatusCode)
			}
			if res, body := s.get(vpcp, "/reports/VN/2023-11.pdf?frozen=1"); res.StatusCode != 200 || !strings.Contains(pdfText(t, body), "III. SO SÁNH") ||
				!strings.Contains(pdfText(t, body), "(Bản chốt số liệu #") {
				t.Errorf("national frozen pdf: %d", res.StatusCode)
			}
			if res, body := s.get(hue, "/reports/46/2023-11.pdf"); res.StatusCode != 200 || strings.Contains(pdfText(t, body), "chốt số liệu") {
				t.Errorf("the live pdf says it is frozen: %d", res.StatusCode)
			}
			if res, body := s.get(hue, "/reports/46/2023-11.pdf?frozen=yes"); res.StatusCode != 400 || !strings.Contains(string(body), `"field":"frozen"`) {
				t.Errorf("frozen=yes: %d %s", res.StatusCode, body)
			}
			_ = store.Date{}
		})
	}
}
