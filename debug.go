package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"sync/atomic"
	"time"

	"p06/store"
)

// serverCounts is what the process has done since it started, for the
// debug listener's /debug/vars and the load tool (bench/load).
type serverCounts struct {
	db       *store.DB
	requests atomic.Int64
}

// countRequests counts the GraphQL requests h serves.
func (c *serverCounts) countRequests(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.requests.Add(1)
		h.ServeHTTP(w, r)
	})
}

// vars is the body of /debug/vars: expvar's shape (a JSON object of named
// values), with the process's own counters under "p06".
func (c *serverCounts) vars() map[string]any {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	pool := c.db.Stats()
	own := map[string]int64{
		"graphql_requests": c.requests.Load(),
		"sql_statements":   c.db.Counts().Statements(),
		"db_pool_max":      int64(c.db.PoolMax),
		"db_open":          int64(pool.OpenConnections),
		"db_in_use":        int64(pool.InUse),
		"db_wait_count":    pool.WaitCount,
		"goroutines":       int64(runtime.NumGoroutine()),
	}
	if c.db.Engine == store.SQLite {
		own["sqlite_kept_statement_hits"], own["sqlite_kept_statement_misses"] = store.SQLiteStatementCache()
	}
	return map[string]any{"p06": own, "memstats": ms}
}

// serveDebug starts the debug listener P06_PPROF asks for: Go's profiler
// under /debug/pprof/ and the counters under /debug/vars. It is off by
// default and meant for a loopback address: it has no sign-in.
// It prints "debug on http://ADDR" once it listens.
func serveDebug(addr string, counts *serverCounts, log *slog.Logger, stdout io.Writer) (stop func(), err error) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /debug/vars", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(counts.vars())
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("P06_PPROF: listening on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	log.Warn("debug listener on: profiler and counters, without sign-in", "addr", ln.Addr().String())
	fmt.Fprintf(stdout, "debug on http://%s\n", ln.Addr())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}
