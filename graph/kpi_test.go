package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"p06/gen"
	"p06/kpi"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
)

// The review's national figures come back exactly from the provinces'
// demo values through kpiValue(orgUnit: "VN").
func TestKpiSeededHeadlineFigures(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			c := newClient(t, seedtest.Shared(t, d))
			want := map[string]float64{"P06.01": 11200000, "P06.02": 35400000, "P06.04": 70000000, "P06.05": 2200000,
				"P06.06": 10200000, "P06.07": 16800000, "P06.08": 63, "P06.09": 100, "P06.03": 100 * 38.0 / 53}
			for code, v := range want {
				id := indicatorID(c, code)
				for _, approved := range []bool{false, true} {
					var out struct {
						KpiValue struct {
							Value                            float64
							ContributingUnits, ExpectedUnits int
						}
					}
					c.must(`query($i: ID!, $a: Boolean) { kpiValue(indicator: $i, orgUnit: "VN", period: "2023-12", approvedOnly: $a) { value contributingUnits expectedUnits } }`,
						map[string]any{"i": id, "a": approved}, &out)
					if math.Abs(out.KpiValue.Value-v) > 1e-9 {
						t.Errorf("%s: %v, want %v", code, out.KpiValue.Value, v)
					}
					if code != "P06.03" && (out.KpiValue.ContributingUnits != 63 || out.KpiValue.ExpectedUnits != 63) {
						t.Errorf("%s: %d of %d units", code, out.KpiValue.ContributingUnits, out.KpiValue.ExpectedUnits)
					}
				}
				if code == "P06.03" || code == "P06.08" || code == "P06.09" {
					continue // ratios over a year are Σ numerators / Σ denominators of its months
				}
				// A year of a stock figure is its last month.
				var y struct{ KpiValue struct{ Value float64 } }
				c.must(`query($i: ID!) { kpiValue(indicator: $i, orgUnit: "VN", period: "2023") { value } }`, map[string]any{"i": id}, &y)
				if math.Abs(y.KpiValue.Value-v) > 1e-9 {
					t.Errorf("%s 2023: %v, want %v", code, y.KpiValue.Value, v)
				}
			}
			var r struct {
				KpiRanking []struct {
					OrgUnit struct{ Code string }
					Value   float64
					Rank    int
				}
			}
			c.must(`query($i: ID!) { kpiRanking(indicator: $i, period: "2023-12", level: PROVINCE) { orgUnit { code } value rank } }`,
				map[string]any{"i": indicatorID(c, "P06.04")}, &r)
			if len(r.KpiRanking) != 63 || r.KpiRanking[0].OrgUnit.Code != "79" || r.KpiRanking[0].Rank != 1 {
				t.Fatalf("ranking: %+v", r.KpiRanking[:min(3, len(r.KpiRanking))])
			}
		})
	}
}

func indicatorID(c *client, code string) string {
	c.t.Helper()
	var out struct{ Indicators []struct{ ID, Code string } }
	c.must(`query($s: String) { indicators(filter: {search: $s}) { id code } }`, map[string]any{"s": code}, &out)
	for _, i := range out.Indicators {
		if i.Code == code {
			return i.ID
		}
	}
	c.t.Fatalf("no indicator %s in %+v", code, out)
	return ""
}

const submitMutation = `mutation($in: SubmitDataValuesInput!) { submitDataValues(input: $in) {
	values { id version state value numerator denominator }
	problems { index indicator orgUnit period rule message code }
	warnings { rule message }
	userErrors { field message code } } }`

type submitOut struct {
	SubmitDataValues struct {
		Values []struct {
			ID, State                     string
			Version                       int
			Value, Numerator, Denominator *float64
		}
		Problems []struct {
			Index                                  int
			Indicator, OrgUnit, Period, Rule, Code string
			Message                                string
		}
		Warnings   []struct{ Rule, Message string }
		UserErrors []struct {
			Field         []string
			Message, Code string
		}
	}
}

func submit(c *client, values []map[string]any, doSubmit bool, extra map[string]any, lang string) (submitOut, response) {
	c.t.Helper()
	in := map[string]any{"values": values, "submit": doSubmit}
	for k, v := range extra {
		in[k] = v
	}
	var out submitOut
	r := c.do(submitMutation, map[string]any{"in": in}, &out, "Accept-Language", lang)
	return out, r
}

// saveIndicator creates an indicator as c06 (the coordinator) and returns its ID.
// indicatorDefaults fills what in leaves out of a SaveIndicatorInput: a
// monthly count of dossiers by provinces, due ten days after the month.
func indicatorDefaults(in map[string]any) map[string]any {
	base := map[string]any{"unit": "hồ sơ", "periodType": "MONTH", "direction": "HIGHER_IS_BETTER", "reportingUnitKinds": []string{"PROVINCE"}, "dueDays": 10}
	for k, v := range base {
		if _, ok := in[k]; !ok {
			in[k] = v
		}
	}
	return in
}

func saveIndicator(c *client, in map[string]any) string {
	c.t.Helper()
	var gs struct{ IndicatorGroups []struct{ ID, Code string } }
	c.must(`{ indicatorGroups { id code } }`, nil, &gs)
	in["group"] = gs.IndicatorGroups[0].ID
	indicatorDefaults(in)
	var out struct {
		SaveIndicator struct {
			Indicator  *struct{ ID string }
			UserErrors []struct{ Message string }
		}
	}
	c.must(`mutation($in: SaveIndicatorInput!) { saveIndicator(input: $in) { indicator { id } userErrors { message } } }`, map[string]any{"in": in}, &out)
	if out.SaveIndicator.Indicator == nil {
		c.t.Fatalf("saveIndicator: %+v", out.SaveIndicator.UserErrors)
	}
	return out.SaveIndicator.Indicator.ID
}

func kpiValue(c *client, ind, unit, period string, approvedOnly bool) (v *float64, contributing int) {
	c.t.Helper()
	var out struct {
		KpiValue struct {
			Value             *float64
			ContributingUnits int
		}
	}
	c.must(`query($i: ID!, $u: String!, $p: String!, $a: Boolean) { kpiValue(indicator: $i, orgUnit: $u, period: $p, approvedOnly: $a) { value contributingUnits } }`,
		map[string]any{"i": ind, "u": unit, "p": period, "a": approvedOnly}, &out)
	return out.KpiValue.Value, out.KpiValue.ContributingUnits
}

