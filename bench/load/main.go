// Command load drives a running GraphQL server over HTTP with named
// scenarios and prints requests/s, latency percentiles, errors and, when
// asked, the server's CPU and SQL statements per request.
//
//	go run ./bench/load --url http://127.0.0.1:8080/query --scenario p1 -c 16 -d 10s
//	go run ./bench/load --scenario p2 --mode open --rate 100 -d 30s --pid 1234 --vars http://127.0.0.1:6060/debug/vars
//	go run ./bench/load --url http://127.0.0.1:5678/graphql --query-file q.graphql -c 16   (any GraphQL server, no sign-in)
//	go run ./bench/load pgbench --clients 16 --pg-db p06 --run -- pgbench -n -f p1.sql -c 16 -j 2 -T 10 postgres://…/p06
//	                                                     (pgbench, summarized the same way; or LOG… of pgbench -l)
//	go run ./bench/load compare --base ours results.jsonl     (the --json lines of several runs, side by side)
//
// See BENCHMARKS.md ("Side by side with PostGraphile 5").
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	var caught atomic.Value
	go func() {
		s := <-sigs
		caught.Store(s)
		cancel()
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "load:", err)
	}
	if s, ok := caught.Load().(syscall.Signal); ok {
		// Having signed out, end by the signal itself, as a shell expects
		// of a command it interrupted (so a script's Ctrl-C stops the script).
		signal.Reset(s)
		syscall.Kill(os.Getpid(), s)
		time.Sleep(time.Second) // delivery is asynchronous; a signal ignored from the start never comes
	}
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "pgbench":
			return runPgbench(ctx, args[1:], stdout, stderr)
		case "compare":
			return runCompare(args[1:], stdout, stderr)
		}
	}
	return runLoad(ctx, args, stdout, stderr)
}

// headerFlags is a repeatable --header 'Name: value'.
type headerFlags http.Header

func (h headerFlags) String() string { return "" }
func (h headerFlags) Set(s string) error {
	name, value, ok := strings.Cut(s, ":")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("want 'Name: value', got %q", s)
	}
	http.Header(h).Add(strings.TrimSpace(name), strings.TrimSpace(value))
	return nil
}

type loadOptions struct {
	url, scenario, queryFile, label string
	name                            string
	user, password, auth, token     string
	mode                            string
	clients                         int
	rate                            float64
	duration, warmup, timeout       time.Duration
	writeRatio                      float64
	pid                             int
	pgDB, vars                      string
	jsonOut, once                   bool
	headers                         headerFlags
	userSet                         bool
}

func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o := loadOptions{headers: headerFlags{}}
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.url, "url", "http://127.0.0.1:8080/query", "the GraphQL endpoint")
	fs.StringVar(&o.scenario, "scenario", "p1", "what to send: "+scenarioNames())
	fs.StringVar(&o.queryFile, "query-file", "", "send this GraphQL document instead of a scenario (no sign-in unless --user or --token)")
	fs.StringVar(&o.name, "name", "", "the scenario's name in the output (default: the scenario's, or the query file's name without .graphql)")
	fs.Var(o.headers, "header", "a header for every request, 'Name: value' (repeatable)")
	fs.StringVar(&o.user, "user", "", "sign in as this user (default: the scenario's, vpcp; hue for write)")
	fs.StringVar(&o.password, "password", "", "the user's password (default: $P06_DEMO_PASSWORD, else demo-password)")
	fs.StringVar(&o.auth, "auth", "cookie", "how a signed-in user's requests carry identity: cookie (session cookie and X-CSRF-Token, as a single-page app) or token (an API token made for the run, revoked after it)")
	fs.StringVar(&o.token, "token", "", "send 'Authorization: Bearer TOKEN' and do not sign in")
	fs.StringVar(&o.mode, "mode", "closed", "closed: saturation, each client sends when answered; open: --rate requests/s whatever the answers")
	fs.IntVar(&o.clients, "c", 16, "clients: closed loop, how many send at once; open loop, the most requests in flight")
	fs.IntVar(&o.clients, "clients", 16, "the same as -c")
	fs.Float64Var(&o.rate, "rate", 100, "open loop: requests per second")
	fs.DurationVar(&o.duration, "d", 10*time.Second, "how long to measure")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "the same as -d")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "run this long first, unmeasured")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "give up on a request after this; the open loop also stops sending this long after the schedule ends")
	fs.Float64Var(&o.writeRatio, "write-ratio", 0.2, "write scenario: the share of requests that are writes (the rest read the P1 page)")
	fs.IntVar(&o.pid, "pid", 0, "the server's process id: report its CPU per request (with its child processes)")
	fs.StringVar(&o.pgDB, "pg-db", "", "report the CPU per request of the PostgreSQL backends connected to this database (same machine)")
	fs.StringVar(&o.vars, "vars", "", "the server's expvar URL (P06_PPROF), e.g. http://127.0.0.1:6060/debug/vars: report SQL statements per request")
	fs.StringVar(&o.label, "label", "", "a name for the target in the output (default: the scenario's server, p06, or the URL)")
	fs.BoolVar(&o.jsonOut, "json", false, "print the result as one JSON object")
	fs.BoolVar(&o.once, "once", false, "send one request, print the answer and stop")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: load [flags]   (also: load pgbench --help, load compare --help)\n\nscenarios:")
		names := strings.Split(scenarioNames(), ", ")
		for _, n := range names {
			fmt.Fprintf(stderr, "  %-9s %s (signs in as %s)\n", n, scenarios[n].about, scenarios[n].user)
		}
		fmt.Fprintln(stderr, "\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags only; the commands are pgbench and compare)", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) { o.userSet = o.userSet || f.Name == "user" })
	if o.password == "" {
		o.password = envOr("P06_DEMO_PASSWORD", "demo-password")
	}
	return load(ctx, o, stdout, stderr)
}

