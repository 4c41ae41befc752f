package main

import (
	"context"
	"sync"
	"time"
)

// tally is what one client saw; merged at the end of a run.
type tally struct {
	lat       latencies // of the answers without error
	errors    int
	writes    int
	conflicts int
	samples   []string // the first few errors' messages
}

const maxSamples = 5

func (t *tally) add(d time.Duration, o outcome) {
	if o.write {
		t.writes++
	}
	if o.conflict {
		t.conflicts++
	}
	if o.err != nil {
		t.errors++
		if len(t.samples) < maxSamples {
			t.samples = append(t.samples, o.err.Error())
		}
		return
	}
	t.lat = append(t.lat, d)
}

func merge(ts []tally) tally {
	var out tally
	for _, t := range ts {
		out.lat = append(out.lat, t.lat...)
		out.errors += t.errors
		out.writes += t.writes
		out.conflicts += t.conflicts
		for _, s := range t.samples {
			if len(out.samples) < maxSamples {
				out.samples = append(out.samples, s)
			}
		}
	}
	return out
}

// errorPause is how long a closed-loop client waits after a failed request.
const errorPause = 10 * time.Millisecond

// closedLoop is saturation: each client sends its next request as soon as
// it has the answer to the last, until d has passed; a request's latency is
// from its send to its answer. It returns the tally and the time from the
// start to the last answer.
func closedLoop(ctx context.Context, t *target, cs []client, d time.Duration) (tally, time.Duration) {
	start := time.Now()
	deadline := start.Add(d)
	ts := make([]tally, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) {
				sent := time.Now()
				o := c.do(ctx, t)
				if ctx.Err() != nil {
					return // interrupted: not an answer
				}
				ts[i].add(time.Since(sent), o)
				if o.err != nil {
					time.Sleep(errorPause) // a server that refuses at once does not make the clients spin
				}
			}
		})
	}
	wg.Wait()
	return merge(ts), time.Since(start)
}

// openResult is what an open-loop run adds to its tally.
type openResult struct {
	// unsent requests were still waiting for a free client drain after
	// the schedule ended; they count as errors.
	unsent int
	// maxLag is the longest a request waited for a free client after its
	// scheduled time (0 when the clients always kept up).
	maxLag time.Duration
}

// openLoop sends requests at rate per second for d, whatever the answers
// do: request i is scheduled at start + i/rate. Each is handed to the
// first free one of cs (so at most len(cs) are in flight) and its latency
// is measured from its scheduled time, not from when it was sent: when the
// server stalls, the requests queued behind the stall count the wait, as
// the users who would have sent them would (no coordinated omission).
// Requests still unsent drain after the schedule's end are given up.
func openLoop(ctx context.Context, t *target, cs []client, rate float64, d, drain time.Duration) (tally, time.Duration, openResult) {
	n := int(rate * d.Seconds())
	start := time.Now()
	jobs := make(chan time.Time)
	ts := make([]tally, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() {
			for at := range jobs {
				o := c.do(ctx, t)
				if ctx.Err() != nil {
					continue
				}
				ts[i].add(time.Since(at), o)
			}
		})
	}
	var res openResult
	giveUp := time.NewTimer(d + drain)
	defer giveUp.Stop()
send:
	for i := range n {
		at := start.Add(time.Duration(float64(i) * float64(time.Second) / rate))
		if wait := time.Until(at); wait > 0 {
			sleep := time.NewTimer(wait)
			select {
			case <-sleep.C:
			case <-ctx.Done():
				sleep.Stop()
				break send
			}
		}
		select {
		case jobs <- at:
			res.maxLag = max(res.maxLag, time.Since(at))
		case <-giveUp.C:
			res.unsent = n - i
			break send
		case <-ctx.Done():
			break send
		}
	}
	close(jobs)
	wg.Wait()
	out := merge(ts)
	out.errors += res.unsent
	if res.unsent > 0 && len(out.samples) < maxSamples {
		out.samples = append(out.samples, "requests never sent: every client was still busy when the schedule ended (+ --timeout)")
	}
	return out, time.Since(start), res
}
