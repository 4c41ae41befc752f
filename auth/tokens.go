package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"p06/rbac"
	"p06/store"
)

// TokenPrefix starts every API token, so leaked tokens are easy to find.
const TokenPrefix = "p06_"

// APIToken is a named credential for an integration, acting as its owner.
type APIToken struct {
	bun.BaseModel `bun:"table:api_tokens,alias:tk"`

	ID         int64     `bun:"id,pk,autoincrement"`
	UserID     int64     `bun:"user_id"`
	Name       string    `bun:"name"`
	Prefix     string    `bun:"prefix"` // the first characters, to tell tokens apart
	TokenHash  string    `bun:"token_hash"`
	CreatedBy  int64     `bun:"created_by"`
	CreatedAt  time.Time `bun:"created_at"`
	ExpiresAt  time.Time `bun:"expires_at,nullzero"`
	LastUsedAt time.Time `bun:"last_used_at,nullzero"`
	RevokedAt  time.Time `bun:"revoked_at,nullzero"`
}

// MaxTokenLifetime bounds how long an API token may live.
const MaxTokenLifetime = 366 * 24 * time.Hour

// CreateToken makes an API token for owner (the caller's own when 0). The
// caller, signed in with a session, may make tokens for themselves, or for
// users they administer. The token is returned once; only its hash is kept.
func (s *Service) CreateToken(ctx context.Context, actor *Identity, owner int64, name string, expires time.Time) (*APIToken, string, error) {
	if actor.Method == MethodToken {
		// Otherwise a token could keep itself alive past its expiry or
		// revocation by minting successors.
		return nil, "", errMsg(store.Forbidden, "", "chỉ tạo được API token khi đăng nhập bằng phiên, không bằng một token khác",
			"API tokens can be made only from a signed-in session, not with another token")
	}
	name = store.NFC(name)
	if name == "" || len([]rune(name)) > 100 {
		return nil, "", errMsg(store.Invalid, "name", "tên token phải có từ 1 đến 100 ký tự", "the token name must have 1 to 100 characters")
	}
	now := s.now()
	if expires.IsZero() {
		expires = now.Add(90 * 24 * time.Hour)
	}
	if !expires.After(now) || expires.Sub(now) > MaxTokenLifetime {
		return nil, "", errMsg(store.Invalid, "expiresAt", "thời hạn token phải sau hiện tại và không quá 366 ngày",
			"the token must expire in the future and within 366 days")
	}
	if owner == 0 {
		owner = actor.User.ID
	}
	raw := TokenPrefix + randomToken(32)
	t := &APIToken{UserID: owner, Name: name, Prefix: raw[:len(TokenPrefix)+6], TokenHash: hashToken(raw),
		CreatedBy: actor.User.ID, CreatedAt: now, ExpiresAt: expires.UTC()}
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		path := actor.User.UnitPath
		if owner != actor.User.ID {
			u, err := s.lockUser(ctx, tx, actor, owner)
			if err != nil {
				return err
			}
			path = u.UnitPath
		}
		if _, err := tx.NewInsert().Model(t).Exec(ctx); err != nil {
			return fmt.Errorf("auth: storing token: %w", err)
		}
		return s.audit(ctx, tx, actor, "token.create", "APIToken", t.ID, path,
			map[string]any{"name": name, "owner": owner, "expiresAt": t.ExpiresAt})
	})
	if err != nil {
		return nil, "", err
	}
	return t, raw, nil
}

// Tokens lists the tokens of a user: the caller's own, or a user they
// administer.
func (s *Service) Tokens(ctx context.Context, actor *Identity, owner int64) ([]*APIToken, error) {
	if owner == 0 {
		owner = actor.User.ID
	}
	if owner != actor.User.ID {
		if _, err := s.lockUser(ctx, s.db, actor, owner); err != nil {
			return nil, err
		}
	}
	var ts []*APIToken
	if err := s.db.NewSelect().Model(&ts).Where("tk.user_id = ?", owner).OrderExpr("tk.created_at DESC, tk.id DESC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("auth: listing tokens: %w", err)
	}
	return ts, nil
}

// RevokeToken revokes a token of the caller's, or of a user they administer.
func (s *Service) RevokeToken(ctx context.Context, actor *Identity, tokenID int64) (*APIToken, error) {
	t := new(APIToken)
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		notFound := errMsg(store.NotFound, "apiToken", "không tìm thấy token", "token not found")
		if err := tx.NewSelect().Model(t).Where("tk.id = ?", tokenID).Scan(ctx); err != nil {
			if store.IsNoRows(err) {
				return notFound
			}
			return err
		}
		path := actor.User.UnitPath
		if t.UserID != actor.User.ID {
			u, err := s.lockUser(ctx, tx, actor, t.UserID)
			if err != nil {
				// A token of someone you do not administer is not yours to
				// know about.
				return notFound
			}
			path = u.UnitPath
		}
		if !t.RevokedAt.IsZero() {
			// Already revoked: nothing changes, but the attempt is recorded.
			return s.audit(ctx, tx, actor, "token.revoke", "APIToken", t.ID, path, map[string]any{"name": t.Name, "unchanged": true})
		}
		t.RevokedAt = s.now()
		if _, err := tx.NewUpdate().Model(t).Column("revoked_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "token.revoke", "APIToken", t.ID, path, map[string]any{"name": t.Name})
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// tokenIdentity returns the caller of a Bearer token.
func (s *Service) tokenIdentity(ctx context.Context, raw, ip string) (*Identity, error) {
	if !strings.HasPrefix(raw, TokenPrefix) {
		return nil, errBadToken
	}
	now := s.now()
	t := new(APIToken)
	if err := s.db.NewSelect().Model(t).Where("tk.token_hash = ?", hashToken(raw)).Scan(ctx); err != nil {
		if store.IsNoRows(err) {
			return nil, errBadToken
		}
		return nil, err
	}
	if !t.RevokedAt.IsZero() || (!t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)) {
		return nil, errBadToken
	}
	u := new(User)
	if err := userQuery(s.db, u).Where("us.id = ?", t.UserID).Scan(ctx); err != nil {
		return nil, err
	}
	if u.Disabled {
		return nil, errBadToken
	}
	if t.LastUsedAt.IsZero() || now.Sub(t.LastUsedAt) > time.Minute {
		if _, err := s.db.NewUpdate().Table("api_tokens").Set("last_used_at = ?", now).Where("id = ?", t.ID).Exec(ctx); err != nil {
			return nil, err
		}
	}
	return &Identity{User: u, Method: MethodToken, TokenID: t.ID, TokenCreatedBy: t.CreatedBy, ClientIP: ip}, nil
}

// ScopeOf is the caller's scope (nil caller: the empty scope).
func (s *Service) ScopeOf(id *Identity) rbac.Scope {
	if id == nil {
		return rbac.Scope{}
	}
	return s.authz.ScopeOf(id.Subject())
}

// TokenByID returns a token the caller may see: their own, or one of a user
// they administer.
func (s *Service) TokenByID(ctx context.Context, actor *Identity, id int64) (*APIToken, error) {
	t := new(APIToken)
	notFound := errMsg(store.NotFound, "", "không tìm thấy token", "token not found")
	if err := s.db.NewSelect().Model(t).Where("tk.id = ?", id).Scan(ctx); err != nil {
		if store.IsNoRows(err) {
			return nil, notFound
		}
		return nil, err
	}
	if t.UserID != actor.User.ID {
		if _, err := s.lockUser(ctx, s.db, actor, t.UserID); err != nil {
			return nil, notFound
		}
	}
	return t, nil
}
