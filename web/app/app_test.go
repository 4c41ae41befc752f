package app

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"p06/web/static/statictest"
)

func serve(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(Handler())
	t.Cleanup(srv.Close)
	return srv
}

var (
	scriptTag = regexp.MustCompile(`<script\b[^>]*>`)
	linkAttr  = regexp.MustCompile(`\b(?:src|href)="([^"]*)"`)
)

// Every path under /app/ that is not an asset is the shell, for the
// client's routes: never cached, under a strict Content-Security-Policy,
// with no inline script, loading only the current hashed assets.
func TestShellHeadersAndPolicy(t *testing.T) {
	srv := serve(t)
	for _, p := range []string{"/app/", "/app/tasks", "/app/tasks/VGFzazox?asOf=2023-12-21", "/app/sign-in"} {
		res, page := statictest.Get(t, srv.URL+p)
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
			t.Fatalf("%s: %s %q", p, res.Status, res.Header.Get("Content-Type"))
		}
		h := res.Header
		for k, want := range map[string]string{"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff",
			"Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"} {
			if h.Get(k) != want {
				t.Errorf("%s: %s = %q, want %q", p, k, h.Get(k), want)
			}
		}
		csp := map[string][]string{}
		for _, d := range strings.Split(h.Get("Content-Security-Policy"), ";") {
			if f := strings.Fields(d); len(f) > 0 {
				csp[f[0]] = f[1:]
			}
		}
		for d, want := range map[string]string{"default-src": "'none'", "script-src": "'self'", "connect-src": "'self'",
			"frame-ancestors": "'none'", "base-uri": "'none'", "style-src": "'self'"} {
			if strings.Join(csp[d], " ") != want {
				t.Errorf("%s: CSP %s = %q, want %q", p, d, csp[d], want)
			}
		}
		for _, tag := range scriptTag.FindAllString(string(page), -1) {
			if !strings.Contains(tag, ` src="`) || !strings.Contains(tag, `type="module"`) {
				t.Errorf("%s: %s is not a module loaded from a file", p, tag)
			}
		}
		if strings.Count(string(page), "<script") != 1 {
			t.Errorf("%s: want exactly one script, the entry module:\n%s", p, page)
		}
		for _, m := range linkAttr.FindAllStringSubmatch(string(page), -1) {
			if m[1] == "data:," {
				continue
			}
			if !strings.HasPrefix(m[1], AssetsPrefix+Hash()+"/") {
				t.Errorf("%s links to %q, not a current asset", p, m[1])
				continue
			}
			if res, _ := statictest.Get(t, srv.URL+m[1]); res.StatusCode != http.StatusOK {
				t.Errorf("%s: %s", m[1], res.Status)
			}
		}
	}
	if res, _ := statictest.Get(t, srv.URL+"/app/"); res.Header.Get("Content-Security-Policy") != ContentSecurityPolicy {
		t.Errorf("CSP %q", res.Header.Get("Content-Security-Policy"))
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/app/", nil)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /app/: %v %v", res.Status, err)
	}
}

// Assets are served under the hash of all of them, cached for a year; any
// other hash, or a file that is not there, is 404; large ones go out
// gzipped to clients that accept it.
func TestAssetsUnderTheirHash(t *testing.T) {
	srv := serve(t)
	b := mustBuild()
	for p, f := range b.files {
		res, body := statictest.Get(t, srv.URL+AssetURL(p))
		if res.StatusCode != http.StatusOK || !bytes.Equal(body, f.Body) {
			t.Errorf("%s: %s", p, res.Status)
			continue
		}
		statictest.CheckImmutable(t, p, res)
		want := map[string]string{".js": "text/javascript; charset=utf-8", ".mjs": "text/javascript; charset=utf-8",
			".css": "text/css; charset=utf-8", ".json": "application/json"}[filepath.Ext(p)]
		if want != "" && res.Header.Get("Content-Type") != want {
			t.Errorf("%s: Content-Type %q, want %q", p, res.Header.Get("Content-Type"), want)
		}
		other := AssetsPrefix + strings.Repeat("0", len(b.hash)) + "/" + p
		if res, _ := statictest.Get(t, srv.URL+other); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s under another hash: %s", p, res.Status)
		}
	}
	for _, p := range []string{"index.html", "ops/Me.graphql", "nothing.js", "app.go"} {
		if res, _ := statictest.Get(t, srv.URL+AssetsPrefix+b.hash+"/"+p); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %s, want 404", p, res.Status)
		}
	}
	statictest.CheckGzip(t, srv.URL+AssetURL("vendor/preact/dist/preact.mjs"), b.files["vendor/preact/dist/preact.mjs"].Body)
}

