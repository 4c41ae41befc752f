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
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"p06/auth"
	"p06/org"
	"p06/rbac"
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
	// Progress, when not nil, gets a line now and then while rows are
	// written.
	Progress io.Writer
}

// DefaultOptions are the issue's national scale: 100,000 tasks given to
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
		"load %s, analyze %s; database %.1f MiB",
		r.Seed, thousands(r.Districts), thousands(r.Communes), thousands(r.WorkingGroups), thousands(r.Documents),
		thousands(r.Tasks), thousands(r.AllProvinceTasks), thousands(r.Assignments), strings.Join(states, ", "),
		thousands(r.Facts), thousands(r.ProgressReports), thousands(r.SearchWords),
		r.Load.Round(100*time.Millisecond), r.Analyze.Round(100*time.Millisecond), float64(r.Bytes)/(1<<20))
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
		if store.IsBusy(err) {
			return Report{}, store.ErrBusy
		}
		return Report{}, err
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
	"assignment_facts", "progress_reports", "search_words"}

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
	if db.Engine == store.SQLite {
		// The transaction went through the write-ahead log; fold it into
		// the database file so the file is the database's size.
		if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			return fmt.Errorf("gen: checkpoint: %w", err)
		}
	}
	return nil
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

// unit is an org unit a task can be given to.
type unit struct {
	id                          int64
	code, name, subtype, region string
}

// docPlan is a document to generate.
type docPlan struct {
	id                    int64
	kind                  tasks.DocKind
	number, issuer, title string
	issued                day
	province              int // index in provinces for a provincial plan, else -1
	tasks                 int
}

// taskPlan is what is decided for a task before its rows are made.
type taskPlan struct {
	doc  int  // index in docs
	all  bool // given to every province
	size int  // number of assignments
}

type generator struct {
	o       Options
	pg      bool
	tx      bun.Tx
	w       *writer
	rng     *rand.Rand
	today   day
	note    string
	words   *chain // the demo tasks' titles
	rep     Report
	started time.Time
	zipf    map[int][]float64

	ministries, provinces []unit
	national              []int64   // ministries and provinces, ranked for the Zipf law
	nationalMinistries    []int64   // ministries, ranked
	provinceIDs           []int64   // every province, in tree order
	local                 [][]int64 // per province: itself and the units below it, ranked
	provinceRank          []int     // provinces ranked by how many plans they issue

	docs  []docPlan
	plans []taskPlan
	// next ids of the tables written with explicit ids
	nextDoc, nextTask, nextAssignment, nextFact, nextReport int64
}

func (g *generator) progress(format string, args ...any) {
	if g.o.Progress != nil {
		fmt.Fprintf(g.o.Progress, "gen: "+format+"\n", args...)
	}
}

func (g *generator) run(ctx context.Context) error {
	g.started = time.Now()
	if err := g.claim(ctx); err != nil {
		return err
	}
	if err := g.loadUnits(ctx); err != nil {
		return err
	}
	if err := g.makeUnits(ctx); err != nil {
		return err
	}
	if err := g.planDocuments(ctx); err != nil {
		return err
	}
	g.planTasks()
	if err := g.writeDocuments(ctx); err != nil {
		return err
	}
	if err := g.writeTasks(ctx); err != nil {
		return err
	}
	if g.pg {
		// Rows were written with explicit ids: move the identity sequences
		// past them.
		for _, t := range []string{"documents", "tasks", "assignments", "assignment_facts", "progress_reports"} {
			if _, err := g.tx.ExecContext(ctx, "SELECT setval(pg_get_serial_sequence('"+t+"', 'id'), (SELECT MAX(id) FROM "+t+"))"); err != nil {
				return fmt.Errorf("gen: sequence of %s: %w", t, err)
			}
		}
	}
	return store.Audit(ctx, g.tx, auth.AuditEntry(nil, g.o.Clock(), "demo.generate", "", 0, rbac.RootPath), map[string]any{
		"seed": g.o.Seed, "tasks": g.rep.Tasks, "assignments": g.rep.Assignments, "documents": g.rep.Documents,
		"districts": g.rep.Districts, "communes": g.rep.Communes, "skew": g.o.Skew, "note": g.note})
}

