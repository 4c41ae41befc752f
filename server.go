// Command p06 serves the Project 06 programme-management and KPI API.
//
//	go run .          # embedded SQLite under ./data, migrated and seeded with demo data
//
// Configuration is by environment variable; see README.md.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"p06/alerts"
	"p06/auth"
	"p06/events"
	"p06/gen"
	"p06/graph"
	"p06/jobs"
	"p06/org"
	"p06/rbac"
	"p06/reports"
	"p06/seeds"
	"p06/store"
	"p06/tasks"
	"p06/web/app"
	"p06/web/ide"
)

func main() {
	tuneGC(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "p06:", err)
		os.Exit(1)
	}
}

// tuneGC sets the garbage collector for a server whose requests make a few
// megabytes of short-lived garbage each: collect when the heap has grown
// five-fold (GOGC=400) rather than doubled, so that collections are rarer,
// and keep the heap under a soft limit of 120 MiB (GOMEMLIMIT), so that the
// process stays small under load. Either is left to the Go runtime when its
// environment variable is set.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(120 << 20)
	}
}

// config is what the environment says.
type config struct {
	addr          string
	databaseURL   string
	dataDir       string
	seed          seeds.Mode
	demoPassword  string
	introspection bool
	uploadBytes   int64
	logLevel      slog.Level
	corsOrigins   []string
	auth          auth.Config
	dbMaxConns    int
	pprofAddr     string
	// pdfFonts are the PDF reports' faces (P06_PDF_FONT), nil for Roboto.
	pdfFonts [3][]byte
	// renders is how many charts and reports render at once
	// (P06_REPORT_CONCURRENCY); 0: GOMAXPROCS.
	renders int
	jobs    jobsConfig
}

// jobsConfig is when the scheduled jobs run (see README, "Alerts").
type jobsConfig struct {
	on        bool          // P06_SCHEDULER
	retry     time.Duration // P06_LEADER_RETRY
	scanEvery time.Duration // P06_ALERT_SCAN_EVERY
	scanAt    []string      // P06_ALERT_SCAN_AT
	digestAt  []string      // P06_DIGEST_AT
	freezeAt  string        // P06_FREEZE_AT: the monthly freeze of the reports
	mail      *alerts.SMTP  // P06_SMTP_URL, P06_MAIL_FROM (nil: no e-mail)
	publicURL string        // P06_PUBLIC_URL: the links in e-mail
	// allowPrivate lets webhooks reach internal addresses
	// (P06_WEBHOOK_ALLOW_PRIVATE).
	allowPrivate bool
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
	c.uploadBytes = graph.DefaultUploadBytes
	if mb := getenv("P06_MAX_UPLOAD_MB"); mb != "" {
		n, err := strconv.Atoi(mb)
		if err != nil || n < 1 || n > 1024 {
			return c, fmt.Errorf("P06_MAX_UPLOAD_MB must be a whole number of MiB from 1 to 1024, got %q", mb)
		}
		c.uploadBytes = int64(n) << 20
	}
	if v := getenv("P06_REPORT_CONCURRENCY"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 256 {
			return c, fmt.Errorf("P06_REPORT_CONCURRENCY must be a whole number from 1 to 256, got %q", v)
		}
		c.renders = n
	}
	c.demoPassword = getenv("P06_DEMO_PASSWORD")
	if c.demoPassword != "" && len([]rune(c.demoPassword)) < auth.MinPasswordLength {
		return c, fmt.Errorf("P06_DEMO_PASSWORD must have at least %d characters", auth.MinPasswordLength)
	}
	for _, o := range strings.Split(getenv("P06_CORS_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			if !strings.HasPrefix(o, "http://") && !strings.HasPrefix(o, "https://") {
				return c, fmt.Errorf("P06_CORS_ORIGINS: %q is not an origin like https://app.example.gov.vn", o)
			}
			c.corsOrigins = append(c.corsOrigins, strings.TrimRight(o, "/"))
		}
	}
	c.auth = auth.DefaultConfig
	if ttl := getenv("P06_SESSION_TTL"); ttl != "" {
		d, err := time.ParseDuration(ttl)
		if err != nil || d < time.Minute {
			return c, fmt.Errorf("P06_SESSION_TTL must be a duration of at least 1m, like 12h, got %q", ttl)
		}
		c.auth.SessionTTL = d
	}
	for name, dst := range map[string]*bool{"P06_COOKIE_SECURE": &c.auth.SecureCookies, "P06_TRUST_PROXY": &c.auth.TrustProxy} {
		switch strings.ToLower(getenv(name)) {
		case "", "off", "false", "0":
		case "on", "true", "1":
			*dst = true
		default:
			return c, fmt.Errorf("%s must be on or off, got %q", name, getenv(name))
		}
	}
	if n := getenv("P06_DB_MAX_CONNS"); n != "" {
		if c.dbMaxConns, err = strconv.Atoi(n); err != nil || c.dbMaxConns < 1 || c.dbMaxConns > 1000 {
			return c, fmt.Errorf("P06_DB_MAX_CONNS must be a whole number of connections from 1 to 1000, got %q", n)
		}
	}
	if a := getenv("P06_PPROF"); a != "" {
		host, _, err := net.SplitHostPort(a)
		if err != nil {
			return c, fmt.Errorf("P06_PPROF must be an address like 127.0.0.1:6060, got %q", a)
		}
		// The debug listener has no sign-in: only this machine may reach it.
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return c, fmt.Errorf("P06_PPROF must be a loopback address like 127.0.0.1:6060 (it has no sign-in), got %q", a)
		}
		c.pprofAddr = a
	}
	if c.jobs, err = loadJobsConfig(getenv); err != nil {
		return c, err
	}
	if c.pdfFonts[0], c.pdfFonts[1], c.pdfFonts[2], err = reports.PDFFonts(getenv("P06_PDF_FONT")); err != nil {
		return c, err
	}
	if lv := getenv("P06_LOG_LEVEL"); lv != "" {
		if err := c.logLevel.UnmarshalText([]byte(lv)); err != nil {
			return c, fmt.Errorf("P06_LOG_LEVEL must be debug, info, warn or error, got %q", lv)
		}
	}
	return c, nil
}

