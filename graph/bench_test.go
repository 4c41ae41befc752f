package graph_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"

	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
	"p06/tasks"
)

// The dashboard's page of tasks with each task's document and assignments.
const taskPageQuery = `query { tasks(first: 50) { totalCount nodes { id title deadlineText dueDate precision status
	document { number kind } assignments { role state orgUnit { code name } } } } }`

// The same page narrowed to Thừa Thiên Huế's tasks in progress or done on time
// at the review of 21 December 2023.
const taskPageFilteredQuery = `query { tasks(first: 50, filter: {statusAsOf: "2023-12-21", statuses: [IN_PROGRESS, DONE_ON_TIME], assignee: "46"}) {
	totalCount nodes { id title deadlineText dueDate precision status
	document { number kind } assignments { role state orgUnit { code name } } } } }`

const programmeSummaryQuery = `{ programmeSummary(asOf: "2023-12-21") { taskCount assignmentCount
	byStatus { status count } documentsByKind { kind count } } }`

// BenchmarkTaskPage50 measures one page of 50 tasks with nested document and
// assignments, POSTed over HTTP to the GraphQL handler.
func BenchmarkTaskPage50(b *testing.B) {
	benchEach(b, taskPageQuery, func(b *testing.B, data json.RawMessage) {
		if n, total := taskNodes(b, data); n != 50 || total != 454 {
			b.Fatalf("got %d nodes of %d tasks, want 50 of 454", n, total)
		}
	})
}

// BenchmarkTaskPage50Filtered measures the same page filtered by assignee
// scope and by status derived in SQL.
func BenchmarkTaskPage50Filtered(b *testing.B) {
	benchEach(b, taskPageFilteredQuery, func(b *testing.B, data json.RawMessage) {
		if n, total := taskNodes(b, data); n != 46 || total != 46 {
			b.Fatalf("got %d nodes of %d tasks, want 46 of 46", n, total)
		}
	})
}

// BenchmarkProgrammeSummary measures the programme's counts at the review.
func BenchmarkProgrammeSummary(b *testing.B) {
	benchEach(b, programmeSummaryQuery, func(b *testing.B, data json.RawMessage) {
		var out struct {
			ProgrammeSummary struct {
				TaskCount       int
				AssignmentCount int
				ByStatus        []struct {
					Status string
					Count  int
				}
				DocumentsByKind []struct {
					Kind  string
					Count int
				}
			}
		}
		if err := json.Unmarshal(data, &out); err != nil {
			b.Fatal(err)
		}
		s := out.ProgrammeSummary
		total := 0
		for _, st := range s.ByStatus {
			total += st.Count
		}
		if s.TaskCount != 449 || s.AssignmentCount != 4634 || total != 449 || len(s.ByStatus) != len(tasks.Statuses) || len(s.DocumentsByKind) != 4 {
			b.Fatalf("summary = %+v", s)
		}
	})
}

func taskNodes(b *testing.B, data json.RawMessage) (nodes, total int) {
	b.Helper()
	var out struct {
		Tasks struct {
			TotalCount int
			Nodes      []struct {
				ID          string
				Document    struct{ Number string }
				Assignments []struct{ OrgUnit struct{ Code string } }
			}
		}
	}
	if err := json.Unmarshal(data, &out); err != nil {
		b.Fatal(err)
	}
	for _, n := range out.Tasks.Nodes {
		if n.ID == "" || n.Document.Number == "" || len(n.Assignments) == 0 || n.Assignments[0].OrgUnit.Code == "" {
			b.Fatalf("incomplete task %+v", n)
		}
	}
	return len(out.Tasks.Nodes), out.Tasks.TotalCount
}

// benchEach runs query as a sub-benchmark per dialect on a demo-seeded
// database of its own (a query hook on the shared one would count other
// tests' queries), failing on any GraphQL error and calling check on the
// first response's data. It reports queries/op, the SQL statements per
// request.
func benchEach(b *testing.B, query string, check func(*testing.B, json.RawMessage)) {
	for _, d := range storetest.Dialects() {
		b.Run(string(d), func(b *testing.B) {
			db := seedtest.Fresh(b, d)
			counter := db.Counts()
			url := benchServer(b, db)
			body, err := json.Marshal(map[string]any{"query": query})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			var iters int64
			var before int64
			var cpu0 time.Duration
			for b.Loop() {
				if iters == 0 {
					before, cpu0 = counter.Statements(), processCPU(b)
				}
				data := post(b, url, body)
				if iters == 0 {
					check(b, data)
				}
				iters++
			}
			b.ReportMetric(float64(counter.Statements()-before)/float64(iters), "queries/op")
			b.ReportMetric(float64(processCPU(b)-cpu0)/float64(iters)/1e6, "cpu-ms/op")
		})
	}
}

// benchServer serves the API on db to the demo user vpcp (national viewer),
// as newClient does: the identity is set on each request, so the credential
// lookup of auth.Middleware is not measured, and the policy version is
// checked on every request (one query; the server checks once a second).
func benchServer(b testing.TB, db *store.DB) string {
	b.Helper()
	return serveAs(b, db, "vpcp")
}

// post sends one GraphQL request and returns its data, failing on any error.
func post(b testing.TB, url string, body []byte) json.RawMessage {
	b.Helper()
	res, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var r response
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body) // let the connection be reused
	if res.StatusCode != http.StatusOK || len(r.Errors) > 0 {
		b.Fatalf("HTTP %d, errors: %+v", res.StatusCode, r.Errors)
	}
	return r.Data
}

// processCPU is the CPU time (user and system) this process has used: the
// server's work and the client's in the benchmarks (with SQLite, the
// database's too), whatever else the machine runs.
func processCPU(b testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
