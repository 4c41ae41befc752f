package graph_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"p06/auth"
	"p06/events"
	"p06/graph"
	"p06/rbac"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
	"p06/tasks"
)

func TestMain(m *testing.M) { seedtest.Main(m) }

// today is the fixed "now" of these tests: 1 December 2026, 09:00 in Hà Nội.
var today = time.Date(2026, 12, 1, 9, 0, 0, 0, store.VN)

type client struct {
	t   *testing.T
	url string
}

// newClient serves the API on db to the demo user vpcp (national viewer).
func newClient(t *testing.T, db *store.DB) *client {
	t.Helper()
	return &client{t: t, url: serveAs(t, db, "vpcp")}
}

// serveAs serves the GraphQL handler on db as the whole program wires it
// (with the evidence downloads at /evidence/{id}), except that every request
// comes from the demo user username (credentials themselves are tested in
// auth_test.go). It returns the URL.
func serveAs(tb testing.TB, db *store.DB, username string) string {
	tb.Helper()
	return serveWith(tb, db, username, graph.DefaultLimits)
}

// serveWith is serveAs with other limits.
func serveWith(tb testing.TB, db *store.DB, username string, lim graph.Limits) string {
	tb.Helper()
	return serve(tb, db, username, lim, false)
}

// serveLive is serveAs wired as the server is (server.go): policies looked
// up in the database at most once a second, and changes told to live
// updates (LISTEN/NOTIFY on PostgreSQL). The benchmarks use it.
func serveLive(tb testing.TB, db *store.DB, username string) string {
	tb.Helper()
	return serve(tb, db, username, graph.DefaultLimits, true)
}

func serve(tb testing.TB, db *store.DB, username string, lim graph.Limits, live bool) string {
	tb.Helper()
	ctx := context.Background()
	interval := time.Duration(0) // every request sees a grant written straight into the database
	if live {
		interval = time.Second
	}
	authz, err := rbac.NewAuthorizer(ctx, db, interval)
	if err != nil {
		tb.Fatal(err)
	}
	svc := auth.NewService(db, authz, store.FixedClock(today), auth.DefaultConfig)
	var id *auth.Identity
	if username != "" {
		us, _, err := svc.ListUsers(ctx, rbac.National(), auth.UserFilter{Search: username}, store.Page{Limit: 100})
		if err != nil {
			tb.Fatal(err)
		}
		for _, u := range us {
			if u.Username == username {
				// As the single-page app signs in: a session whose CSRF
				// token the request echoes.
				id = &auth.Identity{User: u, Method: auth.MethodSession, CSRFOK: true}
			}
		}
		if id == nil {
			tb.Fatalf("no demo user %q", username)
		}
	}
	r := graph.NewResolver(db, svc, store.FixedClock(today))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if live {
		broker, err := events.New(ctx, db, log)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { broker.Close() })
		r.UseEvents(broker)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /evidence/{id}", graph.EvidenceHandler(r, log))
	mux.Handle("/", graph.NewHandler(r, lim, log))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if id != nil {
			ctx = auth.WithIdentity(ctx, id)
		}
		mux.ServeHTTP(w, r.WithContext(ctx))
	}))
	tb.Cleanup(srv.Close)
	return srv.URL
}

