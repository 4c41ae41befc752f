package model

import (
	"p06/rbac"
	"p06/tasks"
)

// AssignmentEvent is one delivery of the assignmentUpdated subscription.
type AssignmentEvent struct {
	Kind       tasks.ChangeKind
	Assignment *tasks.Assignment
	// Scope is the subscriber's scope when the assignment was read for this
	// event: the event's nested fields are read with it.
	Scope rbac.Scope
}
