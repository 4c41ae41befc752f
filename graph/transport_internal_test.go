package graph

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// fixedExecutor answers every operation with resp, or refuses it with
// errs when set.
type fixedExecutor struct {
	resp *graphql.Response
	errs gqlerror.List
}

func (e fixedExecutor) CreateOperationContext(ctx context.Context, p *graphql.RawParams) (*graphql.OperationContext, gqlerror.List) {
	if e.errs != nil {
		return &graphql.OperationContext{RawQuery: p.Query}, e.errs
	}
	return &graphql.OperationContext{RawQuery: p.Query, Variables: p.Variables}, nil
}

func (e fixedExecutor) DispatchOperation(ctx context.Context, rc *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	return func(context.Context) *graphql.Response { return e.resp }, ctx
}

func (e fixedExecutor) DispatchError(ctx context.Context, list gqlerror.List) *graphql.Response {
	return &graphql.Response{Errors: list}
}

// TestPostJSONAnswersAsGqlgen: our POST transport gives the answer gqlgen's
// own gives (status, content type, the same JSON), for answers with and
// without errors, extensions, a path and a label, refused operations and
// each kind of Accept header; only its bytes of data are not re-escaped.
func TestPostJSONAnswersAsGqlgen(t *testing.T) {
	yes := true
	parse := gqlerror.Errorf("syntax error")
	errcode.Set(parse, errcode.ParseFailed)
	executors := map[string]fixedExecutor{
		"data": {resp: &graphql.Response{Data: json.RawMessage(`{"tasks":{"nodes":[{"title":"Xây dựng <b>Trung tâm</b> & \"dữ liệu\"","n":1.5}]}}`)}},
		"data, errors, extensions": {resp: &graphql.Response{
			Data:       json.RawMessage(`{"a":null}`),
			Errors:     gqlerror.List{{Message: "không tìm thấy", Path: ast.Path{ast.PathName("a"), ast.PathIndex(0)}, Extensions: map[string]any{"code": "NOT_FOUND"}}},
			Extensions: map[string]any{"cost": 12},
		}},
		"no data":        {resp: &graphql.Response{Errors: gqlerror.List{{Message: "INTERNAL"}}}},
		"label and path": {resp: &graphql.Response{Data: json.RawMessage(`{}`), Label: "l", Path: ast.Path{ast.PathName("x")}, HasNext: &yes}},
		"refused, parse": {errs: gqlerror.List{parse}},
		"refused, plain": {errs: gqlerror.List{gqlerror.Errorf("refused")}},
	}
	for name, ex := range executors {
		for _, accept := range []string{"", "*/*", "application/json", "application/graphql-response+json", "text/html, application/graphql-response+json;q=0.9", "text/html"} {
			answer := func(tr graphql.Transport) *httptest.ResponseRecorder {
				req := httptest.NewRequest(http.MethodPost, "/query", strings.NewReader(`{"query":"{ a }","variables":{"n":1}}`))
				req.Header.Set("Content-Type", "application/json")
				if accept != "" {
					req.Header.Set("Accept", accept)
				}
				if !tr.Supports(req) {
					t.Fatalf("%T does not take the request", tr)
				}
				rec := httptest.NewRecorder()
				tr.Do(rec, req, ex)
				return rec
			}
			ours, theirs := answer(postJSON{}), answer(transport.POST{})
			var o, th any
			if err := json.Unmarshal(ours.Body.Bytes(), &o); err != nil {
				t.Fatalf("%s, Accept %q: our answer is not JSON: %v: %s", name, accept, err, ours.Body)
			}
			_ = json.Unmarshal(theirs.Body.Bytes(), &th)
			if ours.Code != theirs.Code || ours.Header().Get("Content-Type") != theirs.Header().Get("Content-Type") || !reflect.DeepEqual(o, th) {
				t.Errorf("%s, Accept %q:\nours   %d %s %s\ngqlgen %d %s %s", name, accept,
					ours.Code, ours.Header().Get("Content-Type"), ours.Body, theirs.Code, theirs.Header().Get("Content-Type"), theirs.Body)
			}
			if ex.resp != nil && len(ex.resp.Data) > 0 && !strings.Contains(ours.Body.String(), `"data":`+string(ex.resp.Data)) {
				t.Errorf("%s: data not written as made: %s", name, ours.Body)
			}
		}
	}
}