func val(c *client, ind, unit, period string) float64 {
	c.t.Helper()
	v, _ := kpiValue(c, ind, unit, period, false)
	if v == nil {
		c.t.Fatalf("no value of %s for %s, %s", ind, unit, period)
	}
	return *v
}

func TestKpiRollUpRules(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			c06 := &client{t: t, url: serveAs(t, db, "c06")}
			hue := &client{t: t, url: serveAs(t, db, "hue")}
			hanoi := &client{t: t, url: serveAs(t, db, "hanoi")}
			ratio := saveIndicator(c06, map[string]any{"code": "T.RATIO", "name": "Tỷ lệ thử", "kind": "PERCENT", "aggregation": "RATIO_OF_SUMS"})
			stock := saveIndicator(c06, map[string]any{"code": "T.STOCK", "name": "Tài khoản thử", "kind": "COUNT", "aggregation": "LATEST"})
			flow := saveIndicator(c06, map[string]any{"code": "T.FLOW", "name": "Hồ sơ thử", "kind": "COUNT", "aggregation": "SUM"})
			yes := saveIndicator(c06, map[string]any{"code": "T.YES", "name": "Có kết nối", "kind": "BOOLEAN", "aggregation": "SHARE_OF_UNITS"})
			enter := func(c *client, unit string, vs ...map[string]any) {
				for _, v := range vs {
					v["orgUnit"] = unit
				}
				out, r := submit(c, vs, true, nil, "vi")
				if len(r.Errors) > 0 || len(out.SubmitDataValues.UserErrors) > 0 || len(out.SubmitDataValues.Values) != len(vs) {
					t.Fatalf("submit %s: %+v %+v", unit, r.Errors, out.SubmitDataValues)
				}
			}
			enter(hue, "46",
				map[string]any{"indicator": ratio, "period": "2026-01", "numerator": 1, "denominator": 2},
				map[string]any{"indicator": ratio, "period": "2026-02", "numerator": 1, "denominator": 8},
				map[string]any{"indicator": stock, "period": "2026-01", "value": 10},
				map[string]any{"indicator": stock, "period": "2026-02", "value": 20},
				map[string]any{"indicator": stock, "period": "2026-03", "value": 30},
				map[string]any{"indicator": flow, "period": "2026-01", "value": 10},
				map[string]any{"indicator": flow, "period": "2026-02", "value": 20},
				map[string]any{"indicator": yes, "period": "2026-01", "value": 1})
			enter(hanoi, "01",
				map[string]any{"indicator": ratio, "period": "2026-01", "numerator": 1, "denominator": 8},
				map[string]any{"indicator": stock, "period": "2026-03", "value": 5},
				map[string]any{"indicator": yes, "period": "2026-01", "value": 0})
			// A batch above the 100 items of other lists: ten years of months.
			var months []map[string]any
			for m := 0; m < 120; m++ {
				months = append(months, map[string]any{"indicator": flow, "period": fmt.Sprintf("%d-%02d", 2016+m/12, m%12+1), "value": m})
			}
			enter(hanoi, "01", months...)
			if v := val(c06, flow, "01", "2025"); v != float64(12*108+66) {
				t.Errorf("SUM year %v", v)
			}
			// A share over several months is over its unit-months: Huế yes in
			// January and February, Hà Nội no in January: 2 of 3.
			enter(hue, "46", map[string]any{"indicator": yes, "period": "2026-02", "value": 1})
			if v, n := kpiValue(c06, yes, "VN", "2026Q1", false); v == nil || math.Abs(*v-200.0/3) > 1e-9 || n != 2 {
				t.Errorf("SHARE_OF_UNITS over a quarter %v of %d", v, n)
			}
			// Ratio of sums, never the mean of ratios: (1+1)/(2+8) = 20%, not 31.25%.
			if v := val(c06, ratio, "VN", "2026-01"); math.Abs(v-20) > 1e-9 {
				t.Errorf("national ratio %v", v)
			}
			// A quarter from its months the same way: Huế (1+1)/(2+8).
			if v := val(c06, ratio, "46", "2026Q1"); math.Abs(v-20) > 1e-9 {
				t.Errorf("Huế's quarter %v", v)
			}
			if v := val(c06, stock, "46", "2026Q1"); v != 30 {
				t.Errorf("LATEST quarter %v", v)
			}
			if v := val(c06, stock, "VN", "2026-03"); v != 35 {
				t.Errorf("LATEST across units %v", v)
			}
			if v := val(c06, flow, "46", "2026Q1"); v != 30 {
				t.Errorf("SUM quarter %v", v)
			}
			if v, n := kpiValue(c06, yes, "VN", "2026-01", false); v == nil || *v != 50 || n != 2 {
				t.Errorf("SHARE_OF_UNITS %v of %d", v, n)
			}
			// A caller's figures are of units it reads: Huế asking the nation is refused.
			if r := hue.do(`query($i: ID!) { kpiValue(indicator: $i, orgUnit: "VN", period: "2026-01") { value } }`, map[string]any{"i": ratio}, nil); code(r) != "NOT_FOUND" {
				t.Errorf("Huế asking the nation: %+v", r.Errors)
			}
			if v := val(hue, ratio, "46", "2026-01"); v != 50 {
				t.Errorf("Huế's own %v", v)
			}
			// Nothing approved yet.
			if v, _ := kpiValue(c06, ratio, "VN", "2026-01", true); v != nil {
				t.Errorf("approved only: %v", *v)
			}
		})
	}
}

