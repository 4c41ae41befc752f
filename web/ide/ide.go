// Package ide serves the GraphQL IDE (GraphiQL) entirely from the binary:
// the page, its script and every asset it loads are embedded, so the IDE
// works on a network with no way out. The vendored browser builds of
// GraphiQL and React are pinned in package-lock.json and copied unchanged by
// vendor.sh; see README.md for their versions and licences.
//
// Assets are served under Prefix with their content hash in the path
// ("/ide/3f9c…/vendor/graphiql/graphiql.min.js") and cached for a year; the
// page itself is never cached, so a new binary's assets are picked up at once.
package ide

import (
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"sync"

	"p06/web/static"
)

// Prefix is the path under which the assets are served.
const Prefix = "/ide/"

// ContentSecurityPolicy is sent with the page: scripts, styles and requests
// from this server only. GraphiQL's fonts and icons are data: URLs in its CSS.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

//go:embed index.html app.js app.css vendor
var files embed.FS

var page = template.Must(template.ParseFS(files, "index.html"))

// asset is one embedded file as served.
type asset struct {
	*static.File
	hash      string // hex, first 16 digits of its SHA-256
	integrity string // for the integrity attribute of <script> and <link>
}

var assets = sync.OnceValue(func() map[string]*asset {
	m := map[string]*asset{}
	err := fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || p == "index.html" {
			return err
		}
		body, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		sri := sha512.Sum384(body)
		hash := hex.EncodeToString(sum[:8])
		m[p] = &asset{File: static.NewFile(p, body, hash), hash: hash,
			integrity: "sha384-" + base64.StdEncoding.EncodeToString(sri[:])}
		return nil
	})
	if err != nil {
		panic(err) // the embedded tree is part of the binary: cannot fail
	}
	return m
})

// AssetURL returns the versioned URL of the embedded file p (a path like
// "vendor/react/LICENSE"), or "" if there is none.
func AssetURL(p string) string {
	a := assets()[p]
	if a == nil {
		return ""
	}
	return Prefix + a.hash + "/" + p
}

type ref struct{ URL, Integrity string }

func refTo(p string) ref {
	a := assets()[p]
	if a == nil {
		panic("ide: no embedded " + p)
	}
	return ref{AssetURL(p), a.integrity}
}

// Page serves the IDE, talking to the GraphQL endpoint at endpoint.
func Page(endpoint string) http.Handler {
	var b bytes.Buffer
	err := page.Execute(&b, map[string]any{
		"Endpoint": endpoint,
		"CSS":      refTo("vendor/graphiql/graphiql.min.css"),
		"AppCSS":   refTo("app.css"),
		"Scripts": []ref{refTo("vendor/react/react.production.min.js"), refTo("vendor/react-dom/react-dom.production.min.js"),
			refTo("vendor/graphiql/graphiql.min.js"), refTo("app.js")},
		"Licences": []struct{ Name, URL string }{
			{"GraphiQL", AssetURL("vendor/graphiql/LICENSE")},
			{"React", AssetURL("vendor/react/LICENSE")},
			{"ReactDOM", AssetURL("vendor/react-dom/LICENSE")},
			{"third-party", AssetURL("vendor/graphiql/THIRD-PARTY-LICENSES.txt")},
		},
		"Versions": strings.TrimSpace(string(assets()["vendor/VERSIONS"].Body)),
	})
	if err != nil {
		panic(err) // the template and its data are fixed: cannot fail
	}
	html := b.Bytes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if r.Method != http.MethodHead {
			w.Write(html)
		}
	})
}

// Assets serves the embedded files at Prefix + hash + "/" + path. A path
// whose hash is not the file's current one is not found, so a cached page
// of an older binary never gets a newer file under an old name.
func Assets() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hash, p, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, Prefix), "/")
		a := assets()[p]
		if a == nil || hash != a.hash {
			http.NotFound(w, r)
			return
		}
		a.Serve(w, r)
	})
}