// loadJobsConfig reads the scheduler's settings.
func loadJobsConfig(getenv func(string) string) (jobsConfig, error) {
	j := jobsConfig{on: true, retry: jobs.DefaultRetry, scanEvery: 15 * time.Minute, scanAt: []string{"07:00"}, digestAt: []string{"07:30"}, freezeAt: jobs.DefaultFreezeAt}
	switch strings.ToLower(getenv("P06_SCHEDULER")) {
	case "", "on", "true", "1":
	case "off", "false", "0":
		j.on = false
	default:
		return j, fmt.Errorf("P06_SCHEDULER must be on or off, got %q", getenv("P06_SCHEDULER"))
	}
	if v := getenv("P06_LEADER_RETRY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 100*time.Millisecond || d > 5*time.Minute {
			return j, fmt.Errorf("P06_LEADER_RETRY must be a duration from 100ms to 5m, like 15s, got %q", v)
		}
		j.retry = d
	}
	if v := getenv("P06_ALERT_SCAN_EVERY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute || d > 24*time.Hour {
			return j, fmt.Errorf("P06_ALERT_SCAN_EVERY must be a duration from 1m to 24h, like 15m, got %q", v)
		}
		j.scanEvery = d
	}
	for name, dst := range map[string]*[]string{"P06_ALERT_SCAN_AT": &j.scanAt, "P06_DIGEST_AT": &j.digestAt} {
		v := getenv(name)
		if v == "" {
			continue
		}
		*dst = nil
		for _, at := range strings.Split(v, ",") {
			at = strings.TrimSpace(at)
			t, err := time.Parse("15:04", at)
			if err != nil {
				return j, fmt.Errorf("%s must be times of day like 07:00 (comma-separated, Asia/Ho_Chi_Minh), got %q", name, v)
			}
			*dst = append(*dst, t.Format("15:04"))
		}
	}
	if v := getenv("P06_FREEZE_AT"); v != "" {
		t, err := time.Parse("15:04", v)
		if err != nil {
			return j, fmt.Errorf("P06_FREEZE_AT must be a time of day like 06:00 (Asia/Ho_Chi_Minh), got %q", v)
		}
		j.freezeAt = t.Format("15:04")
	}
	if v := getenv("P06_SMTP_URL"); v != "" {
		from := getenv("P06_MAIL_FROM")
		if from == "" {
			from = "Đề án 06 <no-reply@localhost>"
		}
		var err error
		if j.mail, err = alerts.ParseSMTP(v, from); err != nil {
			return j, err
		}
	}
	switch strings.ToLower(getenv("P06_WEBHOOK_ALLOW_PRIVATE")) {
	case "", "off", "false", "0":
	case "on", "true", "1":
		j.allowPrivate = true
	default:
		return j, fmt.Errorf("P06_WEBHOOK_ALLOW_PRIVATE must be on or off, got %q", getenv("P06_WEBHOOK_ALLOW_PRIVATE"))
	}
	j.publicURL = strings.TrimRight(getenv("P06_PUBLIC_URL"), "/")
	if j.publicURL == "" {
		j.publicURL = "http://localhost:8080"
	} else if u, err := url.Parse(j.publicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return j, fmt.Errorf("P06_PUBLIC_URL must be the server's address as users reach it, like https://p06.example.gov.vn, got %q", j.publicURL)
	}
	return j, nil
}

