package events

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/driver/pgdriver"
	"github.com/uptrace/bun/schema"

	"p06/store"
	"p06/tasks"
)

// Postgres is the broker of processes sharing a PostgreSQL database: a
// change is sent with NOTIFY inside its own transaction, so PostgreSQL
// delivers it only if and when the transaction commits, to every process
// listening (this one included), each of which publishes it to its own
// subscribers.
//
// Notifications sent while a process's listening connection is down (it
// reconnects by itself) are lost to that process: live updates are a
// convenience, never the record, which is in the database.
type Postgres struct {
	*fanout
	channel string
	ln      *pgdriver.Listener
	log     *slog.Logger
	wg      sync.WaitGroup
	once    sync.Once
}

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
	p := &Postgres{fanout: newFanout(), channel: channel, ln: pgdriver.NewListener(db.DB), log: log}
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
			cs, err := decode(n.Payload)
			if err != nil {
				log.Warn("live updates: unreadable notification", "payload", n.Payload, "err", err)
				continue
			}
			p.publish(cs)
		}
	}()
	return p, nil
}

// Notice is the NOTIFY of cs (pg_notify, a call per payload), for the
// transaction that makes them: delivered on commit, never on rollback.
func (p *Postgres) Notice(cs []tasks.Change) schema.QueryAppender {
	parts := encode(cs, payloadLimit)
	if len(parts) == 0 {
		return nil
	}
	calls := make([]string, len(parts))
	args := make([]any, 0, 2*len(parts))
	for i, payload := range parts {
		calls[i] = "pg_notify(?, ?)"
		args = append(args, p.channel, payload)
	}
	return bun.SafeQuery(strings.Join(calls, ", "), args...)
}

// Committed does nothing: the notification comes back through LISTEN, to
// this process as to every other.
func (*Postgres) Committed([]tasks.Change) {}

// Close stops listening and ends every subscription.
func (p *Postgres) Close() error {
	var err error
	p.once.Do(func() {
		err = p.ln.Close()
		p.wg.Wait()
		p.close()
	})
	return err
}