func newHandler(db *store.DB, svc *auth.Service) http.Handler {
	r := graph.NewResolver(db, svc, store.FixedClock(today))
	return graph.NewHandler(r, graph.DefaultLimits, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

type response struct {
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// do posts a query and decodes data into out (if not nil).
func (c *client) do(query string, vars map[string]any, out any, header ...string) response {
	c.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	var r response
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		c.t.Fatal(err)
	}
	if out != nil && len(r.Data) > 0 {
		if err := json.Unmarshal(r.Data, out); err != nil {
			c.t.Fatalf("decoding %s: %v", r.Data, err)
		}
	}
	return r
}

// must is do that fails the test on any error.
func (c *client) must(query string, vars map[string]any, out any) {
	c.t.Helper()
	if r := c.do(query, vars, out); len(r.Errors) > 0 {
		c.t.Fatalf("errors: %+v", r.Errors)
	}
}

func TestProgrammeSummaryAtReview(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClient(t, db)
		var out struct {
			S struct {
				AsOf            string
				DocumentCount   int
				DocumentsByKind []struct {
					Kind  string
					Count int
				}
				TaskCount         int
				AssignmentCount   int
				WorkingGroupCount int
				ByStatus          []struct {
					Status string
					Count  int
				}
			}
		}
		c.must(`{ s: programmeSummary(asOf: "2023-12-21", documentKinds: [CHI_THI, NGHI_QUYET, CONG_DIEN]) {
			asOf documentCount documentsByKind { kind count } taskCount assignmentCount workingGroupCount byStatus { status count } } }`, nil, &out)
		s := out.S
		if s.AsOf != "2023-12-21" || s.DocumentCount != 33 || s.TaskCount != 413 || s.WorkingGroupCount != 64 || s.AssignmentCount < 413 {
			t.Fatalf("summary = %+v", s)
		}
		kinds := map[string]int{}
		for _, k := range s.DocumentsByKind {
			kinds[k.Kind] = k.Count
		}
		if kinds["CHI_THI"] != 6 || kinds["NGHI_QUYET"] != 23 || kinds["CONG_DIEN"] != 4 {
			t.Errorf("by kind = %v", kinds)
		}
		statuses, total := map[string]int{}, 0
		for _, b := range s.ByStatus {
			statuses[b.Status] = b.Count
			total += b.Count
		}
		if statuses["OVERDUE"] != 17 || total != 413 || len(s.ByStatus) != len(tasks.Statuses) {
			t.Errorf("by status = %v", s.ByStatus)
		}
		// Default asOf is today by the injected clock.
		var def struct{ S struct{ AsOf string } }
		c.must(`{ s: programmeSummary { asOf } }`, nil, &def)
		if def.S.AsOf != "2026-12-01" {
			t.Errorf("default asOf = %s", def.S.AsOf)
		}
	})
}

func TestTasksFilterAndNesting(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClient(t, db)
		var out struct {
			Tasks struct {
				TotalCount int
				Nodes      []struct {
					ID           string
					Title        string
					DeadlineText string
					DueDate      *string
					Precision    string
					Status       string
					Document     struct{ Number, Kind string }
					Assignments  []struct {
						Role, State string
						OrgUnit     struct{ Code, Name string }
					}
				}
			}
		}
		c.must(`query($f: TaskFilter) { tasks(filter: $f, first: 100) { totalCount nodes {
			id title deadlineText dueDate precision status(asOf: "2023-12-21")
			document { number kind } assignments { role state orgUnit { code name } } } } }`,
			map[string]any{"f": map[string]any{"documentKinds": []string{"CHI_THI", "NGHI_QUYET", "CONG_DIEN"},
				"statusAsOf": "2023-12-21", "statuses": []string{"OVERDUE"}}}, &out)
		if out.Tasks.TotalCount != 17 || len(out.Tasks.Nodes) != 17 {
			t.Fatalf("overdue at review = %d (%d nodes), want 17", out.Tasks.TotalCount, len(out.Tasks.Nodes))
		}
		for _, n := range out.Tasks.Nodes {
			if n.Status != "OVERDUE" || n.Document.Kind == "QUYET_DINH" || len(n.Assignments) == 0 || n.Assignments[0].Role != "LEAD" {
				t.Errorf("task %+v", n)
			}
		}
		// Criminal-record certificate on VNeID in Thừa Thiên Huế, quý I/2024.
		c.must(`query($f: TaskFilter) { tasks(filter: $f) { totalCount nodes { title deadlineText dueDate precision status(asOf: "2023-12-21")
			document { number } assignments { role orgUnit { code name } } } } }`,
			map[string]any{"f": map[string]any{"search": "ly lich tu phap", "assignee": "46"}}, &out)
		if out.Tasks.TotalCount == 0 {
			t.Fatal("no task about lý lịch tư pháp assigned to Thừa Thiên Huế")
		}
		n := out.Tasks.Nodes[0]
		if n.DeadlineText != "quý I/2024" || n.DueDate == nil || *n.DueDate != "2024-03-31" || n.Precision != "QUARTER" || n.Status != "IN_PROGRESS" {
			t.Errorf("lý lịch tư pháp task = %+v", n)
		}
	})
}