func TestKpiApprovalAndValidation(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			c06 := &client{t: t, url: serveAs(t, db, "c06")}
			hanoi := &client{t: t, url: serveAs(t, db, "hanoi")}
			approver := &client{t: t, url: serveAs(t, db, "hanoi-approver")}
			hue := &client{t: t, url: serveAs(t, db, "hue")}
			pct := saveIndicator(c06, map[string]any{"code": "T.PCT", "name": "Tỷ lệ", "kind": "PERCENT", "aggregation": "RATIO_OF_SUMS", "jumpThreshold": 50})
			cnt := saveIndicator(c06, map[string]any{"code": "T.CNT", "name": "Số hồ sơ", "kind": "COUNT", "aggregation": "SUM", "max": 1000, "min": 1})
			nat := saveIndicator(c06, map[string]any{"code": "T.NAT", "name": "Chỉ tiêu quốc gia", "kind": "COUNT", "aggregation": "SUM", "reportingUnitKinds": []string{"NATIONAL"}})

			// Every rule, in one refused batch: nothing saved.
			bad := []map[string]any{
				{"indicator": cnt, "orgUnit": "01", "period": "2026-01", "value": -1},
				{"indicator": cnt, "orgUnit": "01", "period": "2026-02", "value": 1.5},
				{"indicator": pct, "orgUnit": "01", "period": "2026-01", "numerator": 5, "denominator": 4},
				{"indicator": pct, "orgUnit": "01", "period": "2026-02", "numerator": 1, "denominator": 2, "value": 120},
				{"indicator": cnt, "orgUnit": "01", "period": "2027-01", "value": 5},
				{"indicator": nat, "orgUnit": "01", "period": "2026-01", "value": 5},
				{"indicator": cnt, "orgUnit": "01", "period": "2026-03", "value": 5000},
				{"indicator": cnt, "orgUnit": "01", "period": "2026-04", "value": 0},
				{"indicator": cnt, "orgUnit": "01", "period": "2026Q1", "value": 5},
				{"indicator": pct, "orgUnit": "01", "period": "2026-03", "value": 50},
				{"indicator": cnt, "orgUnit": "46", "period": "2026-05", "value": 5},
				{"indicator": cnt, "orgUnit": "01", "period": "2026-06", "value": 5},
				{"indicator": cnt, "orgUnit": "01", "period": "2026-06", "value": 6},
			}
			out, r := submit(hanoi, bad, true, nil, "en")
			want := []string{"NEGATIVE", "KIND", "NUMERATOR_DENOMINATOR", "PERCENT_RANGE", "FUTURE_PERIOD", "UNIT_NOT_REPORTING", "MAX", "MIN", "PERIOD", "KIND", "UNIT", "DUPLICATE"}
			got := map[string]bool{}
			for _, p := range out.SubmitDataValues.Problems {
				got[p.Rule] = true
				if p.Indicator == "" || p.OrgUnit == "" || p.Period == "" || p.Message == "" {
					t.Errorf("problem without its names: %+v", p)
				}
			}
			for _, w := range want {
				if !got[w] {
					t.Errorf("no %s problem in %+v", w, out.SubmitDataValues.Problems)
				}
			}
			if len(r.Errors) > 0 || len(out.SubmitDataValues.Values) != 0 || len(out.SubmitDataValues.UserErrors) != 1 {
				t.Fatalf("refused batch: %+v %+v", r.Errors, out.SubmitDataValues)
			}
			if n := auditCount(t, db, "kpi.value.submit"); n != 0 {
				t.Fatalf("audit rows of a refused batch: %d", n)
			}

			// Drafts, then submitted; the version is required after.
			out, _ = submit(hanoi, []map[string]any{{"indicator": pct, "orgUnit": "01", "period": "2026-01", "numerator": 40, "denominator": 100}}, false, nil, "vi")
			dv := out.SubmitDataValues.Values[0]
			if dv.State != "DRAFT" || dv.Version != 1 {
				t.Fatalf("draft: %+v", out.SubmitDataValues)
			}
			if v, _ := kpiValue(c06, pct, "VN", "2026-01", false); v != nil {
				t.Fatalf("a draft counted: %v", *v)
			}
			out, _ = submit(hanoi, []map[string]any{{"indicator": pct, "orgUnit": "01", "period": "2026-01", "numerator": 40, "denominator": 100}}, true, nil, "vi")
			if len(out.SubmitDataValues.Problems) != 1 || out.SubmitDataValues.Problems[0].Rule != "VERSION" || out.SubmitDataValues.Problems[0].Code != "CONFLICT" {
				t.Fatalf("stale version: %+v", out.SubmitDataValues)
			}
			out, _ = submit(hanoi, []map[string]any{{"indicator": pct, "orgUnit": "01", "period": "2026-01", "numerator": 40, "denominator": 100, "expectedVersion": 1}}, true, nil, "vi")
			if dv = out.SubmitDataValues.Values[0]; dv.State != "SUBMITTED" || dv.Version != 2 {
				t.Fatalf("submitted: %+v", out.SubmitDataValues)
			}
			if v := val(c06, pct, "VN", "2026-01"); v != 40 {
				t.Fatalf("submitted figure %v", v)
			}

			// The jump warning: 40% → 90% is over 50%; saved only when confirmed.
			jump := []map[string]any{{"indicator": pct, "orgUnit": "01", "period": "2026-02", "numerator": 90, "denominator": 100}}
			out, _ = submit(hanoi, jump, true, nil, "vi")
			if len(out.SubmitDataValues.Warnings) != 1 || out.SubmitDataValues.Warnings[0].Rule != "JUMP" || len(out.SubmitDataValues.Values) != 0 {
				t.Fatalf("jump: %+v", out.SubmitDataValues)
			}
			out, _ = submit(hanoi, jump, true, map[string]any{"confirmJumps": true}, "vi")
			if len(out.SubmitDataValues.Values) != 1 {
				t.Fatalf("confirmed jump: %+v", out.SubmitDataValues)
			}

			// An approver of another province cannot see (so not approve) Hà Nội's value.
			decide := func(c *client, mutation, input string, vars map[string]any) (struct {
				Values []struct {
					State   string
					Version int
				}
				Problems   []struct{ Rule string }
				UserErrors []struct {
					Code  string
					Field []string
				}
			}, response) {
				var out map[string]json.RawMessage
				r := c.do(`mutation($in: `+input+`!) { `+mutation+`(input: $in) { values { state version } problems { rule } userErrors { code field } } }`, map[string]any{"in": vars}, &out)
				var p struct {
					Values []struct {
						State   string
						Version int
					}
					Problems   []struct{ Rule string }
					UserErrors []struct {
						Code  string
						Field []string
					}
				}
				if raw, ok := out[mutation]; ok {
					json.Unmarshal(raw, &p)
				}
				return p, r
			}
			p, r := decide(hue, "approveDataValues", "DataValueIdsInput", map[string]any{"values": []string{dv.ID}})
			if code(r) != "FORBIDDEN" {
				t.Fatalf("an editor approving: %+v %+v", p, r.Errors)
			}
			other := &client{t: t, url: serveAs(t, db, "viewer-46")}
			if _, r = decide(other, "approveDataValues", "DataValueIdsInput", map[string]any{"values": []string{dv.ID}}); code(r) != "FORBIDDEN" {
				t.Fatalf("a viewer approving: %+v", r.Errors)
			}
			p, r = decide(approver, "approveDataValues", "DataValueIdsInput", map[string]any{"values": []string{dv.ID}})
			if len(r.Errors) > 0 || len(p.Values) != 1 || p.Values[0].State != "APPROVED" {
				t.Fatalf("approve: %+v %+v", p, r.Errors)
			}
			if v, _ := kpiValue(c06, pct, "VN", "2026-01", true); v == nil || *v != 40 {
				t.Fatalf("approved only after approval: %v", v)
			}
			// Locked: a correction needs reopening.
			out, _ = submit(hanoi, []map[string]any{{"indicator": pct, "orgUnit": "01", "period": "2026-01", "numerator": 45, "denominator": 100, "expectedVersion": 3}}, true, nil, "vi")
			if len(out.SubmitDataValues.Problems) != 1 || out.SubmitDataValues.Problems[0].Rule != "LOCKED" {
				t.Fatalf("locked: %+v", out.SubmitDataValues)
			}
			p, _ = decide(c06, "acceptDataValues", "DataValueIdsInput", map[string]any{"values": []string{dv.ID}})
			if len(p.Values) != 1 || p.Values[0].State != "ACCEPTED" {
				t.Fatalf("accept: %+v", p)
			}
			// ACCEPTED is reopened by the coordinator (ACCEPT_KPI), not the province's approver.
			if _, r = decide(approver, "reopenDataValue", "ReopenDataValueInput", map[string]any{"value": dv.ID, "reason": "sửa"}); code(r) != "FORBIDDEN" {
				t.Fatalf("approver reopening an accepted value: %+v", r.Errors)
			}
			if p, _ = decide(c06, "reopenDataValue", "ReopenDataValueInput", map[string]any{"value": dv.ID, "reason": ""}); len(p.UserErrors) != 1 {
				t.Fatalf("reopen without a reason: %+v", p)
			}
			// Its input names one value: an error about it says value, not values.0.
			for _, id := range []string{store.GlobalID("DataValue", 1<<40), "not an id"} {
				if p, _ = decide(c06, "reopenDataValue", "ReopenDataValueInput", map[string]any{"value": id, "reason": "sửa"}); len(p.UserErrors) != 1 ||
					strings.Join(p.UserErrors[0].Field, ".") != "input.value" {
					t.Fatalf("reopening %q: %+v", id, p.UserErrors)
				}
			}
			p, _ = decide(c06, "reopenDataValue", "ReopenDataValueInput", map[string]any{"value": dv.ID, "reason": "Số liệu sai, cần sửa"})
			if len(p.Values) != 1 || p.Values[0].State != "SUBMITTED" {
				t.Fatalf("reopen: %+v", p)
			}
			if v, _ := kpiValue(c06, pct, "VN", "2026-01", true); v != nil {
				t.Fatalf("a reopened value still approved: %v", *v)
			}
			out, _ = submit(hanoi, []map[string]any{{"indicator": pct, "orgUnit": "01", "period": "2026-01", "numerator": 45, "denominator": 100, "expectedVersion": p.Values[0].Version}}, true, nil, "vi")
			if len(out.SubmitDataValues.Values) != 1 || val(c06, pct, "VN", "2026-01") != 45 {
				t.Fatalf("corrected: %+v", out.SubmitDataValues)
			}
			var h struct {
				DataValues struct {
					Nodes []struct {
						History []struct {
							Version   int
							Numerator float64
							State     string
						}
					}
				}
			}
			c06.must(`query($i: ID) { dataValues(filter: {indicator: $i, period: "2026-01"}) { nodes { history { version numerator state } } } }`, map[string]any{"i": pct}, &h)
			if len(h.DataValues.Nodes) != 1 || len(h.DataValues.Nodes[0].History) != 6 || h.DataValues.Nodes[0].History[0].Numerator != 40 {
				t.Fatalf("history: %+v", h)
			}
		})
	}
}

