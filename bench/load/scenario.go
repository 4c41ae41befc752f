package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
)

// The read queries of BENCHMARKS.md.
const (
	taskFields = `id title deadlineText dueDate precision status document { number kind } assignments { role state orgUnit { code name } }`
	p1Query    = `{ tasks(first: 50) { nodes { ` + taskFields + ` } } }`
	p2Query    = `{ programmeSummary(asOf: "2023-12-21") { taskCount assignmentCount byStatus { status count } documentsByKind { kind count } } }`
	// filteredQuery is the page of BenchmarkTaskPage50Filtered: what Thừa
	// Thiên Huế (46) was given, in progress or done on time at the review.
	filteredQuery = `{ tasks(first: 50, filter: {statusAsOf: "2023-12-21", statuses: [IN_PROGRESS, DONE_ON_TIME], assignee: "46"}) { totalCount nodes { ` + taskFields + ` } } }`
	// updateQuery saves a note: a new version of the assignment whatever its
	// state (history and audit rows, as BenchmarkUpdateAssignment).
	updateQuery = `mutation($in: UpdateAssignmentInput!) { updateAssignment(input: $in) { assignment { id version } userErrors { field code message } } }`
)

// A scenario is what the clients of a run send.
type scenario struct {
	name string
	// user is who signs in when --user is not given; "" for none.
	user string
	// about is one line for --help.
	about string
	// setup runs once, signed in, before the run; it returns what client
	// w (0 ≤ w < o.clients) sends.
	setup func(ctx context.Context, t *target, o setupOptions) (func(w int) client, error)
}

type setupOptions struct {
	clients    int
	writeRatio float64 // the share of writes in the write mix
}

// A client sends its requests one at a time: do sends the next one.
type client interface {
	do(ctx context.Context, t *target) outcome
}

// outcome is one request's result: err for a failure; conflict for a
// write refused because someone saved first (not an error: the answer
// carries the current version).
type outcome struct {
	err      error
	write    bool
	conflict bool
}

// staticQuery sends the same body every time.
type staticQuery []byte

func (q staticQuery) do(ctx context.Context, t *target) outcome {
	return outcome{err: t.check(ctx, q)}
}

func querySetup(query string) func(context.Context, *target, setupOptions) (func(int) client, error) {
	return func(context.Context, *target, setupOptions) (func(int) client, error) {
		body, err := json.Marshal(map[string]any{"query": query})
		if err != nil {
			return nil, err
		}
		return func(int) client { return staticQuery(body) }, nil
	}
}

var scenarios = map[string]scenario{
	"p1": {name: "p1", user: "vpcp", about: "a page of 50 tasks with their status, document, assignments and units (BenchmarkTaskPage50, without totalCount)",
		setup: querySetup(p1Query)},
	"p2": {name: "p2", user: "vpcp", about: "programmeSummary as of the review, 2023-12-21 (BenchmarkProgrammeSummary)",
		setup: querySetup(p2Query)},
	"filtered": {name: "filtered", user: "vpcp", about: "the page filtered by statusAsOf, statuses and assignee 46 (BenchmarkTaskPage50Filtered)",
		setup: querySetup(filteredQuery)},
	"write": {name: "write", user: "hue", about: "updateAssignment saving a note (with expectedVersion) on assignments of each client's own, mixed with the P1 page; --write-ratio of the requests are writes",
		setup: writeSetup},
}

func scenarioNames() string {
	var names []string
	for n := range scenarios {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// writeSetup lists the assignments the signed-in user can read (an editor
// reads those of its own units) and deals them out: client w gets those
// with index ≡ w (mod clients), so no two clients write the same one and a
// CONFLICT means someone else wrote it.
func writeSetup(ctx context.Context, t *target, o setupOptions) (func(int) client, error) {
	clients := o.clients
	type node struct {
		ID      string
		Version int
	}
	var all []node
	after := any(nil)
	for {
		var page struct {
			Assignments struct {
				Nodes    []node
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
			}
		}
		err := t.query(ctx, `query($after: String) { assignments(first: 100, after: $after) { nodes { id version } pageInfo { hasNextPage endCursor } } }`,
			map[string]any{"after": after}, &page)
		if err != nil {
			return nil, fmt.Errorf("listing the assignments to write: %w", err)
		}
		all = append(all, page.Assignments.Nodes...)
		if !page.Assignments.PageInfo.HasNextPage || len(all) >= 100_000 {
			break
		}
		after = page.Assignments.PageInfo.EndCursor
	}
	if len(all) < clients {
		return nil, fmt.Errorf("the write mix gives each client assignments of its own: %d clients, but the user reads only %d assignments", clients, len(all))
	}
	read, _ := json.Marshal(map[string]any{"query": p1Query})
	return func(w int) client {
		c := &writer{id: w, ratio: o.writeRatio, read: read, versions: map[string]int{}}
		for i := w; i < len(all); i += clients {
			c.ids = append(c.ids, all[i].ID)
			c.versions[all[i].ID] = all[i].Version
		}
		return c
	}, nil
}

// writer is a client of the write mix.
type writer struct {
	id       int
	ratio    float64
	n        int // requests sent
	writes   int
	read     []byte
	ids      []string
	versions map[string]int // the version last seen of each of ids
}

// isWrite tells whether request i (from 0) of a mix with ratio r is a
// write: writes are spread evenly, ⌊(i+1)r⌋ of the first i+1 requests.
func isWrite(i int, r float64) bool {
	return math.Floor(float64(i+1)*r+1e-9) > math.Floor(float64(i)*r+1e-9)
}

func (c *writer) do(ctx context.Context, t *target) outcome {
	i := c.n
	c.n++
	if !isWrite(i, c.ratio) {
		return outcome{err: t.check(ctx, c.read)}
	}
	id := c.ids[c.writes%len(c.ids)]
	c.writes++
	var out struct {
		UpdateAssignment struct {
			Assignment *struct {
				ID      string
				Version int
			}
			UserErrors []struct{ Field, Code, Message string }
		}
	}
	err := t.query(ctx, updateQuery, map[string]any{"in": map[string]any{
		"assignment": id, "expectedVersion": c.versions[id],
		"note": fmt.Sprintf("bench/load: báo cáo số %d của máy khách %d", c.writes, c.id)}}, &out)
	o := outcome{write: true, err: err}
	if err != nil {
		return o
	}
	u := out.UpdateAssignment
	if u.Assignment != nil {
		c.versions[id] = u.Assignment.Version
	}
	switch {
	case len(u.UserErrors) > 0 && u.UserErrors[0].Code == "CONFLICT":
		o.conflict = true
	case len(u.UserErrors) > 0:
		o.err = fmt.Errorf("updateAssignment: %s %s: %s", u.UserErrors[0].Code, u.UserErrors[0].Field, u.UserErrors[0].Message)
	case u.Assignment == nil:
		o.err = fmt.Errorf("updateAssignment: no assignment in the answer")
	}
	return o
}
