// Package seeds embeds the reference data (the nation, 31 central bodies, 63
// provinces, their working groups) and the demo programme (the directing
// documents and tasks of Project 06 as at the two-year review of 21/12/2023),
// and loads them idempotently: loading twice changes nothing.
package seeds

import (
	"bufio"
	"bytes"
	"context"
	"embed"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"p06/org"
	"p06/store"
)

//go:embed reference/*.tsv demo/*.tsv
var files embed.FS

// Mode says what to load.
type Mode string

const (
	None      Mode = "none"      // nothing
	Reference Mode = "reference" // org units and working groups
	Demo      Mode = "demo"      // reference data and the demo programme
)

// ParseMode reads P06_SEED.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case None, Reference, Demo:
		return m, nil
	}
	return "", fmt.Errorf("P06_SEED must be none, reference or demo, got %q", s)
}

// ReviewDate is the date of the two-year review of Project 06, the cut-off
// the demo programme's figures are as of.
var ReviewDate = store.MustDate("2023-12-21")

// Report counts what a Load added.
type Report struct {
	OrgUnits, WorkingGroups, Documents, Tasks, Assignments, Users, DataValues int
}

func (r Report) String() string {
	return fmt.Sprintf("%d org units, %d working groups, %d documents, %d tasks, %d assignments, %d users, %d indicator values",
		r.OrgUnits, r.WorkingGroups, r.Documents, r.Tasks, r.Assignments, r.Users, r.DataValues)
}

// Options tune a Load.
type Options struct {
	// DemoPassword is the password of the demo users (DefaultDemoPassword
	// when empty).
	DemoPassword string
	// Clock tells the time of the rows' creation (store.SystemClock when
	// nil). Seeded facts themselves hold since store.Beginning.
	Clock store.Clock
}

// Load adds what mode names and is missing: the reference data and demo
// programme in one transaction, then in demo mode one user per role.
func Load(ctx context.Context, db *store.DB, mode Mode, opts Options) (Report, error) {
	var rep Report
	clock := opts.Clock
	if clock == nil {
		clock = store.SystemClock
	}
	if mode == None {
		return rep, nil
	}
	// A bulk load on a busy machine (or waiting for another process's
	// seeding) can take one statement longer than the pool's read timeout.
	long, release := db.LongRunning()
	defer release()
	err := long.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if db.Engine == store.Postgres {
			// Server processes starting together seed one after the other;
			// the later ones find everything there. (SQLite transactions
			// here already take the write lock up front.)
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(6062022)"); err != nil {
				return err
			}
		}
		if err := loadReference(ctx, tx, &rep); err != nil {
			return err
		}
		if err := loadIndicators(ctx, tx, clock); err != nil {
			return err
		}
		if mode == Demo {
			if err := loadDemo(ctx, tx, clock, &rep); err != nil {
				return err
			}
			return loadDemoValues(ctx, tx, db.Engine, clock, &rep)
		}
		return nil
	})
	if err != nil {
		return Report{}, fmt.Errorf("seeds: %w", err)
	}
	if db.Engine == store.Postgres && rep.Assignments > 0 {
		// Fresh tables have no planner statistics; without them PostgreSQL
		// plans the status tallies for a handful of rows.
		if _, err := db.ExecContext(ctx, "ANALYZE org_units, documents, tasks, assignments, task_statuses, task_status_days"); err != nil {
			return rep, fmt.Errorf("seeds: analyze: %w", err)
		}
	}
	if mode == Demo {
		pw := opts.DemoPassword
		if pw == "" {
			pw = DefaultDemoPassword
		}
		if err := loadDemoUsers(ctx, db, clock, pw, &rep); err != nil {
			return rep, fmt.Errorf("seeds: %w", err)
		}
	}
	return rep, nil
}

// table is a parsed TSV file: header names and rows.
type table struct {
	name string
	cols map[string]int
	rows [][]string
}

func readTable(path string) (*table, error) {
	b, err := files.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t := &table{name: path, cols: map[string]int{}}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" {
			continue
		}
		fields := strings.Split(text, "\t")
		if line == 1 {
			for i, h := range fields {
				t.cols[strings.TrimSpace(h)] = i
			}
			continue
		}
		if len(fields) != len(t.cols) {
			return nil, fmt.Errorf("%s:%d: %d fields, want %d", path, line, len(fields), len(t.cols))
		}
		for i := range fields {
			fields[i] = store.NFC(fields[i])
		}
		t.rows = append(t.rows, fields)
	}
	return t, sc.Err()
}

// get returns the named column of row r.
func (t *table) get(r []string, col string) string {
	i, ok := t.cols[col]
	if !ok {
		panic(fmt.Sprintf("seeds: %s has no column %q", t.name, col))
	}
	return r[i]
}

