package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"p06/auth"
	"p06/store"
)

// Files come in multipart requests (the GraphQL multipart request spec:
// operations, map, then the files), read by gqlgen's MultipartForm
// transport. Only those requests get the larger body limit
// (Limits.UploadBytes); a plain GraphQL request keeps MaxRequestBytes.

// DefaultUploadBytes is the body limit of a multipart request unless
// configured (P06_MAX_UPLOAD_MB).
const DefaultUploadBytes = 20 << 20

// MaxConcurrentUploads bounds the multipart requests one process reads at
// once; others wait their turn (or until their client goes away). Each holds
// its files in memory (see multipartTransport), so this bounds the memory
// uploads take.
const MaxConcurrentUploads = 4

// isMultipart reports whether req is a multipart GraphQL request, as
// transport.MultipartForm decides.
func isMultipart(req *http.Request) bool {
	mt, _, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	return err == nil && mt == "multipart/form-data"
}

// multipartTransport reads multipart requests of at most limit bytes. The
// files are kept in memory, never in temporary files: they are stored in the
// database in one transaction, so they are read into memory then anyway, and
// the body limit (checked before reading, from Content-Length) bounds them.
func multipartTransport(limit int64) graphql.Transport {
	return codedMultipart{transport.MultipartForm{MaxUploadSize: limit, MaxMemory: limit + 1}}
}

// codedMultipart is gqlgen's multipart transport with its refusals made like
// every other error: coded INVALID, in the caller's language, and a "map"
// that names a place not in the variables (which gqlgen indexes unchecked,
// and panics on) refused instead of answered INTERNAL.
type codedMultipart struct{ transport.MultipartForm }

func (m codedMultipart) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	cw := &refusalWriter{ResponseWriter: w}
	defer func() {
		if v := recover(); v != nil {
			refuse(r.Context(), w, http.StatusBadRequest, malformedMultipart("map names a place that is not in variables"))
			return
		}
		cw.finish(r.Context())
	}()
	m.MultipartForm.Do(cw, r, exec)
}

// malformedMultipart is the error of a multipart request that does not
// follow the GraphQL multipart request spec; detail is gqlgen's own words.
func malformedMultipart(detail string) *store.Error {
	return store.Errorf(store.Invalid,
		"yêu cầu gửi tệp không đúng chuẩn GraphQL multipart request (phần operations, rồi map, rồi các tệp): %s",
		"the request sending files does not follow the GraphQL multipart request spec (operations, then map, then the files): %s", detail)
}

// refusalWriter holds back an error answer (status 400 or more) so that
// finish can give its uncoded errors a code and a message in the caller's
// language; other answers pass straight through.
type refusalWriter struct {
	http.ResponseWriter
	status int
	buf    bytes.Buffer
}

func (rw *refusalWriter) WriteHeader(status int) {
	if status >= 400 {
		rw.status = status
		return
	}
	rw.ResponseWriter.WriteHeader(status)
}

func (rw *refusalWriter) Write(b []byte) (int, error) {
	if rw.status >= 400 {
		return rw.buf.Write(b)
	}
	return rw.ResponseWriter.Write(b)
}

func (rw *refusalWriter) finish(ctx context.Context) {
	if rw.status < 400 {
		return
	}
	var resp graphql.Response
	if err := json.Unmarshal(rw.buf.Bytes(), &resp); err != nil || len(resp.Errors) == 0 {
		refuse(ctx, rw.ResponseWriter, rw.status, malformedMultipart(strings.TrimSpace(rw.buf.String())))
		return
	}
	for _, e := range resp.Errors {
		if e.Extensions["code"] == nil {
			refuse(ctx, rw.ResponseWriter, rw.status, malformedMultipart(e.Message))
			return
		}
	}
	rw.ResponseWriter.WriteHeader(rw.status)
	_, _ = rw.ResponseWriter.Write(rw.buf.Bytes())
}

// uploadGate decides, before its body is read, whether a multipart request
// may be read: the caller must be signed in (and, with the session cookie,
// have echoed the CSRF token: a multipart form is a request any web page can
// make a browser send), the request must say its length (Content-Length),
// and that length must be within the limit. It then waits for one of the
// MaxConcurrentUploads slots. It returns the function that frees the slot,
// or false after answering the refusal itself.
//
// Nobody may hold the slots to starve the others: the caller must hold a
// permission that sends files (UPDATE_ASSIGNMENT for reportProgress,
// CREATE_DOCUMENT for importTasks), has one upload in flight at a time, waits
// at most uploadWait for a slot (then a coded 503), and must send its body
// at uploadRate or faster (a read deadline from its Content-Length).
type uploadGate struct {
	limit     int64
	slots     chan struct{}
	mayUpload func(*auth.Identity) bool
	mu        sync.Mutex
	busy      map[int64]bool // users with an upload in flight
}

