package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	neturl "net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"p06/auth"
	"p06/graph"
	"p06/rbac"
	"p06/seeds/seedtest"
	"p06/store"
)

// browser talks to the whole stack (auth middleware included) with a cookie
// jar, as the single-page app does.
type browser struct {
	t       *testing.T
	url     string
	c       *http.Client
	csrf    string
	headers map[string]string
}

// newStack serves the whole HTTP stack on a fresh demo database. Its clock
// is the real one: these tests use a real cookie jar, which reads the real
// clock (a fixed server clock would hand it cookies from another day).
func newStack(t *testing.T, lim graph.Limits) (*store.DB, string) {
	return newStackAt(t, lim, store.ShiftedClock(0))
}

// newStackAt is newStack with the server's clock set to clock.
func newStackAt(t *testing.T, lim graph.Limits, clock store.Clock) (*store.DB, string) {
	t.Helper()
	db := seedtest.Fresh(t, store.SQLite)
	ctx := context.Background()
	authz, err := rbac.NewAuthorizer(ctx, db, 0)
	if err != nil {
		t.Fatal(err)
	}
	svc := auth.NewService(db, authz, clock, auth.DefaultConfig)
	r := graph.NewResolver(db, svc, clock)
	srv := httptest.NewServer(svc.Middleware(graph.NewHandler(r, lim, slog.New(slog.NewTextHandler(io.Discard, nil)))))
	t.Cleanup(srv.Close)
	return db, srv.URL
}

func newBrowser(t *testing.T, url string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, url: url, c: &http.Client{Jar: jar}, headers: map[string]string{}}
}

func (b *browser) do(query string, vars map[string]any, out any) response {
	b.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, b.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if b.csrf != "" {
		req.Header.Set(auth.CSRFHeader, b.csrf)
	}
	for k, v := range b.headers {
		req.Header.Set(k, v)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	var r response
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		b.t.Fatal(err)
	}
	if out != nil && len(r.Data) > 0 && string(r.Data) != "null" {
		if err := json.Unmarshal(r.Data, out); err != nil {
			b.t.Fatal(err)
		}
	}
	return r
}

type loginOut struct {
	Login struct {
		Me *struct {
			CsrfToken  string
			AuthMethod string
			User       struct{ Username string }
		}
		UserErrors []struct {
			Field   []string
			Message string
			Code    string
		}
	}
}

const loginMutation = `mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) {
	me { csrfToken authMethod user { username } } userErrors { field message code } } }`

func (b *browser) login(username string) {
	b.t.Helper()
	var out loginOut
	b.do(loginMutation, map[string]any{"u": username, "p": "demo-password"}, &out)
	if out.Login.Me == nil {
		b.t.Fatalf("login %s: %+v", username, out.Login.UserErrors)
	}
	b.csrf = out.Login.Me.CsrfToken
}

func code(r response) string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

