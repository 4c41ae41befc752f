package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"

	"p06/auth"
	"p06/rbac"
	"p06/store"
)

// Limits bound what one query may ask for. See README.md, "Limits".
type Limits struct {
	// Complexity is the largest query complexity accepted (each field costs
	// 1, a list multiplies by its page size).
	Complexity int
	// Depth is the deepest selection accepted, introspection excluded.
	Depth int
	// IntrospectionDepth is the deepest introspection subtree (under
	// __schema or __type) accepted; IntrospectionLists is how many of its
	// list fields (types, fields, args, …) may nest.
	IntrospectionDepth, IntrospectionLists int
	// Selections bounds the fields of a document once its fragments are
	// expanded, and the fragment spreads it holds; Aliases bounds its
	// aliased fields, counted the same way; Breadth bounds the fields
	// selected on one object (validation compares them pairwise).
	Selections, Aliases, Breadth int
	// ResponseFields bounds the fields one answer may resolve, counted as
	// they are resolved, and ResponseBytes the bytes of its strings
	// (RESPONSE_TOO_LARGE past either).
	ResponseFields int
	ResponseBytes  int64
	// Introspection allows schema introspection.
	Introspection bool
	// UploadBytes bounds the body of a multipart request (files sent with
	// reportProgress); every other request is bounded by MaxRequestBytes.
	UploadBytes int64
	// Origins may open WebSocket connections besides the server's own (the
	// CORS list, P06_CORS_ORIGINS).
	Origins []string
	// LiveConns bounds the WebSocket connections of the process,
	// LiveConnsPerUser those of one user, LiveSubscriptions the
	// subscriptions of one connection; LiveBuffer is how many changes a
	// subscription may fall behind before it is dropped.
	LiveConns, LiveConnsPerUser, LiveSubscriptions, LiveBuffer int
	// LivePing is the interval of the server's pings on a connection (a
	// client that misses two pongs is disconnected); LiveRecheck how often a
	// connection's session or token is checked again.
	LivePing, LiveRecheck time.Duration
}

// MaxRequestBytes bounds a request body: queries are small, and nobody may
// make the server read megabytes before being told no.
const MaxRequestBytes = 1 << 20

// DefaultLimits fit the dashboards and reports of a single-page app, and the
// standard introspection query of graphql-js (depth 13, 15 in graphql-js 17,
// three nested lists, 181 fields). A page of 100 tasks with all their
// assignments and units fits the complexity limit.
var DefaultLimits = Limits{
	Complexity: 100000, Depth: 12,
	IntrospectionDepth: 15, IntrospectionLists: 3,
	Selections: 1500, Aliases: 200, Breadth: 100,
	ResponseFields: 50000, ResponseBytes: 16 << 20,
	Introspection: true,
	UploadBytes:   DefaultUploadBytes,
	LiveConns:     1000, LiveConnsPerUser: 10, LiveSubscriptions: 20, LiveBuffer: 64,
	LivePing: 30 * time.Second, LiveRecheck: 30 * time.Second,
}

// unavailable answers 503 for what the request needed and could not get,
// logged as an error unless the request itself ended first (the client
// hung up): that is no fault of the server's, and would drown real errors.
func unavailable(ctx context.Context, log *slog.Logger, w http.ResponseWriter, what, answer string, err error) {
	level := slog.LevelError
	if ctx.Err() != nil {
		level = slog.LevelDebug
	}
	log.Log(ctx, level, what, "err", err)
	http.Error(w, answer, http.StatusServiceUnavailable)
}

