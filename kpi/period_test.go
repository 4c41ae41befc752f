package kpi_test

import (
	"strings"
	"testing"

	"p06/kpi"
	"p06/store"
)

// TestParsePeriodQuotesItsInputClipped: a bad period is INVALID, named by
// its field, and a long one is quoted by its first 40 bytes only.
func TestParsePeriodQuotesItsInputClipped(t *testing.T) {
	for _, ok := range []string{"2024-01", "2024Q1", "2024"} {
		if _, err := kpi.ParsePeriod(ok, "period"); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	long := "2024-" + strings.Repeat("x", 5000)
	_, err := kpi.ParsePeriod(long, "period")
	var se *store.Error
	if e, ok := err.(*store.Error); ok {
		se = e
	}
	if se == nil || se.Code != store.Invalid || se.Field != "period" || len(se.English) > 200 || !strings.Contains(se.English, `"2024-xxx`) {
		t.Fatalf("long period: %#v", err)
	}
}
