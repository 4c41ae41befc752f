// Package alertstest holds what tests of alert deliveries talk to: a
// minimal SMTP server and a webhook receiver that checks signatures as
// README tells a receiver to.
package alertstest

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"p06/alerts"
)

// Mailbox is a minimal SMTP server (EHLO, AUTH PLAIN, MAIL, RCPT, DATA,
// QUIT) on a loopback port, keeping what it receives; it refuses the
// recipients in refuse.
type Mailbox struct {
	ln     net.Listener
	mu     sync.Mutex
	got    []Received
	auth   []string
	refuse map[string]bool
}

// Received is one message: its recipient, subject and body (decoded).
type Received struct {
	To, Subject, Body string
}

// NewMailbox starts a Mailbox, closed when the test ends.
func NewMailbox(t testing.TB) *Mailbox {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &Mailbox{ln: ln, refuse: map[string]bool{}}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go m.serve(c)
		}
	}()
	return m
}

// URL is the P06_SMTP_URL of the server.
func (m *Mailbox) URL() string { return "smtp://digest:s3cret@" + m.ln.Addr().String() }

func (m *Mailbox) serve(c net.Conn) {
	defer c.Close()
	tp := textproto.NewConn(c)
	tp.PrintfLine("220 test ESMTP")
	var to string
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch cmd {
		case "EHLO", "HELO":
			tp.PrintfLine("250-test\r\n250 AUTH PLAIN")
		case "AUTH":
			f := strings.Fields(line)
			b, _ := base64.StdEncoding.DecodeString(f[len(f)-1])
			m.mu.Lock()
			m.auth = append(m.auth, strings.ReplaceAll(string(b), "\x00", "|"))
			m.mu.Unlock()
			tp.PrintfLine("235 ok")
		case "MAIL":
			tp.PrintfLine("250 ok")
		case "RCPT":
			to = strings.Trim(strings.TrimPrefix(line[5:], "TO:"), "<>")
			m.mu.Lock()
			refused := m.refuse[to]
			m.mu.Unlock()
			if refused {
				tp.PrintfLine("550 no such user")
				continue
			}
			tp.PrintfLine("250 ok")
		case "DATA":
			tp.PrintfLine("354 go on")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			r := bufio.NewReader(strings.NewReader(string(data)))
			msg, _ := textproto.NewReader(r).ReadMIMEHeader()
			subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Get("Subject"))
			body, _ := io.ReadAll(quotedprintable.NewReader(r))
			m.mu.Lock()
			m.got = append(m.got, Received{To: to, Subject: subject, Body: string(body)})
			m.mu.Unlock()
			tp.PrintfLine("250 queued")
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("502 not here")
		}
	}
}

// SetRefused makes the server refuse (or accept again) the recipient addr.
func (m *Mailbox) SetRefused(addr string, refused bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.refuse[addr] = refused
}

// Take returns what arrived since the last Take.
func (m *Mailbox) Take() []Received {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.got
	m.got = nil
	return out
}

// Auth is what the clients sent with AUTH PLAIN, NULs written as "|".
func (m *Mailbox) Auth() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.auth...)
}

// Receiver is an HTTP server standing for a webhook's receiver: it checks
// each request's signature as README says a receiver should, and answers
// with status.
type Receiver struct {
	*httptest.Server
	secret string
	mu     sync.Mutex
	status int
	got    []alerts.Payload
	bad    []string
}

// NewReceiver starts a Receiver checking signatures with secret against
// the clock now, closed when the test ends.
func NewReceiver(t testing.TB, secret string, now func() time.Time) *Receiver {
	r := &Receiver{secret: secret, status: http.StatusNoContent}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		// t=TIMESTAMP,v1=HEX: HEX = HMAC-SHA256(secret, TIMESTAMP + "." + body),
		// and TIMESTAMP recent (here: the test's clock).
		var ts, sig string
		for _, part := range strings.Split(req.Header.Get(alerts.SignatureHeader), ",") {
			k, v, _ := strings.Cut(part, "=")
			switch k {
			case "t":
				ts = v
			case "v1":
				sig = v
			}
		}
		m := hmac.New(sha256.New, []byte(r.secret))
		m.Write([]byte(ts + "."))
		m.Write(body)
		want := hex.EncodeToString(m.Sum(nil))
		unix, _ := strconv.ParseInt(ts, 10, 64)
		if !hmac.Equal([]byte(sig), []byte(want)) || now().Sub(time.Unix(unix, 0)).Abs() > 5*time.Minute {
			r.bad = append(r.bad, req.Header.Get(alerts.SignatureHeader))
		}
		var p alerts.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			r.bad = append(r.bad, string(body))
		}
		r.got = append(r.got, p)
		w.WriteHeader(r.status)
	}))
	t.Cleanup(r.Close)
	return r
}

// Take returns the payloads received since the last Take, and the
// signatures (or bodies) that were wrong.
func (r *Receiver) Take() ([]alerts.Payload, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	got, bad := r.got, r.bad
	r.got, r.bad = nil, nil
	return got, bad
}

// Answer makes the receiver answer with status from now on.
func (r *Receiver) Answer(status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.status = status
}
