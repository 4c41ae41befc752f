package reports_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"p06/auth"
	"p06/graph"
	"p06/rbac"
	"p06/reports"
	"p06/seeds"
	"p06/seeds/seedtest"
	"p06/store"
)

func TestMain(m *testing.M) { seedtest.Main(m) }

// today is the fixed "now" of these tests: 1 December 2026, 09:00 in Hà Nội.
var today = time.Date(2026, 12, 1, 9, 0, 0, 0, store.VN)

// stack is the program's HTTP stack on db (auth.Middleware in front of the
// GraphQL endpoint, the charts and the reports), as server.go wires it.
type stack struct {
	t   *testing.T
	url string
	svc *auth.Service
	rep *reports.Service
}

// newResolver wires the API on db as server.go does, on the fixed clock.
func newResolver(tb testing.TB, db *store.DB) *graph.Resolver {
	tb.Helper()
	authz, err := rbac.NewAuthorizer(context.Background(), db, 0)
	if err != nil {
		tb.Fatal(err)
	}
	clock := store.FixedClock(today)
	return graph.NewResolver(db, auth.NewService(db, authz, clock, auth.DefaultConfig), clock)
}

func newStack(t *testing.T, db *store.DB) *stack {
	t.Helper()
	r := newResolver(t, db)
	svc := r.Auth
	// As server.go: the PDF's serif when P06_PDF_FONT names one.
	regular, bold, italic, err := reports.PDFFonts(os.Getenv("P06_PDF_FONT"))
	if err != nil {
		t.Fatal(err)
	}
	r.Reports.SetPDFFonts(regular, bold, italic)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	mux := http.NewServeMux()
	mux.Handle("/query", graph.NewHandler(r, graph.DefaultLimits, log))
	r.Reports.Routes(mux)
	srv := httptest.NewServer(svc.Middleware(mux))
	t.Cleanup(srv.Close)
	return &stack{t: t, url: srv.URL, svc: svc, rep: r.Reports}
}

// caller is how a request signs in: a session cookie (with its CSRF token
// for unsafe methods) or a Bearer token; none for anonymous.
type caller struct {
	cookie, csrf, bearer string
}

// session signs the demo user in and returns their session.
func (s *stack) session(username string) caller {
	s.t.Helper()
	res, err := s.svc.Login(context.Background(), username, seeds.DefaultDemoPassword, auth.Client{IP: "127.0.0.1"})
	if err != nil {
		s.t.Fatal(err)
	}
	return caller{cookie: res.Token, csrf: res.CSRFToken}
}

// token makes an API token for the demo user and returns it.
func (s *stack) token(username string) caller {
	s.t.Helper()
	ctx := context.Background()
	res, err := s.svc.Login(ctx, username, seeds.DefaultDemoPassword, auth.Client{IP: "127.0.0.1"})
	if err != nil {
		s.t.Fatal(err)
	}
	id, err := s.svc.IdentifySession(ctx, res.Token, "127.0.0.1")
	if err != nil {
		s.t.Fatal(err)
	}
	_, raw, err := s.svc.CreateToken(ctx, id, id.User.ID, "reports test", today.Add(24*time.Hour))
	if err != nil {
		s.t.Fatal(err)
	}
	return caller{bearer: raw}
}

func (c caller) sign(req *http.Request) {
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: c.cookie})
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
}

// get fetches path as c, with headers given in pairs.
func (s *stack) get(c caller, path string, header ...string) (*http.Response, []byte) {
	s.t.Helper()
	return s.do(c, http.MethodGet, path, header...)
}

// do sends a request of method without a body to path as c, with headers
// given in pairs.
func (s *stack) do(c caller, method, path string, header ...string) (*http.Response, []byte) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url+path, nil)
	if err != nil {
		s.t.Fatal(err)
	}
	c.sign(req)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return res, b
}

type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
}

// query posts a GraphQL query as c and decodes its data into out.
func (s *stack) query(c caller, q string, vars map[string]any, out any) gqlResponse {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, s.url+"/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	c.sign(req)
	if c.csrf != "" {
		req.Header.Set(auth.CSRFHeader, c.csrf)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	var r gqlResponse
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		s.t.Fatal(err)
	}
	if out != nil && len(r.Data) > 0 {
		if err := json.Unmarshal(r.Data, out); err != nil {
			s.t.Fatalf("decoding %s: %v", r.Data, err)
		}
	}
	return r
}

// errorCode is the extensions.code of an HTTP error answer.
func errorCode(t *testing.T, body []byte) (code, field, message string) {
	t.Helper()
	var r gqlResponse
	if err := json.Unmarshal(body, &r); err != nil || len(r.Errors) != 1 {
		t.Fatalf("not a coded error: %s", body)
	}
	e := r.Errors[0]
	code, _ = e.Extensions["code"].(string)
	field, _ = e.Extensions["field"].(string)
	return code, field, e.Message
}

