// Package reports makes the programme's charts (go-chart, PNG and SVG) and
// the units' progress reports (XLSX, CSV, PDF in the layout of Nghị định
// 30/2020/NĐ-CP), serves them over HTTP to signed-in callers in their
// scope, and keeps the frozen monthly snapshots of the reports.
package reports

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"p06/auth"
	"p06/kpi"
	"p06/org"
	"p06/rbac"
	"p06/store"
	"p06/tasks"
)

// Service reads the data of charts and reports in the caller's scope and
// renders them.
type Service struct {
	db    *store.DB
	orgs  *org.Store
	tasks *tasks.Store
	kpi   *kpi.Store
	auth  *auth.Service
	clock store.Clock
	log   *slog.Logger
	// The PDF's faces (P06_PDF_FONT, a serif with Vietnamese such as
	// Liberation Serif); nil: go-chart's Roboto.
	pdfRegular, pdfBold, pdfItalic []byte

	charts  chartCache
	renders atomic.Int64
	gate    *renderGate
}

// NewService reads through orgs, ts and the indicators' store on db, names callers and their scopes with
// authSvc, and tells the time by clock.
func NewService(db *store.DB, orgs *org.Store, ts *tasks.Store, authSvc *auth.Service, clock store.Clock, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{db: db, orgs: orgs, tasks: ts, kpi: kpi.NewStore(db), auth: authSvc, clock: clock, log: log,
		charts: chartCache{max: 32 << 20, byTag: map[string][]byte{}}, gate: newRenderGate(0)}
}

// SetLogger sets where the handlers log our own errors.
func (s *Service) SetLogger(log *slog.Logger) { s.log = log }

// Routes adds the charts and reports to mux: GET /charts/{name}.{png|svg}
// and GET /reports/{unit}/{period}.{xlsx|csv|pdf}.
// Anything else under /charts/ and /reports/ is answered in the same
// coded shape as their other errors (fallback), not the mux's plain text.
func (s *Service) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /charts/{file}", s.serveChart)
	mux.HandleFunc("GET /reports/{unit}/{file}", s.serveReport)
	mux.HandleFunc("/charts/", s.fallback)
	mux.HandleFunc("/reports/", s.fallback)
}

// fallback answers a request under /charts/ or /reports/ that no route
// takes: another method than GET (HEAD) on a path of a chart or report is
// 405 with Allow, any other path NOT_FOUND (404).
func (s *Service) fallback(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
	if slices.Contains(segs, "") || !(segs[0] == "charts" && len(segs) == 2 || segs[0] == "reports" && len(segs) == 3) {
		s.writeError(w, r, notFound)
		return
	}
	w.Header().Set("Allow", "GET, HEAD")
	s.writeStatus(w, r, http.StatusMethodNotAllowed, store.Errorf(store.Invalid,
		"phương thức %s không được hỗ trợ: dùng GET", "method %s is not supported: use GET", r.Method))
}

// Renders counts the charts rendered since the start (the cache's misses).
func (s *Service) Renders() int64 { return s.renders.Load() }

// caller is the scope of the request's caller (auth.Middleware named it),
// or UNAUTHENTICATED.
func (s *Service) caller(ctx context.Context) (rbac.Scope, error) {
	id := auth.IdentityFrom(ctx)
	if id == nil {
		if err := auth.FailureFrom(ctx); err != nil {
			return rbac.Scope{}, err
		}
		return rbac.Scope{}, store.Errorf(store.Unauthenticated, "cần đăng nhập", "sign-in required")
	}
	if err := s.auth.Authorizer().Refresh(ctx); err != nil {
		return rbac.Scope{}, err
	}
	return s.auth.ScopeOf(id), nil
}

// today is the day in Asia/Ho_Chi_Minh.
func (s *Service) today() store.Date { return store.Today(s.clock) }

