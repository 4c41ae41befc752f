package reports_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"p06/auth"
	"p06/seeds"

	"p06/kpi"
	"p06/org"
	"p06/rbac"
	"p06/reports"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
)

// benchDB is the database P06_BENCH_DATABASE_URL names (a generated
// programme, `p06 gen`: see BENCHMARKS.md), else the demo database of the
// dialect TEST_DATABASE_URL picks (PostgreSQL when set, else SQLite).
func benchDB(b *testing.B) *store.DB {
	if url := os.Getenv("P06_BENCH_DATABASE_URL"); url != "" {
		ctx := context.Background()
		db, err := store.Open(ctx, store.Config{URL: url})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		if _, err := db.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		return db
	}
	ds := storetest.Dialects()
	return seedtest.Shared(b, ds[len(ds)-1])
}

// benchIndicator is the indicator P06.01 (accounts on the national portal,
// monthly values of every province in the demo data).
func benchIndicator(b *testing.B, db *store.DB) *kpi.Indicator {
	ind := new(kpi.Indicator)
	if err := db.NewSelect().Model(ind).Where("i.code = ?", "P06.01").Scan(context.Background()); err != nil {
		b.Fatal(err)
	}
	return ind
}

// BenchmarkChartIndicator: a year of P06.01 for Huế (kpiSeries) and its
// PNG at 900×420.
func BenchmarkChartIndicator(b *testing.B) {
	db := benchDB(b)
	s, done := newResolver(b, db).Reports, statements(b, db)
	defer done()
	ctx := context.Background()
	ind := benchIndicator(b, db)
	from, _ := reports.ParsePeriod("2023-01", "from")
	to, _ := reports.ParsePeriod("2023-12", "to")
	hue := &org.Unit{Code: "46", Name: "Thừa Thiên Huế", Path: "/VN/46/"}
	b.ReportAllocs()
	for b.Loop() {
		l, err := s.IndicatorTrend(ctx, rbac.National(), ind, hue, from.KPI(), to.KPI(), reports.Vietnamese)
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := l.Render(&buf, reports.PNG, 900, 420); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChartRanking: the 63 provinces ranked on P06.01 for 2023-12
// (kpiRanking) and its PNG at 900 px wide.
func BenchmarkChartRanking(b *testing.B) {
	db := benchDB(b)
	s, done := newResolver(b, db).Reports, statements(b, db)
	defer done()
	ctx := context.Background()
	ind := benchIndicator(b, db)
	p, _ := reports.ParsePeriod("2023-12", "period")
	b.ReportAllocs()
	for b.Loop() {
		bars, err := s.IndicatorRanking(ctx, rbac.National(), ind, org.Province, p.KPI(), reports.Vietnamese)
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := bars.Render(&buf, reports.PNG, 900, bars.DefaultHeight()); err != nil {
			b.Fatal(err)
		}
	}
}

// benchService is the reports service on the benchmark's database, and a
// function to defer that reports the statements per operation.
func benchService(b *testing.B) (*reports.Service, func()) {
	db := benchDB(b)
	r := newResolver(b, db)
	return r.Reports, statements(b, db)
}

// statements reports the SQL statements per operation when the benchmark
// ends (the database's bun hook, store.Stats).
func statements(b *testing.B, db *store.DB) func() {
	before := db.Counts().Statements()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(db.Counts().Statements()-before)/float64(b.N), "stmts/op")
		}
	}
}

// BenchmarkChartData: the data of status-by-unit for the 63 provinces
// (one statement), then its PNG at 900 px wide.
func BenchmarkChartStatusByUnit(b *testing.B) {
	s, done := benchService(b)
	defer done()
	ctx := context.Background()
	asOf := store.MustDate("2023-12-21")
	b.ReportAllocs()
	for b.Loop() {
		bars, err := s.StatusByUnit(ctx, rbac.National(), org.Province, asOf, reports.Vietnamese)
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := bars.Render(&buf, reports.PNG, 900, bars.DefaultHeight()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChartOverdueTrend: a year of a province's overdue tasks (61
// days, one statement) and its PNG.
func BenchmarkChartOverdueTrend(b *testing.B) {
	s, done := benchService(b)
	defer done()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		u := &org.Unit{Code: "46", Name: "Thừa Thiên Huế", Path: "/VN/46/"}
		l, err := s.OverdueTrend(ctx, rbac.National(), u, store.MustDate("2023-01-01"), store.MustDate("2023-12-31"), reports.Vietnamese)
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := l.Render(&buf, reports.PNG, 900, 420); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProvincePDF: Huế's report for 2023Q4, built and written as PDF.
func BenchmarkProvincePDF(b *testing.B) {
	s, done := benchService(b)
	defer done()
	ctx := context.Background()
	p, _ := reports.ParsePeriod("2023Q4", "period")
	b.ReportAllocs()
	for b.Loop() {
		rep, err := s.Build(ctx, rbac.National(), "46", p, true)
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		if err := s.PDF(&buf, rep); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAllProvincesXLSX: the 63 provinces' reports for 2023Q4, built
// and written as XLSX, one after another.
func BenchmarkAllProvincesXLSX(b *testing.B) {
	s, done := benchService(b)
	defer done()
	ctx := context.Background()
	p, _ := reports.ParsePeriod("2023Q4", "period")
	units, err := s.ReportUnits(ctx, rbac.National())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, u := range units {
			if u.Kind != org.Province {
				continue
			}
			rep, err := s.Build(ctx, rbac.National(), u.Code, p, false)
			if err != nil {
				b.Fatal(err)
			}
			var buf bytes.Buffer
			if err := rep.XLSX(&buf, reports.Vietnamese); err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 63 {
			b.Fatalf("%d provinces", n)
		}
	}
}

// BenchmarkChartHTTPPast: GET /charts/status-by-unit.png of a past day
// through the whole stack (session, scope), after its first rendering:
// no query, no rendering.
func BenchmarkChartHTTPPast(b *testing.B) {
	db := benchDB(b)
	r := newResolver(b, db)
	mux := http.NewServeMux()
	r.Reports.Routes(mux)
	srv := httptest.NewServer(r.Auth.Middleware(mux))
	defer srv.Close()
	res, err := r.Auth.Login(context.Background(), "vpcp", seeds.DefaultDemoPassword, auth.Client{IP: "127.0.0.1"})
	if err != nil {
		b.Fatal(err)
	}
	get := func() {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/charts/status-by-unit.png?asOf=2023-12-21", nil)
		req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: res.Token})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatal(resp.Status)
		}
	}
	get()
	b.ReportAllocs()
	for b.Loop() {
		get()
	}
}

// BenchmarkChartRender: the PNG of the 63 provinces' stacked bars from
// plain data (no query).
func BenchmarkChartRender(b *testing.B) {
	s, done := benchService(b)
	defer done()
	bars, err := s.StatusByUnit(context.Background(), rbac.National(), org.Province, store.MustDate("2023-12-21"), reports.Vietnamese)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := bars.Render(&buf, reports.PNG, 900, bars.DefaultHeight()); err != nil {
			b.Fatal(err)
		}
	}
}
