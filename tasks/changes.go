package tasks

import (
	"context"
	"sync"

	"github.com/uptrace/bun"
)

// ChangeKind says what happened to an assignment.
type ChangeKind string

// The kinds of change, one per use case that changes an assignment.
const (
	ChangeUpdated   ChangeKind = "UPDATED"   // UpdateAssignment
	ChangeReported  ChangeKind = "REPORTED"  // ReportProgress
	ChangeExtended  ChangeKind = "EXTENDED"  // DecideExtension, approved
	ChangeCancelled ChangeKind = "CANCELLED" // CancelTask
	ChangeAssigned  ChangeKind = "ASSIGNED"  // AssignTask (and CreateTask with assignments)
)

// Valid reports whether k is one of the kinds above.
func (k ChangeKind) Valid() bool {
	switch k {
	case ChangeUpdated, ChangeReported, ChangeExtended, ChangeCancelled, ChangeAssigned:
		return true
	}
	return false
}

// Change is one committed change to one assignment: what live updates
// (subscriptions) are told. It carries no data: whoever delivers it re-reads
// the assignment in each subscriber's scope.
type Change struct {
	Assignment int64
	Kind       ChangeKind
}

// Notifier is told of the changes a transaction of the Service made to
// assignments, once it has committed (never after a rollback). Committed
// must return at once: it runs on the request's path. The in-process
// notifier publishes there; PostgreSQL's queues them for a NOTIFY it sends
// after the commit (see events.Postgres).
type Notifier interface {
	Committed(cs []Change)
}

// SetNotifier makes s tell n of every change to assignments. Without one
// (nil), changes are told to nobody.
func (s *Service) SetNotifier(n Notifier) { s.notifier = n }

// changeSet gathers the assignments a transaction changes, in the order of
// the changes, each once.
type changeSet struct {
	mu   sync.Mutex
	kind ChangeKind
	seen map[int64]bool
	cs   []Change
}

type changeSetKey struct{}

// changed records that assignment id changed in the transaction of ctx, if
// it is one of the Service's (SaveFacts and insertAssignments call it, so
// every write of an assignment's facts is seen wherever it comes from).
func changed(ctx context.Context, id int64) {
	set, _ := ctx.Value(changeSetKey{}).(*changeSet)
	if set == nil {
		return
	}
	set.mu.Lock()
	defer set.mu.Unlock()
	if !set.seen[id] {
		set.seen[id] = true
		set.cs = append(set.cs, Change{Assignment: id, Kind: set.kind})
	}
}

// inTx is store.DB.InTx for the Service's use cases: the changes fn makes to
// assignments (as kind) are told to the notifier once the transaction has
// committed. A rolled-back transaction tells nobody.
func (s *Service) inTx(ctx context.Context, kind ChangeKind, fn func(ctx context.Context, tx bun.Tx) error) error {
	set := &changeSet{kind: kind, seen: map[int64]bool{}}
	ctx = context.WithValue(ctx, changeSetKey{}, set)
	err := s.db.InTx(ctx, fn)
	if err == nil && s.notifier != nil && len(set.cs) > 0 {
		s.notifier.Committed(set.cs)
	}
	return err
}