// claim locks the tables written with explicit ids (PostgreSQL; a SQLite
// transaction holds the database's write lock), refuses a database that
// already holds generated data or lacks the reference data, and reads the
// next ids.
func (g *generator) claim(ctx context.Context) error {
	if g.pg {
		if _, err := g.tx.ExecContext(ctx, "LOCK TABLE documents, tasks, assignments, assignment_facts, progress_reports IN EXCLUSIVE MODE"); err != nil {
			return fmt.Errorf("gen: locking the tables: %w", err)
		}
	}
	docs, err := g.tx.NewSelect().TableExpr("documents").Where("source = ? AND note LIKE ?", store.SourceDemo, notePrefix+"%").Count(ctx)
	if err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	units, err := g.tx.NewSelect().TableExpr("org_units").Where("source = ? AND kind IN (?)", store.SourceDemo,
		bun.In([]org.Kind{org.District, org.Commune})).Count(ctx)
	if err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	if docs > 0 || units > 0 {
		return &store.Error{Code: store.Conflict,
			Message: fmt.Sprintf("cơ sở dữ liệu đã có dữ liệu sinh tự động (%d văn bản, %d đơn vị cấp huyện, xã); "+
				"hãy sinh vào một cơ sở dữ liệu mới (PostgreSQL: một database mới; SQLite: một P06_DATA_DIR khác)", docs, units),
			English: fmt.Sprintf("the database already holds generated data (%d documents, %d districts and communes); "+
				"generate into a new database (PostgreSQL: a new database; SQLite: another P06_DATA_DIR). The generator only adds rows: "+
				"removing generated ones would remove what was done on them through the API", docs, units)}
	}
	for _, t := range []struct {
		table string
		next  *int64
	}{{"documents", &g.nextDoc}, {"tasks", &g.nextTask}, {"assignments", &g.nextAssignment},
		{"assignment_facts", &g.nextFact}, {"progress_reports", &g.nextReport}} {
		if err := g.tx.NewRaw("SELECT COALESCE(MAX(id), 0) + 1 FROM "+t.table).Scan(ctx, t.next); err != nil {
			return fmt.Errorf("gen: next id of %s: %w", t.table, err)
		}
	}
	return nil
}

// loadUnits reads the ministries and provinces of the reference data and
// ranks them for the Zipf law: the Ministry of Public Security (which
// leads Project 06) first, the others in an order of the seed.
func (g *generator) loadUnits(ctx context.Context) error {
	var us []struct {
		ID      int64    `bun:"id"`
		Code    string   `bun:"code"`
		Name    string   `bun:"name"`
		Kind    org.Kind `bun:"kind"`
		Subtype string   `bun:"subtype"`
		Region  string   `bun:"region"`
	}
	if err := g.tx.NewSelect().Table("org_units").Column("id", "code", "name", "kind", "subtype", "region").
		Where("source = ? AND kind IN (?)", store.SourceReference, bun.In([]org.Kind{org.Ministry, org.Province})).
		OrderExpr("sort_order, code").Scan(ctx, &us); err != nil {
		return fmt.Errorf("gen: reading the units: %w", err)
	}
	for _, u := range us {
		x := unit{id: u.ID, code: u.Code, name: u.Name, subtype: u.Subtype, region: u.Region}
		if u.Kind == org.Ministry {
			g.ministries = append(g.ministries, x)
		} else {
			g.provinces = append(g.provinces, x)
			g.provinceIDs = append(g.provinceIDs, u.ID)
		}
	}
	if len(g.ministries) == 0 || len(g.provinces) == 0 {
		return &store.Error{Code: store.Invalid,
			Message: "chưa có dữ liệu tham chiếu (các bộ, ngành và tỉnh, thành phố): hãy nạp seeds trước",
			English: "the reference data (ministries and provinces) is missing: load the seeds first"}
	}
	var ministries []int64
	for _, m := range g.ministries {
		if m.code != "BCA" {
			ministries = append(ministries, m.id)
		}
	}
	g.rng.Shuffle(len(ministries), func(i, j int) { ministries[i], ministries[j] = ministries[j], ministries[i] })
	for _, m := range g.ministries {
		if m.code == "BCA" {
			ministries = append([]int64{m.id}, ministries...)
		}
	}
	g.nationalMinistries = ministries
	rest := slices.Clone(ministries[1:])
	rest = append(rest, g.provinceIDs...)
	g.rng.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
	g.national = append([]int64{ministries[0]}, rest...)
	g.provinceRank = g.rng.Perm(len(g.provinces))
	return nil
}

