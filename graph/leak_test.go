package graph_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"p06/seeds/seedtest"
	"p06/store"
)

// Selections that name, on every object, what makes it in or out of scope:
// an org unit's path, an assignment's, a user's and a working group's unit.
const (
	leakUnit  = `__typename id code path`
	leakUnits = leakUnit + ` parent { ` + leakUnit + ` } children { ` + leakUnit + ` }
		workingGroups { __typename id code orgUnit { ` + leakUnit + ` } leader { position role } members { position role } }`
	leakGroup = `__typename id code orgUnit { ` + leakUnit + ` } leader { position role } members { position role }`
	leakDoc   = `__typename id number taskCount`
	leakTask  = `__typename id status document { __typename id number }
		assignments { __typename id orgUnit { ` + leakUnit + ` } task { __typename id } }`
	leakAssignment = `__typename id orgUnit { ` + leakUnit + ` }
		task { __typename id document { __typename id } assignments { __typename id orgUnit { ` + leakUnit + ` } } }`
	leakUser = `__typename id username orgUnit { ` + leakUnit + ` } grants { role orgUnit { ` + leakUnit + ` } }`
	// leakNode is what nodes(ids:) and node(id:) ask of every ID.
	leakNode = `__typename id
		... on OrgUnit { code path parent { ` + leakUnit + ` } children { ` + leakUnit + ` } }
		... on WorkingGroup { orgUnit { ` + leakUnit + ` } members { position role } }
		... on Document { number taskCount }
		... on Task { document { __typename id } assignments { __typename id orgUnit { ` + leakUnit + ` } } }
		... on Assignment { orgUnit { ` + leakUnit + ` } task { __typename id } }
		... on User { username orgUnit { ` + leakUnit + ` } grants { role orgUnit { ` + leakUnit + ` } } }`
)

