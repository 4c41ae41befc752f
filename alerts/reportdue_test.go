package alerts_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"p06/alerts"
	"p06/alerts/alertstest"
	"p06/auth"
	"p06/kpi"
	"p06/rbac"
	"p06/store"
	"p06/store/storetest"
)

// REPORT_DUE walked day by day with a fake clock: a monthly indicator the
// provinces report, due 10 days after the month ends. Each province that
// has not submitted October's value by 10/11 gets one alert on 11/11 (not
// on the due day), never again on reruns or later days; a draft keeps it
// open, submitting resolves it at once (in the write's transaction);
// November's values start a new alert on 11/12; a unit of a kind that does not report gets none; the alert says
// which indicator, period and unit are due, and reaches the unit's webhook
// with them (and no assignment).
func TestReportDueWalksTheCalendar(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		ind := f.indicator("T-REPORT", kpi.Month, 10, "PROVINCE")
		hue := &auth.Identity{User: f.user("hue", "", "46", rbac.ProvinceEditor, "46"), Method: auth.MethodSession}
		admin := &auth.Identity{User: f.user("admin46", "", "46", rbac.Admin, "46"), Method: auth.MethodSession}
		if err := f.al.Authorizer().Reload(f.ctx); err != nil {
			t.Fatal(err)
		}
		rec := alertstest.NewReceiver(t, "a-secret-of-16-chars", func() time.Time { return f.now })
		wh := alerts.NewWebhooks(f.al, true)
		if _, err := wh.Create(f.ctx, admin, "46", rec.URL, "a-secret-of-16-chars"); err != nil {
			t.Fatal(err)
		}
		var provinces int
		if err := db.NewRaw("SELECT COUNT(*) FROM org_units WHERE kind = 'PROVINCE'").Scan(f.ctx, &provinces); err != nil {
			t.Fatal(err)
		}
		values := kpi.NewService(db, f.al.Authorizer(), func() time.Time { return f.now })
		values.OnSubmitted(alerts.ResolveSubmitted) // as graph.NewResolver wires it
		enter := func(period string, submit bool) {
			t.Helper()
			v := 120.0
			in := kpi.ValueInput{IndicatorID: ind.ID, OrgUnit: "46", Period: period, Value: &v}
			var cur int
			if err := db.NewRaw("SELECT COALESCE(MAX(version), 0) FROM data_values WHERE indicator_id = ? AND period = ?", ind.ID, period).Scan(f.ctx, &cur); err != nil {
				t.Fatal(err)
			}
			if cur > 0 {
				in.ExpectedVersion = &cur
			}
			res, err := values.SubmitDataValues(f.ctx, hue, kpi.SubmitInput{Values: []kpi.ValueInput{in}, Submit: submit})
			if err != nil || len(res.Problems) > 0 {
				t.Fatalf("entering %s: %v %+v", period, err, res)
			}
		}
		reportDue := func(raised []string) (hue, others int) {
			for _, r := range raised {
				switch {
				case !strings.Contains(r, ":REPORT_DUE:"):
					t.Fatalf("raised %s", r)
				case strings.HasPrefix(r, "46:"):
					hue++
				default:
					others++
				}
			}
			return hue, others
		}

		f.now = store.MustDate("2026-11-01").Time()
		enter("2026-10", false) // a draft is not a report
		// The first scan raises what fell due within the window before it
		// (September's values, due 10/10), and not October's on its due day.
		got, _ := f.scan("2026-11-10")
		if h, o := reportDue(got); h != 1 || o != provinces-1 || got[0] != "01:REPORT_DUE:2026-10-10" {
			t.Fatalf("on October's due day: Huế %d, others %d of %d provinces (%v)", h, o, provinces, got[:1])
		}
		got, _ = f.scan("2026-11-11")
		if h, o := reportDue(got); h != 1 || o != provinces-1 || got[0] != "01:REPORT_DUE:2026-11-10" {
			t.Fatalf("the day after the due day: Huế %d, others %d of %d provinces (%v)", h, o, provinces, got[:1])
		}
		if got, n := f.scan("2026-11-11"); len(got) != 0 || n != 0 {
			t.Fatalf("a rerun raised %v, resolved %d", got, n)
		}
		if got, n := f.scan("2026-11-12"); len(got) != 0 || n != 0 {
			t.Fatalf("the next day raised %v, resolved %d", got, n)
		}

		// Through the store: the unit, the indicator and the period due.
		as, _, err := f.al.List(f.ctx, rbac.Scope{Read: []string{"/VN/46/"}}, alerts.Filter{Open: true}, store.Page{Limit: 10})
		if err != nil || len(as) != 2 {
			t.Fatalf("Huế's open alerts: %v %v", as, err)
		}
		if a := as[0]; a.Kind != alerts.ReportDue || a.SubjectKind != alerts.SubjectDataValue || a.SubjectID != ind.ID ||
			a.Period != "2026-10" || a.DueDate.String() != "2026-11-10" || a.Escalated {
			t.Fatalf("Huế's alert: %+v", a)
		}
		if c, err := wh.Job(f.ctx, 0); err != nil || c["delivered"] != 2 {
			t.Fatalf("webhooks: %v %v", c, err)
		}
		got2, bad := rec.Take()
		if len(got2) == 2 && got2[0].Alert.Period > got2[1].Alert.Period {
			got2[0], got2[1] = got2[1], got2[0]
		}
		if got := got2[1:]; len(got2) != 2 || len(bad) != 0 || got[0].Alert.Kind != alerts.ReportDue || got[0].Alert.Indicator != "T-REPORT" ||
			got[0].Alert.IndicatorName != "Chỉ tiêu thử T-REPORT" || got[0].Alert.Period != "2026-10" || got[0].Alert.Assignment != 0 ||
			got[0].Alert.Task != "" || got[0].Alert.OrgUnit != "46" || got[0].Alert.DueDate != "2026-11-10" {
			t.Fatalf("the webhook got %+v", got)
		}

		// Submitting resolves October's alert in the same transaction, not
		// at the next scan; September's stays open, and so do the other
		// provinces' alerts for October.
		f.now = store.MustDate("2026-11-13").Time().Add(10 * time.Hour)
		enter("2026-10", true)
		var resolved []string
		if err := db.NewRaw("SELECT u.code || ':' || a.period || ':' || a.resolution FROM alerts a JOIN org_units u ON u.id = a.org_unit_id "+
			"WHERE a.resolved_at IS NOT NULL ORDER BY 1").Scan(f.ctx, &resolved); err != nil || fmt.Sprint(resolved) != "[46:2026-10:SUBMITTED]" {
			t.Fatalf("resolved on submitting: %v (%v)", resolved, err)
		}
		if got, n := f.scan("2026-11-13"); len(got) != 0 || n != 0 {
			t.Fatalf("the scan after Huế submitted: raised %v, resolved %d", got, n)
		}
		if got, _ := f.scan("2026-12-10"); len(got) != 0 {
			t.Fatalf("on November's due day: %v", got)
		}
		got, _ = f.scan("2026-12-11")
		if h, o := reportDue(got); h != 1 || o != provinces-1 {
			t.Fatalf("November's values: Huế %d, others %d", h, o)
		}
		// A scan after none for two months raises January's values (due
		// 10/2), not December's: their due day (10/1) is more than the
		// window (31 days) ago.
		if got, _ := f.scan("2027-02-11"); len(got) != provinces || got[0] != "01:REPORT_DUE:2027-02-10" {
			t.Fatalf("after two months: %d alerts (%v)", len(got), got[:1])
		}
		var dup int
		if err := db.NewRaw(`SELECT COUNT(*) FROM (SELECT subject_id, org_unit_id, period, kind, due_date FROM alerts
			GROUP BY subject_id, org_unit_id, period, kind, due_date HAVING COUNT(*) > 1) AS d`).Scan(f.ctx, &dup); err != nil || dup != 0 {
			t.Fatalf("%d alerts raised twice (%v)", dup, err)
		}
		var periods []string
		if err := db.NewRaw("SELECT DISTINCT period FROM alerts ORDER BY period").Scan(f.ctx, &periods); err != nil {
			t.Fatal(err)
		}
		if s := fmt.Sprint(periods); s != "[2026-09 2026-10 2026-11 2027-01]" {
			t.Fatalf("periods alerted: %s", s)
		}
	})
}