// backendPoll is how often the CPU of the database's backends is read
// during a run (a few milliseconds of this tool's CPU a second).
const backendPoll = 100 * time.Millisecond

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func load(ctx context.Context, o loadOptions, stdout, stderr io.Writer) error {
	var sc scenario
	if o.queryFile != "" {
		q, err := os.ReadFile(o.queryFile)
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(filepath.Base(o.queryFile), ".graphql")
		sc = scenario{name: name, setup: querySetup(string(q))}
	} else {
		var ok bool
		if sc, ok = scenarios[o.scenario]; !ok {
			return fmt.Errorf("no scenario %q (there are %s)", o.scenario, scenarioNames())
		}
	}
	if o.name != "" {
		sc.name = o.name
	}
	user := sc.user
	if o.userSet {
		user = o.user
	}
	if o.token != "" {
		user = ""
		http.Header(o.headers).Set("Authorization", "Bearer "+o.token)
	}
	switch {
	case o.mode != "closed" && o.mode != "open":
		return fmt.Errorf("--mode is closed or open, not %q", o.mode)
	case o.clients < 1:
		return fmt.Errorf("-c must be at least 1")
	case o.mode == "open" && o.rate <= 0:
		return fmt.Errorf("--rate must be above 0")
	case o.auth != "cookie" && o.auth != "token":
		return fmt.Errorf("--auth is cookie or token, not %q", o.auth)
	case o.writeRatio < 0 || o.writeRatio > 1:
		return fmt.Errorf("--write-ratio is between 0 and 1")
	}
	if o.label == "" {
		o.label = o.url
		if user != "" {
			o.label = "p06"
		}
	}
	t := newTarget(o.url, o.clients+4, o.timeout, http.Header(o.headers))
	if user != "" {
		signOut, err := t.signIn(ctx, user, o.password, o.auth == "token")
		if err != nil {
			return err
		}
		defer func() {
			c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := signOut(c); err != nil {
				fmt.Fprintln(stderr, "load: signing out:", err)
			}
		}()
	}
	mk, err := sc.setup(ctx, t, setupOptions{clients: o.clients, writeRatio: o.writeRatio})
	if err != nil {
		return err
	}
	if o.once {
		q, ok := mk(0).(staticQuery)
		if !ok {
			return fmt.Errorf("--once sends a query; the %s scenario is a mix", sc.name)
		}
		res, err := t.post(ctx, q)
		if res != nil {
			stdout.Write(res.raw)
			fmt.Fprintln(stdout)
		}
		return err
	}
	cs := make([]client, o.clients)
	for i := range cs {
		cs[i] = mk(i)
	}
	drive := func(d time.Duration) (tally, time.Duration, openResult) {
		if o.mode == "open" {
			return openLoop(ctx, t, cs, o.rate, d, o.timeout)
		}
		tl, el := closedLoop(ctx, t, cs, d)
		return tl, el, openResult{}
	}
	if o.warmup > 0 {
		if w, _, _ := drive(o.warmup); len(w.lat) == 0 && w.errors > 0 {
			return fmt.Errorf("every request of the warm-up failed; the first: %s", w.samples[0])
		}
	}
	meter := cpuMeter{fs: procFS{root: "/proc"}, pid: o.pid, db: o.pgDB, poll: backendPoll}
	if err := meter.start(); err != nil {
		return fmt.Errorf("reading the CPU of the server: %w", err)
	}
	var before map[string]int64
	if o.vars != "" {
		if before, err = serverVars(ctx, o.vars); err != nil {
			return err
		}
	}
	tl, elapsed, or := drive(o.duration)
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted")
	}
	serverCPU, pgCPU, err := meter.stop()
	if err != nil {
		return fmt.Errorf("reading the CPU of the server: %w", err)
	}
	r := result{Label: o.label, Scenario: sc.name, Mode: o.mode, Clients: o.clients, DurationS: o.duration.Seconds(),
		summary: summarize(tl.lat, tl.errors, elapsed), Writes: tl.writes, Conflicts: tl.conflicts,
		Unsent: or.unsent, MaxSendLagMS: ms(or.maxLag), ErrorSamples: tl.samples}
	if o.mode == "open" {
		r.Rate = o.rate
	}
	per := func(x float64) *float64 {
		if r.Requests == 0 {
			return nil
		}
		v := x / float64(r.Requests)
		return &v
	}
	if o.pid != 0 {
		r.ServerCPUMS = per(ms(serverCPU))
	}
	if o.pgDB != "" {
		r.PGCPUMS = per(ms(pgCPU))
	}
	if o.vars != "" {
		after, err := serverVars(ctx, o.vars)
		if err != nil {
			return err
		}
		r.SQLPerReq = per(float64(after["sql_statements"] - before["sql_statements"]))
		n := after["graphql_requests"] - before["graphql_requests"]
		r.ServerRequests = &n
	}
	if o.jsonOut {
		return json.NewEncoder(stdout).Encode(r)
	}
	r.print(stdout)
	return nil
}