// storedKeys returns the values of a unique column already stored, so a
// load adds only what is missing.
func storedKeys(ctx context.Context, tx bun.Tx, table, column string) (map[string]bool, error) {
	var keys []string
	if err := tx.NewSelect().Table(table).Column(column).Scan(ctx, &keys); err != nil {
		return nil, err
	}
	set := make(map[string]bool, len(keys))
	for _, k := range keys {
		set[k] = true
	}
	return set, nil
}

func loadReference(ctx context.Context, tx bun.Tx, rep *Report) error {
	os := org.NewStore(tx)
	existing, err := storedKeys(ctx, tx, "org_units", "code")
	if err != nil {
		return err
	}
	add := func(u *org.Unit, parent string) error {
		if existing[u.Code] {
			return nil
		}
		u.Source = store.SourceReference
		if err := os.CreateUnit(ctx, u, parent); err != nil {
			return err
		}
		existing[u.Code] = true
		rep.OrgUnits++
		return nil
	}
	if err := add(&org.Unit{Code: org.NationalCode, Name: "Toàn quốc", NameEn: "Nationwide", Kind: org.National}, ""); err != nil {
		return err
	}
	ministries, err := readTable("reference/ministries.tsv")
	if err != nil {
		return err
	}
	for i, r := range ministries.rows {
		u := &org.Unit{Code: ministries.get(r, "code"), Name: ministries.get(r, "name"), NameEn: ministries.get(r, "name_en"),
			Kind: org.Ministry, Subtype: centralSubtype(i), SortOrder: i + 1}
		if err := add(u, org.NationalCode); err != nil {
			return err
		}
	}
	provinces, err := readTable("reference/provinces-63.tsv")
	if err != nil {
		return err
	}
	for i, r := range provinces.rows {
		u := &org.Unit{Code: provinces.get(r, "code"), Name: provinces.get(r, "name"), Kind: org.Province,
			Subtype: provinces.get(r, "type"), Region: provinces.get(r, "region"), SortOrder: 100 + i}
		if err := add(u, org.NationalCode); err != nil {
			return err
		}
	}
	return loadWorkingGroups(ctx, tx, provinces, rep)
}

// centralSubtype is the legal form of the i-th row of ministries.tsv, whose
// rows are ordered: 18 ministries, 4 ministerial-level agencies, 8 Government
// agencies, then the Bank for Social Policies.
func centralSubtype(i int) string {
	switch {
	case i < 18:
		return "bo"
	case i < 22:
		return "co_quan_ngang_bo"
	case i < 30:
		return "co_quan_thuoc_chinh_phu"
	}
	return "khac"
}

// loadWorkingGroups adds the Government's working group and one per province.
// The groups exist by the Project's three-level structure; the member seats
// are the usual composition (chairman leads, the police director is the
// standing deputy) and are demo data.
func loadWorkingGroups(ctx context.Context, tx bun.Tx, provinces *table, rep *Report) error {
	os := org.NewStore(tx)
	existing, err := storedKeys(ctx, tx, "working_groups", "code")
	if err != nil {
		return err
	}
	add := func(g *org.WorkingGroup, unit string, members []*org.Member) error {
		if existing[g.Code] {
			return nil
		}
		g.Source = store.SourceReference
		if err := os.CreateGroup(ctx, g, unit, members); err != nil {
			return err
		}
		rep.WorkingGroups++
		return nil
	}
	central := &org.WorkingGroup{Code: "TCT-CP", Name: "Tổ công tác triển khai Đề án 06 của Chính phủ", Level: org.LevelCentral}
	if err := add(central, org.NationalCode, []*org.Member{
		{Position: "Thủ tướng Chính phủ", Role: org.RoleLeader},
		{Position: "Bộ trưởng Bộ Công an", Role: org.RoleDeputyLeader},
		{Position: "Lãnh đạo các bộ, ngành là thành viên", Role: org.RoleMember},
	}); err != nil {
		return err
	}
	for _, r := range provinces.rows {
		code, name := provinces.get(r, "code"), provinces.get(r, "name")
		level := "tỉnh"
		if provinces.get(r, "type") == "thanh_pho_truc_thuoc_trung_uong" {
			level = "thành phố"
		}
		full := level + " " + strings.TrimPrefix(name, "Thành phố ")
		g := &org.WorkingGroup{Code: "TCT-" + code, Name: "Tổ công tác triển khai Đề án 06 " + full, Level: org.LevelProvince}
		if err := add(g, code, []*org.Member{
			{Position: "Chủ tịch Ủy ban nhân dân " + full, Role: org.RoleLeader},
			{Position: "Giám đốc Công an " + full + " (Tổ phó thường trực)", Role: org.RoleDeputyLeader},
			{Position: "Lãnh đạo các sở, ban, ngành của " + full, Role: org.RoleMember},
		}); err != nil {
			return err
		}
	}
	return nil
}
