package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"p06/store"
)

// Run is one run of a scheduled job (job_runs).
type Run struct {
	bun.BaseModel `bun:"table:job_runs,alias:jr"`

	ID          int64      `bun:"id,pk,autoincrement"`
	Job         string     `bun:"job"`
	Trigger     string     `bun:"trigger"` // START, SCHEDULE, MANUAL
	StartedAt   time.Time  `bun:"started_at"`
	EndedAt     *time.Time `bun:"ended_at"`
	Outcome     string     `bun:"outcome"` // RUNNING, OK, FAILED
	Counts      string     `bun:"counts"`  // JSON object of counts
	Error       string     `bun:"error"`
	Process     string     `bun:"process"`
	RequestedBy int64      `bun:"requested_by,nullzero"`

	store.SortKey
}

// Outcomes of a run.
const (
	Running = "RUNNING"
	OK      = "OK"
	Failed  = "FAILED"
)

// StartRun records that job starts now on process, and returns the run.
func (s *Store) StartRun(ctx context.Context, job, trigger, process string, requestedBy int64) (*Run, error) {
	r := &Run{Job: job, Trigger: trigger, StartedAt: s.clock().UTC(), Outcome: Running, Counts: "{}", Process: process, RequestedBy: requestedBy}
	if _, err := s.db.NewInsert().Model(r).Returning("id").Exec(ctx); err != nil {
		return nil, fmt.Errorf("alerts: recording a run of %s: %w", job, err)
	}
	return r, nil
}

// EndRun records the end of r with its counts and error (nil: OK). It
// writes even when ctx is cancelled: a run stopped by a shutdown is
// recorded as failed.
func (s *Store) EndRun(ctx context.Context, r *Run, counts map[string]int, runErr error) error {
	b, err := json.Marshal(counts)
	if err != nil {
		return err
	}
	if counts == nil {
		b = []byte("{}")
	}
	end := s.clock().UTC()
	r.EndedAt, r.Counts, r.Outcome = &end, string(b), OK
	if runErr != nil {
		r.Outcome, r.Error = Failed, runErr.Error()
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := s.db.NewUpdate().Model(r).Column("ended_at", "counts", "outcome", "error").WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("alerts: recording the end of run %d: %w", r.ID, err)
	}
	return nil
}

// runOrder is the job runs list's order: newest first.
var runOrder = store.Order{Name: "jobRuns", Desc: true, Keys: []store.Key{{Expr: "jr.id"}}}

// Runs returns a page of the runs of job (all jobs when ""), newest first.
func (s *Store) Runs(ctx context.Context, job string, p store.Page) ([]*Run, store.PageInfo, error) {
	var rs []*Run
	q := s.db.NewSelect().Model(&rs)
	if job != "" {
		q = q.Where("jr.job = ?", job)
	}
	info, err := store.List(ctx, q, &rs, runOrder, p)
	if err != nil {
		return nil, info, fmt.Errorf("alerts: listing job runs: %w", err)
	}
	return rs, info, nil
}

// LastRun returns the latest run of job that has ended, or nil.
func (s *Store) LastRun(ctx context.Context, job string) (*Run, error) {
	var r Run
	err := s.db.NewSelect().Model(&r).Where("jr.job = ? AND jr.outcome <> ?", job, Running).OrderExpr("jr.id DESC").Limit(1).Scan(ctx)
	if store.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("alerts: reading the last run of %s: %w", job, err)
	}
	return &r, nil
}
