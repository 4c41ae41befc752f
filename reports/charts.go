package reports

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"p06/org"
	"p06/rbac"
	"p06/store"
	"p06/tasks"
)

// renderable is a chart's plain data: Bars or Lines.
type renderable interface {
	Render(w io.Writer, f Format, width, height int) error
}

// StatusByUnit is the chart of tasks by reporting status as of asOf for
// each unit of kind level in sc (provinces or ministries), stacked.
func (s *Service) StatusByUnit(ctx context.Context, sc rbac.Scope, level org.Kind, asOf store.Date, lang Lang) (Bars, error) {
	units, counts, err := s.StatusCounts(ctx, sc, level, asOf)
	if err != nil {
		return Bars{}, err
	}
	return statusBars(lang, level, asOf, units, counts), nil
}

// StatusCounts counts the tasks by reporting status as of asOf of each unit
// of kind level (PROVINCE or MINISTRY) in sc, judged on its subtree's
// assignments: the chart's data, and GraphQL's statusByUnit.
func (s *Service) StatusCounts(ctx context.Context, sc rbac.Scope, level org.Kind, asOf store.Date) ([]*org.Unit, []map[tasks.Status]int, error) {
	if level != org.Province && level != org.Ministry {
		return nil, nil, invalid("level", fmt.Sprintf("level %q không hợp lệ: PROVINCE hoặc MINISTRY", level),
			fmt.Sprintf("level %q is invalid: PROVINCE or MINISTRY", level))
	}
	units, err := s.unitsOf(ctx, sc, level)
	if err != nil {
		return nil, nil, err
	}
	counts, err := s.countsOf(ctx, sc, units, asOf)
	return units, counts, err
}

func (s *Service) countsOf(ctx context.Context, sc rbac.Scope, units []*org.Unit, asOf store.Date) ([]map[tasks.Status]int, error) {
	paths := make([]string, len(units))
	for i, u := range units {
		paths[i] = u.Path
	}
	return s.tasks.StatusCountsByUnit(ctx, sc, asOf, paths)
}

func (s *Service) statusByUnits(ctx context.Context, sc rbac.Scope, level org.Kind, units []*org.Unit, asOf store.Date, lang Lang) (Bars, error) {
	counts, err := s.countsOf(ctx, sc, units, asOf)
	if err != nil {
		return Bars{}, err
	}
	return statusBars(lang, level, asOf, units, counts), nil
}

// statusBars is the stacked bars of counts, one row per unit.
func statusBars(lang Lang, level org.Kind, asOf store.Date, units []*org.Unit, counts []map[tasks.Status]int) Bars {
	what := msg(lang, "tỉnh, thành phố", "province")
	if level == org.Ministry {
		what = msg(lang, "bộ, ngành", "ministry")
	}
	b := Bars{Lang: lang, Totals: true,
		Title: msg(lang, fmt.Sprintf("Nhiệm vụ theo tình trạng, theo %s, đến ngày %s", what, formatDate(lang, asOf)),
			fmt.Sprintf("Tasks by status per %s as of %s", what, formatDate(lang, asOf)))}
	for _, u := range units {
		b.Labels = append(b.Labels, unitName(lang, u.Name, u.NameEn))
	}
	for _, st := range tasks.Statuses {
		sr := Series{Name: StatusName(lang, st), Color: statusColors[st], Values: make([]float64, len(units))}
		for i := range units {
			sr.Values[i] = float64(counts[i][st])
		}
		b.Series = append(b.Series, sr)
	}
	return b
}

// OverdueTrend is the line of the overdue tasks of unit (within sc) on
// evenly spaced days from from to to.
func (s *Service) OverdueTrend(ctx context.Context, sc rbac.Scope, unit *org.Unit, from, to store.Date, lang Lang) (Lines, error) {
	days := sampleDays(from, to, 61)
	n, err := s.tasks.OverdueByDay(ctx, sc, unit.Path, days)
	if err != nil {
		return Lines{}, err
	}
	return overdueLines(lang, unit, days, n), nil
}

func overdueLines(lang Lang, unit *org.Unit, days []store.Date, n []int) Lines {
	name := unitName(lang, unit.Name, unit.NameEn)
	l := Lines{Lang: lang,
		Title: msg(lang, "Nhiệm vụ quá hạn chưa hoàn thành – "+name, "Overdue tasks – "+name)}
	sr := Series{Name: msg(lang, "Quá hạn", "Overdue"), Color: statusColors[tasks.Overdue], Values: make([]float64, len(days))}
	for i, d := range days {
		l.XLabels = append(l.XLabels, formatDate(lang, d))
		sr.Values[i] = float64(n[i])
	}
	l.Series = []Series{sr}
	return l
}

