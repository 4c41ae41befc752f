package graph

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"p06/org"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"p06/auth"
	"p06/events"
	"p06/graph/model"
	"p06/store"
	"p06/tasks"
)

// Live updates: GraphQL subscriptions over WebSocket (graphql-transport-ws,
// and the older graphql-ws for old clients), fed by an events.Broker.
//
// A connection is authenticated by the session cookie of its upgrade
// request or by a token in its connection_init payload
// ({"Authorization": "Bearer p06_…"}); the upgrade's Origin must be the
// server's own or one of Limits.Origins (the CORS list), so no other site can
// open a connection with its visitors' cookies. Each event is re-read in the
// subscriber's scope as it is when the event arrives, and the connection's
// credentials are checked again at most every Limits.LiveRecheck.

// UseEvents makes the API publish changes to assignments to b and serve
// subscriptions from it. Without it, subscriptions are refused.
func (r *Resolver) UseEvents(b events.Broker) {
	r.Events = b
	r.Tasks.SetNotifier(b)
}

// liveConn is one WebSocket connection's state, in the context of all it
// runs.
type liveConn struct {
	ip     string
	cookie string // the session cookie of the upgrade request, if any
	token  string // the API token of connection_init, if any
	subs   atomic.Int32

	mu        sync.Mutex
	id        *auth.Identity
	checkedAt time.Time
	userSlot  int64 // the user counted in live.perUser, once initialised
}

type liveConnKey struct{}

func liveConnOf(ctx context.Context) *liveConn {
	c, _ := ctx.Value(liveConnKey{}).(*liveConn)
	return c
}

// live counts connections, process-wide and per user.
type live struct {
	r   *Resolver
	lim Limits

	mu      sync.Mutex
	total   int
	perUser map[int64]int
}

func newLive(r *Resolver, lim Limits) *live {
	return &live{r: r, lim: lim, perUser: map[int64]int{}}
}

func isUpgrade(req *http.Request) bool {
	return strings.EqualFold(req.Header.Get("Upgrade"), "websocket")
}

// originAllowed says whether a WebSocket upgrade may come from req's
// Origin: none (not a browser, which always sends one), the server's own
// host, or one of the listed origins.
func originAllowed(req *http.Request, origins []string) bool {
	origin := req.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if slices.Contains(origins, origin) {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && strings.EqualFold(u.Host, req.Host)
}

// enter admits a new connection, or says why not.
func (l *live) enter() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total >= l.lim.LiveConns {
		return false
	}
	l.total++
	return true
}

func (l *live) leave(c *liveConn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.userSlot != 0 {
		if l.perUser[c.userSlot]--; l.perUser[c.userSlot] <= 0 {
			delete(l.perUser, c.userSlot)
		}
		c.userSlot = 0
	}
}

func (l *live) takeUserSlot(c *liveConn, user int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perUser[user] >= l.lim.LiveConnsPerUser {
		return false
	}
	l.perUser[user]++
	c.mu.Lock()
	c.userSlot = user
	c.mu.Unlock()
	return true
}

// serve runs a WebSocket upgrade request: Origin check, connection limit,
// then gqlgen's transport (next).
func (l *live) serve(w http.ResponseWriter, req *http.Request, next func(http.ResponseWriter, *http.Request)) {
	if !originAllowed(req, l.lim.Origins) {
		http.Error(w, "origin not allowed", http.StatusForbidden)
		return
	}
	if l.r.Events == nil {
		http.Error(w, "live updates are off", http.StatusNotFound)
		return
	}
	if !l.enter() {
		w.Header().Set("Retry-After", "30")
		http.Error(w, "too many live connections", http.StatusServiceUnavailable)
		return
	}
	c := &liveConn{ip: l.r.Auth.ClientOf(req).IP}
	defer l.leave(c)
	if ck, err := req.Cookie(auth.SessionCookie); err == nil {
		c.cookie = ck.Value
	}
	next(w, req.WithContext(context.WithValue(req.Context(), liveConnKey{}, c)))
}