// node(id:) resolves indicator groups, indicators and data values, a value
// only for a caller who reads its unit.
func TestKpiNode(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Shared(t, d)
			c := newClient(t, db)
			hue := &client{t: t, url: serveAs(t, db, "hue")}
			ind := indicatorID(c, "P06.04")
			var vs struct {
				DataValues struct{ Nodes []struct{ ID string } }
			}
			c.must(`query($i: ID) { dataValues(filter: {indicator: $i, orgUnit: "01", period: "2023-12"}) { nodes { id } } }`, map[string]any{"i": ind}, &vs)
			if len(vs.DataValues.Nodes) != 1 {
				t.Fatalf("values: %+v", vs)
			}
			const q = `query($ids: [ID!]!) { nodes(ids: $ids) { __typename
				... on DataValue { period orgUnit { code } indicator { code } }
				... on Indicator { code group { id } }
				... on IndicatorGroup { code } } }`
			var out struct {
				Nodes []*struct {
					Typename  string `json:"__typename"`
					Period    string
					Code      string
					OrgUnit   struct{ Code string }
					Indicator struct{ Code string }
					Group     struct{ ID string }
				}
			}
			var g struct {
				Node struct{ Group struct{ ID string } }
			}
			c.must(`query($id: ID!) { node(id: $id) { ... on Indicator { group { id } } } }`, map[string]any{"id": ind}, &g)
			c.must(q, map[string]any{"ids": []string{vs.DataValues.Nodes[0].ID, ind, g.Node.Group.ID}}, &out)
			if len(out.Nodes) != 3 || out.Nodes[0] == nil || out.Nodes[0].Typename != "DataValue" || out.Nodes[0].Period != "2023-12" ||
				out.Nodes[0].OrgUnit.Code != "01" || out.Nodes[0].Indicator.Code != "P06.04" ||
				out.Nodes[1] == nil || out.Nodes[1].Code != "P06.04" || out.Nodes[2] == nil || out.Nodes[2].Typename != "IndicatorGroup" {
				t.Fatalf("nodes: %+v", out.Nodes)
			}
			// Hà Nội's value is not Huế's to read: NOT_FOUND, as if it did not exist.
			var none struct{ Node *struct{ ID string } }
			if r := hue.do(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": vs.DataValues.Nodes[0].ID}, &none); code(r) != "NOT_FOUND" || none.Node != nil {
				t.Fatalf("Huế reading Hà Nội's value: %+v %+v", r.Errors, none)
			}
		})
	}
}

