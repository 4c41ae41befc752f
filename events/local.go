package events

import "p06/tasks"

// Local is the in-process broker, for SQLite (one process per database):
// changes are published once their transaction has committed.
type Local struct{ hub }

// NewLocal returns an in-process broker.
func NewLocal() *Local { return &Local{newHub()} }

// Committed publishes cs.
func (l *Local) Committed(cs []tasks.Change) { l.publish(cs) }

// AlertsRaised publishes the range of alerts.
func (l *Local) AlertsRaised(first, last int64) { l.alerts.publish([]AlertRange{{first, last}}) }

// Close ends every subscription.
func (l *Local) Close() error {
	l.closeAll()
	return nil
}
