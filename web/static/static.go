// Package static serves files embedded in the binary under a content hash:
// cached for a year as immutable, gzip-compressed for clients that accept
// it. The GraphQL IDE (web/ide) and the web app (web/app) both serve their
// assets with it; each decides the hash that goes into the path.
package static

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// File is one asset as served.
type File struct {
	Body []byte
	// Type is its Content-Type.
	Type string
	// ETag is sent as the entity tag ("-gz" added for the compressed body).
	ETag    string
	gzipped func() []byte
}

// NewFile makes an asset of body, typed by the extension of name.
func NewFile(name string, body []byte, etag string) *File {
	f := &File{Body: body, Type: ContentType(name), ETag: etag}
	f.gzipped = sync.OnceValue(func() []byte {
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		zw.Write(body)
		zw.Close()
		return b.Bytes()
	})
	return f
}

// Gzipped is the body compressed as it is sent to clients that accept gzip.
func (f *File) Gzipped() []byte { return f.gzipped() }

// ContentType is the type an asset is served with, by its extension.
func ContentType(name string) string {
	switch path.Ext(name) {
	case ".js", ".mjs":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".json":
		return "application/json"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	default: // LICENSE, THIRD-PARTY-LICENSES.txt, VERSIONS
		return "text/plain; charset=utf-8"
	}
}

// Serve writes f as an immutable asset: cached for a year, never sniffed,
// gzip when the client accepts it and the file is worth compressing. One
// byte range is served as asked (206); a request for several is answered
// with the whole file (200, as RFC 9110 allows), so that many small ranges
// cannot make the answer larger than the file.
func (f *File) Serve(w http.ResponseWriter, r *http.Request) {
	if strings.Contains(r.Header.Get("Range"), ",") {
		r = r.Clone(r.Context())
		r.Header.Del("Range")
	}
	h := w.Header()
	h.Set("Content-Type", f.Type)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Vary", "Accept-Encoding")
	body, etag := f.Body, `"`+f.ETag+`"`
	if AcceptsGzip(r) && len(body) > 1024 {
		body, etag = f.gzipped(), `"`+f.ETag+`-gz"`
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// AcceptsGzip reports whether the request's Accept-Encoding allows gzip.
func AcceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(coding), "gzip") {
			return strings.ReplaceAll(strings.TrimSpace(params), " ", "") != "q=0"
		}
	}
	return false
}
