package main

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPercentilesAreNearestRank(t *testing.T) {
	var ls latencies
	for i := 100; i >= 1; i-- { // unsorted on purpose: summarize sorts
		ls = append(ls, time.Duration(i)*time.Millisecond)
	}
	rand.Shuffle(len(ls), func(i, j int) { ls[i], ls[j] = ls[j], ls[i] })
	s := summarize(ls, 3, 2*time.Second)
	want := summary{Requests: 103, Errors: 3, RPS: 50, MeanMS: 50.5, P50MS: 50, P95MS: 95, P99MS: 99, MaxMS: 100}
	if s != want {
		t.Fatalf("summary of 1..100 ms = %+v, want %+v", s, want)
	}
	// 1,000 values: p99 is the 990th, not the 991st (99/100*1000 is not
	// quite 990 in floating point).
	ls = ls[:0]
	for i := 1; i <= 1000; i++ {
		ls = append(ls, time.Duration(i))
	}
	if p := ls.percentile(99); p != 990 {
		t.Errorf("p99 of 1..1000 = %d, want 990", p)
	}
	if p := ls[:1].percentile(50); p != 1 {
		t.Errorf("p50 of one value = %d", p)
	}
	if s := summarize(nil, 2, time.Second); s.Requests != 2 || s.RPS != 0 || s.P99MS != 0 {
		t.Errorf("summary of no answers = %+v", s)
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		xs   []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{9, 1, 5}, 5}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := median(c.xs); got != c.want {
			t.Errorf("median(%v) = %g, want %g", c.xs, got, c.want)
		}
	}
}

func TestIsWriteSpreadsTheRatio(t *testing.T) {
	for _, r := range []float64{0, 0.2, 0.5, 1} {
		var writes []int
		for i := range 100 {
			if isWrite(i, r) {
				writes = append(writes, i)
			}
		}
		if len(writes) != int(r*100) {
			t.Errorf("ratio %g: %d writes in 100", r, len(writes))
		}
		if r == 0.2 && (writes[0] != 4 || writes[1] != 9) {
			t.Errorf("ratio 0.2: writes at %v, want every fifth", writes)
		}
	}
}

func TestPgbenchLog(t *testing.T) {
	// Two threads' files: latency in µs, then when the transaction ended.
	logs := []string{
		"0 0 1500 0 1700000000 000000\n0 1 2500 0 1700000000 500000\n",
		"1 0 1000 0 1700000001 000000\n1 1 failed 0 1700000001 100000\n",
	}
	var tl tally
	var first, last int64
	for _, l := range logs {
		if err := pgbenchLog(strings.NewReader(l), &tl, &first, &last); err != nil {
			t.Fatal(err)
		}
	}
	elapsed := time.Duration(last-first) * time.Microsecond
	s := summarize(tl.lat, tl.errors, elapsed)
	// From the first start (1699999999.9985) to the last end (1700000001.0).
	if s.Requests != 4 || s.Errors != 1 || s.P50MS != 1.5 || s.MaxMS != 2.5 || elapsed != 1001500*time.Microsecond {
		t.Fatalf("summary %+v over %v", s, elapsed)
	}
	if err := pgbenchLog(strings.NewReader("transaction type: p1.sql\n"), &tl, &first, &last); err == nil {
		t.Error("pgbench's report read as a log")
	}
}

func TestCompareTakesMediansAndRatios(t *testing.T) {
	var rs []result
	for _, f := range []float64{1, 2, 3} { // three rounds
		rs = append(rs,
			result{Label: "ours", Scenario: "p1", Mode: "closed", Clients: 16, summary: summary{RPS: 100 * f, P50MS: 10 * f, P99MS: 20 * f}},
			result{Label: "postgraphile", Scenario: "p1", Mode: "closed", Clients: 16, summary: summary{RPS: 50 * f, P50MS: 20 * f, P99MS: 80 * f}},
		)
	}
	rs = append(rs, result{Label: "ours", Scenario: "p1", Mode: "open", Clients: 64, Rate: 100, summary: summary{RPS: 100, P50MS: 5, P99MS: 9}})
	var b strings.Builder
	compare(&b, rs, "ours")
	out := b.String()
	// Each line's words, spaces collapsed.
	var lines []string
	for l := range strings.Lines(out) {
		lines = append(lines, strings.Join(strings.Fields(l), " "))
	}
	for _, want := range []string{
		"p1, saturation, 16 clients (median of the rounds)",
		"ours 3 200.0 20.00 40.00 0 - - -",
		"postgraphile 3 100.0 40.00 160.00 0 - - -",
		"ours / postgraphile 2.00 0.50 0.25",
		"p1, open loop, 100 requests/s (median of the rounds)",
		"ours 1 100.0 5.00 9.00 0 - - -",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("compare's table lacks %q:\n%s", want, out)
		}
	}
}

// --run runs pgbench with -l into a folder of its own and summarizes its
// logs (a stand-in script here writes two threads' logs where told): two
// transactions from the first start, 1699999999.998, to the last end,
// 1700000000.5.
func TestPgbenchRun(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "pgbench")
	script := `#!/bin/sh
for a in "$@"; do case "$a" in --log-prefix=*) p="${a#--log-prefix=}";; esac; done
[ "$1" = -l ] && [ "$3" = -c ] && [ "$4" = 2 ] || { echo "bad arguments: $*" >&2; exit 1; }
printf '0 0 2000 0 1700000000 000000\n' > "$p.77"
printf '1 0 4000 0 1700000000 500000\n' > "$p.77.1"
echo "tps = 2.0"
`
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	var out, errOut strings.Builder
	err := run(context.Background(), []string{"pgbench", "--clients", "2", "--json", "--run", "--", fake, "-c", "2", "postgres://x/y"}, &out, &errOut)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	var r result
	if err := json.Unmarshal([]byte(out.String()), &r); err != nil {
		t.Fatal(err)
	}
	if r.Label != "pgbench" || r.Clients != 2 || r.Requests != 2 || r.P50MS != 2 || r.MaxMS != 4 || r.DurationS != 0.502 || r.RPS != 2/0.502 {
		t.Errorf("result %+v", r)
	}
	if !strings.Contains(errOut.String(), "tps = 2.0") {
		t.Errorf("pgbench's own output not passed on: %q", errOut.String())
	}
}