func TestPaginationIsStableAndComplete(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClient(t, db)
		seen := map[string]bool{}
		var after any
		total := -1
		for pages := 0; ; pages++ {
			var out struct {
				OrgUnits struct {
					TotalCount int
					Edges      []struct {
						Cursor string
						Node   struct{ ID, Code string }
					}
					PageInfo struct {
						HasNextPage bool
						EndCursor   *string
					}
				}
			}
			c.must(`query($after: String) { orgUnits(first: 40, after: $after) { totalCount edges { cursor node { id code } } pageInfo { hasNextPage endCursor } } }`,
				map[string]any{"after": after}, &out)
			total = out.OrgUnits.TotalCount
			for _, e := range out.OrgUnits.Edges {
				if seen[e.Node.ID] {
					t.Fatalf("unit %s seen twice", e.Node.Code)
				}
				seen[e.Node.ID] = true
			}
			if !out.OrgUnits.PageInfo.HasNextPage {
				break
			}
			after = *out.OrgUnits.PageInfo.EndCursor
			if pages > 5 {
				t.Fatal("too many pages")
			}
		}
		if total != 95 || len(seen) != 95 {
			t.Fatalf("paged through %d of %d units, want 95", len(seen), total)
		}
		r := c.do(`{ tasks(first: 101) { totalCount } }`, nil, nil)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "INVALID" || r.Errors[0].Extensions["field"] != "first" {
			t.Fatalf("first: 101 → %+v", r.Errors)
		}
		r = c.do(`{ tasks(after: "bogus") { totalCount } }`, nil, nil)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "INVALID" {
			t.Fatalf("bad cursor → %+v", r.Errors)
		}
	})
}

