// Package auth knows who the caller is: users and their passwords (argon2id),
// sign-in with server-side sessions carried by an HttpOnly cookie, API tokens
// carried as Bearer tokens, failed-login limits, and the HTTP middleware that
// puts the caller's Identity in the request context. What a caller may do is
// rbac's business; auth only names the subject (rbac.Subject(user.ID)), so
// another way to sign in (OpenID Connect) adds an Identity source here and
// leaves rbac alone.
package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"p06/rbac"
	"p06/store"
)

// User is a person who signs in.
type User struct {
	bun.BaseModel `bun:"table:users,alias:us"`

	ID                int64     `bun:"id,pk,autoincrement"`
	Username          string    `bun:"username"`
	DisplayName       string    `bun:"display_name"`
	SearchName        string    `bun:"search_name"` // Fold(display name + username)
	Email             string    `bun:"email"`
	OrgUnitID         int64     `bun:"org_unit_id"`
	PasswordHash      string    `bun:"password_hash"`
	Disabled          bool      `bun:"disabled"`
	AlertDigest       bool      `bun:"alert_digest"` // receives the daily e-mail digest of alerts
	CreatedAt         time.Time `bun:"created_at"`
	UpdatedAt         time.Time `bun:"updated_at"`
	PasswordChangedAt time.Time `bun:"password_changed_at"`

	// UnitPath is the path of the home unit (read with the user).
	UnitPath string `bun:"unit_path,scanonly"`

	store.SortKey
}

// Method is how a request proved who it comes from.
type Method string

const (
	MethodSession Method = "SESSION"   // the session cookie
	MethodToken   Method = "API_TOKEN" // an Authorization: Bearer API token
)

// Identity is the signed-in caller of a request.
type Identity struct {
	User      *User
	Method    Method
	SessionID int64
	TokenID   int64
	// TokenCreatedBy is who made the API token (an administrator may make
	// one for another user); the audit log records it.
	TokenCreatedBy int64
	// CSRFToken is the session's token; CSRFOK says the request echoed it in
	// X-CSRF-Token. Only cookie-authenticated mutations need it.
	CSRFToken string
	CSRFOK    bool
	ClientIP  string
}

// Via describes how the caller signed in, for the audit log.
func (id *Identity) Via() string {
	switch {
	case id.Method == MethodToken && id.TokenCreatedBy != 0 && id.TokenCreatedBy != id.User.ID:
		return fmt.Sprintf("api_token:%d created_by:%d", id.TokenID, id.TokenCreatedBy)
	case id.Method == MethodToken:
		return fmt.Sprintf("api_token:%d", id.TokenID)
	case id.SessionID != 0:
		return fmt.Sprintf("session:%d", id.SessionID)
	}
	return ""
}

// Subject is the caller's rbac subject.
func (id *Identity) Subject() string { return rbac.Subject(id.User.ID) }

type ctxKey int

const (
	identityKey ctxKey = iota
	failureKey
	cookieKey
	clientKey
)

// WithIdentity returns ctx carrying id.
func WithIdentity(ctx context.Context, id *Identity) context.Context {
	return context.WithValue(ctx, identityKey, id)
}

// IdentityFrom returns the caller, or nil when nobody is signed in.
func IdentityFrom(ctx context.Context) *Identity {
	id, _ := ctx.Value(identityKey).(*Identity)
	return id
}

// FailureFrom returns why credentials sent with the request were refused
// (an expired session, a revoked token), or nil.
func FailureFrom(ctx context.Context) error {
	err, _ := ctx.Value(failureKey).(error)
	return err
}

// Config tunes sign-in.
type Config struct {
	SessionTTL time.Duration // absolute lifetime of a session
	// UserFailures failed sign-ins for one username, or IPFailures from one
	// address, within FailureWindow lock further attempts for LockFor.
	UserFailures  int
	IPFailures    int
	FailureWindow time.Duration
	LockFor       time.Duration
	// SecureCookies marks cookies Secure (HTTPS only).
	SecureCookies bool
	// TrustProxy takes the client address from X-Forwarded-For.
	TrustProxy bool
	// IdentityTTL is how long a session or API token looked up is used
	// again without reading it (0: read on every request). This process
	// forgets them at once when it ends or changes one; other processes
	// on the database notice within IdentityTTL (see identities).
	IdentityTTL time.Duration
}

// DefaultConfig is the production setting.
var DefaultConfig = Config{
	SessionTTL:    12 * time.Hour,
	UserFailures:  5,
	IPFailures:    20,
	FailureWindow: 15 * time.Minute,
	LockFor:       15 * time.Minute,
	IdentityTTL:   time.Second,
}

// Service signs people in and manages users and tokens.
type Service struct {
	db    *store.DB
	authz *rbac.Authorizer
	clock store.Clock
	cfg   Config
	ids   *identities
}

// NewService returns a Service.
func NewService(db *store.DB, authz *rbac.Authorizer, clock store.Clock, cfg Config) *Service {
	return &Service{db: db, authz: authz, clock: clock, cfg: cfg, ids: newIdentities(cfg.IdentityTTL)}
}

// Authorizer returns the policies the service checks against.
func (s *Service) Authorizer() *rbac.Authorizer { return s.authz }

func (s *Service) now() time.Time { return s.clock().UTC() }

// errMsg builds a store.Error in both languages.
func errMsg(code store.Code, field, vi, en string) *store.Error {
	return &store.Error{Code: code, Field: field, Message: vi, English: en}
}

var (
	errBadCredentials = errMsg(store.Unauthenticated, "", "tên đăng nhập hoặc mật khẩu không đúng", "wrong username or password")
	errForbidden      = errMsg(store.Forbidden, "", "bạn không có quyền thực hiện thao tác này", "you are not allowed to do this")
)
