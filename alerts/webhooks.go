package alerts

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/uptrace/bun"

	"p06/auth"
	"p06/org"
	"p06/rbac"
	"p06/store"
)

// Webhook is a URL told of the alerts of a unit and the units below it.
type Webhook struct {
	bun.BaseModel `bun:"table:webhooks,alias:wh"`

	ID         int64      `bun:"id,pk,autoincrement"`
	OrgUnitID  int64      `bun:"org_unit_id"`
	URL        string     `bun:"url"`
	Secret     string     `bun:"secret"`
	CreatedAt  time.Time  `bun:"created_at"`
	CreatedBy  int64      `bun:"created_by,nullzero"`
	Failures   int        `bun:"failures"`
	DisabledAt *time.Time `bun:"disabled_at"`
	DeletedAt  *time.Time `bun:"deleted_at"`

	UnitPath string `bun:"unit_path,scanonly"`

	store.SortKey
}

// Delivery is one alert to deliver to one webhook, and how it went.
type Delivery struct {
	bun.BaseModel `bun:"table:webhook_deliveries,alias:wd"`

	ID         int64      `bun:"id,pk,autoincrement"`
	WebhookID  int64      `bun:"webhook_id"`
	AlertID    int64      `bun:"alert_id"`
	State      string     `bun:"state"` // PENDING, DELIVERED, FAILED
	Attempts   int        `bun:"attempts"`
	NextAt     time.Time  `bun:"next_at"`
	LastAt     *time.Time `bun:"last_at"`
	StatusCode int        `bun:"status_code"`
	Error      string     `bun:"error"`
	CreatedAt  time.Time  `bun:"created_at"`

	store.SortKey
}

// Delivery states.
const (
	Pending   = "PENDING"
	Delivered = "DELIVERED"
	GaveUp    = "FAILED"
)

// Delivery rules.
const (
	// MaxAttempts is how often one delivery is tried before it is FAILED.
	MaxAttempts = 8
	// FirstRetry is the wait after the first failed attempt; each further
	// failure doubles it, up to MaxRetryWait.
	FirstRetry   = time.Minute
	MaxRetryWait = 6 * time.Hour
	// DisableAfter failed attempts in a row disable a webhook.
	DisableAfter = 20
	// lease is how long a claimed delivery is hidden from other workers.
	lease = 2 * time.Minute
	// perRun is the most deliveries one run attempts.
	perRun = 500
)

// SignatureHeader carries "t=UNIX,v1=HEX": HEX is the HMAC-SHA256, keyed by
// the webhook's secret, of the timestamp, a dot and the body.
const SignatureHeader = "X-P06-Signature"

// Sign returns the SignatureHeader value of body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// webhookAdmin is the permission on a unit to manage its webhooks.
const webhookAdmin = rbac.AdminPolicy

// webhookScope is the units whose webhooks actor manages.
func (s *Store) webhookScope(actor *auth.Identity) rbac.Scope {
	return rbac.Scope{Read: s.authz.Permissions(actor.Subject())[webhookAdmin]}
}

// CheckTarget refuses a URL that is not http(s), carries credentials, or
// names an address that is not public (unless private targets are allowed).
// Host names are checked again on every delivery, on the address they
// resolve to then.
func CheckTarget(raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Hostname() == "" || u.User != nil || len(raw) > 2000 {
		return &store.Error{Code: store.Invalid, Field: "url", Message: "url phải là địa chỉ http(s) đầy đủ, không kèm tài khoản, tối đa 2000 ký tự",
			English: "url must be a full http(s) address without credentials, at most 2000 characters"}
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return &store.Error{Code: store.Invalid, Field: "url", Message: "cổng của url phải từ 1 đến 65535",
				English: "the url's port must be 1–65535"}
		}
	}
	if !allowPrivate && internalHost(u.Hostname()) {
		return &store.Error{Code: store.Invalid, Field: "url", Message: "url trỏ tới địa chỉ nội bộ (loopback, mạng riêng, link-local hoặc metadata)",
			English: "url points to an internal address (loopback, private, link-local or metadata)"}
	}
	return nil
}

