package auth

import (
	"context"
	"net"
	"net/http"
	"slices"
	"strings"

	"p06/store"
)

// Cookie and header names.
const (
	SessionCookie = "p06_session"
	CSRFCookie    = "p06_csrf" // readable by the page's script, unlike the session
	CSRFHeader    = "X-CSRF-Token"
)

// cookieJar lets a resolver set cookies on the response being built.
type cookieJar struct {
	w      http.ResponseWriter
	secure bool
}

// Middleware identifies the caller of each request from the session cookie
// or an Authorization: Bearer token, and puts the Identity (or the reason the
// credentials were refused) in the context. Requests without credentials go
// on anonymously; what they may see is decided further on.
func (s *Service) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		ip := s.clientIP(r)
		var id *Identity
		var err error
		if h := r.Header.Get("Authorization"); h != "" {
			token, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				err = errBadToken
			} else {
				id, err = s.tokenIdentity(ctx, strings.TrimSpace(token), ip)
			}
		} else if c, cerr := r.Cookie(SessionCookie); cerr == nil && c.Value != "" {
			id, err = s.sessionIdentity(ctx, c.Value, r.Header.Get(CSRFHeader), ip)
			if store.ErrorCode(err) == store.Unauthenticated {
				// The session is over: the browser may forget it. (Not on a
				// database hiccup, which must not sign anybody out.)
				clearCookies(w, s.secure(r))
			}
		}
		if err != nil && id == nil {
			ctx = context.WithValue(ctx, failureKey, err)
		}
		if id != nil {
			ctx = WithIdentity(ctx, id)
		}
		ctx = context.WithValue(ctx, cookieKey, &cookieJar{w: w, secure: s.secure(r)})
		ctx = context.WithValue(ctx, clientKey, s.ClientOf(r))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (s *Service) secure(r *http.Request) bool {
	return s.cfg.SecureCookies || r.TLS != nil || (s.cfg.TrustProxy && r.Header.Get("X-Forwarded-Proto") == "https")
}

// clientIP is the caller's address: the connection's peer, or with
// TrustProxy the last address in X-Forwarded-For, the one our proxy added
// (earlier entries come from the client and can be forged).
func (s *Service) clientIP(r *http.Request) string {
	if s.cfg.TrustProxy {
		xff := r.Header.Values("X-Forwarded-For")
		if len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if ip := strings.TrimSpace(parts[len(parts)-1]); ip != "" {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// ClientFrom returns the client of the request, as Middleware saw it.
func ClientFrom(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey).(Client)
	return c
}

// ClientOf describes the request's client for Login.
func (s *Service) ClientOf(r *http.Request) Client {
	c := Client{IP: s.clientIP(r), UserAgent: r.UserAgent()}
	if ck, err := r.Cookie(SessionCookie); err == nil {
		c.PreviousSession = ck.Value
	}
	return c
}

// SetSessionCookies puts a new session's cookies on the response of ctx's
// request.
func SetSessionCookies(ctx context.Context, res *LoginResult) {
	jar, _ := ctx.Value(cookieKey).(*cookieJar)
	if jar == nil {
		return
	}
	// Max-Age, not Expires: the browser counts the lifetime from when it
	// receives the cookie, on its own clock, so a server or client whose
	// clock is off (or a test's fixed clock) cannot make a fresh session's
	// cookie arrive already expired.
	maxAge := max(1, int(res.Session.ExpiresAt.Sub(res.Session.CreatedAt).Seconds()))
	http.SetCookie(jar.w, &http.Cookie{Name: SessionCookie, Value: res.Token, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: jar.secure, SameSite: http.SameSiteLaxMode})
	http.SetCookie(jar.w, &http.Cookie{Name: CSRFCookie, Value: res.CSRFToken, Path: "/", MaxAge: maxAge,
		Secure: jar.secure, SameSite: http.SameSiteLaxMode})
}

// ClearSessionCookies removes the session cookies on the response of ctx's
// request.
func ClearSessionCookies(ctx context.Context) {
	if jar, _ := ctx.Value(cookieKey).(*cookieJar); jar != nil {
		clearCookies(jar.w, jar.secure)
	}
}

func clearCookies(w http.ResponseWriter, secure bool) {
	for _, name := range []string{SessionCookie, CSRFCookie} {
		http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1,
			HttpOnly: name == SessionCookie, Secure: secure, SameSite: http.SameSiteLaxMode})
	}
}

// CORS allows cross-origin requests, with credentials, from the listed
// origins only ("https://app.example.gov.vn"); other origins get no CORS
// headers, so browsers refuse them.
func CORS(origins []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && slices.Contains(origins, origin) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Add("Vary", "Origin")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
				h.Set("Access-Control-Allow-Headers", "Content-Type, Authorization, Accept-Language, "+CSRFHeader)
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// IdentifyToken names the holder of an API token as Middleware does for an
// Authorization: Bearer header, for connections that carry the token
// elsewhere (the connection_init payload of a WebSocket).
func (s *Service) IdentifyToken(ctx context.Context, raw, ip string) (*Identity, error) {
	return s.tokenIdentity(ctx, strings.TrimSpace(raw), ip)
}

// IdentifySession names the holder of a session token (the session cookie's
// value) as Middleware does, without a CSRF token: long-lived connections
// check that their session still holds with it.
func (s *Service) IdentifySession(ctx context.Context, token, ip string) (*Identity, error) {
	return s.sessionIdentity(ctx, token, "", ip)
}