// writeError answers err in the shape of a GraphQL error (message in the
// caller's language, extensions.code and field), with the HTTP status of
// its code. Anything not a *store.Error is our bug: logged, INTERNAL.
func (s *Service) writeError(w http.ResponseWriter, r *http.Request, err error) {
	s.writeStatus(w, r, 0, err)
}

// writeStatus is writeError with the HTTP status given (0: its code's).
func (s *Service) writeStatus(w http.ResponseWriter, r *http.Request, code int, err error) {
	lang := langOf("", r.Header.Get("Accept-Language"))
	var se *store.Error
	status := http.StatusInternalServerError
	body := map[string]any{"message": msg(lang, "lỗi hệ thống", "internal error"), "extensions": map[string]any{"code": "INTERNAL"}}
	if errors.As(err, &se) {
		switch se.Code {
		case store.Invalid:
			status = http.StatusBadRequest
		case store.NotFound:
			status = http.StatusNotFound
		case store.Unauthenticated:
			status = http.StatusUnauthorized
		case store.Forbidden:
			status = http.StatusForbidden
		case store.Conflict:
			status = http.StatusConflict
		}
		if status != http.StatusInternalServerError {
			m := se.Message
			if lang == English && se.English != "" {
				m = se.English
			}
			ext := map[string]any{"code": string(se.Code)}
			if se.Field != "" {
				ext["field"] = se.Field
			}
			body = map[string]any{"message": m, "extensions": ext}
		}
	}
	if code != 0 {
		status = code
	}
	h := w.Header()
	if st, after, ok := retryAfter(err); ok {
		status = st
		h.Set("Retry-After", after)
	}
	if status == http.StatusInternalServerError {
		if r.Context().Err() != nil {
			// The client hung up: what failed is the work it left, not ours.
			s.log.InfoContext(r.Context(), "reports: the client went away", "path", r.URL.Path, "err", err)
		} else {
			s.log.ErrorContext(r.Context(), "reports", "path", r.URL.Path, "err", err)
		}
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errors": []any{body}})
}

func invalid(field, vi, en string) error {
	return &store.Error{Code: store.Invalid, Field: field, Message: vi, English: en}
}

// notFound is the 404 of an unknown chart or file kind.
var notFound = store.Errorf(store.NotFound, "không có trang này", "no such page")

// splitFile splits "name.ext" at its last dot.
func splitFile(file string) (name, ext string) {
	i := strings.LastIndexByte(file, '.')
	if i < 0 {
		return file, ""
	}
	return file[:i], file[i+1:]
}

// unitsOf lists the units of kind in sc, in the tree's order (at most a
// few hundred: the levels reports compare are ministries and provinces).
func (s *Service) unitsOf(ctx context.Context, sc rbac.Scope, kind org.Kind) ([]*org.Unit, error) {
	var out []*org.Unit
	p := store.Page{Limit: store.MaxPage, SkipCount: true}
	for range 10 {
		us, info, err := s.orgs.ListUnits(ctx, sc, org.UnitFilter{Kinds: []org.Kind{kind}}, p)
		if err != nil {
			return nil, err
		}
		out = append(out, us...)
		if !info.HasNext || len(us) == 0 {
			return out, nil
		}
		p.After = us[len(us)-1].Cursor
	}
	return out, nil
}

// chartCache keeps rendered charts by ETag, up to max bytes (the oldest
// go first), so that a chart whose data has not changed is not rendered
// twice, whoever asks.
type chartCache struct {
	mu    sync.Mutex
	max   int
	size  int
	byTag map[string][]byte
	order []string
}

func (c *chartCache) get(tag string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.byTag[tag]
	return b, ok
}

func (c *chartCache) put(tag string, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byTag[tag]; ok || len(b) > c.max/4 {
		return
	}
	for c.size+len(b) > c.max && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		c.size -= len(c.byTag[old])
		delete(c.byTag, old)
	}
	c.byTag[tag] = b
	c.order = append(c.order, tag)
	c.size += len(b)
}
