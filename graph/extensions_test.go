package graph_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
	"p06/tasks"
)

const (
	requestExtQ = `mutation($in: RequestDeadlineExtensionInput!) { requestDeadlineExtension(input: $in) {
		extensionRequest { id state deadlineText requestedDueDate previousDueDate reason } userErrors { field message code } } }`
	decideExtQ = `mutation($in: DecideDeadlineExtensionInput!) { decideDeadlineExtension(input: $in) {
		extensionRequest { id state decisionNote decidedAt } assignment { id dueDate version } userErrors { field message code } } }`
	// extAssignmentQ reads an assignment's due dates and statuses, before
	// and after 1 December 2026 (the day of the approval in this test).
	extAssignmentQ = `query($id: ID!) { node(id: $id) { ... on Assignment { dueDate originalDueDate version
		before: status(asOf: "2026-11-30") onTheDay: status(asOf: "2026-12-01") after: status(asOf: "2027-01-01")
		statusAgainstOriginal origBefore: statusAgainstOriginal(asOf: "2026-11-30")
		history { version dueDate note }
		dueDateHistory { dueDate validFrom note setBy { username } extensionRequest { id state } }
		extensionRequests { id state reason requestedBy { username } decidedBy { username } decisionNote }
		task { status statusAgainstOriginal } } } }`
)

// extCall sends a mutation as c and returns its payload, and the top-level
// error code ("" when none).
func extCall(c *client, q, field string, in map[string]any) (map[string]any, string) {
	c.t.Helper()
	res := c.do(q, map[string]any{"in": in}, nil, "Accept-Language", "en")
	p, _ := azAt(azTree(c.t, res), field).(map[string]any)
	return p, code(res)
}

// payloadUserError checks that payload p has exactly one userError, with code and
// field, whose message contains want.
func payloadUserError(t *testing.T, what string, p map[string]any, top, code, field, want string) {
	t.Helper()
	ues := azList(p, "userErrors")
	if top != "" || len(ues) != 1 {
		t.Fatalf("%s: top-level %q, payload %v", what, top, p)
	}
	var f []string
	for _, s := range azList(ues[0], "field") {
		f = append(f, s.(string))
	}
	if azStr(ues[0], "code") != code || strings.Join(f, ".") != field || !strings.Contains(azStr(ues[0], "message"), want) {
		t.Fatalf("%s: %v, want %s on %s saying %q", what, ues[0], code, field, want)
	}
}