// The tables by level are priced at the statements they run and the rows
// they read: with 5,040 communes, every group's completeness for a year by
// commune (each indicator's values of every commune for twelve months) is
// refused before it runs, with a coded error; a month's completeness by
// province and a month's ranking of the 5,040 communes are answered; 50
// yearly rankings of the provinces in one request are refused.
func TestKpiLevelTablesArePricedByTheirRows(t *testing.T) {
	t.Parallel()
	db := seedtest.Fresh(t, store.SQLite)
	o := gen.DefaultOptions
	o.Tasks, o.Documents, o.CommunesPerProvince, o.Seed, o.Clock = 40, 1, 80, 3, store.FixedClock(today)
	if _, err := gen.Programme(context.Background(), db, o); err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, url: serveAs(t, db, "vpcp")}
	r := c.do(`{ kpiCompleteness(period: "2023", level: COMMUNE) { orgUnit { code } expected submitted } }`, nil, nil)
	if code(r) != "COMPLEXITY_LIMIT_EXCEEDED" {
		t.Fatalf("a year's completeness of every group by commune: %+v", r.Errors)
	}
	var ok struct {
		KpiCompleteness []struct{ Expected int }
		KpiRanking      []struct{ OrgUnit struct{ Code string } }
	}
	var inds struct{ Indicators []struct{ ID string } }
	c.must(`{ indicators(filter: {search: "766"}) { id } }`, nil, &inds)
	c.must(`query($i: ID!) { kpiCompleteness(period: "2023-12", level: PROVINCE) { expected }
		kpiRanking(indicator: $i, period: "2023-12", level: COMMUNE) { orgUnit { code } } }`, map[string]any{"i": inds.Indicators[0].ID}, &ok)
	if len(ok.KpiCompleteness) != 63 || ok.KpiCompleteness[0].Expected == 0 || len(ok.KpiRanking) != 63*80 {
		t.Fatalf("completeness by province: %d rows, ranking of communes: %d rows", len(ok.KpiCompleteness), len(ok.KpiRanking))
	}
	// Each table runs its statements whatever its rows: 50 yearly rankings
	// of the provinces in one request are refused, 10 answered.
	rankings := func(n int) string {
		return aliased(`query($i: ID!)`, "r", n, `kpiRanking(indicator: $i, period: "2023", level: PROVINCE) { rank }`)
	}
	if r := c.do(rankings(50), map[string]any{"i": inds.Indicators[0].ID}, nil); code(r) != "COMPLEXITY_LIMIT_EXCEEDED" {
		t.Fatalf("50 yearly rankings of the provinces: %+v", r.Errors)
	}
	var ten map[string][]struct{ Rank int }
	c.must(rankings(10), map[string]any{"i": inds.Indicators[0].ID}, &ten)
	if len(ten) != 10 || len(ten["r9"]) != 63 {
		t.Fatalf("10 yearly rankings: %d", len(ten))
	}
}

// aliased is an operation (head, e.g. "query($i: ID!)", or "") asking
// field n times, as prefix0, prefix1…
func aliased(head, prefix string, n int, field string) string {
	q := head + " {"
	for k := range n {
		q += fmt.Sprintf(" %s%d: %s", prefix, k, field)
	}
	return q + " }"
}

// TestKpiCompletenessIsPricedByItsStatements: a table of every indicator
// runs two statements per indicator whatever its rows, so on the demo data
// 16 years' completeness by ministry in one request are refused, 2
// answered.
func TestKpiCompletenessIsPricedByItsStatements(t *testing.T) {
	t.Parallel()
	c := &client{t: t, url: serveAs(t, seedtest.Fresh(t, store.SQLite), "vpcp")}
	completeness := func(n int) string {
		return aliased("", "c", n, `kpiCompleteness(period: "2023", level: MINISTRY) { expected }`)
	}
	if r := c.do(completeness(16), nil, nil); code(r) != "COMPLEXITY_LIMIT_EXCEEDED" {
		t.Fatalf("16 years' completeness by ministry: %+v", r.Errors)
	}
	var two map[string][]struct{ Expected int }
	c.must(completeness(2), nil, &two)
	if len(two) != 2 || len(two["c1"]) == 0 || two["c1"][0].Expected == 0 {
		t.Fatalf("2 years' completeness by ministry: %+v", two)
	}
}

// A batch submitted again at its versions updates each value to its own
// new figure (one statement for the lot) and the roll-ups follow; one stale
// version among them refuses the whole batch, every value left as it was.
func TestKpiResubmittedBatch(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			c06 := &client{t: t, url: serveAs(t, db, "c06")}
			hanoi := &client{t: t, url: serveAs(t, db, "hanoi")}
			cnt := saveIndicator(c06, map[string]any{"code": "T.CNT", "name": "Số hồ sơ", "kind": "COUNT", "aggregation": "SUM"})
			var vs []map[string]any
			for m := 1; m <= 6; m++ {
				vs = append(vs, map[string]any{"indicator": cnt, "orgUnit": "01", "period": fmt.Sprintf("2026-%02d", m), "value": 10 * m})
			}
			out, _ := submit(hanoi, vs, true, nil, "vi")
			if len(out.SubmitDataValues.Values) != 6 {
				t.Fatalf("first submission: %+v", out.SubmitDataValues)
			}
			for i, v := range out.SubmitDataValues.Values {
				vs[i]["expectedVersion"], vs[i]["value"] = v.Version, 100+i
			}
			out, _ = submit(hanoi, vs, true, map[string]any{"confirmJumps": true}, "vi")
			if len(out.SubmitDataValues.Values) != 6 {
				t.Fatalf("resubmission: %+v", out.SubmitDataValues)
			}
			for i, v := range out.SubmitDataValues.Values {
				if v.Version != 2 || v.Value == nil || *v.Value != float64(100+i) {
					t.Fatalf("value %d after resubmission: %+v", i, v)
				}
				if got := val(c06, cnt, "VN", vs[i]["period"].(string)); got != float64(100+i) {
					t.Fatalf("roll-up of %s: %v", vs[i]["period"], got)
				}
				vs[i]["expectedVersion"], vs[i]["value"] = v.Version, 200+i
			}
			vs[3]["expectedVersion"] = 1
			out, _ = submit(hanoi, vs, true, map[string]any{"confirmJumps": true}, "vi")
			if len(out.SubmitDataValues.Values) != 0 || len(out.SubmitDataValues.Problems) != 1 || out.SubmitDataValues.Problems[0].Index != 3 ||
				out.SubmitDataValues.Problems[0].Rule != "VERSION" {
				t.Fatalf("one stale version: %+v", out.SubmitDataValues)
			}
			for i := range vs {
				if got := val(c06, cnt, "VN", vs[i]["period"].(string)); got != float64(100+i) {
					t.Fatalf("after a refused batch, %s: %v", vs[i]["period"], got)
				}
			}
		})
	}
}

