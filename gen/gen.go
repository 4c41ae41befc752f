// Package gen fills a database with a generated national-scale programme:
// communes (and districts) below the 63 provinces, a few thousand directing
// documents, their tasks and the tasks' assignments with the history of
// their facts, progress reports and the search index, all marked as
// generated demo data (source DEMO; documents and tasks with the note
// "gen seed=N"). The same seed on the same day gives the same programme.
//
// It writes in bulk, in one transaction (COPY on PostgreSQL, multi-row
// INSERTs on SQLite), the rows the write path would have written, without
// going through it: the rules it keeps are the write path's (see history).
// The command "p06 gen" runs it; tests and benchmarks call Programme.
package gen

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"p06/seeds"
	"p06/store"
	"p06/tasks"
)

// Options say what to generate. Start from DefaultOptions.
type Options struct {
	// Tasks is how many tasks to generate.
	Tasks int
	// AssignmentsPerTask is how many units a task is given to on average.
	AssignmentsPerTask float64
	// Documents is how many documents carry the tasks; 0 is one per 40
	// tasks.
	Documents int
	// DistrictsPerProvince and CommunesPerProvince are how many districts
	// (DISTRICT) and communes (COMMUNE) to make below each province; with
	// districts, a province's communes are spread over them. The 2025
	// reorganisation removed the district level, hence none by default.
	DistrictsPerProvince, CommunesPerProvince int
	// Skew is the exponent s of the Zipf law by which units are drawn: the
	// unit ranked r (from 1) weighs 1/r^s, so with s = 1.1 the first of the
	// 94 ministries and provinces gets about a quarter of the draws. 0 draws
	// uniformly.
	Skew float64
	// AllProvincesPercent is the share of national tasks given to every
	// province.
	AllProvincesPercent float64
	// ReportsPercent is the share of started assignments with progress
	// reports (one to three each).
	ReportsPercent float64
	// Seed makes the programme: the same seed, options and day give the
	// same rows.
	Seed uint64
	// Clock tells the day the programme stands on (store.SystemClock when
	// nil): documents are issued by then and facts hold until then.
	Clock store.Clock
	// Values is how many indicator values to generate (0: none), over the
	// 24 months before today, for the lowest generated units (see
	// values.go).
	Values int
	// Progress, when not nil, gets a line now and then while rows are
	// written.
	Progress io.Writer
}

// DefaultOptions are the national scale: 100,000 tasks given to
// 1,000,000 assignments, ten communes a province.
var DefaultOptions = Options{Tasks: 100_000, AssignmentsPerTask: 10, CommunesPerProvince: 10, Skew: 1.1,
	AllProvincesPercent: 2, ReportsPercent: 2, Seed: 1}

// Bounds of the options: beyond them a run would take hours or make no
// sense.
const (
	MaxTasks                = 2_000_000
	MaxAssignments          = 20_000_000
	MaxAssignmentsPerTask   = 60
	MaxDistrictsPerProvince = 50
	MaxCommunesPerProvince  = 1000
	MaxSkew                 = 4
)

// tasksPerDocument is how many tasks a document carries on average when
// Options.Documents is 0.
const tasksPerDocument = 40

// notePrefix starts the note of every generated document and task.
const notePrefix = "gen seed="

func invalid(field, vi, en string, args ...any) error {
	e := store.Errorf(store.Invalid, vi, en, args...)
	e.Field = field
	return e
}

