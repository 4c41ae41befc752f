package reports_test

import (
	"bytes"
	"context"
	"testing"

	"p06/org"
	"p06/rbac"
	"p06/reports"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
)

// benchDB is the demo database of the dialect TEST_DATABASE_URL picks
// (PostgreSQL when set, else SQLite).
func benchDB(b *testing.B) *store.DB {
	ds := storetest.Dialects()
	return seedtest.Shared(b, ds[len(ds)-1])
}

func benchService(b *testing.B) *reports.Service {
	db := benchDB(b)
	r := newResolver(b, db)
	return r.Reports
}

// BenchmarkChartData: the data of status-by-unit for the 63 provinces
// (one statement), then its PNG at 900 px wide.
func BenchmarkChartStatusByUnit(b *testing.B) {
	s := benchService(b)
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
	s := benchService(b)
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
	s := benchService(b)
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
	s := benchService(b)
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
