package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"p06/graph"
	"p06/seeds/seedtest"
	"p06/store"
)

// doubling is a document of n fragments, each spreading the next one twice:
// it expands to 2^n selections.
func doubling(n int, body func(i int) string) string {
	var b strings.Builder
	b.WriteString("query { ...F0 }\n")
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on Query { %s }\n", i, body(i))
	}
	fmt.Fprintf(&b, "fragment F%d on Query { __typename }\n", n)
	return b.String()
}

// measured runs fn and returns how long it took and how many bytes the whole
// process allocated meanwhile (an upper bound on what the request held).
//
// Only the allocation is asserted on: exhausting work allocates, and the
// count does not depend on how busy the machine is. The time is logged.
func measured(fn func()) (time.Duration, uint64) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	fn()
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	return took, after.TotalAlloc - before.TotalAlloc
}

// Documents that would make validation expand exponentially, or that are
// merely huge, are refused in milliseconds with a code, signed in or not.
func TestExplodingDocumentsAreRefusedQuickly(t *testing.T) {
	// Not parallel: allocation is measured for the whole process, and Go
	// runs parallel top-level tests only after the sequential ones.
	db := seedtest.Shared(t, store.SQLite)
	anon := &client{t: t, url: serveAs(t, db, "")}
	signed := &client{t: t, url: serveAs(t, db, "vpcp")}

	aliases := make([]string, 5000)
	for i := range aliases {
		aliases[i] = fmt.Sprintf("a%d: __typename", i)
	}
	nested := `{ orgUnit(code: "VN") { ...U0 } }` + "\n"
	for i := range 30 {
		nested += fmt.Sprintf("fragment U%d on OrgUnit { code parent { ...U%d } }\n", i, i+1)
	}
	nested += "fragment U30 on OrgUnit { code }\n"
	inline := "{ " + strings.Repeat("... on Query { ", 3000) + "__typename" + strings.Repeat(" }", 3000) + " }"

	cases := []struct {
		name, query, code string
	}{
		{"fragments spread twice, 30 levels", doubling(30, func(i int) string {
			return fmt.Sprintf("...F%d ...F%d", i+1, i+1)
		}), "QUERY_TOO_COMPLEX"},
		{"fragments spread twice through inline fragments", doubling(30, func(i int) string {
			return fmt.Sprintf("... on Query { ...F%d } ... { ...F%d }", i+1, i+1)
		}), "QUERY_TOO_COMPLEX"},
		{"fragments spread twice under aliases", doubling(30, func(i int) string {
			return fmt.Sprintf("a: __typename ...F%d b: __typename ...F%d", i+1, i+1)
		}), "QUERY_TOO_COMPLEX"},
		{"five thousand aliases", "{ " + strings.Join(aliases, " ") + " }", "QUERY_TOO_COMPLEX"},
		{"a hundred and one fields on one object", "{ " + strings.Repeat("__typename ", 101) + " }", "QUERY_TOO_COMPLEX"},
		{"fifty thousand fields", "{ " + strings.Repeat("__typename ", 50000) + " }", "QUERY_TOO_COMPLEX"},
		{"deep nesting through fragments", nested, "QUERY_TOO_DEEP"},
		{"deep inline fragments", inline, ""},
		// Documents whose validation errors multiply: unknown directives,
		// unused variables, unused fragments, unknown arguments; over the
		// token bound, and over the byte bound.
		{"fifteen thousand unknown directives", "{ __typename" + strings.Repeat(" @x", 15000) + " }", "QUERY_TOO_COMPLEX"},
		{"a megabyte of unknown directives", "{ __typename" + strings.Repeat(" @x", 340000) + " }", "QUERY_TOO_COMPLEX"},
		{"unused variables", "query(" + strings.Repeat("$a: Int ", 6000) + ") { __typename }", "QUERY_TOO_COMPLEX"},
		{"unused fragments", strings.Repeat("fragment f on Query { __typename } ", 3000) + "{ __typename }", "QUERY_TOO_COMPLEX"},
		{"unknown arguments", "{ __typename(" + strings.Repeat("a: 1 ", 6000) + ") }", "QUERY_TOO_COMPLEX"},
	}
	for _, c := range cases {
		for who, cl := range map[string]*client{"anonymous": anon, "signed-in": signed} {
			var r response
			took, alloc := measured(func() { r = cl.do(c.query, nil, nil) })
			if c.code != "" && code(r) != c.code {
				t.Errorf("%s, %s: %+v", c.name, who, r.Errors)
			}
			if alloc > 100<<20 {
				t.Errorf("%s, %s: took %v and allocated %d MB", c.name, who, took, alloc>>20)
			}
			t.Logf("%s, %s: %v, %d KB, %d bytes of query", c.name, who, took, alloc>>10, len(c.query))
		}
	}
	// However wrong a document is, the answer lists at most 50 errors and
	// says how many more there were.
	r := anon.do("{ "+strings.Repeat("nope ", 90)+"}", nil, nil)
	if len(r.Errors) != 51 || !strings.Contains(r.Errors[50].Message, "40") || r.Errors[50].Extensions["code"] != "TOO_MANY_ERRORS" {
		t.Errorf("90 unknown fields: %d errors, last %+v", len(r.Errors), r.Errors[len(r.Errors)-1])
	}

	// Messages follow Accept-Language.
	r = anon.do(cases[0].query, nil, nil, "Accept-Language", "en")
	if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "more than the limit of 1500") {
		t.Errorf("English message: %+v", r.Errors)
	}
	r = anon.do(cases[0].query, nil, nil)
	if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "vượt giới hạn 1500") {
		t.Errorf("Vietnamese message: %+v", r.Errors)
	}
}

