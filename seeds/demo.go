package seeds

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/uptrace/bun"

	"p06/store"
	"p06/tasks"
)

// allProvinces in a task's lead or coordinate column means all 63 provinces.
const allProvinces = "ALL_PROVINCES"

// loadDemo adds the documents of demo/documents.tsv that are not yet stored,
// with their tasks from demo/tasks.tsv, and the demo plan of alerts.
func loadDemo(ctx context.Context, tx bun.Tx, clock store.Clock, rep *Report) error {
	docs, err := readTable("demo/documents.tsv")
	if err != nil {
		return err
	}
	rows, err := readTable("demo/tasks.tsv")
	if err != nil {
		return err
	}
	units := map[string]int64{}
	var provinceIDs []int64
	var us []struct {
		ID   int64  `bun:"id"`
		Code string `bun:"code"`
		Kind string `bun:"kind"`
	}
	if err := tx.NewSelect().Table("org_units").Column("id", "code", "kind").OrderExpr("sort_order, code").Scan(ctx, &us); err != nil {
		return err
	}
	for _, u := range us {
		units[u.Code] = u.ID
		if u.Kind == "PROVINCE" {
			provinceIDs = append(provinceIDs, u.ID)
		}
	}
	stored, err := storedKeys(ctx, tx, "documents", "number")
	if err != nil {
		return err
	}
	// The seeds only add tasks: their kept statuses are built in bulk at
	// the end, for the ids from first on, rather than task by task.
	var first int64
	if err := tx.NewRaw("SELECT COALESCE(MAX(id), 0) + 1 FROM tasks").Scan(ctx, &first); err != nil {
		return err
	}
	ts := tasks.NewStore(tx, clock).KeepStatusesLater()
	added := map[string]*tasks.Document{}
	for i, r := range docs.rows {
		number := docs.get(r, "number")
		if stored[number] {
			continue
		}
		issued, err := store.ParseDate(docs.get(r, "issue_date"))
		if err != nil {
			return fmt.Errorf("%s row %d: %w", docs.name, i+2, err)
		}
		d := &tasks.Document{Kind: tasks.DocKind(docs.get(r, "kind")), Number: number, IssueDate: issued,
			Issuer: docs.get(r, "issuer"), Title: docs.get(r, "title"), Source: store.Source(docs.get(r, "source")), Note: docs.get(r, "note")}
		if err := ts.CreateDocument(ctx, d); err != nil {
			return fmt.Errorf("%s row %d: %w", docs.name, i+2, err)
		}
		added[number] = d
		rep.Documents++
	}
	order := map[string]int{}
	for i, r := range rows.rows {
		where := fmt.Sprintf("%s row %d", rows.name, i+2)
		number := rows.get(r, "document")
		d, ok := added[number]
		if !ok {
			if !stored[number] {
				return fmt.Errorf("%s: unknown document %q", where, number)
			}
			continue
		}
		order[number]++
		t := &tasks.Task{DocumentID: d.ID, SortOrder: order[number], Clause: rows.get(r, "clause"),
			Title: rows.get(r, "title"), DeadlineText: rows.get(r, "deadline"), Source: store.Source(rows.get(r, "source")), Note: rows.get(r, "note")}
		dl, err := tasks.ParseDeadline(t.DeadlineText)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		as, err := demoAssignments(rows, r, units, provinceIDs, d.IssueDate, dl.Due)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		if err := ts.CreateTask(ctx, t, as); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		rep.Tasks++
		rep.Assignments += len(as)
	}
	if err := loadDemoAlerts(ctx, tx, ts, clock, units, stored, rep); err != nil {
		return err
	}
	return tasks.BuildStatuses(ctx, tx, first)
}

