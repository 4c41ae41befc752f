// Package graph is the GraphQL API: schema, thin resolvers that translate
// GraphQL to calls on the domain stores, dataloaders, the error presenter and
// the HTTP handler.
package graph

import (
	"p06/alerts"
	"p06/auth"
	"p06/events"
	"p06/kpi"
	"p06/org"
	"p06/reports"
	"p06/store"
	"p06/tasks"
)

// Resolver is the dependency root of the API: the stores that read, the
// services that write, and the clock.
type Resolver struct {
	OrgStore   *org.Store
	TaskStore  *tasks.Store
	Tasks      *tasks.Service
	Auth       *auth.Service
	KpiStore   *kpi.Store
	Kpi        *kpi.Service
	AlertStore *alerts.Store
	Reports    *reports.Service
	// WebhookStore registers webhooks (internal targets refused by
	// default).
	WebhookStore *alerts.Webhooks
	// Jobs runs scheduled jobs on request (nil: jobs are off here).
	Jobs  JobRunner
	Clock store.Clock
	// Events carries changes to subscribers (UseEvents); nil: no live updates.
	Events events.Broker
	live   *live // WebSocket connections, set by NewHandler
}

// NewResolver wires the API to db, with authSvc naming callers and deciding
// permissions, telling the time by clock.
func NewResolver(db *store.DB, authSvc *auth.Service, clock store.Clock) *Resolver {
	orgs, ts := org.NewStore(db), tasks.NewStore(db, clock)
	r := &Resolver{OrgStore: orgs, TaskStore: ts,
		Tasks: tasks.NewService(db, authSvc.Authorizer(), clock), Auth: authSvc, Clock: clock,
		KpiStore: kpi.NewStore(db), Kpi: kpi.NewService(db, authSvc.Authorizer(), clock),
		AlertStore: alerts.NewStore(db, authSvc.Authorizer(), clock),
		Reports:    reports.NewService(db, orgs, ts, authSvc, clock, nil)}
	r.WebhookStore = alerts.NewWebhooks(r.AlertStore, false)
	r.Kpi.OnSubmitted(alerts.ResolveSubmitted)
	return r
}