// The caches of parsed documents, verdicts and persisted queries keep only
// short query texts: 600 distinct long queries, each padded to 60 KB, do not
// pile up in memory.
func TestLongQueriesAreNotCached(t *testing.T) {
	// Not parallel: memory is measured for the whole process.
	db := seedtest.Shared(t, store.SQLite)
	anon := &client{t: t, url: serveAs(t, db, "")}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	pad := strings.Repeat("a", 60<<10)
	for i := range 600 {
		if r := anon.do(fmt.Sprintf("{ __typename } # %d %s", i, pad), nil, nil); len(r.Errors) > 0 {
			t.Fatalf("padded query: %+v", r.Errors)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 20<<20 {
		t.Errorf("600 distinct 60 KB queries left %d MB on the heap", grown>>20)
	}
}

// Documents just inside the bounds, built to be slow for gqlparser's own
// validation rules (overlapping fields compared pairwise), still validate
// quickly.
func TestLargestAcceptedDocumentsValidateQuickly(t *testing.T) {
	// Not parallel: allocation is measured for the whole process, and Go
	// runs parallel top-level tests only after the sequential ones.
	c := &client{t: t, url: serveAs(t, seedtest.Shared(t, store.SQLite), "vpcp")}
	sameName := "{ " + strings.Repeat("__typename ", 100) + " }"
	var frags strings.Builder
	frags.WriteString("{ ")
	for i := range 30 {
		fmt.Fprintf(&frags, "...P%d ", i)
	}
	frags.WriteString("}\n")
	for i := range 30 {
		fmt.Fprintf(&frags, "fragment P%d on Query { me { user { username } } orgUnit(code: \"VN\") { code name } a: parseDeadline(text: \"quý I/2024\") { text } }\n", i)
	}
	sameObject := "{ " + strings.Repeat(`x: orgUnit(code: "VN") { `+strings.Repeat("code ", 99)+"} ", 15) + "}"
	for name, q := range map[string]string{"same field 100 times": sameName, "same object fifteen times": sameObject, "30 overlapping fragments": frags.String()} {
		var r response
		took, alloc := measured(func() { r = c.do(q, nil, nil) })
		if code(r) == "QUERY_TOO_COMPLEX" || code(r) == "QUERY_TOO_DEEP" {
			t.Errorf("%s refused: %+v", name, r.Errors)
		}
		if alloc > 100<<20 {
			t.Errorf("%s: took %v and allocated %d MB", name, took, alloc>>20)
		}
		t.Logf("%s: %v, %d KB", name, took, alloc>>10)
	}
}

// taskIDs returns the global IDs of n tasks given to Huế: such tasks are
// given to every province, 63 assignments or more.
func taskIDs(c *client, n int) []string {
	var out struct {
		Tasks struct {
			Nodes []struct {
				ID          string
				Assignments []struct{ ID string }
			}
		}
	}
	c.must(`query($n: Int) { tasks(first: $n, filter: {assignee: "46"}) { nodes { id assignments { id } } } }`, map[string]any{"n": n}, &out)
	var ids []string
	for _, t := range out.Tasks.Nodes {
		if len(t.Assignments) < 63 {
			c.t.Fatalf("task %s has %d assignments", t.ID, len(t.Assignments))
		}
		ids = append(ids, t.ID)
	}
	return ids
}

// Queries that multiply lists or aggregates are priced at what they cost
// and refused quickly; the largest that pass stay within 100 MB; an answer
// that outgrows the prices is cut off by the response cap.
func TestAmplificationIsBounded(t *testing.T) {
	// Not parallel: allocation is measured for the whole process, and Go
	// runs parallel top-level tests only after the sequential ones.
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		c := newClient(t, db)
		ids := taskIDs(c, 5)
		summaries := func(n int) string {
			q := "{ "
			for i := range n {
				q += fmt.Sprintf("s%d: programmeSummary { taskCount byStatus { status count } } ", i)
			}
			return q + "}"
		}
		refused := []struct {
			name, query string
			vars        map[string]any
		}{
			{"assignments of tasks of assignments", `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Task {
				assignments { task { assignments { orgUnit { code name } state } } } } } }`, map[string]any{"ids": ids}},
			{"children of children", `{ orgUnit(code: "VN") { children { children { children { code name } } } } }`, nil},
			{"200 programme summaries", summaries(200), nil},
			{"51 programme summaries", summaries(51), nil},
			{"status filters in every document", func() string {
				q := "{ documents(first: 34) { nodes { "
				for i := range 20 {
					q += fmt.Sprintf(`a%d: tasks(first: 1, filter: {statusAsOf: "2023-01-%02d", statuses: [OVERDUE]}) { totalCount } `, i, i+1)
				}
				return q + "} } }"
			}(), nil},
			{"110 totalCounts", func() string {
				q := "{ "
				for i := range 110 {
					q += fmt.Sprintf("t%d: tasks(first: 100) { totalCount } ", i)
				}
				return q + "}"
			}(), nil},
		}
		for _, q := range refused {
			var r response
			took, alloc := measured(func() { r = c.do(q.query, q.vars, nil) })
			if code(r) != "COMPLEXITY_LIMIT_EXCEEDED" && code(r) != "QUERY_TOO_COMPLEX" {
				t.Errorf("%s: %+v", q.name, r.Errors)
			}
			if alloc > 100<<20 {
				t.Errorf("%s: took %v and allocated %d MB", q.name, took, alloc>>20)
			}
		}

		// The most that passes: a page of tasks with all their assignments,
		// a page of 100 tasks with their statuses, 30 summaries, the
		// standard introspection query.
		passing := []struct{ name, query string }{
			{"tasks with assignments", `{ tasks(first: 25) { totalCount nodes { id title assignments { id state progress role orgUnit { code name } } } } }`},
			{"100 tasks with statuses", `{ tasks(first: 100) { totalCount nodes { id clause title description deadlineText dueDate precision
				status document { number title taskCount } } } }`},
			{"30 programme summaries", summaries(30)},
			{"introspection", standardIntrospection},
		}
		for _, q := range passing {
			var r response
			took, alloc := measured(func() { r = c.do(q.query, nil, nil) })
			if len(r.Errors) > 0 {
				t.Errorf("%s: %+v", q.name, r.Errors)
			}
			if alloc > 100<<20 {
				t.Errorf("%s: took %v and allocated %d MB", q.name, took, alloc>>20)
			}
			t.Logf("%s: %v, %d MB, %d KB answer", q.name, took, alloc>>20, len(r.Data)>>10)
		}
	})
}