// The assignee asks for more time, the coordinator decides: the approved
// extension moves the due date from the day of the decision (statuses before
// it are judged against the old date, after it against the new one), the
// judgement against the original deadline stays, and every step is checked,
// scoped and audited.
func TestDeadlineExtension(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			hue := &client{t: t, url: serveAs(t, db, "hue")}
			c06 := &client{t: t, url: serveAs(t, db, "c06")}
			hanoi := &client{t: t, url: serveAs(t, db, "hanoi")}

			// A task of quý I/2024 led by Huế and Hà Nội, overdue today.
			ids := extFixture(t, db, "quý I/2024", "46", "01")
			id, due0, v0 := ids[0], "2024-03-31", 1
			ask := func(deadline, reason string) map[string]any {
				return map[string]any{"assignment": id, "deadlineText": deadline, "reason": reason}
			}

			// The rules, each a userError on its field.
			p, top := extCall(hue, requestExtQ, "requestDeadlineExtension", ask("khi nào xong", "Chờ kinh phí"))
			payloadUserError(t, "unreadable deadline", p, top, "INVALID", "input.deadlineText", `cannot read the deadline "khi nào xong"`)
			p, top = extCall(hue, requestExtQ, "requestDeadlineExtension", ask("thường xuyên", "Chờ kinh phí"))
			payloadUserError(t, "no date", p, top, "INVALID", "input.deadlineText", "must name a date")
			p, top = extCall(hue, requestExtQ, "requestDeadlineExtension", ask("ngày 01/01/2020", "Chờ kinh phí"))
			payloadUserError(t, "earlier", p, top, "INVALID", "input.deadlineText", "later than the current due date "+due0)
			p, top = extCall(hue, requestExtQ, "requestDeadlineExtension", ask("ngày 31/12/2026", "   "))
			payloadUserError(t, "no reason", p, top, "INVALID", "input.reason", "reason")
			if n := auditCount(t, db, "extension.request"); n != 0 {
				t.Fatalf("refused requests audited: %d", n)
			}

			// Huế asks; a second open request is refused.
			p, top = extCall(hue, requestExtQ, "requestDeadlineExtension", ask("ngày 31/12/2026", "Chờ bố trí kinh phí năm 2026"))
			if top != "" || len(azList(p, "userErrors")) > 0 || azStr(p, "extensionRequest", "state") != "PENDING" ||
				azStr(p, "extensionRequest", "requestedDueDate") != "2026-12-31" || azStr(p, "extensionRequest", "previousDueDate") != due0 {
				t.Fatalf("request: %s %v", top, p)
			}
			req := azStr(p, "extensionRequest", "id")
			p, top = extCall(hue, requestExtQ, "requestDeadlineExtension", ask("ngày 31/3/2027", "Thêm lý do"))
			payloadUserError(t, "second open request", p, top, "CONFLICT", "input.assignment", "already has an extension request")

			// Who may not: c06 cannot request (no REQUEST_EXTENSION), Huế
			// cannot decide, Hà Nội cannot ask for Huế's assignment (out of
			// scope: NOT_FOUND).
			if _, top := extCall(c06, requestExtQ, "requestDeadlineExtension", ask("ngày 31/3/2027", "x")); top != "FORBIDDEN" {
				t.Fatalf("c06 requesting: %s", top)
			}
			if _, top := extCall(hue, decideExtQ, "decideDeadlineExtension", map[string]any{"request": req, "approve": true}); top != "FORBIDDEN" {
				t.Fatalf("Huế deciding: %s", top)
			}
			p, top = extCall(hanoi, requestExtQ, "requestDeadlineExtension", ask("ngày 31/3/2027", "x"))
			payloadUserError(t, "Hà Nội asking for Huế", p, top, "NOT_FOUND", "input.assignment", "not found")

			// A request of Hà Nội's is NOT_FOUND to Huế.
			p, top = extCall(hanoi, requestExtQ, "requestDeadlineExtension", map[string]any{"assignment": ids[1], "deadlineText": "quý I/2027", "reason": "Chờ hạ tầng"})
			hanoiReq := azStr(p, "extensionRequest", "id")
			if top != "" || hanoiReq == "" {
				t.Fatalf("Hà Nội's request: %s %v", top, p)
			}
			if r := hue.do(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": hanoiReq}, nil); code(r) != "NOT_FOUND" {
				t.Fatalf("Huế reading Hà Nội's request: %s", azErrs(r))
			}
			var own struct {
				Node struct {
					ID         string
					State      string
					Assignment struct{ ID string }
				}
			}
			hue.must(`query($id: ID!) { node(id: $id) { ... on ExtensionRequest { id state assignment { id } } } }`, map[string]any{"id": req}, &own)
			if own.Node.ID != req || own.Node.State != "PENDING" || own.Node.Assignment.ID != id {
				t.Fatalf("Huế reading its request: %+v", own)
			}
			if n := auditCount(t, db, "extension.request"); n != 2 {
				t.Fatalf("extension.request audit rows: %d", n)
			}

			// c06 approves: the due date moves, through a new version.
			p, top = extCall(c06, decideExtQ, "decideDeadlineExtension", map[string]any{"request": req, "approve": true, "note": "Đồng ý gia hạn đến hết năm"})
			if top != "" || len(azList(p, "userErrors")) > 0 || azStr(p, "extensionRequest", "state") != "APPROVED" ||
				azStr(p, "assignment", "dueDate") != "2026-12-31" || azInt(p, "assignment", "version") != v0+1 {
				t.Fatalf("approve: %s %v", top, p)
			}
			p, top = extCall(c06, decideExtQ, "decideDeadlineExtension", map[string]any{"request": req, "approve": false})
			payloadUserError(t, "decided twice", p, top, "CONFLICT", "input.request", "already decided")
			if n, m := auditCount(t, db, "extension.decide"), auditCount(t, db, "assignment.extend"); n != 1 || m != 1 {
				t.Fatalf("audit after the approval: %d decide, %d extend", n, m)
			}

			type view struct {
				DueDate, OriginalDueDate          string
				Version                           int
				Before, OnTheDay, After           string
				StatusAgainstOriginal, OrigBefore string
				History                           []struct{ Version int }
				DueDateHistory                    []struct {
					DueDate, ValidFrom, Note string
					SetBy                    *struct{ Username string }
					ExtensionRequest         *struct{ ID, State string }
				}
				ExtensionRequests []struct {
					ID, State, Reason, DecisionNote string
					RequestedBy, DecidedBy          *struct{ Username string }
				}
				Task struct{ Status, StatusAgainstOriginal string }
			}
			read := func(c *client) view {
				var out struct{ Node view }
				c.must(extAssignmentQ, map[string]any{"id": id}, &out)
				return out.Node
			}
			a := read(c06)
			if a.DueDate != "2026-12-31" || a.OriginalDueDate != due0 || a.Version != v0+1 {
				t.Fatalf("after the approval: %+v", a)
			}
			// Before the day of the decision the old due date was in force;
			// from that day the new one; against the original, overdue.
			if a.Before != "OVERDUE" || a.OnTheDay != "IN_PROGRESS" || a.After != "OVERDUE" || a.StatusAgainstOriginal != "OVERDUE" || a.OrigBefore != "OVERDUE" {
				t.Fatalf("statuses: %+v", a)
			}
			if h := a.DueDateHistory; len(h) != 2 || h[0].DueDate != due0 || h[0].ExtensionRequest != nil || h[0].SetBy != nil ||
				h[1].DueDate != "2026-12-31" || h[1].ValidFrom != "2026-12-01" || h[1].Note != "Đồng ý gia hạn đến hết năm" ||
				h[1].SetBy == nil || h[1].SetBy.Username != "c06" || h[1].ExtensionRequest == nil || h[1].ExtensionRequest.ID != req {
				t.Fatalf("due-date history: %+v", a.DueDateHistory)
			}
			if r := a.ExtensionRequests; len(r) != 1 || r[0].State != "APPROVED" || r[0].RequestedBy == nil || r[0].RequestedBy.Username != "hue" ||
				r[0].DecidedBy == nil || r[0].DecidedBy.Username != "c06" || r[0].DecisionNote != "Đồng ý gia hạn đến hết năm" {
				t.Fatalf("extension requests: %+v", a.ExtensionRequests)
			}
			// Huế's view of the task: judged on Huế's lead, in force and
			// against the original deadline.
			if h := read(hue); h.Task.Status != "IN_PROGRESS" || h.Task.StatusAgainstOriginal != "OVERDUE" {
				t.Fatalf("Huế's task: %+v", h.Task)
			}

			// A rejected request changes nothing but itself.
			p, _ = extCall(hue, requestExtQ, "requestDeadlineExtension", ask("ngày 31/3/2027", "Thêm hạng mục"))
			again := azStr(p, "extensionRequest", "id")
			p, top = extCall(c06, decideExtQ, "decideDeadlineExtension", map[string]any{"request": again, "approve": false, "note": "Không đủ căn cứ"})
			if top != "" || azStr(p, "extensionRequest", "state") != "REJECTED" || azStr(p, "extensionRequest", "decisionNote") != "Không đủ căn cứ" ||
				azStr(p, "assignment", "dueDate") != "2026-12-31" || azInt(p, "assignment", "version") != v0+1 {
				t.Fatalf("reject: %s %v", top, p)
			}
			if b := read(c06); b.DueDate != "2026-12-31" || b.Version != v0+1 || len(b.DueDateHistory) != 2 || len(b.History) != len(a.History) ||
				len(b.ExtensionRequests) != 2 || b.ExtensionRequests[1].State != "REJECTED" {
				t.Fatalf("after the rejection: %+v", b)
			}
			if n, m := auditCount(t, db, "extension.decide"), auditCount(t, db, "assignment.extend"); n != 2 || m != 1 {
				t.Fatalf("audit after the rejection: %d decide, %d extend", n, m)
			}

			// A done assignment cannot ask.
			doneID, _ := anAssignment(hue, "46", "DONE")
			p, top = extCall(hue, requestExtQ, "requestDeadlineExtension", map[string]any{"assignment": doneID, "deadlineText": "ngày 31/12/2027", "reason": "x"})
			payloadUserError(t, "done assignment", p, top, "INVALID", "input.assignment", "cannot ask for more time")
		})
	}
}