// Numbers are refused beyond ±1e15 and when they are not numbers at all
// (GraphQL's Float lets "NaN" and "Infinity" through as strings): a value,
// numerator, denominator or target, an indicator's min, max, jump threshold
// and weight, each with an INVALID error naming it, in Vietnamese and in
// English. Two provinces at the bound add up to a national figure that is
// still a number, and an attainment too large for a number reads as none.
func TestKpiRefusesNumbersBeyondRange(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			c06 := &client{t: t, url: serveAs(t, db, "c06")}
			hue := &client{t: t, url: serveAs(t, db, "hue")}
			hanoi := &client{t: t, url: serveAs(t, db, "hanoi")}
			big := saveIndicator(c06, map[string]any{"code": "T.BIG", "name": "Số hồ sơ lớn", "kind": "COUNT", "aggregation": "SUM"})
			pct := saveIndicator(c06, map[string]any{"code": "T.PCT", "name": "Tỷ lệ", "kind": "PERCENT", "aggregation": "RATIO_OF_SUMS"})
			for _, lang := range []string{"vi", "en"} {
				out, r := submit(hue, []map[string]any{{"indicator": big, "orgUnit": "46", "period": "2026-01", "value": 1.7e308}},
					true, map[string]any{"confirmJumps": true}, lang)
				ps := out.SubmitDataValues.Problems
				if len(r.Errors) > 0 || len(out.SubmitDataValues.Values) != 0 || len(ps) != 1 || ps[0].Code != "INVALID" || ps[0].Rule != "MAX" ||
					ps[0].Indicator != "T.BIG" || ps[0].OrgUnit != "46" || ps[0].Period != "2026-01" {
					t.Fatalf("1.7e308 (%s): %+v %+v", lang, r.Errors, out.SubmitDataValues)
				}
				want := map[string]string{"vi": "T.BIG của 46 kỳ 2026-01: value = 1.7e+308 vượt giới hạn ±1e+15",
					"en": "T.BIG for 46, 2026-01: value = 1.7e+308 is beyond the limit of ±1e+15"}[lang]
				if ps[0].Message != want {
					t.Errorf("message (%s): %q, want %q", lang, ps[0].Message, want)
				}
			}
			// NaN as a string: refused with the field named, not INTERNAL.
			var nan struct {
				SubmitDataValues struct {
					Values   []struct{ ID string }
					Problems []struct {
						Rule, Code, Message string
						Field               []string
					}
				}
			}
			r := hue.do(`mutation($i: ID!, $n: Float) { submitDataValues(input: {submit: true, values: [{indicator: $i, orgUnit: "46", period: "2026-01", numerator: $n, denominator: 10}]}) {
				values { id } problems { rule code message field } } }`, map[string]any{"i": pct, "n": "NaN"}, &nan, "Accept-Language", "en")
			if ps := nan.SubmitDataValues.Problems; len(r.Errors) > 0 || len(ps) != 1 || ps[0].Code != "INVALID" || ps[0].Rule != "KIND" ||
				fmt.Sprint(ps[0].Field) != "[input values 0 numerator]" || ps[0].Message != "T.PCT for 46, 2026-01: numerator is NaN, not a finite number" {
				t.Fatalf("numerator NaN: %+v %+v", r.Errors, nan.SubmitDataValues)
			}
			// At the bound, two provinces add up to a number.
			for _, e := range []struct {
				c    *client
				unit string
			}{{hue, "46"}, {hanoi, "01"}} {
				out, r := submit(e.c, []map[string]any{{"indicator": big, "orgUnit": e.unit, "period": "2026-01", "value": 1e15}}, true, nil, "vi")
				if len(r.Errors) > 0 || len(out.SubmitDataValues.Values) != 1 {
					t.Fatalf("1e15 for %s: %+v %+v", e.unit, r.Errors, out.SubmitDataValues)
				}
			}
			if v := val(c06, big, "VN", "2026-01"); v != 2e15 {
				t.Fatalf("national figure %v", v)
			}
			type userErrors struct {
				Field         []string
				Code, Message string
			}
			var tg struct {
				SetTargets struct {
					Count      int
					UserErrors []userErrors
				}
			}
			r = c06.do(`mutation($i: ID!, $v: Float) { setTargets(input: {targets: [{indicator: $i, orgUnit: "VN", period: "2026-01", value: $v}]}) { count userErrors { field code message } } }`,
				map[string]any{"i": big, "v": "NaN"}, &tg, "Accept-Language", "en")
			if ues := tg.SetTargets.UserErrors; len(r.Errors) > 0 || len(ues) != 1 || ues[0].Code != "INVALID" || fmt.Sprint(ues[0].Field) != "[input targets 0 value]" ||
				ues[0].Message != "the target of T.BIG for VN, 2026-01 is NaN, not a finite number" {
				t.Fatalf("target NaN: %+v %+v", r.Errors, tg.SetTargets)
			}
			// A tiny target is a number, but the attainment against it is not: none.
			c06.must(`mutation($i: ID!) { setTargets(input: {targets: [{indicator: $i, orgUnit: "VN", period: "2026-01", value: 1e-300}]}) { count } }`, map[string]any{"i": big}, nil)
			var att struct {
				KpiValue struct {
					Value, Target, Attainment *float64
				}
				KpiRanking []struct{ Value *float64 }
			}
			c06.must(`query($i: ID!) { kpiValue(indicator: $i, orgUnit: "VN", period: "2026-01") { value target attainment }
				kpiRanking(indicator: $i, period: "2026-01", level: PROVINCE) { value } }`, map[string]any{"i": big}, &att)
			if v := att.KpiValue; v.Value == nil || *v.Value != 2e15 || v.Target == nil || math.Abs(*v.Target-1e-300) > 1e-310 || v.Attainment != nil {
				t.Fatalf("attainment against 1e-300: %v %v %v", *v.Value, *v.Target, v.Attainment)
			}
			// Figures stored before the bound (the nation at 1.7e308 in two
			// months) add up over the quarter to no figure, not an error.
			if out, r := submit(hue, []map[string]any{{"indicator": big, "orgUnit": "46", "period": "2026-02", "value": 1}}, true, nil, "vi"); len(r.Errors) > 0 || len(out.SubmitDataValues.Values) != 1 {
				t.Fatalf("2026-02: %+v %+v", r.Errors, out.SubmitDataValues)
			}
			if _, err := db.NewRaw(`UPDATE kpi_rollups SET e_value = ? WHERE indicator_id IN (SELECT id FROM indicators WHERE code = 'T.BIG')
				AND org_unit_id IN (SELECT id FROM org_units WHERE code = 'VN')`, 1.7e308).Exec(context.Background()); err != nil {
				t.Fatal(err)
			}
			var q struct {
				KpiValue  struct{ Value, Attainment *float64 }
				KpiSeries []struct{ Value *float64 }
			}
			c06.must(`query($i: ID!) { kpiValue(indicator: $i, orgUnit: "VN", period: "2026Q1") { value attainment }
				kpiSeries(indicator: $i, orgUnit: "VN", from: "2026Q1", to: "2026Q1") { value } }`, map[string]any{"i": big}, &q)
			if q.KpiValue.Value != nil || q.KpiValue.Attainment != nil || len(q.KpiSeries) != 1 || q.KpiSeries[0].Value != nil {
				t.Fatalf("an overflowing quarter: %+v %+v", q.KpiValue, q.KpiSeries)
			}
			for _, field := range []string{"min", "max", "jumpThreshold", "weight"} {
				for _, bad := range []any{"Infinity", "NaN", 1e16} {
					var si struct {
						SaveIndicator struct {
							Indicator  *struct{ ID string }
							UserErrors []userErrors
						}
					}
					var gs struct{ IndicatorGroups []struct{ ID string } }
					c06.must(`{ indicatorGroups { id } }`, nil, &gs)
					r := c06.do(`mutation($g: ID!, $x: Float) { saveIndicator(input: {group: $g, code: "T.BAD", name: "Sai", unit: "hồ sơ", kind: AMOUNT, aggregation: SUM,
						periodType: MONTH, direction: HIGHER_IS_BETTER, reportingUnitKinds: [PROVINCE], dueDays: 10, `+field+`: $x}) {
						indicator { id } userErrors { field code message } } }`, map[string]any{"g": gs.IndicatorGroups[0].ID, "x": bad}, &si)
					if ues := si.SaveIndicator.UserErrors; len(r.Errors) > 0 || si.SaveIndicator.Indicator != nil || len(ues) != 1 || ues[0].Code != "INVALID" ||
						fmt.Sprint(ues[0].Field) != "[input "+field+"]" {
						t.Fatalf("saveIndicator %s: %v: %+v %+v", field, bad, r.Errors, si.SaveIndicator)
					}
				}
			}
		})
	}
}