// makeUnits makes the districts and communes below each province, with a
// working group each, through org.Store (paths, depth, search index).
func (g *generator) makeUnits(ctx context.Context) error {
	g.local = make([][]int64, len(g.provinces))
	if g.o.DistrictsPerProvince == 0 && g.o.CommunesPerProvince == 0 {
		return nil
	}
	os := org.NewStore(g.tx)
	make1 := func(p unit, u *org.Unit, parent string, level org.Level, head, police, staff string) error {
		u.Source, u.Region = store.SourceDemo, p.region
		if err := os.CreateUnit(ctx, u, parent); err != nil {
			return fmt.Errorf("gen: unit %s: %w", u.Code, err)
		}
		lower := strings.ToLower(u.Name[:strings.IndexByte(u.Name, ' ')]) + u.Name[strings.IndexByte(u.Name, ' '):]
		wg := &org.WorkingGroup{Code: "TCT-" + u.Code, Name: "Tổ công tác triển khai Đề án 06 " + lower, Level: level, Source: store.SourceDemo}
		if err := os.CreateGroup(ctx, wg, u.Code, []*org.Member{
			{Position: head, Role: org.RoleLeader}, {Position: police, Role: org.RoleDeputyLeader}, {Position: staff, Role: org.RoleMember},
		}); err != nil {
			return fmt.Errorf("gen: working group of %s: %w", u.Code, err)
		}
		g.rep.WorkingGroups++
		return nil
	}
	for i, p := range g.provinces {
		city := p.subtype == "thanh_pho_truc_thuoc_trung_uong"
		var local []int64
		var districts []string
		for d := 1; d <= g.o.DistrictsPerProvince; d++ {
			kind, sub := "Huyện", "huyen"
			if city {
				kind, sub = "Quận", "quan"
			}
			u := &org.Unit{Code: fmt.Sprintf("%s-H%02d", p.code, d), Name: fmt.Sprintf("%s Thử nghiệm %d", kind, d),
				NameEn: fmt.Sprintf("Test district %d", d), Kind: org.District, Subtype: sub, SortOrder: d}
			lk := strings.ToLower(kind)
			if err := make1(p, u, p.code, org.LevelDistrict, "Chủ tịch Ủy ban nhân dân "+lk, "Trưởng Công an "+lk+" (Tổ phó thường trực)",
				"Lãnh đạo các phòng, ban của "+lk); err != nil {
				return err
			}
			districts = append(districts, u.Code)
			local = append(local, u.ID)
			g.rep.Districts++
		}
		for c := 1; c <= g.o.CommunesPerProvince; c++ {
			kind, sub := "Xã", "xa"
			if city {
				kind, sub = "Phường", "phuong"
			}
			parent, order := p.code, c
			if len(districts) > 0 {
				parent, order = districts[(c-1)%len(districts)], (c-1)/len(districts)+1
			}
			u := &org.Unit{Code: fmt.Sprintf("%s-X%03d", p.code, c), Name: fmt.Sprintf("%s Thử nghiệm %d", kind, c),
				NameEn: fmt.Sprintf("Test commune %d", c), Kind: org.Commune, Subtype: sub, SortOrder: order}
			lk := strings.ToLower(kind)
			if err := make1(p, u, parent, org.LevelCommune, "Chủ tịch Ủy ban nhân dân "+lk, "Trưởng Công an "+lk+" (Tổ phó thường trực)",
				"Công chức Tư pháp - Hộ tịch, Văn hóa - Xã hội của "+lk); err != nil {
				return err
			}
			local = append(local, u.ID)
			g.rep.Communes++
		}
		g.rng.Shuffle(len(local), func(a, b int) { local[a], local[b] = local[b], local[a] })
		g.local[i] = append([]int64{p.id}, local...)
	}
	g.progress("%d districts, %d communes and their working groups (%s)", g.rep.Districts, g.rep.Communes, g.since())
	return nil
}

func (g *generator) since() time.Duration { return time.Since(g.started).Round(100 * time.Millisecond) }

// A document kind as issued: its share (per mille), the number's form and
// the issuer.
type docKind struct {
	kind   tasks.DocKind
	share  int
	suffix string // "%s/CT-TTg"
	gap    int    // numbers advance by 1 to gap between documents of this form
	issuer string // "" for the province's People's Committee
}

var nationalKinds = []docKind{
	{tasks.ChiThi, 120, "%s/CT-TTg", 3, "Thủ tướng Chính phủ"},
	{tasks.NghiQuyet, 200, "%s/NQ-CP", 5, "Chính phủ"},
	{tasks.QuyetDinh, 120, "%s/QĐ-TTg", 60, "Thủ tướng Chính phủ"},
	{tasks.CongDien, 100, "%s/CĐ-TTg", 40, "Thủ tướng Chính phủ"},
	{tasks.KetLuan, 60, "%s-KL/TW", 3, "Bộ Chính trị"},
	{tasks.ThongBao, 200, "%s/TB-VPCP", 30, "Văn phòng Chính phủ"},
	{tasks.KeHoach, 200, "%s/KH-BCA", 10, "Bộ Công an"},
}

var provincialKinds = []docKind{
	{tasks.KeHoach, 700, "%s/KH-UBND", 20, ""},
	{tasks.QuyetDinh, 150, "%s/QĐ-UBND", 40, ""},
	{tasks.ThongBao, 150, "%s/TB-UBND", 20, ""},
}

// provincialShare is the share (per mille) of documents that are a
// province's own plans for its districts and communes, when it has any.
const provincialShare = 250

