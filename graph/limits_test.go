package graph_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

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
	t.Parallel()
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
	}
	for _, c := range cases {
		for who, cl := range map[string]*client{"anonymous": anon, "signed-in": signed} {
			var r response
			took, alloc := measured(func() { r = cl.do(c.query, nil, nil) })
			if c.code != "" && code(r) != c.code {
				t.Errorf("%s, %s: %+v", c.name, who, r.Errors)
			}
			if took > time.Second || alloc > 100<<20 {
				t.Errorf("%s, %s: took %v and allocated %d MB", c.name, who, took, alloc>>20)
			}
			t.Logf("%s, %s: %v, %d KB, %d bytes of query", c.name, who, took, alloc>>10, len(c.query))
		}
	}
	// Messages follow Accept-Language.
	r := anon.do(cases[0].query, nil, nil, "Accept-Language", "en")
	if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "more than the limit of 1000") {
		t.Errorf("English message: %+v", r.Errors)
	}
	r = anon.do(cases[0].query, nil, nil)
	if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "vượt giới hạn 1000") {
		t.Errorf("Vietnamese message: %+v", r.Errors)
	}
}

// Documents just inside the bounds, built to be slow for gqlparser's own
// validation rules (overlapping fields compared pairwise), still validate
// quickly.
func TestLargestAcceptedDocumentsValidateQuickly(t *testing.T) {
	t.Parallel()
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
	sameObject := "{ " + strings.Repeat(`x: orgUnit(code: "VN") { `+strings.Repeat("code ", 99)+"} ", 10) + "}"
	for name, q := range map[string]string{"same field 100 times": sameName, "same object ten times": sameObject, "30 overlapping fragments": frags.String()} {
		var r response
		took, alloc := measured(func() { r = c.do(q, nil, nil) })
		if code(r) == "QUERY_TOO_COMPLEX" || code(r) == "QUERY_TOO_DEEP" {
			t.Errorf("%s refused: %+v", name, r.Errors)
		}
		if took > time.Second || alloc > 100<<20 {
			t.Errorf("%s: took %v and allocated %d MB", name, took, alloc>>20)
		}
		t.Logf("%s: %v, %d KB", name, took, alloc>>10)
	}
}
