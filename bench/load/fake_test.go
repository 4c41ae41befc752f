package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

// fakeP06 answers this tool as a p06 server does: login sets the
// p06_session and p06_csrf cookies; every other request needs the session
// cookie or a bearer token, and a mutation sent with the cookie needs the
// CSRF token in X-CSRF-Token. It counts requests and "SQL statements" (7
// a query, as the P1 page costs) for its expvar endpoint.
type fakeP06 struct {
	password    string
	assignments int // how many the user reads

	requests, statements atomic.Int64
	mu                   sync.Mutex
	log                  []string       // what was asked, and how it was signed in
	versions             map[string]int // assignment → version
}

func newFakeP06(assignments int) *fakeP06 {
	f := &fakeP06{password: "demo-password", assignments: assignments, versions: map[string]int{}}
	for i := range assignments {
		f.versions[fmt.Sprintf("A%d", i)] = 1
	}
	return f
}

func (f *fakeP06) record(s string) {
	f.mu.Lock()
	f.log = append(f.log, s)
	f.mu.Unlock()
}

func (f *fakeP06) calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

func gqlError(w http.ResponseWriter, code, msg string) {
	json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{"message": msg, "extensions": map[string]any{"code": code}}}})
}

func (f *fakeP06) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	var req struct {
		Query     string
		Variables map[string]any
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	q := req.Query
	if strings.Contains(q, "login(") {
		f.record("login " + fmt.Sprint(req.Variables["u"]))
		if req.Variables["p"] != f.password {
			json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"login": map[string]any{"me": nil, "userErrors": []any{map[string]any{"message": "wrong username or password"}}}}})
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "p06_session", Value: "s1", HttpOnly: true, Path: "/"})
		http.SetCookie(w, &http.Cookie{Name: "p06_csrf", Value: "c1", Path: "/"})
		fmt.Fprint(w, `{"data":{"login":{"me":{"csrfToken":"c1"},"userErrors":[]}}}`)
		return
	}
	how := ""
	switch c, _ := r.Cookie("p06_session"); {
	case r.Header.Get("Authorization") == "Bearer p06_tok1":
		how = "token"
	case c != nil && c.Value == "s1":
		how = "cookie"
		if strings.HasPrefix(strings.TrimSpace(q), "mutation") && r.Header.Get("X-CSRF-Token") != "c1" {
			gqlError(w, "FORBIDDEN", "missing CSRF token")
			return
		}
	default:
		gqlError(w, "UNAUTHENTICATED", "sign in")
		return
	}
	if x := r.Header.Get("X-Test"); x != "" {
		how += " X-Test=" + x
	}
	f.statements.Add(7)
	switch {
	case strings.Contains(q, "createApiToken"):
		f.record("createApiToken " + how)
		fmt.Fprint(w, `{"data":{"createApiToken":{"apiToken":{"id":"T1"},"token":"p06_tok1","userErrors":[]}}}`)
	case strings.Contains(q, "revokeApiToken"):
		f.record(fmt.Sprintf("revokeApiToken %v %s", req.Variables["id"], how))
		fmt.Fprint(w, `{"data":{"revokeApiToken":{"userErrors":[]}}}`)
	case strings.Contains(q, "logout"):
		f.record("logout " + how)
		fmt.Fprint(w, `{"data":{"logout":{"ok":true}}}`)
	case strings.Contains(q, "assignments("):
		f.record("assignments " + how)
		// Pages of 4, the cursor is the index to start at.
		from := 0
		if a, ok := req.Variables["after"].(string); ok {
			fmt.Sscan(a, &from)
		}
		var nodes []any
		f.mu.Lock()
		for i := from; i < min(from+4, f.assignments); i++ {
			id := fmt.Sprintf("A%d", i)
			nodes = append(nodes, map[string]any{"id": id, "version": f.versions[id]})
		}
		f.mu.Unlock()
		next := from+4 < f.assignments
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"assignments": map[string]any{
			"nodes": nodes, "pageInfo": map[string]any{"hasNextPage": next, "endCursor": fmt.Sprint(from + 4)}}}})
	case strings.Contains(q, "updateAssignment"):
		in, _ := req.Variables["in"].(map[string]any)
		id, _ := in["assignment"].(string)
		expected, _ := in["expectedVersion"].(float64)
		f.mu.Lock()
		v, ok := f.versions[id]
		conflict := ok && int(expected) != v
		if ok && !conflict {
			v++
			f.versions[id] = v
		}
		f.log = append(f.log, fmt.Sprintf("update %s@%d %s", id, int(expected), how))
		f.mu.Unlock()
		var ues []any
		if !ok {
			gqlError(w, "NOT_FOUND", "no such assignment")
			return
		}
		if conflict {
			ues = append(ues, map[string]any{"field": "input.expectedVersion", "code": "CONFLICT", "message": "someone else saved first"})
		}
		json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"updateAssignment": map[string]any{
			"assignment": map[string]any{"id": id, "version": v}, "userErrors": ues}}})
	default:
		f.record("query " + how)
		fmt.Fprint(w, `{"data":{"tasks":{"nodes":[]}}}`)
	}
}

// varsHandler serves the counters as the server's /debug/vars does.
func (f *fakeP06) varsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"cmdline":  []string{"p06"},
			"memstats": map[string]any{"Alloc": 123, "PauseNs": []int{1, 2}},
			"p06": map[string]int64{"graphql_requests": f.requests.Load(), "sql_statements": f.statements.Load(),
				"db_pool_max": 20, "goroutines": 9},
		})
	})
}

func httptestJSON(body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, body)
	})
}
