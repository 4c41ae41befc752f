package alerts

import (
	"context"
	"log/slog"

	"p06/tasks"
)

// Job names.
const (
	JobScan     = "alert-scan"
	JobDigest   = "alert-digest"
	JobWebhooks = "webhook-delivery"
)

// Notifier is told of the alerts a scan raised (ids first to last), once
// they are committed; it must return at once (events.Broker).
type Notifier interface {
	AlertsRaised(first, last int64)
}

// SetNotifier makes scans tell n of the alerts they raise.
func (s *Store) SetNotifier(n Notifier) { s.notifier = n }

// ScanJob is the alert-scan job: a scan as of now, then the webhook
// deliveries of what it raised are queued and the live subscribers told.
func (s *Store) ScanJob(ctx context.Context, runID int64) (map[string]int, error) {
	res, err := s.Scan(ctx, s.clock(), runID)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{"resolved": res.Resolved, "webhookDeliveries": res.Queued}
	for k, n := range res.Raised {
		counts[string(k)] = n
	}
	if res.Last > 0 && s.notifier != nil {
		s.notifier.AlertsRaised(res.First, res.Last)
	}
	return counts, nil
}

// ResolveOnChanges resolves the open alerts of the assignments whose
// changes arrive on cs (finished, cancelled, given a new due date), until
// cs is closed: an alert ends when its work does, not at the next scan.
func (s *Store) ResolveOnChanges(ctx context.Context, cs <-chan tasks.Change, log *slog.Logger) {
	for c := range cs {
		if c.Kind != tasks.ChangeUpdated && c.Kind != tasks.ChangeExtended && c.Kind != tasks.ChangeCancelled {
			continue
		}
		ids := []int64{c.Assignment}
	more:
		for len(ids) < 500 {
			select {
			case c, ok := <-cs:
				if !ok {
					break more
				}
				ids = append(ids, c.Assignment)
			default:
				break more
			}
		}
		if _, err := s.Resolve(ctx, ids); err != nil {
			log.Warn("alerts: resolving on changes", "err", err)
		}
	}
}
