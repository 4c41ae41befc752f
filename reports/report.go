package reports

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"p06/kpi"
	"p06/org"
	"p06/rbac"
	"p06/store"
	"p06/tasks"
)

// MaxRows bounds the assignments a report lists (the figures count them
// all): a province with its communes at national scale has thousands.
const MaxRows = 1000

// UnitRef is the unit a report is about.
type UnitRef struct {
	Code   string   `json:"code"`
	Name   string   `json:"name"`
	NameEn string   `json:"nameEn,omitempty"`
	Kind   org.Kind `json:"kind"`
	Path   string   `json:"path"`
}

func refOf(u *org.Unit) UnitRef {
	return UnitRef{Code: u.Code, Name: u.Name, NameEn: u.NameEn, Kind: u.Kind, Path: u.Path}
}

// UnitCounts is one unit's tasks by status in a national report.
type UnitCounts struct {
	Unit   UnitRef              `json:"unit"`
	Counts map[tasks.Status]int `json:"counts"`
}

// Total is the unit's tasks.
func (u UnitCounts) Total() int { return total(u.Counts) }

func total(m map[tasks.Status]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TrendPoint is the overdue tasks on a day.
type TrendPoint struct {
	Day     store.Date `json:"day"`
	Overdue int        `json:"overdue"`
}

// IndicatorRow is one indicator of the unit for the period against its
// target: kpiValue's figure (the roll-up over the unit's subtree in the
// caller's scope, as it stands when the report is made).
type IndicatorRow struct {
	Group      string   `json:"group"`
	GroupEn    string   `json:"groupEn,omitempty"`
	Code       string   `json:"code"`
	Name       string   `json:"name"`
	NameEn     string   `json:"nameEn,omitempty"`
	Unit       string   `json:"unit"`
	Value      *float64 `json:"value"`
	Target     *float64 `json:"target"`
	Attainment *float64 `json:"attainment"` // percent of the target
	// Contributing of Expected reporting units have a value.
	Contributing int `json:"contributing"`
	Expected     int `json:"expected"`
}

// IndicatorSeries is an indicator's figures for a unit over periods with
// their targets (kpiSeries): the indicator chart; in a report, the periods
// up to the report's.
type IndicatorSeries struct {
	Code    string     `json:"code"`
	Name    string     `json:"name"`
	NameEn  string     `json:"nameEn,omitempty"`
	Unit    string     `json:"unit"`
	Periods []string   `json:"periods"`
	Values  []*float64 `json:"values"`
	Targets []*float64 `json:"targets"`
}

// Report is a unit's progress report for a period (Báo cáo tình hình triển
// khai Đề án 06): plain data, the same whether built now or read back from
// a frozen snapshot, rendered by each format.
type Report struct {
	Unit   UnitRef    `json:"unit"`
	Period Period     `json:"period"`
	AsOf   store.Date `json:"asOf"` // the period's last day, or today while it runs
	MadeAt time.Time  `json:"madeAt"`
	// AtStart and AtEnd count the unit's tasks by status the day before
	// the period and at AsOf.
	AtStart     map[tasks.Status]int `json:"atStart"`
	AtEnd       map[tasks.Status]int `json:"atEnd"`
	Assignments int                  `json:"assignments"`
	Documents   int                  `json:"documents"`
	Rows        []tasks.ReportRow    `json:"rows"`
	RowsTotal   int                  `json:"rowsTotal"`
	// Provinces and Ministries compare the units of the national report.
	Provinces  []UnitCounts   `json:"provinces,omitempty"`
	Ministries []UnitCounts   `json:"ministries,omitempty"`
	Trend      []TrendPoint   `json:"trend"`
	Indicators []IndicatorRow `json:"indicators"`
	// IndicatorTrends chart some of the indicators (with the trend).
	IndicatorTrends []IndicatorSeries `json:"indicatorTrends,omitempty"`
	// Frozen is the snapshot the report was read from (zero when live).
	Frozen *SnapshotInfo `json:"-"`
}

// National reports whether this is the national report (VN).
func (r *Report) National() bool { return r.Unit.Kind == org.National }

// trendPoints is the number of days the report's overdue line is drawn
// on: about weekly over a month or fortnightly over a quarter, monthly over
// a year. Each is a count of the status rule (see BENCHMARKS.md).
func trendPoints(p Period) int {
	if p.KPI().Type == kpi.Year {
		return 13
	}
	return 7
}

// Begun is nil when period p has begun (today in Asia/Ho_Chi_Minh), else
// the INVALID error of a report asked for it.
func (s *Service) Begun(p Period) error {
	if s.today().Before(p.Start) {
		return invalid("period", fmt.Sprintf("kỳ báo cáo %s chưa bắt đầu", p.Key), fmt.Sprintf("period %s has not begun", p.Key))
	}
	return nil
}

// Build makes the report of the unit code (in sc: NOT_FOUND otherwise, like
// a unit that does not exist) for period, as of the period's last day or
// today if it has not ended. A period not yet begun is INVALID. The
// overdue trend (the PDF's chart: trendPoints counts) and the indicators'
// trends only with trend.
func (s *Service) Build(ctx context.Context, sc rbac.Scope, code string, p Period, trend bool) (*Report, error) {
	u, err := s.orgs.UnitByCode(ctx, sc, code)
	if err != nil {
		return nil, err
	}
	if err := s.Begun(p); err != nil {
		return nil, err
	}
	today := s.today()
	asOf := p.End
	if today.Before(asOf) {
		asOf = today
	}
	sub := sc.Within(u.Path)
	rep := &Report{Unit: refOf(u), Period: p, AsOf: asOf, MadeAt: s.clock().In(store.VN), Indicators: []IndicatorRow{}}
	end, err := s.tasks.Summary(ctx, sub, asOf, nil, tasks.SumStatuses|tasks.SumAssignments|tasks.SumDocuments)
	if err != nil {
		return nil, err
	}
	rep.AtEnd, rep.Assignments, rep.Documents = end.ByStatus, end.Assignments, end.Documents
	start, err := s.tasks.Summary(ctx, sub, p.Start.AddDays(-1), nil, tasks.SumStatuses)
	if err != nil {
		return nil, err
	}
	rep.AtStart = start.ByStatus
	if rep.Rows, rep.RowsTotal, err = s.tasks.ReportRows(ctx, sc, asOf, u.Path, MaxRows); err != nil {
		return nil, err
	}
	if trend && p.Start.Before(asOf) {
		days := sampleDays(p.Start, asOf, trendPoints(p))
		overdue, err := s.tasks.OverdueByDay(ctx, sc, u.Path, days)
		if err != nil {
			return nil, err
		}
		for i, d := range days {
			rep.Trend = append(rep.Trend, TrendPoint{Day: d, Overdue: overdue[i]})
		}
	}
	if rep.Indicators, rep.IndicatorTrends, err = s.indicatorSection(ctx, sc, u, p, trend); err != nil {
		return nil, err
	}
	if u.Kind == org.National {
		for _, lv := range []struct {
			kind org.Kind
			dst  *[]UnitCounts
		}{{org.Province, &rep.Provinces}, {org.Ministry, &rep.Ministries}} {
			units, err := s.unitsOf(ctx, sc, lv.kind)
			if err != nil {
				return nil, err
			}
			paths := make([]string, len(units))
			for i, x := range units {
				paths[i] = x.Path
			}
			counts, err := s.tasks.StatusCountsByUnit(ctx, sc, asOf, paths)
			if err != nil {
				return nil, err
			}
			for i, x := range units {
				*lv.dst = append(*lv.dst, UnitCounts{Unit: refOf(x), Counts: counts[i]})
			}
		}
	}
	return rep, nil
}

// Kinds of report file.
const (
	XLSX = "xlsx"
	CSV  = "csv"
	PDF  = "pdf"
)

// ReportPath is the path of a unit's report for a period in a format.
func ReportPath(unit, period, ext string) string {
	return "/reports/" + url.PathEscape(unit) + "/" + url.PathEscape(period) + "." + ext
}

// serveReport answers GET /reports/{unit}/{period}.{xlsx|csv|pdf}; with
// frozen=1, the snapshot of that unit and period instead of today's figures.
func (s *Service) serveReport(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	key, ext := splitFile(r.PathValue("file"))
	if ext != XLSX && ext != CSV && ext != PDF {
		s.writeError(w, r, notFound)
		return
	}
	sc, err := s.caller(ctx)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := org.CheckCode("unit", r.PathValue("unit")); err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := ParsePeriod(key, "period")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	release, err := s.enterRender(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer release()
	q := r.URL.Query()
	lang := langOf(q.Get("lang"), "")
	var rep *Report
	frozen, ferr := false, error(nil)
	if v := q.Get("frozen"); v != "" {
		if frozen, ferr = strconv.ParseBool(v); ferr != nil {
			s.writeError(w, r, invalid("frozen", fmt.Sprintf("frozen %q không hợp lệ: 1 (bản chốt) hoặc 0", store.Clip(v)),
				fmt.Sprintf("frozen %q is invalid: 1 (the frozen snapshot) or 0", store.Clip(v))))
			return
		}
	}
	if frozen {
		rep, err = s.Frozen(ctx, sc, r.PathValue("unit"), p.Key)
	} else {
		rep, err = s.Build(ctx, sc, r.PathValue("unit"), p, ext == PDF)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var buf bytes.Buffer
	var ctype, name string
	base := "bao-cao-de-an-06-" + rep.Unit.Code + "-" + p.Key
	switch ext {
	case XLSX:
		ctype, name = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", base+".xlsx"
		err = rep.XLSX(&buf, lang)
	case CSV:
		ctype, name = "application/zip", base+".zip"
		err = rep.CSV(&buf, lang)
	case PDF:
		ctype, name = "application/pdf", base+".pdf"
		err = s.PDF(&buf, rep)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	io.Copy(w, &buf)
}