// decodePNG decodes a PNG and returns its size.
func decodePNG(t *testing.T, b []byte) image.Point {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	return img.Bounds().Size()
}

// svgOf parses an SVG and returns its viewBox and its text, NFC.
func svgOf(t *testing.T, b []byte) (viewBox string, text string) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(b))
	var texts []string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not XML: %v\n%s", err, b)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			if x.Name.Local == "svg" {
				for _, a := range x.Attr {
					if a.Name.Local == "viewBox" {
						viewBox = a.Value
					}
				}
			}
		case xml.CharData:
			texts = append(texts, string(x))
		}
	}
	return viewBox, strings.Join(texts, "\n")
}

// TestChartsOverHTTP: the charts through the whole stack, signed in by
// session or token, sized, scoped, cached by ETag.
func TestChartsOverHTTP(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		s := newStack(t, db)
		vpcp, hue := s.session("vpcp"), s.token("hue")

		res, body := s.get(caller{}, "/charts/status-by-unit.png")
		if code, _, _ := errorCode(t, body); res.StatusCode != 401 || code != "UNAUTHENTICATED" {
			t.Fatalf("anonymous: %d %s", res.StatusCode, body)
		}
		res, body = s.get(caller{cookie: "forged"}, "/charts/status-by-unit.png")
		if res.StatusCode != 401 {
			t.Fatalf("forged session: %d %s", res.StatusCode, body)
		}

		// A GET with the session cookie needs no CSRF token (a safe method).
		res, body = s.get(vpcp, "/charts/status-by-unit.png?level=PROVINCE&asOf=2023-12-21&width=800&height=1200")
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("png: %d %s", res.StatusCode, body)
		}
		if size := decodePNG(t, body); size != (image.Point{800, 1200}) {
			t.Fatalf("png size %v", size)
		}
		tag := res.Header.Get("ETag")
		if tag == "" || !strings.Contains(res.Header.Get("Cache-Control"), "private") {
			t.Fatalf("cache headers: %v", res.Header)
		}
		renders := s.rep.Renders()
		res, body = s.get(vpcp, "/charts/status-by-unit.png?level=PROVINCE&asOf=2023-12-21&width=800&height=1200", "If-None-Match", tag)
		if res.StatusCode != 304 || len(body) != 0 {
			t.Fatalf("If-None-Match: %d", res.StatusCode)
		}
		// Another caller with the same view gets the cached chart: not rendered again.
		c06 := s.session("c06")
		res, again := s.get(c06, "/charts/status-by-unit.png?level=PROVINCE&asOf=2023-12-21&width=800&height=1200")
		if res.StatusCode != 200 || res.Header.Get("ETag") != tag || s.rep.Renders() != renders {
			t.Fatalf("second request: %d, etag %s vs %s, renders %d → %d", res.StatusCode, res.Header.Get("ETag"), tag, renders, s.rep.Renders())
		}
		if !bytes.Equal(again, body) && len(body) != 0 {
			t.Fatal("cached chart differs")
		}

		// SVG: the requested size, Vietnamese labels in NFC, all 63 provinces.
		res, body = s.get(vpcp, "/charts/status-by-unit.svg?level=PROVINCE&asOf=2023-12-21&width=900")
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/svg+xml" {
			t.Fatalf("svg: %d %s", res.StatusCode, body)
		}
		dump(t, "status-by-unit-"+string(db.Engine)+".svg", body)
		vb, text := svgOf(t, body)
		if !strings.HasPrefix(vb, "0 0 900 ") {
			t.Fatalf("viewBox %q", vb)
		}
		for _, want := range []string{"Thừa Thiên Huế", "Đắk Lắk", "Bà Rịa - Vũng Tàu", "Quá hạn chưa hoàn thành", "Nhiệm vụ theo tình trạng"} {
			if !strings.Contains(text, want) {
				t.Errorf("svg lacks %q", want)
			}
		}
		_, body = s.get(vpcp, "/charts/status-by-unit.svg?level=MINISTRY&asOf=2023-12-21&lang=en")
		if _, text = svgOf(t, body); !strings.Contains(text, "Tasks by status per ministry") || !strings.Contains(text, "Overdue") {
			t.Errorf("English chart: %s", text)
		}

		// Scoped: Huế sees its own row only, no ministries (a no-data chart),
		// and another province's trend is NOT_FOUND.
		_, body = s.get(hue, "/charts/status-by-unit.svg?level=PROVINCE&asOf=2023-12-21")
		if _, text = svgOf(t, body); !strings.Contains(text, "Thừa Thiên Huế") || strings.Contains(text, "Hà Nội") {
			t.Errorf("Huế's chart: %s", text)
		}
		res, body = s.get(hue, "/charts/status-by-unit.svg?level=MINISTRY")
		if _, text = svgOf(t, body); res.StatusCode != 200 || !strings.Contains(text, "Không có dữ liệu") {
			t.Errorf("no data: %d %s", res.StatusCode, text)
		}
		res, body = s.get(hue, "/charts/overdue-trend.png?unit=01&from=2023-01-01&to=2023-12-31")
		if code, _, _ := errorCode(t, body); res.StatusCode != 404 || code != "NOT_FOUND" {
			t.Fatalf("Hà Nội's trend as Huế: %d %s", res.StatusCode, body)
		}
		res, body = s.get(hue, "/charts/overdue-trend.png?unit=46&from=2023-01-01&to=2023-12-31&width=640&height=320")
		if res.StatusCode != 200 || decodePNG(t, body) != (image.Point{640, 320}) {
			t.Fatalf("Huế's trend: %d", res.StatusCode)
		}
		dump(t, "overdue-trend-46.png", body)
		_, body = s.get(vpcp, "/charts/status-by-unit.png?level=PROVINCE&asOf=2023-12-21")
		dump(t, "status-by-unit-provinces.png", body)
		_, body = s.get(vpcp, "/charts/status-by-unit.png?level=MINISTRY&asOf=2023-12-21&lang=en")
		dump(t, "status-by-unit-ministries-en.png", body)
		_, body = s.get(hue, "/charts/status-by-unit.png?level=MINISTRY")
		dump(t, "no-data.png", body)
		_, body = s.get(vpcp, "/charts/overdue-trend.svg?unit=VN&from=2023-01-01&to=2023-12-31")
		if _, text = svgOf(t, body); !strings.Contains(text, "Nhiệm vụ quá hạn") || !strings.Contains(text, "31/12/2023") {
			t.Errorf("national trend: %s", text)
		}

		// Bad input: coded, naming the parameter, in the caller's language.
		for path, field := range map[string]string{
			"/charts/status-by-unit.png?width=99999":                   "width",
			"/charts/status-by-unit.png?height=300":                    "height", // 63 rows do not fit
			"/charts/status-by-unit.png?level=DISTRICT":                "level",
			"/charts/status-by-unit.png?asOf=21/12/2023":               "asOf",
			"/charts/status-by-unit.png?asOf=1899-12-31":               "asOf", // as GraphQL's dates: from 1900
			"/charts/overdue-trend.svg?from=0001-01-01&to=2023-12-31":  "from",
			"/charts/overdue-trend.png?from=2024-01-01&to=2023-01-01":  "from",
			"/charts/overdue-trend.svg?unit=VN&from=2000-01-01&to=now": "to",
		} {
			res, body := s.get(vpcp, path, "Accept-Language", "en")
			code, f, m := errorCode(t, body)
			if res.StatusCode != 400 || code != "INVALID" || f != field || m == "" {
				t.Errorf("%s: %d %s", path, res.StatusCode, body)
			}
		}
		if res, _ := s.get(vpcp, "/charts/nothing.png"); res.StatusCode != 404 {
			t.Errorf("unknown chart: %d", res.StatusCode)
		}
	})
}