// internalHost says whether host names an address that is not public
// without asking DNS: an IP address that is not public; a name reserved
// for this machine or the site (localhost and *.localhost, RFC 6761; *.local,
// *.internal, *.home.arpa); an IPv6 address with a zone; or a number that is
// not a plain dotted address ("2130706433", "0x7f000001", "127.1",
// "017700000001": resolvers read these as IPv4 addresses). Other names are
// checked on the address they resolve to at every delivery.
func internalHost(host string) bool {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if ip := net.ParseIP(h); ip != nil {
		return !public(ip)
	}
	if h == "" || strings.Contains(h, "%") {
		return true
	}
	for _, suffix := range []string{"localhost", "local", "internal", "home.arpa"} {
		if h == suffix || strings.HasSuffix(h, "."+suffix) {
			return true
		}
	}
	// A top-level label is never numeric: a name ending in one is an
	// address in a shorthand form.
	last := h[strings.LastIndex(h, ".")+1:]
	return strings.HasPrefix(last, "0x") || strings.Trim(last, "0123456789") == ""
}

// notPublic are the address blocks no webhook receiver is at, besides
// those net.IP's methods name (loopback, private, link-local, multicast,
// unspecified): carriers' shared space, "this network", the IETF's and the
// documentation's blocks, benchmarking, the reserved 240/4 (broadcast
// included), the IPv6 discard and documentation prefixes, and Teredo and
// site-local, whose embedded IPv4 address cannot be checked.
var notPublic = func() []netip.Prefix {
	var ps []netip.Prefix
	for _, p := range []string{"100.64.0.0/10", "0.0.0.0/8", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15", "198.51.100.0/24",
		"203.0.113.0/24", "240.0.0.0/4", "100::/64", "2001:db8::/32", "2001::/32", "fec0::/10"} {
		ps = append(ps, netip.MustParsePrefix(p))
	}
	return ps
}()

// Prefixes of IPv6 addresses that carry an IPv4 address, which public
// judges instead: NAT64 (RFC 6052 and the local-use prefix of RFC 8215,
// the IPv4 address in the last 32 bits), 6to4 (bits 16–47) and the
// deprecated IPv4-compatible form (::a.b.c.d).
var (
	nat64     = []netip.Prefix{netip.MustParsePrefix("64:ff9b::/96"), netip.MustParsePrefix("64:ff9b:1::/48")}
	sixToFour = netip.MustParsePrefix("2002::/16")
	v4Compat  = netip.MustParsePrefix("::/96")
)

// public says whether ip is an ordinary Internet address: not loopback,
// private, link-local (169.254.169.254 and the other cloud metadata
// addresses), unspecified, multicast, nor in notPublic; an IPv6 address
// that carries an IPv4 one (NAT64, 6to4, IPv4-mapped or -compatible) is
// judged by that IPv4 address, so [64:ff9b::a9fe:a9fe] is 169.254.169.254.
func public(ip net.IP) bool {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return false
	}
	a = a.Unmap()
	if a.Is6() {
		b := a.As16()
		var v4 [4]byte
		switch {
		case nat64[0].Contains(a) || nat64[1].Contains(a) || v4Compat.Contains(a):
			copy(v4[:], b[12:])
			return public(net.IP(v4[:]))
		case sixToFour.Contains(a):
			copy(v4[:], b[2:6])
			return public(net.IP(v4[:]))
		}
	}
	for _, p := range notPublic {
		if p.Contains(a) {
			return false
		}
	}
	return !(ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified())
}

// errPrivateTarget is a delivery refused because its host resolved to an
// address that is not public.
var errPrivateTarget = errors.New("the address is not public (P06_WEBHOOK_ALLOW_PRIVATE is off)")