// The lists of an assignment's requests and due dates are bounded and
// priced: a page of them costs a fixed number of queries, a bound past its
// limit is refused, and nesting them cannot make a request expensive.
func TestExtensionListsAreBounded(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			counter := db.Counts()
			c := newClient(t, db)
			const q = `query($n: Int) { assignments(first: $n) { nodes { id dueDate originalDueDate statusAgainstOriginal
				dueDateHistory { dueDate setBy { username } extensionRequest { id } } extensionRequests { id state requestedBy { username } } } } }`
			count := func(n int) int64 {
				before := counter.Statements()
				var out struct{ Assignments struct{ Nodes []any } }
				c.must(q, map[string]any{"n": n}, &out)
				if len(out.Assignments.Nodes) != n {
					t.Fatalf("asked %d assignments, got %d", n, len(out.Assignments.Nodes))
				}
				return counter.Statements() - before
			}
			if small, big := count(5), count(100); small != big {
				t.Fatalf("5 assignments cost %d queries, 100 cost %d", small, big)
			}
			// Too long a list is refused for what it is, however long, not
			// priced out of the complexity limit; once, before anything
			// runs, even where no assignment would have asked it; a
			// variable is named.
			for _, f := range []string{"extensionRequests", "dueDateHistory", "history"} {
				for _, n := range []string{"0", "101", "2147483647"} {
					r := c.do(`{ assignments(first: 100) { nodes { `+f+`(last: `+n+`) { __typename } } } }`, nil, nil)
					if code(r) != "INVALID" || len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "last") || !strings.Contains(r.Errors[0].Message, "1–100") {
						t.Fatalf("%s(last: %s) → %s", f, n, azErrs(r))
					}
				}
				r := c.do(`{ assignments(first: 1, filter: {states: [CANCELLED]}) { nodes { `+f+`(last: 0) { __typename } } } }`, nil, nil)
				if code(r) != "INVALID" {
					t.Fatalf("%s(last: 0) on no assignment → %s", f, azErrs(r))
				}
				r = c.do(`query($n: Int) { assignments(first: 2) { nodes { `+f+`(last: $n) { __typename } } } }`, map[string]any{"n": 0}, nil)
				if code(r) != "INVALID" || len(r.Errors) != 1 || !strings.HasPrefix(r.Errors[0].Message, "$n:") {
					t.Fatalf("%s(last: $n) with n = 0 → %s", f, azErrs(r))
				}
			}
			r := c.do(`{ assignments(first: 100) { nodes { extensionRequests(last: 100) { assignment { dueDateHistory(last: 100) { note } } } } } }`, nil, nil)
			if code(r) != "COMPLEXITY_LIMIT_EXCEEDED" {
				t.Fatalf("nested lists → %s", azErrs(r))
			}
		})
	}
}