// run starts the server and blocks until ctx is cancelled, then shuts down
// gracefully. It prints "listening on http://HOST:PORT" once it accepts
// connections, with "localhost" for an unspecified host. Asked for help
// (help, -h, --help, also after a command), it prints the usage to stdout and
// returns nil before touching the database.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if wantsHelp(args) {
		fmt.Fprintln(stdout, usage)
		return nil
	}
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	if cmd != "serve" && cmd != "admin" && cmd != "gen" {
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
	var genOpts gen.Options
	if cmd == "gen" {
		var err error
		if genOpts, err = genFlags(args); err != nil {
			return err
		}
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	if cmd == "gen" {
		// Generated data sits on the demo programme and its users (the
		// benchmarks and tests sign in as them), whatever P06_SEED says.
		cfg.seed = seeds.Demo
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))

	db, err := store.Open(ctx, store.Config{URL: cfg.databaseURL, DataDir: cfg.dataDir, MaxConns: cfg.dbMaxConns})
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	log.Info("database ready", "db", db.Where, "migrations_applied", len(applied), "pool", db.PoolMax)
	rep, err := seeds.Load(ctx, db, cfg.seed, seeds.Options{DemoPassword: cfg.demoPassword})
	if err != nil {
		return err
	}
	if rep != (seeds.Report{}) {
		log.Info("seeded", "mode", cfg.seed, "added", rep.String())
	}
	if cmd == "admin" {
		return runAdmin(ctx, db, args, stdin(ctx), stdout)
	}
	if cmd == "gen" {
		return runGen(ctx, db, genOpts, stdout)
	}
	// The planner's statistics (SQLite: PRAGMA optimize), now and every
	// hour while serving: a page of tasks is planned from them; and
	// SQLite's write-ahead log folded in after the seeding. Not for admin
	// and gen, which may run beside a serving process.
	warnStats := func(err error) { log.Warn("database maintenance (statistics, checkpoint) failed", "err", err) }
	statsCtx, stopStats := context.WithCancel(ctx)
	defer stopStats()
	startCtx, cancel := context.WithTimeout(statsCtx, 5*time.Second)
	if err := errors.Join(db.Optimize(startCtx), db.Checkpoint(startCtx)); err != nil {
		warnStats(err)
	}
	cancel()
	go db.KeepOptimized(statsCtx, time.Hour, warnStats)
	authz, err := rbac.NewAuthorizer(ctx, db, time.Second)
	if err != nil {
		return err
	}
	authSvc := auth.NewService(db, authz, store.SystemClock, cfg.auth)

	// Live updates: in-process on SQLite, LISTEN/NOTIFY on PostgreSQL.
	broker, err := events.New(ctx, db, log)
	if err != nil {
		return err
	}
	defer broker.Close()

	// Alerts: resolved as their work changes (on every process), raised
	// and delivered by the scheduled jobs (on one process).
	alertStore := alerts.NewStore(db, authz, store.SystemClock)
	alertStore.SetNotifier(broker)
	resolving := broker.Subscribe(1000)
	go alertStore.ResolveOnChanges(context.WithoutCancel(ctx), resolving.C(), log)
	defer resolving.Close()
	sched, err := newScheduler(ctx, db, alertStore, authSvc, cfg.jobs, log)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.addr, err)
	}
	counts := &serverCounts{db: db}
	if cfg.pprofAddr != "" {
		stopDebug, err := serveDebug(cfg.pprofAddr, counts, log, stdout)
		if err != nil {
			return err
		}
		defer stopDebug()
	}
	srv := &http.Server{
		Handler:           newServer(db, authSvc, broker, sched, cfg, log, store.SystemClock, counts),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	// Shutdown neither closes nor waits for WebSocket connections (they are
	// hijacked): closing the broker ends their subscriptions and closes them.
	srv.RegisterOnShutdown(func() { broker.Close() })
	if sched != nil {
		sched.Start()
	}
	fmt.Fprintf(stdout, "listening on http://%s\n", displayAddr(ln.Addr()))
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	// A job in progress finishes, or rolls back when the time is up.
	stopped := make(chan error, 1)
	go func() {
		if sched == nil {
			stopped <- nil
			return
		}
		jobsCtx, cancel := context.WithTimeout(shutdownCtx, shutdownTimeout-2*time.Second)
		defer cancel()
		stopped <- sched.Stop(jobsCtx)
	}()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-stopped; err != nil {
		log.Warn("stopping the scheduled jobs", "err", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// shutdownTimeout is how long a shutdown may take.
const shutdownTimeout = 20 * time.Second

// newScheduler makes the scheduled jobs (nil when P06_SCHEDULER=off): the
// alert scan at start-up, at its interval and times of day, and the others
// (webhooks, the reports' monthly freeze, the digest). On PostgreSQL
// one process of those sharing the database runs them (jobs.Elector).
func newScheduler(ctx context.Context, db *store.DB, al *alerts.Store, authSvc *auth.Service, c jobsConfig, log *slog.Logger) (*jobs.Scheduler, error) {
	if !c.on {
		log.Info("scheduled jobs are off on this process (P06_SCHEDULER=off)")
		return nil, nil
	}
	var o jobs.Options
	if db.Engine == store.Postgres {
		e, err := jobs.NewElector(ctx, db, log, c.retry)
		if err != nil {
			return nil, err
		}
		o.Elector = e
	}
	js := []jobs.Job{{Name: alerts.JobScan, Run: al.ScanJob, Every: c.scanEvery, At: c.scanAt, Due: 2*c.scanEvery + 5*time.Minute},
		{Name: alerts.JobWebhooks, Run: alerts.NewWebhooks(al, c.allowPrivate).Job, Every: time.Minute, Due: 10 * time.Minute}}
	freeze, err := jobs.FreezeJob(reports.NewService(db, org.NewStore(db), tasks.NewStore(db, store.SystemClock), authSvc, store.SystemClock, log), c.freezeAt)
	if err != nil {
		return nil, err
	}
	js = append(js, freeze)
	if c.mail != nil {
		d := alerts.NewDigester(al, c.mail, func(id int64) string { return alertLink(c.publicURL, id) }, c.publicURL+"/?query="+url.QueryEscape(alertsQuery))
		js = append(js, jobs.Job{Name: alerts.JobDigest, Run: d.Job, At: c.digestAt, Due: 25 * time.Hour})
	} else {
		log.Info("no e-mail digest of alerts: P06_SMTP_URL is not set")
	}
	return jobs.New(al, log, o, js...)
}

// alertsQuery is what the e-mail digest's link to every open alert opens
// in the IDE.
const alertsQuery = `{ alerts(filter: {open: true, acknowledged: false}) { totalCount nodes { id kind dueDate orgUnit { name } assignment { task { title deadlineText } } indicator { code name } period } } }`

// alertLink is the address of one alert in the IDE.
func alertLink(base string, id int64) string {
	q := fmt.Sprintf(`{ node(id: %q) { ... on Alert { kind dueDate resolvedAt orgUnit { name } assignment { id state progress task { title deadlineText } } indicator { code name periodType dueDays } period } } }`, graph.NodeID("Alert", id))
	return base + "/?query=" + url.QueryEscape(q)
}

// newServer wires the stores into the HTTP routes, all in one place. Every
// request passes CORS, then auth.Middleware, which names its caller.
func newServer(db *store.DB, authSvc *auth.Service, broker events.Broker, sched *jobs.Scheduler, cfg config, log *slog.Logger, clock store.Clock, counts *serverCounts) http.Handler {
	r := graph.NewResolver(db, authSvc, clock)
	r.WebhookStore = alerts.NewWebhooks(r.AlertStore, cfg.jobs.allowPrivate)
	r.UseEvents(broker)
	if sched != nil {
		r.Jobs = sched
	}
	lim := graph.DefaultLimits
	lim.Introspection = cfg.introspection
	lim.UploadBytes = cfg.uploadBytes
	lim.Origins = cfg.corsOrigins

	mux := http.NewServeMux()
	mux.Handle("/query", counts.countRequests(graph.NewHandler(r, lim, log)))
	mux.Handle("GET "+tasks.EvidencePath+"{id}", graph.EvidenceHandler(r, log))
	r.Reports.SetLogger(log)
	r.Reports.SetPDFFonts(cfg.pdfFonts[0], cfg.pdfFonts[1], cfg.pdfFonts[2])
	r.Reports.SetRenderLimit(cfg.renders)
	r.Reports.Routes(mux)
	mux.Handle("GET /{$}", ide.Page("/query"))
	mux.Handle("GET "+ide.Prefix, ide.Assets())
	mux.Handle("GET /app", http.RedirectHandler(app.Prefix, http.StatusMovedPermanently))
	mux.Handle(app.Prefix, app.Handler())
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
		if sched != nil {
			if err := sched.Health(ctx); err != nil {
				log.Warn("readiness check failed", "err", err)
				w.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w, "scheduler: "+err.Error()+"\n")
				return
			}
		}
		io.WriteString(w, "ready\n")
	})
	return auth.CORS(cfg.corsOrigins, authSvc.Middleware(mux))
}

