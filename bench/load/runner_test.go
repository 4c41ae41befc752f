package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// pipeListener hands the httptest server in-memory connections (net.Pipe),
// so that inside a synctest bubble the server and the tool block only on
// the bubble's own channels and its fake clock runs exactly.
type pipeListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error   { l.once.Do(func() { close(l.closed) }); return nil }
func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	server, client := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.closed:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// slowServer answers every GraphQL request after taking d of the fake
// clock, and the target to reach it with; stop closes both.
func slowServer(t *testing.T, d time.Duration) (*target, func()) {
	l := &pipeListener{conns: make(chan net.Conn), closed: make(chan struct{})}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(d)
		fmt.Fprint(w, `{"data":{"ok":true}}`)
	}))
	srv.Listener = l
	srv.Start()
	tg := newTarget(srv.URL+"/query", 8, 0, nil)
	tg.client.Transport.(*http.Transport).DialContext = l.dial
	return tg, func() {
		tg.client.CloseIdleConnections()
		srv.Close()
	}
}

func clients(n int) []client {
	cs := make([]client, n)
	for i := range cs {
		cs[i] = staticQuery(`{"query":"{ ok }"}`)
	}
	return cs
}

func millis(ls latencies) []int64 {
	out := make([]int64, len(ls))
	for i, l := range ls {
		out[i] = l.Milliseconds()
	}
	slices.Sort(out)
	return out
}

// At 10 requests a second for 1 s against a server that takes 250 ms, one
// client cannot keep up: request i is scheduled at 100i ms but sent only
// when the previous answer is in, at 250i ms, and answered at 250(i+1) ms.
// Its latency is counted from its scheduled time, 250 + 150i ms, not the
// 250 ms the server took. The closed loop, for comparison, sees 250 ms.
func TestOpenLoopCountsTheWaitBehindASlowAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tg, stop := slowServer(t, 250*time.Millisecond)
		defer stop()
		tl, elapsed, res := openLoop(context.Background(), tg, clients(1), 10, time.Second, 10*time.Second)
		want := []int64{250, 400, 550, 700, 850, 1000, 1150, 1300, 1450, 1600}
		if got := millis(tl.lat); !slices.Equal(got, want) || tl.errors != 0 {
			t.Errorf("open loop latencies %v ms (%d errors), want %v", got, tl.errors, want)
		}
		// The last, scheduled at 900 ms, went out at 2250 ms.
		if elapsed != 2500*time.Millisecond || res.maxLag != 1350*time.Millisecond || res.unsent != 0 {
			t.Errorf("elapsed %v, max lag %v, unsent %d; want 2.5s, 1.35s, 0", elapsed, res.maxLag, res.unsent)
		}

		tl, elapsed = closedLoop(context.Background(), tg, clients(1), time.Second)
		if got := millis(tl.lat); !slices.Equal(got, []int64{250, 250, 250, 250}) || elapsed != time.Second {
			t.Errorf("closed loop latencies %v ms over %v, want 4 × 250 ms over 1s", got, elapsed)
		}
	})
}

// With enough clients the schedule is kept exactly: rate × duration
// requests, each sent on time, whatever the answers take.
func TestOpenLoopKeepsTheSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tg, stop := slowServer(t, 30*time.Millisecond)
		defer stop()
		var mu sync.Mutex
		var sent []time.Duration
		start := time.Now()
		cs := make([]client, 4) // 40 ms apart, 30 ms each: one or two in flight
		for i := range cs {
			cs[i] = clientFunc(func(ctx context.Context, t *target) outcome {
				mu.Lock()
				sent = append(sent, time.Since(start))
				mu.Unlock()
				_, err := t.post(ctx, []byte(`{"query":"{ ok }"}`))
				return outcome{err: err}
			})
		}
		tl, _, res := openLoop(context.Background(), tg, cs, 25, 2*time.Second, time.Second)
		if len(tl.lat) != 50 || tl.errors != 0 || res.maxLag != 0 {
			t.Fatalf("%d answers, %d errors, max lag %v; want 50, 0, 0", len(tl.lat), tl.errors, res.maxLag)
		}
		slices.Sort(sent)
		for i, s := range sent {
			if s != time.Duration(i)*40*time.Millisecond {
				t.Fatalf("request %d sent at %v, want %v", i, s, time.Duration(i)*40*time.Millisecond)
			}
		}
		if got := millis(tl.lat); got[0] != 30 || got[49] != 30 {
			t.Errorf("latencies from %d to %d ms, want 30", got[0], got[49])
		}
	})
}

// Requests the clients could not take before the schedule's end plus the
// drain time are given up and counted as errors.
func TestOpenLoopGivesUpAfterTheDrain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tg, stop := slowServer(t, time.Second)
		defer stop()
		// 10 scheduled over 1 s; answers at 1 s and 2 s; the loop gives up at
		// 1.5 s while request 2 waits.
		tl, _, res := openLoop(context.Background(), tg, clients(1), 10, time.Second, 500*time.Millisecond)
		if res.unsent != 8 || tl.errors != 8 || len(tl.lat) != 2 || len(tl.samples) != 1 {
			t.Fatalf("unsent %d, errors %d, answers %d, samples %q", res.unsent, tl.errors, len(tl.lat), tl.samples)
		}
	})
}

type clientFunc func(ctx context.Context, t *target) outcome

func (f clientFunc) do(ctx context.Context, t *target) outcome { return f(ctx, t) }