// init is the transport's InitFunc: it names the connection's caller (the
// token of the payload, else the upgrade's session cookie), counts it against
// its user's connections, and ties the connection to the broker, so closing
// the broker (shutdown) closes it.
func (l *live) init(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	c := liveConnOf(ctx)
	refuse := func(code int, err error) (context.Context, *transport.InitPayload, error) {
		// graphql-transport-ws tells the client why in the close frame,
		// whose reason holds at most 123 bytes.
		msg := presentText(ctx, err)
		reason := msg
		for len(reason) > 120 {
			_, n := utf8.DecodeLastRuneInString(reason)
			reason = reason[:len(reason)-n]
		}
		ctx := transport.AppendCloseReason(transport.WithWebsocketCloseCode(ctx, code), reason)
		return ctx, nil, errors.New(msg)
	}
	id := auth.IdentityFrom(ctx)
	if h := p.Authorization(); h != "" {
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return refuse(4403, store.Errorf(store.Unauthenticated, "cần \"Bearer <token>\"", `expected "Bearer <token>"`))
		}
		var err error
		if id, err = l.r.Auth.IdentifyToken(ctx, token, c.ip); err != nil {
			return refuse(4403, err)
		}
		c.token = strings.TrimSpace(token)
		ctx = auth.WithIdentity(ctx, id)
	} else if c.cookie != "" && id != nil && id.Method == auth.MethodSession {
		// named by Middleware from the cookie; rechecked with it later
	} else {
		id = nil
	}
	if id == nil {
		if err := auth.FailureFrom(ctx); err != nil {
			return refuse(4403, err)
		}
		return refuse(4401, store.Errorf(store.Unauthenticated, "cần đăng nhập", "sign-in required"))
	}
	if !l.takeUserSlot(c, id.User.ID) {
		return refuse(4429, store.Errorf(store.Forbidden, "quá nhiều kết nối trực tiếp của người dùng này",
			"too many live connections for this user"))
	}
	c.mu.Lock()
	c.id, c.checkedAt = id, time.Now()
	c.mu.Unlock()
	ctx = l.r.WithScope(ctx, l.r.Auth.ScopeOf(id))
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-l.r.Events.Done():
			cancel() // gqlgen closes the connection when its context ends
		case <-ctx.Done():
		}
	}()
	return ctx, nil, nil
}

// identity is the connection's caller, checked again against the database
// when the last check is older than lim.LiveRecheck: a session that ended or
// a token revoked ends the connection's subscriptions.
func (l *live) identity(ctx context.Context, c *liveConn) (*auth.Identity, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.checkedAt) < l.lim.LiveRecheck {
		return c.id, nil
	}
	var id *auth.Identity
	var err error
	if c.token != "" {
		id, err = l.r.Auth.IdentifyToken(ctx, c.token, c.ip)
	} else {
		id, err = l.r.Auth.IdentifySession(ctx, c.cookie, c.ip)
	}
	if err != nil {
		return nil, err
	}
	c.id, c.checkedAt = id, time.Now()
	return id, nil
}

// aroundResponses gives each answer sent over a WebSocket (each event of a
// subscription) its own response budget and fresh loaders: the connection's
// would be spent, or stale, after a few.
func (l *live) aroundResponses(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	if c := liveConnOf(ctx); c != nil {
		ctx = withBudget(ctx, l.lim)
		ctx = l.r.WithScope(ctx, l.r.Auth.ScopeOf(auth.IdentityFrom(ctx)))
	}
	return next(ctx)
}

// codeSlow is the error of a subscription dropped for falling behind.
const codeSlow = "SLOW_SUBSCRIBER"