// The hash is of the served bytes: the same files give the same hash, and
// it changes with any byte of any file.
func TestHashFollowsContent(t *testing.T) {
	again, err := build()
	if err != nil {
		t.Fatal(err)
	}
	if again.hash != Hash() || len(Hash()) != 16 {
		t.Fatalf("two builds of the same files: %s and %s", again.hash, Hash())
	}
	if !bytes.Contains(again.shell, []byte(AssetsPrefix+Hash()+"/js/main.js")) {
		t.Errorf("the shell does not name the hashed entry module:\n%s", again.shell)
	}
}

// The vendored modules are served as npm ships them, except that a bare
// specifier ("preact") is resolved to the vendored file, as an import map
// would; nothing served imports a bare name or another origin.
func TestImportsResolve(t *testing.T) {
	b := mustBuild()
	orig, err := os.ReadFile("vendor/preact/hooks/dist/hooks.mjs")
	if err != nil {
		t.Fatal(err)
	}
	served := b.files["vendor/preact/hooks/dist/hooks.mjs"].Body
	if want := bytes.Replace(orig, []byte(`from"preact"`), []byte(`from"../../dist/preact.mjs"`), 1); !bytes.Equal(served, want) {
		t.Errorf("hooks.mjs is served otherwise than with its one import resolved")
	}
	// A statement, not the word in a path or an attribute ("/app/import").
	anyImport := regexp.MustCompile(`(?:^|[\s;})])(?:import|export)\s*(?:[\w*{}\s,$]+?\s*from\s*)?"([^"]+)"`)
	imports := 0
	for p, f := range b.files {
		if !strings.HasSuffix(p, ".js") && !strings.HasSuffix(p, ".mjs") {
			continue
		}
		for _, m := range anyImport.FindAllSubmatch(f.Body, -1) {
			imports++
			spec := string(m[1])
			if !strings.HasPrefix(spec, "./") && !strings.HasPrefix(spec, "../") {
				t.Errorf("%s imports %q", p, spec)
				continue
			}
			target := filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(p), spec)))
			if b.files[target] == nil {
				t.Errorf("%s imports %q, which is not served", p, spec)
			}
		}
		if bytes.Contains(f.Body, []byte("https://")) && strings.HasPrefix(p, "js/") {
			t.Errorf("%s names another origin", p)
		}
	}
	if imports < 30 {
		t.Errorf("found %d imports in the modules; the pattern misses some", imports)
	}
	if _, err := resolveImports("vendor/x/x.mjs", []byte(`import{a}from"left-pad";`)); err == nil {
		t.Error("an import the map does not know was let through")
	}
	for _, c := range []struct{ dir, target, want string }{
		{"vendor/preact/hooks/dist", "vendor/preact/dist/preact.mjs", "../../dist/preact.mjs"},
		{"vendor/preact/dist", "vendor/preact/dist/preact.mjs", "./preact.mjs"},
		{"vendor/htm/dist", "vendor/preact/dist/preact.mjs", "../../preact/dist/preact.mjs"},
		{".", "vendor/preact/dist/preact.mjs", "./vendor/preact/dist/preact.mjs"},
	} {
		if got := relative(c.dir, c.target); got != c.want {
			t.Errorf("relative(%q, %q) = %q, want %q", c.dir, c.target, got, c.want)
		}
	}
}

// ops.json lists every operation with the SHA-256 of the exact text sent,
// as APQ hashes it; each text is valid against the server's schema and
// small enough for the server's persisted-query cache (8 KiB), so the app's
// requests are a hash alone after the first.
func TestOperationsManifest(t *testing.T) {
	srv := serve(t)
	res, body := statictest.Get(t, srv.URL+AssetURL(ManifestPath))
	if res.StatusCode != http.StatusOK {
		t.Fatal(res.Status)
	}
	var ops map[string]Operation
	if err := json.Unmarshal(body, &ops); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir("ops")
	if len(ops) != len(entries)-1 || len(ops) < 10 {
		t.Fatalf("%d operations listed for %d files", len(ops), len(entries))
	}
	var sources []*ast.Source
	schemaFiles, _ := filepath.Glob("../../graph/schema/*.graphqls")
	for _, f := range schemaFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, &ast.Source{Name: f, Input: string(b)})
	}
	schema, err := gqlparser.LoadSchema(sources...)
	if err != nil {
		t.Fatal(err)
	}
	for name, op := range ops {
		sum := sha256.Sum256([]byte(op.Query))
		if op.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: sha256 %s is not the text's", name, op.SHA256)
		}
		if len(op.Query) > 8<<10 {
			t.Errorf("%s: %d bytes, over the server's persisted-query cache limit", name, len(op.Query))
		}
		doc, errs := gqlparser.LoadQuery(schema, op.Query)
		if errs != nil {
			t.Errorf("%s: %v", name, errs)
			continue
		}
		if len(doc.Operations) != 1 || doc.Operations[0].Name != name {
			t.Errorf("%s: the file holds %d operations, the first named %q", name, len(doc.Operations), doc.Operations[0].Name)
		}
	}
	if !strings.Contains(ops["Me"].Query, "fragment Session on Me") || strings.Contains(ops["Me"].Query, "fragment Facts") {
		t.Errorf("Me is sent with the wrong fragments:\n%s", ops["Me"].Query)
	}
}

