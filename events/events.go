// Package events carries committed changes to assignments to the live
// updates (GraphQL subscriptions) of every server process: in-process on
// SQLite (one process), through PostgreSQL's LISTEN/NOTIFY on PostgreSQL
// (any number of processes on one database).
//
// A Broker is the tasks.Service's Notifier: it is told of the changes of a
// transaction after its commit, so only committed changes reach
// subscribers. Changes carry assignment ids and the kind of change,
// never data: whoever delivers one re-reads the assignment in its
// subscriber's scope as it is at that moment.
package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"

	"p06/store"
	"p06/tasks"
)

// Broker publishes committed changes to this process's subscribers.
type Broker interface {
	tasks.Notifier
	// Subscribe starts a subscription to every change, with a buffer of
	// that many changes: a subscriber that falls further behind is dropped
	// (its channel closed, Err ErrSlow), so publishers never wait.
	Subscribe(buffer int) *Subscription
	// Done is closed when the broker is closed.
	Done() <-chan struct{}
	// Close ends every subscription (Err ErrClosed) and stops listening.
	Close() error
}

// Errors a subscription ends with.
var (
	ErrSlow   = errors.New("events: subscriber too slow, changes dropped")
	ErrClosed = errors.New("events: broker closed")
)

// New returns the broker for db: LISTEN/NOTIFY on PostgreSQL (listening
// from now on), in-process on SQLite.
func New(ctx context.Context, db *store.DB, log *slog.Logger) (Broker, error) {
	if db.Engine == store.Postgres {
		return NewPostgres(ctx, db, log)
	}
	return NewLocal(), nil
}

// Subscription receives changes on C until it is closed, by its
// subscriber or by the broker.
type Subscription struct {
	c   chan tasks.Change
	f   *fanout
	err error // set before c is closed
}

// C delivers the changes; it is closed when the subscription ends.
func (s *Subscription) C() <-chan tasks.Change { return s.c }

// Err says why C was closed: nil (closed by Close), ErrSlow or ErrClosed.
// Read it only after C is closed.
func (s *Subscription) Err() error { return s.err }

// Close ends the subscription.
func (s *Subscription) Close() { s.f.drop(s, nil) }

// fanout hands changes to subscriptions without ever waiting for one.
type fanout struct {
	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	done   chan struct{}
	closed bool
}

func newFanout() *fanout {
	return &fanout{subs: map[*Subscription]struct{}{}, done: make(chan struct{})}
}

func (f *fanout) Subscribe(buffer int) *Subscription {
	s := &Subscription{c: make(chan tasks.Change, max(buffer, 1)), f: f}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		s.err = ErrClosed
		close(s.c)
		return s
	}
	f.subs[s] = struct{}{}
	return s
}

func (f *fanout) Done() <-chan struct{} { return f.done }

// drop ends s with err, once. The caller must not hold f.mu.
func (f *fanout) drop(s *Subscription, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dropLocked(s, err)
}

func (f *fanout) dropLocked(s *Subscription, err error) {
	if _, ok := f.subs[s]; !ok {
		return
	}
	delete(f.subs, s)
	s.err = err
	close(s.c)
}

func (f *fanout) publish(cs []tasks.Change) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for s := range f.subs {
		for _, c := range cs {
			select {
			case s.c <- c:
			default:
				f.dropLocked(s, ErrSlow)
			}
			if _, ok := f.subs[s]; !ok {
				break
			}
		}
	}
}

func (f *fanout) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return
	}
	f.closed = true
	for s := range f.subs {
		f.dropLocked(s, ErrClosed)
	}
	close(f.done)
}

// Subscribers counts the live subscriptions (for tests and metrics).
func (f *fanout) Subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// encode writes changes as "id:KIND,id:KIND", in pieces of at most limit
// bytes (a NOTIFY payload must stay under 8000 bytes).
func encode(cs []tasks.Change, limit int) []string {
	var out []string
	var b strings.Builder
	for _, c := range cs {
		item := strconv.FormatInt(c.Assignment, 10) + ":" + string(c.Kind)
		if b.Len() > 0 && b.Len()+1+len(item) > limit {
			out = append(out, b.String())
			b.Reset()
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(item)
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}

// decode reads what encode wrote.
func decode(payload string) ([]tasks.Change, error) {
	var cs []tasks.Change
	for _, item := range strings.Split(payload, ",") {
		id, kind, ok := strings.Cut(item, ":")
		n, err := strconv.ParseInt(id, 10, 64)
		if !ok || err != nil || n <= 0 || !tasks.ChangeKind(kind).Valid() {
			return nil, fmt.Errorf("events: bad change %q", item)
		}
		cs = append(cs, tasks.Change{Assignment: n, Kind: tasks.ChangeKind(kind)})
	}
	return cs, nil
}