// HTTPClient is the client that delivers webhooks: no proxy, no redirects,
// and, unless allowPrivate, a dialer that refuses any address that is not
// public once the name is resolved, so a name that resolves (or rebinds)
// to an internal address is caught when the connection is made.
func HTTPClient(allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if !allowPrivate {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !public(ip) {
				return errPrivateTarget
			}
			return nil
		}
	}
	return &http.Client{
		Timeout:       15 * time.Second,
		Transport:     &http.Transport{DialContext: d.DialContext, Proxy: nil, MaxIdleConnsPerHost: 2, IdleConnTimeout: 30 * time.Second},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Webhooks registers webhooks and delivers alerts to them.
type Webhooks struct {
	s            *Store
	client       *http.Client
	allowPrivate bool
}

// NewWebhooks delivers with an HTTPClient(allowPrivate).
func NewWebhooks(s *Store, allowPrivate bool) *Webhooks {
	return &Webhooks{s: s, client: HTTPClient(allowPrivate), allowPrivate: allowPrivate}
}

var errWebhookNotFound = &store.Error{Code: store.NotFound, Field: "webhook", Message: "không tìm thấy webhook", English: "webhook not found"}

// Create registers a webhook for the unit code (ADMIN_POLICY on it),
// audited (webhook.create; the secret is not in the audit log).
func (w *Webhooks) Create(ctx context.Context, actor *auth.Identity, unitCode, target, secret string) (*Webhook, error) {
	if actor == nil {
		return nil, &store.Error{Code: store.Unauthenticated, Message: "cần đăng nhập", English: "sign-in required"}
	}
	if err := org.CheckCode("orgUnit", unitCode); err != nil {
		return nil, err
	}
	if err := CheckTarget(target, w.allowPrivate); err != nil {
		return nil, err
	}
	if n := len(secret); n < 16 || n > 256 {
		return nil, &store.Error{Code: store.Invalid, Field: "secret", Message: fmt.Sprintf("secret phải dài từ 16 đến 256 ký tự, nhận được %d", n),
			English: fmt.Sprintf("secret must be 16 to 256 characters long, got %d", n)}
	}
	var unit struct {
		ID   int64  `bun:"id"`
		Path string `bun:"path"`
	}
	if err := w.s.db.NewSelect().Table("org_units").Column("id", "path").Where("code = ?", unitCode).Scan(ctx, &unit); err != nil {
		if store.IsNoRows(err) {
			return nil, &store.Error{Code: store.NotFound, Field: "orgUnit", Message: fmt.Sprintf("không có đơn vị %q", unitCode), English: fmt.Sprintf("no org unit %q", unitCode)}
		}
		return nil, err
	}
	if !w.s.authz.ScopeOf(actor.Subject()).CanRead(unit.Path) {
		return nil, &store.Error{Code: store.NotFound, Field: "orgUnit", Message: fmt.Sprintf("không có đơn vị %q", unitCode), English: fmt.Sprintf("no org unit %q", unitCode)}
	}
	if !w.s.authz.Can(actor.Subject(), unit.Path, webhookAdmin) {
		return nil, &store.Error{Code: store.Forbidden, Field: "orgUnit", Message: "chỉ quản trị viên của đơn vị được đăng ký webhook",
			English: "only an administrator of the unit may register webhooks"}
	}
	now := w.s.clock()
	h := &Webhook{OrgUnitID: unit.ID, URL: target, Secret: secret, CreatedAt: now.UTC(), CreatedBy: actor.User.ID, UnitPath: unit.Path}
	err := w.s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(h).Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("alerts: creating a webhook: %w", err)
		}
		return store.Audit(ctx, tx, auth.AuditEntry(actor, now, "webhook.create", "Webhook", h.ID, unit.Path), map[string]any{"url": target})
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// webhooks is the webhooks sc manages, with their unit's path.
func (w *Webhooks) scoped(db bun.IDB, sc rbac.Scope, hs *[]*Webhook) *bun.SelectQuery {
	cond, args := sc.ReadFilter("u.path")
	return db.NewSelect().Model(hs).ColumnExpr("wh.*, u.path AS unit_path").
		Join("JOIN org_units AS u ON u.id = wh.org_unit_id").Where(cond, args...).Where("wh.deleted_at IS NULL")
}

// Delete removes the webhook id (ADMIN_POLICY on its unit): nothing more
// is queued for it, its pending deliveries end FAILED; audited
// (webhook.delete).
func (w *Webhooks) Delete(ctx context.Context, actor *auth.Identity, id int64) (*Webhook, error) {
	if actor == nil {
		return nil, &store.Error{Code: store.Unauthenticated, Message: "cần đăng nhập", English: "sign-in required"}
	}
	var out *Webhook
	err := w.s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var hs []*Webhook
		if err := w.scoped(tx, w.s.webhookScope(actor), &hs).Where("wh.id = ?", id).Scan(ctx); err != nil {
			return err
		}
		if len(hs) == 0 {
			return errWebhookNotFound
		}
		h := hs[0]
		now := w.s.clock().UTC()
		h.DeletedAt = &now
		if _, err := tx.NewUpdate().Model(h).Column("deleted_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Table("webhook_deliveries").Set("state = ?, error = ?", GaveUp, "webhook deleted").
			Where("webhook_id = ? AND state = ?", h.ID, Pending).Exec(ctx); err != nil {
			return err
		}
		out = h
		return store.Audit(ctx, tx, auth.AuditEntry(actor, now, "webhook.delete", "Webhook", h.ID, h.UnitPath), map[string]any{"url": h.URL})
	})
	return out, err
}

