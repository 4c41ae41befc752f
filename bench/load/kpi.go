package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// The indicators' scenarios of BENCHMARKS.md, "Indicators": on a database
// filled by "p06 gen --values N", a ranking of the 63 provinces and a
// national series of 24 months of the generated ratio of sums (GEN.002),
// the last month being the one before today; and a batch of 500 values
// submitted again and again by Hà Nội's editor.

const (
	kpiRankingQuery = `query($i: ID!, $p: String!) { kpiRanking(indicator: $i, period: $p, level: PROVINCE) {
  orgUnit { code } value rank change contributingUnits expectedUnits } }`
	kpiSeriesQuery = `query($i: ID!, $from: String!, $to: String!) { kpiSeries(indicator: $i, orgUnit: "VN", from: $from, to: $to) {
  period value target attainment contributingUnits } }`
	kpiSubmitMutation = `mutation($in: SubmitDataValuesInput!) { submitDataValues(input: $in) {
  values { id version } problems { index rule message } warnings { rule } userErrors { field code message } } }`
)

// kpiIndicator is the generated indicator the read scenarios ask for.
const kpiIndicator = "GEN.002"

func init() {
	scenarios["kpi-ranking"] = scenario{name: "kpi-ranking", user: "vpcp",
		about: "kpiRanking of the 63 provinces for the last month, GEN.002 (a database of p06 gen --values)",
		setup: kpiReadSetup(func(id string, months []string) map[string]any {
			return map[string]any{"i": id, "p": months[len(months)-1]}
		}, kpiRankingQuery)}
	scenarios["kpi-series"] = scenario{name: "kpi-series", user: "vpcp",
		about: "kpiSeries of VN over the 24 months before this one, GEN.002 (a database of p06 gen --values)",
		setup: kpiReadSetup(func(id string, months []string) map[string]any {
			return map[string]any{"i": id, "from": months[0], "to": months[len(months)-1]}
		}, kpiSeriesQuery)}
	scenarios["kpi-submit500"] = scenario{name: "kpi-submit500", user: "hanoi",
		about: "submitDataValues of 500 values (20 indicators of Decision 766 × 25 months of Hà Nội), submitted again at the versions returned (BenchmarkSubmitDataValues500); one client",
		setup: kpiSubmitSetup}
}

// lastMonths are the n months before this one (Asia/Ho_Chi_Minh), oldest
// first, as the generator fills them.
func lastMonths(n int) []string {
	vn := time.FixedZone("ICT", 7*3600)
	t := time.Now().In(vn)
	first := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, vn)
	out := make([]string, n)
	for i := range out {
		out[i] = first.AddDate(0, i-n, 0).Format("2006-01")
	}
	return out
}

// kpiIndicatorID finds the id of the indicator with code.
func kpiIndicatorID(ctx context.Context, t *target, search, code string) ([]struct{ ID, Code string }, error) {
	var out struct{ Indicators []struct{ ID, Code string } }
	if err := t.query(ctx, `query($s: String!) { indicators(filter: {search: $s}) { id code } }`, map[string]any{"s": search}, &out); err != nil {
		return nil, fmt.Errorf("finding indicators %q: %w", search, err)
	}
	if code == "" {
		return out.Indicators, nil
	}
	for _, i := range out.Indicators {
		if i.Code == code {
			return []struct{ ID, Code string }{i}, nil
		}
	}
	return nil, fmt.Errorf("no indicator %s: generate values first (p06 gen --values N)", code)
}

func kpiReadSetup(vars func(id string, months []string) map[string]any, query string) func(context.Context, *target, setupOptions) (func(int) client, error) {
	return func(ctx context.Context, t *target, _ setupOptions) (func(int) client, error) {
		inds, err := kpiIndicatorID(ctx, t, kpiIndicator, kpiIndicator)
		if err != nil {
			return nil, err
		}
		body, err := json.Marshal(map[string]any{"query": query, "variables": vars(inds[0].ID, lastMonths(24))})
		if err != nil {
			return nil, err
		}
		return func(int) client { return staticQuery(body) }, nil
	}
}