// TestBadUnitCodes: a unit code with a control character, or of kilobytes,
// in a chart's or a report's URL or in a GraphQL orgUnit is INVALID on that
// parameter (not an SQL error), and the message quotes only its start.
func TestBadUnitCodes(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		s := newStack(t, db)
		vpcp := s.session("vpcp")
		long := strings.Repeat("A", 6000)
		for _, path := range []string{"/charts/overdue-trend.png?unit=46%00", "/charts/overdue-trend.svg?unit=" + long,
			"/reports/46%00/2023Q4.csv", "/reports/46%0A/2023Q4.xlsx", "/reports/" + long + "/2023Q4.pdf"} {
			res, body := s.get(vpcp, path, "Accept-Language", "en")
			code, field, message := errorCode(t, body)
			if res.StatusCode != 400 || code != "INVALID" || field != "unit" || len(body) > 400 || !strings.Contains(message, "org unit code") {
				t.Errorf("%.60s: %d %s", path, res.StatusCode, body)
			}
		}
		// Other parameters are INVALID too, quoting only their start.
		for path, want := range map[string]string{"/reports/46/" + long + ".csv": "period", "/reports/46/2023Q4%00.pdf": "period",
			"/charts/overdue-trend.png?from=" + long: "from", "/charts/status-by-unit.svg?level=" + long: "level"} {
			res, body := s.get(vpcp, path)
			if code, field, _ := errorCode(t, body); res.StatusCode != 400 || code != "INVALID" || field != want || len(body) > 400 {
				t.Errorf("%.60s: %d %s", path, res.StatusCode, body)
			}
		}
		for _, q := range []string{`{ orgUnit(code: "46\u0000") { name } }`, `{ programmeSummary(orgUnit: "46\u0000") { asOf } }`,
			`{ assignments(first: 1, filter: {orgUnit: "46\u0000"}) { totalCount } }`, `{ orgUnit(code: "` + long + `") { name } }`} {
			r := s.query(vpcp, q, nil, nil)
			if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "INVALID" || len(r.Errors[0].Message) > 300 {
				t.Errorf("%.60s: %+v", q, r.Errors)
			}
		}
	})
}

