package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// runJSON runs the tool with args (and --json) and decodes its result.
func runJSON(t *testing.T, args ...string) result {
	t.Helper()
	var out, errOut strings.Builder
	if err := run(context.Background(), append(args, "--json"), &out, &errOut); err != nil {
		t.Fatalf("load %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	var r result
	if err := json.Unmarshal([]byte(out.String()), &r); err != nil {
		t.Fatalf("output %q: %v", out.String(), err)
	}
	return r
}

// The P1 scenario signs in as vpcp with the session cookie and sends the
// CSRF token, counts the server's SQL statements per request from its
// expvar counters, and signs out at the end.
func TestSignedInRunWithServerCounters(t *testing.T) {
	f := newFakeP06(0)
	srv := httptest.NewServer(f)
	defer srv.Close()
	vars := httptest.NewServer(f.varsHandler())
	defer vars.Close()

	r := runJSON(t, "--url", srv.URL, "--scenario", "p1", "-c", "2", "-d", "100ms", "--warmup", "50ms",
		"--vars", vars.URL+"/debug/vars", "--label", "ours")
	if r.Label != "ours" || r.Scenario != "p1" || r.Mode != "closed" || r.Clients != 2 || r.Requests == 0 || r.Errors != 0 {
		t.Fatalf("result %+v", r)
	}
	if r.SQLPerReq == nil || *r.SQLPerReq != 7 || r.ServerRequests == nil || *r.ServerRequests != int64(r.Requests) {
		t.Errorf("sql/req %v, server requests %v for %d requests: want 7 and the same count", r.SQLPerReq, r.ServerRequests, r.Requests)
	}
	calls := f.calls()
	if calls[0] != "login vpcp" || calls[len(calls)-1] != "logout cookie" {
		t.Errorf("calls from %q to %q, want login vpcp … logout", calls[0], calls[len(calls)-1])
	}
	for _, c := range calls[1 : len(calls)-1] {
		if c != "query cookie" {
			t.Fatalf("a request of the run was %q, want a query with the session cookie", c)
		}
	}
	// No CPU asked for: none reported.
	if r.ServerCPUMS != nil || r.PGCPUMS != nil {
		t.Errorf("cpu reported without --pid or --pg-db: %v %v", r.ServerCPUMS, r.PGCPUMS)
	}
}

func TestWrongPasswordSaysHow(t *testing.T) {
	srv := httptest.NewServer(newFakeP06(0))
	defer srv.Close()
	var out, errOut strings.Builder
	err := run(context.Background(), []string{"--url", srv.URL, "--password", "nope-nope-nope", "-d", "10ms"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "signing in as vpcp: wrong username or password") || !strings.Contains(err.Error(), "P06_DEMO_PASSWORD") {
		t.Fatalf("err = %v", err)
	}
}

// With --auth token the run uses an API token made with the session, and
// revokes it afterwards.
func TestTokenAuth(t *testing.T) {
	f := newFakeP06(0)
	srv := httptest.NewServer(f)
	defer srv.Close()
	r := runJSON(t, "--url", srv.URL, "--scenario", "p2", "--user", "c06", "--auth", "token", "-c", "1", "-d", "50ms", "--warmup", "0")
	if r.Requests == 0 || r.Errors != 0 {
		t.Fatalf("result %+v", r)
	}
	calls := f.calls()
	want := []string{"login c06", "createApiToken cookie"}
	if !slices.Equal(calls[:2], want) || !slices.Equal(calls[len(calls)-2:], []string{"revokeApiToken T1 cookie", "logout cookie"}) {
		t.Fatalf("calls %q", calls)
	}
	for _, c := range calls[2 : len(calls)-2] {
		if c != "query token" {
			t.Fatalf("a request of the run was %q, want a query with the bearer token only", c)
		}
	}
}

// A generic endpoint (PostGraphile): the given query and headers, no
// sign-in; --once prints the answer.
func TestQueryFileWithoutSignIn(t *testing.T) {
	f := newFakeP06(0)
	srv := httptest.NewServer(f)
	defer srv.Close()
	qf := filepath.Join(t.TempDir(), "pg5-p1.graphql")
	os.WriteFile(qf, []byte(`{ allTasks(first: 50) { nodes { id } } }`), 0o644)
	r := runJSON(t, "--url", srv.URL, "--query-file", qf, "--header", "Authorization: Bearer p06_tok1", "--header", "X-Test: 1",
		"-c", "1", "-d", "50ms", "--warmup", "0")
	if r.Scenario != "pg5-p1" || r.Label != srv.URL || r.Requests == 0 || r.Errors != 0 {
		t.Fatalf("result %+v", r)
	}
	for _, c := range f.calls() {
		if c != "query token X-Test=1" {
			t.Fatalf("call %q: want only the query, with the headers given", c)
		}
	}
	var out, errOut strings.Builder
	if err := run(context.Background(), []string{"--url", srv.URL, "--query-file", qf, "--once"}, &out, &errOut); err == nil {
		t.Fatal("--once without credentials: no error")
	} else if !strings.Contains(err.Error(), "UNAUTHENTICATED") || !strings.Contains(out.String(), `"errors"`) {
		t.Fatalf("--once: err %v, printed %q", err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"--url", srv.URL, "--query-file", qf, "--once", "--token", "p06_tok1"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if out.String() != `{"data":{"tasks":{"nodes":[]}}}`+"\n" {
		t.Errorf("--once printed %q", out.String())
	}
}

// The write mix gives each client assignments of its own: no conflicts,
// every write sends the version it last saw.
func TestWriteMixOwnAssignments(t *testing.T) {
	f := newFakeP06(10)
	srv := httptest.NewServer(f)
	defer srv.Close()
	r := runJSON(t, "--url", srv.URL, "--scenario", "write", "-c", "3", "--write-ratio", "0.5", "-d", "100ms", "--warmup", "0")
	if r.Writes == 0 || r.Conflicts != 0 || r.Errors != 0 || r.Writes > r.Requests/2+3 {
		t.Fatalf("result %+v", r)
	}
	if calls := f.calls(); calls[0] != "login hue" {
		t.Errorf("the write mix signed in as %q, want hue", calls[0])
	}
	var out, errOut strings.Builder
	err := run(context.Background(), []string{"--url", srv.URL, "--scenario", "write", "-c", "11", "-d", "10ms"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "11 clients, but the user reads only 10 assignments") {
		t.Errorf("more clients than assignments: %v", err)
	}
}

// A write refused as CONFLICT is not an error: the client takes the
// version from the answer and its next write goes through.
func TestWriterTakesTheVersionOfAConflict(t *testing.T) {
	f := newFakeP06(1)
	f.versions["A0"] = 3 // someone saved twice since the list was read
	srv := httptest.NewServer(f)
	defer srv.Close()
	tg := newTarget(srv.URL, 1, 0, nil)
	tg.headers.Set("Authorization", "Bearer p06_tok1")
	w := &writer{ratio: 1, ids: []string{"A0"}, versions: map[string]int{"A0": 1}}
	if o := w.do(context.Background(), tg); o.err != nil || !o.conflict || !o.write {
		t.Fatalf("first write: %+v", o)
	}
	if o := w.do(context.Background(), tg); o.err != nil || o.conflict {
		t.Fatalf("second write: %+v", o)
	}
	if got := f.calls(); !slices.Equal(got, []string{"update A0@1 token", "update A0@3 token"}) {
		t.Errorf("writes %q", got)
	}
}

func TestServerVars(t *testing.T) {
	f := newFakeP06(0)
	f.statements.Store(700)
	vars := httptest.NewServer(f.varsHandler())
	defer vars.Close()
	v, err := serverVars(context.Background(), vars.URL)
	if err != nil || v["sql_statements"] != 700 || v["graphql_requests"] != 0 {
		t.Fatalf("vars %v, %v", v, err)
	}
	other := httptest.NewServer(httptestJSON(`{"cmdline": ["postgraphile"]}`))
	defer other.Close()
	if _, err := serverVars(context.Background(), other.URL); err == nil || !strings.Contains(err.Error(), "no p06.sql_statements") {
		t.Errorf("a server without the counters: %v", err)
	}
}

// A request whose answer is only checked fails as one decoded would: an
// answer with errors (wherever the member is), a body that is not a JSON
// object, an HTTP error; an answer whose data merely holds the word
// "errors" is a success.
func TestCheckedAnswers(t *testing.T) {
	answers := map[string]struct {
		status int
		body   string
		want   string // in the error; "" for none
	}{
		"data":              {200, `{"data":{"tasks":{"nodes":[{"title":"errors"}]}}}`, ""},
		"data and errors":   {200, `{"data":{"tasks":null},"errors":[{"message":"no","extensions":{"code":"FORBIDDEN"}}]}`, "GraphQL error FORBIDDEN: no"},
		"errors first":      {200, ` {"errors":[{"message":"bad","extensions":{"code":"INVALID"}}],"data":null}` + "\n", "GraphQL error INVALID: bad"},
		"not JSON":          {200, `<html>proxy</html>`, "not a GraphQL answer"},
		"cut short":         {200, `{"data":{"tasks":`, "not a GraphQL answer"},
		"HTTP error":        {502, `bad gateway`, "HTTP 502"},
		"data, spaced out":  {200, "{\n  \"data\": {\"me\": null}\n}\n", ""},
		"escaped quote key": {200, `{"data":{"note":"say \"errors\" twice"}}`, ""},
	}
	for name, a := range answers {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(a.status)
				io.WriteString(w, a.body)
			}))
			defer srv.Close()
			tg := newTarget(srv.URL, 1, time.Second, nil)
			err := tg.check(context.Background(), []byte(`{"query":"{ me { user { username } } }"}`))
			switch {
			case a.want == "" && err != nil:
				t.Fatalf("check: %v, want no error", err)
			case a.want != "" && (err == nil || !strings.Contains(err.Error(), a.want)):
				t.Fatalf("check: %v, want an error with %q", err, a.want)
			}
		})
	}
}