const (
	uploadWait = 30 * time.Second
	uploadRate = 64 << 10 // bytes a second, at the least
)

func newUploadGate(limit int64, mayUpload func(*auth.Identity) bool) *uploadGate {
	return &uploadGate{limit: limit, slots: make(chan struct{}, MaxConcurrentUploads), mayUpload: mayUpload, busy: map[int64]bool{}}
}

func (g *uploadGate) enter(w http.ResponseWriter, req *http.Request) (func(), bool) {
	ctx := req.Context()
	id := auth.IdentityFrom(ctx)
	switch {
	case id == nil:
		refuse(ctx, w, http.StatusUnauthorized, store.Errorf(store.Unauthenticated,
			"gửi tệp cần đăng nhập", "sending files needs a signed-in caller"))
		return nil, false
	case id.Method == auth.MethodSession && !id.CSRFOK:
		refuse(ctx, w, http.StatusForbidden, store.Errorf(store.Forbidden,
			"thiếu hoặc sai mã chống giả mạo yêu cầu: gửi giá trị cookie %s trong tiêu đề %s",
			"missing or wrong CSRF token: send the %s cookie's value in the %s header", auth.CSRFCookie, auth.CSRFHeader))
		return nil, false
	case req.ContentLength < 0:
		refuse(ctx, w, http.StatusLengthRequired, store.Errorf(store.Invalid,
			"yêu cầu gửi tệp phải có tiêu đề Content-Length", "a request sending files must have a Content-Length header"))
		return nil, false
	case req.ContentLength > g.limit:
		refuse(ctx, w, http.StatusRequestEntityTooLarge, store.Errorf(store.Invalid,
			"yêu cầu dài %d byte, quá giới hạn %d byte (%s) cho các tệp gửi cùng lúc",
			"the request is %d bytes long, more than the limit of %d bytes (%s) for the files sent at once",
			req.ContentLength, g.limit, mib(g.limit)))
		return nil, false
	case !g.mayUpload(id):
		refuse(ctx, w, http.StatusForbidden, store.Errorf(store.Forbidden,
			"bạn không có quyền gửi tệp (báo cáo tiến độ hoặc nhập nhiệm vụ)", "you may not send files (progress reports or task imports)"))
		return nil, false
	}
	g.mu.Lock()
	if g.busy[id.User.ID] {
		g.mu.Unlock()
		refuse(ctx, w, http.StatusTooManyRequests, store.Errorf(store.Conflict,
			"bạn đang gửi một yêu cầu có tệp khác; chờ nó xong rồi gửi tiếp", "you are already sending files in another request; send this one when it is done"))
		return nil, false
	}
	g.busy[id.User.ID] = true
	g.mu.Unlock()
	leave := func() {
		g.mu.Lock()
		delete(g.busy, id.User.ID)
		g.mu.Unlock()
	}
	timer := time.NewTimer(uploadWait)
	defer timer.Stop()
	select {
	case g.slots <- struct{}{}:
	case <-timer.C:
		leave()
		refuse(ctx, w, http.StatusServiceUnavailable, store.Errorf(store.Conflict,
			"máy chủ đang nhận nhiều tệp; vui lòng gửi lại sau ít phút", "the server is receiving many files; please send again in a few minutes"))
		return nil, false
	case <-ctx.Done():
		leave()
		return nil, false
	}
	// A body sent slower than uploadRate is cut off, freeing the slot.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(10*time.Second + time.Duration(req.ContentLength/uploadRate)*time.Second))
	return func() { <-g.slots; leave() }, true
}

func mib(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
}

// refuse answers a request refused before GraphQL saw it: a GraphQL
// response with one coded error, in the caller's language.
func refuse(ctx context.Context, w http.ResponseWriter, status int, e *store.Error) {
	msg := e.Message
	if english(ctx) && e.English != "" {
		msg = e.English
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(graphql.Response{Errors: gqlerror.List{{Message: msg, Extensions: map[string]any{"code": string(e.Code)}}}})
}

// queryText bounds the query text of a request to MaxRequestBytes whatever
// its transport, so the larger body of a multipart request buys no longer
// document.
type queryText struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = queryText{}

func (queryText) ExtensionName() string                   { return "QueryText" }
func (queryText) Validate(graphql.ExecutableSchema) error { return nil }

func (queryText) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if len(p.Query) <= MaxRequestBytes {
		return nil
	}
	msg := fmt.Sprintf("truy vấn dài %d byte, quá giới hạn %d byte", len(p.Query), MaxRequestBytes)
	if english(ctx) {
		msg = fmt.Sprintf("the query is %d bytes long, more than the limit of %d bytes", len(p.Query), MaxRequestBytes)
	}
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": "QUERY_TOO_COMPLEX"}}
}