func TestLoginSessionAndCSRF(t *testing.T) {
	t.Parallel()
	db, url := newStack(t, graph.DefaultLimits)
	b := newBrowser(t, url)

	var me struct {
		Me *struct{ User struct{ Username string } }
	}
	if r := b.do(`{ me { user { username } } }`, nil, &me); len(r.Errors) > 0 || me.Me != nil {
		t.Fatalf("signed out: me = %+v, %+v", me.Me, r.Errors)
	}
	var bad loginOut
	b.do(loginMutation, map[string]any{"u": "hue", "p": "wrong-password"}, &bad)
	if bad.Login.Me != nil || len(bad.Login.UserErrors) != 1 || bad.Login.UserErrors[0].Code != "UNAUTHENTICATED" {
		t.Fatalf("wrong password: %+v", bad.Login)
	}
	b.login("hue")
	cookies := b.c.Jar.Cookies(mustURL(url))
	var session, csrf *http.Cookie
	for _, c := range cookies {
		switch c.Name {
		case auth.SessionCookie:
			session = c
		case auth.CSRFCookie:
			csrf = c
		}
	}
	if session == nil || csrf == nil || csrf.Value != b.csrf {
		t.Fatalf("cookies after login: %v", cookies)
	}
	var out struct {
		Me struct {
			User        struct{ Username string }
			OrgUnit     struct{ Name string }
			AuthMethod  string
			Permissions []struct {
				Permission string
				OrgUnits   []struct{ Code string }
			}
		}
		Tasks struct{ TotalCount int }
	}
	if r := b.do(`{ me { user { username } orgUnit { name } authMethod permissions { permission orgUnits { code } } } tasks { totalCount } }`, nil, &out); len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	if out.Me.User.Username != "hue" || out.Me.OrgUnit.Name != "Thừa Thiên Huế" || out.Me.AuthMethod != "SESSION" || out.Tasks.TotalCount == 0 {
		t.Fatalf("me = %+v", out)
	}
	perms := map[string]string{}
	for _, p := range out.Me.Permissions {
		perms[p.Permission] = p.OrgUnits[0].Code
	}
	if perms["UPDATE_ASSIGNMENT"] != "46" || perms["READ_DATA"] != "46" || perms["ADMIN_USERS"] != "" {
		t.Fatalf("permissions = %v", perms)
	}

	// A mutation with the cookie but without the CSRF header is refused.
	saved := b.csrf
	b.csrf = ""
	const tokenMutation = `mutation { createApiToken(input: {name: "tích hợp"}) { token userErrors { message } } }`
	if r := b.do(tokenMutation, nil, nil); code(r) != "FORBIDDEN" || !strings.Contains(r.Errors[0].Message, auth.CSRFHeader) {
		t.Fatalf("mutation without CSRF token: %+v", r.Errors)
	}
	b.csrf = "forged"
	if r := b.do(tokenMutation, nil, nil); code(r) != "FORBIDDEN" {
		t.Fatalf("mutation with a wrong CSRF token: %+v", r.Errors)
	}
	b.csrf = saved
	var tok struct{ CreateApiToken struct{ Token string } }
	if r := b.do(tokenMutation, nil, &tok); len(r.Errors) > 0 || !strings.HasPrefix(tok.CreateApiToken.Token, auth.TokenPrefix) {
		t.Fatalf("mutation with the CSRF token: %+v %+v", tok, r.Errors)
	}

	// The API token works without cookies or CSRF, even for mutations, but
	// cannot mint more tokens (it would outlive its own expiry or revocation).
	api := newBrowser(t, url)
	api.headers["Authorization"] = "Bearer " + tok.CreateApiToken.Token
	if r := api.do(`mutation { createApiToken(input: {name: "thứ hai"}) { token } }`, nil, nil); code(r) != "FORBIDDEN" {
		t.Fatalf("a token minting a token: %+v", r.Errors)
	}
	var mine struct {
		ApiTokens []struct{ ID string }
	}
	if r := api.do(`{ apiTokens { id } }`, nil, &mine); len(r.Errors) > 0 || len(mine.ApiTokens) != 1 {
		t.Fatalf("apiTokens with the token: %+v %+v", mine, r.Errors)
	}
	var rv struct {
		RevokeApiToken struct{ UserErrors []struct{ Message string } }
	}
	if r := api.do(`mutation($id: ID!) { revokeApiToken(input: {apiToken: $id}) { userErrors { message } } }`,
		map[string]any{"id": mine.ApiTokens[0].ID}, &rv); len(r.Errors) > 0 || len(rv.RevokeApiToken.UserErrors) > 0 {
		t.Fatalf("a token revoking itself: %+v %+v", rv, r.Errors)
	}
	if r := api.do(`{ me { user { username } } }`, nil, nil); code(r) != "UNAUTHENTICATED" {
		t.Fatalf("the revoked token still works: %+v", r)
	}

	// Logout ends the session: the old cookie no longer works.
	var lo struct{ Logout struct{ Ok bool } }
	if r := b.do(`mutation { logout { ok } }`, nil, &lo); len(r.Errors) > 0 || !lo.Logout.Ok {
		t.Fatalf("logout: %+v", r.Errors)
	}
	replay := newBrowser(t, url)
	replay.headers["Cookie"] = auth.SessionCookie + "=" + session.Value
	if r := replay.do(`{ tasks { totalCount } }`, nil, nil); code(r) != "UNAUTHENTICATED" || !strings.Contains(r.Errors[0].Message, "phiên") {
		t.Fatalf("replayed cookie after logout: %+v", r.Errors)
	}
	ctx := context.Background()
	for _, action := range []string{"login", "login.failed", "logout", "token.create"} {
		if n, _ := db.NewSelect().Table("audit_log").Where("action = ?", action).Count(ctx); n == 0 {
			t.Errorf("no %s in the audit log", action)
		}
	}
	// The log says how each actor signed in.
	for action, via := range map[string]string{"token.create": "session:%", "token.revoke": "api_token:%"} {
		if n, _ := db.NewSelect().Table("audit_log").Where("action = ? AND via LIKE ?", action, via).Count(ctx); n != 1 {
			t.Errorf("%s rows with via %s: %d, want 1", action, via, n)
		}
	}
}

// A user disabled by an administrator is refused at their very next
// request, though their session was in use a moment before (the server
// keeps sessions in use in memory for a second: disabling forgets them).
func TestDisabledUserIsRefusedAtOnce(t *testing.T) {
	t.Parallel()
	_, url := newStack(t, graph.DefaultLimits)
	admin, hue := newBrowser(t, url), newBrowser(t, url)
	admin.login("admin")
	hue.login("hue")
	var me struct {
		Me struct{ User struct{ ID, Username string } }
	}
	for range 2 {
		if r := hue.do(`{ me { user { id username } } }`, nil, &me); len(r.Errors) > 0 || me.Me.User.Username != "hue" {
			t.Fatalf("hue signed in: %+v %+v", me, r.Errors)
		}
	}
	var out struct {
		DisableUser struct{ UserErrors []struct{ Message string } }
	}
	if r := admin.do(`mutation($id: ID!) { disableUser(input: {user: $id}) { userErrors { message } } }`,
		map[string]any{"id": me.Me.User.ID}, &out); len(r.Errors) > 0 || len(out.DisableUser.UserErrors) > 0 {
		t.Fatalf("disableUser: %+v %+v", out, r.Errors)
	}
	if r := hue.do(`{ me { user { username } } }`, nil, nil); code(r) != "UNAUTHENTICATED" {
		t.Fatalf("a disabled user's session after disableUser: %+v", r)
	}
}

