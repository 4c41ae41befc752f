// Package app serves the web app at /app/: a single-page app of native ES
// modules (Preact and htm, vendored unchanged from npm; no build step),
// embedded in the binary, that uses only the public API (the GraphQL
// endpoint, the charts and reports, evidence URLs). See README.md here and
// docs/ARCHITECTURE.md, "The web app".
//
// Every asset is served under one hash of all the embedded files,
// /app/assets/<hash>/<path>, so the modules' relative imports keep working
// and each file can be cached for a year; the HTML shell, served for every
// other /app/… path (client-side routes), is never cached and names the
// current hash.
package app

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"

	"p06/web/static"
)

// Prefix is where the app lives; AssetsPrefix is where its files are served.
const (
	Prefix       = "/app/"
	AssetsPrefix = Prefix + "assets/"
)

// ContentSecurityPolicy is sent with the shell: scripts (modules only, no
// inline script), styles, images and requests from this server only. The
// charts are images under /charts/; 'self' in connect-src also allows the
// same host's ws: and wss: (CSP Level 3), which the subscriptions use.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// ManifestPath is the generated file listing the GraphQL operations:
// {"Name": {"sha256": "…", "query": "…"}}, SHA-256 as automatic persisted
// queries expect it, computed here so the app needs no crypto.subtle (which
// browsers offer only on https and localhost).
const ManifestPath = "ops.json"

//go:embed index.html app.css js ops vendor
var files embed.FS

var shell = template.Must(template.ParseFS(files, "index.html"))

// importMap resolves the bare specifiers of the vendored modules, as an
// import map would: the shell may have no inline script, so there is none,
// and preact/hooks imports "preact". Paths are relative to the assets' root.
var importMap = map[string]string{"preact": "vendor/preact/dist/preact.mjs"}

// bareImport matches an import or re-export of a bare specifier in a
// minified module: from"x", from "x", import"x".
var bareImport = regexp.MustCompile(`\b(from|import)\s*"([^"./][^"]*)"`)

// resolveImports rewrites the bare specifiers of the module at p (a path
// under the assets' root) to relative paths, and fails on one it cannot
// resolve, so a vendored update that imports something new is caught by the
// tests rather than in a browser.
func resolveImports(p string, body []byte) ([]byte, error) {
	var missing []string
	out := bareImport.ReplaceAllFunc(body, func(m []byte) []byte {
		g := bareImport.FindSubmatch(m)
		target, ok := importMap[string(g[2])]
		if !ok {
			missing = append(missing, string(g[2]))
			return m
		}
		rel := relative(path.Dir(p), target)
		return []byte(fmt.Sprintf(`%s"%s"`, g[1], rel))
	})
	if len(missing) > 0 {
		return nil, fmt.Errorf("app: %s imports %q, which importMap does not resolve", p, missing)
	}
	return out, nil
}

// relative is the path from directory dir to target, both relative to the
// same root, written as a module specifier ("./x.mjs", "../../x.mjs").
func relative(dir, target string) string {
	up := 0
	for dir != "." && !strings.HasPrefix(target, dir+"/") {
		dir = path.Dir(dir)
		up++
	}
	if dir != "." {
		target = strings.TrimPrefix(target, dir+"/")
	}
	if up == 0 {
		return "./" + target
	}
	return strings.Repeat("../", up) + target
}

// Operation is one GraphQL operation of the app, as the manifest lists it.
type Operation struct {
	SHA256 string `json:"sha256"`
	Query  string `json:"query"`
}

var (
	opName     = regexp.MustCompile(`^\s*(?:#[^\n]*\n\s*)*(query|mutation|subscription)\s+([A-Za-z_][A-Za-z0-9_]*)`)
	fragmentRE = regexp.MustCompile(`(?m)^fragment\s+([A-Za-z_][A-Za-z0-9_]*)\s+on\s+[A-Za-z_][A-Za-z0-9_]*\s*\{(?:[^{}]|\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\})*\}`)
	spreadRE   = regexp.MustCompile(`\.\.\.\s*([A-Za-z_][A-Za-z0-9_]*)`)
)

// FragmentsFile holds the fragments the operations share.
const FragmentsFile = "fragments.graphql"

