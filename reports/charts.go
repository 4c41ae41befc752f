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
	units, err := s.unitsOf(ctx, sc, level)
	if err != nil {
		return Bars{}, err
	}
	paths := make([]string, len(units))
	for i, u := range units {
		paths[i] = u.Path
	}
	counts, err := s.tasks.StatusCountsByUnit(ctx, sc, asOf, paths)
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
	days := sampleDays(from, to)
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
	var c renderable
	var latest store.Date // the last day the chart shows
	defaultW, defaultH := 900, 420
	switch name {
	case "status-by-unit":
		level := org.Kind(strings.ToUpper(q.Get("level")))
		if level == "" {
			level = org.Province
		}
		if level != org.Province && level != org.Ministry {
			s.writeError(w, r, invalid("level", fmt.Sprintf("level %q không hợp lệ: PROVINCE hoặc MINISTRY", q.Get("level")),
				fmt.Sprintf("level %q is invalid: PROVINCE or MINISTRY", q.Get("level"))))
			return
		}
		asOf, err := dateParam(q.Get("asOf"), "asOf", today)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		b, err := s.StatusByUnit(ctx, sc, level, asOf, lang)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		c, latest, defaultH = b, asOf, b.DefaultHeight()
		if q.Get("height") != "" {
			if h, _ := strconv.Atoi(q.Get("height")); h < b.MinHeight() {
				s.writeError(w, r, invalid("height", fmt.Sprintf("height phải ít nhất %d để đọc được %d nhãn", b.MinHeight(), len(b.Labels)),
					fmt.Sprintf("height must be at least %d for %d labels to be readable", b.MinHeight(), len(b.Labels))))
				return
			}
		}
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
		code := q.Get("unit")
		if code == "" {
			code = org.NationalCode
		}
		u, err := s.orgs.UnitByCode(ctx, sc, code)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		l, err := s.OverdueTrend(ctx, sc, u, from, to, lang)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		c, latest = l, to
	default:
		// indicator.png and ranking.png come with the indicators (kpi/).
		s.writeError(w, r, notFound)
		return
	}
	width, err := sizeParam(q.Get("width"), "width", defaultW, MinWidth, MaxWidth)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	height, err := sizeParam(q.Get("height"), "height", defaultH, MinHeight, MaxHeight)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeChart(w, r, c, f, width, height, latest.Before(today))
}

// writeChart sends the chart, rendered once per ETag: the hash of its data,
// words, format and size. A client holding it gets 304; a chart of days
// before today never changes, so it may be kept for a day.
func (s *Service) writeChart(w http.ResponseWriter, r *http.Request, c renderable, f Format, width, height int, past bool) {
	hash := sha256.New()
	fmt.Fprintf(hash, "%T %#v %s %d %d", c, c, f, width, height)
	sum := hash.Sum(nil)
	tag := `"` + hex.EncodeToString(sum[:16]) + `"`
	h := w.Header()
	h.Set("ETag", tag)
	h.Set("Vary", "Cookie, Authorization")
	if past {
		h.Set("Cache-Control", "private, max-age=86400")
	} else {
		h.Set("Cache-Control", "private, no-cache")
	}
	if matches(r.Header.Get("If-None-Match"), tag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body, ok := s.charts.get(tag)
	if !ok {
		var buf bytes.Buffer
		if err := c.Render(&buf, f, width, height); err != nil {
			s.writeError(w, r, err)
			return
		}
		s.renders.Add(1)
		body = buf.Bytes()
		s.charts.put(tag, body)
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
	if err != nil {
		return d, invalid(field, fmt.Sprintf("%s: ngày %q không đúng dạng YYYY-MM-DD", field, v),
			fmt.Sprintf("%s: date %q is not YYYY-MM-DD", field, v))
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
		return 0, invalid(field, fmt.Sprintf("%s phải là số điểm ảnh từ %d đến %d, không phải %q", field, lo, hi, v),
			fmt.Sprintf("%s must be a number of pixels from %d to %d, not %q", field, lo, hi, v))
	}
	return n, nil
}
