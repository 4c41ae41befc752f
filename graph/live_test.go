package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"p06/auth"
	"p06/events"
	"p06/graph"
	"p06/rbac"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
)

// liveStack is the whole HTTP stack (auth middleware, GraphQL handler) with
// its own events broker: one server process.
type liveStack struct {
	url    string
	broker events.Broker
	svc    *auth.Service
}

func newLiveStack(t *testing.T, db *store.DB, lim graph.Limits) *liveStack {
	t.Helper()
	ctx := context.Background()
	clock := store.ShiftedClock(0) // real cookies: the real clock
	authz, err := rbac.NewAuthorizer(ctx, db, 0)
	if err != nil {
		t.Fatal(err)
	}
	svc := auth.NewService(db, authz, clock, auth.DefaultConfig)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	broker, err := events.New(ctx, db, log)
	if err != nil {
		t.Fatal(err)
	}
	r := graph.NewResolver(db, svc, clock)
	r.UseEvents(broker)
	srv := httptest.NewServer(svc.Middleware(graph.NewHandler(r, lim, log)))
	t.Cleanup(func() {
		broker.Close() // closes the live connections first
		srv.Close()
	})
	return &liveStack{url: srv.URL, broker: broker, svc: svc}
}

// waitSubscribers waits until the stack's broker has n subscriptions: a
// subscription is registered asynchronously after its subscribe message.
func (s *liveStack) waitSubscribers(t *testing.T, n int) {
	t.Helper()
	counter := s.broker.(interface{ Subscribers() int })
	deadline := time.Now().Add(10 * time.Second)
	for counter.Subscribers() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d subscriptions, want %d", counter.Subscribers(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// wsClient speaks graphql-transport-ws.
type wsClient struct {
	t *testing.T
	c *websocket.Conn
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// dialLive opens a connection to the stack's /query with header (cookies,
// Origin); the dial's error is returned (with the HTTP response), not fatal.
func dialLive(t *testing.T, url string, header http.Header) (*wsClient, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http"),
		&websocket.DialOptions{HTTPHeader: header, Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return nil, res, err
	}
	t.Cleanup(func() { c.CloseNow() })
	return &wsClient{t: t, c: c}, res, nil
}

func (w *wsClient) send(m wsMessage) {
	w.t.Helper()
	b, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.c.Write(ctx, websocket.MessageText, b); err != nil {
		w.t.Fatal(err)
	}
}

// next reads the next message that is not a ping or pong (answering pings),
// waiting at most 10 s; a closed connection is returned as the error.
func (w *wsClient) next() (wsMessage, error) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		_, b, err := w.c.Read(ctx)
		if err != nil {
			return wsMessage{}, err
		}
		var m wsMessage
		if err := json.Unmarshal(b, &m); err != nil {
			w.t.Fatalf("unreadable message %s", b)
		}
		switch m.Type {
		case "ping":
			w.send(wsMessage{Type: "pong"})
		case "pong":
		default:
			return m, nil
		}
	}
}

func (w *wsClient) mustNext() wsMessage {
	w.t.Helper()
	m, err := w.next()
	if err != nil {
		w.t.Fatalf("waiting for a message: %v", err)
	}
	return m
}

// init sends connection_init with payload and returns the answer.
func (w *wsClient) init(payload map[string]any) (wsMessage, error) {
	w.t.Helper()
	b, _ := json.Marshal(payload)
	w.send(wsMessage{Type: "connection_init", Payload: b})
	return w.next()
}

func (w *wsClient) subscribe(id, query string, vars map[string]any) {
	w.t.Helper()
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	w.send(wsMessage{ID: id, Type: "subscribe", Payload: b})
}

// liveEvent is a "next" message's payload.
type liveEvent struct {
	Data struct {
		AssignmentUpdated struct {
			Kind       string
			Assignment struct {
				ID       string
				Version  int
				Progress int
				OrgUnit  struct{ Code string }
			}
		}
	}
	Errors []struct {
		Message    string
		Extensions map[string]any
	}
}

// event reads the next message, which must be a "next" of subscription id.
func (w *wsClient) event(id string) liveEvent {
	w.t.Helper()
	m := w.mustNext()
	if m.Type != "next" || m.ID != id {
		w.t.Fatalf("got %s %s %s, want next of %s", m.Type, m.ID, m.Payload, id)
	}
	var ev liveEvent
	if err := json.Unmarshal(m.Payload, &ev); err != nil {
		w.t.Fatal(err)
	}
	if len(ev.Errors) > 0 {
		w.t.Fatalf("event with errors: %s", m.Payload)
	}
	return ev
}

