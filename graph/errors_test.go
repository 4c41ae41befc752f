package graph_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"p06/auth"
	"p06/graph"
	"p06/rbac"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
)

// logRecorder keeps every record the handler logs, to check that a caller's
// mistake is never logged as a server error.
type logRecorder struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recs = append(l.recs, r.Clone())
	return nil
}

// noErrors fails the test if anything was logged at ERROR or above.
func (l *logRecorder) noErrors(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.recs {
		if r.Level >= slog.LevelError {
			t.Errorf("logged at %s: %s", r.Level, r.Message)
		}
	}
}

// serveLogged is serveAs with a recording logger.
func serveLogged(t *testing.T, db *store.DB, username string) (*client, *logRecorder) {
	t.Helper()
	ctx := context.Background()
	authz, err := rbac.NewAuthorizer(ctx, db, 0)
	if err != nil {
		t.Fatal(err)
	}
	svc := auth.NewService(db, authz, store.FixedClock(today), auth.DefaultConfig)
	us, _, err := svc.ListUsers(ctx, rbac.National(), auth.UserFilter{Search: username}, store.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var id *auth.Identity
	for _, u := range us {
		if u.Username == username {
			id = &auth.Identity{User: u, Method: auth.MethodSession, CSRFOK: true}
		}
	}
	if id == nil {
		t.Fatalf("no demo user %q", username)
	}
	rec := &logRecorder{}
	r := graph.NewResolver(db, svc, store.FixedClock(today))
	h := graph.NewHandler(r, graph.DefaultLimits, slog.New(rec))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		h.ServeHTTP(w, req.WithContext(auth.WithIdentity(req.Context(), id)))
	}))
	t.Cleanup(srv.Close)
	return &client{t: t, url: srv.URL}, rec
}

// badInput is one mistaken request and what its error must say.
type badInput struct {
	name  string
	query string
	vars  map[string]any
	code  string   // extensions.code
	field string   // extensions.field, if any
	vi    []string // parts of the Vietnamese message
	en    []string // parts of the English message
}

func (b badInput) check(t *testing.T, c *client) {
	t.Helper()
	for _, lang := range []string{"vi", "en"} {
		r := c.do(b.query, b.vars, nil, "Accept-Language", lang)
		if len(r.Errors) != 1 {
			t.Errorf("%s [%s]: errors = %+v, want one", b.name, lang, r.Errors)
			continue
		}
		e := r.Errors[0]
		if e.Extensions["code"] != b.code {
			t.Errorf("%s [%s]: code = %v, want %s (%q)", b.name, lang, e.Extensions["code"], b.code, e.Message)
		}
		if b.field != "" && e.Extensions["field"] != b.field {
			t.Errorf("%s [%s]: field = %v, want %s", b.name, lang, e.Extensions["field"], b.field)
		}
		want := b.vi
		if lang == "en" {
			want = b.en
		}
		for _, w := range want {
			if !strings.Contains(e.Message, w) {
				t.Errorf("%s [%s]: message %q does not contain %q", b.name, lang, e.Message, w)
			}
		}
	}
}

var (
	dateVI = []string{"không phải là ngày hợp lệ", "YYYY-MM-DD", "2024-03-31"}
	dateEN = []string{"is not a valid date", "YYYY-MM-DD", "2024-03-31"}
)

func withAll(first []string, more ...string) []string {
	return append(append([]string{}, more...), first...)
}

