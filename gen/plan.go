package gen

import (
	"context"
	"fmt"
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
	"p06/store"
	"p06/tasks"
)

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
	nextDoc, nextTask, nextAssignment, nextFact, nextReport, nextValue int64
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
	g.progress("building the kept statuses")
	if err := tasks.BuildStatuses(ctx, g.tx, g.nextTask); err != nil {
		return err
	}
	if err := g.writeValues(ctx); err != nil {
		return err
	}
	if g.pg {
		// Rows were written with explicit ids: move the identity sequences
		// past them.
		for _, t := range []string{"documents", "tasks", "assignments", "assignment_facts", "progress_reports", "data_values"} {
			if _, err := g.tx.ExecContext(ctx, "SELECT setval(pg_get_serial_sequence('"+t+"', 'id'), GREATEST(1, (SELECT MAX(id) FROM "+t+")))"); err != nil {
				return fmt.Errorf("gen: sequence of %s: %w", t, err)
			}
		}
	}
	return store.Audit(ctx, g.tx, auth.AuditEntry(nil, g.o.Clock(), "demo.generate", "", 0, rbac.RootPath), map[string]any{
		"seed": g.o.Seed, "tasks": g.rep.Tasks, "assignments": g.rep.Assignments, "documents": g.rep.Documents,
		"districts": g.rep.Districts, "communes": g.rep.Communes, "skew": g.o.Skew, "note": g.note,
		"indicators": g.rep.Indicators, "values": g.rep.Values})
}

// claim locks the tables written with explicit ids (PostgreSQL; a SQLite
// transaction holds the database's write lock), refuses a database that
// already holds generated data or lacks the reference data, and reads the
// next ids.
func (g *generator) claim(ctx context.Context) error {
	if g.pg {
		if _, err := g.tx.ExecContext(ctx, "LOCK TABLE documents, tasks, assignments, assignment_facts, progress_reports, data_values IN EXCLUSIVE MODE"); err != nil {
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
	groups, err := g.tx.NewSelect().TableExpr("indicator_groups").Where("code = ?", genGroup).Count(ctx)
	if err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	if docs > 0 || units > 0 || groups > 0 {
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
		{"assignment_facts", &g.nextFact}, {"progress_reports", &g.nextReport}, {"data_values", &g.nextValue}} {
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
