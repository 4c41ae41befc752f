// Package jobs runs the scheduled jobs (the alert scan, the e-mail digest,
// webhook deliveries) with gocron: on a schedule, once at start-up, or now
// at an administrator's request; every run recorded in job_runs. With
// several processes on one PostgreSQL database, one of them (the holder of
// an advisory lock, see Elector) runs the scheduled runs.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"

	"p06/alerts"
	"p06/auth"
	"p06/rbac"
	"p06/store"
)

// Func is the work of a job; runID is its run's id in job_runs. It returns
// the counts recorded with the run. It must stop (and roll back) when ctx
// is cancelled.
type Func func(ctx context.Context, runID int64) (map[string]int, error)

// Job is one job and when it runs.
type Job struct {
	Name string
	Run  Func
	// Every runs it at that interval (0: never), the first time at start-up.
	Every time.Duration
	// At runs it every day at these times of day in Asia/Ho_Chi_Minh
	// ("07:00").
	At []string
	// Cron runs it on a crontab schedule (minute hour day-of-month month
	// day-of-week) in Asia/Ho_Chi_Minh: "0 6 1 * *" is 06:00 on the 1st.
	Cron string
	// Due is how long after its last run the job is overdue (readiness).
	Due time.Duration
}

// Triggers of a run.
const (
	TriggerStart    = "START"
	TriggerSchedule = "SCHEDULE"
	TriggerManual   = "MANUAL"
	// TriggerTakeOver is a run of an interval job made when this process
	// took the lead from another (see Elector).
	TriggerTakeOver = "TAKEOVER"
)

// ErrUnknownJob is the INVALID error of a job name that is not one of ours.
func errUnknownJob(name string) *store.Error {
	return &store.Error{Code: store.Invalid, Field: "job", Message: fmt.Sprintf("không có tác vụ %q", name),
		English: fmt.Sprintf("no job %q", name)}
}