func TestIntrospectionNeedsSignIn(t *testing.T) {
	t.Parallel()
	const q = `{ __schema { queryType { name } } }`
	_, url := newStack(t, graph.DefaultLimits)
	anon := newBrowser(t, url)
	if r := anon.do(q, nil, nil); len(r.Errors) == 0 {
		t.Fatal("introspection answered a signed-out caller")
	}
	b := newBrowser(t, url)
	b.login("viewer-46")
	var out struct {
		Schema struct{ QueryType struct{ Name string } } `json:"__schema"`
	}
	if r := b.do(q, nil, &out); len(r.Errors) > 0 || out.Schema.QueryType.Name != "Query" {
		t.Fatalf("signed in: %+v %+v", out, r.Errors)
	}
	lim := graph.DefaultLimits
	lim.Introspection = false
	_, offURL := newStack(t, lim)
	off := newBrowser(t, offURL)
	off.login("admin")
	if r := off.do(q, nil, nil); len(r.Errors) == 0 {
		t.Fatal("introspection answered with P06_INTROSPECTION=off")
	}
}

func TestMutationInputMistakesAreUserErrors(t *testing.T) {
	t.Parallel()
	_, url := newStack(t, graph.DefaultLimits)
	b := newBrowser(t, url)
	b.login("admin")
	b.headers["Accept-Language"] = "en"
	var out struct {
		CreateUser struct {
			User       *struct{ Username string }
			UserErrors []struct {
				Field   []string
				Message string
				Code    string
			}
		}
	}
	r := b.do(`mutation { createUser(input: {username: "new-user", displayName: "Người mới", orgUnit: "46", password: "short"}) {
		user { username } userErrors { field message code } } }`, nil, &out)
	if len(r.Errors) > 0 || out.CreateUser.User != nil || len(out.CreateUser.UserErrors) != 1 {
		t.Fatalf("short password: %+v %+v", out, r.Errors)
	}
	ue := out.CreateUser.UserErrors[0]
	if strings.Join(ue.Field, ".") != "input.password" || ue.Code != "INVALID" || !strings.Contains(ue.Message, "at least 10") {
		t.Fatalf("user error = %+v", ue)
	}
}

func mustURL(s string) *neturl.URL {
	u, err := neturl.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// TestSignInOnAnyDate runs the browser's flow (sign in, read, a mutation with
// the CSRF token, sign out) with the server's clock a year behind and a year
// ahead of the client's: the cookies' lifetime is counted by the client, so
// the suite passes whatever day it runs on.
func TestSignInOnAnyDate(t *testing.T) {
	t.Parallel()
	for name, shift := range map[string]time.Duration{"a year behind": -365 * 24 * time.Hour, "a year ahead": 365 * 24 * time.Hour} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, url := newStackAt(t, graph.DefaultLimits, store.ShiftedClock(shift))
			b := newBrowser(t, url)
			b.login("hue")
			var names []string
			for _, c := range b.c.Jar.Cookies(mustURL(url)) {
				names = append(names, c.Name)
			}
			if slices.Sort(names); strings.Join(names, ",") != auth.CSRFCookie+","+auth.SessionCookie {
				t.Fatalf("cookies after login: %v", names)
			}
			var me struct {
				Me *struct{ User struct{ Username string } }
			}
			if r := b.do(`{ me { user { username } } }`, nil, &me); len(r.Errors) > 0 || me.Me == nil || me.Me.User.Username != "hue" {
				t.Fatalf("me: %+v %+v", me.Me, r.Errors)
			}
			var tok struct{ CreateApiToken struct{ Token string } }
			if r := b.do(`mutation { createApiToken(input: {name: "ngày bất kỳ"}) { token } }`, nil, &tok); len(r.Errors) > 0 || tok.CreateApiToken.Token == "" {
				t.Fatalf("mutation with the session: %+v", r.Errors)
			}
			if r := b.do(`mutation { logout { ok } }`, nil, nil); len(r.Errors) > 0 {
				t.Fatalf("logout: %+v", r.Errors)
			}
			if cs := b.c.Jar.Cookies(mustURL(url)); len(cs) != 0 {
				t.Fatalf("cookies after logout: %v", cs)
			}
		})
	}
}