// TestStrayRequests: another method than GET on a chart or a report is 405
// with Allow, and a path under /charts/ or /reports/ that names neither is
// 404, both in the coded error shape of the other errors there, in the
// caller's language.
func TestStrayRequests(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		s := newStack(t, db)
		tok := s.token("vpcp")
		for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
			for _, path := range []string{"/charts/status-by-unit.png", "/reports/46/2023Q4.xlsx"} {
				res, body := s.do(tok, m, path, "Accept-Language", "en")
				code, _, message := errorCode(t, body)
				if res.StatusCode != 405 || res.Header.Get("Allow") != "GET, HEAD" || code != "INVALID" || message != "method "+m+" is not supported: use GET" {
					t.Errorf("%s %s: %d %q %s", m, path, res.StatusCode, res.Header.Get("Allow"), body)
				}
			}
		}
		res, body := s.do(tok, http.MethodPost, "/charts/ranking.svg")
		if code, _, message := errorCode(t, body); res.StatusCode != 405 || code != "INVALID" || message != "phương thức POST không được hỗ trợ: dùng GET" {
			t.Errorf("POST in Vietnamese: %d %s", res.StatusCode, body)
		}
		for _, path := range []string{"/charts/", "/charts/a/b.png", "/reports/", "/reports/46", "/reports/46/", "/reports/46/2023Q4/x.csv"} {
			for _, m := range []string{http.MethodGet, http.MethodPost} {
				res, body := s.do(tok, m, path, "Accept-Language", "en")
				code, _, message := errorCode(t, body)
				if res.StatusCode != 404 || code != "NOT_FOUND" || message != "no such page" || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
					t.Errorf("%s %s: %d %s", m, path, res.StatusCode, body)
				}
			}
		}
	})
}

// TestRenderLimit: with every render slot of the process taken, a report or
// a chart is 503 with Retry-After and a coded error in the caller's
// language; a user with 2 renders under way gets 429 while another user is
// served; freed slots serve again.
func TestRenderLimit(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		s := newStack(t, db)
		s.rep.SetRenderLimit(3)
		hue, vpcp := s.session("hue"), s.session("vpcp")
		hueID, err := s.svc.IdentifySession(context.Background(), hue.cookie, "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		release := s.rep.HoldRenders(10*time.Millisecond, -1, -2, -3)
		for _, path := range []string{"/reports/46/2023Q4.xlsx", "/charts/overdue-trend.png?unit=46&from=2023-01-01&to=2023-03-01"} {
			for lang, want := range map[string]string{"": "máy chủ đang tạo nhiều báo cáo", "en": "the server is making many reports"} {
				res, body := s.get(vpcp, path, "Accept-Language", lang)
				code, _, message := errorCode(t, body)
				if res.StatusCode != 503 || res.Header.Get("Retry-After") == "" || code != "CONFLICT" || !strings.Contains(message, want) {
					t.Errorf("%s (%q) with the slots taken: %d %q %s", path, lang, res.StatusCode, res.Header.Get("Retry-After"), body)
				}
			}
		}
		release()

		release = s.rep.HoldRenders(10*time.Millisecond, hueID.User.ID, hueID.User.ID)
		res, body := s.get(hue, "/reports/46/2023Q4.pdf", "Accept-Language", "en")
		if code, _, message := errorCode(t, body); res.StatusCode != 429 || res.Header.Get("Retry-After") == "" || code != "CONFLICT" || !strings.Contains(message, "you already have 2") {
			t.Errorf("Huế with 2 renders under way: %d %s", res.StatusCode, body)
		}
		if res, body := s.get(vpcp, "/reports/46/2023Q4.csv"); res.StatusCode != 200 {
			t.Errorf("another user meanwhile: %d %s", res.StatusCode, body)
		}
		release()
		if res, body := s.get(hue, "/reports/46/2023Q4.csv"); res.StatusCode != 200 {
			t.Errorf("Huế once done: %d %s", res.StatusCode, body)
		}
	})
}