func TestNodeAndNodes(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClient(t, db)
		var out struct {
			OrgUnit struct {
				ID            string
				WorkingGroups []struct{ ID string }
			}
			Tasks struct {
				Nodes []struct {
					ID          string
					Document    struct{ ID string }
					Assignments []struct{ ID string }
				}
			}
		}
		c.must(`{ orgUnit(code: "46") { id workingGroups { id } } tasks(first: 1) { nodes { id document { id } assignments { id } } } }`, nil, &out)
		task := out.Tasks.Nodes[0]
		ids := []string{out.OrgUnit.ID, out.OrgUnit.WorkingGroups[0].ID, task.ID, task.Document.ID, task.Assignments[0].ID, "bm9wZTox"}
		var got struct {
			Nodes []*struct {
				Typename string `json:"__typename"`
				ID       string
			}
		}
		r := c.do(`query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`, map[string]any{"ids": ids}, &got)
		wantTypes := []string{"OrgUnit", "WorkingGroup", "Task", "Document", "Assignment"}
		for i, w := range wantTypes {
			if got.Nodes[i] == nil || got.Nodes[i].Typename != w || got.Nodes[i].ID != ids[i] {
				t.Errorf("nodes[%d] = %+v, want a %s", i, got.Nodes[i], w)
			}
		}
		if got.Nodes[5] != nil || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "NOT_FOUND" {
			t.Errorf("unknown ID: node %+v, errors %+v", got.Nodes[5], r.Errors)
		}
		var one struct{ Node *struct{ ID string } }
		r = c.do(`query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": "VGFzazo5OTk5OTk5"}, &one)
		if one.Node != nil || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "NOT_FOUND" {
			t.Errorf("missing task: %+v %+v", one.Node, r.Errors)
		}
	})
}

func TestParseDeadlineAndErrors(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClient(t, db)
		var out struct {
			A, B struct {
				Text      string
				DueDate   *string
				Precision string
			}
		}
		c.must(`{ a: parseDeadline(text: "trước Tết Nguyên đán Giáp Thìn 2024") { text dueDate precision }
			b: parseDeadline(text: "thường xuyên") { text dueDate precision } }`, nil, &out)
		if out.A.DueDate == nil || *out.A.DueDate != "2024-02-09" || out.A.Precision != "DAY" {
			t.Errorf("Tết: %+v", out.A)
		}
		if out.B.DueDate != nil || out.B.Precision != "CONTINUOUS" {
			t.Errorf("thường xuyên: %+v", out.B)
		}
		r := c.do(`{ parseDeadline(text: "quý V/2024") { dueDate } }`, nil, nil)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "INVALID" || !strings.Contains(r.Errors[0].Message, `"quý V/2024"`) {
			t.Fatalf("bad phrase → %+v", r.Errors)
		}
		r = c.do(`{ orgUnit(code: "XX") { id } }`, nil, nil, "Accept-Language", "en-GB,en;q=0.9")
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "NOT_FOUND" || r.Errors[0].Message != `no org unit with code "XX"` {
			t.Fatalf("English NOT_FOUND → %+v", r.Errors)
		}
		r = c.do(`{ orgUnit(code: "XX") { id } }`, nil, nil)
		if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "không tìm thấy") {
			t.Fatalf("Vietnamese by default → %+v", r.Errors)
		}
		r = c.do(`{ orgUnit(code: "XX") { id } }`, nil, nil, "Accept-Language", "en;q=0, vi")
		if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "không tìm thấy") {
			t.Fatalf("English refused (q=0) → %+v", r.Errors)
		}
		r = c.do(`{ nosuchfield }`, nil, nil)
		if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] == nil {
			t.Fatalf("validation error without code: %+v", r.Errors)
		}
	})
}

func TestQueryLimits(t *testing.T) {
	t.Parallel()
	c := newClient(t, seedtest.Shared(t, store.SQLite))
	deep := "code"
	for range 13 {
		deep = "parent { " + deep + " }"
	}
	deep = `{ orgUnit(code: "VN") { ` + deep + ` } }`
	r := c.do(deep, nil, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "QUERY_TOO_DEEP" {
		t.Fatalf("deep query → %+v", r.Errors)
	}
	wide := `{ tasks(first: 100) { nodes { assignments { orgUnit { children { children { workingGroups { members { position } } } } } } } } }`
	r = c.do(wide, nil, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "COMPLEXITY_LIMIT_EXCEEDED" || !strings.Contains(r.Errors[0].Message, "vượt giới hạn 100000") {
		t.Fatalf("complex query → %+v", r.Errors)
	}
	if r = c.do(wide, nil, nil, "Accept-Language", "en"); len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "exceeds the limit of 100000") {
		t.Fatalf("complex query in English → %+v", r.Errors)
	}
}

// A page of tasks with their documents, statuses and their assignments' org
// units costs the same number of SQL statements whatever the page size: the
// policy version (looked up on every request here), the count, and the page
// with its documents, kept statuses and assignments in the same statement.
// A page that selects none of them does not read them.
func TestNestedPageCostsFixedQueries(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			counter := db.Counts()
			sql := &statements{}
			db.AddQueryHook(sql)
			c := newClient(t, db)
			const q = `query($n: Int) { tasks(first: $n) { totalCount nodes { id title status
				document { number kind } assignments { role state orgUnit { code name parent { code } } } } } }`
			run := func(q string, n int) (int64, []string) {
				t.Helper()
				before := counter.Statements()
				sql.reset()
				var out struct{ Tasks struct{ Nodes []any } }
				c.must(q, map[string]any{"n": n}, &out)
				if len(out.Tasks.Nodes) != n {
					t.Fatalf("asked %d tasks, got %d", n, len(out.Tasks.Nodes))
				}
				return counter.Statements() - before, sql.texts()
			}
			count := func(n int) int64 {
				t.Helper()
				k, _ := run(q, n)
				return k
			}
			// The first page also reads the units the process has not read
			// before (org.Store.Cached): one statement more, once.
			if cold, warm := count(50), count(50); cold > warm+1 {
				t.Fatalf("the first page cost %d queries, the next %d", cold, warm)
			}
			small, big := count(5), count(50)
			if small != 3 || big != 3 {
				t.Fatalf("5 tasks cost %d statements, 50 tasks cost %d; want 3 each (policy, count, the page with its assignments)", small, big)
			}
			// Without totalCount the list is not counted.
			if n, _ := run(strings.Replace(q, "totalCount", "", 1), 50); n != big-1 {
				t.Fatalf("the page without totalCount cost %d queries, with it %d; want one less", n, big)
			}
			// The page statement reads documents, statuses and assignments
			// only when selected.
			_, texts := run(q, 5)
			if p := pageStatement(t, texts); !strings.Contains(p, "d__number") || !strings.Contains(p, "task_statuses") || !strings.Contains(p, "FROM assignments AS ja") {
				t.Fatalf("the page statement of a page with documents, statuses and assignments: %s", p)
			}
			n, texts := run(`query($n: Int) { tasks(first: $n) { nodes { id title assignments { role } } } }`, 5)
			if p := pageStatement(t, texts); strings.Contains(p, "d__") || strings.Contains(p, "task_statuses") || n != 2 {
				t.Fatalf("a page without documents or statuses cost %d statements, its page: %s", n, p)
			}
			if n, texts := run(`query($n: Int) { tasks(first: $n) { nodes { id title } } }`, 5); strings.Contains(pageStatement(t, texts), "assignments AS ja") || n != 2 {
				t.Fatalf("a page without assignments cost %d statements, its page: %s", n, pageStatement(t, texts))
			}
			// The assignments asked twice (aliases) are read once.
			if n, _ := run(`query($n: Int) { tasks(first: $n) { nodes { id a: assignments { role } b: assignments { state } } } }`, 5); n != 2 {
				t.Fatalf("a page asking assignments twice cost %d statements, want 2", n)
			}
			// Statuses the kept spans do not hold are the loader's, which
			// asks the spans again and derives the rest by the rule: two
			// statements more for the page, and the same statuses.
			const statusQ = `{ tasks(first: 50) { nodes { id status } } }`
			var kept, derived struct {
				Tasks struct{ Nodes []struct{ ID, Status string } }
			}
			c.must(statusQ, nil, &kept)
			if _, err := db.NewDelete().TableExpr("task_statuses").Where("scope = ?", rbac.RootPath).Exec(context.Background()); err != nil {
				t.Fatal(err)
			}
			before := counter.Statements()
			c.must(statusQ, nil, &derived)
			if n := counter.Statements() - before; n != 4 {
				t.Fatalf("statuses derived for the page cost %d statements, want 4 (policy, page, kept and derived statuses)", n)
			}
			if !slices.Equal(kept.Tasks.Nodes, derived.Tasks.Nodes) || len(kept.Tasks.Nodes) != 50 {
				t.Fatalf("statuses read with the page %v, derived %v", kept.Tasks.Nodes, derived.Tasks.Nodes)
			}
		})
	}
}

// With the planner's statistics (store.Optimize, run at start-up), SQLite
// reads a page of tasks by walking the documents' index in the page's
// order and stops after the page; it does not sort every task, working out
// each one's status and assignments, to keep fifty.
func TestTaskPageFollowsTheIndexOnSQLite(t *testing.T) {
	t.Parallel()
	db := seedtest.Fresh(t, store.SQLite)
	ctx := context.Background()
	if err := db.Optimize(ctx); err != nil {
		t.Fatal(err)
	}
	sql := &statements{}
	db.AddQueryHook(sql)
	c := newClient(t, db)
	c.must(`{ tasks(first: 50) { nodes { id status document { number } assignments { role } } } }`, nil, nil)
	page := pageStatement(t, sql.texts())
	var plan []struct {
		ID, Parent, Notused int
		Detail              string
	}
	if err := db.NewRaw("EXPLAIN QUERY PLAN "+page).Scan(ctx, &plan); err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, p := range plan {
		steps = append(steps, p.Detail)
		if p.Parent == 0 && strings.Contains(p.Detail, "TEMP B-TREE") {
			t.Errorf("the page sorts its tasks: %q", steps)
		}
	}
	if len(steps) == 0 || !strings.Contains(steps[0], "documents_issue_id_idx") {
		t.Errorf("the page does not start from the documents' index: %q", steps)
	}
}

// pageStatement is the statement among texts that read a page of tasks.
func pageStatement(t *testing.T, texts []string) string {
	t.Helper()
	for _, s := range texts {
		if strings.Contains(s, `FROM "tasks" AS "t"`) && strings.Contains(s, "LIMIT") {
			return s
		}
	}
	t.Fatalf("no page statement among %q", texts)
	return ""
}

// statements records the text of the SQL statements run.
type statements struct {
	mu  sync.Mutex
	sql []string
}

func (s *statements) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }
func (s *statements) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	s.mu.Lock()
	s.sql = append(s.sql, e.Query)
	s.mu.Unlock()
}
func (s *statements) reset() { s.mu.Lock(); s.sql = nil; s.mu.Unlock() }
func (s *statements) texts() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.sql)
}

// The programme summary counts only what the query selects: the task count
// alone is the same without the status tally, and cheaper.
func TestSummaryCountsWhatIsAsked(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			counter := db.Counts()
			c := newClient(t, db)
			run := func(q string) (map[string]any, int64) {
				before := counter.Statements()
				var out struct{ S map[string]any }
				c.must(`{ s: programmeSummary(asOf: "2023-12-21") { `+q+` } }`, nil, &out)
				return out.S, counter.Statements() - before
			}
			all, nAll := run("documentCount taskCount assignmentCount byStatus { status count } workingGroupCount")
			tasksOnly, nTasks := run("taskCount")
			if all["taskCount"] != tasksOnly["taskCount"] || all["taskCount"] != float64(449) || all["assignmentCount"] != float64(4634) {
				t.Fatalf("all parts %v, task count alone %v", all, tasksOnly)
			}
			// Tasks, statuses and assignments are one sum over the kept
			// statuses; documents and working groups are counted only
			// when asked.
			if nTasks > nAll-2 {
				t.Fatalf("the task count alone cost %d statements, every part %d", nTasks, nAll)
			}
		})
	}
}

// Automatic persisted queries: a hash alone is refused until the query has
// been sent once with it, then the hash alone is enough.
func TestAutomaticPersistedQueries(t *testing.T) {
	t.Parallel()
	url := serveAs(t, seedtest.Shared(t, store.SQLite), "vpcp")
	const q = `{ orgUnit(code: "46") { name } }`
	sum := sha256.Sum256([]byte(q))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	post := func(body map[string]any) string {
		b, _ := json.Marshal(body)
		res, err := http.Post(url, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		return string(out)
	}
	if got := post(map[string]any{"extensions": ext}); !strings.Contains(got, "PersistedQueryNotFound") {
		t.Fatalf("unknown hash: %s", got)
	}
	if got := post(map[string]any{"query": q, "extensions": ext}); !strings.Contains(got, "Thừa Thiên Huế") {
		t.Fatalf("query with its hash: %s", got)
	}
	if got := post(map[string]any{"extensions": ext}); !strings.Contains(got, "Thừa Thiên Huế") {
		t.Fatalf("hash alone after registering: %s", got)
	}
}

// GET serves queries only, so a link cannot make a signed-in browser change
// anything.
func TestGETRefusesMutations(t *testing.T) {
	t.Parallel()
	url := serveAs(t, seedtest.Shared(t, store.SQLite), "vpcp")
	res, err := http.Get(url + "?query=" + neturl.QueryEscape(`mutation { logout { ok } }`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusNotAcceptable || !strings.Contains(string(body), `"code":"INVALID"`) || !strings.Contains(string(body), "gửi mutation bằng POST") {
		t.Fatalf("GET mutation: %d %s", res.StatusCode, body)
	}
	res, err = http.Get(url + "?query=" + neturl.QueryEscape(`{ orgUnit(code: "01") { name } }`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ = io.ReadAll(res.Body)
	if !strings.Contains(string(body), "Hà Nội") {
		t.Fatalf("GET query: %s", body)
	}
}

func TestOversizedRequestIsRefused(t *testing.T) {
	t.Parallel()
	url := serveAs(t, seedtest.Shared(t, store.SQLite), "")
	big := `{"query": "mutation { login(input: {username: \"hue\", password: \"` + strings.Repeat("x", graph.MaxRequestBytes) + `\"}) { me { csrfToken } } }"}`
	res, err := http.Post(url, "application/json", strings.NewReader(big))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode == http.StatusOK && !strings.Contains(string(body), "error") {
		t.Fatalf("a %d-byte request was served: %d %s", len(big), res.StatusCode, body)
	}
	if strings.Contains(string(body), "csrfToken\":\"") {
		t.Fatalf("an oversized login succeeded: %s", body)
	}
}

// The README's "what Thừa Thiên Huế leads, and its status today" answers the
// same for every role that can read Huế: statuses in a list filtered by
// assignee (the statuses filter and the status field) are judged on Huế's own
// assignments, while status(orgUnit: "") keeps the task-wide view.
func TestAssigneeStatusIsTheUnitsForEveryRole(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		const q = `query($st: [ReportingStatus!]) {
			all: tasks(first: 100, filter: {assignee: "46", assigneeRole: LEAD}) { totalCount nodes { id status explicit: status(orgUnit: "46") } }
			some: tasks(first: 100, filter: {assignee: "46", assigneeRole: LEAD, statusAsOf: "2026-12-01", statuses: $st}) { totalCount }
			edges: tasks(first: 100, filter: {assignee: "46", assigneeRole: LEAD}) { edges { node { id status } } }
		}`
		type answer struct {
			All struct {
				TotalCount int
				Nodes      []struct{ ID, Status, Explicit string }
			}
			Some  struct{ TotalCount int }
			Edges struct {
				Edges []struct{ Node struct{ ID, Status string } }
			}
		}
		got := map[string]map[string]string{}
		for _, user := range []string{"vpcp", "c06", "hue", "viewer-46"} {
			c := &client{t: t, url: serveAs(t, db, user)}
			var a answer
			c.must(q, map[string]any{"st": []string{"OVERDUE"}}, &a)
			if a.All.TotalCount == 0 || a.All.TotalCount > 100 {
				t.Fatalf("%s: %d tasks led by Huế", user, a.All.TotalCount)
			}
			byTask := map[string]string{}
			overdue := 0
			for i, n := range a.All.Nodes {
				if n.Status != n.Explicit || a.Edges.Edges[i].Node.Status != n.Status {
					t.Errorf("%s: task %s: status %s, status(orgUnit: 46) %s, on the edge %s", user, n.ID, n.Status, n.Explicit, a.Edges.Edges[i].Node.Status)
				}
				byTask[n.ID] = n.Status
				if n.Status == "OVERDUE" {
					overdue++
				}
			}
			if a.Some.TotalCount != overdue {
				t.Errorf("%s: filter says %d overdue, the status field %d", user, a.Some.TotalCount, overdue)
			}
			got[user] = byTask
		}
		for _, user := range []string{"c06", "hue", "viewer-46"} {
			if fmt.Sprint(got[user]) != fmt.Sprint(got["vpcp"]) {
				t.Errorf("%s sees Huế's statuses differently from vpcp:\n%v\n%v", user, got[user], got["vpcp"])
			}
		}

		// The task-wide status is still there for the national viewer, and
		// differs somewhere (a task Huế finished that other provinces have not).
		c := newClient(t, db)
		var wide struct {
			Tasks struct {
				Nodes []struct{ ID, Status, Wide string }
			}
		}
		c.must(`{ tasks(first: 100, filter: {assignee: "46", assigneeRole: LEAD}) { nodes { id status wide: status(orgUnit: "") } } }`, nil, &wide)
		differ := 0
		for _, n := range wide.Tasks.Nodes {
			if n.Status != n.Wide {
				differ++
			}
		}
		if differ == 0 {
			t.Error("no task's national status differs from Huế's: the test data no longer shows the difference")
		}

		// A task fetched by ID (not in a list) has the task-wide status.
		var byID struct {
			Node  struct{ Status string }
			Nodes []struct{ Status string }
		}
		c.must(`query($id: ID!) { node(id: $id) { ... on Task { status } } nodes(ids: [$id]) { ... on Task { status } } }`,
			map[string]any{"id": wide.Tasks.Nodes[0].ID}, &byID)
		if byID.Node.Status != wide.Tasks.Nodes[0].Wide || len(byID.Nodes) != 1 || byID.Nodes[0].Status != byID.Node.Status {
			t.Errorf("status by ID: %+v, want %s", byID, wide.Tasks.Nodes[0].Wide)
		}

		// A unit that does not exist, or that the caller may not read, is
		// NOT_FOUND, in the filter and in the status field alike.
		hue := &client{t: t, url: serveAs(t, db, "hue")}
		for _, q := range []string{`{ tasks(filter: {assignee: "99"}) { totalCount } }`, `{ tasks(filter: {assignee: "01"}) { totalCount } }`,
			`{ tasks(first: 1) { nodes { status(orgUnit: "01") } } }`, `{ tasks(first: 1) { nodes { status(orgUnit: "ZZ") } } }`} {
			if r := hue.do(q, nil, nil); code(r) != "NOT_FOUND" {
				t.Errorf("%s: %+v", q, r.Errors)
			}
		}
	})
}

// TestTaskAssignmentsInUnitOrder: a task's assignments come leads first,
// then by unit (nearer the root first, then in the units' order, then by
// code), and only those in the caller's scope, whether the page of tasks
// read them with its own statement or a nested task (Assignment.task) read
// them through the loader.
func TestTaskAssignmentsInUnitOrder(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			ctx := context.Background()
			// vpcp reads the whole country, hue Thừa Thiên Huế (46).
			for user, path := range map[string]string{"vpcp": rbac.RootPath, "hue": rbac.RootPath + "46/"} {
				want := func(task string) []string {
					t.Helper()
					typ, id, ok := store.ParseGlobalID(task)
					if !ok || typ != "Task" {
						t.Fatalf("task id %q", task)
					}
					var ids []int64
					if err := db.NewSelect().TableExpr("assignments AS a").Join("JOIN org_units AS au ON au.id = a.org_unit_id").
						ColumnExpr("a.id").Where("a.task_id = ? AND au.path LIKE ?", id, path+"%").
						OrderExpr("a.role DESC, au.depth, au.sort_order, au.code").Scan(ctx, &ids); err != nil {
						t.Fatal(err)
					}
					out := []string{}
					for _, id := range ids {
						out = append(out, store.GlobalID("Assignment", id))
					}
					return out
				}
				type task struct {
					ID          string
					Assignments []struct{ ID string }
				}
				check := func(how string, ts []task) {
					t.Helper()
					n := 0
					for _, x := range ts {
						var got []string
						for _, a := range x.Assignments {
							got = append(got, a.ID)
						}
						if w := want(x.ID); !slices.Equal(got, w) && len(got)+len(w) > 0 {
							t.Errorf("%s, %s: task %s's assignments %v, want %v", user, how, x.ID, got, w)
						}
						n += len(got)
					}
					if n == 0 {
						t.Errorf("%s, %s: no assignments", user, how)
					}
				}
				c := &client{t: t, url: serveAs(t, db, user)}
				var page struct{ Tasks struct{ Nodes []task } }
				c.must(`{ tasks(first: 100) { nodes { id assignments { id } } } }`, nil, &page)
				check("with the page", page.Tasks.Nodes)
				var nested struct {
					Assignments struct{ Nodes []struct{ Task task } }
				}
				c.must(`{ assignments(first: 100) { nodes { task { id assignments { id } } } } }`, nil, &nested)
				var ts []task
				for _, a := range nested.Assignments.Nodes {
					ts = append(ts, a.Task)
				}
				check("nested", ts)
			}
		})
	}
}

// TestTaskAssignmentsStoredOddly: assignments whose stored values the page
// statement's aggregate does not read (written by hand in another form than
// the application's) are read the usual way: the page answers, with them.
func TestTaskAssignmentsStoredOddly(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			ctx := context.Background()
			c := newClient(t, db)
			const q = `{ tasks(first: 5) { nodes { id assignments { id dueDate updatedAt } } } }`
			var before struct {
				Tasks struct {
					Nodes []struct {
						ID          string
						Assignments []struct{ ID, DueDate, UpdatedAt string }
					}
				}
			}
			c.must(q, nil, &before)
			first := before.Tasks.Nodes[0].Assignments[0]
			_, id, _ := store.ParseGlobalID(first.ID)
			set := db.NewUpdate().Table("assignments").Set("due_date = '2026-12-05 00:00:00'").Where("id = ?", id)
			if d == store.SQLite {
				set = set.Set("updated_at = '2026-12-05T19:19:13Z'")
			}
			if _, err := set.Exec(ctx); err != nil {
				t.Fatal(err)
			}
			after := before
			c.must(q, nil, &after)
			got := after.Tasks.Nodes[0].Assignments[0]
			if got.ID != first.ID || got.DueDate != "2026-12-05" || len(after.Tasks.Nodes[0].Assignments) != len(before.Tasks.Nodes[0].Assignments) {
				t.Fatalf("the page after the odd values: %+v, before %+v", after.Tasks.Nodes[0], before.Tasks.Nodes[0])
			}
			if d == store.SQLite && got.UpdatedAt != "2026-12-06T02:19:13+07:00" {
				t.Fatalf("updatedAt stored as 2026-12-05T19:19:13Z reads %s", got.UpdatedAt)
			}
		})
	}
}
