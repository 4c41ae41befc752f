package graph

import (
	"bytes"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"p06/auth"
	"p06/store"
)

// EvidenceHandler serves GET /evidence/{id}: an evidence file, to callers
// who may read its report's assignment (their scope, as auth.Middleware in
// front named them). Anyone else gets 404, exactly as for a file that does
// not exist. The file is always an attachment with its stored, detected
// type, never sniffed or rendered by the browser. A refusal is a coded
// error in the caller's language, shaped as the GraphQL endpoint's.
func EvidenceHandler(r *Resolver, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx := withLanguage(req.Context(), req.Header.Get("Accept-Language"))
		notFound := func() {
			w.Header().Set("Cache-Control", "private, no-store")
			refuse(ctx, w, http.StatusNotFound, &store.Error{Code: store.NotFound, Message: "không tìm thấy tệp minh chứng", English: "evidence file not found"})
		}
		id, err := strconv.ParseInt(req.PathValue("id"), 10, 64)
		if err != nil || id <= 0 {
			notFound()
			return
		}
		if err := r.Auth.Authorizer().Refresh(ctx); err != nil {
			log.ErrorContext(ctx, "refreshing policies", "err", err)
			refuse(ctx, w, http.StatusServiceUnavailable, &store.Error{Code: store.Internal, Message: "chưa đọc được quyền, hãy thử lại", English: "policies unavailable, try again"})
			return
		}
		f, err := r.TaskStore.Evidence(ctx, r.Auth.ScopeOf(auth.IdentityFrom(ctx)), id)
		if err != nil {
			if store.ErrorCode(err) == store.NotFound {
				notFound()
				return
			}
			log.ErrorContext(ctx, "reading evidence", "id", id, "err", err)
			refuse(ctx, w, http.StatusInternalServerError, &store.Error{Code: store.Internal, Message: "lỗi hệ thống", English: "internal error"})
			return
		}
		h := w.Header()
		h.Set("Content-Type", f.ContentType)
		h.Set("Content-Disposition", contentDisposition(f.Name))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		h.Set("Cache-Control", "private")
		h.Set("ETag", `"`+f.SHA256+`"`)
		http.ServeContent(w, req, "", f.ReportedAt, bytes.NewReader(f.Content))
	})
}

// contentDisposition makes an attachment header for a file name: the name
// itself (RFC 5987/6266 filename*, UTF-8, percent-encoded) for browsers
// and tools that read it, and an ASCII fallback (Vietnamese letters without
// their marks, đ as d) for those that do not.
func contentDisposition(name string) string {
	return `attachment; filename="` + asciiName(name) + `"; filename*=UTF-8''` + pctEncode(name)
}

// asciiName is name in printable ASCII, marks removed, anything else '_'.
func asciiName(name string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	s, _, err := transform.String(t, name)
	if err != nil {
		s = name
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r == 'đ':
			return 'd'
		case r == 'Đ':
			return 'D'
		case r < 0x20 || r > 0x7e || r == '"' || r == '\\':
			return '_'
		}
		return r
	}, s)
}

// pctEncode percent-encodes the UTF-8 bytes of s outside RFC 5987's
// attr-char.
func pctEncode(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
