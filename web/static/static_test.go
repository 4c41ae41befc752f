package static_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"p06/web/static"
)

// TestRanges: one byte range is served as asked; several get the whole
// file, never a multipart answer larger than it.
func TestRanges(t *testing.T) {
	body := bytes.Repeat([]byte("Hà Nội "), 100)
	f := static.NewFile("a.js", body, "abc")
	get := func(rng string) (*http.Response, []byte) {
		req := httptest.NewRequest(http.MethodGet, "/a.js", nil)
		req.Header.Set("Range", rng)
		rec := httptest.NewRecorder()
		f.Serve(rec, req)
		res := rec.Result()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	if res, b := get("bytes=0-9"); res.StatusCode != http.StatusPartialContent || !bytes.Equal(b, body[:10]) {
		t.Errorf("one range: %d, %q", res.StatusCode, b)
	}
	many := "bytes=" + strings.TrimSuffix(strings.Repeat("0-0,", 500), ",")
	if res, b := get(many); res.StatusCode != http.StatusOK || !bytes.Equal(b, body) || res.Header.Get("Cache-Control") == "" {
		t.Errorf("%d ranges: %d, %d bytes (the file has %d)", 500, res.StatusCode, len(b), len(body))
	}
}