func pickKind(r *rand.Rand, kinds []docKind) docKind {
	n := r.IntN(1000)
	for _, k := range kinds {
		if n < k.share {
			return k
		}
		n -= k.share
	}
	return kinds[len(kinds)-1]
}

// firstIssue and lastIssue bound the documents' issue dates.
var firstIssue, lastIssue = dayOf(store.MustDate("2019-01-01")), dayOf(store.MustDate("2025-12-31"))

// fullName is a province as a sentence names it: "tỉnh Thừa Thiên Huế",
// "thành phố Hồ Chí Minh".
func fullName(p unit) string {
	if p.subtype == "thanh_pho_truc_thuoc_trung_uong" {
		return "thành phố " + strings.TrimPrefix(p.name, "Thành phố ")
	}
	return "tỉnh " + p.name
}

// planDocuments decides the documents: kind, issuer, issue date (2019 to
// 2025, not after today), number and title; ids and numbers follow the
// issue dates.
func (g *generator) planDocuments(ctx context.Context) error {
	r := g.rng
	last := min(lastIssue, g.today)
	first := min(firstIssue, last-730)
	provincial := len(g.local) > 0 && len(g.local[0]) > 1
	kinds := make([]docKind, g.o.Documents)
	g.docs = make([]docPlan, g.o.Documents)
	for i := range g.docs {
		d := &g.docs[i]
		d.province = -1
		kinds[i] = pickKind(r, nationalKinds)
		if provincial && r.IntN(1000) < provincialShare {
			d.province = g.provinceRank[g.zipfIndex(r, len(g.provinces))]
			kinds[i] = pickKind(r, provincialKinds)
		}
		d.kind, d.issued = kinds[i].kind, between(r, first, last)
		d.issuer = kinds[i].issuer
		if d.province >= 0 {
			d.issuer = "Ủy ban nhân dân " + fullName(g.provinces[d.province])
		}
		d.title = g.docTitle(r, d)
	}
	order := make([]int, len(g.docs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return g.docs[order[a]].issued < g.docs[order[b]].issued })
	var stored []string
	if err := g.tx.NewSelect().Table("documents").Column("number").Scan(ctx, &stored); err != nil {
		return fmt.Errorf("gen: document numbers: %w", err)
	}
	taken := map[string]bool{}
	for _, n := range stored {
		taken[strings.TrimLeft(n, "0")] = true
	}
	counter := map[string]int{}
	docs := make([]docPlan, len(g.docs))
	for i, o := range order {
		d := g.docs[o]
		k := kinds[o]
		for {
			counter[k.suffix] += 1 + r.IntN(k.gap)
			n := counter[k.suffix]
			num := fmt.Sprintf("%d", n)
			if n < 10 {
				num = "0" + num
			}
			d.number = fmt.Sprintf(k.suffix, num)
			if !taken[strings.TrimLeft(d.number, "0")] {
				break
			}
		}
		taken[strings.TrimLeft(d.number, "0")] = true
		d.id = g.nextDoc + int64(i)
		docs[i] = d
	}
	g.docs = docs
	return nil
}

// docTitle is a title in the style of the document's kind.
func (g *generator) docTitle(r *rand.Rand, d *docPlan) string {
	phrase := lowerFirst(g.words.phrase(r, 6, 18))
	y, m := d.issued.Date().Year, int(d.issued.Date().Month)
	pm, py := m-1, y
	if pm == 0 {
		pm, py = 12, y-1
	}
	if d.province >= 0 {
		where := fullName(g.provinces[d.province])
		switch d.kind {
		case tasks.QuyetDinh:
			return fmt.Sprintf("Ban hành danh mục nhiệm vụ triển khai Đề án 06 năm %d của %s", y, where)
		case tasks.ThongBao:
			return fmt.Sprintf("Kết luận của Chủ tịch Ủy ban nhân dân %s tại cuộc họp Tổ công tác Đề án 06 tháng %d/%d", where, pm, py)
		}
		if r.IntN(2) == 0 {
			return fmt.Sprintf("Kế hoạch triển khai Đề án 06 trên địa bàn %s năm %d", where, y)
		}
		return "Kế hoạch " + phrase + " trên địa bàn " + where
	}
	switch d.kind {
	case tasks.QuyetDinh:
		return "Phê duyệt Kế hoạch " + phrase
	case tasks.NghiQuyet:
		if r.IntN(2) == 0 {
			return fmt.Sprintf("Phiên họp Chính phủ thường kỳ tháng %d năm %d", pm, py)
		}
		return "Về " + phrase
	case tasks.CongDien:
		return "Về việc " + phrase
	case tasks.KetLuan:
		return "Kết luận của Bộ Chính trị về " + phrase
	case tasks.ThongBao:
		return pick(r, "Kết luận của Thủ tướng Chính phủ", "Kết luận của Phó Thủ tướng Chính phủ") + " tại cuộc họp về " + phrase
	case tasks.KeHoach:
		return "Kế hoạch " + phrase
	}
	return "Về " + phrase // a directive (Chỉ thị)
}