// TestBadInputIsInvalid sends impossible dates, NUL bytes and overlong text,
// written in the query and passed in variables, in input objects and lists:
// each is INVALID, names the argument or variable and the expected form, in
// Vietnamese and in English, and nothing is logged as a server error.
func TestBadInputIsInvalid(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 101)
	huge := strings.Repeat("%_", 30000) // a LIKE pattern SQLite refuses
	cases := []badInput{
		{name: "impossible date in a filter",
			query: `{ tasks(filter: {statusAsOf: "2023-02-30", statuses: [OVERDUE]}) { totalCount } }`,
			code:  "INVALID", field: "filter.statusAsOf",
			vi: withAll(dateVI, `filter.statusAsOf: "2023-02-30"`), en: withAll(dateEN, `filter.statusAsOf: "2023-02-30"`)},
		{name: "day-first date in an argument",
			query: `{ programmeSummary(asOf: "31/12/2023") { taskCount } }`,
			code:  "INVALID", field: "asOf", vi: withAll(dateVI, `asOf: "31/12/2023"`), en: withAll(dateEN, `asOf: "31/12/2023"`)},
		{name: "five-digit year on a nested field",
			query: `{ tasks(first: 1) { nodes { status(asOf: "99999-01-01") } } }`,
			code:  "INVALID", field: "asOf", vi: withAll(dateVI, `"99999-01-01"`), en: withAll(dateEN, `"99999-01-01"`)},
		{name: "number for a date",
			query: `{ programmeSummary(asOf: 20231231) { taskCount } }`,
			code:  "INVALID", field: "asOf", vi: withAll(dateVI, "asOf: 20231231"), en: withAll(dateEN, "asOf: 20231231")},
		{name: "impossible date in a variable",
			query: `query($d: Date) { programmeSummary(asOf: $d) { taskCount } }`, vars: map[string]any{"d": "2023-02-30"},
			code: "INVALID", field: "$d", vi: withAll(dateVI, `$d: "2023-02-30"`), en: withAll(dateEN, `$d: "2023-02-30"`)},
		{name: "number for a date in a variable",
			query: `query($d: Date) { programmeSummary(asOf: $d) { taskCount } }`, vars: map[string]any{"d": 20231231},
			code: "INVALID", field: "$d", vi: withAll(dateVI, "$d: 20231231"), en: withAll(dateEN, "$d: 20231231")},
		{name: "bad date inside an input-object variable",
			query: `query($f: TaskFilter) { tasks(filter: $f) { totalCount } }`,
			vars:  map[string]any{"f": map[string]any{"dueFrom": "2024-01-01", "dueTo": "31/12/2023"}},
			code:  "INVALID", field: "$f.dueTo", vi: withAll(dateVI, `$f.dueTo: "31/12/2023"`), en: withAll(dateEN, `$f.dueTo: "31/12/2023"`)},
		{name: "NUL in a literal search",
			query: `{ orgUnits(filter: {search: "Hu\u0000"}) { totalCount } }`,
			code:  "INVALID", field: "filter.search",
			vi: []string{"filter.search", "NUL"}, en: []string{"filter.search", "must not contain the NUL character"}},
		{name: "NUL in a variable inside a list",
			query: `query($x: ID!) { nodes(ids: ["T3JnVW5pdDox", $x]) { __typename } }`, vars: map[string]any{"x": "a\x00b"},
			code: "INVALID", field: "$x", vi: []string{"$x", "NUL"}, en: []string{"$x", "NUL"}},
		{name: "NUL in a code",
			query: `query($c: String!) { orgUnit(code: $c) { id } }`, vars: map[string]any{"c": "46\x00"},
			code: "INVALID", field: "$c", vi: []string{"$c", "NUL"}, en: []string{"$c", "NUL"}},
		{name: "overlong search term",
			query: `query($s: String) { tasks(filter: {search: $s}) { totalCount } }`, vars: map[string]any{"s": long},
			code: "INVALID", field: "$s", vi: []string{"$s", "101 ký tự", "giới hạn 100"}, en: []string{"$s", "101 characters", "limit of 100"}},
		{name: "search term SQLite would refuse as a LIKE pattern",
			query: `query($s: String) { documents(filter: {search: $s}) { totalCount } }`, vars: map[string]any{"s": huge},
			code: "INVALID", field: "$s", vi: []string{"$s", "giới hạn 100"}, en: []string{"$s", "limit of 100"}},
		{name: "overlong deadline text",
			query: `{ parseDeadline(text: "` + strings.Repeat("quý I/2024 ", 30) + `") { dueDate } }`,
			code:  "INVALID", field: "text", vi: []string{"text", "giới hạn 200"}, en: []string{"text", "limit of 200"}},
		{name: "overlong code",
			query: `{ orgUnit(code: "` + strings.Repeat("9", 201) + `") { id } }`,
			code:  "INVALID", field: "code", vi: []string{"code", "giới hạn 200"}, en: []string{"code", "limit of 200"}},
	}
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		c, logs := serveLogged(t, db, "vpcp")
		for _, b := range cases {
			b.check(t, c)
		}
		// At the limit is fine.
		var out struct{ Tasks struct{ TotalCount int } }
		c.must(`query($s: String) { tasks(filter: {search: $s}) { totalCount } }`, map[string]any{"s": strings.Repeat("a", 100)}, &out)
		logs.noErrors(t)
	})
}