// refusal reads the answer to a subscription refused when it starts (its
// resolver's error, then complete) and returns the error's code.
func (w *wsClient) refusal(id string) string {
	w.t.Helper()
	m := w.mustNext()
	if m.ID != id {
		w.t.Fatalf("got %s %s %s, want the refusal of %s", m.Type, m.ID, m.Payload, id)
	}
	code := w.refusalOf(m)
	if end := w.mustNext(); end.Type != "complete" || end.ID != id {
		w.t.Fatalf("after the refusal of %s: %s %s %s", id, end.Type, end.ID, end.Payload)
	}
	return code
}

// refusalOf is the code of the first error of m, a "next" or "error".
func (w *wsClient) refusalOf(m wsMessage) string {
	w.t.Helper()
	var errs []struct{ Extensions map[string]any }
	switch m.Type {
	case "next":
		var p struct {
			Errors []struct{ Extensions map[string]any }
		}
		_ = json.Unmarshal(m.Payload, &p)
		errs = p.Errors
	case "error":
		_ = json.Unmarshal(m.Payload, &errs)
	}
	if len(errs) == 0 {
		w.t.Fatalf("no error in %s %s", m.Type, m.Payload)
	}
	code, _ := errs[0].Extensions["code"].(string)
	return code
}

const liveSubscription = `subscription($u: String) { assignmentUpdated(orgUnit: $u) {
	kind assignment { id version progress orgUnit { code } } } }`

// sessionHeader signs username in through the stack and returns the header
// a same-origin browser sends on the upgrade: its cookies and Origin.
func sessionHeader(t *testing.T, url, username string) (http.Header, *browser) {
	t.Helper()
	b := newBrowser(t, url)
	b.login(username)
	u, _ := neturl.Parse(url)
	h := http.Header{}
	for _, c := range b.c.Jar.Cookies(u) {
		h.Add("Cookie", c.Name+"="+c.Value)
	}
	h.Set("Origin", url)
	return h, b
}

// addEditor creates a second editor of unit 46 ("hue2"), hue's colleague.
func addEditor(t *testing.T, svc *auth.Service, username, unit string) {
	t.Helper()
	ctx := context.Background()
	u, err := svc.CreateUser(ctx, nil, auth.NewUser{Username: username, DisplayName: username, OrgUnit: unit, Password: "demo-password"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GrantRole(ctx, nil, u.ID, rbac.ProvinceEditor, unit); err != nil {
		t.Fatal(err)
	}
}

// bump sets progress on assignment id (at version v) as browser b.
func bump(t *testing.T, b *browser, id string, v, progress int) {
	t.Helper()
	var out updateOut
	r := b.do(updateMutation, map[string]any{"in": map[string]any{"assignment": id, "expectedVersion": v,
		"state": "IN_PROGRESS", "progress": progress}}, &out)
	if len(r.Errors) > 0 || len(out.UpdateAssignment.UserErrors) > 0 || out.UpdateAssignment.Assignment == nil {
		t.Fatalf("update %s: %+v %+v", id, r.Errors, out.UpdateAssignment.UserErrors)
	}
}

// openAssignment returns an open lead assignment of unit as b sees it.
func openAssignment(t *testing.T, b *browser, unit string) (string, int) {
	t.Helper()
	var out struct {
		Assignments struct {
			Nodes []struct {
				ID      string
				Version int
			}
		}
	}
	r := b.do(`query($u: String) { assignments(first: 1, filter: {orgUnit: $u, roles: [LEAD], states: [NOT_STARTED, IN_PROGRESS]}) { nodes { id version } } }`,
		map[string]any{"u": unit}, &out)
	if len(r.Errors) > 0 || len(out.Assignments.Nodes) == 0 {
		t.Fatalf("no open lead assignment of %s: %+v", unit, r.Errors)
	}
	return out.Assignments.Nodes[0].ID, out.Assignments.Nodes[0].Version
}

// A subscriber receives the changes made by other clients to assignments it
// may read, and nothing else: hue (session cookie) sees its colleague's
// update of a Huế assignment and not hanoi's; c06 (token in
// connection_init, national scope) filtered on unit 46 sees Huế's and not
// Hà Nội's; a unit out of scope is NOT_FOUND at subscribe time.
func TestLiveUpdates(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			db := seedtest.Fresh(t, d)
			s := newLiveStack(t, db, graph.DefaultLimits)
			addEditor(t, s.svc, "hue2", "46")

			hueHeader, _ := sessionHeader(t, s.url, "hue")
			hue, _, err := dialLive(t, s.url, hueHeader)
			if err != nil {
				t.Fatal(err)
			}
			if m, err := hue.init(nil); err != nil || m.Type != "connection_ack" {
				t.Fatalf("init: %+v %v", m, err)
			}

			c06Browser := newBrowser(t, s.url)
			c06Browser.login("c06")
			var tok struct{ CreateApiToken struct{ Token string } }
			if r := c06Browser.do(`mutation { createApiToken(input: {name: "live"}) { token } }`, nil, &tok); len(r.Errors) > 0 {
				t.Fatal(r.Errors)
			}
			c06, _, err := dialLive(t, s.url, nil) // no cookie, no Origin: a server-side client
			if err != nil {
				t.Fatal(err)
			}
			if m, err := c06.init(map[string]any{"Authorization": "Bearer " + tok.CreateApiToken.Token}); err != nil || m.Type != "connection_ack" {
				t.Fatalf("init with token: %+v %v", m, err)
			}

			// Out of scope (and unknown) units are NOT_FOUND at subscribe time.
			// A code that cannot be one is INVALID.
			for unit, want := range map[string]string{"01": "NOT_FOUND", "NO-SUCH-UNIT": "NOT_FOUND", "no-such-unit": "INVALID"} {
				hue.subscribe("bad-"+unit, liveSubscription, map[string]any{"u": unit})
				if code := hue.refusal("bad-" + unit); code != want {
					t.Fatalf("subscribing on %s as hue: %s, want %s", unit, code, want)
				}
			}

			hue.subscribe("1", liveSubscription, nil)
			c06.subscribe("a", liveSubscription, map[string]any{"u": "46"})
			s.waitSubscribers(t, 2)

			_, colleague := sessionHeader(t, s.url, "hue2")
			_, hanoi := sessionHeader(t, s.url, "hanoi")
			hueID, hueV := openAssignment(t, colleague, "46")
			hanoiID, hanoiV := openAssignment(t, hanoi, "01")

			// Hà Nội's change first, then Huế's: events come in order, so
			// if either subscriber were told of Hà Nội's, it would come first.
			bump(t, hanoi, hanoiID, hanoiV, 41)
			bump(t, colleague, hueID, hueV, 42)
			for _, sub := range []struct {
				c  *wsClient
				id string
			}{{hue, "1"}, {c06, "a"}} {
				ev := sub.c.event(sub.id).Data.AssignmentUpdated
				if ev.Kind != "UPDATED" || ev.Assignment.ID != hueID || ev.Assignment.Progress != 42 ||
					ev.Assignment.Version != hueV+1 || ev.Assignment.OrgUnit.Code != "46" {
					t.Fatalf("subscription %s got %+v, want the update of %s to 42%%", sub.id, ev, hueID)
				}
			}

			// Unsubscribing ends the subscription at the broker.
			hue.send(wsMessage{ID: "1", Type: "complete"})
			c06.send(wsMessage{ID: "a", Type: "complete"})
			s.waitSubscribers(t, 0)
		})
	}
}

