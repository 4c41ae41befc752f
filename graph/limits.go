package graph

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/lexer"
	"github.com/vektah/gqlparser/v2/parser"
)

// The shape of a document is checked before gqlgen parses, validates and
// prices it. Every check that follows fragments (gqlgen's complexity,
// gqlparser's validation rules, the depth limit) expands each spread where it
// occurs, so a document whose fragments each spread the next one twice costs
// 2^N of them. docShape walks each fragment once (memoised) and counts what
// the expansion would hold; a document that expands past the bounds is
// refused before anything expands it.

// introspectionLists are the list fields of the introspection types. Their
// nesting bounds how much one introspection subtree can multiply: the
// standard query nests types → fields → args, three deep.
var introspectionLists = map[string]bool{
	"types": true, "fields": true, "args": true, "inputFields": true, "interfaces": true,
	"possibleTypes": true, "enumValues": true, "directives": true,
}

// shape is what a selection set expands to.
type shape struct {
	selections int64 // fields, counting each spread at each place it is spread
	aliases    int64 // aliased fields, counted the same way
	depth      int   // deepest ordinary field (introspection subtrees count 1)
	introDepth int   // deepest introspection subtree, its root field included
	introLists int   // most introspection list fields nested in one path
	direct     int64 // fields of the set itself, fragments flattened
	breadth    int64 // most fields of any one set, fragments flattened
}

// capped keeps counts from overflowing on exploding documents: anything past
// it is refused anyway.
const capped = int64(1) << 40

func add(a, b int64) int64 { return min(a+b, capped) }

// shaper computes shapes, each fragment once.
type shaper struct {
	frags   map[string]*ast.FragmentDefinition
	memo    map[string]shape
	visit   map[string]bool
	spreads int
}

func shapeOf(doc *ast.QueryDocument) (shape, int) {
	s := &shaper{frags: map[string]*ast.FragmentDefinition{}, memo: map[string]shape{}, visit: map[string]bool{}}
	for _, f := range doc.Fragments {
		s.frags[f.Name] = f
	}
	var out shape
	for _, op := range doc.Operations {
		out = merge(out, s.set(op.SelectionSet, false))
	}
	return out, s.spreads
}

// merge combines the shapes of sibling selections (sum counts, max depths).
func merge(a, b shape) shape {
	return shape{
		selections: add(a.selections, b.selections),
		aliases:    add(a.aliases, b.aliases),
		depth:      max(a.depth, b.depth),
		introDepth: max(a.introDepth, b.introDepth),
		introLists: max(a.introLists, b.introLists),
		direct:     add(a.direct, b.direct),
		breadth:    max(a.breadth, b.breadth),
	}
}

// set is the shape of a selection set; intro says it is inside an
// introspection subtree (under __schema or __type).
func (s *shaper) set(set ast.SelectionSet, intro bool) shape {
	var out shape
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			out = merge(out, s.field(sel, intro))
		case *ast.InlineFragment:
			out = merge(out, s.set(sel.SelectionSet, intro))
		case *ast.FragmentSpread:
			s.spreads++
			out = merge(out, s.fragment(sel.Name, intro))
		}
	}
	out.breadth = max(out.breadth, out.direct)
	return out
}

func (s *shaper) field(f *ast.Field, intro bool) shape {
	var alias int64
	if f.Alias != "" && f.Alias != f.Name {
		alias = 1
	}
	if f.Name == "__typename" {
		return shape{selections: 1, aliases: alias, direct: 1}
	}
	if !intro && (f.Name == "__schema" || f.Name == "__type") {
		c := s.set(f.SelectionSet, true)
		return shape{selections: add(1, c.selections), aliases: add(alias, c.aliases), depth: 1,
			introDepth: 1 + c.introDepth, introLists: c.introLists, direct: 1, breadth: c.breadth}
	}
	c := s.set(f.SelectionSet, intro)
	out := shape{selections: add(1, c.selections), aliases: add(alias, c.aliases),
		introDepth: c.introDepth, introLists: c.introLists, direct: 1, breadth: c.breadth}
	if intro {
		out.introDepth = 1 + c.introDepth
		if introspectionLists[f.Name] {
			out.introLists = 1 + c.introLists
		}
	} else {
		out.depth = 1 + c.depth
	}
	return out
}

