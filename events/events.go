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
	// AlertsRaised tells every process that a scan raised the alerts with
	// ids first to last (alerts.Notifier); it returns at once.
	AlertsRaised(first, last int64)
	// SubscribeAlerts is Subscribe for raised alerts.
	SubscribeAlerts(buffer int) *Sub[AlertRange]
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

// AlertRange is the alerts one scan raised: ids First to Last.
type AlertRange struct{ First, Last int64 }

// Subscription is a subscription to changes of assignments.
type Subscription = Sub[tasks.Change]

// Sub receives events on C until it is closed, by its subscriber or by the
// broker.
type Sub[T any] struct {
	c   chan T
	f   *fanout[T]
	err error // set before c is closed
}

// C delivers the events; it is closed when the subscription ends.
func (s *Sub[T]) C() <-chan T { return s.c }

// Err says why C was closed: nil (closed by Close), ErrSlow or ErrClosed.
// Read it only after C is closed.
func (s *Sub[T]) Err() error { return s.err }

// Close ends the subscription.
func (s *Sub[T]) Close() { s.f.drop(s, nil) }

// fanout hands events to subscriptions without ever waiting for one.
type fanout[T any] struct {
	mu     sync.Mutex
	subs   map[*Sub[T]]struct{}
	done   chan struct{}
	closed bool
}

func newFanout[T any](done chan struct{}) *fanout[T] {
	return &fanout[T]{subs: map[*Sub[T]]struct{}{}, done: done}
}

// hub is the two fanouts of a broker: changes of assignments, raised alerts.
type hub struct {
	*fanout[tasks.Change]
	alerts *fanout[AlertRange]
}

func newHub() hub {
	done := make(chan struct{})
	return hub{newFanout[tasks.Change](done), newFanout[AlertRange](make(chan struct{}))}
}

// SubscribeAlerts subscribes to raised alerts.
func (h hub) SubscribeAlerts(buffer int) *Sub[AlertRange] { return h.alerts.Subscribe(buffer) }

// closeAll ends every subscription of both.
func (h hub) closeAll() {
	h.alerts.close()
	h.fanout.close()
}

func (f *fanout[T]) Subscribe(buffer int) *Sub[T] {
	s := &Sub[T]{c: make(chan T, max(buffer, 1)), f: f}
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

func (f *fanout[T]) Done() <-chan struct{} { return f.done }

// drop ends s with err, once. The caller must not hold f.mu.
func (f *fanout[T]) drop(s *Sub[T], err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dropLocked(s, err)
}

func (f *fanout[T]) dropLocked(s *Sub[T], err error) {
	if _, ok := f.subs[s]; !ok {
		return
	}
	delete(f.subs, s)
	s.err = err
	close(s.c)
}

func (f *fanout[T]) publish(cs []T) {
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

func (f *fanout[T]) close() {
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
func (f *fanout[T]) Subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// alertsItem is the kind of an item of raised alerts: "first-last:ALERTS".
const alertsItem = "ALERTS"

// encode writes changes as "id:KIND,id:KIND" and raised alerts as
// "first-last:ALERTS", in pieces of at most limit bytes (a NOTIFY payload
// must stay under 8000 bytes).
func encode(cs []tasks.Change, limit int, rs ...AlertRange) []string {
	items := make([]string, 0, len(cs)+len(rs))
	for _, c := range cs {
		items = append(items, strconv.FormatInt(c.Assignment, 10)+":"+string(c.Kind))
	}
	for _, r := range rs {
		items = append(items, strconv.FormatInt(r.First, 10)+"-"+strconv.FormatInt(r.Last, 10)+":"+alertsItem)
	}
	var out []string
	var b strings.Builder
	for _, item := range items {
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
func decode(payload string) ([]tasks.Change, []AlertRange, error) {
	var cs []tasks.Change
	var rs []AlertRange
	for _, item := range strings.Split(payload, ",") {
		id, kind, ok := strings.Cut(item, ":")
		if ok && kind == alertsItem {
			f, l, _ := strings.Cut(id, "-")
			first, err1 := strconv.ParseInt(f, 10, 64)
			last, err2 := strconv.ParseInt(l, 10, 64)
			if err1 != nil || err2 != nil || first <= 0 || last < first {
				return nil, nil, fmt.Errorf("events: bad alerts %q", item)
			}
			rs = append(rs, AlertRange{first, last})
			continue
		}
		n, err := strconv.ParseInt(id, 10, 64)
		if !ok || err != nil || n <= 0 || !tasks.ChangeKind(kind).Valid() {
			return nil, nil, fmt.Errorf("events: bad change %q", item)
		}
		cs = append(cs, tasks.Change{Assignment: n, Kind: tasks.ChangeKind(kind)})
	}
	return cs, rs, nil
}
