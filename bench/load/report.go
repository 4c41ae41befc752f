package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// result is one run, as --json prints it (one object a line).
type result struct {
	Label     string  `json:"label"`
	Scenario  string  `json:"scenario"`
	Mode      string  `json:"mode"` // closed or open
	Clients   int     `json:"clients"`
	Rate      float64 `json:"rate,omitempty"` // open loop: requests/s asked for
	DurationS float64 `json:"duration_s"`
	summary
	Writes    int `json:"writes,omitempty"`
	Conflicts int `json:"conflicts,omitempty"`
	Unsent    int `json:"unsent,omitempty"`
	// MaxSendLagMS is how late the open loop handed a request to a client
	// at worst (the clients were all busy).
	MaxSendLagMS float64 `json:"max_send_lag_ms,omitempty"`
	// Per request (all requests, errors included); absent when not
	// measured.
	ServerCPUMS *float64 `json:"server_cpu_ms_per_req,omitempty"`
	PGCPUMS     *float64 `json:"pg_cpu_ms_per_req,omitempty"`
	SQLPerReq   *float64 `json:"sql_per_req,omitempty"`
	// ServerRequests is the server's own count of GraphQL requests over
	// the run (graphql_requests), to compare with Requests.
	ServerRequests *int64   `json:"server_graphql_requests,omitempty"`
	ErrorSamples   []string `json:"error_samples,omitempty"`
}

func (r result) title() string {
	load := fmt.Sprintf("%d clients", r.Clients)
	if r.Clients == 1 {
		load = "1 client"
	}
	if r.Mode == "open" {
		load = fmt.Sprintf("%g requests/s, at most %d in flight", r.Rate, r.Clients)
	}
	return fmt.Sprintf("%s %s, %s loop, %s, %.0fs", r.Label, r.Scenario, r.Mode, load, r.DurationS)
}

func opt(p *float64, prec int) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatFloat(*p, 'f', prec, 64)
}

// print writes r as a small table, then its first errors.
func (r result) print(w io.Writer) {
	fmt.Fprintln(w, r.title())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "requests\terrors\treq/s\tp50 ms\tp95 ms\tp99 ms\tmax ms\tserver cpu ms/req\tpg cpu ms/req\tsql/req\t")
	fmt.Fprintf(tw, "%d\t%d\t%.1f\t%.2f\t%.2f\t%.2f\t%.2f\t%s\t%s\t%s\t\n", r.Requests, r.Errors, r.RPS,
		r.P50MS, r.P95MS, r.P99MS, r.MaxMS, opt(r.ServerCPUMS, 2), opt(r.PGCPUMS, 2), opt(r.SQLPerReq, 2))
	tw.Flush()
	if r.Writes > 0 {
		fmt.Fprintf(w, "writes: %d, refused as CONFLICT: %d\n", r.Writes, r.Conflicts)
	}
	if r.Mode == "open" && r.MaxSendLagMS > 0 {
		fmt.Fprintf(w, "requests went out up to %.1f ms after their scheduled time (counted in their latencies)\n", r.MaxSendLagMS)
	}
	if r.ServerRequests != nil && *r.ServerRequests != int64(r.Requests) {
		fmt.Fprintf(w, "note: the server counted %d GraphQL requests over the run, this tool sent %d (someone else is using it?)\n", *r.ServerRequests, r.Requests)
	}
	for _, s := range r.ErrorSamples {
		fmt.Fprintf(w, "error: %s\n", s)
	}
}

// readResults reads the --json lines of files ("-": standard input).
func readResults(files []string) ([]result, error) {
	var out []result
	for _, f := range files {
		var r io.Reader = os.Stdin
		if f != "-" {
			fh, err := os.Open(f)
			if err != nil {
				return nil, err
			}
			defer fh.Close()
			r = fh
		}
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for line := 1; sc.Scan(); line++ {
			s := strings.TrimSpace(sc.Text())
			if s == "" || !strings.HasPrefix(s, "{") {
				continue
			}
			var res result
			if err := json.Unmarshal([]byte(s), &res); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", f, line, err)
			}
			out = append(out, res)
		}
		if err := sc.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// compare prints, for each load (scenario, mode, clients or rate) in the
// order first seen, the median over rounds of each label's runs, and the
// ratios of base to each other label.
func compare(w io.Writer, rs []result, base string) {
	type key struct {
		scenario, mode string
		clients        int
		rate           float64
	}
	var keys []key
	var labels []string
	runs := map[key]map[string][]result{}
	for _, r := range rs {
		k := key{r.Scenario, r.Mode, r.Clients, r.Rate}
		if r.Mode == "open" {
			k.clients = 0 // the rate is the load
		}
		if runs[k] == nil {
			runs[k] = map[string][]result{}
			keys = append(keys, k)
		}
		runs[k][r.Label] = append(runs[k][r.Label], r)
		if !slices.Contains(labels, r.Label) {
			labels = append(labels, r.Label)
		}
	}
	for _, k := range keys {
		load := fmt.Sprintf("%d clients", k.clients)
		if k.clients == 1 {
			load = "1 client"
		}
		if k.mode == "open" {
			load = fmt.Sprintf("%g requests/s", k.rate)
		}
		mode := map[string]string{"closed": "saturation", "open": "open loop"}[k.mode]
		type med struct {
			n               int
			rps, p50, p99   float64
			errors          int
			cpu, pgcpu, sql *float64
		}
		meds := map[string]med{}
		for _, l := range labels {
			xs := runs[k][l]
			if len(xs) == 0 {
				continue
			}
			m := med{n: len(xs)}
			var rps, p50, p99, cpu, pgcpu, sql []float64
			for _, x := range xs {
				rps, p50, p99 = append(rps, x.RPS), append(p50, x.P50MS), append(p99, x.P99MS)
				m.errors += x.Errors
				if x.ServerCPUMS != nil {
					cpu = append(cpu, *x.ServerCPUMS)
				}
				if x.PGCPUMS != nil {
					pgcpu = append(pgcpu, *x.PGCPUMS)
				}
				if x.SQLPerReq != nil {
					sql = append(sql, *x.SQLPerReq)
				}
			}
			m.rps, m.p50, m.p99 = median(rps), median(p50), median(p99)
			m.cpu, m.pgcpu, m.sql = medianOrNil(cpu), medianOrNil(pgcpu), medianOrNil(sql)
			meds[l] = m
		}
		fmt.Fprintf(w, "\n%s, %s, %s (median of the rounds)\n", k.scenario, mode, load)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "\trounds\treq/s\tp50 ms\tp99 ms\terrors\tserver cpu ms/req\tpg cpu ms/req\tsql/req\t")
		for _, l := range labels {
			m, ok := meds[l]
			if !ok {
				continue
			}
			fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.2f\t%.2f\t%d\t%s\t%s\t%s\t\n", l, m.n, m.rps, m.p50, m.p99, m.errors,
				opt(m.cpu, 2), opt(m.pgcpu, 2), opt(m.sql, 1))
		}
		b, ok := meds[base]
		for _, l := range labels {
			o, has := meds[l]
			if !ok || !has || l == base {
				continue
			}
			fmt.Fprintf(tw, "%s / %s\t\t%s\t%s\t%s\t\n", base, l, ratio(b.rps, o.rps), ratio(b.p50, o.p50), ratio(b.p99, o.p99))
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "\n%s / X: req/s above 1 means %s answered more; p50 and p99 below 1 mean %s answered sooner.\n", base, base, base)
}

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", a/b)
}

func medianOrNil(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	m := median(xs)
	return &m
}