// fragment is the shape of a named fragment, computed once. Which subtree a
// fragment may be spread in follows from its type condition (an
// introspection type or not); a spread elsewhere is a validation error.
func (s *shaper) fragment(name string, intro bool) shape {
	key := name
	if intro {
		key = "\x00" + name
	}
	if sh, ok := s.memo[key]; ok {
		return sh
	}
	f := s.frags[name]
	if f == nil || s.visit[key] {
		return shape{} // unknown fragments and cycles are validation errors
	}
	s.visit[key] = true
	sh := s.set(f.SelectionSet, intro)
	delete(s.visit, key)
	s.memo[key] = sh
	return sh
}

// docCheck refuses, before gqlgen parses and validates it, a document that
// expands past the limits, is nested too deep, or whose introspection
// subtrees nest too deep. Verdicts are cached per document text, so a query
// the client repeats is parsed here once.
type docCheck struct {
	lim   Limits
	cache graphql.Cache[*docVerdict]
}

type docVerdict struct{ code, vi, en string }

func newDocCheck(lim Limits) *docCheck {
	return &docCheck{lim: lim, cache: smallQueries[*docVerdict](1000)}
}

// MaxQueryBytes bounds the text of a query (the standard introspection
// query has 2 KB; the app's largest about 10 KB).
const MaxQueryBytes = 64 << 10

// MaxQueryTokens bounds the tokens of a query (names, punctuation, values),
// counted by the lexer before anything parses it. Every later check is then
// bounded too, gqlparser's validation included, which reports each unknown
// directive or argument and each unused variable or fragment one by one.
const MaxQueryTokens = 10000

// maxCachedQuery is the longest query text the caches keep (the parsed
// documents, the verdicts of docCheck, the persisted queries): a cache of
// 1,000 entries then holds at most a few megabytes however it is fed,
// and longer queries are just checked and parsed each time.
const maxCachedQuery = 8 << 10

// smallQueries is an LRU cache of n entries that keeps only entries whose
// key (a query text) is short.
func smallQueries[T any](n int) graphql.Cache[T] {
	return boundedCache[T]{inner: lru.New[T](n), keep: func(key string, _ T) bool { return len(key) <= maxCachedQuery }}
}

// boundedCache adds to inner only the entries keep accepts.
type boundedCache[T any] struct {
	inner graphql.Cache[T]
	keep  func(key string, v T) bool
}

func (c boundedCache[T]) Get(ctx context.Context, key string) (T, bool) { return c.inner.Get(ctx, key) }

func (c boundedCache[T]) Add(ctx context.Context, key string, v T) {
	if c.keep(key, v) {
		c.inner.Add(ctx, key, v)
	}
}

// persistedQueries is the cache of automatic persisted queries: by hash, of
// short query texts only.
func persistedQueries(n int) graphql.Cache[string] {
	return boundedCache[string]{inner: lru.New[string](n), keep: func(_ string, q string) bool { return len(q) <= maxCachedQuery }}
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = (*docCheck)(nil)

func (*docCheck) ExtensionName() string                   { return "DocumentShape" }
func (*docCheck) Validate(graphql.ExecutableSchema) error { return nil }

func (d *docCheck) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Query == "" {
		return nil // gqlgen answers "no operation provided"
	}
	if n := len(p.Query); n > MaxQueryBytes {
		return localised(ctx, codeTooComplex,
			fmt.Sprintf("truy vấn dài %d byte, vượt giới hạn %d byte", n, MaxQueryBytes),
			fmt.Sprintf("the query is %d bytes long, more than the limit of %d", n, MaxQueryBytes))
	}
	v, ok := d.cache.Get(ctx, p.Query)
	if !ok {
		v = d.verdict(p.Query)
		d.cache.Add(ctx, p.Query, v)
	}
	if v.code == "" {
		return nil
	}
	return localised(ctx, v.code, v.vi, v.en)
}

