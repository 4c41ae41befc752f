package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"
)

// "p06 gen" fills the database the server opens (here the embedded SQLite
// of P06_DATA_DIR) after migrating it and loading the demo data, whatever
// P06_SEED says, printing its progress and report; the server then serves
// the generated programme. A second run is refused, and so are absurd sizes
// and unknown flags, before the database is touched.
func TestGenCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	env := map[string]string{"P06_ADDR": "127.0.0.1:0", "P06_DATA_DIR": dir, "P06_SEED": "none"}
	getenv := func(k string) string { return env[k] }
	args := []string{"gen", "--tasks", "200", "--communes-per-province", "1", "--seed", "3"}
	var out bytes.Buffer
	if err := run(ctx, args, getenv, &out, io.Discard); err != nil {
		t.Fatalf("gen: %v\n%s", err, out.String())
	}
	for _, want := range []string{"gen: 200/200 tasks", "generated (seed 3): 0 districts, 63 communes", "200 tasks", "2,000 assignments"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	err := run(ctx, args, getenv, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "gen: CONFLICT") || !strings.Contains(err.Error(), "already holds generated data") {
		t.Errorf("second run: %v", err)
	}
	empty := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"gen", "--tasks", "0"}, "gen: INVALID: --tasks phải từ 1 đến 2000000, nhận được 0 (--tasks must be from 1 to 2000000, got 0)"},
		{[]string{"gen", "--skew", "-1"}, "--skew must be from 0 to 4, got -1"},
		{[]string{"gen", "--frobs", "2"}, "flag provided but not defined: -frobs"},
		{[]string{"gen", "extra"}, `unexpected argument "extra"`},
	} {
		err := run(ctx, tc.args, func(k string) string {
			if k == "P06_DATA_DIR" {
				return empty
			}
			return ""
		}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
	if entries, _ := os.ReadDir(empty); len(entries) > 0 {
		t.Errorf("refused runs touched the data directory: %v", entries)
	}

	// The server serves the demo programme and the generated one.
	s := newSession(t, startServer(t, env))
	s.login("vpcp", "demo-password")
	var got struct {
		S      struct{ TaskCount, AssignmentCount int }
		Search struct{ TotalCount int }
	}
	s.must(`{ s: programmeSummary { taskCount assignmentCount } search(query: "quokkax") { totalCount } }`, &got)
	// The demo: the review's 449 tasks (4,634 assignments) and the 5 tasks
	// of the demo alerts plan (7 assignments), due around the seeding day.
	if got.S.TaskCount != 449+5+200 || got.S.AssignmentCount != 4634+7+2000 || got.Search.TotalCount != 1 {
		t.Errorf("served: %+v", got)
	}
}
