package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync"
	"time"
)

// target is a GraphQL endpoint and the headers every request carries: the
// caller's credentials (a session cookie and its CSRF token, or a bearer
// token) and any given with --header.
type target struct {
	url     string
	client  *http.Client
	headers http.Header
}

func newTarget(url string, maxConns int, timeout time.Duration, headers http.Header) *target {
	tr := &http.Transport{
		MaxIdleConns:        maxConns,
		MaxIdleConnsPerHost: maxConns,
		IdleConnTimeout:     90 * time.Second,
		// Both servers are asked for the same plain JSON; gzip would
		// measure compression instead.
		DisableCompression: true,
	}
	h := headers.Clone()
	if h == nil {
		h = http.Header{}
	}
	return &target{url: url, client: &http.Client{Transport: tr, Timeout: timeout}, headers: h}
}

// gqlResponse is a GraphQL answer: data is kept raw, for the scenario's
// check.
type gqlResponse struct {
	raw    []byte
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string `json:"message"`
		Extensions struct {
			Code string `json:"code"`
		} `json:"extensions"`
	} `json:"errors"`
}

// post sends one GraphQL request and decodes its answer. An HTTP status
// other than 200, a body that is not a GraphQL answer, or an answer with
// errors is an error.
func (t *target) post(ctx context.Context, body []byte) (*gqlResponse, error) {
	var buf bytes.Buffer
	if err := t.send(ctx, body, &buf); err != nil {
		return nil, err
	}
	return decodeAnswer(buf.Bytes())
}

// check sends one GraphQL request whose answer is only checked, not read:
// the same errors as post, but the answer is decoded only when it has an
// "errors" member. Decoding every answer cost this tool about half of its
// CPU (encoding/json validating and skipping some 50 kB of data), CPU
// taken from the servers it measures on the same machine.
func (t *target) check(ctx context.Context, body []byte) error {
	buf := bodies.Get().(*bytes.Buffer)
	defer bodies.Put(buf)
	buf.Reset()
	if err := t.send(ctx, body, buf); err != nil {
		return err
	}
	b := bytes.TrimSpace(buf.Bytes())
	if len(b) < 2 || b[0] != '{' || b[len(b)-1] != '}' || bytes.Contains(b, []byte(`"errors"`)) {
		_, err := decodeAnswer(b)
		return err
	}
	return nil
}

// bodies are the answers' buffers, reused.
var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// send posts body and reads the answer into buf; an HTTP status other than
// 200 is an error.
func (t *target) send(ctx context.Context, body []byte, buf *bytes.Buffer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, vs := range t.headers {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := t.client.Do(req)
	if err != nil {
		return err
	}
	_, err = buf.ReadFrom(res.Body)
	res.Body.Close()
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %s: %.200s", res.Status, buf.Bytes())
	}
	return nil
}

// decodeAnswer reads a GraphQL answer: one with errors is an error.
func decodeAnswer(b []byte) (*gqlResponse, error) {
	out := gqlResponse{raw: b}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("not a GraphQL answer (%v): %.200s", err, b)
	}
	if len(out.Errors) > 0 {
		e := out.Errors[0]
		return &out, fmt.Errorf("GraphQL error %s: %s (%d errors)", e.Extensions.Code, e.Message, len(out.Errors))
	}
	return &out, nil
}

// query is post with a query and its variables, decoding data into dst.
func (t *target) query(ctx context.Context, q string, vars map[string]any, dst any) error {
	body, err := json.Marshal(map[string]any{"query": q, "variables": vars})
	if err != nil {
		return err
	}
	res, err := t.post(ctx, body)
	if err != nil {
		return err
	}
	if dst != nil {
		return json.Unmarshal(res.Data, dst)
	}
	return nil
}

const loginMutation = `mutation($u: String!, $p: String!) {
  login(input: {username: $u, password: $p}) { me { csrfToken } userErrors { message } } }`

// signIn signs in as user the way README tells a single-page app to: the
// login mutation sets the p06_session and p06_csrf cookies; every later
// request sends the cookies, and the CSRF token in X-CSRF-Token (the
// GraphQL IDE sends it on every request too). All the tool's clients share
// the one session: signing in again would end the previous one.
//
// With asToken, it then makes an API token with that session
// (createApiToken) and sends only "Authorization: Bearer …", as an
// integration does; the returned func revokes the token (and signs out).
// Otherwise the returned func signs out.
func (t *target) signIn(ctx context.Context, user, password string, asToken bool) (signOut func(context.Context) error, err error) {
	jar, _ := cookiejar.New(nil)
	lc := &http.Client{Jar: jar, Timeout: 30 * time.Second, Transport: t.client.Transport}
	body, _ := json.Marshal(map[string]any{"query": loginMutation, "variables": map[string]any{"u": user, "p": password}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := lc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("signing in as %s: %w", user, err)
	}
	defer res.Body.Close()
	var out struct {
		Data struct {
			Login struct {
				Me         *struct{ CsrfToken string }
				UserErrors []struct{ Message string }
			}
		}
		Errors []struct{ Message string }
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("signing in as %s: HTTP %s, not a GraphQL answer: %w", user, res.Status, err)
	}
	switch l := out.Data.Login; {
	case len(out.Errors) > 0:
		return nil, fmt.Errorf("signing in as %s: %s", user, out.Errors[0].Message)
	case len(l.UserErrors) > 0:
		return nil, fmt.Errorf("signing in as %s: %s (demo users exist with P06_SEED=demo; their password is P06_DEMO_PASSWORD, default demo-password)", user, l.UserErrors[0].Message)
	case l.Me == nil || l.Me.CsrfToken == "":
		return nil, fmt.Errorf("signing in as %s: no CSRF token in the answer", user)
	}
	var cookies []string
	for _, c := range jar.Cookies(req.URL) {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	if len(cookies) == 0 {
		return nil, fmt.Errorf("signing in as %s: the server set no cookie", user)
	}
	t.headers.Set("Cookie", strings.Join(cookies, "; "))
	t.headers.Set("X-CSRF-Token", out.Data.Login.Me.CsrfToken)
	logout := func(ctx context.Context) error {
		return t.query(ctx, `mutation { logout { ok } }`, nil, nil)
	}
	if !asToken {
		return logout, nil
	}
	var tok struct {
		CreateApiToken struct {
			ApiToken   *struct{ ID string }
			Token      string
			UserErrors []struct{ Message string }
		}
	}
	err = t.query(ctx, `mutation($n: String!) { createApiToken(input: {name: $n}) { apiToken { id } token userErrors { message } } }`,
		map[string]any{"n": "bench/load " + time.Now().Format(time.RFC3339)}, &tok)
	if err == nil && len(tok.CreateApiToken.UserErrors) > 0 {
		err = errors.New(tok.CreateApiToken.UserErrors[0].Message)
	}
	if err == nil && (tok.CreateApiToken.ApiToken == nil || tok.CreateApiToken.Token == "") {
		err = errors.New("no token in the answer")
	}
	if err != nil {
		logout(ctx)
		return nil, fmt.Errorf("making an API token for %s: %w", user, err)
	}
	session := t.headers.Clone()
	t.headers.Del("Cookie")
	t.headers.Del("X-CSRF-Token")
	t.headers.Set("Authorization", "Bearer "+tok.CreateApiToken.Token)
	return func(ctx context.Context) error {
		t.headers = session
		err := t.query(ctx, `mutation($id: ID!) { revokeApiToken(input: {apiToken: $id}) { userErrors { message } } }`,
			map[string]any{"id": tok.CreateApiToken.ApiToken.ID}, nil)
		return errors.Join(err, logout(ctx))
	}, nil
}