// serveChart answers GET /charts/{name}.{png|svg}.
func (s *Service) serveChart(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name, ext := splitFile(r.PathValue("file"))
	f := Format(ext)
	if f != PNG && f != SVG {
		s.writeError(w, r, notFound)
		return
	}
	sc, err := s.caller(ctx)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	q := r.URL.Query()
	lang := langOf(q.Get("lang"), "")
	today := s.today()
	var build func() (renderable, error)
	// The last day the chart shows, for the task charts: figures of days
	// before today never change. (Indicator values of a past period may
	// still be entered or corrected: those charts are not kept so.)
	var latest store.Date
	defaultW, defaultH := 900, 420
	minH := MinHeight
	switch name {
	case "status-by-unit":
		level, err := levelParam(q.Get("level"))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		asOf, err := dateParam(q.Get("asOf"), "asOf", today)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		// The rows are the units of the level in scope: their number sets
		// the height, before any figure is counted.
		units, err := s.unitsOf(ctx, sc, level)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		latest = asOf
		if defaultH, minH, err = rowsHeight(q.Get("height"), len(units), len(tasks.Statuses)); err != nil {
			s.writeError(w, r, err)
			return
		}
		build = func() (renderable, error) { return s.statusByUnits(ctx, sc, level, units, asOf, lang) }
	case "ranking":
		ind, err := s.Indicator(ctx, q.Get("indicator"))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		level, err := levelParam(q.Get("level"))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		p, err := periodParam(q.Get("period"), "period", lastEnded(ind.PeriodType, today))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		// The figures come with their units (kpiRanking): their number
		// sets the height. Counting them is making the chart's data, so
		// it takes a place among the reports and charts being made, as
		// the drawing does after.
		release, err := s.enterRender(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		bars, err := s.IndicatorRanking(ctx, sc, ind, level, p, lang)
		release()
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if defaultH, minH, err = rowsHeight(q.Get("height"), len(bars.Labels), 1); err != nil {
			s.writeError(w, r, err)
			return
		}
		build = func() (renderable, error) { return bars, nil }
	case "indicator":
		ind, err := s.Indicator(ctx, q.Get("indicator"))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		to, err := periodParam(q.Get("to"), "to", lastEnded(ind.PeriodType, today))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		def := to
		for range 11 {
			def = def.Previous()
		}
		from, err := periodParam(q.Get("from"), "from", def)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		u, err := s.unitParam(ctx, sc, q.Get("unit"))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		build = func() (renderable, error) { return s.IndicatorTrend(ctx, sc, ind, u, from, to, lang) }
	case "overdue-trend":
		to, err := dateParam(q.Get("to"), "to", today)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		from, err := dateParam(q.Get("from"), "from", to.AddDays(-365))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if !from.Before(to) || from.DaysUntil(to) > 3660 {
			s.writeError(w, r, invalid("from", fmt.Sprintf("từ ngày %s đến ngày %s: cần from trước to, cách nhau tối đa 10 năm", from, to),
				fmt.Sprintf("from %s to %s: from must be before to, at most 10 years apart", from, to)))
			return
		}
		u, err := s.unitParam(ctx, sc, q.Get("unit"))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		latest = to
		build = func() (renderable, error) { return s.OverdueTrend(ctx, sc, u, from, to, lang) }
	default:
		s.writeError(w, r, notFound)
		return
	}
	width, err := sizeParam(q.Get("width"), "width", defaultW, MinWidth, MaxWidth)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	height, err := sizeParam(q.Get("height"), "height", defaultH, max(minH, MinHeight), MaxHeight)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// Figures of days before today never change (history is data), so such
	// a chart is kept by what was asked and who may see what: asked again,
	// it costs no query.
	past := ""
	if !latest.IsZero() && latest.Before(today) {
		keys := []string{name, string(lang), string(f), strconv.Itoa(width), strconv.Itoa(height), q.Get("level"), q.Get("asOf"),
			q.Get("unit"), q.Get("from"), q.Get("to"), "|"}
		keys = append(keys, sc.Read...)
		sum := sha256.Sum256([]byte(strings.Join(keys, "\x00")))
		past = "past:" + hex.EncodeToString(sum[:16])
	}
	s.writeChart(w, r, build, f, width, height, past)
}

// writeChart sends the chart, rendered once per ETag: the hash of the
// drawing's version, its data, words, format and size. A client holding it gets 304. A chart of past
// days (past: its key) is kept whole and may be kept by the client for a
// day; one of today is revalidated each time.
func (s *Service) writeChart(w http.ResponseWriter, r *http.Request, build func() (renderable, error), f Format, width, height int, past string) {
	h := w.Header()
	h.Set("Vary", "Cookie, Authorization")
	h.Set("Cache-Control", "private, no-cache")
	if past != "" {
		h.Set("Cache-Control", "private, max-age=86400")
	}
	tag, body, ok := "", []byte(nil), false
	if past != "" {
		if b, hit := s.charts.get(past); hit {
			tag, body, ok = string(b[:34]), b[34:], true
		}
	}
	if !ok {
		release, err := s.enterRender(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		defer release()
		c, err := build()
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		hash := sha256.New()
		fmt.Fprintf(hash, "%d %T %#v %s %d %d", drawingVersion, c, c, f, width, height)
		tag = `"` + hex.EncodeToString(hash.Sum(nil)[:16]) + `"`
		if body, ok = s.charts.get(tag); !ok {
			var buf bytes.Buffer
			if err := c.Render(&buf, f, width, height); err != nil {
				s.writeError(w, r, err)
				return
			}
			s.renders.Add(1)
			body = buf.Bytes()
			s.charts.put(tag, body)
		}
		if past != "" {
			s.charts.put(past, append([]byte(tag), body...))
		}
	}
	h.Set("ETag", tag)
	if matches(r.Header.Get("If-None-Match"), tag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", f.ContentType())
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	if f == SVG {
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	}
	w.Write(body)
}

// matches reports whether an If-None-Match header names tag.
func matches(header, tag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == tag || t == "*" {
			return true
		}
	}
	return false
}

// dateParam reads a YYYY-MM-DD parameter, def when absent.
func dateParam(v, field string, def store.Date) (store.Date, error) {
	if v == "" {
		return def, nil
	}
	d, err := store.ParseDate(v)
	if err != nil || d.Year < store.MinYear {
		return d, invalid(field, fmt.Sprintf("%s: ngày %q không hợp lệ: cần một ngày có thật từ năm %d, dạng YYYY-MM-DD", field, store.Clip(v), store.MinYear),
			fmt.Sprintf("%s: date %q is invalid: expected a real date from the year %d on, written YYYY-MM-DD", field, store.Clip(v), store.MinYear))
	}
	return d, nil
}

// sizeParam reads a size in pixels within [lo, hi], def when absent.
func sizeParam(v, field string, def, lo, hi int) (int, error) {
	if v == "" {
		return min(max(def, lo), hi), nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, invalid(field, fmt.Sprintf("%s phải là số điểm ảnh từ %d đến %d, không phải %q", field, lo, hi, store.Clip(v)),
			fmt.Sprintf("%s must be a number of pixels from %d to %d, not %q", field, lo, hi, store.Clip(v)))
	}
	return n, nil
}

// levelParam reads level=PROVINCE|MINISTRY (PROVINCE when absent).
func levelParam(v string) (org.Kind, error) {
	level := org.Kind(strings.ToUpper(v))
	if level == "" {
		level = org.Province
	}
	if level != org.Province && level != org.Ministry {
		return "", invalid("level", fmt.Sprintf("level %q không hợp lệ: PROVINCE hoặc MINISTRY", store.Clip(v)),
			fmt.Sprintf("level %q is invalid: PROVINCE or MINISTRY", store.Clip(v)))
	}
	return level, nil
}

// unitParam is the unit of unit=CODE in sc (VN when absent; NOT_FOUND out
// of sc, like one that does not exist).
func (s *Service) unitParam(ctx context.Context, sc rbac.Scope, code string) (*org.Unit, error) {
	if code == "" {
		code = org.NationalCode
	}
	if err := org.CheckCode("unit", code); err != nil {
		return nil, err
	}
	return s.orgs.UnitByCode(ctx, sc, code)
}

// rowsHeight is the default and the least height of a bar chart of rows
// rows and series series; a height asked for (h) that is a chart's size
// but leaves rows unreadable is INVALID.
func rowsHeight(h string, rows, series int) (def, least int, err error) {
	shape := Bars{Labels: make([]string, rows), Series: make([]Series, series)}
	def, least = shape.DefaultHeight(), shape.MinHeight()
	if n, err := strconv.Atoi(h); err == nil && n < least && n >= MinHeight {
		return 0, 0, invalid("height", fmt.Sprintf("height phải ít nhất %d để đọc được %d nhãn", least, rows),
			fmt.Sprintf("height must be at least %d for %d labels to be readable", least, rows))
	}
	return def, least, nil
}
