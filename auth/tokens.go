package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
			if u.Disabled {
				// Enabling the user again must bring back no token, not
				// even one made while they were disabled.
				return errMsg(store.Invalid, "user", "người dùng đang bị khóa: mở khóa trước khi tạo token cho họ",
					"the user is disabled: enable them before making them a token")
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
	defer s.ids.drop()
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

// tokenIdentity returns the caller of a Bearer token. A token made by someone
// else for its owner (an administrator's act) works only while its maker is
// enabled and may still administer the owner: ADMIN_USERS on the owner's home
// unit and on every unit where the owner holds a role, as they stand now. So
// it never acts beyond what its maker could grant, and dies when the maker is
// disabled or loses the role, or the owner moves or gains a role out of the
// maker's reach. The maker is read with the owner, in one query, and the
// grants from the authorizer (refreshed first, as every request does).
//
// A token looked up within the last IdentityTTL is taken from this
// process's memory (identities); its expiry and its maker's reach are
// judged again on every use.
func (s *Service) tokenIdentity(ctx context.Context, raw, ip string) (*Identity, error) {
	if !strings.HasPrefix(raw, TokenPrefix) {
		return nil, errBadToken
	}
	now := s.now()
	expired := func(at time.Time) bool { return !at.IsZero() && !now.Before(at) }
	k := idKey{token: true, hash: sha256.Sum256([]byte(raw))}
	e, cached, err := s.ids.lookup(k, func() (*idEntry, error) {
		// The token, its owner and whether its maker is still enabled, in
		// one statement.
		row := new(struct {
			User         `bun:",extend"`
			TokenID      int64     `bun:"tk_id"`
			CreatedBy    int64     `bun:"tk_created_by"`
			ExpiresAt    time.Time `bun:"tk_expires_at,nullzero"`
			LastUsedAt   time.Time `bun:"tk_last_used_at,nullzero"`
			RevokedAt    time.Time `bun:"tk_revoked_at,nullzero"`
			MakerEnabled bool      `bun:"maker_enabled"`
		})
		err := userQuery(s.db, row).Join("JOIN api_tokens AS tk ON tk.user_id = us.id").
			Join("LEFT JOIN users AS mk ON mk.id = tk.created_by").
			ColumnExpr("tk.id AS tk_id, tk.created_by AS tk_created_by, tk.expires_at AS tk_expires_at").
			ColumnExpr("tk.last_used_at AS tk_last_used_at, tk.revoked_at AS tk_revoked_at").
			ColumnExpr("(mk.id IS NOT NULL AND NOT mk.disabled) AS maker_enabled").
			Where("tk.token_hash = ?", hex.EncodeToString(k.hash[:])).Scan(ctx)
		if err != nil {
			if store.IsNoRows(err) {
				return nil, errBadToken
			}
			return nil, err
		}
		if !row.RevokedAt.IsZero() || expired(row.ExpiresAt) || row.Disabled {
			return nil, errBadToken
		}
		if row.CreatedBy != row.User.ID && !row.MakerEnabled {
			return nil, errTokenMakerGone
		}
		e := &idEntry{user: row.User, tokenID: row.TokenID, createdBy: row.CreatedBy, expiresAt: row.ExpiresAt}
		e.lastSeen.Store(unixNano(row.LastUsedAt))
		return e, nil
	})
	if err != nil {
		return nil, err
	}
	if cached && expired(e.expiresAt) {
		return nil, errBadToken
	}
	u := e.user
	if e.createdBy != u.ID {
		if err := s.authz.Refresh(ctx); err != nil {
			return nil, err
		}
		if !s.reaches(rbac.Subject(e.createdBy), u.UnitPath, s.authz.Grants(rbac.Subject(u.ID))) {
			return nil, errTokenMakerGone
		}
	}
	if err := s.seen(ctx, e, now, "api_tokens", "last_used_at", e.tokenID); err != nil {
		return nil, err
	}
	return &Identity{User: &u, Method: MethodToken, TokenID: e.tokenID, TokenCreatedBy: e.createdBy, ClientIP: ip}, nil
}

var errTokenMakerGone = errMsg(store.Unauthenticated, "",
	"API token này do một quản trị viên tạo cho bạn, và người đó không còn quyền quản trị tài khoản của bạn; hãy xin token mới",
	"this API token was made for you by an administrator who can no longer administer your account; ask for a new one")

// liveToken is a token not yet revoked or expired, with what revoking it
// needs to know.
type liveToken struct {
	ID        int64  `bun:"id"`
	Name      string `bun:"name"`
	UserID    int64  `bun:"user_id"`
	CreatedBy int64  `bun:"created_by"`
	OwnerPath string `bun:"owner_path"`
}

// liveTokens returns the live tokens matching where (on api_tokens AS tk).
func (s *Service) liveTokens(ctx context.Context, tx bun.IDB, where string, args ...any) ([]liveToken, error) {
	var ts []liveToken
	err := tx.NewSelect().TableExpr("api_tokens AS tk").
		ColumnExpr("tk.id, tk.name, tk.user_id, tk.created_by, u.path AS owner_path").
		Join("JOIN users AS us ON us.id = tk.user_id").
		Join("JOIN org_units AS u ON u.id = us.org_unit_id").
		Where("tk.revoked_at IS NULL").
		Where("tk.expires_at IS NULL OR tk.expires_at > ?", s.now()).
		Where(where, args...).
		OrderExpr("tk.id").Scan(ctx, &ts)
	if err != nil {
		return nil, fmt.Errorf("auth: reading tokens: %w", err)
	}
	return ts, nil
}

// revokeAll revokes ts, with a token.revoke audit row each saying why.
func (s *Service) revokeAll(ctx context.Context, tx bun.IDB, actor *Identity, ts []liveToken, reason string) error {
	for _, t := range ts {
		if _, err := tx.NewUpdate().Table("api_tokens").Set("revoked_at = ?", s.now()).
			Where("id = ? AND revoked_at IS NULL", t.ID).Exec(ctx); err != nil {
			return fmt.Errorf("auth: revoking token: %w", err)
		}
		detail := map[string]any{"name": t.Name, "owner": t.UserID, "reason": reason}
		if t.CreatedBy != t.UserID {
			detail["createdBy"] = t.CreatedBy
		}
		if err := s.audit(ctx, tx, actor, "token.revoke", "APIToken", t.ID, t.OwnerPath, detail); err != nil {
			return err
		}
	}
	return nil
}

// revokeUnreachableTokens revokes the live tokens made by someone else that
// user owns or made, whose maker can no longer administer their owner, with
// the grants this process has just loaded. It runs after a role change has
// committed; the check at use time does not depend on it.
func (s *Service) revokeUnreachableTokens(ctx context.Context, actor *Identity, userID int64) error {
	defer s.ids.drop()
	return s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		ts, err := s.liveTokens(ctx, tx, "tk.created_by <> tk.user_id AND (tk.user_id = ? OR tk.created_by = ?)", userID, userID)
		if err != nil {
			return err
		}
		var gone []liveToken
		for _, t := range ts {
			if !s.reaches(rbac.Subject(t.CreatedBy), t.OwnerPath, s.authz.Grants(rbac.Subject(t.UserID))) {
				gone = append(gone, t)
			}
		}
		return s.revokeAll(ctx, tx, actor, gone, "maker_out_of_reach")
	})
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
