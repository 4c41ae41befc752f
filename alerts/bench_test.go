package alerts_test

import (
	"context"
	"os"
	"testing"
	"time"

	"p06/alerts"
	"p06/rbac"
	"p06/store"
)

// BenchmarkScanAtScale scans the database P06_BENCH_DATABASE_URL names (a
// generated programme, `p06 gen --tasks 100000`: 1,000,000 assignments) as
// of now: "first" empties the alerts (TRUNCATE, with their webhook
// deliveries: use a scratch database) and the scans' runs before each scan
// (not timed), so each reads and raises everything due; "rerun" scans again
// after a good scan the same day. See
// BENCHMARKS.md, "Alert scan".
func BenchmarkScanAtScale(b *testing.B) {
	url := os.Getenv("P06_BENCH_DATABASE_URL")
	if url == "" {
		b.Skip("P06_BENCH_DATABASE_URL is not set")
	}
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{URL: url})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	authz, err := rbac.NewAuthorizer(ctx, db, 0)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	al := alerts.NewStore(db, authz, func() time.Time { return now })
	scan := func(b *testing.B) alerts.Scanned {
		run, err := al.StartRun(ctx, alerts.JobScan, "MANUAL", "bench", 0)
		if err != nil {
			b.Fatal(err)
		}
		res, err := al.Scan(ctx, now, run.ID)
		if err != nil {
			b.Fatal(err)
		}
		if err := al.EndRun(ctx, run, nil, nil); err != nil {
			b.Fatal(err)
		}
		return res
	}
	b.Run("first", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			// No alerts and no scan before: a scan of everything, into an
			// empty table as a first scan finds it (a DELETE would leave
			// each key's dead entry for the next insert to check).
			for _, q := range []string{"TRUNCATE alerts CASCADE", "DELETE FROM job_runs WHERE job = 'alert-scan'"} {
				if _, err := db.ExecContext(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			b.StartTimer()
			res := scan(b)
			b.ReportMetric(float64(res.Total()), "alerts/op")
		}
	})
	b.Run("rerun", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if res := scan(b); res.Total() != 0 {
				b.Fatalf("a rerun raised %d", res.Total())
			}
		}
	})
}