// Validate refuses options that are out of bounds, with an INVALID
// *store.Error naming the option (as the command's flag).
func (o Options) Validate() error {
	switch {
	case o.Tasks < 1 || o.Tasks > MaxTasks:
		return invalid("tasks", "--tasks phải từ 1 đến %d, nhận được %d", "--tasks must be from 1 to %d, got %d", MaxTasks, o.Tasks)
	case math.IsNaN(o.AssignmentsPerTask) || o.AssignmentsPerTask < 1 || o.AssignmentsPerTask > MaxAssignmentsPerTask:
		return invalid("assignments-per-task", "--assignments-per-task phải từ 1 đến %d, nhận được %g",
			"--assignments-per-task must be from 1 to %d, got %g", MaxAssignmentsPerTask, o.AssignmentsPerTask)
	case float64(o.Tasks)*o.AssignmentsPerTask > MaxAssignments:
		return invalid("assignments-per-task", "--tasks × --assignments-per-task tối đa %d phần giao, nhận được %.0f",
			"--tasks × --assignments-per-task is at most %d assignments, got %.0f", MaxAssignments, float64(o.Tasks)*o.AssignmentsPerTask)
	case o.Documents < 0 || o.Documents > o.Tasks:
		return invalid("documents", "--documents phải từ 0 (tự chọn) đến số nhiệm vụ (%d), nhận được %d",
			"--documents must be from 0 (automatic) to the number of tasks (%d), got %d", o.Tasks, o.Documents)
	case o.DistrictsPerProvince < 0 || o.DistrictsPerProvince > MaxDistrictsPerProvince:
		return invalid("districts-per-province", "--districts-per-province phải từ 0 đến %d, nhận được %d",
			"--districts-per-province must be from 0 to %d, got %d", MaxDistrictsPerProvince, o.DistrictsPerProvince)
	case o.CommunesPerProvince < 0 || o.CommunesPerProvince > MaxCommunesPerProvince:
		return invalid("communes-per-province", "--communes-per-province phải từ 0 đến %d, nhận được %d",
			"--communes-per-province must be from 0 to %d, got %d", MaxCommunesPerProvince, o.CommunesPerProvince)
	case math.IsNaN(o.Skew) || o.Skew < 0 || o.Skew > MaxSkew:
		return invalid("skew", "--skew phải từ 0 đến %d, nhận được %g", "--skew must be from 0 to %d, got %g", MaxSkew, o.Skew)
	case math.IsNaN(o.AllProvincesPercent) || o.AllProvincesPercent < 0 || o.AllProvincesPercent > 100:
		return invalid("all-provinces", "--all-provinces là tỷ lệ phần trăm (0–100), nhận được %g",
			"--all-provinces is a percentage (0–100), got %g", o.AllProvincesPercent)
	case o.Values < 0 || o.Values > MaxValues:
		return invalid("values", "--values phải từ 0 đến %d, nhận được %d", "--values must be from 0 to %d, got %d", MaxValues, o.Values)
	case math.IsNaN(o.ReportsPercent) || o.ReportsPercent < 0 || o.ReportsPercent > 100:
		return invalid("reports", "--reports là tỷ lệ phần trăm (0–100), nhận được %g",
			"--reports is a percentage (0–100), got %g", o.ReportsPercent)
	}
	return nil
}

// Report counts what Programme added.
type Report struct {
	Seed                                            uint64
	Districts, Communes, WorkingGroups              int
	Documents, Tasks, AllProvinceTasks, Assignments int
	// Facts counts the rows of the assignments' history (assignment_facts).
	Facts, ProgressReports, SearchWords int
	// Indicators and Values count the generated indicators and their
	// values; Rollups the rows of their pre-aggregated roll-ups.
	Indicators, Values, Rollups int
	// ByState counts the assignments by their current state.
	ByState map[tasks.State]int
	// Load is the time the transaction took, Analyze the statistics after.
	Load, Analyze time.Duration
	// Bytes is the size of the database afterwards (PostgreSQL: the whole
	// database, whatever its schema).
	Bytes int64
}

func (r Report) String() string {
	var states []string
	for _, s := range []tasks.State{tasks.NotStarted, tasks.InProgress, tasks.Done, tasks.Cancelled} {
		states = append(states, fmt.Sprintf("%s %s", thousands(r.ByState[s]), s))
	}
	return fmt.Sprintf("generated (seed %d): %s districts, %s communes, %s working groups, %s documents, "+
		"%s tasks (%s to every province), %s assignments (%s), %s history rows, %s progress reports, %s search words; "+
		"%s indicators with %s values (%s roll-up rows); load %s, analyze %s; database %.1f MiB",
		r.Seed, thousands(r.Districts), thousands(r.Communes), thousands(r.WorkingGroups), thousands(r.Documents),
		thousands(r.Tasks), thousands(r.AllProvinceTasks), thousands(r.Assignments), strings.Join(states, ", "),
		thousands(r.Facts), thousands(r.ProgressReports), thousands(r.SearchWords),
		thousands(r.Indicators), thousands(r.Values), thousands(r.Rollups), r.Load.Round(100*time.Millisecond), r.Analyze.Round(100*time.Millisecond), float64(r.Bytes)/(1<<20))
}

