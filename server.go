// Command p06 serves the Project 06 programme-management and KPI API.
//
//	go run .          # embedded SQLite under ./data, migrated and seeded with demo data
//
// Configuration is by environment variable; see README.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/99designs/gqlgen/graphql/playground"

	"p06/graph"
	"p06/org"
	"p06/rbac"
	"p06/seeds"
	"p06/store"
	"p06/tasks"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "p06:", err)
		os.Exit(1)
	}
}

// config is what the environment says.
type config struct {
	addr          string
	databaseURL   string
	dataDir       string
	seed          seeds.Mode
	introspection bool
	logLevel      slog.Level
}

func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		addr:          getenv("P06_ADDR"),
		databaseURL:   getenv("DATABASE_URL"),
		dataDir:       getenv("P06_DATA_DIR"),
		introspection: true,
	}
	if c.addr == "" {
		c.addr = ":8080"
	}
	if c.dataDir == "" {
		c.dataDir = "data"
	}
	seed := getenv("P06_SEED")
	if seed == "" {
		// The embedded database is for trying the product: demo data.
		// A server database starts with the reference data only.
		seed = string(seeds.Demo)
		if strings.HasPrefix(c.databaseURL, "postgres") {
			seed = string(seeds.Reference)
		}
	}
	var err error
	if c.seed, err = seeds.ParseMode(seed); err != nil {
		return c, err
	}
	switch strings.ToLower(getenv("P06_INTROSPECTION")) {
	case "", "on", "true", "1":
	case "off", "false", "0":
		c.introspection = false
	default:
		return c, fmt.Errorf("P06_INTROSPECTION must be on or off, got %q", getenv("P06_INTROSPECTION"))
	}
	if lv := getenv("P06_LOG_LEVEL"); lv != "" {
		if err := c.logLevel.UnmarshalText([]byte(lv)); err != nil {
			return c, fmt.Errorf("P06_LOG_LEVEL must be debug, info, warn or error, got %q", lv)
		}
	}
	return c, nil
}

// run starts the server and blocks until ctx is cancelled, then shuts down
// gracefully. It prints "listening on http://HOST:PORT" once it accepts
// connections.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] != "serve" {
		return fmt.Errorf("unknown command %q (usage: p06 [serve])", args[0])
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))

	db, err := store.Open(ctx, store.Config{URL: cfg.databaseURL, DataDir: cfg.dataDir})
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	log.Info("database ready", "db", db.Where, "migrations_applied", len(applied))
	rep, err := seeds.Load(ctx, db, cfg.seed)
	if err != nil {
		return err
	}
	if rep != (seeds.Report{}) {
		log.Info("seeded", "mode", cfg.seed, "added", rep.String())
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.addr, err)
	}
	srv := &http.Server{
		Handler:           newServer(db, cfg, log, store.SystemClock),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newServer wires the stores into the HTTP routes, all in one place.
func newServer(db *store.DB, cfg config, log *slog.Logger, clock store.Clock) http.Handler {
	r := &graph.Resolver{DB: db, OrgStore: org.NewStore(db), TaskStore: tasks.NewStore(db), Clock: clock}
	lim := graph.DefaultLimits
	lim.Introspection = cfg.introspection
	// Until sign-in exists every caller reads the whole country and writes
	// nothing.
	scopeFor := func(*http.Request) rbac.Scope { return rbac.National() }

	mux := http.NewServeMux()
	mux.Handle("/query", graph.NewHandler(r, lim, log, scopeFor))
	mux.Handle("GET /{$}", playground.Handler("Đề án 06 – GraphQL", "/query"))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, req *http.Request) {
		ctx, cancel := context.WithTimeout(req.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := db.PingContext(ctx); err != nil {
			log.Warn("readiness check failed", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "database unavailable\n")
			return
		}
		io.WriteString(w, "ready\n")
	})
	return mux
}
