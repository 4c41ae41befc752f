package graph_test

import (
	"context"
	"encoding/json"
	"math/rand"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/uptrace/bun"

	"p06/org"
	"p06/rbac"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
	"p06/tasks"
)

// The searches measured: a common word, two words, the start of words, a
// rare word (in 0.1% of the generated tasks) and a common pair.
var benchSearches = []struct{ name, query string }{
	{"one-word", "dan"},
	{"two-words", "dinh danh"},
	{"prefix", "tri"},
	{"rare", "quokkax"},
	{"common-pair", "thuc hien"},
}

const benchSearchQuery = `query($q: String!) { search(query: $q) { totalCount nodes { kind title snippet rank node { id } } } }`

// BenchmarkSearch measures search(query, first: 20) over HTTP, as vpcp (the
// whole country) and hue (Thừa Thiên Huế), on the demo data and then with
// P06_SEARCH_BENCH_TASKS (default 100,000) more tasks bulk-loaded (not
// through the API: rows and search words in batches) into the same
// database: words drawn from the demo tasks' own words by a Zipf law,
// 8 in a title and 20 in a description, each task led by one province in
// turn. Run it with -count 1: the load happens once per dialect.
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
			start := time.Now()
			loadTasks(b, db, n)
			b.Logf("%s: loaded %d tasks in %s", d, n, time.Since(start).Round(time.Second))
			run(strconv.Itoa(n))
		})
	}
}

// loadTasks bulk-inserts n generated tasks under one new document, each
// with one lead assignment and its search words.
func loadTasks(b *testing.B, db *store.DB, n int) {
	ctx := context.Background()
	var texts []struct{ Title, Description string }
	if err := db.NewRaw("SELECT title, description FROM tasks").Scan(ctx, &texts); err != nil {
		b.Fatal(err)
	}
	freq := map[string]int{}
	for _, t := range texts {
		for _, w := range strings.FieldsFunc(t.Title+" "+t.Description, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			freq[strings.ToLower(w)]++
		}
	}
	vocab := make([]string, 0, len(freq))
	for w := range freq {
		vocab = append(vocab, w)
	}
	sort.Slice(vocab, func(i, j int) bool {
		if freq[vocab[i]] != freq[vocab[j]] {
			return freq[vocab[i]] > freq[vocab[j]]
		}
		return vocab[i] < vocab[j]
	})
	provinces, _, err := org.NewStore(db).ListUnits(ctx, rbac.National(), org.UnitFilter{Kinds: []org.Kind{org.Province}}, store.Page{Limit: 100})
	if err != nil {
		b.Fatal(err)
	}
	ts := tasks.NewStore(db, store.FixedClock(today))
	doc := &tasks.Document{Kind: tasks.KeHoach, Number: "1/KH-BENCH", IssueDate: store.MustDate("2026-01-02"), Issuer: "Bộ Công an",
		Title: "Kế hoạch sinh ra cho đo tìm kiếm", Source: store.SourceDemo}
	if err := ts.CreateDocument(ctx, doc); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewSource(6))
	zipf := rand.NewZipf(rng, 1.07, 2, uint64(len(vocab)-1))
	words := func(k int) string {
		ws := make([]string, k)
		for i := range ws {
			ws[i] = vocab[zipf.Uint64()]
		}
		return strings.Join(ws, " ")
	}
	now := today.UTC()
	const batch = 1000
	for from := 0; from < n; from += batch {
		var ts []*tasks.Task
		for i := from; i < min(n, from+batch); i++ {
			title, desc := words(8), words(20)
			if i%1000 == 7 {
				desc += " quokkax"
			}
			title = strings.ToUpper(title[:1]) + title[1:]
			ts = append(ts, &tasks.Task{DocumentID: doc.ID, SortOrder: i + 1, Title: title, Description: desc,
				SearchText: store.Fold(title + " " + desc), DeadlineText: "năm 2027", DueDate: store.MustDate("2027-12-31"),
				Precision: tasks.PrecisionYear, Source: store.SourceDemo, RecordedOn: store.MustDate("2026-01-02"), UpdatedAt: now})
		}
		err := db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.NewInsert().Model(&ts).Exec(ctx); err != nil {
				return err
			}
			as := make([]*tasks.Assignment, len(ts))
			entries := make([]store.SearchEntry, len(ts))
			for i, t := range ts {
				as[i] = &tasks.Assignment{TaskID: t.ID, OrgUnitID: provinces[(from+i)%len(provinces)].ID, Role: tasks.Lead,
					State: tasks.NotStarted, DueDate: t.DueDate, Source: store.SourceDemo, Version: 1, UpdatedAt: now}
				entries[i] = store.SearchEntry{ID: t.ID, Title: t.Title, Body: t.Description}
			}
			if _, err := tx.NewInsert().Model(&as).Exec(ctx); err != nil {
				return err
			}
			return store.IndexSearchBatch(ctx, tx, store.SearchTask, entries)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	// Statistics, and on PostgreSQL the visibility map that index-only scans
	// need (autovacuum sets it after inserts in normal running).
	analyze := "ANALYZE"
	if db.Engine == store.Postgres {
		analyze = "VACUUM ANALYZE"
	}
	if _, err := db.ExecContext(ctx, analyze); err != nil {
		b.Fatal(err)
	}
}