// kpiSubmitter submits its batch again and again, at the versions the last
// answer returned, with figures changed each time.
type kpiSubmitter struct {
	values []map[string]any
	n      int
}

func kpiSubmitSetup(ctx context.Context, t *target, o setupOptions) (func(int) client, error) {
	if o.clients != 1 {
		return nil, fmt.Errorf("kpi-submit500 writes one batch of Hà Nội's values: run it with -c 1, not %d", o.clients)
	}
	inds, err := kpiIndicatorID(ctx, t, "766", "")
	if err != nil {
		return nil, err
	}
	if len(inds) < 20 {
		return nil, fmt.Errorf("kpi-submit500 needs the 20 indicators of Decision 766, found %d", len(inds))
	}
	c := &kpiSubmitter{}
	for _, ind := range inds[:20] {
		for m := range 25 {
			c.values = append(c.values, map[string]any{"indicator": ind.ID, "orgUnit": "01",
				"period": fmt.Sprintf("%d-%02d", 2024+m/12, m%12+1), "numerator": 90, "denominator": 100})
		}
	}
	// The first submission inserts the values (or finds them from an
	// earlier run: then submit at their versions); it is not measured.
	if out := c.do(ctx, t); out.err != nil {
		return nil, out.err
	}
	return func(int) client { return c }, nil
}

func (c *kpiSubmitter) do(ctx context.Context, t *target) outcome {
	c.n++
	for i, v := range c.values {
		v["numerator"] = 80 + (c.n+i)%20
	}
	var out struct {
		SubmitDataValues struct {
			Values     []struct{ Version int }
			Problems   []struct{ Rule, Message string }
			UserErrors []struct{ Field, Code, Message string }
		}
	}
	err := t.query(ctx, kpiSubmitMutation, map[string]any{"in": map[string]any{"values": c.values, "submit": true, "confirmJumps": true}}, &out)
	o := outcome{write: true, err: err}
	if err != nil {
		return o
	}
	s := out.SubmitDataValues
	if len(s.Values) != len(c.values) {
		// Values of an earlier run: read their versions from the problems'
		// CONFLICT and send again.
		if len(s.Problems) > 0 && s.Problems[0].Rule == "VERSION" {
			o.conflict = true
			return c.fetchVersions(ctx, t, o)
		}
		o.err = fmt.Errorf("submitDataValues saved %d of %d values: problems %+v, errors %+v", len(s.Values), len(c.values), s.Problems[:min(3, len(s.Problems))], s.UserErrors)
		return o
	}
	for i, v := range s.Values {
		c.values[i]["expectedVersion"] = v.Version
	}
	return o
}

// fetchVersions reads the current versions of the batch's values.
func (c *kpiSubmitter) fetchVersions(ctx context.Context, t *target, o outcome) outcome {
	var out struct {
		DataValues struct {
			Nodes []struct {
				Version   int
				Period    string
				Indicator struct{ ID string }
			}
		}
	}
	version := map[string]int{}
	for _, v := range c.values {
		key := v["indicator"].(string)
		if _, done := version[key+"/"]; done {
			continue
		}
		version[key+"/"] = 0
		err := t.query(ctx, `query($i: ID!) { dataValues(filter: {indicator: $i, orgUnit: "01"}, first: 100) { nodes { version period indicator { id } } } }`,
			map[string]any{"i": key}, &out)
		if err != nil {
			o.err = err
			return o
		}
		for _, n := range out.DataValues.Nodes {
			version[n.Indicator.ID+"/"+n.Period] = n.Version
		}
	}
	for _, v := range c.values {
		v["expectedVersion"] = version[v["indicator"].(string)+"/"+v["period"].(string)]
	}
	return o
}
