package graph_test

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"sync"
	"testing"

	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
)

const updateMutation = `mutation($in: UpdateAssignmentInput!) { updateAssignment(input: $in) {
	assignment { id version state progress completedOn status history { version state progress note changedBy { username } } }
	userErrors { field message code } } }`

type updateOut struct {
	UpdateAssignment struct {
		Assignment *struct {
			ID, State, Status string
			Version, Progress int
			CompletedOn       *string
			History           []struct {
				Version   int
				State     string
				Progress  int
				Note      string
				ChangedBy *struct{ Username string }
			}
		}
		UserErrors []struct {
			Field         []string
			Message, Code string
		}
	}
}

// update sends updateAssignment as c and returns the payload and the
// top-level error code ("" when none).
func update(c *client, in map[string]any, lang string) (updateOut, string) {
	c.t.Helper()
	var out updateOut
	r := c.do(updateMutation, map[string]any{"in": in}, &out, "Accept-Language", lang)
	return out, code(r)
}

// anAssignment returns the ID and version of the first lead assignment of
// the unit, as c sees it, among those whose state is one of states.
func anAssignment(c *client, unit string, states ...string) (string, int) {
	c.t.Helper()
	var out struct {
		Assignments struct {
			Nodes []struct {
				ID      string
				Version int
			}
		}
	}
	c.must(`query($u: String, $s: [AssignmentState!]) { assignments(first: 1, filter: {orgUnit: $u, roles: [LEAD], states: $s}) { nodes { id version } } }`,
		map[string]any{"u": unit, "s": states}, &out)
	if len(out.Assignments.Nodes) == 0 {
		c.t.Fatalf("no %v lead assignment of %s", states, unit)
	}
	return out.Assignments.Nodes[0].ID, out.Assignments.Nodes[0].Version
}