// wantsHelp reports whether args ask for the usage: "help" as the command or
// the admin subcommand, or a -h/--help flag anywhere.
func wantsHelp(args []string) bool {
	for i, a := range args {
		switch {
		case a == "-h" || a == "-help" || a == "--help":
			return true
		case a == "help" && (i == 0 || i == 1 && args[0] == "admin"):
			return true
		}
	}
	return false
}

// displayAddr is the address a listener was given, as a person can use it
// in a browser: an unspecified host (":8080", "0.0.0.0", "[::]") becomes
// localhost; a concrete host is kept, IPv6 in brackets.
func displayAddr(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

const usage = `usage:
  p06 [serve]                 run the server (configuration by environment, see README.md)
  p06 admin create --username NAME --name "DISPLAY NAME" [--unit VN] [--email ADDR]
                              create an administrator; the password is read from standard input
                              (typed without echo on a terminal, else its first line)
  p06 gen [--tasks 100000] [--assignments-per-task 10] [--documents 0] [--communes-per-province 10]
          [--districts-per-province 0] [--skew 1.1] [--all-provinces 2] [--reports 2] [--values 0] [--seed 1]
                              fill the database serve would open (migrated, with the demo data) with a generated
                              national-scale programme: --tasks tasks given to --assignments-per-task units each on
                              average (--all-provinces % of the national ones to every province, the others drawn by a
                              Zipf law of exponent --skew), in --documents documents (0: one per 40 tasks), with
                              --communes-per-province communes (and --districts-per-province districts) below each
                              province and progress reports on --reports % of the started assignments, and --values
                              indicator values by the lowest units over the 24 months before today; the same
                              --seed gives the same data on the same day. Refused when generated data is already there
  p06 help, p06 --help        print this usage`

// stdinKey lets tests give the admin command its standard input.
type stdinKey struct{}

func stdin(ctx context.Context) io.Reader {
	if r, ok := ctx.Value(stdinKey{}).(io.Reader); ok {
		return r
	}
	return os.Stdin
}

// readPassword reads the administrator's password from in: without echo
// when in is a terminal, otherwise its first line (a pipe, a file, a test).
func readPassword(in io.Reader, stdout io.Writer) (string, error) {
	fmt.Fprintln(stdout, "Mật khẩu (password), một dòng:")
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdout)
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		return string(b), nil
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// runAdmin runs "p06 admin …": creating the first administrator of an
// install, which starts with no users outside demo mode.
func runAdmin(ctx context.Context, db *store.DB, args []string, in io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("admin create", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	username := fs.String("username", "", "username")
	name := fs.String("name", "", "display name")
	unit := fs.String("unit", "VN", "code of the unit the administrator manages (with everything below it)")
	email := fs.String("email", "", "email address")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("admin create: %w\n%s", err, usage)
	}
	if *username == "" || *name == "" {
		return fmt.Errorf("admin create needs --username and --name\n%s", usage)
	}
	password, err := readPassword(in, stdout)
	if err != nil {
		return err
	}
	authz, err := rbac.NewAuthorizer(ctx, db, 0)
	if err != nil {
		return err
	}
	svc := auth.NewService(db, authz, store.SystemClock, auth.DefaultConfig)
	u, err := svc.CreateUser(ctx, nil, auth.NewUser{Username: *username, DisplayName: *name, Email: *email, OrgUnit: *unit, Password: password})
	if err != nil {
		return fmt.Errorf("admin create: %w", err)
	}
	if _, err := svc.GrantRole(ctx, nil, u.ID, rbac.Admin, *unit); err != nil {
		return fmt.Errorf("admin create: %w", err)
	}
	fmt.Fprintf(stdout, "created administrator %s (ADMIN on %s)\n", u.Username, *unit)
	return nil
}

// genFlags reads the options of "p06 gen".
func genFlags(args []string) (gen.Options, error) {
	o := gen.DefaultOptions
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.IntVar(&o.Tasks, "tasks", o.Tasks, "tasks")
	fs.Float64Var(&o.AssignmentsPerTask, "assignments-per-task", o.AssignmentsPerTask, "average assignments per task")
	fs.IntVar(&o.Documents, "documents", o.Documents, "documents (0: one per 40 tasks)")
	fs.IntVar(&o.CommunesPerProvince, "communes-per-province", o.CommunesPerProvince, "communes below each province")
	fs.IntVar(&o.DistrictsPerProvince, "districts-per-province", o.DistrictsPerProvince, "districts below each province")
	fs.Float64Var(&o.Skew, "skew", o.Skew, "Zipf exponent of the units' draws")
	fs.Float64Var(&o.AllProvincesPercent, "all-provinces", o.AllProvincesPercent, "% of national tasks given to every province")
	fs.Float64Var(&o.ReportsPercent, "reports", o.ReportsPercent, "% of started assignments with progress reports")
	fs.IntVar(&o.Values, "values", o.Values, "indicator values")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "seed")
	if err := fs.Parse(args); err != nil {
		return o, fmt.Errorf("gen: %w\n%s", err, usage)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("gen: unexpected argument %q\n%s", fs.Arg(0), usage)
	}
	if err := o.Validate(); err != nil {
		return o, genError(err)
	}
	return o, nil
}

// runGen runs "p06 gen": the generator, printing its progress and report.
func runGen(ctx context.Context, db *store.DB, o gen.Options, stdout io.Writer) error {
	o.Progress = stdout
	rep, err := gen.Programme(ctx, db, o)
	if err != nil {
		return genError(err)
	}
	fmt.Fprintln(stdout, rep)
	return nil
}

// genError says a refusal of the generator with its code, in both
// languages; other errors already name the generator.
func genError(err error) error {
	var se *store.Error
	if errors.As(err, &se) {
		return fmt.Errorf("gen: %s: %w (%s)", se.Code, err, se.English)
	}
	return err
}