// thousands writes n with commas between thousands.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Programme adds a generated programme to db, which must be migrated and
// hold the reference data (seeds.Load; the command loads the demo data as
// well). It refuses (CONFLICT) a database that already holds generated
// data: it only adds rows, and removing generated ones would take with
// them whatever was since done on them through the API. Everything is
// written in one transaction, then the planner's statistics are updated
// (ANALYZE; VACUUM ANALYZE on PostgreSQL).
func Programme(ctx context.Context, db *store.DB, o Options) (Report, error) {
	if err := o.Validate(); err != nil {
		return Report{}, err
	}
	if o.Clock == nil {
		o.Clock = store.SystemClock
	}
	if o.Documents == 0 {
		o.Documents = max(1, o.Tasks/tasksPerDocument)
	}
	taskTitles, err := seeds.DemoTaskTitles()
	if err != nil {
		return Report{}, fmt.Errorf("gen: %w", err)
	}
	// One COPY on a busy machine, or the VACUUM of the search index, can
	// take longer than the pool's read timeout.
	db, release := db.LongRunning()
	defer release()
	g := &generator{o: o, pg: db.Engine == store.Postgres, today: dayOf(store.Today(o.Clock)),
		note: fmt.Sprintf("%s%d", notePrefix, o.Seed), words: newChain(taskTitles),
		rng: rand.New(rand.NewPCG(o.Seed, 0x06062022)), zipf: map[int][]float64{},
		rep: Report{Seed: o.Seed, ByState: map[tasks.State]int{}}}
	start := time.Now()
	conn, err := db.Conn(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("gen: %w", err)
	}
	defer conn.Close()
	if !g.pg {
		// A larger page cache for this connection while it writes (the
		// search index's B-tree is updated all over), back to SQLite's
		// default before the connection returns to the pool.
		if _, err := conn.ExecContext(ctx, "PRAGMA cache_size = -262144"); err != nil {
			return Report{}, fmt.Errorf("gen: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA cache_size = -2000") //nolint:errcheck // best effort
	}
	err = conn.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		g.tx, g.w = tx, &writer{conn: conn, tx: tx}
		defer g.w.close()
		return g.run(ctx)
	})
	if err != nil {
		return Report{}, store.AsBusy(err)
	}
	g.rep.Load = time.Since(start)
	g.progress("committed %s rows in %s; updating the planner's statistics", thousands(g.w.rows), g.rep.Load.Round(time.Second))
	start = time.Now()
	if err := analyze(ctx, db); err != nil {
		return g.rep, err
	}
	g.rep.Analyze = time.Since(start)
	g.rep.Bytes, err = size(ctx, db)
	return g.rep, err
}

// analyzed are the tables a generation fills.
var analyzed = []string{"org_units", "working_groups", "working_group_members", "documents", "tasks", "assignments",
	"assignment_facts", "progress_reports", "search_words", "task_statuses", "task_status_days",
	"indicators", "data_values", "data_value_history", "kpi_rollups"}

// analyze gives the planner statistics of the loaded tables; on PostgreSQL
// VACUUM also sets the visibility map, which index-only scans (the search
// index's) need, as autovacuum would some time after such inserts.
func analyze(ctx context.Context, db *store.DB) error {
	q := "ANALYZE"
	if db.Engine == store.Postgres {
		q = "VACUUM ANALYZE " + strings.Join(analyzed, ", ")
	}
	if _, err := db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("gen: %s: %w", q, err)
	}
	// The transaction went through SQLite's write-ahead log; fold it into
	// the database file so the file is the database's size.
	return db.Checkpoint(ctx)
}

// size is the size of db in bytes: the SQLite file's pages, or the whole
// PostgreSQL database.
func size(ctx context.Context, db *store.DB) (int64, error) {
	var n int64
	q := "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"
	if db.Engine == store.Postgres {
		q = "SELECT pg_database_size(current_database())"
	}
	if err := db.NewRaw(q).Scan(ctx, &n); err != nil {
		return 0, fmt.Errorf("gen: database size: %w", err)
	}
	return n, nil
}
