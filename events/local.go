package events

import (
	"context"

	"github.com/uptrace/bun"

	"p06/tasks"
)

// Local is the in-process broker, for SQLite (one process per database):
// changes are published once their transaction has committed.
type Local struct{ *fanout }

// NewLocal returns an in-process broker.
func NewLocal() *Local { return &Local{newFanout()} }

// InTx does nothing: nothing is published before the commit.
func (*Local) InTx(context.Context, bun.Tx, []tasks.Change) error { return nil }

// Committed publishes cs.
func (l *Local) Committed(cs []tasks.Change) { l.publish(cs) }

// Close ends every subscription.
func (l *Local) Close() error {
	l.close()
	return nil
}