// Every vendored file has its licence beside it, and the versions are those
// package-lock.json pins.
func TestVendoredVersionsAndLicences(t *testing.T) {
	lockJSON, err := os.ReadFile("package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	var lock struct {
		Packages map[string]struct{ Version, License string }
	}
	if err := json.Unmarshal(lockJSON, &lock); err != nil {
		t.Fatal(err)
	}
	for _, vf := range []string{"vendor/VERSIONS", "testvendor/VERSIONS"} {
		versions, err := os.ReadFile(vf)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(versions)), "\n") {
			name, version, _ := strings.Cut(line, " ")
			if got := lock.Packages["node_modules/"+name].Version; got != version {
				t.Errorf("%s: %s %s, package-lock.json %q", vf, name, version, got)
			}
			dir := filepath.Join(filepath.Dir(vf), name)
			if _, err := os.Stat(filepath.Join(dir, "LICENSE")); err != nil {
				t.Errorf("%s has no LICENSE", dir)
			}
		}
	}
	if AssetURL("vendor/preact/LICENSE") == "" || AssetURL("vendor/htm/LICENSE") == "" {
		t.Error("the licences are not served with the code")
	}
}

// Everything the app serves fits the budget for a first load: at
// most 300 KB as sent (gzip where the server compresses).
func TestAssetsWithinBudget(t *testing.T) {
	b := mustBuild()
	var plain, sent int
	for _, f := range b.files {
		plain += len(f.Body)
		if len(f.Body) > 1024 {
			sent += len(f.Gzipped())
		} else {
			sent += len(f.Body)
		}
	}
	sent += len(b.shell)
	t.Logf("%d files, %d KB, %d KB as sent", len(b.files)+1, plain/1024, sent/1024)
	if sent > 300<<10 {
		t.Errorf("the app's files are %d KB as sent, over 300 KB", sent/1024)
	}
}

// Every string the pages ask for is in the dictionary, in both languages,
// and both languages have the same keys.
func TestEveryStringInBothLanguages(t *testing.T) {
	dict, err := os.ReadFile("js/i18n.js")
	if err != nil {
		t.Fatal(err)
	}
	vi, en, ok := strings.Cut(string(dict), "\n  en: {\n")
	if !ok {
		t.Fatal("js/i18n.js has no en block")
	}
	en, _, _ = strings.Cut(en, "\n  },\n};")
	keyRE := regexp.MustCompile(`(?m)^    (\w+): "`)
	keys := func(block string) map[string]bool {
		m := map[string]bool{}
		for _, k := range keyRE.FindAllStringSubmatch(block, -1) {
			m[k[1]] = true
		}
		return m
	}
	viKeys, enKeys := keys(vi), keys(en)
	if len(viKeys) < 100 {
		t.Fatalf("found %d Vietnamese strings; the pattern misses them", len(viKeys))
	}
	for k := range viKeys {
		if !enKeys[k] {
			t.Errorf("%s has no English", k)
		}
	}
	for k := range enKeys {
		if !viKeys[k] {
			t.Errorf("%s has no Vietnamese", k)
		}
	}
	// t("key") and t("prefix_" + x): the literal keys must exist, and some
	// key must start with each prefix.
	use := regexp.MustCompile(`\bt\("(\w+)"(\s*\+)?`)
	files, _ := filepath.Glob("js/*.js")
	pages, _ := filepath.Glob("js/pages/*.js")
	for _, f := range append(files, pages...) {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		code := regexp.MustCompile(`(?m)^\s*//.*$`).ReplaceAllString(string(src), "")
		for _, m := range use.FindAllStringSubmatch(code, -1) {
			if m[2] == "" && !viKeys[m[1]] {
				t.Errorf("%s asks for %q, which the dictionary lacks", f, m[1])
			}
			if m[2] != "" {
				found := false
				for k := range viKeys {
					found = found || strings.HasPrefix(k, m[1])
				}
				if !found {
					t.Errorf("%s asks for %q + …, and no key starts so", f, m[1])
				}
			}
		}
	}
}