// TestGraphQLErrorsInBothLanguages: parse and validation errors keep
// gqlgen's codes and come in Vietnamese by default and English on request.
func TestGraphQLErrorsInBothLanguages(t *testing.T) {
	t.Parallel()
	cases := []badInput{
		{name: "unknown field", query: `{ nosuchfield }`, code: "GRAPHQL_VALIDATION_FAILED",
			vi: []string{`Kiểu "Query" không có trường "nosuchfield".`}, en: []string{`Cannot query field "nosuchfield" on type "Query".`}},
		{name: "unknown argument", query: `{ orgUnit(code: "46", depth: 2) { id } }`, code: "GRAPHQL_VALIDATION_FAILED",
			vi: []string{`Trường "Query.orgUnit" không có tham số "depth".`}, en: []string{`Unknown argument "depth" on field "Query.orgUnit".`}},
		{name: "missing argument", query: `{ orgUnit { id } }`, code: "GRAPHQL_VALIDATION_FAILED",
			vi: []string{`Thiếu tham số bắt buộc "code"`, `"String!"`}, en: []string{`argument "code" of type "String!" is required`}},
		{name: "wrong type", query: `{ tasks(first: "ten") { totalCount } }`, code: "GRAPHQL_VALIDATION_FAILED",
			vi: []string{`không phải số nguyên (Int)`}, en: []string{`Int cannot represent non-integer value: "ten"`}},
		{name: "unknown enum value", query: `{ tasks(filter: {statuses: [LATE]}) { totalCount } }`, code: "GRAPHQL_VALIDATION_FAILED",
			vi: []string{`Giá trị "LATE" không có trong kiểu liệt kê "ReportingStatus!".`}, en: []string{`Value "LATE" does not exist in "ReportingStatus!" enum.`}},
		{name: "syntax error", query: `{ tasks(`, code: "GRAPHQL_PARSE_FAILED",
			vi: []string{"Lỗi cú pháp"}, en: []string{"Expected Name, found <EOF>"}},
		{name: "missing variable", query: `query($c: String!) { orgUnit(code: $c) { id } }`, code: "GRAPHQL_VALIDATION_FAILED",
			field: "$c", vi: []string{"$c: phải có giá trị"}, en: []string{"$c: must be defined"}},
		{name: "wrong variable type", query: `query($n: Int) { tasks(first: $n) { totalCount } }`, vars: map[string]any{"n": "ten"},
			code: "GRAPHQL_VALIDATION_FAILED", field: "$n", vi: []string{"$n: không dùng được giá trị kiểu string cho kiểu Int"},
			en: []string{"$n: cannot use string as Int"}},
		{name: "several operations, none named", query: `query A { __typename } query B { __typename }`, code: "GRAPHQL_VALIDATION_FAILED",
			vi: []string{"tài liệu có nhiều thao tác: ghi tên thao tác cần chạy vào operationName"},
			en: []string{"the document holds several operations: name the one to run in operationName"}},
		{name: "bad deadline phrase", query: `{ parseDeadline(text: "quý V/2024") { dueDate } }`, code: "INVALID", field: "text",
			vi: []string{`text: không hiểu thời hạn "quý V/2024": không có quý V`, `"quý I/2024"`, `"thường xuyên"`},
			en: []string{`text: cannot read the deadline "quý V/2024": there is no quarter V`, `Accepted forms`, `"quý I/2024"`}},
	}
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		c, logs := serveLogged(t, db, "vpcp")
		for _, b := range cases {
			b.check(t, c)
		}
		logs.noErrors(t)
	})
}

// TestUnknownUnitInFilterIsNotFound: a filter naming a unit the caller cannot
// see is NOT_FOUND, the same whether the unit does not exist or is out of
// scope, never an empty list.
func TestUnknownUnitInFilterIsNotFound(t *testing.T) {
	t.Parallel()
	filters := []struct{ query, field string }{
		{`tasks(filter: {assignee: $u}) { totalCount }`, "filter.assignee"},
		{`assignments(filter: {orgUnit: $u}) { totalCount }`, "filter.orgUnit"},
		{`orgUnits(filter: {parent: $u}) { totalCount }`, "filter.parent"},
		{`workingGroups(filter: {orgUnit: $u}) { totalCount }`, "filter.orgUnit"},
		{`users(filter: {orgUnit: $u}) { totalCount }`, "filter.orgUnit"},
		{`documents(first: 1) { nodes { tasks(filter: {assignee: $u}) { totalCount } } }`, "filter.assignee"},
	}
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		national, _ := serveLogged(t, db, "vpcp")
		hue, logs := serveLogged(t, db, "hue")
		for _, f := range filters {
			q := `query($u: String) { ` + f.query + ` }`
			for _, tc := range []struct {
				c    *client
				unit string
			}{{national, "99"}, {hue, "99"}, {hue, "01"} /* Hà Nội: exists, out of Huế's scope */} {
				badInput{name: f.query + " " + tc.unit, query: q, vars: map[string]any{"u": tc.unit}, code: "NOT_FOUND", field: f.field,
					vi: []string{f.field + `: không tìm thấy đơn vị có mã "` + tc.unit + `"`},
					en: []string{f.field + `: no org unit with code "` + tc.unit + `"`}}.check(t, tc.c)
			}
			// A unit in scope still filters.
			if r := hue.do(q, map[string]any{"u": "46"}, nil); len(r.Errors) > 0 {
				t.Errorf("%s with Huế's own unit: %+v", f.query, r.Errors)
			}
		}
		logs.noErrors(t)
	})
}