func auditCount(t *testing.T, db *store.DB, action string) int {
	t.Helper()
	n, err := db.NewSelect().Table("audit_log").Where("action = ?", action).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

// An assignee reports state and progress; the write is versioned, checked
// against the rules, audited with before and after, and kept in the
// assignment's history; the review's figures for 2023-12-21 do not move.
func TestUpdateAssignment(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			hue := &client{t: t, url: serveAs(t, db, "hue")}
			vpcp := newClient(t, db)
			overdueAtReview := func() int {
				var s struct {
					ProgrammeSummary struct {
						ByStatus []struct {
							Status string
							Count  int
						}
					}
				}
				vpcp.must(`{ programmeSummary(asOf: "2023-12-21", documentKinds: [CHI_THI, NGHI_QUYET, CONG_DIEN]) { byStatus { status count } } }`, nil, &s)
				for _, b := range s.ProgrammeSummary.ByStatus {
					if b.Status == "OVERDUE" {
						return b.Count
					}
				}
				return -1
			}
			if n := overdueAtReview(); n != 17 {
				t.Fatalf("overdue at the review before any change: %d", n)
			}

			id, v := anAssignment(hue, "46", "NOT_STARTED", "IN_PROGRESS")
			out, top := update(hue, map[string]any{"assignment": id, "expectedVersion": v, "state": "IN_PROGRESS", "progress": 40, "note": "Đã triển khai 40%"}, "vi")
			a := out.UpdateAssignment.Assignment
			if top != "" || len(out.UpdateAssignment.UserErrors) > 0 || a == nil || a.Version != v+1 || a.Progress != 40 || a.State != "IN_PROGRESS" {
				t.Fatalf("update: %s %+v", top, out.UpdateAssignment)
			}
			last := a.History[len(a.History)-1]
			if last.Version != v+1 || last.Note != "Đã triển khai 40%" || last.ChangedBy == nil || last.ChangedBy.Username != "hue" || a.History[0].ChangedBy != nil {
				t.Fatalf("history: %+v", a.History)
			}
			if n := auditCount(t, db, "assignment.update"); n != 1 {
				t.Fatalf("audit rows: %d", n)
			}
			var detail string
			if err := db.NewSelect().Table("audit_log").Column("detail").Where("action = 'assignment.update'").Scan(context.Background(), &detail); err != nil ||
				!strings.Contains(detail, `"before"`) || !strings.Contains(detail, `"progress":40`) {
				t.Fatalf("audit detail %s %v", detail, err)
			}

			// The facts as they stood on a day: before the change, the seeded
			// version; on the day of the change, the new one.
			var asOf struct {
				Node struct {
					Before, Now struct{ Version, Progress int }
				}
			}
			hue.must(`query($id: ID!) { node(id: $id) { ... on Assignment {
				before: factsAsOf(asOf: "2026-11-30") { version progress } now: factsAsOf(asOf: "2026-12-01") { version progress } } } }`,
				map[string]any{"id": id}, &asOf)
			if asOf.Node.Before.Version != v || asOf.Node.Now.Version != v+1 || asOf.Node.Now.Progress != 40 {
				t.Fatalf("factsAsOf: %+v", asOf.Node)
			}

			// A stale version: CONFLICT with the current values, nothing written.
			out, top = update(hue, map[string]any{"assignment": id, "expectedVersion": v, "progress": 90}, "en")
			ue := out.UpdateAssignment.UserErrors
			if top != "" || len(ue) != 1 || ue[0].Code != "CONFLICT" || strings.Join(ue[0].Field, ".") != "input.expectedVersion" ||
				!strings.Contains(ue[0].Message, "someone else saved first") || out.UpdateAssignment.Assignment == nil ||
				out.UpdateAssignment.Assignment.Progress != 40 || out.UpdateAssignment.Assignment.Version != v+1 {
				t.Fatalf("stale version: %s %+v", top, out.UpdateAssignment)
			}

			// The rules, each a userError on its field, in the caller's language.
			v++
			for _, c := range []struct {
				in    map[string]any
				field string
				want  string
			}{
				{map[string]any{"progress": 150}, "input.progress", "0–100"},
				{map[string]any{"progress": -1}, "input.progress", "0–100"},
				{map[string]any{"state": "DONE"}, "input.completedOn", "completion date"},
				{map[string]any{"state": "DONE", "completedOn": "2026-12-02"}, "input.completedOn", "after today"},
				{map[string]any{"state": "IN_PROGRESS", "completedOn": "2026-11-02"}, "input.completedOn", "only a DONE"},
				{map[string]any{"state": "DONE", "completedOn": "1990-01-01"}, "input.completedOn", "before the document"},
				{map[string]any{"state": "NOT_STARTED"}, "input.progress", "NOT_STARTED means progress 0%"},
				{map[string]any{"progress": 100}, "input.progress", "choose DONE"},
			} {
				c.in["assignment"], c.in["expectedVersion"] = id, v
				out, top := update(hue, c.in, "en")
				ue := out.UpdateAssignment.UserErrors
				if top != "" || len(ue) != 1 || ue[0].Code != "INVALID" || strings.Join(ue[0].Field, ".") != c.field || !strings.Contains(ue[0].Message, c.want) {
					t.Errorf("%v: %s %+v", c.in, top, ue)
				}
			}
			// A long note (up to 2,000 characters) is kept whole.
			long := strings.Repeat("Ghi chú dài. ", 150)
			out, _ = update(hue, map[string]any{"assignment": id, "expectedVersion": v, "progress": 45, "note": long}, "en")
			if a := out.UpdateAssignment.Assignment; a == nil || a.History[len(a.History)-1].Note != strings.TrimSpace(long) {
				t.Fatalf("a 1,950-character note: %+v", out.UpdateAssignment.UserErrors)
			}
			v++
			// DONE sets progress to 100; reopening needs a note.
			out, _ = update(hue, map[string]any{"assignment": id, "expectedVersion": v, "state": "DONE", "completedOn": "2026-11-30"}, "vi")
			if a := out.UpdateAssignment.Assignment; a == nil || a.Progress != 100 || a.State != "DONE" || a.CompletedOn == nil || *a.CompletedOn != "2026-11-30" {
				t.Fatalf("done: %+v", out.UpdateAssignment)
			}
			v++
			for _, blank := range []string{"", "  ", "\u200b\u2060"} {
				out, _ = update(hue, map[string]any{"assignment": id, "expectedVersion": v, "state": "IN_PROGRESS", "progress": 50, "note": blank}, "vi")
				if ue := out.UpdateAssignment.UserErrors; len(ue) != 1 || strings.Join(ue[0].Field, ".") != "input.note" || !strings.Contains(ue[0].Message, "lý do") {
					t.Fatalf("reopen with the note %q: %+v", blank, out.UpdateAssignment)
				}
			}
			out, _ = update(hue, map[string]any{"assignment": id, "expectedVersion": v, "state": "IN_PROGRESS", "progress": 80, "note": "Phát hiện sai sót, làm lại"}, "vi")
			if a := out.UpdateAssignment.Assignment; a == nil || a.CompletedOn != nil || a.Progress != 80 {
				t.Fatalf("reopen with a note: %+v", out.UpdateAssignment)
			}
			v++
			// Cancelling is the assigning level's, not an update; a cancelled
			// assignment cannot be completed, only reopened with a note.
			if out, _ := update(hue, map[string]any{"assignment": id, "expectedVersion": v, "state": "CANCELLED"}, "en"); len(out.UpdateAssignment.UserErrors) != 1 ||
				!strings.Contains(out.UpdateAssignment.UserErrors[0].Message, "cancelTask") {
				t.Fatalf("an editor cancelling: %+v", out.UpdateAssignment)
			}
			if _, err := db.NewUpdate().Table("assignments").Set("state = 'CANCELLED', progress = 0").Where("id = ?", rawID(t, id)).Exec(context.Background()); err != nil {
				t.Fatal(err)
			}
			if out, _ := update(hue, map[string]any{"assignment": id, "expectedVersion": v, "state": "DONE", "completedOn": "2026-11-30", "note": "x"}, "en"); len(out.UpdateAssignment.UserErrors) != 1 ||
				!strings.Contains(out.UpdateAssignment.UserErrors[0].Message, "reopen it first") {
				t.Fatalf("completing a cancelled assignment: %+v", out.UpdateAssignment)
			}
			if out, _ := update(hue, map[string]any{"assignment": id, "expectedVersion": v, "state": "IN_PROGRESS", "note": "Được giao lại"}, "en"); out.UpdateAssignment.Assignment == nil ||
				out.UpdateAssignment.Assignment.State != "IN_PROGRESS" {
				t.Fatalf("reopening a cancelled assignment: %+v", out.UpdateAssignment)
			}

			// Out of scope: NOT_FOUND for Huế writing to Hà Nội's, and a
			// FORBIDDEN for a role that may not update at all.
			hanoiID, hanoiV := anAssignment(vpcp, "01", "NOT_STARTED", "IN_PROGRESS")
			if out, _ := update(hue, map[string]any{"assignment": hanoiID, "expectedVersion": hanoiV, "progress": 10}, "vi"); len(out.UpdateAssignment.UserErrors) != 1 ||
				out.UpdateAssignment.UserErrors[0].Code != "NOT_FOUND" {
				t.Fatalf("Huế writing to Hà Nội: %+v", out.UpdateAssignment)
			}
			approver := &client{t: t, url: serveAs(t, db, "hanoi-approver")}
			if _, top := update(approver, map[string]any{"assignment": hanoiID, "expectedVersion": hanoiV, "progress": 10}, "vi"); top != "FORBIDDEN" {
				t.Fatalf("an approver updating: %s", top)
			}
			if _, v2 := anAssignment(vpcp, "01", "NOT_STARTED", "IN_PROGRESS"); v2 != hanoiV {
				t.Fatalf("Hà Nội's assignment changed: version %d", v2)
			}

			// Finishing today some of what was overdue at the review changes
			// nothing about the review.
			var late struct {
				Assignments struct {
					Nodes []struct {
						ID      string
						Version int
						OrgUnit struct{ Code string }
					}
				}
			}
			vpcp.must(`{ assignments(first: 100, filter: {statusAsOf: "2023-12-21", statuses: [OVERDUE], roles: [LEAD]}) { nodes { id version orgUnit { code } } } }`, nil, &late)
			editors := map[string]string{"46": "hue", "01": "hanoi", "BCA": "bca", "BTP": "btp"}
			done := 0
			for _, n := range late.Assignments.Nodes {
				if ed := editors[n.OrgUnit.Code]; ed != "" {
					c := &client{t: t, url: serveAs(t, db, ed)}
					if out, _ := update(c, map[string]any{"assignment": n.ID, "expectedVersion": n.Version, "state": "DONE", "completedOn": "2026-11-30"}, "vi"); len(out.UpdateAssignment.UserErrors) > 0 {
						t.Fatalf("finishing %s: %+v", n.ID, out.UpdateAssignment)
					}
					done++
				}
			}
			if done == 0 {
				t.Fatalf("none of the %d assignments overdue at the review belongs to a demo editor", len(late.Assignments.Nodes))
			}
			if n := overdueAtReview(); n != 17 {
				t.Fatalf("overdue at the review after changes in 2026: %d", n)
			}
		})
	}
}

