// Package graph is the GraphQL API: schema, thin resolvers that translate
// GraphQL to calls on the domain stores, dataloaders, the error presenter and
// the HTTP handler.
package graph

import (
	"p06/auth"
	"p06/org"
	"p06/store"
	"p06/tasks"
)

// Resolver is the dependency root of the API.
type Resolver struct {
	OrgStore  *org.Store
	TaskStore *tasks.Store
	Auth      *auth.Service
	Clock     store.Clock
}