// Past Limits.ResponseFields a request stops and answers one error.
func TestResponseCap(t *testing.T) {
	// Not parallel: allocation is measured for the whole process, and Go
	// runs parallel top-level tests only after the sequential ones.
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		lim := graph.DefaultLimits
		lim.ResponseFields = 300
		c := &client{t: t, url: serveWith(t, db, "vpcp", lim)}
		if r := c.do(`{ tasks(first: 99) { nodes { id title } } }`, nil, nil); len(r.Errors) > 0 {
			t.Fatalf("201 fields: %+v", r.Errors)
		}
		for _, lang := range []string{"vi", "en"} {
			r := c.do(`{ tasks(first: 100) { nodes { id title assignments { id } } } }`, nil, nil, "Accept-Language", lang)
			if len(r.Errors) != 1 || code(r) != "RESPONSE_TOO_LARGE" || string(r.Data) != "null" {
				t.Fatalf("%s: %d errors, first %+v, data %.80s", lang, len(r.Errors), r.Errors, r.Data)
			}
			if want := map[string]string{"vi": "vượt giới hạn 300", "en": "more than 300"}[lang]; !strings.Contains(r.Errors[0].Message, want) {
				t.Errorf("%s message: %s", lang, r.Errors[0].Message)
			}
		}

		// Text counts too: long strings past ResponseBytes stop the answer.
		lim = graph.DefaultLimits
		lim.ResponseBytes = 4000
		c = &client{t: t, url: serveWith(t, db, "vpcp", lim)}
		if r := c.do(`{ tasks(first: 100) { nodes { title description } } }`, nil, nil); code(r) != "RESPONSE_TOO_LARGE" || len(r.Errors) != 1 {
			t.Errorf("100 titles over 4,000 bytes: %d errors, first %+v", len(r.Errors), r.Errors[:min(1, len(r.Errors))])
		}

		// With prices out of date (here: no complexity limit at all), the
		// default cap still stops the amplifying query within 100 MB.
		lim = graph.DefaultLimits
		lim.Complexity = 1 << 40
		c = &client{t: t, url: serveWith(t, db, "vpcp", lim)}
		ids := taskIDs(c, 5)
		var r response
		took, alloc := measured(func() {
			r = c.do(`query($ids: [ID!]!) { nodes(ids: $ids) { ... on Task {
				assignments { task { assignments { orgUnit { code name } state } } } } } }`, map[string]any{"ids": ids}, nil)
		})
		if len(r.Errors) != 1 || code(r) != "RESPONSE_TOO_LARGE" {
			t.Fatalf("amplifying query without complexity limit: %d errors, first %+v", len(r.Errors), r.Errors[:min(1, len(r.Errors))])
		}
		if alloc > 100<<20 {
			t.Errorf("amplifying query cut off after %v and %d MB", took, alloc>>20)
		}
		t.Logf("amplifying query cut off after %v and %d MB", took, alloc>>20)
	})
}

