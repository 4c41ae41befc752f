package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"p06/auth"
)

// Limits bound what one query may ask for.
type Limits struct {
	// Complexity is the largest query complexity accepted (each field costs
	// 1, a list multiplies by its page size).
	Complexity int
	// Depth is the deepest selection accepted.
	Depth int
	// Introspection allows schema introspection.
	Introspection bool
}

// MaxRequestBytes bounds a request body: queries are small, and nobody may
// make the server read megabytes before being told no.
const MaxRequestBytes = 1 << 20

// DefaultLimits fit the dashboards and reports of a single-page app.
var DefaultLimits = Limits{Complexity: 20000, Depth: 12, Introspection: true}

// NewHandler returns the GraphQL endpoint: POST and GET, a parsed-query
// cache, automatic persisted queries, depth and complexity limits, and errors
// with extensions.code. It expects auth.Middleware in front: each request's
// scope is its caller's (the empty scope for nobody), with policies refreshed
// from the database when another process changed them.
func NewHandler(r *Resolver, lim Limits, log *slog.Logger) http.Handler {
	srv := handler.New(NewExecutableSchema(Config{Resolvers: r, Directives: r.directives(), Complexity: complexity()}))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.Use(signedInIntrospection{enabled: lim.Introspection})
	srv.Use(csrfCheck{})
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	srv.Use(extension.FixedComplexityLimit(lim.Complexity))
	srv.Use(depthLimit(lim.Depth))
	srv.SetErrorPresenter(presentError(log))
	srv.Use(&inputCheck{})
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		log.ErrorContext(ctx, "panic in resolver", "panic", v)
		return errors.New("internal error")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		req.Body = http.MaxBytesReader(w, req.Body, MaxRequestBytes)
		ctx := withLanguage(req.Context(), req.Header.Get("Accept-Language"))
		if err := r.Auth.Authorizer().Refresh(ctx); err != nil {
			log.ErrorContext(ctx, "refreshing policies", "err", err)
			http.Error(w, "policies unavailable", http.StatusServiceUnavailable)
			return
		}
		ctx = r.WithScope(ctx, r.Auth.ScopeOf(auth.IdentityFrom(ctx)))
		srv.ServeHTTP(w, req.WithContext(ctx))
	})
}

// depthLimit rejects operations whose selections nest deeper than max.
type depthLimit int

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit(0)

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (d depthLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if depth := selectionDepth(oc.Operation.SelectionSet, oc.Doc.Fragments, 0); depth > int(d) {
		msg := fmt.Sprintf("truy vấn lồng %d cấp, vượt giới hạn %d cấp", depth, int(d))
		if english(ctx) {
			msg = fmt.Sprintf("query is nested %d levels deep, more than the limit of %d", depth, int(d))
		}
		return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": "QUERY_TOO_DEEP"}}
	}
	return nil
}

func selectionDepth(set ast.SelectionSet, frags ast.FragmentDefinitionList, seen int) int {
	if seen > 64 {
		return seen // fragment cycles are rejected by validation; stop here regardless
	}
	deepest := 0
	for _, s := range set {
		var d int
		switch s := s.(type) {
		case *ast.Field:
			d = 1 + selectionDepth(s.SelectionSet, frags, seen+1)
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, frags, seen+1)
		case *ast.FragmentSpread:
			if f := frags.ForName(s.Name); f != nil {
				d = selectionDepth(f.SelectionSet, frags, seen+1)
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}
