// Package statictest holds the checks that the packages serving their
// assets with web/static (web/ide, web/app) share in their tests.
package statictest

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Get fetches url with the given header name/value pairs, without Go's
// transparent gzip, and returns the answer and its body.
func Get(t testing.TB, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

// CheckImmutable fails t unless res is an asset as static.File.Serve
// answers: cached for a year as immutable, never sniffed.
func CheckImmutable(t testing.TB, name string, res *http.Response) {
	t.Helper()
	if cc := res.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("%s: Cache-Control %q", name, cc)
	}
	if nosniff := res.Header.Get("X-Content-Type-Options"); nosniff != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q", name, nosniff)
	}
}

// CheckGzip fails t unless the asset at url (a large one) goes out
// gzipped, at most half its size, to a client that accepts gzip, varies by
// Accept-Encoding, unzips to want, and goes out plain with gzip;q=0.
func CheckGzip(t testing.TB, url string, want []byte) {
	t.Helper()
	res, zipped := Get(t, url, "Accept-Encoding", "br, gzip")
	if res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("%s: Content-Encoding %q, Vary %q", url, res.Header.Get("Content-Encoding"), res.Header.Get("Vary"))
	}
	if len(zipped) > len(want)/2 {
		t.Errorf("%s: gzip body %d bytes of %d", url, len(zipped), len(want))
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := io.ReadAll(zr); err != nil || !bytes.Equal(plain, want) {
		t.Fatalf("%s: the gzipped body does not unzip to the file: %v", url, err)
	}
	if res, body := Get(t, url, "Accept-Encoding", "gzip;q=0"); res.Header.Get("Content-Encoding") != "" || !bytes.Equal(body, want) {
		t.Errorf("%s: gzip;q=0 got Content-Encoding %q", url, res.Header.Get("Content-Encoding"))
	}
}
