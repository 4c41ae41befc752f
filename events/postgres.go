package events

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun/driver/pgdriver"

	"p06/store"
	"p06/tasks"
)

// Postgres is the broker of processes sharing a PostgreSQL database: the
// changes of each committed transaction are sent with NOTIFY, which
// PostgreSQL delivers to every process listening (this one included), each
// of which publishes them to its own subscribers.
//
// The NOTIFY is sent after the commit, by a goroutine of the broker, not in
// the transaction of the change: PostgreSQL serialises the commits of all
// transactions that notify (one lock for the whole server, held through the
// commit's flush to disk), so a NOTIFY in every write would make writers
// commit one at a time. Changes that commit while a NOTIFY is on its way are
// sent together in the next one.
//
// Notifications sent while a process's listening connection is down (it
// reconnects by itself), or not sent because this process stopped or lost
// the database just after a commit, are lost: live updates are a
// convenience, never the record, which is in the database.
type Postgres struct {
	hub
	channel string
	db      *store.DB
	ln      *pgdriver.Listener
	log     *slog.Logger
	wg      sync.WaitGroup // the listening goroutine
	sender  sync.WaitGroup // the sending goroutine
	once    sync.Once

	mu      sync.Mutex
	pending []tasks.Change // committed, not yet sent
	raised  []AlertRange   // raised, not yet sent
	wake    chan struct{}  // a change is pending (buffer 1)
	stop    chan struct{}  // closed by Close
}

// maxPending bounds the changes waiting to be sent (the database being
// unreachable, say); past it new ones are dropped, with a warning.
const maxPending = 100000

// payloadLimit keeps each NOTIFY payload under PostgreSQL's 8000 bytes.
const payloadLimit = 7000

var notIdent = regexp.MustCompile(`[^a-z0-9_]+`)

// NewPostgres listens on db for changes from every process on the same
// database and schema (the channel is named after the schema, so test
// schemas sharing a database do not hear each other).
func NewPostgres(ctx context.Context, db *store.DB, log *slog.Logger) (*Postgres, error) {
	var schema string
	if err := db.NewRaw("SELECT current_schema()").Scan(ctx, &schema); err != nil {
		return nil, fmt.Errorf("events: current schema: %w", err)
	}
	channel := "p06_assignments_" + notIdent.ReplaceAllString(strings.ToLower(schema), "_")
	if len(channel) > 63 {
		channel = channel[:63]
	}
	p := &Postgres{hub: newHub(), channel: channel, db: db, ln: pgdriver.NewListener(db.DB), log: log,
		wake: make(chan struct{}, 1), stop: make(chan struct{})}
	if err := p.ln.Listen(ctx, channel); err != nil {
		_ = p.ln.Close()
		return nil, fmt.Errorf("events: LISTEN %s: %w", channel, err)
	}
	ch := p.ln.Channel(pgdriver.WithChannelSize(1000), pgdriver.WithChannelOverflowHandler(func(n pgdriver.Notification) {
		log.Warn("live updates: notification dropped, listener buffer full", "payload", n.Payload)
	}))
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for n := range ch {
			if n.Channel != channel {
				continue
			}
			cs, rs, err := decode(n.Payload)
			if err != nil {
				log.Warn("live updates: unreadable notification", "payload", n.Payload, "err", err)
				continue
			}
			if len(cs) > 0 {
				p.publish(cs)
			}
			if len(rs) > 0 {
				p.alerts.publish(rs)
			}
		}
	}()
	p.sender.Add(1)
	go p.sendLoop()
	return p, nil
}

// Committed queues cs to be sent with NOTIFY, and returns at once.
func (p *Postgres) Committed(cs []tasks.Change) {
	p.mu.Lock()
	if len(p.pending)+len(cs) > maxPending {
		p.mu.Unlock()
		p.log.Warn("live updates: changes dropped, too many waiting to be sent", "changes", len(cs))
		return
	}
	p.pending = append(p.pending, cs...)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default: // already awake
	}
}

// AlertsRaised queues the range of alerts to be sent with NOTIFY.
func (p *Postgres) AlertsRaised(first, last int64) {
	p.mu.Lock()
	p.raised = append(p.raised, AlertRange{first, last})
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// sendLoop sends the pending changes whenever there are some, until Close,
// which it answers by sending what is left.
func (p *Postgres) sendLoop() {
	defer p.sender.Done()
	for {
		select {
		case <-p.wake:
			p.send()
		case <-p.stop:
			p.send()
			return
		}
	}
}

// send sends the pending changes in one statement (pg_notify per payload).
func (p *Postgres) send() {
	p.mu.Lock()
	cs, rs := p.pending, p.raised
	p.pending, p.raised = nil, nil
	p.mu.Unlock()
	parts := encode(cs, payloadLimit, rs...)
	if len(parts) == 0 {
		return
	}
	calls := make([]string, len(parts))
	args := make([]any, 0, 2*len(parts))
	for i, payload := range parts {
		calls[i] = "pg_notify(?, ?)"
		args = append(args, p.channel, payload)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := p.db.ExecContext(ctx, "SELECT "+strings.Join(calls, ", "), args...); err != nil {
		p.log.Warn("live updates: NOTIFY failed, changes not told", "changes", len(cs), "err", err)
	}
}

// Close sends the changes still pending, stops listening and ends every
// subscription.
func (p *Postgres) Close() error {
	var err error
	p.once.Do(func() {
		close(p.stop)
		p.sender.Wait()
		err = p.ln.Close()
		p.wg.Wait()
		p.closeAll()
	})
	return err
}