// NewHandler returns the GraphQL endpoint: POST and GET, a parsed-query
// cache, automatic persisted queries, depth and complexity limits, and errors
// with extensions.code. It expects auth.Middleware in front: each request's
// scope is its caller's (the empty scope for nobody), with policies refreshed
// from the database when another process changed them.
func NewHandler(r *Resolver, lim Limits, log *slog.Logger) http.Handler {
	bounds := newListBounds(r.OrgStore, r.TaskStore, r.KpiStore, r.Clock)
	if err := bounds.refresh(context.Background()); err != nil {
		log.Error("measuring list bounds; using the floor until the next request", "err", err)
	}
	srv := handler.New(NewExecutableSchema(Config{Resolvers: r, Directives: r.directives(), Complexity: complexity(bounds)}))
	lv := newLive(r, lim)
	r.live = lv
	srv.AddTransport(transport.Websocket{
		// The Origin is checked before (live.serve), with the CORS list.
		Implementation:        transport.CoderWebsocketImplementation{AcceptOptions: websocket.AcceptOptions{InsecureSkipVerify: true}},
		InitFunc:              lv.init,
		InitTimeout:           10 * time.Second,
		KeepAlivePingInterval: lim.LivePing, // graphql-ws (old protocol) keep-alive
		PingPongInterval:      lim.LivePing, // graphql-transport-ws ping, pong expected
		PayloadReadLimit:      ptr(int64(MaxRequestBytes)),
	})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(postTransport{})
	uploadLimit := lim.UploadBytes
	if uploadLimit <= 0 {
		uploadLimit = DefaultUploadBytes
	}
	srv.AddTransport(multipartTransport(uploadLimit))
	uploads := newUploadGate(uploadLimit, func(id *auth.Identity) bool {
		a := r.Auth.Authorizer()
		return a.CanAnywhere(id.Subject(), rbac.UpdateAssignment) || a.CanAnywhere(id.Subject(), rbac.CreateDocument)
	})
	srv.SetQueryCache(smallQueries[*ast.QueryDocument](1000))
	srv.Use(signedInIntrospection{enabled: lim.Introspection})
	srv.Use(csrfCheck{})
	srv.Use(extension.AutomaticPersistedQuery{Cache: persistedQueries(1000)})
	srv.Use(queryText{})
	srv.Use(newDocCheck(lim))
	srv.Use(extension.FixedComplexityLimit(lim.Complexity))
	// No AroundFields: the generated executor resolves fields with
	// resolveField (graph/exec.go), which charges the response budget itself
	// and calls no field middleware.
	srv.AroundResponses(lv.aroundResponses) // before capResponse: a budget per event
	srv.AroundResponses(capResponse(lim))
	srv.SetErrorPresenter(presentError(log))
	srv.Use(&inputCheck{})
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		log.ErrorContext(ctx, "panic in resolver", "panic", v)
		return errors.New("internal error")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx := withLanguage(req.Context(), req.Header.Get("Accept-Language"))
		if req.Method == http.MethodPost && isMultipart(req) {
			done, ok := uploads.enter(w, req.WithContext(ctx))
			if !ok {
				return
			}
			// The slot is free once the answer starts: a client that sends
			// its next file as soon as it has read this answer must find it
			// free, so it is not left to after the handler returns.
			rel := &releaseOnWrite{ResponseWriter: w, release: sync.OnceFunc(done)}
			defer rel.release()
			w = rel
			req.Body = http.MaxBytesReader(w, req.Body, uploadLimit)
		} else {
			req.Body = http.MaxBytesReader(w, req.Body, MaxRequestBytes)
			if !plainRequest(ctx, w, req) {
				return
			}
		}
		if err := r.Auth.Authorizer().Refresh(ctx); err != nil {
			unavailable(ctx, log, w, "refreshing policies", "policies unavailable", err)
			return
		}
		if err := bounds.refresh(ctx); err != nil {
			unavailable(ctx, log, w, "measuring list bounds", "database unavailable", err)
			return
		}
		ctx = withBudget(ctx, lim)
		ctx = r.WithScope(ctx, r.Auth.ScopeOf(auth.IdentityFrom(ctx)))
		if isUpgrade(req) {
			lv.serve(w, req.WithContext(ctx), srv.ServeHTTP)
			return
		}
		if req.Method == http.MethodGet {
			w = &queriesOnGet{ResponseWriter: w, ctx: ctx}
		}
		srv.ServeHTTP(w, req.WithContext(ctx))
	})
}

