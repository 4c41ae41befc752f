package ide_test

import (
	"bytes"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"regexp"
	"strings"
	"testing"

	"p06/web/ide"
	"p06/web/static/statictest"
)

func newServer(t *testing.T) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", ide.Page("/query"))
	mux.Handle("GET "+ide.Prefix, ide.Assets())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

var (
	loadRE  = regexp.MustCompile(`<script\b[^>]*>|<link rel="stylesheet"[^>]*>`)
	attrRE  = regexp.MustCompile(`\b(src|href|integrity)="([^"]*)"`)
	cssURL  = regexp.MustCompile(`url\(\s*['"]?([^'")]*)`)
	anyLink = regexp.MustCompile(`\b(?:src|href|action)="([^"]*)"`)
)

// The page loads only what the server itself serves, each asset under a
// content-hashed path with the right type, a long cache lifetime and a
// matching integrity hash; the page itself has a CSP with no other origin.
func TestPageLoadsOnlyItsOwnAssets(t *testing.T) {
	srv := newServer(t)
	res, page := statictest.Get(t, srv.URL+"/")
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("page: %s %q", res.Status, res.Header.Get("Content-Type"))
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("page Cache-Control = %q; the page names the current assets and must not be cached", cc)
	}
	csp := res.Header.Get("Content-Security-Policy")
	for _, directive := range strings.Split(csp, ";") {
		fields := strings.Fields(directive)
		if len(fields) == 0 {
			continue
		}
		for _, src := range fields[1:] {
			switch src {
			case "'self'", "'none'", "data:":
			default:
				t.Errorf("CSP %s allows %s; want only 'self', 'none' and data:", fields[0], src)
			}
		}
	}
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}

	// No link of the page leaves the server.
	for _, m := range anyLink.FindAllStringSubmatch(string(page), -1) {
		if u := html.UnescapeString(m[1]); u != "data:," && (!strings.HasPrefix(u, "/") || strings.HasPrefix(u, "//")) {
			t.Errorf("the page links to %q, not a path on this server", u)
		}
	}

	loads := loadRE.FindAllString(string(page), -1)
	if len(loads) != 6 { // 2 stylesheets, 4 scripts
		t.Fatalf("page loads %d scripts and stylesheets, want 6:\n%s", len(loads), page)
	}
	for _, tag := range loads {
		attrs := map[string]string{}
		for _, m := range attrRE.FindAllStringSubmatch(tag, -1) {
			attrs[m[1]] = html.UnescapeString(m[2])
		}
		u := attrs["src"] + attrs["href"]
		if !strings.HasPrefix(u, ide.Prefix) {
			t.Errorf("%s loads %q, not an asset of this server", tag, u)
			continue
		}
		res, body := statictest.Get(t, srv.URL+u)
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: %s", u, res.Status)
			continue
		}
		wantType := "text/javascript; charset=utf-8"
		if strings.HasSuffix(u, ".css") {
			wantType = "text/css; charset=utf-8"
			// Fonts and icons are inline; nothing is imported.
			if bytes.Contains(body, []byte("@import")) {
				t.Errorf("%s imports another stylesheet", u)
			}
			for _, m := range cssURL.FindAllStringSubmatch(string(body), -1) {
				if !strings.HasPrefix(m[1], "data:") && !strings.HasPrefix(m[1], "#") {
					t.Errorf("%s loads url(%s)", u, m[1])
				}
			}
		}
		if ct := res.Header.Get("Content-Type"); ct != wantType {
			t.Errorf("%s: Content-Type %q, want %q", u, ct, wantType)
		}
		statictest.CheckImmutable(t, u, res)
		sum := sha512.Sum384(body)
		if want := "sha384-" + base64.StdEncoding.EncodeToString(sum[:]); attrs["integrity"] != want {
			t.Errorf("%s: integrity %q, body hashes to %q", u, attrs["integrity"], want)
		}
		// The public CDNs the old page used appear nowhere.
		for _, cdn := range []string{"unpkg.com", "jsdelivr.net", "cdnjs.", "googleapis.com", "gstatic.com"} {
			if bytes.Contains(body, []byte(cdn)) {
				t.Errorf("%s mentions %s", u, cdn)
			}
		}

		// A path with another hash is not this file.
		hash, rest, _ := strings.Cut(strings.TrimPrefix(u, ide.Prefix), "/")
		if res, _ := statictest.Get(t, srv.URL+ide.Prefix+strings.Repeat("0", len(hash))+"/"+rest); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s under another hash: %s, want 404", rest, res.Status)
		}
	}
}

// Large assets go out compressed to clients that accept gzip, and the same
// bytes come out.
func TestAssetsAreCompressed(t *testing.T) {
	srv := newServer(t)
	u := ide.AssetURL("vendor/graphiql/graphiql.min.js")
	_, plain := statictest.Get(t, srv.URL+u)
	statictest.CheckGzip(t, srv.URL+u, plain)
}

// Every vendored file has its licence next to it, served too, and the
// vendored versions are the ones package-lock.json pins.
func TestVendoredFilesHaveLicencesAndPinnedVersions(t *testing.T) {
	srv := newServer(t)
	for _, f := range []string{"vendor/graphiql/graphiql.min.js", "vendor/graphiql/graphiql.min.css",
		"vendor/react/react.production.min.js", "vendor/react-dom/react-dom.production.min.js"} {
		lic := path.Join(path.Dir(f), "LICENSE")
		u := ide.AssetURL(lic)
		if u == "" {
			t.Errorf("%s has no LICENSE next to it", f)
			continue
		}
		res, body := statictest.Get(t, srv.URL+u)
		if res.StatusCode != http.StatusOK || !bytes.Contains(body, []byte("MIT License")) || res.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("%s: %s %q %.60q", lic, res.Status, res.Header.Get("Content-Type"), body)
		}
	}

	lockJSON, err := os.ReadFile("package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	var lock struct {
		Packages map[string]struct{ Version string }
	}
	if err := json.Unmarshal(lockJSON, &lock); err != nil {
		t.Fatal(err)
	}
	versions, err := os.ReadFile("vendor/VERSIONS")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, p := range []string{"graphiql", "react", "react-dom"} {
		want = append(want, p+" "+lock.Packages["node_modules/"+p].Version)
	}
	if got := strings.TrimSpace(string(versions)); got != strings.Join(want, "\n") {
		t.Errorf("vendor/VERSIONS:\n%s\npackage-lock.json pins:\n%s\nrun ./vendor.sh", got, strings.Join(want, "\n"))
	}
	for _, v := range []string{"graphiql 3.9.0", "react 18.3.1", "react-dom 18.3.1"} {
		if !strings.Contains(string(versions), v) {
			t.Errorf("vendor/VERSIONS lacks %q (README.md names it)", v)
		}
	}
}
