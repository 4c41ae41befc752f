package main

import (
	"math"
	"slices"
	"time"
)

// latencies are the durations of a run's requests. Every one is kept (a
// run of a few minutes at a few thousand requests a second is a few MB),
// so the percentiles are exact.
type latencies []time.Duration

// percentile is the nearest-rank percentile p (0 < p ≤ 100) of ls, which
// must be sorted: the smallest value such that at least p% of the values
// are at most it. It is 0 for no values.
func (ls latencies) percentile(p float64) time.Duration {
	if len(ls) == 0 {
		return 0
	}
	rank := int(math.Ceil(p/100*float64(len(ls)) - 1e-9)) // - 1e-9: 99/100*100 is 99.00000000000001
	rank = min(max(rank, 1), len(ls))
	return ls[rank-1]
}

// summary is what a run measured, in the units printed: milliseconds.
// Requests counts every request, Errors those that failed; RPS and the
// latencies are of the answers without error.
type summary struct {
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	RPS      float64 `json:"rps"`
	MeanMS   float64 `json:"mean_ms"`
	P50MS    float64 `json:"p50_ms"`
	P95MS    float64 `json:"p95_ms"`
	P99MS    float64 `json:"p99_ms"`
	MaxMS    float64 `json:"max_ms"`
}

// summarize sorts ls, the latencies of the answers without error, and
// summarizes them and the errors over elapsed.
func summarize(ls latencies, errors int, elapsed time.Duration) summary {
	slices.Sort(ls)
	s := summary{Requests: len(ls) + errors, Errors: errors}
	if elapsed > 0 {
		s.RPS = float64(len(ls)) / elapsed.Seconds()
	}
	if len(ls) == 0 {
		return s
	}
	var sum time.Duration
	for _, l := range ls {
		sum += l
	}
	s.MeanMS = ms(sum / time.Duration(len(ls)))
	s.P50MS = ms(ls.percentile(50))
	s.P95MS = ms(ls.percentile(95))
	s.P99MS = ms(ls.percentile(99))
	s.MaxMS = ms(ls[len(ls)-1])
	return s
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// median is the median of xs (the mean of the middle two for an even
// count); 0 for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}