// localised is an error with code and the message in the caller's language.
func localised(ctx context.Context, code, vi, en string) *gqlerror.Error {
	msg := vi
	if english(ctx) {
		msg = en
	}
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code}}
}

// verdict parses query and checks its shape; parse errors are left to
// gqlgen, which reports them in its usual form.
func (d *docCheck) verdict(query string) *docVerdict {
	lx := lexer.New(&ast.Source{Input: query})
	for n := 0; ; n++ {
		tok, err := lx.ReadToken()
		if err != nil {
			return &docVerdict{} // a syntax error: gqlgen reports it
		}
		if tok.Kind == lexer.EOF {
			break
		}
		if n >= MaxQueryTokens {
			return &docVerdict{codeTooComplex,
				fmt.Sprintf("truy vấn có hơn %d từ tố (tên, dấu, giá trị), vượt giới hạn", MaxQueryTokens),
				fmt.Sprintf("query has more than %d tokens (names, punctuation, values), the limit", MaxQueryTokens)}
		}
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return &docVerdict{}
	}
	sh, spreads := shapeOf(doc)
	l := d.lim
	switch {
	case sh.selections > int64(l.Selections):
		return &docVerdict{codeTooComplex,
			fmt.Sprintf("truy vấn có %s trường sau khi mở các fragment, vượt giới hạn %d", count(sh.selections), l.Selections),
			fmt.Sprintf("query has %s fields once its fragments are expanded, more than the limit of %d", count(sh.selections), l.Selections)}
	case spreads > l.Selections:
		return &docVerdict{codeTooComplex,
			fmt.Sprintf("truy vấn có %d lần dùng fragment, vượt giới hạn %d", spreads, l.Selections),
			fmt.Sprintf("query spreads fragments %d times, more than the limit of %d", spreads, l.Selections)}
	case sh.breadth > int64(l.Breadth):
		return &docVerdict{codeTooComplex,
			fmt.Sprintf("truy vấn chọn %s trường trong cùng một đối tượng sau khi mở các fragment, vượt giới hạn %d", count(sh.breadth), l.Breadth),
			fmt.Sprintf("query selects %s fields on one object once its fragments are expanded, more than the limit of %d", count(sh.breadth), l.Breadth)}
	case sh.aliases > int64(l.Aliases):
		return &docVerdict{codeTooComplex,
			fmt.Sprintf("truy vấn có %s bí danh (alias), vượt giới hạn %d", count(sh.aliases), l.Aliases),
			fmt.Sprintf("query has %s aliased fields, more than the limit of %d", count(sh.aliases), l.Aliases)}
	case sh.depth > l.Depth:
		return &docVerdict{codeTooDeep,
			fmt.Sprintf("truy vấn lồng %d cấp, vượt giới hạn %d cấp", sh.depth, l.Depth),
			fmt.Sprintf("query is nested %d levels deep, more than the limit of %d", sh.depth, l.Depth)}
	case sh.introDepth > l.IntrospectionDepth:
		return &docVerdict{codeTooDeep,
			fmt.Sprintf("truy vấn introspection lồng %d cấp, vượt giới hạn %d cấp", sh.introDepth, l.IntrospectionDepth),
			fmt.Sprintf("introspection query is nested %d levels deep, more than the limit of %d", sh.introDepth, l.IntrospectionDepth)}
	case sh.introLists > l.IntrospectionLists:
		return &docVerdict{codeTooDeep,
			fmt.Sprintf("truy vấn introspection lồng %d danh sách (types, fields, args…), vượt giới hạn %d", sh.introLists, l.IntrospectionLists),
			fmt.Sprintf("introspection query nests %d lists (types, fields, args…), more than the limit of %d", sh.introLists, l.IntrospectionLists)}
	}
	return &docVerdict{}
}

func count(n int64) string {
	if n >= capped {
		return "> 10^12"
	}
	return fmt.Sprint(n)
}

const (
	codeTooDeep    = "QUERY_TOO_DEEP"
	codeTooComplex = "QUERY_TOO_COMPLEX"
)

