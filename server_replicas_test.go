package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"p06/alerts"
	"p06/alerts/alertstest"
	"p06/store"
	"p06/store/storetest"
)

// process is the server binary running as a process of its own.
type process struct {
	cmd    *exec.Cmd
	base   string
	id     string // as job runs record it: host:pid
	mu     sync.Mutex
	stderr bytes.Buffer
	done   chan error
}

func (p *process) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.Write(b)
}

func (p *process) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// startProcess runs bin with env and waits until it listens; the process
// is stopped (SIGTERM, then killed) when the test ends.
func startProcess(t *testing.T, bin string, env ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin), done: make(chan error, 1)}
	p.cmd.Env = env
	p.cmd.Stderr = p
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	p.id = fmt.Sprintf("%s:%d", host, p.cmd.Process.Pid)
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if addr, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				lines <- addr
			}
		}
	}()
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() { p.stop(t, syscall.SIGTERM) })
	select {
	case p.base = <-lines:
	case err := <-p.done:
		t.Fatalf("the server exited: %v\n%s", err, p.log())
	case <-time.After(3 * time.Minute):
		t.Fatalf("the server did not start\n%s", p.log())
	}
	return p
}

// stop sends sig and waits for the process to end (killing it after 30 s).
func (p *process) stop(t *testing.T, sig syscall.Signal) {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Errorf("the server did not stop within 30 s of %v", sig)
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Several server processes on one PostgreSQL database (a fresh schema of
// TEST_DATABASE_URL): the server binary, built here, started twice with an
// SMTP server and a webhook receiver of the test. One process leads and
// runs the scheduled jobs: one set of alerts, one digest per recipient
// and one webhook delivery per alert, even when both run the jobs through
// runJob over HTTP; an alert raised by a scan on one process reaches a
// subscriber connected to the other (LISTEN/NOTIFY); when the leader is
// killed, the other takes the lead within P06_LEADER_RETRY and runs the
// interval jobs at once.
func TestTwoProcessesShareOnePostgres(t *testing.T) {
	t.Parallel()
	if os.Getenv("TEST_DATABASE_URL") == "" {
		t.Skip("TEST_DATABASE_URL is not set: several processes share a PostgreSQL database only (on SQLite there is one process)")
	}
	db := storetest.Unmigrated(t, store.Postgres)
	var schema string
	if err := db.QueryRowContext(context.Background(), "SELECT current_schema()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	dbURL := os.Getenv("TEST_DATABASE_URL")
	sep := "?"
	if strings.Contains(dbURL, "?") {
		sep = "&"
	}
	dbURL += sep + "search_path=" + schema

	bin := filepath.Join(t.TempDir(), "p06")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	box := alertstest.NewMailbox(t)
	const secret = "a-secret-of-16-chars"
	rec := alertstest.NewReceiver(t, secret, time.Now)
	// Scheduled times of day far from now: only start-up, take-over and
	// runJob runs happen during the test.
	far := time.Now().In(store.VN).Add(12 * time.Hour).Format("15:04")
	env := []string{"DATABASE_URL=" + dbURL, "P06_ADDR=127.0.0.1:0", "P06_SEED=demo", "P06_LEADER_RETRY=300ms",
		"P06_SMTP_URL=" + box.URL(), "P06_WEBHOOK_ALLOW_PRIVATE=on", "P06_ALERT_SCAN_EVERY=24h",
		"P06_ALERT_SCAN_AT=" + far, "P06_DIGEST_AT=" + far, "P06_LOG_LEVEL=warn", "HOME=" + os.Getenv("HOME")}

	// A first process without jobs migrates and seeds, and the
	// administrator registers a webhook for Huế and two users with an
	// e-mail address.
	setup := startProcess(t, bin, append(env, "P06_SCHEDULER=off")...)
	admin := newSession(t, setup.base)
	admin.login("admin", "demo-password")
	var wh struct {
		CreateWebhook struct{ UserErrors []struct{ Message string } }
	}
	admin.must(`mutation { createWebhook(input: {orgUnit: "46", url: "`+rec.URL+`", secret: "`+secret+`"}) { userErrors { message } } }`, &wh)
	if len(wh.CreateWebhook.UserErrors) > 0 {
		t.Fatalf("createWebhook: %+v", wh)
	}
	for _, u := range []struct{ name, unit, role string }{{"mail-hue", "46", "PROVINCE_EDITOR"}, {"mail-bca", "BCA", "MINISTRY_EDITOR"}} {
		var cu struct {
			CreateUser struct {
				User       *struct{ ID string }
				UserErrors []struct{ Message string }
			}
		}
		admin.must(fmt.Sprintf(`mutation { createUser(input: {username: %q, displayName: %q, email: "%s@example.gov.vn", orgUnit: %q, password: "mật-khẩu-dài-đủ"}) { user { id } userErrors { message } } }`,
			u.name, u.name, u.name, u.unit), &cu)
		if cu.CreateUser.User == nil {
			t.Fatalf("createUser %s: %+v", u.name, cu)
		}
		admin.must(fmt.Sprintf(`mutation { grantRole(input: {user: %q, role: %s, orgUnit: %q}) { userErrors { message } } }`, cu.CreateUser.User.ID, u.role, u.unit), nil)
	}
	setup.stop(t, syscall.SIGTERM)

	a := startProcess(t, bin, env...)
	b := startProcess(t, bin, env...)
	sa, sb := newSession(t, a.base), newSession(t, b.base)
	sa.login("admin", "demo-password")
	sb.login("admin", "demo-password")

	type run struct {
		Job, Trigger, Outcome, Process, StartedAt string
		Counts                                    []struct {
			Name  string
			Count int
		}
	}
	runs := func(s *session, job string) []run {
		t.Helper()
		var out struct{ JobRuns struct{ Nodes []run } }
		s.must(`{ jobRuns(first: 100, filter: {job: "`+job+`"}) { nodes { job trigger outcome process startedAt counts { name count } } } }`, &out)
		return out.JobRuns.Nodes
	}
	raised := func(r run) int {
		n := 0
		for _, c := range r.Counts {
			if alerts.Kind(c.Name).Valid() {
				n += c.Count
			}
		}
		return n
	}
	// waitFor polls cond until it holds (or fails after limit).
	waitFor := func(what string, limit time.Duration, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(limit); !cond(); time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within %v\nA:\n%s\nB:\n%s", what, limit, a.log(), b.log())
			}
		}
	}

	// The start-up scan ran once, on A (which started first and leads).
	var scans []run
	waitFor("the start-up scan", 2*time.Minute, func() bool {
		scans = runs(sb, alerts.JobScan)
		return len(scans) == 1 && scans[0].Outcome == alerts.OK
	})
	if s := scans[0]; s.Process != a.id || s.Trigger != "START" || raised(s) == 0 {
		t.Fatalf("the start-up scan: %+v (A is %s, B %s)", s, a.id, b.id)
	}
	total := raised(scans[0])
	var count struct{ Alerts struct{ TotalCount int } }
	sb.must(`{ alerts { totalCount } }`, &count)
	if count.Alerts.TotalCount != total {
		t.Fatalf("%d alerts, the scan raised %d", count.Alerts.TotalCount, total)
	}
	// runJob over HTTP runs on the process asked, through the same
	// exactly-once path: B's scan raises nothing again.
	var rj struct {
		RunJob struct {
			JobRun     *run
			UserErrors []struct{ Message string }
		}
	}
	sb.must(`mutation { runJob(input: {job: "alert-scan"}) { jobRun { job trigger outcome process counts { name count } } userErrors { message } } }`, &rj)
	if r := rj.RunJob.JobRun; r == nil || r.Process != b.id || r.Trigger != "MANUAL" || r.Outcome != alerts.OK || raised(*r) != 0 {
		t.Fatalf("runJob alert-scan on B: %+v", rj)
	}

	// Digests: both processes run the job; each recipient gets one.
	for _, s := range []*session{sa, sb, sa} {
		s.must(`mutation { runJob(input: {job: "alert-digest"}) { jobRun { outcome } userErrors { message } } }`, nil)
	}
	mails := map[string]int{}
	for _, m := range box.Take() {
		mails[m.To]++
	}
	if len(mails) != 2 || mails["mail-hue@example.gov.vn"] != 1 || mails["mail-bca@example.gov.vn"] != 1 {
		t.Fatalf("digests sent: %v", mails)
	}

	// Webhooks: each of Huế's alerts delivered once, whichever process
	// runs the deliveries.
	var hue struct{ Alerts struct{ TotalCount int } }
	sa.must(`{ alerts(filter: {orgUnit: "46"}) { totalCount } }`, &hue)
	delivered := map[int64]int{}
	collect := func() {
		got, bad := rec.Take()
		if len(bad) > 0 {
			t.Fatalf("badly signed deliveries: %v", bad)
		}
		for _, p := range got {
			delivered[p.Alert.ID]++
		}
	}
	for _, s := range []*session{sb, sa, sb} {
		s.must(`mutation { runJob(input: {job: "webhook-delivery"}) { jobRun { outcome } userErrors { message } } }`, nil)
	}
	waitFor("Huế's deliveries", time.Minute, func() bool { collect(); return len(delivered) >= hue.Alerts.TotalCount })
	for id, n := range delivered {
		if n != 1 {
			t.Fatalf("alert %d delivered %d times", id, n)
		}
	}
	if len(delivered) != hue.Alerts.TotalCount || hue.Alerts.TotalCount == 0 {
		t.Fatalf("%d alerts delivered, Huế has %d", len(delivered), hue.Alerts.TotalCount)
	}

	// An alert raised by a scan on A reaches Huế's subscriber on B.
	c06 := newSession(t, b.base)
	c06.login("c06", "demo-password")
	var doc struct{ Document struct{ ID string } }
	c06.must(`{ document(number: "99/KH-DEMO") { id } }`, &doc)
	newTask := func(title string, dueIn int) {
		t.Helper()
		due := time.Now().In(store.VN).AddDate(0, 0, dueIn)
		var ct struct {
			CreateTask struct {
				Task       *struct{ ID string }
				UserErrors []struct{ Message string }
			}
		}
		c06.must(fmt.Sprintf(`mutation { createTask(input: {document: %q, title: %q, deadlineText: "ngày %d/%d/%d"}) { task { id } userErrors { message } } }`,
			doc.Document.ID, title, due.Day(), int(due.Month()), due.Year()), &ct)
		if ct.CreateTask.Task == nil {
			t.Fatalf("createTask: %+v", ct)
		}
		c06.must(`mutation { assignTask(input: {task: "`+ct.CreateTask.Task.ID+`", lead: ["46"]}) { userErrors { message } } }`, nil)
	}
	conn := subscribeAlerts(t, b.base, "hue")
	newTask("[THỬ] Nhiệm vụ đến hạn ngày mai", 1)
	sa.must(`mutation { runJob(input: {job: "alert-scan"}) { jobRun { outcome } userErrors { message } } }`, nil)
	if ev := conn.next(t); ev.Kind != "DUE_IN_1_DAY" || ev.OrgUnit.Code != "46" {
		t.Fatalf("Huế's subscriber on B got %+v", ev)
	}

	// Kill the leader: B takes the lead and runs the interval jobs at once
	// (the scan's interval is 24 h), raising the new alert and delivering it.
	newTask("[THỬ] Nhiệm vụ còn 3 ngày", 3)
	killed := time.Now()
	a.stop(t, syscall.SIGKILL)
	var takeOver run
	waitFor("B's take-over", time.Minute, func() bool {
		for _, r := range runs(sb, alerts.JobScan) {
			if r.Trigger == "TAKEOVER" && r.Outcome == alerts.OK {
				takeOver = r
				return true
			}
		}
		return false
	})
	started, _ := time.Parse(time.RFC3339Nano, takeOver.StartedAt)
	if takeOver.Process != b.id || raised(takeOver) != 1 || started.Sub(killed) > 30*time.Second {
		t.Fatalf("the take-over scan: %+v, %v after the kill", takeOver, started.Sub(killed))
	}
	waitFor("the new alert's delivery", time.Minute, func() bool {
		collect()
		return len(delivered) == hue.Alerts.TotalCount+2
	})
	for id, n := range delivered {
		if n != 1 {
			t.Fatalf("alert %d delivered %d times", id, n)
		}
	}
}

// alertConn is a graphql-ws connection subscribed to alertRaised.
type alertConn struct {
	c   *websocket.Conn
	ctx context.Context
}

type raisedAlert struct {
	Kind    string
	OrgUnit struct{ Code string }
}

// subscribeAlerts signs in as user on base and subscribes to alertRaised.
func subscribeAlerts(t *testing.T, base, user string) *alertConn {
	t.Helper()
	s := newSession(t, base)
	s.login(user, "demo-password")
	u, _ := url.Parse(base)
	header := http.Header{}
	for _, c := range s.c.Jar.Cookies(u) {
		header.Add("Cookie", c.Name+"="+c.Value)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/query",
		&websocket.DialOptions{HTTPHeader: header, Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	ac := &alertConn{c: c, ctx: ctx}
	ac.write(t, `{"type":"connection_init"}`)
	if m := ac.read(t); m.Type != "connection_ack" {
		t.Fatalf("got %+v", m)
	}
	ac.write(t, `{"id":"1","type":"subscribe","payload":{"query":"subscription { alertRaised { kind orgUnit { code } } }"}}`)
	// The subscription starts asynchronously; give it a moment to listen.
	time.Sleep(time.Second)
	return ac
}

func (ac *alertConn) write(t *testing.T, m string) {
	t.Helper()
	if err := ac.c.Write(ac.ctx, websocket.MessageText, []byte(m)); err != nil {
		t.Fatal(err)
	}
}

type wsMessage struct {
	Type    string
	Payload json.RawMessage
}

func (ac *alertConn) read(t *testing.T) wsMessage {
	t.Helper()
	for {
		_, b, err := ac.c.Read(ac.ctx)
		if err != nil {
			t.Fatalf("reading the subscription: %v", err)
		}
		var m wsMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if m.Type != "ping" && m.Type != "pong" {
			return m
		}
	}
}

// next is the next alert the subscription sends.
func (ac *alertConn) next(t *testing.T) raisedAlert {
	t.Helper()
	m := ac.read(t)
	var p struct {
		Data struct{ AlertRaised raisedAlert }
	}
	if m.Type != "next" || json.Unmarshal(m.Payload, &p) != nil {
		t.Fatalf("got %s %s", m.Type, m.Payload)
	}
	return p.Data.AlertRaised
}