// weights are the Zipf weights of n ranked items.
func (g *generator) weights(n int) []float64 {
	if w, ok := g.zipf[n]; ok {
		return w
	}
	w := make([]float64, n)
	for i := range w {
		w[i] = 1 / math.Pow(float64(i+1), g.o.Skew)
	}
	g.zipf[n] = w
	return w
}

// zipfIndex draws a rank in [0, n) by the Zipf law.
func (g *generator) zipfIndex(r *rand.Rand, n int) int {
	w := g.weights(n)
	var sum float64
	for _, x := range w {
		sum += x
	}
	u := r.Float64() * sum
	for i, x := range w {
		if u < x {
			return i
		}
		u -= x
	}
	return n - 1
}

// sample draws k distinct items of the ranked pool by the Zipf law
// (weighted sampling without replacement, Efraimidis–Spirakis), the
// heaviest draw first.
func (g *generator) sample(r *rand.Rand, pool []int64, k int) []int64 {
	w := g.weights(len(pool))
	type key struct {
		k float64
		i int
	}
	keys := make([]key, len(pool))
	for i := range pool {
		keys[i] = key{math.Log(1-r.Float64()) / w[i], i}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.k != b.k {
			if a.k > b.k {
				return -1
			}
			return 1
		}
		return a.i - b.i
	})
	out := make([]int64, k)
	for j := range out {
		out[j] = pool[keys[j].i]
	}
	return out
}

