package reports

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"sync"
	"time"

	"p06/auth"
	"p06/store"
)

// PerUserRenders is how many charts or reports one user may have rendered
// at once; DefaultRenderWait how long a request waits for a free slot.
const (
	PerUserRenders    = 2
	DefaultRenderWait = 2 * time.Second
)

// renderGate bounds the renders under way (reports, and charts not in the
// cache): slots for the process, PerUserRenders per user, so that a few
// large reports cannot take every processor from the other requests.
type renderGate struct {
	slots chan struct{}
	wait  time.Duration
	mu    sync.Mutex
	busy  map[int64]int
	// freezing holds the freeze under way (freezeTurn).
	freezing chan struct{}
}

func newRenderGate(n int) *renderGate {
	if n < 1 {
		n = runtime.GOMAXPROCS(0)
	}
	return &renderGate{slots: make(chan struct{}, n), wait: DefaultRenderWait, busy: map[int64]int{},
		freezing: make(chan struct{}, 1)}
}

// slot takes one of the process's slots for work nobody waits on at the
// door (a freeze's reports, one after another), waiting as long as ctx
// lets it; the caller calls release when done.
func (g *renderGate) slot(ctx context.Context) (release func(), err error) {
	select {
	case g.slots <- struct{}{}:
		return func() { <-g.slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// freezeTurn makes freezes take turns in the process: each makes its
// reports one at a time, so freezes at once would each hold a slot.
func (g *renderGate) freezeTurn(ctx context.Context) (release func(), err error) {
	select {
	case g.freezing <- struct{}{}:
		return func() { <-g.freezing }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// busyError is a refusal of the gate: its HTTP status (429 or 503) and the
// coded error the caller reads, to try again after Retry-After.
type busyError struct {
	status int
	err    *store.Error
}

func (e *busyError) Error() string { return e.err.Error() }
func (e *busyError) Unwrap() error { return e.err }

// enter takes a slot for user, waiting at most g.wait; the caller calls
// the release it returns when the render is done.
func (g *renderGate) enter(ctx context.Context, user int64) (release func(), err error) {
	g.mu.Lock()
	if g.busy[user] >= PerUserRenders {
		g.mu.Unlock()
		return nil, &busyError{http.StatusTooManyRequests, store.Errorf(store.Conflict,
			"bạn đang tạo %d báo cáo hoặc biểu đồ khác; chờ chúng xong rồi tải tiếp",
			"you already have %d reports or charts being made; ask again when they are done", PerUserRenders)}
	}
	g.busy[user]++
	g.mu.Unlock()
	leave := func() {
		g.mu.Lock()
		if g.busy[user]--; g.busy[user] <= 0 {
			delete(g.busy, user)
		}
		g.mu.Unlock()
	}
	timer := time.NewTimer(g.wait)
	defer timer.Stop()
	select {
	case g.slots <- struct{}{}:
		return func() { <-g.slots; leave() }, nil
	case <-timer.C:
	case <-ctx.Done():
	}
	leave()
	return nil, &busyError{http.StatusServiceUnavailable, store.Errorf(store.Conflict,
		"máy chủ đang tạo nhiều báo cáo; vui lòng thử lại sau ít giây",
		"the server is making many reports; please try again in a few seconds")}
}

// SetRenderLimit sets how many charts and reports the process renders at
// once (P06_REPORT_CONCURRENCY); below 1, GOMAXPROCS. Call it before
// serving.
func (s *Service) SetRenderLimit(n int) { s.gate = newRenderGate(n) }

// enterRender is s.gate.enter for the request's caller.
func (s *Service) enterRender(r *http.Request) (func(), error) {
	var user int64
	if id := auth.IdentityFrom(r.Context()); id != nil {
		user = id.User.ID
	}
	return s.gate.enter(r.Context(), user)
}

// retryAfter is the Retry-After, in seconds, of a refusal of the gate.
func retryAfter(err error) (status int, seconds string, ok bool) {
	var b *busyError
	if !errors.As(err, &b) {
		return 0, "", false
	}
	return b.status, "5", true
}
