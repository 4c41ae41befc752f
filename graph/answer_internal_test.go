package graph

import (
	"encoding/json"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// appendAnswer writes what json.Marshal writes, byte for byte, or leaves
// the answer to it.
func TestAnswerIsWhatJSONMarshalWrites(t *testing.T) {
	yes := true
	for _, resp := range []*graphql.Response{
		{Data: json.RawMessage(`{"tasks":{"nodes":[{"id":"VGFzazox","title":"Hoàn thành – quý I/2024 “x”"}]}}`)},
		{Data: json.RawMessage(`null`), Errors: gqlerror.List{{Message: "không tìm thấy <x> & y", Path: ast.Path{ast.PathName("task")},
			Extensions: map[string]any{"code": "NOT_FOUND", "data": nil}}}},
		{Errors: gqlerror.List{{Message: "a"}, {Message: "b"}}},
		{Data: json.RawMessage(`{"a":1}`), Label: "l", Path: ast.Path{ast.PathName("a"), ast.PathIndex(2)}, HasNext: &yes,
			Extensions: map[string]any{"cost": 12, "data": map[string]any{"x": "<"}}},
		{Data: json.RawMessage(`{"a":"<b>"}`)},
		{Data: json.RawMessage("{\"a\":\"\u2028\"}")},
		{Data: json.RawMessage(`{"a":"\u2028"}`)},
	} {
		want, err := json.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendAnswer(nil, resp)
		if err != nil {
			if !escapes(resp.Data) {
				t.Errorf("%+v: %v", resp, err)
			}
			continue
		}
		if string(got) != string(want) {
			t.Errorf("appendAnswer:\n %s\njson.Marshal:\n %s", got, want)
		}
	}
}