// operations reads ops/*.graphql: one operation per file, named like the
// file, followed by the fragments of FragmentsFile it spreads (directly or
// through another fragment), in the order of that file. The text so made
// is what the app sends; its SHA-256 is the APQ hash.
func operations() (map[string]Operation, error) {
	shared, err := files.ReadFile("ops/" + FragmentsFile)
	if err != nil {
		return nil, err
	}
	var fragNames []string
	frags := map[string]string{}
	for _, m := range fragmentRE.FindAllStringSubmatch(string(shared), -1) {
		fragNames = append(fragNames, m[1])
		frags[m[1]] = m[0]
	}
	ops := map[string]Operation{}
	entries, err := fs.ReadDir(files, "ops")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".graphql")
		if !ok {
			return nil, fmt.Errorf("app: ops/%s is not a .graphql file", e.Name())
		}
		if e.Name() == FragmentsFile {
			continue
		}
		body, err := files.ReadFile("ops/" + e.Name())
		if err != nil {
			return nil, err
		}
		q := strings.TrimSpace(string(body))
		m := opName.FindStringSubmatch(q)
		if m == nil || m[2] != name {
			return nil, fmt.Errorf("app: ops/%s must hold one operation named %s", e.Name(), name)
		}
		used := map[string]bool{}
		var walk func(text string) error
		walk = func(text string) error {
			for _, s := range spreadRE.FindAllStringSubmatch(text, -1) {
				if s[1] == "on" || used[s[1]] || strings.Contains(text, "fragment "+s[1]+" on ") { // inline, or defined here
					continue
				}
				f, ok := frags[s[1]]
				if !ok {
					return fmt.Errorf("app: ops/%s spreads %s, which is not in ops/%s", e.Name(), s[1], FragmentsFile)
				}
				used[s[1]] = true
				if err := walk(f); err != nil {
					return err
				}
			}
			return nil
		}
		if err := walk(q); err != nil {
			return nil, err
		}
		for _, f := range fragNames {
			if used[f] {
				q += "\n\n" + frags[f]
			}
		}
		sum := sha256.Sum256([]byte(q))
		ops[name] = Operation{SHA256: hex.EncodeToString(sum[:]), Query: q}
	}
	return ops, nil
}

// bundle is everything served, built once from the embedded files.
type bundle struct {
	hash  string // of every served file: the assets' path segment
	files map[string]*static.File
	ops   map[string]Operation
	shell []byte
}

var built = sync.OnceValues(build)

func build() (*bundle, error) {
	b := &bundle{files: map[string]*static.File{}}
	bodies := map[string][]byte{}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == "index.html" || strings.HasPrefix(p, "ops/") {
			return err
		}
		body, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasPrefix(p, "vendor/") && strings.HasSuffix(p, ".mjs") {
			if body, err = resolveImports(p, body); err != nil {
				return err
			}
		}
		bodies[p] = body
		return nil
	})
	if err != nil {
		return nil, err
	}
	if b.ops, err = operations(); err != nil {
		return nil, err
	}
	if bodies[ManifestPath], err = json.Marshal(b.ops); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(bodies))
	for p := range bodies {
		names = append(names, p)
	}
	sort.Strings(names)
	h := sha256.New()
	for _, p := range names {
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(bodies[p]))
		h.Write(bodies[p])
	}
	b.hash = hex.EncodeToString(h.Sum(nil))[:16]
	for _, p := range names {
		b.files[p] = static.NewFile(p, bodies[p], b.hash)
	}
	var page bytes.Buffer
	if err := shell.Execute(&page, map[string]string{"Base": AssetsPrefix + b.hash + "/"}); err != nil {
		return nil, err
	}
	b.shell = page.Bytes()
	return b, nil
}

func mustBuild() *bundle {
	b, err := built()
	if err != nil {
		panic(err) // the embedded files are part of the binary: the tests catch this
	}
	return b
}

// Hash is the path segment of the current assets.
func Hash() string { return mustBuild().hash }

// AssetURL is the served path of the embedded file p ("js/main.js"), or ""
// when there is none.
func AssetURL(p string) string {
	b := mustBuild()
	if b.files[p] == nil {
		return ""
	}
	return AssetsPrefix + b.hash + "/" + p
}

// Operations are the app's GraphQL operations by name.
func Operations() map[string]Operation { return mustBuild().ops }

// Handler serves the app: the assets under AssetsPrefix, the shell for every
// other path under Prefix. Mount it at Prefix.
func Handler() http.Handler {
	b := mustBuild()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if rest, ok := strings.CutPrefix(r.URL.Path, AssetsPrefix); ok {
			hash, p, _ := strings.Cut(rest, "/")
			f := b.files[p]
			if f == nil || hash != b.hash {
				w.Header().Set("X-Content-Type-Options", "nosniff")
				http.NotFound(w, r)
				return
			}
			f.Serve(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if r.Method != http.MethodHead {
			w.Write(b.shell)
		}
	})
}