// extFixture makes a task with the deadline as written, led by each unit
// code, and returns the global IDs of its assignments in that order.
func extFixture(t *testing.T, db *store.DB, deadline string, units ...string) []string {
	t.Helper()
	ctx := context.Background()
	ts := tasks.NewStore(db, store.FixedClock(today))
	doc := &tasks.Document{Kind: tasks.KeHoach, Number: fmt.Sprintf("%d/KH-EXT", len(units)), IssueDate: store.MustDate("2024-01-02"),
		Issuer: "Bộ Công an", Title: "Kế hoạch thử gia hạn", Source: store.SourceDemo}
	if err := ts.CreateDocument(ctx, doc); err != nil {
		t.Fatal(err)
	}
	var as []tasks.NewAssignment
	for _, u := range units {
		as = append(as, tasks.NewAssignment{OrgUnitID: int64(azCount(t, db, "SELECT id FROM org_units WHERE code = ?", u)), Role: tasks.Lead})
	}
	task := &tasks.Task{DocumentID: doc.ID, Title: "Nhiệm vụ thử gia hạn", DeadlineText: deadline, Source: store.SourceDemo}
	if err := ts.CreateTask(ctx, task, as); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, a := range as {
		out = append(out, azGID("Assignment", int64(azCount(t, db, "SELECT id FROM assignments WHERE task_id = ? AND org_unit_id = ?", task.ID, a.OrgUnitID))))
	}
	return out
}