// plainRequest checks a request that is not a file upload before gqlgen
// reads it, answering itself (false) what gqlgen would answer uncoded or in
// English, or by echoing the body: a method other than GET, POST or OPTIONS,
// a POST that is not JSON, a body over MaxRequestBytes, a body that is not
// one JSON object (batches are not supported).
func plainRequest(ctx context.Context, w http.ResponseWriter, req *http.Request) bool {
	switch req.Method {
	case http.MethodOptions:
		return true
	case http.MethodGet:
		q, err := url.ParseQuery(req.URL.RawQuery)
		if err != nil {
			refuse(ctx, w, http.StatusBadRequest, store.Errorf(store.Invalid,
				"không đọc được các tham số của địa chỉ", "the parameters of the URL could not be read"))
			return false
		}
		for _, name := range []string{"variables", "extensions"} {
			if v := q.Get(name); v != "" && !badParam(ctx, w, name, json.RawMessage(v), '{') {
				return false
			}
		}
		return true
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, POST, OPTIONS")
		refuse(ctx, w, http.StatusMethodNotAllowed, store.Errorf(store.Invalid,
			"phương thức %s không được hỗ trợ: dùng POST (JSON) hoặc GET", "method %s is not supported: use POST (JSON) or GET", req.Method))
		return false
	}
	if mt, _, err := mime.ParseMediaType(req.Header.Get("Content-Type")); err != nil || (mt != "application/json" && mt != "application/graphql-response+json") {
		refuse(ctx, w, http.StatusUnsupportedMediaType, store.Errorf(store.Invalid,
			"gửi tiêu đề Content-Type: application/json (tệp đính kèm: multipart/form-data)",
			"send Content-Type: application/json (files: multipart/form-data)"))
		return false
	}
	body, err := io.ReadAll(req.Body)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		refuse(ctx, w, http.StatusRequestEntityTooLarge, store.Errorf(store.Invalid,
			"yêu cầu lớn hơn giới hạn %d byte", "the request is larger than the limit of %d bytes", MaxRequestBytes))
		return false
	case err != nil:
		refuse(ctx, w, http.StatusBadRequest, store.Errorf(store.Invalid, "không đọc được yêu cầu", "the request could not be read"))
		return false
	}
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || t[0] != '{' || !json.Valid(body) {
		refuse(ctx, w, http.StatusBadRequest, store.Errorf(store.Invalid,
			`nội dung phải là một đối tượng JSON {"query": "…", "variables": {…}} (không hỗ trợ gửi nhiều truy vấn trong một mảng)`,
			`the body must be one JSON object {"query": "…", "variables": {…}} (batches in an array are not supported)`))
		return false
	}
	// Each member gqlgen reads must be of its type: gqlgen's own message
	// for one that is not is English, uncoded, and echoes the whole body.
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		refuse(ctx, w, http.StatusBadRequest, store.Errorf(store.Invalid, "không đọc được yêu cầu", "the request could not be read"))
		return false
	}
	for name, kind := range map[string]byte{"query": '"', "operationName": '"', "variables": '{', "extensions": '{'} {
		if v, ok := members[name]; ok && !badParam(ctx, w, name, v, kind) {
			return false
		}
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	return true
}

// badParam checks that the member name of a request is null or a JSON
// value of kind ('"' a string, '{' an object); otherwise it refuses the
// request with 400 INVALID naming the member, and is false.
func badParam(ctx context.Context, w http.ResponseWriter, name string, v json.RawMessage, kind byte) bool {
	v = bytes.TrimSpace(v)
	if string(v) == "null" || len(v) > 0 && v[0] == kind && json.Valid(v) {
		return true
	}
	what, whatEn := "một chuỗi", "a string"
	if kind == '{' {
		what, whatEn = "một đối tượng JSON", "a JSON object"
	}
	refuse(ctx, w, http.StatusBadRequest, &store.Error{Code: store.Invalid, Field: name,
		Message: name + " phải là " + what + " hoặc null", English: name + " must be " + whatEn + " or null"})
	return false
}

// queriesOnGet answers the 406 gqlgen gives a GET request whose operation
// is not a query (its message uncoded and English) with a coded error in
// the caller's language.
type queriesOnGet struct {
	http.ResponseWriter
	ctx     context.Context
	refused bool
}

func (w *queriesOnGet) WriteHeader(code int) {
	if code != http.StatusNotAcceptable {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.refused = true
	refuse(w.ctx, w.ResponseWriter, code, store.Errorf(store.Invalid,
		"yêu cầu GET chỉ được chạy truy vấn (query); gửi mutation bằng POST",
		"GET requests may only run queries: send mutations with POST"))
}

func (w *queriesOnGet) Write(b []byte) (int, error) {
	if w.refused {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *queriesOnGet) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// releaseOnWrite calls release before the first byte of the answer.
type releaseOnWrite struct {
	http.ResponseWriter
	release func()
}

func (w *releaseOnWrite) WriteHeader(code int) {
	w.release()
	w.ResponseWriter.WriteHeader(code)
}

func (w *releaseOnWrite) Write(b []byte) (int, error) {
	w.release()
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *releaseOnWrite) Unwrap() http.ResponseWriter { return w.ResponseWriter }
