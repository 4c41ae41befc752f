package graph

import (
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
)

// An aggregate's price grows with the programme but stops at maxAggregate,
// so that at national scale a dashboard's summary and one status-filtered
// page still fit in a request; Task.assignments is priced at the most
// assignments a task has, never below every province and ministry.
func TestAggregatePriceIsCapped(t *testing.T) {
	b := newListBounds(nil, nil, nil, nil)
	if got := b.aggregate(priceSummary); got != priceSummary {
		t.Fatalf("summary on the demo scale: %d", got)
	}
	b.scale.Store(200) // 1,000,000 assignments
	if s, f := b.aggregate(priceSummary), b.aggregate(priceStatusFilter); s != maxAggregate || f != maxAggregate || s+f+2000 > DefaultLimits.Complexity {
		t.Fatalf("at national scale: summary %d, status filter %d, limit %d", s, f, DefaultLimits.Complexity)
	}
	if b.assignmentsPerTask() != floorPerTask {
		t.Fatalf("per-task bound before measuring: %d", b.assignmentsPerTask())
	}
}

// TestSeedInlineNeverTrustsAnother: two connections sharing a selection (a
// fragment spread in both) give their verdicts in either order; a list one
// of them found not ready is never marshalled inline.
func TestSeedInlineNeverTrustsAnother(t *testing.T) {
	var sel [1]ast.Selection
	key := selectionKey{&sel[0], 1}
	for _, order := range [][2]bool{{true, false}, {false, true}, {false, false}} {
		m := newExecMemo()
		m.seedInline(key, order[0])
		m.seedInline(key, order[1])
		if m.inline[key] {
			t.Errorf("verdicts %v then %v: inline", order[0], order[1])
		}
	}
	m := newExecMemo()
	m.seedInline(key, true)
	m.seedInline(key, true)
	if !m.inline[key] {
		t.Error("two ready connections: not inline")
	}
}