// A response is capped by the fields it resolves: every field of every
// object passes through the field middleware, which counts it. Past
// Limits.ResponseFields the request stops resolving and answers only
// RESPONSE_TOO_LARGE, whatever the data has grown to since the list bounds
// were measured. The count also stops the work when the client has gone.
//
// Text is counted too: the bytes of the strings resolved (notes, titles,
// audit details) past Limits.ResponseBytes stop the request the same way, so
// long texts repeated through aliases or nodes(ids:) cannot outgrow the
// field count. Input text has no control characters (see inputCheck), so a
// string's JSON is at most twice its bytes.
type budget struct {
	left      atomic.Int64
	bytes     atomic.Int64
	over      atomic.Bool
	cancelled atomic.Bool
}

type budgetKey struct{}

func withBudget(ctx context.Context, lim Limits) context.Context {
	b := &budget{}
	b.left.Store(int64(lim.ResponseFields))
	b.bytes.Store(lim.ResponseBytes)
	return context.WithValue(ctx, budgetKey{}, b)
}

func budgetOf(ctx context.Context) *budget {
	b, _ := ctx.Value(budgetKey{}).(*budget)
	return b
}

var errOverBudget = errors.New("response too large")

// spend charges one field to the request's budget around its resolver
// (resolveField, graph/exec.go), and the bytes of a string result.
func spend(ctx context.Context, next graphql.Resolver) (any, error) {
	b, err := charge(ctx)
	if err != nil {
		return nil, err
	}
	res, err := next(ctx)
	var n int
	switch v := res.(type) {
	case string:
		n = len(v)
	case *string:
		if v != nil {
			n = len(*v)
		}
	}
	if err == nil {
		err = b.chargeBytes(n)
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// charge counts one field against the request's budget (nil outside a
// request): it refuses the field once the request is over its count of
// fields or its client has gone.
func charge(ctx context.Context) (*budget, error) {
	b := budgetOf(ctx)
	if b == nil {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		b.cancelled.Store(true)
		return nil, err
	}
	if b.left.Add(-1) < 0 {
		b.over.Store(true)
		return nil, errOverBudget
	}
	return b, nil
}

// chargeBytes counts n bytes of resolved text against the budget.
func (b *budget) chargeBytes(n int) error {
	if b != nil && n > 0 && b.bytes.Add(-int64(n)) < 0 {
		b.over.Store(true)
		return errOverBudget
	}
	return nil
}

// silenced says whether errors of this request are dropped: once it is over
// budget or its client has gone, each remaining field would add its own.
func silenced(ctx context.Context) bool {
	b := budgetOf(ctx)
	return b != nil && (b.over.Load() || b.cancelled.Load())
}

// capResponse replaces the partial answer of a request over budget by one
// error.
func capResponse(lim Limits) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		if b := budgetOf(ctx); resp != nil && b != nil && b.over.Load() {
			resp.Data = []byte("null")
			resp.Errors = gqlerror.List{localised(ctx, codeTooLarge,
				fmt.Sprintf("câu trả lời vượt giới hạn %d trường hoặc %d MB chữ; hãy chọn ít trường hơn hoặc dùng trang nhỏ hơn (first)", lim.ResponseFields, lim.ResponseBytes>>20),
				fmt.Sprintf("the answer would hold more than %d fields or %d MB of text; select fewer fields or use smaller pages (first)", lim.ResponseFields, lim.ResponseBytes>>20))}
		}
		// A document can be wrong in many places at once; the first few
		// errors say what to fix, and the answer stays small.
		if resp != nil && len(resp.Errors) > maxErrors {
			more := len(resp.Errors) - maxErrors
			resp.Errors = append(resp.Errors[:maxErrors], localised(ctx, "TOO_MANY_ERRORS",
				fmt.Sprintf("và %d lỗi khác", more), fmt.Sprintf("and %d more errors", more)))
		}
		return resp
	}
}

const codeTooLarge = "RESPONSE_TOO_LARGE"

// maxErrors is the most errors one answer lists.
const maxErrors = 50
