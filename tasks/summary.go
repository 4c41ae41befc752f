package tasks

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"p06/rbac"
	"p06/store"
)

// Summary counts the programme within a scope, as of a date.
type Summary struct {
	Documents   int
	ByKind      map[DocKind]int
	Tasks       int
	Assignments int
	// ByStatus counts tasks by their status as of the date.
	ByStatus map[Status]int
}

// SummaryPart names a part of a Summary to count.
type SummaryPart int

const (
	SumDocuments   SummaryPart = 1 << iota // Documents and ByKind
	SumTasks                               // Tasks
	SumStatuses                            // ByStatus (and Tasks)
	SumAssignments                         // Assignments
	SumAll         = SumDocuments | SumTasks | SumStatuses | SumAssignments
)

// Summary counts the documents, tasks and assignments in scope (only of
// the document kinds given, if any) and the tasks by status as of asOf, as
// they stood that day: documents issued by then, tasks recorded by then,
// assignments made by then. Only the parts asked for are counted (the rest
// stay zero): each costs a statement, the statuses the most, unless the
// scope's statuses are kept (keptScope): then tasks, statuses and
// assignments are one sum over task_status_days.
func (s *Store) Summary(ctx context.Context, sc rbac.Scope, asOf store.Date, kinds []DocKind, parts SummaryPart) (*Summary, error) {
	out := &Summary{ByKind: map[DocKind]int{}, ByStatus: map[Status]int{}}
	if parts&SumDocuments != 0 {
		if err := s.countDocuments(ctx, sc, asOf, kinds, out, true); err != nil {
			return nil, err
		}
	}
	if path, kept := keptScope(sc); kept && parts&(SumTasks|SumStatuses|SumAssignments) != 0 {
		// Tasks, statuses and assignments in one sum over the kept days.
		if err := s.keptCounts(ctx, path, asOf, kinds, out); err != nil {
			return nil, err
		}
		return out, nil
	}
	if err := s.derivedCounts(ctx, sc, asOf, kinds, parts, out); err != nil {
		return nil, err
	}
	return out, nil
}

// derivedCounts counts the tasks, their statuses and the assignments of
// Summary from the facts (the status rule as of the day), for the scopes
// whose statuses are not kept.
func (s *Store) derivedCounts(ctx context.Context, sc rbac.Scope, asOf store.Date, kinds []DocKind, parts SummaryPart, out *Summary) error {
	if parts&SumStatuses != 0 {
		if err := s.countStatuses(ctx, sc, asOf, kinds, out); err != nil {
			return err
		}
	} else if parts&SumTasks != 0 {
		q := s.taskQuery(s.db.NewSelect().TableExpr("tasks AS t"), sc, TaskFilter{DocumentKinds: kinds, StatusAsOf: asOf})
		n, err := q.Count(ctx)
		if err != nil {
			return fmt.Errorf("tasks: summary tasks: %w", err)
		}
		out.Tasks = int(n)
	}
	if parts&SumAssignments != 0 {
		return s.countAssignments(ctx, sc, asOf, kinds, out)
	}
	return nil
}

// countDocuments counts the documents in scope issued by asOf, by kind.
// In a kept scope below the root (with kept) they are those of the tasks
// with kept statuses there, which are the tasks with an assignment there:
// one read of the scope's spans rather than a probe of every document's
// tasks' assignments.
func (s *Store) countDocuments(ctx context.Context, sc rbac.Scope, asOf store.Date, kinds []DocKind, out *Summary, kept bool) error {
	var byKind []struct {
		Kind DocKind `bun:"kind"`
		N    int     `bun:"n"`
	}
	q := s.db.NewSelect().TableExpr("documents AS d")
	if path, ok := keptScope(sc); ok && kept && path != rbac.RootPath {
		q = q.Where("d.id IN (SELECT vt.document_id FROM task_statuses AS ks JOIN tasks AS vt ON vt.id = ks.task_id WHERE ks.scope = ?)", path)
	} else {
		q = visibleDocuments(q, sc)
	}
	q = q.ColumnExpr("d.kind, COUNT(*) AS n").Where("d.issue_date <= ?", asOf.String()).GroupExpr("d.kind")
	if len(kinds) > 0 {
		q = q.Where("d.kind IN (?)", bun.In(kinds))
	}
	if err := q.Scan(ctx, &byKind); err != nil {
		return fmt.Errorf("tasks: summary documents: %w", err)
	}
	for _, k := range byKind {
		out.ByKind[k.Kind] = k.N
		out.Documents += k.N
	}
	return nil
}

func (s *Store) countStatuses(ctx context.Context, sc rbac.Scope, asOf store.Date, kinds []DocKind, out *Summary) error {
	var byStatus []struct {
		Status Status `bun:"status"`
		N      int    `bun:"n"`
	}
	tq := s.db.NewSelect().TableExpr("tasks AS t")
	tq = s.taskQuery(tq, sc, TaskFilter{DocumentKinds: kinds, StatusAsOf: asOf}).
		Join("LEFT JOIN (?) AS s ON s.task_id = t.id", taskTally(s.db, sc, asOf)).
		ColumnExpr("? AS status, COUNT(*) AS n", taskStatusSQL(asOf)).GroupExpr("1")
	if err := tq.Scan(ctx, &byStatus); err != nil {
		return fmt.Errorf("tasks: summary statuses: %w", err)
	}
	for _, st := range byStatus {
		out.ByStatus[st.Status] = st.N
		out.Tasks += st.N
	}
	return nil
}

func (s *Store) countAssignments(ctx context.Context, sc rbac.Scope, asOf store.Date, kinds []DocKind, out *Summary) error {
	aq := s.db.NewSelect().TableExpr("(?) AS a", assignmentsAsOf(s.db, sc, asOf))
	if len(kinds) > 0 {
		aq = aq.Join("JOIN tasks AS t ON t.id = a.task_id").Join("JOIN documents AS d ON d.id = t.document_id").
			Where("d.kind IN (?)", bun.In(kinds))
	}
	n, err := aq.Count(ctx)
	if err != nil {
		return fmt.Errorf("tasks: summary assignments: %w", err)
	}
	out.Assignments = int(n)
	return nil
}
