package graph_test

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"testing"

	"p06/gen"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
)

// The searches measured: a common word, two words, the start of words, a
// rare word (in 0.1% of the generated tasks) and a common pair.
var benchSearches = []struct{ name, query string }{
	{"one-word", "dan"},
	{"two-words", "dinh danh"},
	{"prefix", "tri"},
	{"rare", gen.RareWord},
	{"common-pair", "thuc hien"},
}

const benchSearchQuery = `query($q: String!) { search(query: $q) { totalCount nodes { kind title snippet rank node { id } } } }`

// BenchmarkSearch measures search(query, first: 20) over HTTP, as vpcp (the
// whole country) and hue (Thừa Thiên Huế), on the demo data and then with a
// generated programme of P06_SEARCH_BENCH_TASKS (default 100,000) tasks
// added to the same database (gen.Programme with its default options: ten
// assignments a task, titles and descriptions from the demo tasks' words,
// the rare word in one task in a thousand). Run it with -count 1: the
// generation happens once per dialect.
func BenchmarkSearch(b *testing.B) {
	n := 100_000
	if s := os.Getenv("P06_SEARCH_BENCH_TASKS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	for _, d := range storetest.Dialects() {
		b.Run(string(d), func(b *testing.B) {
			db := seedtest.Fresh(b, d)
			run := func(size string) {
				for _, user := range []string{"vpcp", "hue"} {
					url := serveAs(b, db, user)
					for _, s := range benchSearches {
						body, _ := json.Marshal(map[string]any{"query": benchSearchQuery, "variables": map[string]any{"q": s.query}})
						b.Run(size+"/"+user+"/"+s.name, func(b *testing.B) {
							var total int
							for b.Loop() {
								var out struct{ Search struct{ TotalCount int } }
								if err := json.Unmarshal(post(b, url, body), &out); err != nil {
									b.Fatal(err)
								}
								total = out.Search.TotalCount
							}
							b.ReportMetric(float64(total), "hits")
						})
					}
				}
			}
			run("demo")
			o := gen.DefaultOptions
			o.Tasks, o.Clock = n, store.FixedClock(today)
			rep, err := gen.Programme(context.Background(), db, o)
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: %s", d, rep)
			run(strconv.Itoa(n))
		})
	}
}
