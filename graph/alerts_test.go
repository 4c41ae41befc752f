package graph_test

import (
	"context"
	"testing"

	"p06/alerts"
	"p06/rbac"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
)

// scanToday runs the alert scan on db as of the tests' today and returns
// how many alerts it raised.
func scanToday(t *testing.T, db *store.DB) int {
	t.Helper()
	ctx := context.Background()
	authz, err := rbac.NewAuthorizer(ctx, db, 0)
	if err != nil {
		t.Fatal(err)
	}
	al := alerts.NewStore(db, authz, store.FixedClock(today))
	run, err := al.StartRun(ctx, alerts.JobScan, "MANUAL", "test", 0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := al.Scan(ctx, today, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := al.EndRun(ctx, run, map[string]int{"raised": res.Total()}, nil); err != nil {
		t.Fatal(err)
	}
	return res.Total()
}

type alertsOut struct {
	Alerts struct {
		TotalCount int
		Nodes      []struct {
			ID, Kind, DueDate string
			AcknowledgedAt    *string
			AcknowledgedBy    *struct{ Username string }
			Escalated         bool
			OrgUnit           struct{ Code, Kind string }
			Assignment        *struct{ DueDate string }
			Indicator         *struct{ ID, Code, PeriodType, Kind string }
			Period            *string
		}
	}
	UnreadAlertCount int
}

const alertsQuery = `query($f: AlertFilter) { alerts(first: 100, filter: $f) { totalCount nodes { id kind dueDate acknowledgedAt
	acknowledgedBy { username } escalated orgUnit { code kind } assignment { dueDate } indicator { id code periodType kind } period } } unreadAlertCount }`

// Through the API (the Ministry of Public Security's editor, whose demo
// tasks are long overdue, and the Government Office's): each caller lists only the alerts of its units; the
// unread count agrees with the list; acknowledging is recorded once, with
// who and when, audited, and refused out of scope (NOT_FOUND) and for a
// viewer (FORBIDDEN); job runs are for administrators; submitting a value
// due resolves its REPORT_DUE alert with no scan.
func TestAlertsThroughTheAPI(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			if n := scanToday(t, db); n == 0 {
				t.Fatal("the demo programme raised no alert")
			}
			if n := scanToday(t, db); n != 0 {
				t.Fatalf("a rerun raised %d", n)
			}
			hue := &client{t: t, url: serveAs(t, db, "bca")}
			var out alertsOut
			hue.must(alertsQuery, map[string]any{"f": map[string]any{"acknowledged": false}}, &out)
			if out.Alerts.TotalCount == 0 || out.Alerts.TotalCount != out.UnreadAlertCount {
				t.Fatalf("hue: %d unread alerts listed, count %d", out.Alerts.TotalCount, out.UnreadAlertCount)
			}
			reportsDue := 0
			for _, a := range out.Alerts.Nodes {
				if a.Kind == "REPORT_DUE" {
					// The demo's indicator values since 2024 are missing:
					// the ministry's monthly ones are due.
					if a.OrgUnit.Code != "BCA" || a.Assignment != nil || a.Indicator == nil || a.Indicator.PeriodType != "MONTH" ||
						a.Period == nil || *a.Period != "2026-10" || a.DueDate != "2026-11-10" || a.Escalated {
						t.Fatalf("hue sees %+v", a)
					}
					reportsDue++
					continue
				}
				if a.OrgUnit.Code != "BCA" || a.Assignment == nil || a.Assignment.DueDate != a.DueDate || a.Indicator != nil || a.Period != nil {
					t.Fatalf("hue sees %+v", a)
				}
				if a.Kind == "OVERDUE_30_DAYS" && !a.Escalated {
					t.Fatalf("a ministry's long-overdue alert not escalated: %+v", a)
				}
			}
			if reportsDue == 0 {
				t.Fatal("no REPORT_DUE alert for the ministry")
			}
			first := out.Alerts.Nodes[0].ID
			// An alert's indicator is one object, but what is asked below it
			// counts: a page of alerts each listing their group's
			// indicators' groups' indicators is refused.
			if r := hue.do(`{ alerts(first: 100) { nodes { indicator { group { indicators { group { indicators { code } } } } } } } }`, nil, nil); code(r) != "COMPLEXITY_LIMIT_EXCEEDED" {
				t.Fatalf("an expensive alerts request: %+v", r.Errors)
			}

			const ack = `mutation($ids: [ID!]!) { acknowledgeAlerts(input: {alerts: $ids}) { alerts { id acknowledgedAt acknowledgedBy { username } }
				userErrors { field code message } } }`
			var ackOut struct {
				AcknowledgeAlerts struct {
					Alerts []struct {
						ID             string
						AcknowledgedAt *string
						AcknowledgedBy *struct{ Username string }
					}
					UserErrors []struct {
						Field         []string
						Code, Message string
					}
				}
			}
			hue.must(ack, map[string]any{"ids": []string{first}}, &ackOut)
			if a := ackOut.AcknowledgeAlerts.Alerts; len(a) != 1 || a[0].AcknowledgedAt == nil || a[0].AcknowledgedBy == nil || a[0].AcknowledgedBy.Username != "bca" {
				t.Fatalf("acknowledged: %+v", ackOut)
			}
			hue.must(ack, map[string]any{"ids": []string{first}}, &ackOut) // again: nothing more
			if n := auditCount(t, db, "alert.acknowledge"); n != 1 {
				t.Fatalf("%d audit rows", n)
			}
			var after alertsOut
			hue.must(alertsQuery, map[string]any{"f": map[string]any{"acknowledged": true}}, &after)
			if after.Alerts.TotalCount != 1 || after.UnreadAlertCount != out.UnreadAlertCount-1 {
				t.Fatalf("after acknowledging one: %d acknowledged, %d unread", after.Alerts.TotalCount, after.UnreadAlertCount)
			}

			var hanoi alertsOut
			newClient(t, db).must(alertsQuery, map[string]any{"f": map[string]any{"orgUnit": "VPCP"}}, &hanoi)
			if len(hanoi.Alerts.Nodes) == 0 || hanoi.Alerts.Nodes[0].OrgUnit.Code != "VPCP" {
				t.Fatalf("Hà Nội's alerts as vpcp: %+v", hanoi.Alerts)
			}
			hue.must(ack, map[string]any{"ids": []string{hanoi.Alerts.Nodes[0].ID}}, &ackOut)
			if e := ackOut.AcknowledgeAlerts.UserErrors; len(e) != 1 || e[0].Code != "NOT_FOUND" || e[0].Field[len(e[0].Field)-1] != "alerts[0]" {
				t.Fatalf("hue acknowledging Hà Nội's alert: %+v", ackOut)
			}
			viewer := &client{t: t, url: serveAs(t, db, "viewer-46")}
			if r := viewer.do(ack, map[string]any{"ids": []string{first}}, nil); code(r) != "FORBIDDEN" {
				t.Fatalf("a viewer acknowledging: %+v", r)
			}
			r := hue.do(alertsQuery, map[string]any{"f": map[string]any{"orgUnit": "VPCP"}}, nil)
			if code(r) != "NOT_FOUND" {
				t.Fatalf("hue filtering on Hà Nội: %+v", r.Errors)
			}

			const runs = `{ jobRuns(filter: {job: "alert-scan"}) { totalCount nodes { job outcome trigger counts { name count } } } }`
			var runsOut struct {
				JobRuns struct {
					TotalCount int
					Nodes      []struct {
						Job, Outcome, Trigger string
						Counts                []struct {
							Name  string
							Count int
						}
					}
				}
			}
			(&client{t: t, url: serveAs(t, db, "admin")}).must(runs, nil, &runsOut)
			if runsOut.JobRuns.TotalCount != 2 || runsOut.JobRuns.Nodes[0].Outcome != "OK" || runsOut.JobRuns.Nodes[0].Counts[0].Name != "raised" {
				t.Fatalf("job runs: %+v", runsOut)
			}
			if r := hue.do(runs, nil, nil); code(r) != "FORBIDDEN" {
				t.Fatalf("hue reading job runs: %+v", r)
			}

			// Submitting a value due resolves its REPORT_DUE alert at once,
			// with no scan: it leaves the open alerts and the unread count.
			var due *struct{ ID, Code, PeriodType, Kind string }
			var period string
			for _, a := range out.Alerts.Nodes {
				if a.Kind == "REPORT_DUE" && a.ID != first { // not the one acknowledged
					due, period = a.Indicator, *a.Period
					break
				}
			}
			v := map[string]any{"indicator": due.ID, "orgUnit": "BCA", "period": period}
			switch due.Kind {
			case "RATIO", "PERCENT":
				v["numerator"], v["denominator"] = 1, 1
			default:
				v["value"] = 1
			}
			if sub, r := submit(hue, []map[string]any{v}, true, map[string]any{"confirmJumps": true}, "en"); len(r.Errors) > 0 ||
				len(sub.SubmitDataValues.Values) != 1 || sub.SubmitDataValues.Values[0].State != "SUBMITTED" {
				t.Fatalf("submitting %s for %s: %+v %+v", due.Code, period, sub.SubmitDataValues, r.Errors)
			}
			var open alertsOut
			hue.must(alertsQuery, map[string]any{"f": map[string]any{"open": true}}, &open)
			for _, a := range open.Alerts.Nodes {
				if a.Kind == "REPORT_DUE" && a.Indicator.Code == due.Code && *a.Period == period {
					t.Fatalf("still open after submitting: %+v", a)
				}
			}
			if open.UnreadAlertCount != after.UnreadAlertCount-1 {
				t.Fatalf("unread after submitting: %d, was %d", open.UnreadAlertCount, after.UnreadAlertCount)
			}
		})
	}
}
