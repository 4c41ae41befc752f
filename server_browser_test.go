package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// browserTestsRequired is set (P06_BROWSER_TESTS=required) where a missing
// browser must fail the browser tests instead of skipping them: in CI.
func browserTestsRequired() bool { return os.Getenv("P06_BROWSER_TESTS") == "required" }

// headlessChromium starts Debian's chromium for the test, headless, with
// every host but 127.0.0.1 unresolvable and no background traffic of its own.
// It skips the test when chromium is not installed, unless browser tests are
// required.
func headlessChromium(t *testing.T) context.Context {
	t.Helper()
	return startChromium(t, 90*time.Second)
}

// startChromium is headlessChromium with the time the whole test may take.
func startChromium(t *testing.T, limit time.Duration) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		msg := "chromium is not installed (apt-get install chromium), so the IDE is not tested in a browser (P06_BROWSER_TESTS=required makes this fail)"
		if browserTestsRequired() {
			t.Fatal(msg + "; P06_BROWSER_TESTS=required")
		}
		t.Skip(msg)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.WindowSize(1400, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelBrowser := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, limit)
	t.Cleanup(func() { cancelTimeout(); cancelBrowser(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// The GraphQL IDE at / works with no network but the server: the page
// loads from the binary under its Content-Security-Policy, the login
// mutation signs in, the docs explorer reads the schema, and a query and a
// cookie-signed mutation (which needs X-CSRF-Token) answer.
func TestIDEInABrowser(t *testing.T) {
	t.Parallel()
	ctx := headlessChromium(t)
	base := startServer(t, map[string]string{"P06_ADDR": "127.0.0.1:0", "P06_DATA_DIR": t.TempDir()})
	server, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}

	var log browserLog
	log.watch(t, ctx, server)

	// value reads a CodeMirror editor's text.
	value := func(editor string) string {
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(`+fmt.Sprintf("%q", editor+" .CodeMirror")+`).CodeMirror.getValue()`))
		if err != nil {
			t.Fatalf("reading %s: %v", editor, err)
		}
		return s
	}
	// waitFor polls a JavaScript condition.
	waitFor := func(what, cond string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(20*time.Second))); err != nil {
			t.Fatalf("waiting for %s: %v\nresult pane: %s", what, err, value(".graphiql-response"))
		}
	}
	const response = `document.querySelector(".graphiql-response .CodeMirror").CodeMirror.getValue()`
	// run replaces the query editor's text with a named operation, waits
	// until GraphiQL has taken it in (the tab shows its name, as a person
	// would see before pressing ▶), runs it and waits for a response that
	// contains want.
	run := func(name, operation, want string) string {
		t.Helper()
		before := value(".graphiql-response")
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.setValue(`+fmt.Sprintf("%q", operation)+`)`)); err != nil {
			t.Fatal(err)
		}
		waitFor("the tab named "+name, fmt.Sprintf(`document.querySelector(".graphiql-tab-active .graphiql-tab-button").textContent.trim() === %q`, name))
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".graphiql-execute-button"))); err != nil {
			t.Fatalf("running %s: %v", name, err)
		}
		waitFor("the answer to "+name, fmt.Sprintf(`(r => r !== %q && r.includes(%q))(%s)`, before, want, response))
		return value(".graphiql-response")
	}

	start := time.Now()
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-container .graphiql-query-editor .CodeMirror"))); err != nil {
		t.Fatalf("GraphiQL did not render: %v", err)
	}

	// The first tab shows how to sign in; running it signs in.
	if q := value(".graphiql-query-editor"); !strings.Contains(q, "login(input:") {
		t.Fatalf("the first tab does not show the login mutation:\n%s", q)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".graphiql-execute-button"))); err != nil {
		t.Fatal(err)
	}
	waitFor("signed in", response+`.includes('"username": "vpcp"')`)
	if r := value(".graphiql-response"); !strings.Contains(r, `"csrfToken": "`) {
		t.Fatalf("login answered:\n%s", r)
	}

	// The docs explorer reads the schema (introspection needs the session
	// and the standard introspection query) and lists Query.tasks.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.graphiql-sidebar button[aria-label="Show Documentation Explorer"]`))); err != nil {
		t.Fatal(err)
	}
	waitFor("the Query type in the docs", `[...document.querySelectorAll(".graphiql-doc-explorer a.graphiql-doc-explorer-type-name")].some(a => a.textContent === "Query")`)
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll(".graphiql-doc-explorer a.graphiql-doc-explorer-type-name")].find(a => a.textContent === "Query").click()`)); err != nil {
		t.Fatal(err)
	}
	waitFor("Query.tasks in the docs", `[...document.querySelectorAll(".graphiql-doc-explorer .graphiql-doc-explorer-field-name")].some(a => a.textContent === "tasks")`)

	// A query answers with data.
	if r := run("Count", `query Count { tasks { totalCount } }`, `"totalCount": `); strings.Contains(r, `"errors"`) || strings.Contains(r, `"totalCount": 0`) {
		t.Fatalf("tasks query answered:\n%s", r)
	}
	// So does the example in the second tab.
	before := value(".graphiql-response")
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#graphiql-session-tab-1"))); err != nil {
		t.Fatal(err)
	}
	waitFor("the Tasks tab", `document.querySelector(".graphiql-tab-active .graphiql-tab-button").textContent.trim() === "Tasks"`)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(".graphiql-execute-button"))); err != nil {
		t.Fatal(err)
	}
	waitFor("the Tasks tab's answer", fmt.Sprintf(`(r => r !== %q && r.includes('"deadlineText"'))(%s)`, before, response))
	if r := value(".graphiql-response"); strings.Contains(r, `"errors"`) {
		t.Fatalf("the Tasks tab answered:\n%s", r)
	}
	if f := os.Getenv("P06_IDE_SCREENSHOT"); f != "" { // to look at the page while changing it
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(f, png, 0o644)
		}
	}
	// A mutation made with the session cookie needs X-CSRF-Token: the
	// page's fetcher sends it.
	if r := run("SignOut", `mutation SignOut { logout { ok userErrors { message } } }`, `"logout"`); !strings.Contains(r, `"ok": true`) {
		t.Fatalf("logout answered:\n%s", r)
	}

	log.check(t)
	t.Logf("page loaded, signed in, read the docs, queried and signed out in %v", time.Since(start).Round(time.Millisecond))
}

// browserLog collects, over the tabs a test watches, the requests made to
// anything but the server (each failed) and the script errors, Content-
// Security-Policy violations and failed loads.
type browserLog struct {
	mu                  sync.Mutex
	elsewhere, problems []string
}

// watch lets the tab of ctx reach the server only, and listens to it.
func (l *browserLog) watch(t *testing.T, ctx context.Context, server *url.URL) {
	t.Helper()
	paused := chromedp.Events(ctx, fetch.RequestPaused)
	go func() {
		for ev, err := range paused {
			if err != nil {
				return
			}
			u, err := url.Parse(ev.Request.URL)
			if err == nil && u.Host == server.Host && u.Scheme == server.Scheme {
				chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
				continue
			}
			l.mu.Lock()
			l.elsewhere = append(l.elsewhere, ev.Request.URL)
			l.mu.Unlock()
			chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
		}
	}()
	err := chromedp.Listen(ctx, func(ev any) {
		l.mu.Lock()
		defer l.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			if d.Exception != nil {
				l.problems = append(l.problems, "exception: "+d.Text+" "+d.Exception.Description)
			} else {
				l.problems = append(l.problems, "exception: "+d.Text)
			}
		case *cdplog.EventEntryAdded: // CSP violations, failed loads
			if ev.Entry.Level == cdplog.EntryLevelError || ev.Entry.Level == cdplog.EntryLevelWarning {
				l.problems = append(l.problems, fmt.Sprintf("%s %s: %s %s", ev.Entry.Source, ev.Entry.Level, ev.Entry.Text, ev.Entry.URL))
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var args []string
				for _, a := range ev.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				l.problems = append(l.problems, "console.error: "+strings.Join(args, " "))
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{}); err != nil {
		t.Fatal(err)
	}
}

// check fails the test for anything collected.
func (l *browserLog) check(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.elsewhere) > 0 {
		t.Errorf("the page asked for something not on the server: %q", l.elsewhere)
	}
	if len(l.problems) > 0 {
		t.Errorf("script errors, Content-Security-Policy violations or failed loads:\n%s", strings.Join(l.problems, "\n"))
	}
}