func runPgbench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("load pgbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	label := fs.String("label", "pgbench", "a name for the target in the output")
	scenarioName := fs.String("scenario", "p1", "the scenario the SQL answers")
	clients := fs.Int("clients", 1, "pgbench's -c")
	pgDB := fs.String("pg-db", "", "with --run: report the CPU per transaction of the PostgreSQL backends connected to this database")
	runIt := fs.Bool("run", false, "the arguments are a pgbench command: run it with -l in a temporary folder (its output goes to standard error) and summarize its log")
	jsonOut := fs.Bool("json", false, "print the result as one JSON object")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: load pgbench [flags] LOG...               (the per-transaction logs of pgbench -l, every thread's file)")
		fmt.Fprintln(stderr, "       load pgbench [flags] --run -- pgbench ARGS...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("pgbench: no log files or command given")
	}
	logs := fs.Args()
	var pgCPU *float64
	meter := cpuMeter{fs: procFS{root: "/proc"}, db: *pgDB, poll: backendPoll}
	if *runIt {
		dir, err := os.MkdirTemp("", "load-pgbench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		argv := append([]string{fs.Arg(0), "-l", "--log-prefix=" + filepath.Join(dir, "log")}, fs.Args()[1:]...)
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Stdout, cmd.Stderr = stderr, stderr
		if err := meter.start(); err != nil {
			return err
		}
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
		}
		_, pg, err := meter.stop()
		if err != nil {
			return err
		}
		if *pgDB != "" {
			v := ms(pg)
			pgCPU = &v
		}
		if logs, err = filepath.Glob(filepath.Join(dir, "log.*")); err != nil || len(logs) == 0 {
			return fmt.Errorf("pgbench wrote no log in %s", dir)
		}
	}
	var tl tally
	var first, last int64
	for _, f := range logs {
		fh, err := os.Open(f)
		if err != nil {
			return err
		}
		err = pgbenchLog(fh, &tl, &first, &last)
		fh.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
	}
	elapsed := time.Duration(last-first) * time.Microsecond
	r := result{Label: *label, Scenario: *scenarioName, Mode: "closed", Clients: *clients, DurationS: elapsed.Seconds(),
		summary: summarize(tl.lat, tl.errors, elapsed), ErrorSamples: tl.samples}
	if pgCPU != nil && r.Requests > 0 {
		v := *pgCPU / float64(r.Requests)
		r.PGCPUMS = &v
	}
	if *jsonOut {
		return json.NewEncoder(stdout).Encode(r)
	}
	r.print(stdout)
	return nil
}

func runCompare(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("load compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("base", "ours", "the label the others are compared with")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: load compare [--base LABEL] RESULTS...   (files of --json lines; - for standard input)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("compare: no result files given")
	}
	rs, err := readResults(fs.Args())
	if err != nil {
		return err
	}
	if len(rs) == 0 {
		return fmt.Errorf("compare: no results in %s", strings.Join(fs.Args(), ", "))
	}
	compare(stdout, rs, *base)
	return nil
}