// webhookOrder lists webhooks and deliveries newest first.
var (
	webhookOrder  = store.Order{Name: "webhooks", Desc: true, Keys: []store.Key{{Expr: "wh.id"}}}
	deliveryOrder = store.Order{Name: "webhookDeliveries", Desc: true, Keys: []store.Key{{Expr: "wd.id"}}}
)

// List returns a page of the webhooks actor manages.
func (w *Webhooks) List(ctx context.Context, actor *auth.Identity, p store.Page) ([]*Webhook, store.PageInfo, error) {
	var hs []*Webhook
	info, err := store.List(ctx, w.scoped(w.s.db, w.s.webhookScope(actor), &hs), &hs, webhookOrder, p)
	return hs, info, err
}

// ByIDs returns the webhooks of ids that actor manages (deleted ones too,
// for the delivery log).
func (w *Webhooks) ByIDs(ctx context.Context, actor *auth.Identity, ids []int64) ([]*Webhook, error) {
	var hs []*Webhook
	cond, args := w.s.webhookScope(actor).ReadFilter("u.path")
	err := w.s.db.NewSelect().Model(&hs).ColumnExpr("wh.*, u.path AS unit_path").Join("JOIN org_units AS u ON u.id = wh.org_unit_id").
		Where(cond, args...).Where("wh.id IN (?)", bun.In(ids)).Scan(ctx)
	return hs, err
}

// Deliveries returns a page of the delivery log of the webhooks actor
// manages (of webhook, when not 0), newest first.
func (w *Webhooks) Deliveries(ctx context.Context, actor *auth.Identity, webhook int64, p store.Page) ([]*Delivery, store.PageInfo, error) {
	var ds []*Delivery
	cond, args := w.s.webhookScope(actor).ReadFilter("u.path")
	q := w.s.db.NewSelect().Model(&ds).Join("JOIN webhooks AS wh ON wh.id = wd.webhook_id").
		Join("JOIN org_units AS u ON u.id = wh.org_unit_id").Where(cond, args...)
	if webhook != 0 {
		q = q.Where("wd.webhook_id = ?", webhook)
	}
	info, err := store.List(ctx, q, &ds, deliveryOrder, p)
	if err != nil {
		return nil, info, fmt.Errorf("alerts: listing deliveries: %w", err)
	}
	return ds, info, nil
}