// The Origin of an upgrade is checked against the server's own and the
// CORS list: a page of another site cannot open a connection with its
// visitor's cookie (cross-site WebSocket hijacking). A bad token in
// connection_init closes the connection with 4403; no credentials at all
// with 4401.
func TestLiveOriginAndCredentials(t *testing.T) {
	t.Parallel()
	db := seedtest.Fresh(t, store.SQLite)
	lim := graph.DefaultLimits
	lim.Origins = []string{"https://app.example.gov.vn"}
	s := newLiveStack(t, db, lim)
	header, _ := sessionHeader(t, s.url, "hue")

	header.Set("Origin", "https://evil.example.com")
	if _, res, err := dialLive(t, s.url, header); err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: err %v, response %+v; want 403", err, res)
	}
	header.Set("Origin", "https://app.example.gov.vn")
	w, _, err := dialLive(t, s.url, header)
	if err != nil {
		t.Fatalf("listed origin refused: %v", err)
	}
	if m, err := w.init(nil); err != nil || m.Type != "connection_ack" {
		t.Fatalf("listed origin, cookie: %+v %v", m, err)
	}

	for _, c := range []struct {
		payload map[string]any
		status  websocket.StatusCode
	}{
		{map[string]any{"Authorization": "Bearer p06_not-a-token"}, 4403},
		{nil, 4401},
	} {
		w, _, err := dialLive(t, s.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.init(c.payload)
		if got := websocket.CloseStatus(err); got != c.status {
			t.Fatalf("init %v: closed with %d (%v), want %d", c.payload, got, err, c.status)
		}
	}
}