// demoAssignments turns a task row's lead, coordinate, completed_on,
// open_leads and progress columns into assignments. Leads not named in
// open_leads finished on completed_on; when many leads share a task, each
// one's date is moved a few days earlier by a fixed hash of task and unit, so
// that rankings differ, without crossing the due date or the review date and
// so without changing any status the figures rest on.
func demoAssignments(t *table, r []string, units map[string]int64, provinces []int64, issued, due store.Date) ([]tasks.NewAssignment, error) {
	leads, err := unitList(t.get(r, "lead"), units, provinces)
	if err != nil {
		return nil, fmt.Errorf("lead: %w", err)
	}
	if len(leads) == 0 {
		return nil, fmt.Errorf("lead: no lead unit")
	}
	coords, err := unitList(t.get(r, "coordinate"), units, provinces)
	if err != nil {
		return nil, fmt.Errorf("coordinate: %w", err)
	}
	open, err := unitList(t.get(r, "open_leads"), units, provinces)
	if err != nil {
		return nil, fmt.Errorf("open_leads: %w", err)
	}
	isOpen := map[int64]bool{}
	for _, id := range open {
		isOpen[id] = true
	}
	var completed store.Date
	if s := t.get(r, "completed_on"); s != "" {
		if completed, err = store.ParseDate(s); err != nil {
			return nil, fmt.Errorf("completed_on: %w", err)
		}
	}
	progress := 0
	if s := t.get(r, "progress"); s != "" {
		if progress, err = strconv.Atoi(s); err != nil {
			return nil, fmt.Errorf("progress %q is not a number", s)
		}
	}
	unfinished := func() tasks.NewAssignment {
		if progress > 0 {
			return tasks.NewAssignment{State: tasks.InProgress, Progress: progress}
		}
		return tasks.NewAssignment{State: tasks.NotStarted}
	}
	title := t.get(r, "title")
	var out []tasks.NewAssignment
	seen := map[int64]bool{}
	for _, id := range leads {
		a := unfinished()
		if !completed.IsZero() && !isOpen[id] {
			on := completed
			if len(leads) > 1 {
				on = spread(completed, title, id, issued, due)
			}
			a = tasks.NewAssignment{State: tasks.Done, Progress: 100, CompletedOn: on}
		}
		a.OrgUnitID, a.Role = id, tasks.Lead
		out = append(out, a)
		seen[id] = true
	}
	for _, id := range coords {
		if seen[id] {
			continue
		}
		a := unfinished()
		if !completed.IsZero() {
			a = tasks.NewAssignment{State: tasks.Done, Progress: 100, CompletedOn: completed}
		}
		a.OrgUnitID, a.Role = id, tasks.Coordinate
		out = append(out, a)
		seen[id] = true
	}
	return out, nil
}

// spread moves a completion date up to 14 days earlier, by a hash of the task
// and unit, staying after the issue date and on the same side of the due date
// and of the review date as the original.
func spread(on store.Date, title string, unit int64, issued, due store.Date) store.Date {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s/%d", title, unit)
	moved := on.AddDays(-int(h.Sum32() % 15))
	floor := issued
	for _, b := range []store.Date{due, ReviewDate} {
		if !b.IsZero() && on.After(b) && !b.Before(floor) {
			floor = b.AddDays(1)
		}
	}
	if moved.Before(floor) {
		return floor
	}
	return moved
}

// unitList reads "BCA;BTP;46" or ALL_PROVINCES.
func unitList(s string, units map[string]int64, provinces []int64) ([]int64, error) {
	var out []int64
	for _, code := range strings.Split(s, ";") {
		code = strings.TrimSpace(code)
		switch code {
		case "":
			continue
		case allProvinces:
			out = append(out, provinces...)
			continue
		}
		id, ok := units[code]
		if !ok {
			return nil, fmt.Errorf("unknown org unit code %q", code)
		}
		out = append(out, id)
	}
	return out, nil
}

// DemoTaskTitles returns the titles of the demo programme's tasks, in the
// file's order (NFC): the words a generated programme is made of (package
// gen), the same whatever the database holds.
func DemoTaskTitles() ([]string, error) {
	rows, err := readTable("demo/tasks.tsv")
	if err != nil {
		return nil, err
	}
	titles := make([]string, len(rows.rows))
	for i, r := range rows.rows {
		titles[i] = rows.get(r, "title")
	}
	return titles, nil
}