// planTasks spreads the tasks over the documents and decides how many
// units each is given to: every province for a share of the national
// tasks, otherwise a count drawn from a geometric law (many tasks to one
// or two units, a few to dozens), adjusted so that the total is the
// average asked for.
func (g *generator) planTasks() {
	r := g.rng
	n := g.o.Tasks
	// Documents' sizes: log-normal weights, at least one task each.
	ws := make([]float64, len(g.docs))
	var sum float64
	for i := range ws {
		ws[i] = math.Exp(0.8 * r.NormFloat64())
		sum += ws[i]
	}
	left := n
	for i := range g.docs {
		g.docs[i].tasks = 1
		left--
	}
	for i := range g.docs {
		x := min(left, int(float64(n-len(g.docs))*ws[i]/sum))
		g.docs[i].tasks += x
		left -= x
	}
	for ; left > 0; left-- {
		g.docs[r.IntN(len(g.docs))].tasks++
	}
	g.plans = make([]taskPlan, 0, n)
	for di, d := range g.docs {
		for range d.tasks {
			p := taskPlan{doc: di}
			if d.province < 0 && r.Float64()*100 < g.o.AllProvincesPercent {
				p.all = true
			}
			g.plans = append(g.plans, p)
		}
	}
	target := int(math.Round(float64(n) * g.o.AssignmentsPerTask))
	fixed, free := 0, 0
	for i := range g.plans {
		if g.plans[i].all {
			// Every province and one or two ministries leading.
			g.plans[i].size = len(g.provinces) + 1 + r.IntN(2)
			fixed += g.plans[i].size
		} else {
			free++
		}
	}
	mean := 1.0
	if free > 0 {
		mean = max(1, float64(target-fixed)/float64(free))
	}
	total := fixed
	var adjustable []int
	for i := range g.plans {
		p := &g.plans[i]
		if p.all {
			continue
		}
		p.size = 1
		if mean > 1 {
			p.size += int(math.Log(1-r.Float64()) / math.Log(1-1/mean))
		}
		p.size = min(p.size, g.capOf(p))
		total += p.size
		adjustable = append(adjustable, i)
	}
	// Bring the total to the target, one assignment at a time, on tasks
	// drawn at random among those with room.
	for tries, most := 0, 4*abs(target-total)+1000; total != target && len(adjustable) > 0 && tries < most; tries++ {
		p := &g.plans[adjustable[r.IntN(len(adjustable))]]
		switch {
		case total < target && p.size < g.capOf(p):
			p.size++
			total++
		case total > target && p.size > 1:
			p.size--
			total--
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// capOf is the most units task p can be given to.
func (g *generator) capOf(p *taskPlan) int {
	if d := g.docs[p.doc]; d.province >= 0 {
		return len(g.local[d.province])
	}
	return len(g.national)
}

// writeDocuments writes the documents and their search words.
func (g *generator) writeDocuments(ctx context.Context) error {
	docs := newBatch(g.pg, "documents", "id", "kind", "number", "issue_date", "issuer", "title", "search_text", "source", "note")
	words := newBatch(g.pg, "search_words", "word", "kind", "object_id", "weight")
	for _, d := range g.docs {
		d.number, d.title, d.issuer = store.NFC(d.number), store.NFC(d.title), store.NFC(d.issuer)
		docs.int(d.id)
		docs.str(string(d.kind))
		docs.str(d.number)
		docs.date(d.issued)
		docs.str(d.issuer)
		docs.str(d.title)
		docs.str(store.Fold(d.number + " " + d.title))
		docs.str(string(store.SourceDemo))
		docs.str(g.note)
		docs.end()
		g.index(words, store.SearchDocument, d.id, d.number+" "+d.title, "")
	}
	g.rep.Documents = len(g.docs)
	if err := g.w.write(ctx, docs); err != nil {
		return err
	}
	if err := g.w.write(ctx, words); err != nil {
		return err
	}
	g.progress("%d documents (%s)", len(g.docs), g.since())
	return nil
}

// index adds the search words of one object, as store.IndexSearch writes them.
func (g *generator) index(b *batch, kind store.SearchKind, id int64, title, body string) {
	store.EachSearchWord(title, body, func(w string, weight int) {
		b.str(w)
		b.str(string(kind))
		b.int(id)
		b.int(int64(weight))
		b.end()
		g.rep.SearchWords++
	})
}

// tasksPerWrite is how many tasks' rows are written at a time.
const tasksPerWrite = 1000

// writeTasks makes and writes the tasks with their assignments, history,
// reports and search words, a thousand tasks at a time (parents before
// children, for the foreign keys).
func (g *generator) writeTasks(ctx context.Context) error {
	b := &rowsOut{
		tasks: newBatch(g.pg, "tasks", "id", "document_id", "sort_order", "clause", "title", "description", "search_text",
			"deadline_text", "due_date", "precision", "source", "note", "recorded_on", "updated_at"),
		assignments: newBatch(g.pg, "assignments", "id", "task_id", "org_unit_id", "role", "state", "progress", "due_date",
			"completed_on", "source", "version", "updated_at"),
		facts: newBatch(g.pg, "assignment_facts", "id", "assignment_id", "version", "valid_from", "valid_to", "state", "progress",
			"due_date", "completed_on", "note", "changed_at"),
		reports: newBatch(g.pg, "progress_reports", "id", "assignment_id", "text", "search_text", "reported_at", "reported_on"),
		words:   newBatch(g.pg, "search_words", "word", "kind", "object_id", "weight"),
	}
	sortOrder := 0
	lastDoc := -1
	step := max(tasksPerWrite, g.o.Tasks/10)
	for i, p := range g.plans {
		if p.doc != lastDoc {
			lastDoc, sortOrder = p.doc, 0
		}
		sortOrder++
		if err := g.task(i, p, sortOrder, b); err != nil {
			return err
		}
		if (i+1)%tasksPerWrite == 0 || i+1 == len(g.plans) {
			for _, x := range []*batch{b.tasks, b.assignments, b.facts, b.reports, b.words} {
				if err := g.w.write(ctx, x); err != nil {
					return err
				}
			}
			if (i+1)%step == 0 || i+1 == len(g.plans) {
				g.progress("%s/%s tasks, %s assignments, %s history rows, %s search words (%s)", thousands(i+1), thousands(len(g.plans)),
					thousands(g.rep.Assignments), thousands(g.rep.Facts), thousands(g.rep.SearchWords), g.since())
			}
		}
	}
	return nil
}

// rowsOut are the batches a task's rows go to.
type rowsOut struct {
	tasks, assignments, facts, reports, words *batch
}

// taskFacts is what an assignment's history depends on.
type taskFacts struct {
	issued, recorded, due day
	precision             tasks.Precision
	cancelled             day    // the day the task was cancelled, or 0
	reason                string // why
	diligence             float64
}

// task makes the rows of the i-th task.
func (g *generator) task(i int, p taskPlan, sortOrder int, b *rowsOut) error {
	// Each task has its own random stream, so what it is does not depend
	// on how many rows came before it.
	r := rand.New(rand.NewPCG(g.o.Seed, uint64(i)+1))
	d := g.docs[p.doc]
	id := g.nextTask + int64(i)
	title := store.NFC(g.words.phrase(r, 7, 24))
	desc := g.words.phrase(r, 8, 28) + "."
	if r.IntN(3) == 0 {
		desc += " " + g.words.phrase(r, 6, 20) + "."
	}
	if tail := pick(r, taskTails...); tail != "" {
		desc += " " + tail
	}
	if i%1000 == 7 {
		desc += " Từ khóa đo tìm kiếm: " + RareWord + "."
	}
	desc = store.NFC(desc)
	dl, err := deadline(r, pickPrecision(r), d.issued+20+day(r.IntN(700)))
	if err != nil {
		return err
	}
	tf := taskFacts{issued: d.issued, recorded: min(g.today, d.issued+day(r.IntN(15))), due: dayOf(dl.Due),
		precision: dl.Precision, diligence: r.Float64()}
	if r.IntN(100) == 0 && g.today-tf.recorded > 60 {
		tf.cancelled = between(r, tf.recorded+30, g.today)
		tf.reason = pick(r, cancelReasons...)
	}
	created := tf.recorded.at(8*60 + r.IntN(9*60))
	updated := created

	// Who: the units and their roles.
	var units []int64
	var lead int // the first lead units lead
	switch {
	case p.all:
		ms := g.sample(r, g.nationalMinistries, p.size-len(g.provinceIDs))
		if r.IntN(2) == 0 { // the provinces lead, the ministries coordinate
			units, lead = append(slices.Clone(g.provinceIDs), ms...), len(g.provinceIDs)
		} else {
			units, lead = append(ms, g.provinceIDs...), len(ms)
		}
		g.rep.AllProvinceTasks++
	case d.province >= 0:
		units = g.sample(r, g.local[d.province], p.size)
	default:
		units = g.sample(r, g.national, p.size)
	}
	if !p.all {
		lead = 1
		if n := r.IntN(100); n < 5 {
			lead = 3
		} else if n < 20 {
			lead = 2
		}
		lead = min(lead, len(units))
	}
	for j, u := range units {
		role := tasks.Coordinate
		if j < lead {
			role = tasks.Lead
		}
		aid := g.nextAssignment
		g.nextAssignment++
		vs := g.history(r, &tf)
		last := vs[len(vs)-1]
		a := b.assignments
		a.int(aid)
		a.int(id)
		a.int(u)
		a.str(string(role))
		a.str(string(last.state))
		a.int(int64(last.progress))
		a.date(tf.due)
		a.date(last.completed)
		a.str(string(store.SourceDemo))
		a.int(int64(len(vs)))
		a.instant(last.at)
		a.end()
		g.rep.Assignments++
		g.rep.ByState[last.state]++
		if last.at.After(updated) {
			updated = last.at
		}
		for k, v := range vs {
			f := b.facts
			f.int(g.nextFact)
			g.nextFact++
			f.int(aid)
			f.int(int64(k + 1))
			f.date(v.from)
			if k+1 < len(vs) {
				f.date(vs[k+1].from)
			} else {
				f.null()
			}
			f.str(string(v.state))
			f.int(int64(v.progress))
			f.date(tf.due)
			f.date(v.completed)
			f.str(v.note)
			f.instant(v.at)
			f.end()
			g.rep.Facts++
		}
		g.reports(r, aid, vs, b)
	}

	t := b.tasks
	t.int(id)
	t.int(d.id)
	t.int(int64(sortOrder))
	t.str(clause(sortOrder))
	t.str(title)
	t.str(desc)
	t.str(store.Fold(title + " " + desc))
	t.str(dl.Text)
	t.date(tf.due)
	t.str(string(dl.Precision))
	t.str(string(store.SourceDemo))
	t.str(g.note)
	t.date(tf.recorded)
	t.instant(updated)
	t.end()
	g.rep.Tasks++
	g.index(b.words, store.SearchTask, id, title, desc)
	return nil
}

// clause is where the n-th task of a document is: "Mục II.3".
func clause(n int) string {
	sec := (n-1)/8 + 1
	return fmt.Sprintf("Mục %s.%d", romanNumeral(sec), (n-1)%8+1)
}

func romanNumeral(n int) string {
	var b strings.Builder
	for _, x := range []struct {
		v int
		s string
	}{{1000, "M"}, {900, "CM"}, {500, "D"}, {400, "CD"}, {100, "C"}, {90, "XC"}, {50, "L"}, {40, "XL"}, {10, "X"}, {9, "IX"}, {5, "V"}, {4, "IV"}, {1, "I"}} {
		for ; n >= x.v; n -= x.v {
			b.WriteString(x.s)
		}
	}
	return b.String()
}

// version is one version of an assignment's facts.
type version struct {
	from      day
	state     tasks.State
	progress  int
	completed day
	note      string
	at        time.Time
}

// history makes the versions of one assignment's facts, as units would have
// reported them through updateAssignment and the assigning level through
// cancelTask, keeping their rules: it starts NOT_STARTED at 0% on the day
// the task was recorded; IN_PROGRESS is below 100%; DONE is 100% with a
// completion date not before the document was issued nor after today,
// recorded on or after that date; a cancelled task cancels what was still
// open on the day it was cancelled, and what was done stays done. Days
// never go back, and instants increase. How likely an assignment is done,
// and late, depends on its due date and today.
func (g *generator) history(r *rand.Rand, t *taskFacts) []version {
	today := g.today
	stamp := func(d day, prev *version) time.Time {
		at := d.at(8*60 + r.IntN(9*60))
		if prev != nil && !at.After(prev.at) {
			at = prev.at.Add(time.Duration(1+r.IntN(30)) * time.Minute)
		}
		return at
	}
	vs := []version{{from: t.recorded, state: tasks.NotStarted}}
	vs[0].at = stamp(t.recorded, nil)
	// updates adds m IN_PROGRESS versions between from and to, rising to
	// progress p.
	updates := func(m int, from, to day, p int) {
		days := make([]day, m)
		if to < from {
			from = to
		}
		for k := range days {
			days[k] = max(between(r, from, to), vs[len(vs)-1].from)
		}
		slices.Sort(days)
		for k, d := range days {
			pk := max(5, min(95, (p*(k+1)/m+2)/5*5))
			prev := &vs[len(vs)-1]
			if pk < prev.progress {
				pk = prev.progress
			}
			vs = append(vs, version{from: d, state: tasks.InProgress, progress: pk,
				note: fmt.Sprintf(pick(r, progressNotes...), pk), at: stamp(d, prev)})
		}
	}
	var pDone float64
	switch {
	case t.precision == tasks.PrecisionContinuous:
		pDone = 0
	case t.due == 0:
		pDone = min(0.85, float64(today-t.recorded)/365*0.8)
	case t.due < today:
		pDone = 0.88
	default:
		pDone = 0.35 * float64(today-t.recorded) / float64(t.due-t.recorded+1)
	}
	if pDone > 0 {
		pDone = max(0, min(0.97, pDone+(t.diligence-0.5)*0.5))
	}
	var done day
	if r.Float64() < pDone {
		lo, hi := t.recorded, today
		if t.due != 0 {
			if t.due < today && r.Float64() < 0.22 { // late
				lo, hi = max(lo, t.due+1), min(today, t.due+day(30+r.IntN(240)))
			} else {
				hi = min(hi, max(t.due, t.recorded))
			}
		}
		done = max(t.issued, between(r, lo, hi))
		if t.cancelled != 0 && done > t.cancelled {
			done = 0
		}
	}
	switch {
	case done != 0:
		updates(r.IntN(3), t.recorded+1, done, 40+5*r.IntN(12))
		on := min(today, max(done+day(r.IntN(8)), vs[len(vs)-1].from))
		prev := &vs[len(vs)-1]
		vs = append(vs, version{from: on, state: tasks.Done, progress: 100, completed: done,
			note: pick(r, doneNotes...), at: stamp(on, prev)})
	case t.cancelled != 0:
		updates(r.IntN(2), t.recorded+1, t.cancelled-1, 5+5*r.IntN(15))
		prev := &vs[len(vs)-1]
		vs = append(vs, version{from: t.cancelled, state: tasks.Cancelled, progress: prev.progress, note: t.reason,
			at: stamp(t.cancelled, prev)})
	case r.IntN(4) > 0 || t.precision == tasks.PrecisionContinuous && r.IntN(6) > 0:
		updates(1+r.IntN(3), t.recorded+1, today, 5+5*r.IntN(19))
	}
	return vs
}

// reports adds progress reports (a share of the started assignments, one
// to three each, dated between the first update and the last, or today),
// each saying the progress of the facts in force on its day.
func (g *generator) reports(r *rand.Rand, aid int64, vs []version, b *rowsOut) {
	if len(vs) < 2 || r.Float64()*100 >= g.o.ReportsPercent {
		return
	}
	from, to := vs[1].from, vs[len(vs)-1].from
	if vs[len(vs)-1].state == tasks.InProgress {
		to = g.today
	}
	n := 1 + r.IntN(3)
	days := make([]day, n)
	for k := range days {
		days[k] = between(r, from, to)
	}
	slices.Sort(days)
	for _, d := range days {
		progress := 0
		for _, v := range vs {
			if v.from <= d {
				progress = v.progress
			}
		}
		rt := pick(r, reportTexts...)
		text := fmt.Sprintf(rt.format, rt.lo+r.IntN(rt.hi-rt.lo+1), progress)
		if r.IntN(2) == 0 {
			text += " " + g.words.phrase(r, 6, 18) + "."
		}
		text = store.NFC(text)
		id := g.nextReport
		g.nextReport++
		x := b.reports
		x.int(id)
		x.int(aid)
		x.str(text)
		x.str(store.Fold(text))
		x.instant(d.at(8*60 + r.IntN(10*60)))
		x.date(d)
		x.end()
		g.rep.ProgressReports++
		g.index(b.words, store.SearchReport, id, "", text)
	}
}