// Connections and subscriptions are bounded: per user, and per connection.
func TestLiveLimits(t *testing.T) {
	t.Parallel()
	db := seedtest.Fresh(t, store.SQLite)
	lim := graph.DefaultLimits
	lim.LiveConnsPerUser, lim.LiveSubscriptions = 1, 1
	s := newLiveStack(t, db, lim)
	header, _ := sessionHeader(t, s.url, "hue")
	w, _, err := dialLive(t, s.url, header)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := w.init(nil); err != nil || m.Type != "connection_ack" {
		t.Fatalf("init: %+v %v", m, err)
	}
	w.subscribe("1", liveSubscription, nil)
	w.subscribe("2", liveSubscription, nil)
	// The two are started concurrently: either may be the one refused.
	m := w.mustNext()
	if code := w.refusalOf(m); code != "FORBIDDEN" {
		t.Fatalf("second subscription on one connection: %s %s %s", m.Type, m.ID, m.Payload)
	}
	if m := w.mustNext(); m.Type != "complete" {
		t.Fatalf("after the refusal: %s %s", m.Type, m.Payload)
	}
	s.waitSubscribers(t, 1)

	// An event's selection is priced like any query's: it cannot be made
	// expensive.
	w.subscribe("dear", `subscription { assignmentUpdated { assignment { task { assignments { task { assignments {
		task { assignments { id } } } } } } } } }`, nil)
	if code := w.refusal("dear"); code != "COMPLEXITY_LIMIT_EXCEEDED" {
		t.Fatalf("an expensive subscription: %s, want COMPLEXITY_LIMIT_EXCEEDED", code)
	}

	second, _, err := dialLive(t, s.url, header)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := second.init(nil); websocket.CloseStatus(err) != 4429 {
		t.Fatalf("second connection of one user: %v, want closed with 4429", err)
	}
	// Closing the broker (shutdown) ends the subscription and the connection.
	s.broker.Close()
	for {
		m, err := w.next()
		if err != nil {
			var ce websocket.CloseError
			if !errors.As(err, &ce) {
				t.Fatalf("after shutdown: %v, want the server to close the connection", err)
			}
			break
		}
		if m.Type != "complete" {
			t.Fatalf("after shutdown: %s %s", m.Type, m.Payload)
		}
	}
}

// On PostgreSQL, a change made through one server process reaches the
// subscribers of another (LISTEN/NOTIFY): two stacks, each with its own
// broker and listener, on one database.
func TestLiveAcrossProcesses(t *testing.T) {
	t.Parallel()
	if !slicesContains(storetest.Dialects(), store.Postgres) {
		t.Skip("needs TEST_DATABASE_URL (PostgreSQL)")
	}
	db := seedtest.Fresh(t, store.Postgres)
	a := newLiveStack(t, db, graph.DefaultLimits)
	b := newLiveStack(t, db, graph.DefaultLimits)

	header, _ := sessionHeader(t, b.url, "hue")
	w, _, err := dialLive(t, b.url, header)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := w.init(nil); err != nil || m.Type != "connection_ack" {
		t.Fatalf("init: %+v %v", m, err)
	}
	w.subscribe("1", liveSubscription, nil)
	b.waitSubscribers(t, 1)

	_, hueOnA := sessionHeader(t, a.url, "hue")
	id, v := openAssignment(t, hueOnA, "46")
	bump(t, hueOnA, id, v, 37)
	ev := w.event("1").Data.AssignmentUpdated
	if ev.Assignment.ID != id || ev.Assignment.Progress != 37 || ev.Kind != "UPDATED" {
		t.Fatalf("got %+v, want the update of %s made through the other process", ev, id)
	}
}

func slicesContains(ds []store.Dialect, d store.Dialect) bool {
	for _, x := range ds {
		if x == d {
			return true
		}
	}
	return false
}

// Signing out ends the subscriptions of the session's connections: the
// next event is not sent, the subscription ends with UNAUTHENTICATED.
func TestLiveSessionEnds(t *testing.T) {
	t.Parallel()
	db := seedtest.Fresh(t, store.SQLite)
	lim := graph.DefaultLimits
	lim.LiveRecheck = 0 // check at every event
	s := newLiveStack(t, db, lim)
	addEditor(t, s.svc, "hue2", "46")
	header, hue := sessionHeader(t, s.url, "hue")
	w, _, err := dialLive(t, s.url, header)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := w.init(nil); err != nil || m.Type != "connection_ack" {
		t.Fatalf("init: %+v %v", m, err)
	}
	w.subscribe("1", liveSubscription, nil)
	s.waitSubscribers(t, 1)

	_, colleague := sessionHeader(t, s.url, "hue2")
	id, v := openAssignment(t, colleague, "46")
	bump(t, colleague, id, v, 21)
	if ev := w.event("1").Data.AssignmentUpdated; ev.Assignment.Progress != 21 {
		t.Fatalf("before signing out: %+v", ev)
	}
	if r := hue.do(`mutation { logout { ok } }`, nil, nil); len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	bump(t, colleague, id, v+1, 22)
	m := w.mustNext()
	if m.Type != "error" || m.ID != "1" || w.refusalOf(m) != "UNAUTHENTICATED" {
		t.Fatalf("after signing out: %s %s %s, want an UNAUTHENTICATED error", m.Type, m.ID, m.Payload)
	}
}