// openSubscription starts a subscription on the caller's WebSocket
// connection: it checks the caller is still signed in, finds the unit the
// subscription is narrowed to (orgUnit, in the caller's scope; "" for all)
// and counts the subscription against the connection's limit. The caller
// releases it with c.subs.Add(-1) when its stream ends.
func (r *subscriptionResolver) openSubscription(ctx context.Context, orgUnit *string) (c *liveConn, unitPath string, err error) {
	c = liveConnOf(ctx)
	if c == nil || r.Events == nil || r.live == nil {
		return nil, "", store.Errorf(store.Invalid, "đăng ký theo dõi chỉ qua WebSocket (graphql-transport-ws)",
			"subscriptions are served over WebSocket only (graphql-transport-ws)")
	}
	l := r.live
	id, err := l.identity(ctx, c)
	if err != nil {
		return nil, "", err
	}
	if orgUnit != nil {
		code := strings.TrimSpace(store.NFC(*orgUnit))
		if err := org.CheckCode("orgUnit", code); err != nil {
			return nil, "", err
		}
		u, err := r.OrgStore.UnitByCode(ctx, r.Auth.ScopeOf(id), code)
		if err != nil {
			return nil, "", err
		}
		unitPath = u.Path
	}
	if int(c.subs.Add(1)) > l.lim.LiveSubscriptions {
		c.subs.Add(-1)
		return nil, "", store.Errorf(store.Forbidden, "quá %d đăng ký theo dõi trên một kết nối", "more than %d subscriptions on one connection", l.lim.LiveSubscriptions)
	}
	return c, unitPath, nil
}

func (r *subscriptionResolver) assignmentUpdated(ctx context.Context, orgUnit *string) (<-chan *model.AssignmentEvent, error) {
	c, unitPath, err := r.openSubscription(ctx, orgUnit)
	if err != nil {
		return nil, err
	}
	l := r.live
	sub := r.Events.Subscribe(l.lim.LiveBuffer)
	out := make(chan *model.AssignmentEvent)
	go func() {
		defer c.subs.Add(-1)
		defer close(out)
		defer sub.Close()
		fail := func(err error) {
			transport.AddSubscriptionError(ctx, presentLive(ctx, err))
		}
		for {
			var ch tasks.Change
			var ok bool
			select {
			case <-ctx.Done():
				return
			case ch, ok = <-sub.C():
			}
			if !ok {
				if errors.Is(sub.Err(), events.ErrSlow) {
					fail(&store.Error{Code: codeSlow, Message: "theo dõi bị ngắt vì nhận không kịp; hãy đăng ký lại",
						English: "the subscription fell behind and was dropped; subscribe again"})
				}
				return // closed broker: the connection closes too
			}
			ev, err := r.readEvent(ctx, c, ch, unitPath)
			if err != nil {
				fail(err)
				return
			}
			if ev == nil {
				continue
			}
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// readEvent reads the changed assignment in the subscriber's scope as it is
// now (roles can change while a connection lasts), narrowed to unitPath's
// subtree when given; nil when the subscriber may not read it.
func (r *Resolver) readEvent(ctx context.Context, c *liveConn, ch tasks.Change, unitPath string) (*model.AssignmentEvent, error) {
	if err := r.Auth.Authorizer().Refresh(ctx); err != nil {
		return nil, err
	}
	id, err := r.live.identity(ctx, c)
	if err != nil {
		return nil, err
	}
	sc := r.Auth.ScopeOf(id)
	read := sc
	if unitPath != "" {
		read = sc.Within(unitPath)
	}
	if read.Empty() {
		return nil, nil
	}
	as, err := r.TaskStore.AssignmentsByIDs(ctx, read, []int64{ch.Assignment})
	if err != nil || len(as) == 0 {
		return nil, err
	}
	return &model.AssignmentEvent{Kind: ch.Kind, Assignment: as[0], Scope: sc}, nil
}

// presentLive makes err an error of the subscription's stream.
func presentLive(ctx context.Context, err error) *gqlerror.Error {
	out := &gqlerror.Error{Message: presentText(ctx, err), Extensions: map[string]any{"code": string(store.Internal)}}
	var se *store.Error
	if errors.As(err, &se) {
		out.Extensions["code"] = string(se.Code)
	}
	return out
}

// presentText is err's message in the caller's language; our own failures
// are not described.
func presentText(ctx context.Context, err error) string {
	var se *store.Error
	if !errors.As(err, &se) || se.Code == store.Internal {
		if english(ctx) {
			return "internal error"
		}
		return "lỗi nội bộ"
	}
	if english(ctx) && se.English != "" {
		return se.English
	}
	return se.Message
}

// eventScope makes the rest of an event's fields read with the scope it was
// read in.
func (r *Resolver) eventScope(ctx context.Context, ev *model.AssignmentEvent) {
	r.switchScope(ctx, ev.Scope)
}

func ptr[T any](v T) *T { return &v }
