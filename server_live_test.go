package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// The whole program serves subscriptions at /query: the Origin is checked
// against P06_CORS_ORIGINS, a change made over HTTP reaches a cookie-signed
// subscriber, and stopping the server closes the connection.
func TestWholeProgramLiveUpdates(t *testing.T) {
	t.Parallel()
	var conn *websocket.Conn
	// Registered first, so it runs after the server has stopped.
	t.Cleanup(func() {
		if conn == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for {
			if _, _, err := conn.Read(ctx); err != nil {
				var ce websocket.CloseError
				if !errors.As(err, &ce) {
					t.Errorf("after shutdown: %v, want the server to have closed the connection", err)
				}
				return
			}
		}
	})
	base := startServer(t, map[string]string{"P06_ADDR": "127.0.0.1:0", "P06_DATA_DIR": t.TempDir(),
		"P06_CORS_ORIGINS": "https://app.example.gov.vn"})
	s := newSession(t, base)
	s.login("hue", "demo-password")
	u, _ := url.Parse(base)
	header := http.Header{}
	for _, c := range s.c.Jar.Cookies(u) {
		header.Add("Cookie", c.Name+"="+c.Value)
	}
	wsURL := "ws" + strings.TrimPrefix(base, "http") + "/query"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dial := func(origin string) (*websocket.Conn, *http.Response, error) {
		header.Set("Origin", origin)
		return websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: header, Subprotocols: []string{"graphql-transport-ws"}})
	}
	if _, res, err := dial("https://evil.example.com"); err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: %v %v, want 403", res, err)
	}
	c, _, err := dial("https://app.example.gov.vn")
	if err != nil {
		t.Fatalf("origin from P06_CORS_ORIGINS: %v", err)
	}
	conn = c
	write := func(m string) {
		if err := c.Write(ctx, websocket.MessageText, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	read := func(want string) json.RawMessage {
		for {
			_, b, err := c.Read(ctx)
			if err != nil {
				t.Fatalf("waiting for %s: %v", want, err)
			}
			var m struct {
				Type    string
				Payload json.RawMessage
			}
			json.Unmarshal(b, &m)
			if m.Type == "ping" || m.Type == "pong" {
				continue
			}
			if m.Type != want {
				t.Fatalf("got %s, want %s", b, want)
			}
			return m.Payload
		}
	}
	write(`{"type":"connection_init"}`)
	read("connection_ack")
	write(`{"id":"1","type":"subscribe","payload":{"query":"subscription { assignmentUpdated { kind assignment { id progress } } }"}}`)

	var list struct {
		Assignments struct{ Nodes []struct{ ID string } }
	}
	s.must(`{ assignments(first: 1, filter: {orgUnit: "46", roles: [LEAD], states: [NOT_STARTED, IN_PROGRESS]}) { nodes { id } } }`, &list)
	if len(list.Assignments.Nodes) == 0 {
		t.Fatal("no open assignment of 46")
	}
	id := list.Assignments.Nodes[0].ID
	// The subscription starts asynchronously: report progress until an
	// event arrives (each report is a change).
	type result struct {
		b   []byte
		err error
	}
	got := make(chan result, 1)
	go func() {
		for {
			_, b, err := c.Read(ctx)
			if err != nil || !strings.Contains(string(b), `"type":"ping"`) {
				got <- result{b, err}
				return
			}
		}
	}()
	for i := 0; ; i++ {
		s.must(`mutation { reportProgress(input: {assignment: "`+id+`", text: "báo cáo"}) { userErrors { message } } }`, nil)
		select {
		case r := <-got:
			if r.err != nil || !strings.Contains(string(r.b), `"type":"next"`) ||
				!strings.Contains(string(r.b), `"kind":"REPORTED"`) || !strings.Contains(string(r.b), id) {
				t.Fatalf("event %s (%v), want REPORTED of %s", r.b, r.err, id)
			}
			return
		case <-time.After(200 * time.Millisecond):
		}
		if i > 50 {
			t.Fatal("no event")
		}
	}
}
