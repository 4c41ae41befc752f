package events

import "p06/tasks"

// Local is the in-process broker, for SQLite (one process per database):
// changes are published once their transaction has committed.
type Local struct{ *fanout }

// NewLocal returns an in-process broker.
func NewLocal() *Local { return &Local{newFanout()} }

// Committed publishes cs.
func (l *Local) Committed(cs []tasks.Change) { l.publish(cs) }

// Close ends every subscription.
func (l *Local) Close() error {
	l.close()
	return nil
}
