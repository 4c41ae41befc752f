package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"

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
func multipartTransport(limit int64) transport.MultipartForm {
	return transport.MultipartForm{MaxUploadSize: limit, MaxMemory: limit + 1}
}

// uploadGate decides, before its body is read, whether a multipart request
// may be read: the caller must be signed in (and, with the session cookie,
// have echoed the CSRF token: a multipart form is a request any web page can
// make a browser send), the request must say its length (Content-Length),
// and that length must be within the limit. It then waits for one of the
// MaxConcurrentUploads slots. It returns the function that frees the slot,
// or false after answering the refusal itself.
type uploadGate struct {
	limit int64
	slots chan struct{}
}

func newUploadGate(limit int64) *uploadGate {
	return &uploadGate{limit: limit, slots: make(chan struct{}, MaxConcurrentUploads)}
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
	}
	select {
	case g.slots <- struct{}{}:
		return func() { <-g.slots }, true
	case <-ctx.Done():
		return nil, false
	}
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