// nodes(ids:) is bounded by its count of ids, even selecting only __typename.
func TestNodesIsBoundedByItsIDs(t *testing.T) {
	t.Parallel()
	c := &client{t: t, url: serveAs(t, seedtest.Shared(t, store.SQLite), "vpcp")}
	ids := make([]string, 40000)
	for i := range ids {
		ids[i] = "VGFzazox" // Task:1
	}
	r := c.do(`query($ids: [ID!]!) { nodes(ids: $ids) { __typename } }`, map[string]any{"ids": ids}, nil)
	if code(r) != "COMPLEXITY_LIMIT_EXCEEDED" && code(r) != "INVALID" {
		t.Fatalf("40 000 ids: %+v", r.Errors[:min(1, len(r.Errors))])
	}
}

// What is not a GraphQL request over JSON gets a coded error in the caller's
// language, and the body is never echoed.
func TestMalformedRequestsAreCoded(t *testing.T) {
	t.Parallel()
	db := seedtest.Shared(t, store.SQLite)
	url := serveAs(t, db, "vpcp")
	secret := "bí-mật-không-được-lặp-lại"
	for _, c := range []struct {
		name, method, ctype, body string
		status                    int
		want                      string
	}{
		{"a batch", "POST", "application/json", `[{"query": "{ __typename }"}, {"query": "` + secret + `"}]`, 400, "batches"},
		{"broken JSON", "POST", "application/json", `{"query": "` + secret, 400, "one JSON object"},
		{"plain text", "POST", "text/plain", `{"query": "{ __typename }"}`, 415, "Content-Type: application/json"},
		{"a form", "POST", "application/x-www-form-urlencoded", "query=" + secret, 415, "Content-Type: application/json"},
		{"PUT", "PUT", "application/json", `{"query": "{ __typename }"}`, 405, "PUT"},
		{"over a megabyte", "POST", "application/json", `{"query": "{ __typename }", "x": "` + strings.Repeat("a", 1<<20) + `"}`, 413, "1048576"},
		{"a number for query", "POST", "application/json", `{"query": 5, "pad": "` + secret + `"}`, 400, "query must be a string or null"},
		{"a string for variables", "POST", "application/json", `{"query": "{ __typename }", "variables": "` + secret + `"}`, 400, "variables must be a JSON object or null"},
		{"a number for extensions", "POST", "application/json", `{"query": "{ __typename }", "extensions": 5, "x": "` + secret + `"}`, 400, "extensions must be a JSON object"},
		{"GET, variables not JSON", "GET", "", "?query=%7B__typename%7D&variables=" + secret, 400, "variables must be a JSON object"},
		{"GET, extensions a number", "GET", "", "?query=%7B__typename%7D&extensions=5", 400, "extensions must be a JSON object"},
		{"GET, a mutation", "GET", "", "?query=mutation%7B__typename%7D", 406, "send mutations with POST"},
	} {
		target, body := url, c.body
		if c.method == "GET" {
			target, body = url+c.body, ""
		}
		req, _ := http.NewRequest(c.method, target, strings.NewReader(body))
		req.Header.Set("Content-Type", c.ctype)
		req.Header.Set("Accept-Language", "en")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var r response
		if err := json.Unmarshal(b, &r); err != nil || res.StatusCode != c.status || code(r) != "INVALID" ||
			!strings.Contains(r.Errors[0].Message, c.want) || strings.Contains(string(b), secret) {
			t.Errorf("%s: HTTP %d %s", c.name, res.StatusCode, b)
		}
	}
	// Vietnamese by default, and so without signing in.
	res, err := http.Post(url, "application/json", strings.NewReader(`{"query": 5, "pad": "`+secret+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var r response
	if err := json.Unmarshal(b, &r); err != nil || res.StatusCode != 400 || code(r) != "INVALID" || !strings.Contains(r.Errors[0].Message, "query phải là một chuỗi") {
		t.Errorf("anonymous, Vietnamese: HTTP %d %s", res.StatusCode, b)
	}
}

// Inputs the database or a JSON answer would choke on are the caller's
// mistakes: years before 1900, control characters, lists past their bound.
func TestOddInputsAreInvalid(t *testing.T) {
	t.Parallel()
	db := seedtest.Shared(t, store.SQLite)
	admin := &client{t: t, url: serveAs(t, db, "admin")}
	many := make([]string, 101)
	for i := range many {
		many[i] = "OVERDUE"
	}
	for _, c := range []struct {
		query string
		vars  map[string]any
		want  string
	}{
		{`{ programmeSummary(asOf: "0000-01-01") { taskCount } }`, nil, "from the year 1900"},
		{`{ auditLog(filter: {from: "0000-01-01T00:00:00Z"}) { totalCount } }`, nil, "from the year 1900"},
		{`query($s: String) { tasks(filter: {search: $s}) { totalCount } }`, map[string]any{"s": "a\u0001b"}, "control character U+0001"},
		{`query($s: [ReportingStatus!]) { tasks(filter: {statusAsOf: "2024-01-01", statuses: $s}) { totalCount } }`, map[string]any{"s": many}, "101 items"},
	} {
		r := admin.do(c.query, c.vars, nil, "Accept-Language", "en")
		if code(r) != "INVALID" || !strings.Contains(r.Errors[0].Message, c.want) {
			t.Errorf("%s %v: %+v", c.query, c.vars, r.Errors)
		}
	}
}

// The prices of what reads every assignment in scope grow with the
// programme: 30 programme summaries fit on the demo's 4,634 assignments, not
// once another 6,000 are made.
func TestAggregatePricesGrowWithTheData(t *testing.T) {
	t.Parallel()
	db := seedtest.Fresh(t, store.SQLite)
	q := "{ "
	for i := range 30 {
		q += fmt.Sprintf("s%d: programmeSummary { taskCount } ", i)
	}
	q += "}"
	if r := (&client{t: t, url: serveAs(t, db, "vpcp")}).do(q, nil, nil); len(r.Errors) > 0 {
		t.Fatalf("30 summaries on the demo data: %+v", r.Errors)
	}
	if _, err := db.NewRaw(`INSERT INTO assignments (task_id, org_unit_id, role, state, progress, source, version, updated_at)
		SELECT t.id, u.id, 'COORDINATE', 'NOT_STARTED', 0, 'DEMO', 1, ? FROM tasks AS t CROSS JOIN org_units AS u
		WHERE NOT EXISTS (SELECT 1 FROM assignments AS a WHERE a.task_id = t.id AND a.org_unit_id = u.id) LIMIT 6000`,
		today.UTC()).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Written behind the store's back: keep the tasks' counts as it does.
	if _, err := db.NewRaw(`UPDATE tasks SET assignment_count = (SELECT COUNT(*) FROM assignments AS a WHERE a.task_id = tasks.id)`).
		Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A new handler measures the data at once (a running one within a minute).
	if r := (&client{t: t, url: serveAs(t, db, "vpcp")}).do(q, nil, nil); code(r) != "COMPLEXITY_LIMIT_EXCEEDED" {
		t.Fatalf("30 summaries on 10,634 assignments: %+v", r.Errors)
	}
}
