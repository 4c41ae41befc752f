package graph_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"

	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
	"p06/tasks"
)

type userError struct {
	Field         []string
	Message, Code string
}

// mutate sends a mutation whose payload is at data.<field> and returns the
// payload (raw), its userErrors and the top-level error code ("" if none).
func mutate(c *client, field, query string, in map[string]any) (json.RawMessage, []userError, string) {
	c.t.Helper()
	var out map[string]json.RawMessage
	r := c.do(query, map[string]any{"in": in}, &out, "Accept-Language", "vi")
	var ue struct{ UserErrors []userError }
	if p := out[field]; len(p) > 0 && string(p) != "null" {
		if err := json.Unmarshal(p, &ue); err != nil {
			c.t.Fatal(err)
		}
	}
	return out[field], ue.UserErrors, code(r)
}

const (
	createDocQ  = `mutation($in: CreateDocumentInput!) { createDocument(input: $in) { document { id number title issueDate issuer kind } userErrors { field message code } } }`
	createTaskQ = `mutation($in: CreateTaskInput!) { createTask(input: $in) { task { id title deadlineText dueDate precision status } userErrors { field message code } } }`
	assignQ     = `mutation($in: AssignTaskInput!) { assignTask(input: $in) { task { id } assignments { id role version state orgUnit { code } } userErrors { field message code } } }`
	cancelQ     = `mutation($in: CancelTaskInput!) { cancelTask(input: $in) { task { id status } assignments { id state version history { version note } } userErrors { field message code } } }`
)

// wantUserError fails unless ues is one userError of code on input.field
// whose message contains each of words.
func wantUserError(t *testing.T, what string, ues []userError, top, code, field string, words ...string) {
	t.Helper()
	if top != "" || len(ues) != 1 || ues[0].Code != code || strings.Join(ues[0].Field, ".") != "input."+field {
		t.Fatalf("%s: top-level %q, userErrors %+v; want one %s on input.%s", what, top, ues, code, field)
	}
	for _, w := range words {
		if !strings.Contains(ues[0].Message, w) {
			t.Errorf("%s: message %q does not say %q", what, ues[0].Message, w)
		}
	}
}

