package gen_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"
	"golang.org/x/text/unicode/norm"

	"p06/gen"
	"p06/kpi"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
	"p06/tasks"
)

// today is the day the generated programmes of these tests stand on.
var today = time.Date(2026, 12, 1, 9, 0, 0, 0, store.VN)

func small() gen.Options {
	o := gen.DefaultOptions
	o.Tasks, o.CommunesPerProvince, o.DistrictsPerProvince, o.Seed = 300, 3, 2, 7
	o.Clock = store.FixedClock(today)
	return o
}

// Absurd sizes are refused with an INVALID error naming the option, before
// anything is written.
func TestAbsurdOptionsRefused(t *testing.T) {
	t.Parallel()
	for name, set := range map[string]func(*gen.Options){
		"tasks":                  func(o *gen.Options) { o.Tasks = 0 },
		"tasks ":                 func(o *gen.Options) { o.Tasks = gen.MaxTasks + 1 },
		"assignments-per-task":   func(o *gen.Options) { o.AssignmentsPerTask = 0.5 },
		"assignments-per-task ":  func(o *gen.Options) { o.AssignmentsPerTask = math.NaN() },
		"assignments-per-task  ": func(o *gen.Options) { o.Tasks, o.AssignmentsPerTask = gen.MaxTasks, 50 },
		"documents":              func(o *gen.Options) { o.Documents = o.Tasks + 1 },
		"communes-per-province":  func(o *gen.Options) { o.CommunesPerProvince = -1 },
		"districts-per-province": func(o *gen.Options) { o.DistrictsPerProvince = gen.MaxDistrictsPerProvince + 1 },
		"skew":                   func(o *gen.Options) { o.Skew = 9 },
		"all-provinces":          func(o *gen.Options) { o.AllProvincesPercent = 101 },
		"reports":                func(o *gen.Options) { o.ReportsPercent = -3 },
		"values":                 func(o *gen.Options) { o.Values = gen.MaxValues + 1 },
	} {
		o := small()
		set(&o)
		err := o.Validate()
		var se *store.Error
		if !errors.As(err, &se) || se.Code != store.Invalid || se.Field != strings.TrimSpace(name) ||
			!strings.Contains(se.English, "--"+strings.TrimSpace(name)) {
			t.Errorf("%s: %v", name, err)
		}
		if _, err := gen.Programme(context.Background(), nil, o); !errors.As(err, &se) || se.Code != store.Invalid {
			t.Errorf("%s: Programme gave %v", name, err)
		}
	}
	if err := small().Validate(); err != nil {
		t.Errorf("small options refused: %v", err)
	}
}

// Without the reference data there is nothing to give tasks to.
func TestNeedsReferenceData(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		_, err := gen.Programme(context.Background(), db, small())
		if store.ErrorCode(err) != store.Invalid || !strings.Contains(err.(*store.Error).English, "reference data") {
			t.Fatalf("got %v", err)
		}
		var n int
		if err := db.NewRaw("SELECT COUNT(*) FROM org_units").Scan(context.Background(), &n); err != nil || n != 0 {
			t.Errorf("%d units written (%v)", n, err)
		}
	})
}

// Every generated row keeps the rules the write path keeps, carries the
// derived columns and rows the readers use, and is marked as generated; a
// second run is refused.
func TestGeneratedRowsKeepTheRules(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := seedtest.Fresh(t, d)
			o := small()
			o.Values = 5000
			rep, err := gen.Programme(ctx, db, o)
			if err != nil {
				t.Fatal(err)
			}
			checkValues(t, db, rep)
			if rep.Tasks != 300 || rep.Assignments != 3000 || rep.Districts != 126 || rep.Communes != 189 ||
				rep.WorkingGroups != 315 || rep.Documents != 7 || rep.AllProvinceTasks == 0 || rep.ProgressReports == 0 {
				t.Errorf("report: %+v", rep)
			}
			checkUnits(t, db)
			checkDocuments(t, db)
			checkTasks(t, db, rep)
			checkAssignments(t, db, rep)
			seedtest.CheckAssignmentCounts(t, db)

			_, err = gen.Programme(ctx, db, o)
			if store.ErrorCode(err) != store.Conflict || !strings.Contains(err.(*store.Error).English, "already holds generated data") {
				t.Errorf("second run: %v", err)
			}
		})
	}
}

