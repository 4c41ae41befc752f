package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"p06/store"
	"p06/store/storetest"
)

// startServer runs the whole program on port 0 with env and returns its base
// URL; the server is stopped when the test ends and must exit cleanly.
func startServer(t *testing.T, env map[string]string) string {
	t.Helper()
	base, _ := startServerOut(t, env)
	return base
}

// startServerOut is startServer that also returns the lines the program
// printed before "listening on".
func startServerOut(t *testing.T, env map[string]string) (base string, before []string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	getenv := func(k string) string { return env[k] }
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	var stderr bytes.Buffer
	go func() { done <- run(ctx, nil, getenv, pw, &stderr); pw.Close() }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run returned %v\n%s", err, stderr.String())
			}
		case <-time.After(30 * time.Second):
			t.Error("server did not shut down within 30s")
		}
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		var seen []string
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				before = seen
				lines <- addr
			}
			seen = append(seen, sc.Text())
		}
	}()
	select {
	case base = <-lines:
	case err := <-done:
		t.Fatalf("run exited early: %v\n%s", err, stderr.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("server did not start\n%s", stderr.String())
	}
	// Poll /healthz until it answers.
	for i := 0; ; i++ {
		res, err := http.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if i > 100 {
			t.Fatalf("healthz never answered: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return base, before
}

// session is a browser: a cookie jar and the CSRF token of its session.
type session struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

func newSession(t *testing.T, base string) *session {
	jar, _ := cookiejar.New(nil)
	return &session{t: t, base: base, c: &http.Client{Jar: jar}}
}

// do posts a query and decodes its data into out; it returns the errors.
func (s *session) do(q string, out any) []json.RawMessage {
	s.t.Helper()
	body, _ := json.Marshal(map[string]string{"query": q})
	req, _ := http.NewRequest(http.MethodPost, s.base+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if s.csrf != "" {
		req.Header.Set("X-CSRF-Token", s.csrf)
	}
	res, err := s.c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var r struct {
		Data   json.RawMessage
		Errors []json.RawMessage
	}
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		s.t.Fatal(err)
	}
	if out != nil && len(r.Data) > 0 && string(r.Data) != "null" {
		if err := json.Unmarshal(r.Data, out); err != nil {
			s.t.Fatal(err)
		}
	}
	return r.Errors
}

func (s *session) must(q string, out any) {
	s.t.Helper()
	if errs := s.do(q, out); len(errs) > 0 {
		s.t.Fatalf("errors: %s", errs)
	}
}

// login signs in and keeps the CSRF token.
func (s *session) login(username, password string) {
	s.t.Helper()
	var out struct {
		Login struct {
			Me         *struct{ CsrfToken string }
			UserErrors []struct{ Message string }
		}
	}
	s.must(`mutation { login(input: {username: "`+username+`", password: "`+password+`"}) { me { csrfToken } userErrors { message } } }`, &out)
	if out.Login.Me == nil {
		s.t.Fatalf("login %s: %+v", username, out.Login.UserErrors)
	}
	s.csrf = out.Login.Me.CsrfToken
}

// The program started as a newcomer starts it (embedded SQLite, demo data)
// answers with the figures of the two-year review.
func TestWholeProgramReviewFigures(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	base := startServer(t, map[string]string{"P06_ADDR": "127.0.0.1:0", "P06_DATA_DIR": dir})
	if _, err := os.Stat(filepath.Join(dir, "p06.db")); err != nil {
		t.Fatalf("no database file in P06_DATA_DIR: %v", err)
	}
	checkReviewFigures(t, base)
	// The planner has statistics of the demo data from the start (PRAGMA
	// optimize after seeding): without them SQLite sorts every task for
	// each page of tasks.
	db, err := store.Open(context.Background(), store.Config{URL: "sqlite:" + filepath.Join(dir, "p06.db")})
	if err != nil {
		t.Fatal(err)
	}
	var analyzed []string
	if err := db.NewRaw("SELECT DISTINCT tbl FROM sqlite_stat1 WHERE tbl IN ('tasks', 'documents', 'assignments') ORDER BY tbl").Scan(context.Background(), &analyzed); err != nil {
		t.Fatalf("the planner's statistics after start-up: %v", err)
	}
	db.Close()
	if strings.Join(analyzed, " ") != "assignments documents tasks" {
		t.Fatalf("tables with the planner's statistics after start-up: %q", analyzed)
	}
	// The seeding's write-ahead log (some 20 MB) was folded into the file
	// at start-up; what is left is the sign-ins since.
	if st, err := os.Stat(filepath.Join(dir, "p06.db-wal")); err == nil && st.Size() > 2<<20 {
		t.Fatalf("the write-ahead log after start-up holds %d bytes", st.Size())
	}
	res, err := http.Get(base + "/readyz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("readyz: %v %v", res, err)
	}
	res.Body.Close()
	res, err = http.Get(base + "/")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("IDE at /: %v %v", res, err)
	}
	res.Body.Close()
}

// On PostgreSQL with P06_SEED=demo the same figures come out.
func TestWholeProgramOnPostgres(t *testing.T) {
	t.Parallel()
	if os.Getenv("TEST_DATABASE_URL") == "" {
		t.Skip("TEST_DATABASE_URL is not set")
	}
	db := storetest.Unmigrated(t, "postgres")
	// The server opens its own pool on the same schema through search_path.
	url := os.Getenv("TEST_DATABASE_URL")
	var schema string
	if err := db.QueryRowContext(context.Background(), "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	base := startServer(t, map[string]string{"P06_ADDR": "127.0.0.1:0", "DATABASE_URL": url + sep + "search_path=" + schema, "P06_SEED": "demo"})
	checkReviewFigures(t, base)
}

func checkReviewFigures(t *testing.T, base string) {
	t.Helper()
	s := newSession(t, base)
	if errs := s.do(`{ tasks { totalCount } }`, nil); len(errs) != 1 || !strings.Contains(string(errs[0]), "UNAUTHENTICATED") {
		t.Fatalf("signed out: %s", errs)
	}
	s.login("vpcp", "demo-password")
	var out struct {
		S struct {
			DocumentCount int
			TaskCount     int
			ByStatus      []struct {
				Status string
				Count  int
			}
			WorkingGroupCount int
		}
		Provinces struct{ TotalCount int }
	}
	s.must(`{ s: programmeSummary(asOf: "2023-12-21", documentKinds: [CHI_THI, NGHI_QUYET, CONG_DIEN]) {
		documentCount taskCount byStatus { status count } workingGroupCount }
		provinces: orgUnits(filter: {kinds: [PROVINCE]}) { totalCount } }`, &out)
	overdue := -1
	for _, b := range out.S.ByStatus {
		if b.Status == "OVERDUE" {
			overdue = b.Count
		}
	}
	if out.S.DocumentCount != 33 || out.S.TaskCount != 413 || overdue != 17 || out.S.WorkingGroupCount != 64 || out.Provinces.TotalCount != 63 {
		t.Fatalf("review figures over HTTP: %+v", out)
	}
	// The charts and reports are routed behind the same sign-in: the
	// browser's session cookie on a GET, no CSRF token needed.
	for path, ctype := range map[string]string{"/charts/status-by-unit.png?asOf=2023-12-21": "image/png", "/reports/46/2023Q4.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"} {
		res, err := s.c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != ctype {
			t.Fatalf("%s: %d %s", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
		if res, err = http.Get(base + path); err != nil || res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("%s signed out: %v %v", path, res.StatusCode, err)
		}
		res.Body.Close()
	}
}

func TestConfigErrorsAreClear(t *testing.T) {
	t.Parallel()
	for env, want := range map[string]string{
		"P06_SEED":          "P06_SEED must be none, reference or demo",
		"P06_INTROSPECTION": "P06_INTROSPECTION must be on or off",
		"P06_LOG_LEVEL":     "P06_LOG_LEVEL must be",
		"P06_DB_MAX_CONNS":  "P06_DB_MAX_CONNS must be a whole number of connections from 1 to 1000",
		"P06_PPROF":         "P06_PPROF must be an address like 127.0.0.1:6060",
		"P06_PDF_FONT":      "P06_PDF_FONT: open bogus",
		"P06_FREEZE_AT":     "P06_FREEZE_AT must be a time of day like 06:00",
	} {
		err := run(context.Background(), nil, func(k string) string {
			if k == env {
				return "bogus"
			}
			return ""
		}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s=bogus: %v, want %q", env, err, want)
		}
	}
}

// A production install starts without users; the admin command creates the
// first administrator from a password on standard input, who can then sign in.
func TestAdminCreateThenSignIn(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{"P06_ADDR": "127.0.0.1:0", "P06_DATA_DIR": dir, "P06_SEED": "reference"}
	getenv := func(k string) string { return env[k] }
	var out bytes.Buffer
	ctx := context.WithValue(context.Background(), stdinKey{}, strings.NewReader("a-long-secret-1\n"))
	err := run(ctx, []string{"admin", "create", "--username", "Root", "--name", "Quản trị"}, getenv, &out, io.Discard)
	if err != nil || !strings.Contains(out.String(), "created administrator root") {
		t.Fatalf("admin create: %v\n%s", err, out.String())
	}
	ctx = context.WithValue(context.Background(), stdinKey{}, strings.NewReader("another-secret-2\n"))
	err = run(ctx, []string{"admin", "create", "--username", "root", "--name", "x"}, getenv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "đã có người dùng") {
		t.Fatalf("second admin create with the same name: %v", err)
	}
	base := startServer(t, env)
	s := newSession(t, base)
	s.login("root", "a-long-secret-1")
	var me struct {
		Me struct {
			User   struct{ Username string }
			Grants []struct {
				Role    string
				OrgUnit struct{ Code string }
			}
		}
		Users struct{ TotalCount int }
	}
	s.must(`{ me { user { username } grants { role orgUnit { code } } } users { totalCount } }`, &me)
	if me.Me.User.Username != "root" || len(me.Me.Grants) != 1 || me.Me.Grants[0].Role != "ADMIN" || me.Users.TotalCount != 1 {
		t.Fatalf("me = %+v", me)
	}
}

// With P06_PPROF the process serves its profiler and counters on a second
// address: the counters follow the GraphQL requests and the SQL they ran;
// the main address serves neither.
func TestDebugListener(t *testing.T) {
	t.Parallel()
	env := map[string]string{"P06_ADDR": "127.0.0.1:0", "P06_DATA_DIR": t.TempDir(), "P06_PPROF": "127.0.0.1:0",
		"P06_DB_MAX_CONNS": "3"}
	base, before := startServerOut(t, env)
	var debug string
	for _, l := range before {
		if a, ok := strings.CutPrefix(l, "debug on "); ok {
			debug = a
		}
	}
	if debug == "" {
		t.Fatalf("no debug address printed: %q", before)
	}
	counters := func() map[string]int64 {
		res, err := http.Get(debug + "/debug/vars")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var v struct{ P06 map[string]int64 }
		if err := json.NewDecoder(res.Body).Decode(&v); err != nil {
			t.Fatal(err)
		}
		return v.P06
	}
	c0 := counters()
	s := newSession(t, base)
	s.login("vpcp", "demo-password")
	var out struct{ Tasks struct{ TotalCount int } }
	s.must(`{ tasks { totalCount } }`, &out)
	c1 := counters()
	if c0["db_pool_max"] != 3 || c1["graphql_requests"]-c0["graphql_requests"] < 2 || c1["sql_statements"] <= c0["sql_statements"] {
		t.Fatalf("counters before %v, after %v", c0, c1)
	}
	res, err := http.Get(debug + "/debug/pprof/")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("profiler index: %v %v", res, err)
	}
	res.Body.Close()
	for _, p := range []string{"/debug/vars", "/debug/pprof/"} {
		res, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Errorf("%s is served on the main address", p)
		}
	}
}

// The debug listener has no sign-in, so it may listen only on this machine.
func TestDebugListenerOnlyOnLoopback(t *testing.T) {
	t.Parallel()
	for _, a := range []string{"0.0.0.0:6060", ":6060", "[::]:6060", "10.0.0.5:6060", "example.org:6060"} {
		_, err := loadConfig(func(k string) string { return map[string]string{"P06_PPROF": a}[k] })
		if err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("P06_PPROF=%s: %v", a, err)
		}
	}
	for _, a := range []string{"127.0.0.1:6060", "[::1]:6060", "localhost:6060", "127.0.0.1:0"} {
		if _, err := loadConfig(func(k string) string { return map[string]string{"P06_PPROF": a}[k] }); err != nil {
			t.Errorf("P06_PPROF=%s: %v", a, err)
		}
	}
}

// TestReportConcurrencyConfig: P06_REPORT_CONCURRENCY is a whole number
// from 1 to 256; absent, the reports render GOMAXPROCS at once.
func TestReportConcurrencyConfig(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"0", "-1", "1.5", "many", "257"} {
		_, err := loadConfig(func(k string) string { return map[string]string{"P06_REPORT_CONCURRENCY": v}[k] })
		if err == nil || !strings.Contains(err.Error(), "P06_REPORT_CONCURRENCY must be") {
			t.Errorf("P06_REPORT_CONCURRENCY=%s: %v", v, err)
		}
	}
	if c, err := loadConfig(func(k string) string { return map[string]string{"P06_REPORT_CONCURRENCY": "3"}[k] }); err != nil || c.renders != 3 {
		t.Errorf("3: %d %v", c.renders, err)
	}
}