// A province reads its own figures with the target that applies to it (the
// national one when it has none of its own), but not the nation's figure
// or target: NOT_FOUND, as for charts and reports.
func TestKpiNationalTargetIsNotAProvincesToRead(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			c06 := &client{t: t, url: serveAs(t, db, "c06")}
			hue := &client{t: t, url: serveAs(t, db, "hue")}
			cnt := saveIndicator(c06, map[string]any{"code": "T.TGT", "name": "Số hồ sơ", "kind": "COUNT", "aggregation": "SUM"})
			if out, r := submit(hue, []map[string]any{{"indicator": cnt, "orgUnit": "46", "period": "2026-01", "value": 40}}, true, nil, "vi"); len(r.Errors) > 0 || len(out.SubmitDataValues.Values) != 1 {
				t.Fatalf("submit: %+v %+v", r.Errors, out.SubmitDataValues)
			}
			c06.must(`mutation($i: ID!) { setTargets(input: {targets: [{indicator: $i, orgUnit: "VN", period: "2026-01", value: 80}]}) { count } }`, map[string]any{"i": cnt}, nil)
			const q = `query($i: ID!, $u: String!) { kpiValue(indicator: $i, orgUnit: $u, period: "2026-01") { value target attainment } }`
			var out struct {
				KpiValue *struct{ Value, Target, Attainment *float64 }
			}
			for _, u := range []string{"VN", "01"} {
				out.KpiValue = nil
				if r := hue.do(q, map[string]any{"i": cnt, "u": u}, &out); code(r) != "NOT_FOUND" || out.KpiValue != nil {
					t.Fatalf("Huế reading %s: %+v %+v", u, r.Errors, out.KpiValue)
				}
			}
			if r := hue.do(`query($i: ID!) { kpiSeries(indicator: $i, orgUnit: "VN", from: "2026-01", to: "2026-01") { target } }`, map[string]any{"i": cnt}, nil); code(r) != "NOT_FOUND" {
				t.Fatalf("Huế's series of the nation: %+v", r.Errors)
			}
			hue.must(q, map[string]any{"i": cnt, "u": "46"}, &out)
			if v := out.KpiValue; v == nil || v.Value == nil || *v.Value != 40 || v.Target == nil || *v.Target != 80 || v.Attainment == nil || *v.Attainment != 50 {
				t.Fatalf("Huế's own figure against the national target: %+v", v)
			}
			c06.must(q, map[string]any{"i": cnt, "u": "VN"}, &out)
			if v := out.KpiValue; v == nil || v.Target == nil || *v.Target != 80 {
				t.Fatalf("the coordinator reading the nation: %+v", v)
			}
		})
	}
}