// queueDeliveries queues the alerts raised by run runID (their ids above
// after) for every live webhook of their unit or a unit above: in the
// scan's transaction, once (the unique key).
func queueDeliveries(ctx context.Context, tx bun.IDB, runID, after int64, now time.Time) (int, error) {
	res, err := tx.NewRaw(`INSERT INTO webhook_deliveries (webhook_id, alert_id, state, next_at, created_at)
		SELECT wh.id, alr.id, ?, ?, ? FROM alerts AS alr
		JOIN org_units AS u ON u.id = alr.org_unit_id
		JOIN webhooks AS wh ON wh.deleted_at IS NULL AND wh.disabled_at IS NULL
		JOIN org_units AS wu ON wu.id = wh.org_unit_id
		WHERE alr.id > ? AND alr.job_run_id = ? AND u.path LIKE wu.path || '%'
		ON CONFLICT (webhook_id, alert_id) DO NOTHING`, Pending, now.UTC(), now.UTC(), after, runID).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("alerts: queueing webhook deliveries: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// Payload is the JSON body of a delivery.
type Payload struct {
	Event    string `json:"event"` // alert.raised
	Delivery int64  `json:"delivery"`
	Alert    struct {
		ID         int64  `json:"id"`
		Kind       Kind   `json:"kind"`
		DueDate    string `json:"dueDate"`
		RaisedAt   string `json:"raisedAt"`
		Escalated  bool   `json:"escalated"`
		OrgUnit    string `json:"orgUnit"`
		Assignment int64  `json:"assignment,omitempty"`
		Task       string `json:"task,omitempty"`
		// A value due (REPORT_DUE): the indicator's code and name, and
		// the period.
		Indicator     string `json:"indicator,omitempty"`
		IndicatorName string `json:"indicatorName,omitempty"`
		Period        string `json:"period,omitempty"`
	} `json:"alert"`
}

// claimed is a delivery claimed for an attempt, with what it sends.
type claimed struct {
	ID        int64      `bun:"id"`
	Attempts  int        `bun:"attempts"`
	WebhookID int64      `bun:"webhook_id"`
	URL       string     `bun:"url"`
	Secret    string     `bun:"secret"`
	AlertID   int64      `bun:"alert_id"`
	Kind      Kind       `bun:"kind"`
	DueDate   store.Date `bun:"due_date"`
	RaisedAt  time.Time  `bun:"raised_at"`
	Escalated bool       `bun:"escalated"`
	Unit      string     `bun:"unit"`
	// What the alert is about (described).
	Task       string `bun:"task"`
	Indicator  string `bun:"indicator"`
	Assignment int64  `bun:"assignment"`
	Period     string `bun:"period"`
}

// Job is the webhook-delivery job: it attempts the deliveries due, each
// claimed first (a lease), so two processes never send one at once.
func (w *Webhooks) Job(ctx context.Context, _ int64) (map[string]int, error) {
	counts := map[string]int{"delivered": 0, "retry": 0, "failed": 0, "disabled": 0}
	now := w.s.clock()
	ids, err := w.claim(ctx, now)
	if err != nil || len(ids) == 0 {
		return counts, err
	}
	var cs []claimed
	if err := described(w.s.db.NewSelect().TableExpr("webhook_deliveries AS wd").
		Join("JOIN webhooks AS wh ON wh.id = wd.webhook_id").
		Join("JOIN alerts AS alr ON alr.id = wd.alert_id").
		Join("JOIN org_units AS u ON u.id = alr.org_unit_id").
		ColumnExpr("wd.id, wd.attempts, wd.webhook_id, wh.url, wh.secret, wd.alert_id, alr.kind, alr.due_date, alr.raised_at, alr.escalated, u.code AS unit")).
		Where("wd.id IN (?)", bun.In(ids)).OrderExpr("wd.id").Scan(ctx, &cs); err != nil {
		return counts, fmt.Errorf("alerts: reading deliveries: %w", err)
	}
	for _, c := range cs {
		if ctx.Err() != nil {
			return counts, ctx.Err()
		}
		code, sendErr := w.send(ctx, c)
		outcome, err := w.record(ctx, c, code, sendErr)
		if err != nil {
			return counts, err
		}
		for _, o := range outcome {
			counts[o]++
		}
	}
	return counts, nil
}

// claim takes the deliveries due at now (at most perRun) for this worker:
// their next_at moves a lease ahead and attempts is counted, in one
// statement that rechecks each row, so a row is claimed by one worker.
func (w *Webhooks) claim(ctx context.Context, now time.Time) ([]int64, error) {
	due := w.s.db.NewSelect().Table("webhook_deliveries").Column("id").
		Where("state = ? AND next_at <= ?", Pending, now.UTC()).OrderExpr("next_at, id").Limit(perRun)
	if w.s.db.Engine == store.Postgres {
		due = due.For("UPDATE SKIP LOCKED")
	}
	var ids []int64
	err := w.s.db.NewUpdate().Table("webhook_deliveries").
		Set("next_at = ?, attempts = attempts + 1", now.Add(lease).UTC()).
		Where("id IN (?)", due).Where("state = ? AND next_at <= ?", Pending, now.UTC()).
		Returning("id").Scan(ctx, &ids)
	if err != nil && !store.IsNoRows(err) {
		return nil, fmt.Errorf("alerts: claiming deliveries: %w", err)
	}
	return ids, nil
}

// send posts c's payload, signed; it returns the status code, and an
// error for anything but a 2xx answer.
func (w *Webhooks) send(ctx context.Context, c claimed) (int, error) {
	var p Payload
	p.Event, p.Delivery = "alert.raised", c.ID
	p.Alert.ID, p.Alert.Kind, p.Alert.DueDate, p.Alert.Escalated = c.AlertID, c.Kind, c.DueDate.String(), c.Escalated
	p.Alert.RaisedAt, p.Alert.OrgUnit, p.Alert.Assignment = c.RaisedAt.In(store.VN).Format(time.RFC3339), c.Unit, c.Assignment
	if c.Indicator != "" {
		p.Alert.Indicator, p.Alert.IndicatorName, p.Alert.Period = c.Indicator, c.Task, c.Period
	} else {
		p.Alert.Task = c.Task
	}
	body, err := json.Marshal(p)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "p06-webhooks/1")
	req.Header.Set("X-P06-Event", p.Event)
	req.Header.Set("X-P06-Delivery", strconv.FormatInt(c.ID, 10))
	req.Header.Set(SignatureHeader, Sign(c.Secret, w.s.clock(), body))
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("answered %s", resp.Status)
	}
	return resp.StatusCode, nil
}