// TestHueSeesOnlyHue signs in as hue (province editor of Thừa Thiên Huế),
// pages through every list of the API and the nested ones, fetches every ID
// seen back with nodes(ids:) and node(id:), and checks that nothing outside
// Huế shows: no org unit but 46 (it has no units below it), no assignment to
// another unit, no task without an assignment to 46 (nor, on a task, another
// unit's assignments), no document without such a task (national documents
// are readable through Huế's tasks), no user whose home unit is not 46, no
// working group of another unit. The counts must be those of the database.
func TestHueSeesOnlyHue(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		c := &client{t: t, url: serveAs(t, db, "hue")}
		l := newLeakCheck(t, db, "/VN/46/")

		total := map[string]int{}
		for _, list := range []struct{ field, sel string }{
			{"orgUnits", leakUnits},
			{"workingGroups", leakGroup},
			{"documents", leakDoc},
			{"tasks", leakTask},
			{"assignments", leakAssignment},
			{"users", leakUser},
		} {
			total[list.field] = l.pageAll(c, list.field, "", list.sel, nil)
		}
		// Document.tasks, paged for each document.
		for _, doc := range slices.Sorted(maps.Keys(l.seen["Document"])) {
			id := azGID("Document", doc)
			n := l.pageAll(c, "node", `... on Document { __typename id taskCount tasks`, leakTask, map[string]any{"id": id})
			if want := l.docTasks[doc]; n != want {
				t.Errorf("document %d: tasks.totalCount = %d, want %d", doc, n, want)
			}
		}
		// The rest of the API that lists or names units.
		var out map[string]any
		c.must(`{ me { user { `+leakUser+` } grants { role orgUnit { `+leakUnit+` } }
			permissions { permission orgUnits { `+leakUnit+` } } }
			apiTokens { __typename id user { `+leakUser+` } }
			s: programmeSummary { orgUnit { `+leakUnit+` } documentCount taskCount assignmentCount workingGroupCount }
			u: programmeSummary(orgUnit: "46") { orgUnit { `+leakUnit+` } documentCount taskCount assignmentCount workingGroupCount } }`, nil, &out)
		l.walk(out, "me/apiTokens/programmeSummary")

		want := map[string]int{"orgUnits": len(l.allowed["OrgUnit"]), "workingGroups": len(l.allowed["WorkingGroup"]),
			"documents": len(l.allowed["Document"]), "tasks": len(l.allowed["Task"]),
			"assignments": len(l.allowed["Assignment"]), "users": len(l.allowed["User"])}
		for field, n := range want {
			if total[field] != n {
				t.Errorf("%s.totalCount = %d, want %d from the database", field, total[field], n)
			}
		}
		for _, s := range []string{"s", "u"} {
			got := azCounts{Documents: azInt(out, s, "documentCount"), Tasks: azInt(out, s, "taskCount"),
				Assignments: azInt(out, s, "assignmentCount"), Groups: azInt(out, s, "workingGroupCount")}
			exp := azCounts{Documents: want["documents"], Tasks: want["tasks"], Assignments: want["assignments"], Groups: want["workingGroups"]}
			if got != exp {
				t.Errorf("programmeSummary %s = %+v, want %+v", s, got, exp)
			}
		}
		// Everything in scope was reached, and nothing else (walk reports that).
		for typ, ids := range l.allowed {
			if missing := len(ids) - len(l.seen[typ]); missing != 0 {
				t.Errorf("%d of the %d %s objects in scope never listed", missing, len(ids), typ)
			}
		}

		// Every ID seen, back through nodes(ids:) and node(id:).
		var ids []string
		for _, typ := range slices.Sorted(maps.Keys(l.seen)) {
			for _, id := range slices.Sorted(maps.Keys(l.seen[typ])) {
				ids = append(ids, azGID(typ, id))
			}
		}
		// Within the page limit of 100, and the complexity limit with
		// leakNode's nested lists.
		const perNodes = 50
		for start := 0; start < len(ids); start += perNodes {
			batch := ids[start:min(start+perNodes, len(ids))]
			var got struct{ Nodes []any }
			r := c.do(`query($ids: [ID!]!) { nodes(ids: $ids) { `+leakNode+` } }`, map[string]any{"ids": batch}, &got)
			if len(r.Errors) > 0 || len(got.Nodes) != len(batch) {
				t.Fatalf("nodes of %d IDs: %d back, errors %s", len(batch), len(got.Nodes), azErrs(r))
			}
			for i, n := range got.Nodes {
				if azStr(n, "id") != batch[i] {
					t.Errorf("nodes[%d] = %v, want %s", i, n, batch[i])
				}
			}
			l.walk(got.Nodes, "nodes")
		}
		const perRequest = 25
		for start := 0; start < len(ids); start += perRequest {
			batch := ids[start:min(start+perRequest, len(ids))]
			var q, params strings.Builder
			vars := map[string]any{}
			for i, id := range batch {
				fmt.Fprintf(&params, "$i%d: ID!,", i)
				fmt.Fprintf(&q, " n%d: node(id: $i%d) { %s }", i, i, leakNode)
				vars[fmt.Sprintf("i%d", i)] = id
			}
			var got map[string]any
			r := c.do(`query(`+strings.TrimSuffix(params.String(), ",")+`) {`+q.String()+` }`, vars, &got)
			if len(r.Errors) > 0 {
				t.Fatalf("node(id:) errors %s", azErrs(r))
			}
			for i, id := range batch {
				if n := got[fmt.Sprintf("n%d", i)]; azStr(n, "id") != id {
					t.Errorf("node(%s) = %v", id, n)
				}
			}
			l.walk(got, "node")
		}
		if l.leaks > leakReportMax {
			t.Errorf("%d findings in all", l.leaks)
		}
		t.Logf("checked %d IDs in scope (%v objects by type), each also by nodes(ids:) and node(id:)", len(ids), func() map[string]int {
			m := map[string]int{}
			for typ, s := range l.seen {
				m[typ] = len(s)
			}
			return m
		}())
	})
}

// leakCheck knows, from the database, what a caller reading the subtree at
// path may see, and checks responses against it.
type leakCheck struct {
	t    *testing.T
	path string
	// allowed are the row ids of each type in scope.
	allowed map[string]map[int64]bool
	// taskAssignments are the in-scope assignments of each task.
	taskAssignments map[int64]map[int64]bool
	// docTasks is how many in-scope tasks each document has.
	docTasks map[int64]int
	// seen are the ids seen, by type.
	seen map[string]map[int64]bool
	// leaks counts the findings; only the first few are reported in full.
	leaks int
}

