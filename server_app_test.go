package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"p06/store"
)

// appTab is one browser tab of the web app test.
type appTab struct {
	t    *testing.T
	ctx  context.Context
	base string
}

// newAppTab opens a tab in a browser context of its own (its own cookies)
// or, with same, in the browser context of same.
func newAppTab(t *testing.T, browser context.Context, base string, server *url.URL, log *browserLog, same *appTab) *appTab {
	t.Helper()
	var ctx context.Context
	if same != nil {
		ctx, _ = chromedp.NewContext(same.ctx)
	} else {
		ctx, _ = chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	log.watch(t, ctx, server)
	return &appTab{t: t, ctx: ctx, base: base}
}

func (a *appTab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	a.t.Helper()
	if err := chromedp.Do(a.ctx, steps...); err != nil {
		a.t.Fatalf("%s: %v\npage text: %.1500s", what, err, a.text("document.body.innerText"))
	}
}

// text evaluates a JavaScript expression giving a string.
func (a *appTab) text(expr string) string {
	s, _ := chromedp.Run(a.ctx, chromedp.Evaluate[string](expr))
	return s
}

// wait polls a JavaScript condition.
func (a *appTab) wait(what, cond string) {
	a.t.Helper()
	a.do("waiting for "+what, chromedp.Poll[chromedp.Void](cond, chromedp.WithPollingTimeout(20*time.Second)))
}

// open goes to a path of the app and waits for its heading.
func (a *appTab) open(path string) {
	a.t.Helper()
	a.do("opening "+path, chromedp.Navigate(a.base+path))
	a.wait("the page of "+path, `document.querySelector("main h1") !== null`)
}

// fill sets a form control's value the way typing and choosing do.
func (a *appTab) fill(selector, value string) {
	a.t.Helper()
	a.do("filling "+selector, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const el = document.querySelector(%q);
		el.value = %q;
		el.dispatchEvent(new Event("input", {bubbles: true}));
		el.dispatchEvent(new Event("change", {bubbles: true}));
	})()`, selector, value)))
}

// click clicks the element once it is visible, by its own click(): a
// mouse click at its centre can land on another element when the page
// moves under it meanwhile (the top bar's unread count arriving once made
// a click on one link open another).
func (a *appTab) click(selector string) {
	a.t.Helper()
	a.do("clicking "+selector, chromedp.WaitVisible(chromedp.CSS(selector)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`document.querySelector(%q).click()`, selector)))
}

// signIn fills the sign-in form and waits to leave it.
func (a *appTab) signIn(username, password string) {
	a.t.Helper()
	a.open("/app/sign-in")
	a.fill("#username", username)
	a.fill("#password", password)
	a.click(`form button[type="submit"]`)
	a.wait("signed in as "+username, `location.pathname !== "/app/sign-in" && document.querySelector("header .who") !== null`)
}

// signInByKeyboard signs in with the keyboard alone: the page puts the
// focus on its heading (so a screen reader says where it is), Tab goes on
// to the username; type, Tab, type, Enter.
func (a *appTab) signInByKeyboard(username, password string) {
	a.t.Helper()
	a.open("/app/sign-in")
	a.wait("the form", `document.querySelector("#username") !== null`)
	if f := a.text(`document.activeElement.tagName`); f != "H1" {
		a.t.Errorf("the page opens with the focus on %s, not its heading", f)
	}
	var order []string
	for i := 0; i < 8 && a.text(`document.activeElement.id`) != "username"; i++ {
		a.do("pressing Tab", chromedp.KeyEvent(kb.Tab))
		order = append(order, a.text(`(e => e.id || e.className || e.tagName)(document.activeElement)`))
	}
	if len(order) == 0 || order[len(order)-1] != "username" {
		a.t.Fatalf("Tab goes through %q and never to the username", order)
	}
	a.do("typing", chromedp.KeyEvent(username), chromedp.KeyEvent(kb.Tab), chromedp.KeyEvent(password), chromedp.KeyEvent(kb.Enter))
	a.wait("signed in as "+username, `location.pathname !== "/app/sign-in" && document.querySelector("header .who") !== null`)
}

// look saves screenshots of the page at 1366×768 and 375 px wide (when
// P06_SCREENSHOTS names a folder) and checks it with axe-core (no serious
// or critical violation of WCAG 2.1 A and AA), in Vietnamese, then in
// English by the top bar's toggle (name-en-…), and back.
func (a *appTab) look(name string) {
	a.t.Helper()
	a.shoot(name)
	a.audit(name)
	a.fits(name)
	// Pressed in the page, not by the mouse: the top bar's unread count
	// arriving may move the button under a click.
	toggle := chromedp.Evaluate[chromedp.Void](`document.querySelector("header button.lang").click()`)
	a.do("switching to English", toggle)
	a.wait("the page in English", `document.documentElement.lang === "en" && document.querySelector("header button.lang").innerText === "Tiếng Việt"`)
	a.shoot(name + "-en")
	a.audit(name + " in English")
	a.fits(name + " in English")
	a.do("switching back to Vietnamese", toggle)
	a.wait("the page in Vietnamese", `document.documentElement.lang === "vi" && document.querySelector("header button.lang").innerText === "English"`)
}

// shoot saves the screenshots, at both sizes, when P06_SCREENSHOTS is set.
func (a *appTab) shoot(name string) {
	a.t.Helper()
	dir := os.Getenv("P06_SCREENSHOTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		a.t.Fatal(err)
	}
	for _, size := range []struct {
		w, h   int64
		suffix string
	}{{1366, 768, "1366"}, {375, 812, "375"}} {
		a.do("resizing", chromedp.EmulateViewport(size.w, size.h))
		a.settle()
		png, err := chromedp.Run(a.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			a.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+"-"+size.suffix+".png"), png, 0o644); err != nil {
			a.t.Fatal(err)
		}
	}
	a.do("resizing back", chromedp.EmulateViewport(1366, 768))
}

// fits checks that the page is no wider than a 375 px phone: what does
// not fit scrolls inside its own region, never the whole page sideways.
func (a *appTab) fits(name string) {
	a.t.Helper()
	a.do("resizing", chromedp.EmulateViewport(375, 812))
	a.settle()
	if w := a.text(`String(document.documentElement.scrollWidth)`); w != "375" {
		a.t.Errorf("%s is %s px wide on a 375 px phone", name, w)
	}
	a.do("resizing back", chromedp.EmulateViewport(1366, 768))
}

// settle waits for two frames, so what was rendered is painted.
func (a *appTab) settle() {
	a.t.Helper()
	a.do("settling", chromedp.Poll[chromedp.Void](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, chromedp.WithPollingTimeout(5*time.Second)))
}

// audit runs axe-core on the page.
func (a *appTab) audit(name string) {
	a.t.Helper()
	a.settle()
	if a.text(`typeof axe`) != "object" {
		a.do("loading axe-core", chromedp.Evaluate[chromedp.Void](axeSource(a.t)))
		// axe-core finds what it should: an image without a text.
		probe, err := chromedp.Run(a.ctx, chromedp.Evaluate[string](`(() => {
			const i = document.createElement("img"); i.id = "axe-probe"; i.src = "data:,"; document.body.append(i);
			return axe.run("#axe-probe").then(r => { i.remove(); return r.violations.map(v => v.id + ":" + v.impact).join(); });
		})()`, chromedp.EvalAwaitPromise))
		if err != nil || !strings.Contains(probe, "image-alt:critical") {
			a.t.Fatalf("axe-core does not report an image without alt: %q %v", probe, err)
		}
	}
	found, err := chromedp.Run(a.ctx, chromedp.Evaluate[string](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
		.then(r => JSON.stringify(r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
			.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " " + n.failureSummary)}))))`, chromedp.EvalAwaitPromise))
	if err != nil {
		a.t.Fatalf("axe on %s: %v", name, err)
	}
	if found != "[]" {
		var pretty []any
		json.Unmarshal([]byte(found), &pretty)
		b, _ := json.MarshalIndent(pretty, "", "  ")
		a.t.Errorf("axe-core finds serious accessibility violations on %s:\n%s", name, b)
	}
}