// record writes the outcome of an attempt: DELIVERED; or a retry after
// FirstRetry·2^(attempts-1) (at most MaxRetryWait); or FAILED after
// MaxAttempts. The webhook's failures in a row are counted (reset by a
// success); at DisableAfter it is disabled and its pending deliveries end.
func (w *Webhooks) record(ctx context.Context, c claimed, code int, sendErr error) ([]string, error) {
	now := w.s.clock().UTC()
	var out []string
	err := w.s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewUpdate().Table("webhook_deliveries").Set("last_at = ?, status_code = ?", now, code).Where("id = ?", c.ID)
		if sendErr == nil {
			out = append(out, "delivered")
			if _, err := q.Set("state = ?, error = ''", Delivered).Exec(ctx); err != nil {
				return err
			}
			_, err := tx.NewUpdate().Table("webhooks").Set("failures = 0").Where("id = ?", c.WebhookID).Exec(ctx)
			return err
		}
		msg := sendErr.Error()
		var dnsErr *net.DNSError
		switch {
		case errors.Is(sendErr, errPrivateTarget):
			msg = errPrivateTarget.Error()
		case errors.As(sendErr, &dnsErr):
			// Not the resolver's own address: administrators need the name.
			msg = "the name " + dnsErr.Name + " could not be resolved"
		}
		if len(msg) > 500 {
			msg = msg[:500]
		}
		q = q.Set("error = ?", msg)
		if c.Attempts >= MaxAttempts {
			out = append(out, "failed")
			q = q.Set("state = ?", GaveUp)
		} else {
			out = append(out, "retry")
			q = q.Set("next_at = ?", now.Add(Backoff(c.Attempts)))
		}
		if _, err := q.Exec(ctx); err != nil {
			return err
		}
		var failures int
		if err := tx.NewUpdate().Table("webhooks").Set("failures = failures + 1").Where("id = ?", c.WebhookID).
			Returning("failures").Scan(ctx, &failures); err != nil {
			return err
		}
		if failures == DisableAfter {
			out = append(out, "disabled")
			if _, err := tx.NewUpdate().Table("webhooks").Set("disabled_at = ?", now).Where("id = ? AND disabled_at IS NULL", c.WebhookID).Exec(ctx); err != nil {
				return err
			}
			_, err := tx.NewUpdate().Table("webhook_deliveries").Set("state = ?, error = ?", GaveUp, "webhook disabled after repeated failures").
				Where("webhook_id = ? AND state = ?", c.WebhookID, Pending).Exec(ctx)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("alerts: recording a delivery: %w", err)
	}
	return out, nil
}

// Backoff is the wait after the attempts-th failed attempt.
func Backoff(attempts int) time.Duration {
	d := FirstRetry
	for i := 1; i < attempts && d < MaxRetryWait; i++ {
		d *= 2
	}
	return min(d, MaxRetryWait)
}