// checkValues: the values asked for, each with its history row, by the
// communes, and roll-ups that are those the write path's rule gives
// (Rebuild finds nothing to change).
func checkValues(t *testing.T, db *store.DB, rep gen.Report) {
	ctx := context.Background()
	var n struct{ NValues, History, Units, Periods int }
	scan(t, db, &n, `SELECT COUNT(*) AS n_values, (SELECT COUNT(*) FROM data_value_history h JOIN data_values v ON v.id = h.data_value_id
		JOIN indicators i ON i.id = v.indicator_id WHERE i.code LIKE 'GEN.%') AS history, COUNT(DISTINCT dv.org_unit_id) AS units,
		COUNT(DISTINCT dv.period) AS periods FROM data_values dv JOIN indicators i ON i.id = dv.indicator_id
		JOIN org_units u ON u.id = dv.org_unit_id WHERE i.code LIKE 'GEN.%' AND u.kind = 'COMMUNE'`)
	if rep.Values != 5000 || n.NValues != 5000 || n.History != 5000 || n.Units != 189 || n.Periods != 24 || rep.Indicators != 2 {
		t.Errorf("values: %+v, report %+v", n, rep)
	}
	var inds []*kpi.Indicator
	if err := db.NewSelect().Model(&inds).Where("i.code LIKE 'GEN.%'").Scan(ctx); err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, ind := range inds {
		err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			written, changed, err := kpi.Rebuild(ctx, tx, db.Engine, ind)
			if changed != 0 {
				t.Errorf("%s: Rebuild changed %d of %d roll-up rows", ind.Code, changed, written)
			}
			rows += written
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if rows != rep.Rollups {
		t.Errorf("roll-up rows: %d rebuilt, %d generated", rows, rep.Rollups)
	}
}

func scan(t *testing.T, db *store.DB, dst any, q string, args ...any) {
	t.Helper()
	if err := db.NewRaw(q, args...).Scan(context.Background(), dst); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func checkUnits(t *testing.T, db *store.DB) {
	var us []struct {
		Code, Name, Kind, Path, ParentPath, ParentKind string
		Depth, ParentDepth, Words                      int
	}
	scan(t, db, &us, `SELECT u.code, u.name, u.kind, u.path, p.path AS parent_path, p.kind AS parent_kind, u.depth, p.depth AS parent_depth,
		(SELECT COUNT(*) FROM search_words w WHERE w.kind = 'ORG_UNIT' AND w.object_id = u.id) AS words
		FROM org_units u JOIN org_units p ON p.id = u.parent_id WHERE u.source = 'DEMO' ORDER BY u.path`)
	kinds := map[string]int{}
	for _, u := range us {
		kinds[u.Kind]++
		want := map[string]string{"DISTRICT": "PROVINCE", "COMMUNE": "DISTRICT"}[u.Kind]
		if u.ParentKind != want || u.Path != u.ParentPath+u.Code+"/" || u.Depth != u.ParentDepth+1 || u.Words == 0 ||
			!strings.Contains(u.Name, "Thử nghiệm") || !norm.NFC.IsNormalString(u.Name) {
			t.Errorf("unit %+v", u)
		}
	}
	if kinds["DISTRICT"] != 126 || kinds["COMMUNE"] != 189 {
		t.Errorf("units by kind: %v", kinds)
	}
}

// Documents are written as their kind is: "Về …" for a directive,
// "123/CT-TTg", issued by the Prime Minister.
func checkDocuments(t *testing.T, db *store.DB) {
	var ds []struct{ Kind, Number, Issuer, Title string }
	scan(t, db, &ds, "SELECT kind, number, issuer, title FROM documents WHERE note LIKE 'gen seed=%'")
	form := map[string]*regexp.Regexp{
		"CHI_THI":    regexp.MustCompile(`^\d{2,}/CT-TTg Thủ tướng Chính phủ Về `),
		"NGHI_QUYET": regexp.MustCompile(`^\d{2,}/NQ-CP Chính phủ (Về |Phiên họp Chính phủ thường kỳ tháng \d+ năm \d{4}$)`),
		"QUYET_DINH": regexp.MustCompile(`^\d{2,}/QĐ-(TTg Thủ tướng Chính phủ Phê duyệt Kế hoạch |UBND Ủy ban nhân dân (tỉnh|thành phố) .* Ban hành danh mục nhiệm vụ)`),
		"CONG_DIEN":  regexp.MustCompile(`^\d{2,}/CĐ-TTg Thủ tướng Chính phủ Về việc `),
		"KET_LUAN":   regexp.MustCompile(`^\d{2,}-KL/TW Bộ Chính trị Kết luận của Bộ Chính trị về `),
		"THONG_BAO":  regexp.MustCompile(`^\d{2,}/TB-(VPCP Văn phòng Chính phủ|UBND Ủy ban nhân dân .*) Kết luận của `),
		"KE_HOACH":   regexp.MustCompile(`^\d{2,}/KH-(BCA Bộ Công an|UBND Ủy ban nhân dân .*) Kế hoạch `),
	}
	for _, d := range ds {
		if re := form[d.Kind]; re == nil || !re.MatchString(d.Number+" "+d.Issuer+" "+d.Title) {
			t.Errorf("document %s %s by %s: %q", d.Kind, d.Number, d.Issuer, d.Title)
		}
	}
}

type genTask struct {
	ID                                         int64
	Title, Description, SearchText, Note       string
	DeadlineText, Precision                    string
	DueDate, RecordedOn, IssueDate             store.Date
	UpdatedAt, LastUpdate                      time.Time
	Number, DocNote, DocSource, Source, Clause string
}

func checkTasks(t *testing.T, db *store.DB, rep gen.Report) {
	var ts []genTask
	scan(t, db, &ts, `SELECT t.id, t.title, t.description, t.search_text, t.note, t.deadline_text, t.precision, t.due_date, t.recorded_on,
		d.issue_date, t.updated_at, (SELECT MAX(a.updated_at) FROM assignments a WHERE a.task_id = t.id) AS last_update,
		d.number, d.note AS doc_note, d.source AS doc_source, t.source, t.clause
		FROM tasks t JOIN documents d ON d.id = t.document_id WHERE t.note LIKE 'gen seed=%' ORDER BY t.id`)
	if len(ts) != rep.Tasks {
		t.Fatalf("%d tasks marked as generated, report says %d", len(ts), rep.Tasks)
	}
	precisions, rare := map[string]int{}, 0
	for _, x := range ts {
		dl, err := tasks.ParseDeadline(x.DeadlineText)
		switch {
		case err != nil || string(dl.Precision) != x.Precision || dl.Due != x.DueDate:
			t.Errorf("task %d: deadline %q stored as %s %s, parser says %+v %v", x.ID, x.DeadlineText, x.DueDate, x.Precision, dl, err)
		case x.SearchText != store.Fold(x.Title+" "+x.Description) || !norm.NFC.IsNormalString(x.Title+x.Description):
			t.Errorf("task %d: search text %q", x.ID, x.SearchText)
		case x.Note != "gen seed=7" || x.DocNote != "gen seed=7" || x.Source != "DEMO" || x.DocSource != "DEMO" || x.Clause == "":
			t.Errorf("task %d is not marked as generated: %+v", x.ID, x)
		case !x.DueDate.IsZero() && x.DueDate.Before(x.IssueDate):
			t.Errorf("task %d due %s (%q), before its document was issued (%s)", x.ID, x.DueDate, x.DeadlineText, x.IssueDate)
		case x.RecordedOn.Before(x.IssueDate) || x.RecordedOn.After(store.DateOf(today)):
			t.Errorf("task %d recorded on %s, its document issued %s", x.ID, x.RecordedOn, x.IssueDate)
		case x.IssueDate.Before(store.MustDate("2019-01-01")) || x.IssueDate.After(store.MustDate("2025-12-31")):
			t.Errorf("document %s issued %s", x.Number, x.IssueDate)
		case !x.UpdatedAt.Equal(x.LastUpdate) && !x.UpdatedAt.After(x.LastUpdate):
			t.Errorf("task %d updated %s, its assignments last %s", x.ID, x.UpdatedAt, x.LastUpdate)
		}
		precisions[x.Precision]++
		if strings.Contains(x.Description, gen.RareWord) {
			rare++
		}
		// The search words are those the write path indexes.
		var want []string
		store.EachSearchWord(x.Title, x.Description, func(w string, weight int) { want = append(want, fmt.Sprintf("%s/%d", w, weight)) })
		var got []string
		scan(t, db, &got, "SELECT word || '/' || CAST(weight AS TEXT) FROM search_words WHERE kind = 'TASK' AND object_id = ?", x.ID)
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("task %d: search words %v, want %v", x.ID, got, want)
		}
	}
	for _, p := range []tasks.Precision{tasks.PrecisionDay, tasks.PrecisionMonth, tasks.PrecisionQuarter, tasks.PrecisionYear,
		tasks.PrecisionContinuous, tasks.PrecisionNone} {
		if precisions[string(p)] == 0 {
			t.Errorf("no task with precision %s: %v", p, precisions)
		}
	}
	if rare != 1 {
		t.Errorf("%d tasks with the rare word, want 1 in 300", rare)
	}
}

type genFacts struct {
	AssignmentID                 int64
	Version                      int
	ValidFrom, ValidTo           store.Date
	State                        tasks.State
	Progress                     int
	DueDate, CompletedOn         store.Date
	Note                         string
	ChangedAt                    time.Time
	ARole, AState                string
	AProgress, AVersion          int
	ADue, ACompleted, TDue       store.Date
	RecordedOn, IssueDate        store.Date
	AUpdated                     time.Time
	Precision, ASource, UnitKind string
}

func checkAssignments(t *testing.T, db *store.DB, rep gen.Report) {
	var fs []genFacts
	scan(t, db, &fs, `SELECT f.assignment_id, f.version, f.valid_from, f.valid_to, f.state, f.progress, f.due_date, f.completed_on,
		f.note, f.changed_at, a.role AS a_role, a.state AS a_state, a.progress AS a_progress, a.version AS a_version,
		a.due_date AS a_due, a.completed_on AS a_completed, t.due_date AS t_due, t.recorded_on, d.issue_date,
		a.updated_at AS a_updated, t.precision, a.source AS a_source, u.kind AS unit_kind
		FROM assignment_facts f JOIN assignments a ON a.id = f.assignment_id JOIN tasks t ON t.id = a.task_id
		JOIN documents d ON d.id = t.document_id JOIN org_units u ON u.id = a.org_unit_id
		WHERE t.note LIKE 'gen seed=%' ORDER BY f.assignment_id, f.version`)
	day := store.DateOf(today)
	byAssignment := map[int64][]genFacts{}
	var order []int64
	for _, f := range fs {
		if byAssignment[f.AssignmentID] == nil {
			order = append(order, f.AssignmentID)
		}
		byAssignment[f.AssignmentID] = append(byAssignment[f.AssignmentID], f)
	}
	if len(order) != rep.Assignments || len(fs) != rep.Facts {
		t.Fatalf("%d assignments with %d versions, report says %d and %d", len(order), len(fs), rep.Assignments, rep.Facts)
	}
	states, roles, kinds := map[tasks.State]int{}, map[string]int{}, map[string]int{}
	for _, id := range order {
		vs := byAssignment[id]
		first, last := vs[0], vs[len(vs)-1]
		states[tasks.State(last.AState)]++
		roles[last.ARole]++
		kinds[last.UnitKind]++
		// The assignment holds its last version's facts.
		if string(last.State) != last.AState || last.Progress != last.AProgress || last.CompletedOn != last.ACompleted ||
			last.AVersion != len(vs) || !last.ValidTo.IsZero() || !last.ChangedAt.Equal(last.AUpdated) ||
			last.ADue != last.TDue || last.ASource != "DEMO" {
			t.Errorf("assignment %d does not hold its last version: %+v", id, last)
		}
		// It starts not started, the day the task was recorded.
		if first.State != tasks.NotStarted || first.Progress != 0 || first.ValidFrom != first.RecordedOn {
			t.Errorf("assignment %d starts %+v", id, first)
		}
		for i, f := range vs {
			if f.Version != i+1 || f.DueDate != f.TDue {
				t.Errorf("assignment %d version %d: %+v", id, i+1, f)
			}
			if i > 0 && (vs[i-1].ValidTo != f.ValidFrom || f.ValidFrom.Before(vs[i-1].ValidFrom) || !f.ChangedAt.After(vs[i-1].ChangedAt)) {
				t.Errorf("assignment %d: version %d from %s at %s after %+v", id, f.Version, f.ValidFrom, f.ChangedAt, vs[i-1])
			}
			if f.ValidFrom.After(day) {
				t.Errorf("assignment %d: version %d holds from %s, after today", id, f.Version, f.ValidFrom)
			}
			// updateAssignment's rules.
			switch f.State {
			case tasks.NotStarted:
				if f.Progress != 0 || !f.CompletedOn.IsZero() {
					t.Errorf("assignment %d: not started at %d%%: %+v", id, f.Progress, f)
				}
			case tasks.InProgress:
				if f.Progress >= 100 || f.Progress <= 0 || !f.CompletedOn.IsZero() || f.Note == "" {
					t.Errorf("assignment %d: in progress at %d%%: %+v", id, f.Progress, f)
				}
			case tasks.Done:
				if f.Progress != 100 || f.CompletedOn.IsZero() || f.CompletedOn.Before(f.IssueDate) || f.CompletedOn.After(day) ||
					f.ValidFrom.Before(f.CompletedOn) {
					t.Errorf("assignment %d: done %+v", id, f)
				}
			case tasks.Cancelled:
				if !f.CompletedOn.IsZero() || f.Note == "" || i != len(vs)-1 {
					t.Errorf("assignment %d: cancelled %+v", id, f)
				}
			default:
				t.Errorf("assignment %d: state %q", id, f.State)
			}
			if i > 0 && vs[i-1].State == tasks.Done {
				t.Errorf("assignment %d: a version after DONE: %+v", id, f)
			}
		}
	}
	for _, s := range []tasks.State{tasks.NotStarted, tasks.InProgress, tasks.Done} {
		if states[s] == 0 || states[s] != rep.ByState[s] {
			t.Errorf("states %v, report says %v", states, rep.ByState)
		}
	}
	if roles["LEAD"] == 0 || roles["COORDINATE"] == 0 || kinds["MINISTRY"] == 0 || kinds["PROVINCE"] == 0 ||
		kinds["COMMUNE"] == 0 || kinds["DISTRICT"] == 0 {
		t.Errorf("roles %v, unit kinds %v", roles, kinds)
	}
	// Progress reports are on started assignments, dated within their
	// history, and indexed for search.
	var bad int
	scan(t, db, &bad, `SELECT COUNT(*) FROM progress_reports r JOIN assignments a ON a.id = r.assignment_id
		WHERE a.source = 'DEMO' AND (r.author_id IS NOT NULL OR r.search_text = '' OR r.reported_on > ?
		OR NOT EXISTS (SELECT 1 FROM search_words w WHERE w.kind = 'PROGRESS_REPORT' AND w.object_id = r.id)
		OR r.reported_on < (SELECT MIN(f.valid_from) FROM assignment_facts f WHERE f.assignment_id = a.id AND f.version = 2))`, day.String())
	if bad != 0 {
		t.Errorf("%d progress reports out of their assignment's history or unindexed", bad)
	}
}
