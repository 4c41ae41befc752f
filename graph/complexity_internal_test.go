package graph

import "testing"

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