const leakReportMax = 30

// errorf reports a finding, the first leakReportMax of them in full.
func (l *leakCheck) errorf(format string, args ...any) {
	l.t.Helper()
	l.leaks++
	switch {
	case l.leaks <= leakReportMax:
		l.t.Errorf(format, args...)
	case l.leaks == leakReportMax+1:
		l.t.Errorf("more findings not shown; see the count at the end")
	}
}

func newLeakCheck(t *testing.T, db *store.DB, path string) *leakCheck {
	like := path + "%"
	l := &leakCheck{t: t, path: path, seen: map[string]map[int64]bool{}, taskAssignments: map[int64]map[int64]bool{}, docTasks: map[int64]int{}}
	l.allowed = map[string]map[int64]bool{
		"OrgUnit":      azIDSet(t, db, "SELECT id FROM org_units WHERE path LIKE ?", like),
		"WorkingGroup": azIDSet(t, db, "SELECT g.id FROM working_groups AS g JOIN org_units AS u ON u.id = g.org_unit_id WHERE u.path LIKE ?", like),
		"Assignment":   azIDSet(t, db, "SELECT a.id FROM assignments AS a JOIN org_units AS u ON u.id = a.org_unit_id WHERE u.path LIKE ?", like),
		"Task":         azIDSet(t, db, "SELECT DISTINCT a.task_id FROM assignments AS a JOIN org_units AS u ON u.id = a.org_unit_id WHERE u.path LIKE ?", like),
		"Document": azIDSet(t, db, `SELECT DISTINCT t.document_id FROM tasks AS t JOIN assignments AS a ON a.task_id = t.id
			JOIN org_units AS u ON u.id = a.org_unit_id WHERE u.path LIKE ?`, like),
		"User": azIDSet(t, db, "SELECT us.id FROM users AS us JOIN org_units AS u ON u.id = us.org_unit_id WHERE u.path LIKE ?", like),
	}
	var rows []struct {
		TaskID     int64 `bun:"task_id"`
		ID         int64 `bun:"id"`
		DocumentID int64 `bun:"document_id"`
	}
	if err := db.NewRaw(`SELECT a.task_id, a.id, t.document_id FROM assignments AS a JOIN tasks AS t ON t.id = a.task_id
		JOIN org_units AS u ON u.id = a.org_unit_id WHERE u.path LIKE ?`, like).Scan(context.Background(), &rows); err != nil {
		t.Fatal(err)
	}
	counted := map[int64]bool{}
	for _, r := range rows {
		if l.taskAssignments[r.TaskID] == nil {
			l.taskAssignments[r.TaskID] = map[int64]bool{}
		}
		l.taskAssignments[r.TaskID][r.ID] = true
		if !counted[r.TaskID] {
			counted[r.TaskID] = true
			l.docTasks[r.DocumentID]++
		}
	}
	for typ, ids := range l.allowed {
		if len(ids) == 0 && typ != "WorkingGroup" {
			t.Fatalf("no %s in %s: the demo data changed", typ, path)
		}
	}
	return l
}

