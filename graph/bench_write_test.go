package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"p06/seeds/seedtest"
	"p06/store/storetest"
)

// BenchmarkUpdateAssignment measures updateAssignment with 16 concurrent
// clients (the province's staff saving at once), on each database:
//   - own: each client updates assignments of its own (no conflicts
//     expected), the throughput of the write path;
//   - own-lean: the same asking only for the new version back, so the
//     payload's reads (status, history, who changed it) are left out: the
//     write path alone;
//   - shared: all clients update the same 4 assignments, each sending the
//     version it last saw (the payload carries the current one on CONFLICT),
//     so the conflict rate shows how often a save must be redone.
//
// Each op is one mutation over HTTP saving a note (a new version whatever
// the assignment's state): load in scope, rule, versioned update,
// history row, audit row, change notice, commit, then the payload read
// back. The server is wired as server.go wires it (serveLive): live updates
// on, policies looked up at most once a second.
func BenchmarkUpdateAssignment(b *testing.B) {
	for _, d := range storetest.Dialects() {
		for _, mode := range []string{"own", "own-lean", "shared"} {
			b.Run(string(d)+"/"+mode, func(b *testing.B) {
				db := seedtest.Fresh(b, d)
				url := serveLive(b, db, "hue")
				c := &client{t: &testing.T{}, url: url}
				var list struct {
					Assignments struct {
						Nodes []struct {
							ID      string
							Version int
						}
					}
				}
				c.must(`{ assignments(first: 100, filter: {orgUnit: "46"}) { nodes { id version } } }`, nil, &list)
				nodes := list.Assignments.Nodes
				if len(nodes) < 32 {
					b.Fatalf("only %d assignments of Huế", len(nodes))
				}
				httpc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
				var versions sync.Map // id → last version seen (shared mode)
				for _, n := range nodes {
					versions.Store(n.ID, n.Version)
				}
				var next, ops, conflicts atomic.Int64
				b.SetParallelism(16 / max(1, runtimeProcs()))
				b.ResetTimer()
				start := time.Now()
				b.RunParallel(func(pb *testing.PB) {
					w := int(next.Add(1) - 1)
					i := 0
					for pb.Next() {
						var id string
						if mode != "shared" {
							id = nodes[(w*2+i%2)%len(nodes)].ID // two of its own
						} else {
							id = nodes[i%4].ID
						}
						i++
						v, _ := versions.Load(id)
						query := updateMutation
						if mode == "own-lean" {
							query = leanUpdateMutation
						}
						body, _ := json.Marshal(map[string]any{"query": query, "variables": map[string]any{"in": map[string]any{
							"assignment": id, "expectedVersion": v, "note": fmt.Sprintf("báo cáo %d của người %d", i, w)}}})
						res, err := httpc.Post(url, "application/json", bytes.NewReader(body))
						if err != nil {
							b.Error(err)
							return
						}
						var out struct {
							Data   updateOut
							Errors []gqlError
						}
						err = json.NewDecoder(res.Body).Decode(&out)
						res.Body.Close()
						if err != nil || len(out.Errors) > 0 || out.Data.UpdateAssignment.Assignment == nil {
							b.Errorf("update: %v %+v %+v", err, out.Errors, out.Data.UpdateAssignment)
							return
						}
						if ue := out.Data.UpdateAssignment.UserErrors; len(ue) > 0 {
							if ue[0].Code != "CONFLICT" {
								b.Errorf("update: %+v", ue)
								return
							}
							conflicts.Add(1)
						}
						versions.Store(id, out.Data.UpdateAssignment.Assignment.Version)
						ops.Add(1)
					}
				})
				elapsed := time.Since(start)
				b.ReportMetric(float64(ops.Load())/elapsed.Seconds(), "updates/s")
				b.ReportMetric(100*float64(conflicts.Load())/float64(max(1, ops.Load())), "conflict%")
				if mode != "shared" && conflicts.Load() > 0 {
					b.Errorf("%d conflicts on assignments no one else writes", conflicts.Load())
				}
			})
		}
	}
}

// leanUpdateMutation is updateMutation asking only for the new version.
const leanUpdateMutation = `mutation($in: UpdateAssignmentInput!) { updateAssignment(input: $in) {
	assignment { id version } userErrors { field message code } } }`

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

// BenchmarkSubmitDataValues500 measures submitDataValues with a batch of
// 500 values (the 20 indicators of Decision 766 × 25 months of Hà Nội,
// numerator and denominator each), submitted: each op resubmits the batch
// with new figures at the versions the last one returned (500 values
// updated, their history, roll-ups and audit rows). The first submission,
// which inserts them, is reported apart (insert-ms, one sample).
func BenchmarkSubmitDataValues500(b *testing.B) {
	for _, d := range storetest.Dialects() {
		b.Run(string(d), func(b *testing.B) {
			db := seedtest.Fresh(b, d)
			counter := db.Counts()
			c := &client{t: &testing.T{}, url: serveAs(b, db, "hanoi")}
			var inds struct{ Indicators []struct{ ID, Code string } }
			c.must(`{ indicators(filter: {search: "766"}) { id code } }`, nil, &inds)
			var values []map[string]any
			for _, ind := range inds.Indicators {
				for m := 0; m < 25; m++ {
					values = append(values, map[string]any{"indicator": ind.ID, "orgUnit": "01",
						"period": fmt.Sprintf("%d-%02d", 2024+m/12, m%12+1), "numerator": 90, "denominator": 100})
				}
			}
			if len(values) != 500 {
				b.Fatalf("%d values", len(values))
			}
			send := func(round int) {
				for i, v := range values {
					v["numerator"] = 80 + (round+i)%20
				}
				body, _ := json.Marshal(map[string]any{"query": submitMutation, "variables": map[string]any{"in": map[string]any{
					"values": values, "submit": true, "confirmJumps": true}}})
				var out submitOut
				if err := json.Unmarshal(post(b, c.url, body), &out); err != nil {
					b.Fatal(err)
				}
				s := out.SubmitDataValues
				if len(s.Values) != 500 || len(s.Problems) > 0 || len(s.UserErrors) > 0 {
					b.Fatalf("round %d: %d values, problems %+v, errors %+v", round, len(s.Values), s.Problems[:min(3, len(s.Problems))], s.UserErrors)
				}
				for i, v := range s.Values {
					values[i]["expectedVersion"] = v.Version
				}
			}
			start := time.Now()
			send(0)
			insert := time.Since(start)
			b.ReportAllocs()
			var iters, before int64
			var cpu0 time.Duration
			for b.Loop() {
				if iters == 0 {
					before, cpu0 = counter.Statements(), processCPU(b)
				}
				iters++
				send(int(iters))
			}
			b.ReportMetric(float64(insert.Microseconds())/1000, "insert-ms")
			b.ReportMetric(float64(counter.Statements()-before)/float64(iters), "queries/op")
			b.ReportMetric(float64(processCPU(b)-cpu0)/float64(iters)/1e6, "cpu-ms/op")
		})
	}
}