var axeJS string

// axeSource is axe-core, vendored for this test (web/app/testvendor).
func axeSource(t *testing.T) string {
	if axeJS == "" {
		b, err := os.ReadFile("web/app/testvendor/axe-core/axe.min.js")
		if err != nil {
			t.Fatal(err)
		}
		axeJS = string(b)
	}
	return axeJS
}

// The web app at /app/, driven in one headless chromium with every request
// outside the server failed and every script error or CSP violation
// reported: a province's editor sees only its own assignments, updates one
// and sees the list change, and meets a second tab's save as a conflict;
// the Prime Minister's office sees the programmeSummary figures of the
// review's date on the national dashboard; sign-in shows the lockout; the
// password is changed and the app signs out. Each page is looked at (axe-
// core; screenshots with P06_SCREENSHOTS=dir).
func TestAppInABrowser(t *testing.T) {
	t.Parallel()
	browser := startChromium(t, 8*time.Minute) // 3 minutes at a load of 22 on 2 cores
	base := startServer(t, map[string]string{"P06_ADDR": "127.0.0.1:0", "P06_DATA_DIR": t.TempDir()})
	server, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	var log browserLog
	defer log.check(t)
	today := store.Today(store.SystemClock).String()

	// What hue may read, asked of the API directly.
	api := newSession(t, base)
	api.login("hue", "demo-password")
	var hue struct {
		Tasks struct {
			TotalCount int
			Nodes      []struct {
				ID          string
				Title       string
				Assignments []struct {
					ID      string
					State   string
					OrgUnit struct{ Code string }
				}
			}
		}
	}
	api.must(`{ tasks(filter: {statusAsOf: "`+today+`", statuses: [IN_PROGRESS]}, orderBy: {field: DUE_DATE, direction: DESC}, first: 100) {
		totalCount nodes { id title assignments { id state orgUnit { code } } } } }`, &hue)
	var picked []int // tasks with one assignment of Huế's, not done
	for i, n := range hue.Tasks.Nodes {
		if len(n.Assignments) == 1 && n.Assignments[0].OrgUnit.Code == "46" && n.Assignments[0].State != "DONE" {
			picked = append(picked, i)
		}
	}
	if len(picked) < 2 {
		t.Fatalf("hue has %d tasks in progress with one assignment; the test needs 2", len(picked))
	}
	done, clash := hue.Tasks.Nodes[picked[0]], hue.Tasks.Nodes[picked[1]]

	a := newAppTab(t, browser, base, server, &log, nil)
	t.Run("sign-in shows the lockout", func(t *testing.T) {
		a.t = t
		a.open("/app/")
		a.wait("the sign-in page", `location.pathname === "/app/sign-in" && document.querySelector("#username") !== null`)
		a.look("sign-in")
		var first, last string
		for i := 0; i < 6; i++ {
			a.fill("#username", "khong-co-ai")
			a.fill("#password", fmt.Sprintf("wrong-password-%d", i))
			before := a.text(`document.querySelector("#signin-error")?.innerText ?? ""`)
			a.click(`form button[type="submit"]`)
			a.wait("the refusal", fmt.Sprintf(`(e => e !== null && (e.innerText !== %q || !document.querySelector("form button[type=submit]").disabled))(document.querySelector("#signin-error"))`, before))
			a.wait("the form again", `!document.querySelector("form button[type=submit]").disabled`)
			msg := a.text(`document.querySelector("#signin-error").innerText`)
			if i == 0 {
				first = msg
			}
			last = msg
		}
		var lock struct {
			Login struct{ UserErrors []struct{ Message string } }
		}
		api2 := newSession(t, base)
		api2.must(`mutation { login(input: {username: "khong-co-ai", password: "wrong-password-x"}) { userErrors { message } } }`, &lock)
		if len(lock.Login.UserErrors) != 1 || strings.TrimSpace(last) != lock.Login.UserErrors[0].Message || last == first {
			t.Errorf("after 6 wrong passwords the page says %q (first %q); the API says %+v", last, first, lock.Login.UserErrors)
		}
		a.look("sign-in-locked")
	})

	t.Run("hue sees Huế's own", func(t *testing.T) {
		a.t = t
		a.signIn("hue", "demo-password")
		a.wait("the unit dashboard", `document.querySelector("main h1").innerText.includes("Thừa Thiên Huế") && document.querySelector("[data-testid=status-tiles]") !== null`)
		a.wait("the tiles of the dashboard", `document.querySelectorAll(".kpi").length > 0 || document.querySelector("#kpi + .error") !== null`)
		// Its reporting of indicators for last month, as the API counts it.
		last := store.Today(store.SystemClock).Time().AddDate(0, 0, -store.Today(store.SystemClock).Time().Day()).Format("2006-01")
		var comp struct {
			KpiCompleteness []struct{ Expected, Submitted int }
		}
		api.must(`{ kpiCompleteness(period: "`+last+`", level: PROVINCE) { expected submitted } }`, &comp)
		if len(comp.KpiCompleteness) != 1 || comp.KpiCompleteness[0].Expected == 0 {
			t.Fatalf("hue's completeness for %s: %+v", last, comp)
		}
		a.wait("the completeness of the unit", `document.querySelector("[data-testid=completeness] a") !== null`)
		if got, want := a.text(`document.querySelector("[data-testid=completeness]").innerText`),
			fmt.Sprintf("%d/%d", comp.KpiCompleteness[0].Submitted, comp.KpiCompleteness[0].Expected); !strings.Contains(got, want) {
			t.Errorf("the dashboard says %q; the API counts %s", got, want)
		}
		a.look("dashboard-hue")

		a.open("/app/tasks?status=IN_PROGRESS&asOf=" + today + "&sort=DUE_DATE&dir=DESC")
		a.wait("the list", `document.querySelector("[data-testid=task-count]") !== null`)
		want := fmt.Sprintf("%d", hue.Tasks.TotalCount)
		if got := a.text(`document.querySelector("[data-testid=task-count]").innerText`); !strings.HasPrefix(got, want+" ") {
			t.Errorf("the list says %q; the API counts %s tasks in progress for hue", got, want)
		}
		a.look("tasks-hue")

		a.click(fmt.Sprintf(`tr[data-id=%q] a`, done.ID))
		a.wait("the task page", `document.querySelector("[data-testid=assignments] tbody tr") !== null`)
		if units := a.text(`[...document.querySelectorAll("[data-testid=assignments] .unit")].map(e => e.innerText).join("|")`); units != "Thừa Thiên Huế" {
			t.Errorf("hue sees the assignments of %q", units)
		}
		a.look("task")
	})

	t.Run("hue updates one and the list changes", func(t *testing.T) {
		a.t = t
		a.click(`[data-testid=assignments] .unit`)
		a.wait("the assignment page", `document.querySelector("[data-testid=update-form]") !== null`)
		a.look("assignment")
		a.fill("#state", "DONE")
		a.wait("the completion date", `document.querySelector("#completedOn") !== null`)
		a.fill("#completedOn", today)
		a.fill("#note", "Đã hoàn thành (kiểm thử trình duyệt)")
		a.click(`[data-testid=update-form] button[type=submit]`)
		a.wait("saved", `document.querySelector("[data-testid=saved]") !== null || document.querySelector(".error") !== null`)
		if msg := a.text(`document.querySelector("[data-testid=saved]")?.innerText ?? document.querySelector(".error").innerText`); !strings.Contains(msg, "Đã lưu") {
			t.Fatalf("saving says %q", msg)
		}
		if got := a.text(`document.querySelector("[data-testid=state]").innerText`); got != "Hoàn thành" {
			t.Errorf("after saving, the state shown is %q", got)
		}
		// Back to the list of tasks in progress: the task has left it.
		a.do("going back", chromedp.NavigateBack(), chromedp.NavigateBack())
		want := fmt.Sprintf("%d ", hue.Tasks.TotalCount-1)
		a.wait("the list without the task", fmt.Sprintf(`(c => c !== null && c.innerText.startsWith(%q))(document.querySelector("[data-testid=task-count]")) && document.querySelector(%q) === null`,
			want, fmt.Sprintf(`tr[data-id=%q]`, done.ID)))
	})

	t.Run("a second tab saved first", func(t *testing.T) {
		a.t = t
		b := newAppTab(t, browser, base, server, &log, a)
		path := "/app/assignments/" + url.PathEscape(clash.Assignments[0].ID)
		a.open(path)
		a.wait("the form in tab A", `document.querySelector("[data-testid=update-form]") !== null`)
		b.open(path)
		b.wait("the form in tab B", `document.querySelector("[data-testid=update-form]") !== null`)
		b.fill("#state", "IN_PROGRESS")
		b.fill("#progress", "55")
		b.click(`[data-testid=update-form] button[type=submit]`)
		b.wait("saved in tab B", `document.querySelector("[data-testid=saved]") !== null`)

		a.fill("#state", "IN_PROGRESS")
		a.fill("#progress", "60")
		a.click(`[data-testid=update-form] button[type=submit]`)
		a.wait("the conflict in tab A", `document.querySelector("[data-testid=conflict]") !== null || document.querySelector(".error") !== null`)
		msg := a.text(`document.querySelector("[data-testid=conflict]")?.innerText ?? ""`)
		if !strings.Contains(msg, "Người khác đã lưu trước") || !strings.Contains(msg, "55%") {
			t.Fatalf("tab A says %q; want someone else saved first, with their 55%%", msg)
		}
		if got := a.text(`document.querySelector("#progress").value`); got != "60" {
			t.Errorf("the form lost what was typed: progress %q", got)
		}
		a.look("assignment-conflict")
		// Saving again writes over their version, knowingly.
		a.click(`[data-testid=update-form] button[type=submit]`)
		a.wait("saved in tab A", `document.querySelector("[data-testid=saved]") !== null`)
		if got := a.text(`document.querySelector("[data-testid=progress]").innerText`); got != "60%" {
			t.Errorf("after saving over, progress shows %q", got)
		}
	})

	t.Run("hue reports with evidence", func(t *testing.T) {
		a.t = t
		pdf := filepath.Join(t.TempDir(), "biên bản.pdf")
		if err := os.WriteFile(pdf, []byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		a.fill("#report-text", "Đã triển khai tại 60% số xã")
		a.do("choosing the file", chromedp.SetUploadFiles(chromedp.CSS("#report-files"), []string{pdf}))
		a.click(`[data-testid=report-form] button[type=submit]`)
		a.wait("the report", `document.querySelector("[data-testid=report-sent]") !== null || document.querySelector("#new-report ~ .error") !== null`)
		a.wait("the report in the list", `[...document.querySelectorAll(".reports a")].some(a => a.innerText === "biên bản.pdf")`)
		got, err := chromedp.Run(a.ctx, chromedp.Evaluate[string](`fetch([...document.querySelectorAll(".reports a")].find(a => a.innerText === "biên bản.pdf").href)
			.then(r => r.text().then(b => r.status + " " + r.headers.get("Content-Type") + " " + b.slice(0, 8)))`, chromedp.EvalAwaitPromise))
		if err != nil || got != "200 application/pdf %PDF-1.4" {
			t.Errorf("downloading the evidence: %q %v", got, err)
		}
		a.look("assignment-report")
	})

	t.Run("hue's alerts, counted live", func(t *testing.T) {
		a.t = t
		var unread struct{ UnreadAlertCount int }
		api.must(`{ unreadAlertCount }`, &unread)
		a.open("/app/alerts")
		a.wait("the inbox", `document.querySelector("[data-testid=alert-count]") !== null`)
		badge := func() string {
			return a.text(`document.querySelector("[data-testid=alerts-link] .count-badge")?.innerText ?? "0"`)
		}
		if c := a.text(`document.querySelector("[data-testid=alert-count]").innerText.replace(/\D/g, "")`); c != fmt.Sprint(unread.UnreadAlertCount) || badge() != c {
			t.Fatalf("the inbox counts %s and the top bar %s unread alerts; the API %d", c, badge(), unread.UnreadAlertCount)
		}
		// The standing agency gives Huế a task due tomorrow; the next scan
		// raises its alert, and the top bar counts it without a reload.
		c06 := newSession(t, base)
		c06.login("c06", "demo-password")
		var doc struct {
			CreateDocument struct{ Document struct{ ID string } }
		}
		c06.must(`mutation { createDocument(input: {kind: CHI_THI, number: "98/CT-KIEMTHU", issuedOn: "`+today+`", issuer: "Thủ tướng Chính phủ", title: "Kiểm thử cảnh báo"}) { document { id } } }`, &doc)
		tomorrow := store.Today(store.SystemClock).AddDays(1)
		var task struct {
			CreateTask struct{ Task struct{ ID string } }
		}
		c06.must(fmt.Sprintf(`mutation { createTask(input: {document: %q, clause: "Mục 1", deadlineText: "ngày %d/%d/%d", title: "Việc đến hạn ngày mai"}) { task { id } } }`,
			doc.CreateDocument.Document.ID, tomorrow.Day, int(tomorrow.Month), tomorrow.Year), &task)
		c06.must(fmt.Sprintf(`mutation { assignTask(input: {task: %q, lead: ["46"]}) { userErrors { message } } }`, task.CreateTask.Task.ID), nil)
		admin := newSession(t, base)
		admin.login("admin", "demo-password")
		admin.must(`mutation { runJob(input: {job: "alert-scan"}) { userErrors { message } } }`, nil)
		a.wait("the new alert in the top bar", fmt.Sprintf(`(document.querySelector("[data-testid=alerts-link] .count-badge")?.innerText ?? "0") === %q`, fmt.Sprint(unread.UnreadAlertCount+1)))

		// Acknowledging one counts it out.
		a.open("/app/alerts")
		a.wait("the new alert in the inbox", fmt.Sprintf(`document.querySelector("[data-testid=alert-count]")?.innerText.replace(/\D/g, "") === %q`, fmt.Sprint(unread.UnreadAlertCount+1)))
		a.look("alerts")
		a.click(`[data-testid=alerts] input[type=checkbox]`)
		a.click(`.actions button.primary`)
		a.wait("one fewer", fmt.Sprintf(`document.querySelector("[data-testid=alert-count]").innerText.replace(/\D/g, "") === %q && (document.querySelector("[data-testid=alerts-link] .count-badge")?.innerText ?? "0") === %q`,
			fmt.Sprint(unread.UnreadAlertCount), fmt.Sprint(unread.UnreadAlertCount)))
		a.open("/app/reports?period=2023Q4")
		a.wait("the report links", `document.querySelector("[data-testid=report-links] a[href$='.pdf']") !== null`)
		if links := a.text(`[...document.querySelectorAll("[data-testid=report-links] a")].map(a => a.getAttribute("href")).join(" ")`); !strings.Contains(links, "/reports/46/2023Q4.pdf") {
			t.Errorf("Huế's report links: %s", links)
		}
		a.look("reports")
	})

	t.Run("hue asks for more time; c06 decides, enters a document and assigns", func(t *testing.T) {
		a.t = t
		var open struct {
			Assignments struct {
				Nodes []struct {
					ID      string
					DueDate *string
				}
			}
		}
		api.must(`{ assignments(filter: {orgUnit: "46", states: [NOT_STARTED, IN_PROGRESS]}, first: 50) { nodes { id dueDate } } }`, &open)
		var dated string // the task due tomorrow of the alerts' subtest, or another
		for _, n := range open.Assignments.Nodes {
			if n.DueDate != nil && dated == "" {
				dated = n.ID
			}
		}
		if dated == "" {
			t.Fatalf("hue has no open assignment with a due date: %+v", open)
		}
		path := "/app/assignments/" + url.PathEscape(dated)
		a.open(path)
		a.wait("the request form", `document.querySelector("[data-testid=ask-form]") !== null`)
		a.fill("#ext-deadline", "ngày 31/12/2030")
		a.fill("#ext-reason", "Chờ bố trí kinh phí")
		a.click(`[data-testid=ask-form] button[type=submit]`)
		a.wait("the pending request", `document.querySelector("[data-testid=extensions] .ext-PENDING") !== null`)

		c := newAppTab(t, browser, base, server, &log, nil)
		c.signIn("c06", "demo-password")
		c.open(path)
		c.wait("the decision form", `document.querySelector("[data-testid=decide-form]") !== null`)
		c.look("assignment-decide")
		c.fill("#ext-note", "Đồng ý")
		c.click(`[data-testid=decide-form] button.primary`)
		c.wait("approved, with the new due date", `document.querySelector("[data-testid=extensions] .ext-APPROVED") !== null && document.querySelector("[data-testid=facts]").innerText.includes("31/12/2030")`)

		// c06 enters a document and a task for Huế to lead, every other
		// province coordinating; the deadline is read back as it is typed.
		c.open("/app/documents/new")
		c.wait("the document form", `document.querySelector("[data-testid=doc-form]") !== null`)
		c.fill("#doc-number", "97/CT-KIEMTHU")
		c.fill("#doc-title", "Về kiểm thử ứng dụng")
		c.click(`[data-testid=doc-form] button[type=submit]`)
		c.wait("the task form", `document.querySelector("[data-testid=task-form]") !== null`)
		c.fill("#task-clause", "Mục 1")
		c.fill("#task-deadline", "quý I/2027")
		c.wait("the deadline read back", `document.querySelector("[data-testid=deadline-preview]").innerText.includes("31/03/2027")`)
		c.fill("#task-title", "Kiểm thử giao nhiệm vụ")
		c.fill("#task-lead", "46")
		c.click("#task-all-provinces")
		c.look("entry")
		c.click(`[data-testid=task-form] button[type=submit]`)
		c.wait("the task made and assigned", `(l => l !== null && l.innerText.includes("63"))(document.querySelector("[data-testid=tasks-made]"))`)
		c.click(`[data-testid=tasks-made] a`)
		c.wait("its assignments", `document.querySelectorAll("[data-testid=assignments] tbody tr").length === 63`)
	})

	t.Run("c06 imports the sample XLSX", func(t *testing.T) {
		sample, err := filepath.Abs("testdata/mau-nhap-nhiem-vu.xlsx")
		if err != nil {
			t.Fatal(err)
		}
		c := newAppTab(t, browser, base, server, &log, nil)
		c.signIn("c06", "demo-password")
		c.open("/app/documents/new")
		c.wait("the document form", `document.querySelector("[data-testid=doc-form]") !== null`)
		c.fill("#doc-number", "96/CT-KIEMTHU")
		c.fill("#doc-title", "Về kiểm thử nhập nhiệm vụ từ Excel")
		c.click(`[data-testid=doc-form] button[type=submit]`)
		c.wait("the import form", `document.querySelector("[data-testid=import-form]") !== null`)
		// The dry run: the sample's four tasks as read, no error, nothing stored.
		c.do("choosing the sample", chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{sample}))
		c.click(`[data-testid=import-form] button[type=submit]`)
		c.wait("the preview", `document.querySelector("[data-testid=import-count]") !== null || document.querySelector("[data-testid=import] .error") !== null`)
		if rows := c.text(`String(document.querySelectorAll("[data-testid=import-rows] tbody tr").length)`); rows != "4" || c.text(`String(document.querySelector("[data-testid=import-errors]"))`) != "null" {
			t.Fatalf("the dry run previews %s rows; the page says %.500s", rows, c.text(`document.querySelector("[data-testid=import]").innerText`))
		}
		if row := c.text(`document.querySelector("[data-testid=import-rows] tbody tr").innerText`); !strings.Contains(row, "quý I/2027") || !strings.Contains(row, "31/03/2027") || !strings.Contains(row, "Bộ Công an") {
			t.Errorf("the first row previews as %q", row)
		}
		c.look("import-preview")
		// The import, then its tasks in the list filtered by the document.
		c.click(`[data-testid=import-commit]`)
		c.wait("imported", `document.querySelector("[data-testid=import-done]") !== null || document.querySelector("[data-testid=import] .error") !== null`)
		if msg := c.text(`document.querySelector("[data-testid=import-done]")?.innerText ?? document.querySelector("[data-testid=import] .error").innerText`); !strings.Contains(msg, "Đã nhập 4 nhiệm vụ") {
			t.Fatalf("importing says %q", msg)
		}
		list := c.text(`document.querySelector("[data-testid=import-done] a").getAttribute("href")`)
		c.click(`[data-testid=import-done] a`)
		c.wait("the imported tasks", `location.pathname === "/app/tasks" && document.querySelector("[data-testid=task-count]") !== null && document.querySelectorAll("table.tasks tbody tr").length > 0`)
		if got := c.text(`document.querySelector("[data-testid=task-count]").innerText`); !strings.HasPrefix(got, "4 ") {
			t.Errorf("the document's list says %q, want its 4 imported tasks", got)
		}
		if titles := c.text(`document.querySelector("table.tasks tbody").innerText`); !strings.Contains(titles, "Số hóa hồ sơ di tích") {
			t.Errorf("the imported tasks listed: %.500s", titles)
		}
		// The same file again, on the import page, the document found by its
		// title without diacritics: every row is a task the document has,
		// and nothing can be imported.
		doc, err := url.QueryUnescape(strings.TrimPrefix(list, "/app/tasks?doc="))
		if err != nil {
			t.Fatal(err)
		}
		c.open("/app/import")
		c.fill("#import-q", "nhap nhiem vu tu excel")
		c.click(`form.asof button[type=submit]`)
		c.wait("the document found", fmt.Sprintf(`location.search.includes("q=") && document.querySelector(%q) !== null`, `[data-testid=doc-choices] a[href*="doc=`+url.QueryEscape(doc)+`"]`))
		c.click(fmt.Sprintf(`[data-testid=doc-choices] a[href*="doc=%s"]`, url.QueryEscape(doc)))
		c.wait("the import form", `document.querySelector("[data-testid=import-form]") !== null`)
		c.do("choosing the sample", chromedp.SetUploadFiles(chromedp.CSS("#import-file"), []string{sample}))
		c.click(`[data-testid=import-form] button[type=submit]`)
		c.wait("the row errors", `document.querySelector("[data-testid=import-count]") !== null || document.querySelector("[data-testid=import] .error") !== null`)
		if n := c.text(`String(document.querySelectorAll("[data-testid=import-errors] tbody tr").length)`); n != "4" || c.text(`String(document.querySelector("[data-testid=import-commit]"))`) != "null" {
			t.Errorf("importing the sample twice shows %s row errors (want 4, and no import button): %.800s", n, c.text(`document.querySelector("[data-testid=import]").innerText`))
		}
		c.look("import-errors")
	})

	t.Run("c06 sets a province's targets", func(t *testing.T) {
		c := newAppTab(t, browser, base, server, &log, nil)
		c.signIn("c06", "demo-password")
		// The top bar links to it (followed by address: the bar's unread
		// count arriving moves the links under a click).
		c.wait("the link in the top bar", `document.querySelector('header nav a[href="/app/targets"]') !== null`)
		c.open("/app/targets")
		c.wait("the national targets", `document.querySelector("[data-testid=targets-grid] tr[data-code] input") !== null`)
		c.wait("the units", `document.querySelector("#targets-unit option[value='46']") !== null`)
		c.fill("#targets-unit", "46")
		c.fill("#targets-period", "2027")
		c.click(`form.asof button[type=submit]`)
		c.wait("Huế's targets for 2027", `location.search.includes("unit=46") && location.search.includes("period=2027") && document.querySelector("[data-testid=targets-grid] tr[data-code] input") !== null`)
		code := c.text(`document.querySelector("[data-testid=targets-grid] tr[data-code]").dataset.code`)
		row := fmt.Sprintf(`[data-testid=targets-grid] tr[data-code=%q]`, code)
		api := newSession(t, base)
		api.login("c06", "demo-password")
		saved := func() string {
			var out struct {
				KpiTargets []struct {
					Indicator struct{ Code string }
					Value     float64
				}
			}
			api.must(`{ kpiTargets(orgUnit: "46", period: "2027") { indicator { code } value } }`, &out)
			for _, x := range out.KpiTargets {
				if x.Indicator.Code == code {
					return fmt.Sprint(x.Value)
				}
			}
			return ""
		}
		// A negative target is refused on its row, and nothing is saved.
		c.fill(row+" input", "-5")
		c.click(`[data-testid=targets-grid] button[type=submit]`)
		c.wait("the refusal on its row", fmt.Sprintf(`document.querySelector(%q) !== null`, row+" .field-error"))
		if v := saved(); v != "" {
			t.Errorf("a refused target was saved: %s", v)
		}
		c.fill(row+" input", "75")
		c.click(`[data-testid=targets-grid] button[type=submit]`)
		c.wait("saved", fmt.Sprintf(`document.querySelector("[data-testid=targets-saved]") !== null && document.querySelector(%q).innerText.startsWith("75")`, row+" [data-testid=target-now]"))
		if v := saved(); v != "75" {
			t.Errorf("the target of %s for Huế, 2027, is %q; want 75", code, v)
		}
		c.look("targets")
	})

	t.Run("admin makes a user, grants a role, a token, and reads the audit log", func(t *testing.T) {
		ad := newAppTab(t, browser, base, server, &log, nil)
		ad.signIn("admin", "demo-password")
		ad.wait("the link in the top bar", `document.querySelector('header nav a[href="/app/admin/users"]') !== null`)
		ad.open("/app/admin/users")
		ad.wait("the users", `document.querySelector("[data-testid=users] tr[data-username=hue]") !== null`)
		ad.look("admin-users")
		ad.click(`details.new-user summary`)
		ad.fill("#new-username", "kiem-thu-quan-tri")
		ad.fill("#new-displayName", "Kiểm thử quản trị")
		ad.fill("#new-orgUnit", "46")
		ad.fill("#new-password", "mat-khau-kiem-thu")
		ad.click(`[data-testid=new-user] button[type=submit]`)
		ad.wait("the new user's page", `location.pathname.startsWith("/app/admin/users/") && document.querySelector("[data-testid=grant-form]") !== null`)
		ad.fill("#grant-role", "PROVINCE_EDITOR")
		ad.fill("#grant-unit", "46")
		ad.click(`[data-testid=grant-form] button[type=submit]`)
		ad.wait("the role granted", `(g => g !== null && g.innerText.includes("Thừa Thiên Huế"))(document.querySelector("[data-testid=grants]"))`)
		ad.fill("#token-name", "Đồng bộ kiểm thử")
		ad.click(`[data-testid=token-form] button[type=submit]`)
		ad.wait("the token, shown once", `document.querySelector("[data-testid=token-made] code") !== null && document.querySelectorAll("[data-testid=tokens] tbody tr").length === 1`)
		token := ad.text(`document.querySelector("[data-testid=token-made] code").innerText`)
		req, _ := http.NewRequest(http.MethodPost, base+"/query", strings.NewReader(`{"query": "{ me { user { username } } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var who struct {
			Data struct {
				Me struct{ User struct{ Username string } }
			}
		}
		json.NewDecoder(res.Body).Decode(&who)
		res.Body.Close()
		if who.Data.Me.User.Username != "kiem-thu-quan-tri" {
			t.Errorf("the token shown signs in as %q", who.Data.Me.User.Username)
		}
		ad.look("admin-user")
		ad.click(`[data-testid=tokens] tbody button`)
		ad.wait("the token revoked", `document.querySelector("[data-testid=tokens] tbody .badge") !== null`)
		ad.click(`[data-testid=toggle-user]`)
		ad.wait("the user disabled", `document.querySelector("[data-testid=user-state]").innerText === "Đã khóa"`)

		// The audit log, filtered to the users' actions, counts what the API does.
		ad.open("/app/admin/audit")
		ad.wait("the log", `document.querySelector("[data-testid=audit-count]") !== null`)
		ad.fill("#audit-action", "token.")
		ad.click(`[data-testid=audit-filter] button[type=submit]`)
		ad.wait("the filtered log", `location.search.includes("action=token.") && document.querySelector("[data-testid=audit] tbody tr") !== null`)
		api := newSession(t, base)
		api.login("admin", "demo-password")
		var audit struct{ AuditLog struct{ TotalCount int } }
		api.must(`{ auditLog(filter: {action: "token."}) { totalCount } }`, &audit)
		if got := ad.text(`document.querySelector("[data-testid=audit-count]").innerText.replace(/\D/g, "")`); got != fmt.Sprint(audit.AuditLog.TotalCount) || audit.AuditLog.TotalCount < 2 {
			t.Errorf("the filtered log counts %s entries, the API %d", got, audit.AuditLog.TotalCount)
		}
		if other := ad.text(`[...document.querySelectorAll("[data-testid=audit] tbody tr")].map(r => r.dataset.action).filter(a => !a.startsWith("token.")).join()`); other != "" {
			t.Errorf("the log filtered on token. shows %s", other)
		}
		ad.look("admin-audit")
	})

	t.Run("hue changes the password", func(t *testing.T) {
		a.t = t
		a.open("/app/password")
		a.look("password")
		a.fill("#current", "demo-password")
		a.fill("#next", "new-demo-password")
		a.fill("#again", "new-demo-password")
		a.click(`form button[type=submit]`)
		a.wait("signed out with a notice", `location.pathname === "/app/sign-in" && document.querySelector(".notice") !== null`)
		a.signIn("hue", "new-demo-password")
	})

	t.Run("hanoi enters a month, hanoi-approver approves", func(t *testing.T) {
		h := newAppTab(t, browser, base, server, &log, nil)
		h.signIn("hanoi", "demo-password")
		h.open("/app/indicators?period=2024-01")
		h.wait("the grid", `document.querySelector("tr[data-code='P06.01'] input") !== null`)
		// A negative count is refused inline, and nothing is saved.
		h.fill(`tr[data-code='766-1.1'] input`, "50")
		h.fill(`tr[data-code='766-1.1'] input:nth-of-type(2)`, "100")
		h.fill(`tr[data-code='P06.02'] input`, "-5")
		h.click(`[data-testid=entry-grid] .actions button.primary`)
		h.wait("the problem on its row", `document.querySelector("tr[data-code='P06.02'] .field-error") !== null`)
		if n := h.text(`String(document.querySelectorAll(".badge.val-SUBMITTED").length)`); n != "0" {
			t.Errorf("%s values submitted along with a refused one", n)
		}
		h.look("indicators-problem")
		h.fill(`tr[data-code='P06.02'] input`, "3000000")
		h.click(`[data-testid=entry-grid] .actions button.primary`)
		h.wait("submitted", `document.querySelector("[data-testid=values-saved]") !== null && document.querySelectorAll(".badge.val-SUBMITTED").length === 2`)
		// February: 95% after January's 50% is a jump beyond the indicator's
		// 50% threshold, to confirm.
		h.open("/app/indicators?period=2024-02")
		h.wait("February's grid", `document.querySelector("main h1").innerText.includes("2024-02") && document.querySelector("tr[data-code='766-1.1'] input") !== null`)
		h.fill(`tr[data-code='766-1.1'] input`, "95")
		h.fill(`tr[data-code='766-1.1'] input:nth-of-type(2)`, "100")
		h.click(`[data-testid=entry-grid] .actions button.primary`)
		h.wait("the jump warning", `document.querySelector("[data-testid=jump-warning]") !== null && document.querySelector("tr[data-code='766-1.1'].warn") !== null`)
		if e := h.text(`document.querySelector("main .error")?.innerText ?? ""`); e != "" {
			t.Errorf("with the jump to confirm, the page also says %q", e)
		}
		h.look("indicators-jump")
		h.click(`[data-testid=jump-warning] button`)
		h.wait("submitted", `document.querySelector("[data-testid=values-saved]") !== null && document.querySelectorAll(".badge.val-SUBMITTED").length === 1`)

		ap := newAppTab(t, browser, base, server, &log, nil)
		ap.signIn("hanoi-approver", "demo-password")
		ap.open("/app/approvals")
		ap.wait("the queue", `document.querySelector("[data-testid=queue-count]") !== null`)
		before := ap.text(`document.querySelector("[data-testid=queue-count]").innerText.replace(/\D/g, "")`)
		if before != "3" {
			t.Errorf("the approver's queue counts %s values, want the 3 submitted", before)
		}
		ap.look("approvals")
		ap.click(`.actions button:not(.primary)`)
		ap.wait("approved", `document.querySelector("[data-testid=queue-count]").innerText.replace(/\D/g, "") === "0"`)
		h.open("/app/indicators?period=2024-01")
		h.wait("approved, locked", `document.querySelectorAll(".badge.val-APPROVED").length === 2 && document.querySelector("tr[data-code='P06.02'] input").disabled`)
	})

	t.Run("vpcp sees the review's figures", func(t *testing.T) {
		v := newAppTab(t, browser, base, server, &log, nil)
		v.signInByKeyboard("vpcp", "demo-password")
		v.wait("the national dashboard", `document.querySelector("main h1").innerText === "Tổng quan toàn quốc"`)
		v.wait("the indicator tiles", `document.querySelectorAll(".kpi").length > 0`)

		// The first load of the dashboard, signed in, with an empty cache:
		// what is fetched, compressed as it came (logged, see BENCHMARKS.md).
		if _, err := chromedp.Call(v.ctx, network.ClearBrowserCache, cdp.Empty{}); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var requests, graphql int
		var bytesIn float64
		measuring := true
		err := chromedp.Listen(v.ctx, func(ev any) {
			mu.Lock()
			defer mu.Unlock()
			if !measuring {
				return
			}
			switch ev := ev.(type) {
			case *network.EventRequestWillBeSent:
				requests++
				if strings.HasSuffix(ev.Request.URL, "/query") {
					graphql++
				}
			case *network.EventLoadingFinished:
				bytesIn += ev.EncodedDataLength
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := chromedp.Call(v.ctx, network.Enable, network.EnableParams{}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		v.open("/app/?asOf=2023-12-21")
		v.wait("the whole dashboard", `document.querySelectorAll("[data-testid=compare-table] tbody tr").length === 63 && document.querySelectorAll(".kpi .figure").length > 0 && document.querySelector("ol.overdue") !== null && !document.querySelector("section.stale")`)
		elapsed := time.Since(start)
		mu.Lock()
		measuring = false
		t.Logf("first load of the national dashboard (empty cache, signed in): %d requests (%d GraphQL), %.0f KB as sent, complete in %v",
			requests, graphql, bytesIn/1024, elapsed.Round(time.Millisecond))
		mu.Unlock()

		v.open("/app/")
		v.click(`form.asof button`)
		v.wait("the review's date", `location.search.includes("asOf=2023-12-21") && document.querySelector("[data-testid=status-tiles]") !== null && !document.querySelector("section.stale")`)
		v.wait("the comparison table", `document.querySelectorAll("[data-testid=compare-table] tbody tr").length === 63`)
		v.wait("the indicator tiles", `document.querySelectorAll(".kpi .figure").length > 0`)
		shown := v.text(`JSON.stringify(Object.fromEntries([...document.querySelectorAll("[data-testid=status-tiles] a[data-status]")]
			.map(a => [a.dataset.status, a.querySelector(".figure").innerText.replace(/\D/g, "")])))`)
		var got map[string]string
		if err := json.Unmarshal([]byte(shown), &got); err != nil {
			t.Fatalf("%v: %s", err, shown)
		}
		api := newSession(t, base)
		api.login("vpcp", "demo-password")
		var want struct {
			ProgrammeSummary struct {
				TaskCount int
				ByStatus  []struct {
					Status string
					Count  int
				}
			}
			UnreadAlertCount int
		}
		api.must(`{ programmeSummary(asOf: "2023-12-21") { taskCount byStatus { status count } } unreadAlertCount }`, &want)
		if got["ALL"] != fmt.Sprint(want.ProgrammeSummary.TaskCount) {
			t.Errorf("the dashboard shows %s tasks, programmeSummary %d", got["ALL"], want.ProgrammeSummary.TaskCount)
		}
		for _, b := range want.ProgrammeSummary.ByStatus {
			if got[b.Status] != fmt.Sprint(b.Count) {
				t.Errorf("%s: the dashboard shows %q, programmeSummary %d", b.Status, got[b.Status], b.Count)
			}
		}
		if a := v.text(`document.querySelector("[data-testid=unread-alerts]").innerText.replace(/\D/g, "")`); a != fmt.Sprint(want.UnreadAlertCount) {
			t.Errorf("unread alerts: the dashboard shows %q, the API %d", a, want.UnreadAlertCount)
		}
		v.do("opening the chart", chromedp.Click(chromedp.CSS(`details.chart summary`)))
		v.wait("the chart", `(i => i.complete && i.naturalWidth > 0)(document.querySelector("details.chart img"))`)
		v.look("dashboard-national")

		// The overdue figure leads to the list of exactly those tasks.
		v.click(`[data-testid=status-tiles] a[data-status=OVERDUE]`)
		v.wait("the overdue list", `location.pathname === "/app/tasks" && document.querySelector("[data-testid=task-count]") !== null`)
		if c := v.text(`document.querySelector("[data-testid=task-count]").innerText.replace(/\D/g, "")`); c != got["OVERDUE"] {
			t.Errorf("the overdue tile says %s, its list %s", got["OVERDUE"], c)
		}
		v.look("tasks-overdue")

		// English, remembered.
		v.click(`header button.lang`)
		v.open("/app/")
		if h := v.text(`document.querySelector("main h1").innerText`); h != "National dashboard" {
			t.Errorf("after choosing English and reloading, the heading is %q", h)
		}
		v.click(`header button.lang`)
		v.click(`header .tools button.link`)
		v.wait("signed out", `location.pathname === "/app/sign-in" && document.querySelector(".notice") !== null`)
	})
}
