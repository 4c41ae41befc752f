package graph_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"p06/auth"
	"p06/gen"
	"p06/rbac"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
)

// generate adds a small generated programme (300 tasks in 20 documents,
// two communes a province) to db, standing on today.
func generate(t *testing.T, db *store.DB, seed uint64) gen.Report {
	t.Helper()
	o := gen.DefaultOptions
	o.Tasks, o.Documents, o.CommunesPerProvince, o.AllProvincesPercent, o.Seed, o.Clock = 300, 20, 2, 5, seed, store.FixedClock(today)
	rep, err := gen.Programme(context.Background(), db, o)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

type genFigures struct {
	S struct {
		DocumentCount, TaskCount, AssignmentCount, WorkingGroupCount int
		ByStatus                                                     []struct {
			Status string
			Count  int
		}
	}
	Communes, Overdue struct{ TotalCount int }
}

func (f genFigures) byStatus() map[string]int {
	m := map[string]int{}
	for _, b := range f.S.ByStatus {
		m[b.Status] = b.Count
	}
	return m
}

func figures(c *client) genFigures {
	var f genFigures
	c.must(`{ s: programmeSummary { documentCount taskCount assignmentCount workingGroupCount byStatus { status count } }
		communes: orgUnits(filter: {kinds: [COMMUNE]}) { totalCount }
		overdue: tasks(filter: {statusAsOf: "2026-12-01", statuses: [OVERDUE]}) { totalCount } }`, nil, &f)
	return f
}

// A generated programme reads through the API like the demo one: the counts
// add up, some tasks go to every province and most to a few units, every
// status occurs, search finds generated text, a province sees only its own
// assignments, and the same seed gives the same programme (another seed
// another one).
func TestGeneratedProgrammeThroughTheAPI(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			vpcp := newClient(t, db)
			before := figures(vpcp)
			var ministries struct {
				OrgUnits struct{ Nodes []struct{ Code string } }
			}
			vpcp.must(`{ orgUnits(filter: {kinds: [MINISTRY]}, first: 100) { nodes { code } } }`, nil, &ministries)
			counts := func() map[string]int {
				var q strings.Builder
				q.WriteString("{")
				for _, m := range ministries.OrgUnits.Nodes {
					q.WriteString(" " + m.Code + `: assignments(filter: {orgUnit: "` + m.Code + `"}) { totalCount }`)
				}
				q.WriteString(" }")
				var out map[string]struct{ TotalCount int }
				vpcp.must(q.String(), nil, &out)
				m := map[string]int{}
				for k, v := range out {
					m[k] = v.TotalCount
				}
				return m
			}
			ministriesBefore := counts()

			rep := generate(t, db, 7)
			after := figures(vpcp)

			// The counts add up.
			if rep.Tasks != 300 || rep.Assignments != 3000 || rep.Communes != 126 || rep.AllProvinceTasks == 0 {
				t.Fatalf("report: %+v", rep)
			}
			if after.S.TaskCount-before.S.TaskCount != rep.Tasks || after.S.AssignmentCount-before.S.AssignmentCount != rep.Assignments ||
				after.S.DocumentCount-before.S.DocumentCount != rep.Documents || after.Communes.TotalCount != 126 ||
				after.S.WorkingGroupCount-before.S.WorkingGroupCount != rep.WorkingGroups {
				t.Errorf("figures before %+v, after %+v, report %+v", before, after, rep)
			}
			// Every status occurs among the generated tasks, and the status
			// filter agrees with the summary.
			b, a := before.byStatus(), after.byStatus()
			for _, s := range []string{"DONE_ON_TIME", "DONE_LATE", "IN_PROGRESS", "OVERDUE", "CONTINUOUS"} {
				if a[s] <= b[s] {
					t.Errorf("no generated task %s: before %v, after %v", s, b, a)
				}
			}
			if after.Overdue.TotalCount != a["OVERDUE"] {
				t.Errorf("%d overdue tasks listed, %d in the summary", after.Overdue.TotalCount, a["OVERDUE"])
			}

			// Skew: the Ministry of Public Security, ranked first, has several
			// times the generated assignments of the average ministry; some
			// tasks go to all 63 provinces.
			ministriesAfter := counts()
			sum := 0
			for code, n := range ministriesAfter {
				if code != "BCA" {
					sum += n - ministriesBefore[code]
				}
			}
			bca, mean := ministriesAfter["BCA"]-ministriesBefore["BCA"], float64(sum)/float64(len(ministriesAfter)-1)
			if float64(bca) < 3*mean {
				t.Errorf("BCA has %d generated assignments, the other ministries %.1f on average", bca, mean)
			}
			var all []int64
			scanIDs(t, db, &all, `SELECT t.id FROM tasks t WHERE t.note LIKE 'gen seed=%' AND (SELECT COUNT(*) FROM assignments a
				JOIN org_units u ON u.id = a.org_unit_id WHERE a.task_id = t.id AND u.kind = 'PROVINCE') = 63 ORDER BY t.id`)
			if len(all) != rep.AllProvinceTasks {
				t.Fatalf("%d tasks to every province, report says %d", len(all), rep.AllProvinceTasks)
			}
			var ids []string
			for _, id := range all[:min(5, len(all))] {
				ids = append(ids, azGID("Task", id))
			}
			var nodes struct {
				Nodes []struct {
					Status      string
					Assignments []struct {
						Role    string
						OrgUnit struct{ Kind string }
					}
				}
			}
			vpcp.must(`query($ids: [ID!]!) { nodes(ids: $ids) { ... on Task { status assignments { role orgUnit { kind } } } } }`,
				map[string]any{"ids": ids}, &nodes)
			for _, n := range nodes.Nodes {
				kinds := map[string]int{}
				for _, a := range n.Assignments {
					kinds[a.OrgUnit.Kind+"/"+a.Role]++
				}
				if kinds["PROVINCE/LEAD"]+kinds["PROVINCE/COORDINATE"] != 63 || kinds["MINISTRY/LEAD"]+kinds["MINISTRY/COORDINATE"] == 0 || n.Status == "" {
					t.Errorf("a task to every province: %s, %v", n.Status, kinds)
				}
			}

			// A province sees its own assignments, its communes' included,
			// and nothing else: an editor of the province whose communes
			// were given the most generated tasks.
			var province string
			scanIDs(t, db, &province, `SELECT p.code FROM assignments a JOIN org_units u ON u.id = a.org_unit_id
				JOIN org_units p ON p.id = u.parent_id WHERE u.kind = 'COMMUNE' GROUP BY p.code ORDER BY COUNT(*) DESC, p.code LIMIT 1`)
			path := "/VN/" + province + "/%"
			authz, err := rbac.NewAuthorizer(context.Background(), db, 0)
			if err != nil {
				t.Fatal(err)
			}
			addEditor(t, auth.NewService(db, authz, store.FixedClock(today), auth.DefaultConfig), "gen-editor", province)
			editor := &client{t: t, url: serveAs(t, db, "gen-editor")}
			var own struct {
				Assignments struct {
					TotalCount int
					Nodes      []struct{ OrgUnit struct{ Code string } }
				}
				Tasks, OrgUnits struct{ TotalCount int }
			}
			editor.must(`{ assignments(first: 100, orderBy: {field: DUE_DATE}) { totalCount nodes { orgUnit { code } } } tasks { totalCount } orgUnits { totalCount } }`, nil, &own)
			var wantAssignments, wantTasks, communal int
			scanIDs(t, db, &wantAssignments, `SELECT COUNT(*) FROM assignments a JOIN org_units u ON u.id = a.org_unit_id WHERE u.path LIKE ?`, path)
			scanIDs(t, db, &wantTasks, `SELECT COUNT(DISTINCT a.task_id) FROM assignments a JOIN org_units u ON u.id = a.org_unit_id WHERE u.path LIKE ?`, path)
			if own.Assignments.TotalCount != wantAssignments || own.Tasks.TotalCount != wantTasks || own.OrgUnits.TotalCount != 3 {
				t.Errorf("%s's editor sees %d assignments of %d tasks and %d units, want %d of %d and 3", province, own.Assignments.TotalCount,
					own.Tasks.TotalCount, own.OrgUnits.TotalCount, wantAssignments, wantTasks)
			}
			for _, n := range own.Assignments.Nodes {
				if n.OrgUnit.Code != province && !strings.HasPrefix(n.OrgUnit.Code, province+"-") {
					t.Errorf("%s's editor sees an assignment of %s", province, n.OrgUnit.Code)
				}
				if strings.HasPrefix(n.OrgUnit.Code, province+"-X") {
					communal++
				}
			}
			if communal == 0 {
				t.Errorf("%s's editor sees none of its communes' assignments", province)
			}

			// Search finds generated tasks and units, in the caller's scope.
			var rare []int64
			scanIDs(t, db, &rare, "SELECT id FROM tasks WHERE description LIKE '%"+gen.RareWord+"%'")
			var rareInScope int
			scanIDs(t, db, &rareInScope, `SELECT COUNT(DISTINCT a.task_id) FROM assignments a JOIN org_units u ON u.id = a.org_unit_id
				WHERE a.task_id = ? AND u.path LIKE ?`, rare[0], path)
			q := `query($q: String!) { search(query: $q, first: 100) { totalCount nodes { kind node { id } } } }`
			type found struct {
				Search struct {
					TotalCount int
					Nodes      []struct {
						Kind string
						Node struct{ ID string }
					}
				}
			}
			var f found
			vpcp.must(q, map[string]any{"q": gen.RareWord}, &f)
			if len(rare) != 1 || f.Search.TotalCount != 1 || f.Search.Nodes[0].Node.ID != azGID("Task", rare[0]) {
				t.Errorf("search %q: %+v, want task %v", gen.RareWord, f, rare)
			}
			editor.must(q, map[string]any{"q": gen.RareWord}, &f)
			if f.Search.TotalCount != rareInScope {
				t.Errorf("%s's editor finds %d tasks with %q, want %d", province, f.Search.TotalCount, gen.RareWord, rareInScope)
			}
			for want, c := range map[int]*client{126: vpcp, 2: editor} {
				c.must(`{ search(query: "thu nghiem", kinds: [ORG_UNIT]) { totalCount } }`, nil, &f)
				if f.Search.TotalCount != want {
					t.Errorf("search of the generated units: %d, want %d", f.Search.TotalCount, want)
				}
			}

			// The same seed gives the same programme; another seed another.
			page := func(db *store.DB) string {
				var out json.RawMessage
				newClient(t, db).must(`{ tasks(first: 30) { nodes { title description deadlineText dueDate precision
					document { number issueDate title } assignments { role state progress completedOn orgUnit { code } } } }
					s: programmeSummary { byStatus { status count } } }`, nil, &out)
				return string(out)
			}
			same, other := seedtest.Fresh(t, d), seedtest.Fresh(t, d)
			generate(t, same, 7)
			generate(t, other, 8)
			if first, again := page(db), page(same); first != again {
				t.Errorf("seed 7 twice:\n%.2000s\n%.2000s", first, again)
			} else if page(other) == first {
				t.Error("seeds 7 and 8 gave the same tasks")
			}
		})
	}
}

// scanIDs runs a query on db into dst.
func scanIDs(t *testing.T, db *store.DB, dst any, query string, args ...any) {
	t.Helper()
	if err := db.NewRaw(query, args...).Scan(context.Background(), dst); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}