// Two staff saving the same version at once: exactly one wins, the other
// gets CONFLICT, and the audit log has one change.
func TestConcurrentUpdatesOneWins(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			hue := &client{t: t, url: serveAs(t, db, "hue")}
			id, v := anAssignment(hue, "46", "NOT_STARTED", "IN_PROGRESS")
			const n = 8
			var wg sync.WaitGroup
			results := make([]updateOut, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := &client{t: t, url: serveAs(t, db, "hue")}
					results[i], _ = update(c, map[string]any{"assignment": id, "expectedVersion": v, "progress": 10 + i}, "vi")
				}()
			}
			wg.Wait()
			won, conflicts := 0, 0
			var winner int
			for i, r := range results {
				switch {
				case len(r.UpdateAssignment.UserErrors) == 0 && r.UpdateAssignment.Assignment != nil:
					won++
					winner = 10 + i
				case len(r.UpdateAssignment.UserErrors) == 1 && r.UpdateAssignment.UserErrors[0].Code == "CONFLICT":
					conflicts++
				default:
					t.Errorf("update %d: %+v", i, r.UpdateAssignment)
				}
			}
			if won != 1 || conflicts != n-1 {
				t.Fatalf("%d won, %d conflicts", won, conflicts)
			}
			if c := auditCount(t, db, "assignment.update"); c != 1 {
				t.Fatalf("audit rows: %d", c)
			}
			var now struct {
				Node struct {
					Progress, Version int
				}
			}
			hue.must(`query($id: ID!) { node(id: $id) { ... on Assignment { progress version } } }`, map[string]any{"id": id}, &now)
			if now.Node.Progress != winner || now.Node.Version != v+1 {
				t.Fatalf("stored %+v, the winner sent %d", now.Node, winner)
			}
		})
	}
}

// rawID is the database id inside a global ID.
func rawID(t *testing.T, gid string) int64 {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(gid)
	if err != nil {
		t.Fatal(err)
	}
	_, n, _ := strings.Cut(string(b), ":")
	id, err := strconv.ParseInt(n, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