// pageAll pages through a connection with first: 20 (nested lists are
// priced at their real bounds, so bigger pages exceed the complexity limit), following
// pageInfo.endCursor, walking every page; it returns the totalCount. field
// is a root field; open, if set, is the selection on it that leads to the
// connection (which then has open's last word as name), with vars for it.
func (l *leakCheck) pageAll(c *client, field, open, sel string, vars map[string]any) int {
	t := l.t
	t.Helper()
	params, args := "$after: String", "first: 20, after: $after"
	conn := []any{"list"}
	var q string
	if open == "" {
		q = fmt.Sprintf(`query(%s) { list: %s(%s) { totalCount pageInfo { hasNextPage endCursor }
			edges { cursor node { id } } nodes { %s } } }`, params, field, args, sel)
	} else {
		q = fmt.Sprintf(`query(%s, $id: ID!) { list: %s(id: $id) { %s(%s) { totalCount pageInfo { hasNextPage endCursor }
			edges { cursor node { id } } nodes { %s } } } } }`, params, field, open, args, sel)
		words := strings.Fields(open)
		conn = append(conn, words[len(words)-1])
	}
	where := field
	if vars != nil {
		where = fmt.Sprintf("%s(%v).%v", field, vars["id"], conn[len(conn)-1])
	}
	seen := map[string]bool{}
	total := -1
	var after any
	for page := 0; ; page++ {
		v := map[string]any{"after": after}
		maps.Copy(v, vars)
		var out map[string]any
		c.must(q, v, &out)
		l.walk(out, where)
		got := azAt(out, conn...)
		n := azInt(got, "totalCount")
		if total >= 0 && n != total {
			t.Errorf("%s: totalCount %d then %d", where, total, n)
		}
		total = n
		nodes, edges := azList(got, "nodes"), azList(got, "edges")
		if len(nodes) != len(edges) {
			t.Errorf("%s: %d nodes, %d edges", where, len(nodes), len(edges))
		}
		for i, nd := range nodes {
			id := azStr(nd, "id")
			if seen[id] {
				t.Errorf("%s: %s listed twice", where, id)
			}
			seen[id] = true
			if azStr(edges, i, "node", "id") != id {
				t.Errorf("%s: edge %d is %v, node %s", where, i, azAt(edges, i, "node"), id)
			}
		}
		if azAt(got, "pageInfo", "hasNextPage") != true {
			break
		}
		after = azStr(got, "pageInfo", "endCursor")
		if after == "" || page > 50 {
			t.Fatalf("%s: no end to the pages (page %d, cursor %v)", where, page, after)
		}
	}
	if len(seen) != total {
		t.Errorf("%s: paged through %d of %d", where, len(seen), total)
	}
	return total
}

// walk checks every object in a decoded response: each one with an ID must
// be in scope, each org unit under the scope's path, and a task's
// assignments exactly its in-scope ones.
func (l *leakCheck) walk(v any, where string) {
	l.t.Helper()
	switch v := v.(type) {
	case []any:
		for _, x := range v {
			l.walk(x, where)
		}
	case map[string]any:
		typ, _ := v["__typename"].(string)
		if gid, ok := v["id"].(string); ok && typ != "" {
			gtyp, id, ok := azParseGID(gid)
			switch {
			case !ok || gtyp != typ:
				l.errorf("%s: %s with ID %q", where, typ, gid)
			case typ == "ApiToken":
				// The caller's own; its user is checked below.
			case l.allowed[typ] == nil:
				l.errorf("%s: unexpected %s %d", where, typ, id)
			case !l.allowed[typ][id]:
				l.errorf("%s: %s %d is out of scope: %v", where, typ, id, v)
			default:
				if l.seen[typ] == nil {
					l.seen[typ] = map[int64]bool{}
				}
				l.seen[typ][id] = true
			}
			if typ == "Task" {
				if as, ok := v["assignments"].([]any); ok {
					got := map[int64]bool{}
					for _, a := range as {
						if _, aid, ok := azParseGID(azStr(a, "id")); ok {
							got[aid] = true
						}
					}
					if !maps.Equal(got, l.taskAssignments[id]) {
						l.errorf("%s: task %d lists assignments %v, want its in-scope ones %v",
							where, id, slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(l.taskAssignments[id])))
					}
				}
			}
			if typ == "Document" {
				if n, ok := v["taskCount"].(float64); ok && int(n) != l.docTasks[id] {
					l.errorf("%s: document %d taskCount = %d, want %d", where, id, int(n), l.docTasks[id])
				}
			}
		}
		if typ == "OrgUnit" {
			if p, ok := v["path"].(string); !ok || !strings.HasPrefix(p, l.path) {
				l.errorf("%s: org unit %v out of scope", where, v)
			}
		}
		for _, x := range v {
			l.walk(x, where)
		}
	}
}
