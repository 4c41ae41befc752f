package kpi_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"p06/kpi"
	"p06/rbac"
	"p06/seeds/seedtest"
	"p06/store/storetest"
)

// TestCompletenessCountsEveryDueValue: kpiCompleteness's counts (one
// statement per indicator, for every part of the period and every root)
// are those counted value by value from the demo data: the reporting units
// below each province or ministry times the parts of the period, the values
// submitted for them, and those first submitted by their own part's due
// day.
func TestCompletenessCountsEveryDueValue(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := seedtest.Shared(t, d)
			s := kpi.NewStore(db)
			inds, err := s.Indicators(ctx, kpi.IndicatorFilter{})
			if err != nil {
				t.Fatal(err)
			}
			var units []struct {
				Path, Kind string
			}
			if err := db.NewSelect().Table("org_units").Column("path", "kind").Scan(ctx, &units); err != nil {
				t.Fatal(err)
			}
			var values []struct {
				IndicatorID      int64  `bun:"indicator_id"`
				Period           string `bun:"period"`
				Path             string `bun:"path"`
				Kind             string `bun:"kind"`
				State            string `bun:"state"`
				FirstSubmittedOn string `bun:"first_submitted_on"`
			}
			if err := db.NewRaw(`SELECT dv.indicator_id, dv.period, u.path, u.kind, dv.state, COALESCE(dv.first_submitted_on, '') AS first_submitted_on
				FROM data_values AS dv JOIN org_units AS u ON u.id = dv.org_unit_id`).Scan(ctx, &values); err != nil {
				t.Fatal(err)
			}
			checked := 0
			for _, c := range []struct{ period, level string }{{"2023-12", "PROVINCE"}, {"2023Q4", "PROVINCE"}, {"2023", "MINISTRY"}, {"2023", "PROVINCE"}} {
				p, err := kpi.ParsePeriod(c.period, "period")
				if err != nil {
					t.Fatal(err)
				}
				got, err := s.Completeness(ctx, rbac.National(), p, c.level, 0)
				if err != nil {
					t.Fatal(err)
				}
				for _, row := range got {
					var want kpi.Completeness
					for _, ind := range inds {
						months := map[kpi.PeriodType]int{kpi.Month: 1, kpi.Quarter: 3, kpi.Year: 12}
						if n, m := months[ind.PeriodType], months[p.Type]; n > m || m%n != 0 {
							continue
						}
						parts := p.Parts(ind.PeriodType)
						due := map[string]string{}
						for _, b := range parts {
							due[b.String()] = ind.Due(b).String()
						}
						for _, u := range units {
							if strings.HasPrefix(u.Path, row.Unit.Path) && slices.Contains(ind.ReportingKinds, u.Kind) {
								want.Expected += len(parts)
							}
						}
						for _, v := range values {
							d, inPeriod := due[v.Period]
							if v.IndicatorID != ind.ID || !inPeriod || !strings.HasPrefix(v.Path, row.Unit.Path) ||
								!slices.Contains(ind.ReportingKinds, v.Kind) || !slices.Contains([]kpi.State{kpi.Submitted, kpi.Approved, kpi.Accepted}, kpi.State(v.State)) {
								continue
							}
							want.Submitted++
							if v.FirstSubmittedOn != "" && v.FirstSubmittedOn <= d {
								want.OnTime++
							}
						}
					}
					if row.Expected != want.Expected || row.Submitted != want.Submitted || row.OnTime != want.OnTime {
						t.Errorf("%s %s %s: expected %d submitted %d on time %d; counted %d, %d, %d", c.period, c.level, row.Unit.Code,
							row.Expected, row.Submitted, row.OnTime, want.Expected, want.Submitted, want.OnTime)
					}
					checked += row.Submitted
				}
			}
			if checked == 0 {
				t.Fatal("no submitted value in any checked period: the test checks nothing")
			}
		})
	}
}