// TestKpiDefinitionListsAreWhole: the indicator lists return every
// definition, because saving one more than they hold is refused (100 in a
// group, 200 in all, each with its field), never cut from a list.
func TestKpiDefinitionListsAreWhole(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			c06 := &client{t: t, url: serveAs(t, db, "c06")}
			group := func(code string) string {
				var out struct {
					SaveIndicatorGroup struct{ Group struct{ ID string } }
				}
				c06.must(`mutation($in: SaveIndicatorGroupInput!) { saveIndicatorGroup(input: $in) { group { id } } }`,
					map[string]any{"in": map[string]any{"code": code, "name": "Nhóm " + code}}, &out)
				return out.SaveIndicatorGroup.Group.ID
			}
			type saved struct {
				SaveIndicator struct {
					Indicator  *struct{ ID string }
					UserErrors []struct {
						Field         []string
						Code, Message string
					}
				}
			}
			add := func(g string, i int, lang string) saved {
				var out saved
				c06.do(`mutation($in: SaveIndicatorInput!) { saveIndicator(input: $in) { indicator { id } userErrors { field code message } } }`,
					map[string]any{"in": indicatorDefaults(map[string]any{"group": g, "code": fmt.Sprintf("T.%s.%d", g, i),
						"name": fmt.Sprintf("Chỉ tiêu %d", i), "kind": "COUNT", "aggregation": "SUM"})}, &out, "Accept-Language", lang)
				return out
			}
			count := func(filter map[string]any) int {
				var out struct{ Indicators []struct{ ID string } }
				c06.must(`query($f: IndicatorFilter) { indicators(filter: $f) { id } }`, map[string]any{"f": filter}, &out)
				return len(out.Indicators)
			}

			full := group("T.FULL")
			for i := 0; i < kpi.MaxGroupIndicators; i++ {
				if out := add(full, i, "vi"); out.SaveIndicator.Indicator == nil {
					t.Fatalf("indicator %d of the group refused: %+v", i, out.SaveIndicator.UserErrors)
				}
			}
			out := add(full, kpi.MaxGroupIndicators, "en")
			if out.SaveIndicator.Indicator != nil || len(out.SaveIndicator.UserErrors) != 1 {
				t.Fatalf("indicator %d of one group: %+v", kpi.MaxGroupIndicators+1, out.SaveIndicator)
			}
			if e := out.SaveIndicator.UserErrors[0]; e.Code != "INVALID" || strings.Join(e.Field, ".") != "input.group" ||
				e.Message != fmt.Sprintf("the group has %d indicators already, at most %d", kpi.MaxGroupIndicators, kpi.MaxGroupIndicators) {
				t.Fatalf("group full: %+v", e)
			}
			if n := count(map[string]any{"group": full}); n != kpi.MaxGroupIndicators {
				t.Fatalf("the full group lists %d indicators", n)
			}

			// The rest up to the total, in further groups.
			total := count(nil)
			for g := 0; total < kpi.MaxIndicators; g++ {
				id := group(fmt.Sprintf("T.MORE%d", g))
				for i := 0; i < kpi.MaxGroupIndicators && total < kpi.MaxIndicators; i++ {
					if out := add(id, i, "vi"); out.SaveIndicator.Indicator == nil {
						t.Fatalf("indicator %d of %d refused: %+v", total+1, kpi.MaxIndicators, out.SaveIndicator.UserErrors)
					}
					total++
				}
			}
			last := group("T.LAST")
			out = add(last, 0, "vi")
			if out.SaveIndicator.Indicator != nil || len(out.SaveIndicator.UserErrors) != 1 {
				t.Fatalf("indicator %d: %+v", kpi.MaxIndicators+1, out.SaveIndicator)
			}
			if e := out.SaveIndicator.UserErrors[0]; e.Code != "INVALID" || strings.Join(e.Field, ".") != "input.code" ||
				e.Message != fmt.Sprintf("đã có %d chỉ tiêu, tối đa %d", kpi.MaxIndicators, kpi.MaxIndicators) {
				t.Fatalf("all full: %+v", e)
			}
			if n := count(nil); n != kpi.MaxIndicators {
				t.Fatalf("the list has %d indicators, %d exist", n, kpi.MaxIndicators)
			}
		})
	}
}

// kpiTargets lists the targets set on a unit itself, for a form to show and
// edit them: not the national ones a province falls back to, and only for a
// unit the caller reads whole.
func TestKpiTargetsOfAUnit(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			c06 := &client{t: t, url: serveAs(t, db, "c06")}
			hue := &client{t: t, url: serveAs(t, db, "hue")}
			cnt := saveIndicator(c06, map[string]any{"code": "T.TGTS", "name": "Số hồ sơ", "kind": "COUNT", "aggregation": "SUM"})
			c06.must(`mutation($i: ID!) { setTargets(input: {targets: [
				{indicator: $i, orgUnit: "VN", period: "2026-01", value: 80},
				{indicator: $i, orgUnit: "46", period: "2026-01", value: 60},
				{indicator: $i, orgUnit: "46", period: "2026", value: 700}]}) { count } }`, map[string]any{"i": cnt}, nil)
			const q = `query($u: String!, $p: String!) { kpiTargets(orgUnit: $u, period: $p) { indicator { id code } orgUnit { code } period value updatedAt } }`
			type target struct {
				Indicator         struct{ ID, Code string }
				OrgUnit           struct{ Code string }
				Period, UpdatedAt string
				Value             float64
			}
			// ours keeps the test indicator's targets (the demo may have others).
			ours := func(c *client, unit, period string) []target {
				t.Helper()
				var out struct{ KpiTargets []target }
				c.must(q, map[string]any{"u": unit, "p": period}, &out)
				var mine []target
				for _, x := range out.KpiTargets {
					if x.OrgUnit.Code != unit || x.Period != period {
						t.Errorf("kpiTargets(%s, %s) lists %+v", unit, period, x)
					}
					if x.Indicator.ID == cnt {
						mine = append(mine, x)
					}
				}
				return mine
			}
			for _, c := range []struct {
				who          *client
				unit, period string
				want         []float64
			}{
				{c06, "VN", "2026-01", []float64{80}},
				{c06, "46", "2026-01", []float64{60}},
				{c06, "46", "2026", []float64{700}},
				{c06, "01", "2026-01", nil}, // Hà Nội falls back to the national target, which is not its own
				{hue, "46", "2026-01", []float64{60}},
				{hue, "46", "2026-02", nil},
			} {
				got := ours(c.who, c.unit, c.period)
				var vals []float64
				for _, x := range got {
					vals = append(vals, x.Value)
					if x.Indicator.Code != "T.TGTS" || x.UpdatedAt == "" {
						t.Errorf("%s %s: %+v", c.unit, c.period, x)
					}
				}
				if fmt.Sprint(vals) != fmt.Sprint(c.want) {
					t.Errorf("kpiTargets(%s, %s) = %v, want %v", c.unit, c.period, vals, c.want)
				}
			}
			// Huế reads neither the nation's nor Hà Nội's.
			for _, u := range []string{"VN", "01"} {
				if r := hue.do(q, map[string]any{"u": u, "p": "2026-01"}, nil); code(r) != "NOT_FOUND" {
					t.Errorf("Huế asking for the targets of %s: %+v", u, r.Errors)
				}
			}
			for _, c := range []struct{ unit, period string }{{"46", "2026-13"}, {"46", "tháng 1"}, {"46\n", "2026-01"}} {
				if r := c06.do(q, map[string]any{"u": c.unit, "p": c.period}, nil); code(r) != "INVALID" {
					t.Errorf("kpiTargets(%q, %q): %+v", c.unit, c.period, r.Errors)
				}
			}
			// A removed target is no longer listed.
			c06.must(`mutation($i: ID!) { setTargets(input: {targets: [{indicator: $i, orgUnit: "46", period: "2026-01", value: null}]}) { count } }`, map[string]any{"i": cnt}, nil)
			if got := ours(c06, "46", "2026-01"); len(got) != 0 {
				t.Errorf("after removing Huế's target: %+v", got)
			}
		})
	}
}
