package graph_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"p06/auth"
	"p06/graph"
	"p06/rbac"
	"p06/seeds/seedtest"
	"p06/store"
)

// TestIntrospectionRefusalIsCoded: the IDE introspects on every page load,
// signed in or not. A signed-out caller is told to sign in (UNAUTHENTICATED,
// in their language), a server with introspection turned off says so
// (FORBIDDEN); neither is a server failure, so nothing is logged at ERROR.
func TestIntrospectionRefusalIsCoded(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		authz, err := rbac.NewAuthorizer(ctx, db, 0)
		if err != nil {
			t.Fatal(err)
		}
		svc := auth.NewService(db, authz, store.FixedClock(today), auth.DefaultConfig)
		us, _, err := svc.ListUsers(ctx, rbac.National(), auth.UserFilter{Search: "viewer-46"}, store.Page{Limit: 10})
		if err != nil || len(us) != 1 {
			t.Fatalf("viewer-46: %v %v", us, err)
		}
		viewer := &auth.Identity{User: us[0], Method: auth.MethodSession, CSRFOK: true}
		logs := &logRecorder{}
		log := slog.New(logs)
		serve := func(lim graph.Limits) (signedOut, signedIn *client) {
			r := graph.NewResolver(db, svc, store.FixedClock(today))
			h := graph.NewHandler(r, lim, log)
			out := httptest.NewServer(svc.Middleware(h))
			in := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				h.ServeHTTP(w, req.WithContext(auth.WithIdentity(req.Context(), viewer)))
			}))
			t.Cleanup(out.Close)
			t.Cleanup(in.Close)
			return &client{t: t, url: out.URL}, &client{t: t, url: in.URL}
		}
		const schemaQuery = `query IntrospectionQuery { __schema { queryType { name } } }`
		refused := func(c *client, query, lang, wantCode, wantText string) {
			t.Helper()
			r := c.do(query, nil, nil, "Accept-Language", lang)
			if len(r.Errors) != 1 || code(r) != wantCode || !strings.Contains(r.Errors[0].Message, wantText) || string(r.Data) != "" && string(r.Data) != "null" {
				t.Errorf("%s (Accept-Language %q): data %s, errors %+v; want one %s error saying %q", query, lang, r.Data, r.Errors, wantCode, wantText)
			}
		}

		anon, viewer46 := serve(graph.DefaultLimits)
		refused(anon, schemaQuery, "", "UNAUTHENTICATED", "cần đăng nhập")
		refused(anon, schemaQuery, "en-GB,en;q=0.8", "UNAUTHENTICATED", "sign-in required")
		refused(anon, `{ __type(name: "Task") { name } }`, "en", "UNAUTHENTICATED", "sign-in required")
		// Hidden behind fragments, as the standard introspection query does.
		refused(anon, `query { ...A } fragment A on Query { ... on Query { ...B } } fragment B on Query { __schema { types { name } } }`,
			"en", "UNAUTHENTICATED", "sign-in required")
		// An ended session says so.
		r := anon.do(schemaQuery, nil, nil, "Accept-Language", "en", "Cookie", auth.SessionCookie+"=no-such-session")
		if code(r) != "UNAUTHENTICATED" || !strings.Contains(r.Errors[0].Message, "session has expired or ended") {
			t.Errorf("introspection with an ended session: %+v", r.Errors)
		}
		var typename struct {
			Typename string `json:"__typename"`
		}
		if r := anon.do(`{ __typename }`, nil, &typename); len(r.Errors) > 0 || typename.Typename != "Query" {
			t.Errorf("__typename signed out: %+v %+v", typename, r.Errors)
		}
		var schema struct {
			Schema struct{ QueryType struct{ Name string } } `json:"__schema"`
		}
		if r := viewer46.do(schemaQuery, nil, &schema); len(r.Errors) > 0 || schema.Schema.QueryType.Name != "Query" {
			t.Errorf("signed in: %+v %+v", schema, r.Errors)
		}

		off := graph.DefaultLimits
		off.Introspection = false
		anonOff, viewerOff := serve(off)
		refused(viewerOff, schemaQuery, "", "FORBIDDEN", "tắt tra cứu lược đồ")
		refused(viewerOff, schemaQuery, "en", "FORBIDDEN", "introspection is turned off")
		refused(anonOff, schemaQuery, "en", "FORBIDDEN", "introspection is turned off")

		logs.noErrors(t)
	})
}