// The standing agency (c06, COORDINATOR on VN) enters a document and its
// tasks, assigns them and cancels them; each step is checked, audited, and
// invisible in reports for dates before it.
func TestEnterDocumentsAndTasks(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			ctx := context.Background()
			c06 := &client{t: t, url: serveAs(t, db, "c06")}
			hue := &client{t: t, url: serveAs(t, db, "hue")}
			bca := &client{t: t, url: serveAs(t, db, "bca")}
			count := func(q string, args ...any) int {
				t.Helper()
				var n int
				if err := db.NewRaw(q, args...).Scan(ctx, &n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			type summary struct {
				TaskCount, DocumentCount, AssignmentCount int
				ByStatus                                  []struct {
					Status string
					Count  int
				}
			}
			summaryAt := func(day string) summary {
				var s struct{ ProgrammeSummary summary }
				c06.must(`query($d: Date) { programmeSummary(asOf: $d) { taskCount documentCount assignmentCount byStatus { status count } } }`,
					map[string]any{"d": day}, &s)
				return s.ProgrammeSummary
			}
			review, before := summaryAt("2023-12-21"), summaryAt("2026-12-01")

			// A document; its title sent decomposed (NFD) is stored NFC.
			title := "Về tăng cường triển khai Đề án 06 năm 2027"
			doc := map[string]any{"kind": "CHI_THI", "number": "99/CT-TTg", "issuedOn": "2026-11-20",
				"issuer": "Thủ tướng Chính phủ", "title": norm.NFD.String(title)}
			p, ues, top := mutate(c06, "createDocument", createDocQ, doc)
			var dp struct {
				Document struct{ ID, Number, Title, IssueDate string }
			}
			_ = json.Unmarshal(p, &dp)
			if top != "" || len(ues) > 0 || dp.Document.Title != title || dp.Document.IssueDate != "2026-11-20" {
				t.Fatalf("createDocument: %s %+v %s", top, ues, p)
			}
			docID := dp.Document.ID
			_, ues, top = mutate(c06, "createDocument", createDocQ, doc)
			wantUserError(t, "same number", ues, top, "CONFLICT", "number", "99/CT-TTg")
			later := map[string]any{"kind": "CHI_THI", "number": "100/CT-TTg", "issuedOn": "2026-12-02", "issuer": "Thủ tướng Chính phủ", "title": "x"}
			_, ues, top = mutate(c06, "createDocument", createDocQ, later)
			wantUserError(t, "issued tomorrow", ues, top, "INVALID", "issuedOn", "2026-12-02")
			blank := map[string]any{"kind": "CHI_THI", "number": "101/CT-TTg", "issuedOn": "2026-11-20", "issuer": "Thủ tướng Chính phủ", "title": "  "}
			_, ues, top = mutate(c06, "createDocument", createDocQ, blank)
			wantUserError(t, "blank title", ues, top, "INVALID", "title")
			long := map[string]any{"kind": "CHI_THI", "number": "102/CT-TTg", "issuedOn": "2026-11-20", "issuer": "Thủ tướng Chính phủ",
				"title": strings.Repeat("đ", tasks.MaxTitleLength+1)}
			if _, _, top = mutate(c06, "createDocument", createDocQ, long); top != "INVALID" {
				t.Errorf("a title over %d characters: %q, want INVALID", tasks.MaxTitleLength, top)
			}
			if n := count("SELECT COUNT(*) FROM documents WHERE number IN ('100/CT-TTg', '101/CT-TTg', '102/CT-TTg')"); n != 0 {
				t.Errorf("%d refused documents stored", n)
			}

			// A task: the deadline phrase resolved; an unreadable one is a
			// userError quoting the parser.
			bad := "khi nào xong thì thôi"
			_, perr := tasks.ParseDeadline(bad)
			_, ues, top = mutate(c06, "createTask", createTaskQ, map[string]any{"document": docID, "title": "Nhiệm vụ A", "deadlineText": bad})
			wantUserError(t, "bad deadline", ues, top, "INVALID", "deadlineText", perr.(*store.Error).Message)
			p, ues, top = mutate(c06, "createTask", createTaskQ, map[string]any{"document": docID, "clause": "Mục 1",
				"title": "Hoàn thành kết nối dữ liệu dân cư với hệ thống bảo hiểm", "deadlineText": "quý I/2027"})
			var tp struct {
				Task struct{ ID, DeadlineText, DueDate, Precision, Status string }
			}
			_ = json.Unmarshal(p, &tp)
			if top != "" || len(ues) > 0 || tp.Task.DueDate != "2027-03-31" || tp.Task.Precision != "QUARTER" || tp.Task.Status != "IN_PROGRESS" {
				t.Fatalf("createTask: %s %+v %s", top, ues, p)
			}
			taskID := tp.Task.ID
			if n := count("SELECT COUNT(*) FROM tasks WHERE recorded_on = '2026-12-01'"); n != 1 {
				t.Errorf("the task is not recorded today: %d", n)
			}

			// Assigned to two leads and every province as coordinators: one
			// assignment each.
			provinces := count("SELECT COUNT(*) FROM org_units WHERE kind = 'PROVINCE'")
			p, ues, top = mutate(c06, "assignTask", assignQ, map[string]any{"task": taskID, "lead": []string{"BCA", "BTP"}, "allProvinces": true})
			var ap struct {
				Assignments []struct {
					ID, Role, State string
					Version         int
					OrgUnit         struct{ Code string }
				}
			}
			_ = json.Unmarshal(p, &ap)
			if top != "" || len(ues) > 0 || len(ap.Assignments) != 2+provinces || ap.Assignments[0].OrgUnit.Code != "BCA" ||
				ap.Assignments[0].Role != "LEAD" || ap.Assignments[2].Role != "COORDINATE" || ap.Assignments[2].Version != 1 || ap.Assignments[2].State != "NOT_STARTED" {
				t.Fatalf("assignTask: %s %+v %d assignments, %s", top, ues, len(ap.Assignments), p)
			}
			tid := count("SELECT MAX(id) FROM tasks")
			perTask := func() (all, units, leads int) {
				return count("SELECT COUNT(*) FROM assignments WHERE task_id = ?", tid),
					count("SELECT COUNT(DISTINCT org_unit_id) FROM assignments WHERE task_id = ?", tid),
					count("SELECT COUNT(*) FROM assignments WHERE task_id = ? AND role = 'LEAD'", tid)
			}
			if all, units, leads := perTask(); all != 2+provinces || units != all || leads != 2 {
				t.Fatalf("assignments %d over %d units, %d leads", all, units, leads)
			}
			if n := count("SELECT COUNT(*) FROM assignment_facts AS f JOIN assignments AS a ON a.id = f.assignment_id WHERE a.task_id = ? AND f.version = 1 AND f.valid_from = '2026-12-01' AND f.due_date = '2027-03-31'", tid); n != 2+provinces {
				t.Errorf("%d assignments have their first facts from today", n)
			}
			// Mistakes name the unit and change nothing.
			for _, m := range []struct {
				in                 map[string]any
				code, field, words string
			}{
				{map[string]any{"lead": []string{"BYT", "46"}}, "CONFLICT", "lead", "46"},
				{map[string]any{"coordinate": []string{"XX9"}}, "NOT_FOUND", "coordinate", "XX9"},
				{map[string]any{"lead": []string{"BYT", "BYT"}}, "INVALID", "lead", "BYT"},
				{map[string]any{"lead": []string{"BYT"}, "coordinate": []string{"BYT"}}, "INVALID", "coordinate", "BYT"},
				{map[string]any{"allProvinces": true}, "INVALID", "lead", ""},
			} {
				m.in["task"] = taskID
				_, ues, top = mutate(c06, "assignTask", assignQ, m.in)
				wantUserError(t, "assignTask "+m.words, ues, top, m.code, m.field, m.words)
			}
			if all, _, _ := perTask(); all != 2+provinces {
				t.Errorf("refused assignTask changed the assignments: %d", all)
			}

			// A province editor enters nothing and assigns nothing.
			if _, _, top = mutate(hue, "createDocument", createDocQ, map[string]any{"kind": "CHI_THI", "number": "103/CT-TTg",
				"issuedOn": "2026-11-20", "issuer": "UBND", "title": "x"}); top != "FORBIDDEN" {
				t.Errorf("hue createDocument: %q", top)
			}
			if _, _, top = mutate(hue, "assignTask", assignQ, map[string]any{"task": taskID, "lead": []string{"BYT"}}); top != "FORBIDDEN" {
				t.Errorf("hue assignTask: %q", top)
			}

			// Today the task is counted; as of the review it did not exist,
			// and the review's figures stand.
			now, then := summaryAt("2026-12-01"), summaryAt("2023-12-21")
			if now.TaskCount != before.TaskCount+1 || now.DocumentCount != before.DocumentCount+1 || now.AssignmentCount != before.AssignmentCount+2+provinces {
				t.Errorf("today: %+v, before %+v", now, before)
			}
			if then.TaskCount != review.TaskCount || then.DocumentCount != review.DocumentCount || then.AssignmentCount != review.AssignmentCount ||
				!jsonEqual(then.ByStatus, review.ByStatus) {
				t.Errorf("as of the review: %+v, before %+v", then, review)
			}
			var tl struct{ Tasks struct{ TotalCount int } }
			for day, want := range map[string]int{"2023-12-21": 0, "2026-11-30": 0, "2026-12-01": 1} {
				c06.must(`query($d: Date) { tasks(filter: {documentNumber: "99/CT-TTg", statusAsOf: $d}) { totalCount } }`, map[string]any{"d": day}, &tl)
				if tl.Tasks.TotalCount != want {
					t.Errorf("tasks as of %s: %d, want %d", day, tl.Tasks.TotalCount, want)
				}
			}

			// Huế completes its part and Bộ Công an its lead; cancelling then
			// cancels the rest, done ones stay done, and the task is done
			// (its other lead cancelled), not cancelled.
			for _, who := range []*client{hue, bca} {
				var mine struct {
					Assignments struct{ Nodes []struct{ ID string } }
				}
				who.must(`query($t: ID) { assignments(filter: {task: $t}) { nodes { id } } }`, map[string]any{"t": taskID}, &mine)
				if len(mine.Assignments.Nodes) != 1 {
					t.Fatalf("own assignments of the task: %+v", mine)
				}
				out, top := update(who, map[string]any{"assignment": mine.Assignments.Nodes[0].ID, "expectedVersion": 1, "state": "DONE", "completedOn": "2026-12-01"}, "vi")
				if top != "" || len(out.UpdateAssignment.UserErrors) > 0 {
					t.Fatalf("completing: %s %+v", top, out.UpdateAssignment.UserErrors)
				}
			}
			_, ues, top = mutate(c06, "cancelTask", cancelQ, map[string]any{"task": taskID, "reason": " "})
			wantUserError(t, "no reason", ues, top, "INVALID", "reason")
			if _, _, top = mutate(hue, "cancelTask", cancelQ, map[string]any{"task": taskID, "reason": "x"}); top != "FORBIDDEN" {
				t.Errorf("hue cancelTask: %q", top)
			}
			reason := "Nhiệm vụ được thay thế bằng Chỉ thị mới"
			p, ues, top = mutate(c06, "cancelTask", cancelQ, map[string]any{"task": taskID, "reason": reason})
			var cp struct {
				Task        struct{ Status string }
				Assignments []struct {
					State   string
					Version int
					History []struct {
						Version int
						Note    string
					}
				}
			}
			_ = json.Unmarshal(p, &cp)
			if top != "" || len(ues) > 0 || len(cp.Assignments) != provinces || cp.Task.Status != "DONE_ON_TIME" {
				t.Fatalf("cancelTask: %s %+v %d cancelled, status %s", top, ues, len(cp.Assignments), cp.Task.Status)
			}
			if a := cp.Assignments[0]; a.State != "CANCELLED" || a.Version != 2 || a.History[len(a.History)-1].Note != reason {
				t.Errorf("a cancelled assignment: %+v", a)
			}
			if n := count("SELECT COUNT(*) FROM assignments WHERE task_id = ? AND state = 'DONE'", tid); n != 2 {
				t.Errorf("%d done assignments after cancelling, want 2", n)
			}
			_, ues, top = mutate(c06, "cancelTask", cancelQ, map[string]any{"task": taskID, "reason": reason})
			wantUserError(t, "nothing open", ues, top, "INVALID", "task")

			// A task whose only lead is cancelled is CANCELLED.
			p, _, _ = mutate(c06, "createTask", createTaskQ, map[string]any{"document": docID, "title": "Nhiệm vụ B", "deadlineText": "tháng 6/2027"})
			_ = json.Unmarshal(p, &tp)
			if _, ues, top = mutate(c06, "assignTask", assignQ, map[string]any{"task": tp.Task.ID, "lead": []string{"BYT"}, "coordinate": []string{"46"}}); top != "" || len(ues) > 0 {
				t.Fatalf("assign B: %s %+v", top, ues)
			}
			p, ues, top = mutate(c06, "cancelTask", cancelQ, map[string]any{"task": tp.Task.ID, "reason": reason})
			_ = json.Unmarshal(p, &cp)
			if top != "" || len(ues) > 0 || cp.Task.Status != "CANCELLED" || len(cp.Assignments) != 2 {
				t.Errorf("cancel B: %s %+v %s", top, ues, p)
			}

			// Everything is in the audit log, and c06 reads it there.
			for action, want := range map[string]int{"document.create": 1, "task.create": 2, "task.assign": 2 + provinces + 2, "task.cancel": provinces + 2} {
				if n := auditCount(t, db, action); n != want {
					t.Errorf("%d %s audit rows, want %d", n, action, want)
				}
			}
			var al struct{ AuditLog struct{ TotalCount int } }
			c06.must(`{ auditLog(filter: {action: "task."}) { totalCount } }`, nil, &al)
			if want := 2 + 2 + provinces + 2 + provinces + 2; al.AuditLog.TotalCount != want {
				t.Errorf("c06 reads %d task.* audit rows, want %d", al.AuditLog.TotalCount, want)
			}
		})
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