// TestTimesAreInVietnam: instants come out at +07:00 whatever offset they
// went in with, and a bad Time is INVALID with the expected form; a refused
// mutation stores nothing.
func TestTimesAreInVietnam(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			c, logs := serveLogged(t, db, "vpcp")
			count := func() (n int) {
				t.Helper()
				tokens, err := db.NewSelect().Table("api_tokens").Count(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				audit, err := db.NewSelect().Table("audit_log").Count(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				return int(tokens)*1000000 + int(audit)
			}
			before := count()
			const create = `mutation($in: CreateApiTokenInput!) { createApiToken(input: $in) {
				token apiToken { createdAt expiresAt } userErrors { message } } }`
			for _, b := range []badInput{
				{name: "bad time", query: create, vars: map[string]any{"in": map[string]any{"name": "ci", "expiresAt": "2027-01-01 10:00"}},
					code: "INVALID", field: "$in.expiresAt",
					vi: []string{`$in.expiresAt: "2027-01-01 10:00" không phải là thời điểm hợp lệ`, "RFC 3339", "2024-03-31T17:00:00+07:00"},
					en: []string{`$in.expiresAt: "2027-01-01 10:00" is not a valid time`, "RFC 3339", "2024-03-31T17:00:00+07:00"}},
				{name: "bad time literal", query: `mutation { createApiToken(input: {name: "ci", expiresAt: "tomorrow"}) { token } }`,
					code: "INVALID", field: "input.expiresAt", vi: []string{"input.expiresAt", "RFC 3339"}, en: []string{"input.expiresAt", "RFC 3339"}},
				{name: "NUL in a token name", query: create, vars: map[string]any{"in": map[string]any{"name": "c\x00i"}},
					code: "INVALID", field: "$in.name", vi: []string{"$in.name", "NUL"}, en: []string{"$in.name", "NUL"}},
			} {
				b.check(t, c)
			}
			if after := count(); after != before {
				t.Errorf("refused mutations changed stored rows: %d → %d", before, after)
			}
			expires := today.Add(30 * 24 * time.Hour).UTC()
			var out struct {
				CreateApiToken struct {
					Token    string
					ApiToken struct{ CreatedAt, ExpiresAt string }
				}
			}
			c.must(create, map[string]any{"in": map[string]any{"name": "ci", "expiresAt": expires.Format(time.RFC3339)}}, &out)
			tok := out.CreateApiToken.ApiToken
			if want := expires.In(store.VN).Format(time.RFC3339); tok.ExpiresAt != want {
				t.Errorf("expiresAt = %q, want %q", tok.ExpiresAt, want)
			}
			if !strings.HasSuffix(tok.CreatedAt, "+07:00") {
				t.Errorf("createdAt = %q, want +07:00", tok.CreatedAt)
			}
			var audit struct {
				AuditLog struct{ Nodes []struct{ At string } }
			}
			admin, _ := serveLogged(t, db, "admin")
			admin.must(`{ auditLog(first: 5) { nodes { at } } }`, nil, &audit)
			if len(audit.AuditLog.Nodes) == 0 {
				t.Fatal("no audit rows")
			}
			for _, n := range audit.AuditLog.Nodes {
				if !strings.HasSuffix(n.At, "+07:00") {
					t.Errorf("auditLog.at = %q, want +07:00", n.At)
				}
			}
			logs.noErrors(t)
		})
	}
}

// A client that hangs up before its request reads the policies is not a
// server error: the failed read is logged below ERROR (an outsider's
// attack of 22,891 abandoned requests filled the log with them).
func TestClientGoneIsNotAnError(t *testing.T) {
	t.Parallel()
	db := seedtest.Fresh(t, store.SQLite)
	authz, err := rbac.NewAuthorizer(context.Background(), db, 0) // policies read on every request
	if err != nil {
		t.Fatal(err)
	}
	clock := store.FixedClock(time.Date(2026, 12, 5, 9, 0, 0, 0, store.VN))
	svc := auth.NewService(db, authz, clock, auth.DefaultConfig)
	rec := &logRecorder{}
	h := graph.NewHandler(graph.NewResolver(db, svc, clock), graph.DefaultLimits, slog.New(rec))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader(`{"query":"{ tasks(first: 5) { nodes { id } } }"}`))
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req.WithContext(ctx))
	if w.Code != http.StatusServiceUnavailable {
		t.Fatalf("a request whose client left: HTTP %d %s", w.Code, w.Body)
	}
	rec.noErrors(t)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.recs) == 0 || rec.recs[len(rec.recs)-1].Level != slog.LevelDebug {
		t.Fatalf("the failed read was not logged at DEBUG: %d records", len(rec.recs))
	}
}
