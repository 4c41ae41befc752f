package graph

import (
	"context"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// queryTurns: past its bound a query waits for one to end; mutations do
// not wait; a query whose client went while it waited is not executed.
func TestQueryTurns(t *testing.T) {
	turns := queryTurns(1)
	op := func(ctx context.Context, kind ast.Operation) context.Context {
		return graphql.WithOperationContext(ctx, &graphql.OperationContext{Operation: &ast.OperationDefinition{Operation: kind}})
	}
	run := func(ctx context.Context, name string, order chan<- string, release <-chan struct{}) *graphql.Response {
		return turns(ctx, func(context.Context) *graphql.Response {
			order <- name
			if release != nil {
				<-release
			}
			return &graphql.Response{}
		})
	}
	order := make(chan string, 10)
	release := make(chan struct{})
	done := make(chan bool)
	go func() { run(op(context.Background(), ast.Query), "first", order, release); done <- true }()
	if got := <-order; got != "first" {
		t.Fatalf("ran %s first", got)
	}
	for _, name := range []string{"second", "third"} {
		go func() { run(op(context.Background(), ast.Query), name, order, nil); done <- true }()
	}
	gone, cancel := context.WithCancel(op(context.Background(), ast.Query))
	goneDone := make(chan *graphql.Response)
	go func() { goneDone <- run(gone, "gone", order, nil) }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if r := <-goneDone; len(r.Errors) == 0 {
		t.Fatalf("a query whose client went while it waited answered %+v", r)
	}
	// A mutation does not wait for the query running.
	run(op(context.Background(), ast.Mutation), "mutation", order, nil)
	if got := <-order; got != "mutation" {
		t.Fatalf("ran %s while the first query held the only turn", got)
	}
	close(release)
	for range 2 {
		if got := <-order; got != "second" && got != "third" {
			t.Fatalf("ran %s after the first", got)
		}
	}
	for range 3 {
		<-done
	}
	select {
	case got := <-order:
		t.Fatalf("ran %s, which had gone", got)
	default:
	}
}