// Scheduler runs jobs.
type Scheduler struct {
	runs    *alerts.Store
	log     *slog.Logger
	clock   store.Clock
	elector gocron.Elector
	process string
	jobs    map[string]*entry
	order   []*entry // the jobs in the order given
	sched   gocron.Scheduler
	started time.Time

	ctx    context.Context // the jobs' context, cancelled when a shutdown runs out of time
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type entry struct {
	Job
	mu      sync.Mutex  // one run of a job at a time in this process
	started atomic.Bool // its start-up run was made
}

// Options configure a Scheduler.
type Options struct {
	// Elector, when set, decides whether this process runs the scheduled
	// runs (several processes on one database); nil runs them here.
	Elector gocron.Elector
	// Clock is gocron's clock (tests give a fake one); nil is the real one.
	Clock clockwork.Clock
	// Now tells the time of runs and readiness (store.SystemClock).
	Now store.Clock
}

// New returns a scheduler of jobs recording runs in runs; Start starts it.
func New(runs *alerts.Store, log *slog.Logger, o Options, jobs ...Job) (*Scheduler, error) {
	host, _ := os.Hostname()
	s := &Scheduler{runs: runs, log: log, clock: o.Now, elector: o.Elector, jobs: map[string]*entry{},
		process: fmt.Sprintf("%s:%d", host, os.Getpid())}
	if s.clock == nil {
		s.clock = store.SystemClock
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	opts := []gocron.SchedulerOption{gocron.WithLocation(store.VN), gocron.WithLogger(gocron.NewLogger(gocron.LogLevelError))}
	if o.Clock != nil {
		opts = append(opts, gocron.WithClock(o.Clock))
	}
	// The elector is asked before each scheduled run; manual runs (RunNow)
	// do not ask it: every job is safe to run on any process at any time
	// (the database's unique keys and claims make each effect once).
	if o.Elector != nil {
		opts = append(opts, gocron.WithDistributedElector(o.Elector))
	}
	var err error
	if s.sched, err = gocron.NewScheduler(opts...); err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	for _, j := range jobs {
		e := &entry{Job: j}
		s.jobs[j.Name] = e
		s.order = append(s.order, e)
		if j.Every > 0 {
			if _, err := s.sched.NewJob(gocron.DurationJob(j.Every), gocron.NewTask(s.scheduled, e, TriggerStart),
				gocron.WithName(j.Name), gocron.WithStartAt(gocron.WithStartImmediately())); err != nil {
				return nil, fmt.Errorf("jobs: %s: %w", j.Name, err)
			}
		}
		if len(j.At) > 0 {
			var ats []gocron.AtTime
			for _, a := range j.At {
				var h, m uint
				if _, err := fmt.Sscanf(a, "%d:%d", &h, &m); err != nil || h > 23 || m > 59 {
					return nil, fmt.Errorf("jobs: %s: time of day %q is not HH:MM", j.Name, a)
				}
				ats = append(ats, gocron.NewAtTime(h, m, 0))
			}
			if _, err := s.sched.NewJob(gocron.DailyJob(1, gocron.NewAtTimes(ats[0], ats[1:]...)),
				gocron.NewTask(s.scheduled, e, TriggerSchedule), gocron.WithName(j.Name)); err != nil {
				return nil, fmt.Errorf("jobs: %s: %w", j.Name, err)
			}
		}
		if j.Cron != "" {
			if _, err := s.sched.NewJob(gocron.CronJob(j.Cron, false), gocron.NewTask(s.scheduled, e, TriggerSchedule),
				gocron.WithName(j.Name)); err != nil {
				return nil, fmt.Errorf("jobs: %s: %w", j.Name, err)
			}
		}
	}
	return s, nil
}

// Jobs lists the job names, sorted.
func (s *Scheduler) Jobs() []string {
	var out []string
	for n := range s.jobs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Start starts the schedule: the jobs with an interval run once now (on
// the leader), and again, in the order given, on a process that takes the
// lead from another.
func (s *Scheduler) Start() {
	s.started = s.clock()
	if e, ok := s.elector.(interface{ OnTakeOver(func()) }); ok {
		e.OnTakeOver(s.takeOver)
	}
	s.sched.Start()
}

// takeOver runs the interval jobs one after the other: the process that
// ran them is gone, and their next turn here may be an interval away.
func (s *Scheduler) takeOver() {
	for _, e := range s.order {
		if e.Every <= 0 || s.ctx.Err() != nil {
			continue
		}
		if _, err := s.run(e, TriggerTakeOver, 0); err != nil && !errors.Is(err, errBusy) {
			s.log.Error("job failed", "job", e.Name, "err", err)
		}
	}
}

// scheduled is gocron's task: a scheduled run, the first of an interval
// job being the start-up run.
func (s *Scheduler) scheduled(e *entry, trigger string) {
	if trigger == TriggerStart && !e.started.CompareAndSwap(false, true) {
		trigger = TriggerSchedule
	}
	if _, err := s.run(e, trigger, 0); err != nil && !errors.Is(err, errBusy) {
		s.log.Error("job failed", "job", e.Name, "err", err)
	}
}

var errBusy = errors.New("jobs: already running")

// run runs e now, recorded with trigger, unless a run of e is in progress
// in this process (errBusy).
func (s *Scheduler) run(e *entry, trigger string, by int64) (*alerts.Run, error) {
	if !e.mu.TryLock() {
		return nil, errBusy
	}
	defer e.mu.Unlock()
	s.wg.Add(1)
	defer s.wg.Done()
	r, err := s.runs.StartRun(s.ctx, e.Name, trigger, s.process, by)
	if err != nil {
		return nil, err
	}
	counts, runErr := e.Run(s.ctx, r.ID)
	if err := s.runs.EndRun(s.ctx, r, counts, runErr); err != nil {
		return r, err
	}
	return r, runErr
}

// RunNow runs the job name now on this process for actor, who must hold
// ADMIN_POLICY on the national unit (jobs concern every unit), and returns
// its run (FAILED with its error when it failed). The request is audited
// (job.run). A run of that job already in progress here is a CONFLICT.
func (s *Scheduler) RunNow(ctx context.Context, actor *auth.Identity, name string) (*alerts.Run, error) {
	if actor == nil {
		return nil, &store.Error{Code: store.Unauthenticated, Message: "cần đăng nhập", English: "sign-in required"}
	}
	if !s.runs.Authorizer().Can(actor.Subject(), rbac.RootPath, rbac.AdminPolicy) {
		return nil, &store.Error{Code: store.Forbidden, Message: "chỉ quản trị viên toàn quốc được chạy tác vụ",
			English: "only a national administrator may run jobs"}
	}
	e := s.jobs[name]
	if e == nil {
		return nil, errUnknownJob(name)
	}
	if err := store.Audit(ctx, s.runs.DB(), auth.AuditEntry(actor, s.clock(), "job.run", "Job", 0, rbac.RootPath),
		map[string]string{"job": name}); err != nil {
		return nil, err
	}
	return s.runNow(e, actor.User.ID)
}

// runNow runs e now for the user by.
func (s *Scheduler) runNow(e *entry, by int64) (*alerts.Run, error) {
	name := e.Name
	r, err := s.run(e, TriggerManual, by)
	if errors.Is(err, errBusy) {
		return nil, &store.Error{Code: store.Conflict, Field: "job", Message: fmt.Sprintf("tác vụ %s đang chạy", name),
			English: fmt.Sprintf("job %s is already running", name)}
	}
	if r == nil {
		return nil, err
	}
	return r, nil // a failed run is recorded in r
}

// Health reports a job whose last run failed, or that has not run for
// longer than it should (its Due): the readiness check of a process that
// runs jobs. Runs of any process count.
func (s *Scheduler) Health(ctx context.Context) error {
	now := s.clock()
	for _, name := range s.Jobs() {
		e := s.jobs[name]
		r, err := s.runs.LastRun(ctx, name)
		if err != nil {
			return err
		}
		switch {
		case r != nil && r.Outcome == alerts.Failed:
			return fmt.Errorf("job %s: last run (%s) failed: %s", name, r.StartedAt.In(store.VN).Format(time.RFC3339), r.Error)
		case e.Due > 0 && r == nil && now.Sub(s.started) > e.Due:
			return fmt.Errorf("job %s: overdue, no run since this process started %s", name, s.started.In(store.VN).Format(time.RFC3339))
		case e.Due > 0 && r != nil && now.Sub(r.StartedAt) > e.Due:
			return fmt.Errorf("job %s: overdue, last run %s", name, r.StartedAt.In(store.VN).Format(time.RFC3339))
		}
	}
	return nil
}

// Stop stops the schedule and waits for runs in progress until ctx ends;
// then their context is cancelled (their transaction rolls back) and it
// waits for them to return.
func (s *Scheduler) Stop(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- s.sched.Shutdown() }()
	waited := make(chan struct{})
	go func() {
		<-done
		s.wg.Wait()
		close(waited)
	}()
	select {
	case <-waited:
	case <-ctx.Done():
		s.cancel()
		<-waited
	}
	s.cancel()
	if c, ok := s.elector.(interface{ Close() error }); ok {
		return c.Close()
	}
	return nil
}
