package graph

import (
	"context"
	"encoding/json"
	"errors"
	"sort"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"p06/alerts"
	"p06/auth"
	"p06/events"
	"p06/graph/model"
	"p06/store"
)

// Type names of the alerts' global IDs.
const (
	typeAlert           = "Alert"
	typeWebhook         = "Webhook"
	typeWebhookDelivery = "WebhookDelivery"
	typeJobRun          = "JobRun"
)

// JobRunner runs a scheduled job now (jobs.Scheduler; nil when jobs are
// off on this process).
type JobRunner interface {
	RunNow(ctx context.Context, actor *auth.Identity, job string) (*alerts.Run, error)
}

// runCounts lists a run's counts by name.
func runCounts(r *alerts.Run) ([]*model.JobRunCount, error) {
	var m map[string]int
	if err := json.Unmarshal([]byte(r.Counts), &m); err != nil {
		return nil, err
	}
	out := make([]*model.JobRunCount, 0, len(m))
	for k, v := range m {
		out = append(out, &model.JobRunCount{Name: k, Count: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// maxRaisedPerScan is the most alerts of one scan a subscription sends.
const maxRaisedPerScan = 100

func (r *subscriptionResolver) alertRaised(ctx context.Context, orgUnit *string) (<-chan *alerts.Alert, error) {
	c, unitPath, err := r.openSubscription(ctx, orgUnit)
	if err != nil {
		return nil, err
	}
	l := r.live
	sub := r.Events.SubscribeAlerts(l.lim.LiveBuffer)
	out := make(chan *alerts.Alert)
	go func() {
		defer c.subs.Add(-1)
		defer close(out)
		defer sub.Close()
		fail := func(err error) { transport.AddSubscriptionError(ctx, presentLive(ctx, err)) }
		for {
			var rg events.AlertRange
			var ok bool
			select {
			case <-ctx.Done():
				return
			case rg, ok = <-sub.C():
			}
			if !ok {
				if errors.Is(sub.Err(), events.ErrSlow) {
					fail(&store.Error{Code: codeSlow, Message: "theo dõi bị ngắt vì nhận không kịp; hãy đăng ký lại",
						English: "the subscription fell behind and was dropped; subscribe again"})
				}
				return
			}
			as, err := r.readAlerts(ctx, c, rg, unitPath)
			if err != nil {
				fail(err)
				return
			}
			for _, a := range as {
				select {
				case out <- a:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

// readAlerts reads the alerts of a scan the subscriber may read now (at
// most maxRaisedPerScan, oldest first), below unitPath when given.
func (r *Resolver) readAlerts(ctx context.Context, c *liveConn, rg events.AlertRange, unitPath string) ([]*alerts.Alert, error) {
	if err := r.Auth.Authorizer().Refresh(ctx); err != nil {
		return nil, err
	}
	id, err := r.live.identity(ctx, c)
	if err != nil {
		return nil, err
	}
	read := r.Auth.ScopeOf(id)
	if unitPath != "" {
		read = read.Within(unitPath)
	}
	if read.Empty() {
		return nil, nil
	}
	as, _, err := r.AlertStore.List(ctx, read, alerts.Filter{After: rg.First - 1, Through: rg.Last},
		store.Page{Limit: maxRaisedPerScan, SkipCount: true})
	for i, j := 0, len(as)-1; i < j; i, j = i+1, j-1 {
		as[i], as[j] = as[j], as[i]
	}
	return as, err
}
