package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"p06/rbac"
	"p06/store"
)

// Session is a signed-in browser.
type Session struct {
	bun.BaseModel `bun:"table:sessions,alias:se"`

	ID         int64     `bun:"id,pk,autoincrement"`
	TokenHash  string    `bun:"token_hash"`
	CSRFToken  string    `bun:"csrf_token"`
	UserID     int64     `bun:"user_id"`
	CreatedAt  time.Time `bun:"created_at"`
	ExpiresAt  time.Time `bun:"expires_at"`
	LastSeenAt time.Time `bun:"last_seen_at"`
	RevokedAt  time.Time `bun:"revoked_at,nullzero"`
	ClientIP   string    `bun:"client_ip"`
	UserAgent  string    `bun:"user_agent"`
}

// Client describes where a sign-in comes from.
type Client struct {
	IP        string
	UserAgent string
	// PreviousSession is the session cookie the browser still had, if any:
	// signing in replaces it.
	PreviousSession string
}

// randomToken returns n random bytes, base64url.
func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("auth: no randomness: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is how session cookies and API tokens are stored: a SHA-256 of
// 32 random bytes needs no salt or slow hash.
func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

// LoginResult is a new session: Token goes in the cookie, CSRFToken in the
// X-CSRF-Token header of cookie-authenticated mutations.
type LoginResult struct {
	User      *User
	Session   *Session
	Token     string
	CSRFToken string
}

// MaxPasswordLength bounds what is hashed: argon2 over megabytes is a cheap
// way to make a server work hard.
const MaxPasswordLength = 256

// Login checks a username and password and opens a session. It fails the same
// way for an unknown username, a wrong password and a disabled account, and
// refuses for a while after too many attempts for the username or from the
// client address. Every outcome is audited.
func (s *Service) Login(ctx context.Context, username, password string, c Client) (*LoginResult, error) {
	username = normUsername(username)
	now := s.now()
	// The address comes first: once it is locked, its attempts are refused
	// without counting against the usernames they try, so one source cannot
	// lock out every account it names.
	keys := []string{"ip:" + c.IP, "user:" + username}
	if !usernameRE.MatchString(username) {
		// No user can have this name: count the address only, and keep
		// what is stored and logged small.
		keys = keys[:1]
		username = truncate(username, 40)
	}
	// The attempt is counted before the password is checked, so that many
	// attempts at once cannot all slip under the limit. A refused attempt
	// writes no audit row of its own: the lock's row counts it (login.locked).
	until, locked, err := s.countAttempt(ctx, keys, now)
	if err != nil {
		return nil, err
	}
	if !until.IsZero() {
		return nil, lockedError(until, now)
	}
	userKey := ""
	if len(keys) > 1 {
		userKey = keys[1]
	}
	u := new(User)
	found := false
	if userKey != "" {
		err = userQuery(s.db, u).Where("us.username = ?", username).Scan(ctx)
		found = err == nil
		if err != nil && !store.IsNoRows(err) {
			return nil, err
		}
	}
	hash := dummyHash()
	if found {
		hash = u.PasswordHash
	}
	ok, stale := false, false
	if len(password) <= MaxPasswordLength {
		ok, stale = checkPassword(hash, password)
	}
	if !found || !ok || u.Disabled {
		var actor *User
		if found {
			actor = u
		}
		_ = s.auditLogin(ctx, "login.failed", actor, username, c, nil)
		if len(locked) > 0 {
			_ = s.auditLogin(ctx, "login.lockout", actor, username, c, map[string]any{"keys": locked, "minutes": s.cfg.LockFor.Minutes()})
		}
		return nil, errBadCredentials
	}
	res := &LoginResult{User: u, Token: randomToken(32), CSRFToken: randomToken(24)}
	if c.PreviousSession != "" || stale {
		// The session replaced (and the user's hash) may be cached.
		defer s.ids.drop()
	}
	err = s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.forgetAttempt(ctx, tx, userKey, keys[0]); err != nil {
			return err
		}
		if stale {
			// Same password, today's parameters: not a password change, so
			// the user's other sessions stay.
			hash, err := hashPassword(password)
			if err != nil {
				return err
			}
			u.PasswordHash = hash
			if _, err := tx.NewUpdate().Model(u).Column("password_hash").WherePK().Exec(ctx); err != nil {
				return fmt.Errorf("auth: re-hashing password: %w", err)
			}
		}
		if c.PreviousSession != "" {
			if _, err := tx.NewUpdate().Table("sessions").Set("revoked_at = ?", now).
				Where("token_hash = ? AND revoked_at IS NULL", hashToken(c.PreviousSession)).Exec(ctx); err != nil {
				return err
			}
		}
		res.Session = &Session{TokenHash: hashToken(res.Token), CSRFToken: res.CSRFToken, UserID: u.ID,
			CreatedAt: now, ExpiresAt: now.Add(s.cfg.SessionTTL), LastSeenAt: now, ClientIP: c.IP, UserAgent: truncate(c.UserAgent, 300)}
		if _, err := tx.NewInsert().Model(res.Session).Exec(ctx); err != nil {
			return fmt.Errorf("auth: storing session: %w", err)
		}
		id := &Identity{User: u, Method: MethodSession, SessionID: res.Session.ID, ClientIP: c.IP}
		return s.audit(ctx, tx, id, "login", "Session", res.Session.ID, u.UnitPath, nil)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (s *Service) auditLogin(ctx context.Context, action string, u *User, username string, c Client, detail map[string]any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	detail["username"] = username
	// Attempts on no known user concern the whole system: national
	// administrators see them.
	e := &store.AuditEntry{At: s.now(), Action: action, ObjectType: "Session", ClientIP: c.IP, Actor: "anonymous", OrgPath: rbac.RootPath}
	if u != nil {
		e.ActorID, e.Actor, e.OrgPath = u.ID, u.Username, u.UnitPath
	}
	return store.Audit(ctx, s.db, e, detail)
}

// failure is a row of login_failures.
type failure struct {
	bun.BaseModel `bun:"table:login_failures,alias:lf"`

	Key         string    `bun:"key,pk"`
	Failures    int       `bun:"failures"`
	WindowStart time.Time `bun:"window_start"`
	LockedUntil time.Time `bun:"locked_until,nullzero"`
	// Refused counts the attempts refused while the key was locked; the
	// login.locked audit row reports it when the lock is over.
	Refused int `bun:"refused"`
}

func lockedError(until, now time.Time) error {
	mins := int(until.Sub(now).Minutes()) + 1
	return errMsg(store.Unauthenticated, "",
		fmt.Sprintf("đăng nhập tạm bị khóa do nhập sai nhiều lần; thử lại sau %d phút", mins),
		fmt.Sprintf("sign-in is locked after too many failures; try again in %d minutes", mins))
}

// countAttempt counts one attempt against each key in order ("ip:addr" then
// "user:name"), each with one atomic update, so attempts arriving at once on
// several processes all count. It stops at the first key that is locked:
// the attempt is refused, counted in that key's refused column, the keys
// after it are not touched (a locked address cannot lock usernames) and
// those before it take it back (takeBack: a refused attempt checked no
// password, so it is no failure of the address). It
// returns the lock in force if the attempt must be refused (zero otherwise),
// and the keys this attempt locked: the attempt that reaches a key's limit is
// still checked, later ones are refused until the lock ends. A success is
// taken back by forgetAttempt.
func (s *Service) countAttempt(ctx context.Context, keys []string, now time.Time) (time.Time, []string, error) {
	var until time.Time
	var locked []string
	windowStart := now.Add(-s.cfg.FailureWindow)
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		// Counters whose window and lock have both run out say nothing more;
		// the attempts they refused go to the audit log as they go.
		var ended []*failure
		if err := tx.NewRaw("DELETE FROM login_failures WHERE window_start < ? AND (locked_until IS NULL OR locked_until <= ?) RETURNING key, failures, window_start, locked_until, refused",
			windowStart, now).Scan(ctx, &ended); err != nil && !store.IsNoRows(err) {
			return err
		}
		for _, f := range ended {
			if err := s.auditRefused(ctx, tx, f); err != nil {
				return err
			}
		}
		for i, key := range keys {
			limit := s.limit(key)
			if _, err := tx.NewRaw("INSERT INTO login_failures (key, failures, window_start) VALUES (?, 0, ?) ON CONFLICT (key) DO NOTHING",
				key, now).Exec(ctx); err != nil {
				return err
			}
			// A window that has run out starts again, unless a lock is still
			// in force: a lock always lasts its LockFor. An attempt during
			// the lock is counted as refused.
			const expired = "window_start < ? AND (locked_until IS NULL OR locked_until <= ?)"
			if _, err := tx.NewRaw(`UPDATE login_failures SET
				failures = CASE WHEN `+expired+` THEN 1 ELSE failures + 1 END,
				refused = CASE WHEN locked_until > ? THEN refused + 1 ELSE refused END,
				locked_until = CASE WHEN `+expired+` THEN NULL ELSE locked_until END,
				window_start = CASE WHEN `+expired+` THEN ? ELSE window_start END
				WHERE key = ?`, windowStart, now, now, windowStart, now, windowStart, now, now, key).Exec(ctx); err != nil {
				return err
			}
			f := &failure{Key: key}
			if err := tx.NewSelect().Model(f).WherePK().Scan(ctx); err != nil {
				return err
			}
			if f.LockedUntil.After(now) {
				// Refused without a password checked: not a failure of the
				// keys before this one (an address whose users' own locks
				// refused attempts, say several sign-ins at once of one
				// person, is not locked for them).
				until = f.LockedUntil
				for _, k := range keys[:i] {
					if err := s.takeBack(ctx, tx, k); err != nil {
						return err
					}
				}
				locked = nil
				return nil
			}
			if f.Refused > 0 {
				// An earlier lock of this key is over (its window is not):
				// report what it refused before a new lock starts.
				if err := s.auditRefused(ctx, tx, f); err != nil {
					return err
				}
				f.Refused = 0
				if _, err := tx.NewUpdate().Model(f).Column("refused").WherePK().Exec(ctx); err != nil {
					return err
				}
			}
			if f.Failures >= limit {
				// This attempt reaches the limit (or is the first after a lock
				// ended within the same window): it is checked, and locks
				// the key for the attempts after it.
				f.LockedUntil = now.Add(s.cfg.LockFor)
				if _, err := tx.NewUpdate().Model(f).Column("locked_until").WherePK().Exec(ctx); err != nil {
					return err
				}
				locked = append(locked, key)
			}
		}
		return nil
	})
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("auth: counting sign-in attempts: %w", err)
	}
	return until, locked, nil
}

// limit is the number of attempts allowed for a key of countAttempt.
func (s *Service) limit(key string) int {
	if strings.HasPrefix(key, "ip:") {
		return s.cfg.IPFailures
	}
	return s.cfg.UserFailures
}

// auditRefused writes the one login.locked row of a lock that refused
// attempts: the key, how many attempts it refused, and until when. However
// long a flood, a key leaves one such row per lock.
func (s *Service) auditRefused(ctx context.Context, tx bun.IDB, f *failure) error {
	if f.Refused == 0 {
		return nil
	}
	e := &store.AuditEntry{At: s.now(), Action: "login.locked", ObjectType: "Session", Actor: "anonymous", OrgPath: rbac.RootPath}
	if ip, ok := strings.CutPrefix(f.Key, "ip:"); ok {
		e.ClientIP = ip
	} else if name, ok := strings.CutPrefix(f.Key, "user:"); ok {
		// Attempts on a known user are the business of that user's
		// administrators too, as for login.failed.
		u := new(User)
		err := userQuery(tx, u).Where("us.username = ?", name).Scan(ctx)
		switch {
		case err == nil:
			e.ActorID, e.Actor, e.OrgPath = u.ID, u.Username, u.UnitPath
		case !store.IsNoRows(err):
			return err
		}
	}
	detail := map[string]any{"key": f.Key, "refused": f.Refused}
	if !f.LockedUntil.IsZero() {
		detail["lockedUntil"] = f.LockedUntil.In(store.VN)
	}
	return store.Audit(ctx, tx, e, detail)
}

// takeBack takes one attempt back from key's count, lifting a lock it set.
func (s *Service) takeBack(ctx context.Context, tx bun.IDB, key string) error {
	_, err := tx.NewRaw(`UPDATE login_failures SET
		locked_until = CASE WHEN failures - 1 < ? THEN NULL ELSE locked_until END,
		failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END
		WHERE key = ?`, s.limit(key), key).Exec(ctx)
	return err
}

// forgetAttempt takes back a successful attempt: the address's count drops by
// one (lifting a lock this attempt set), and the username starts afresh. The
// rows are touched in countAttempt's order (address, then user), so that
// concurrent transactions on PostgreSQL cannot wait on each other in a cycle.
func (s *Service) forgetAttempt(ctx context.Context, tx bun.IDB, userKey, ipKey string) error {
	if ipKey != "" {
		if err := s.takeBack(ctx, tx, ipKey); err != nil {
			return err
		}
	}
	if userKey == "" {
		return nil
	}
	var gone []*failure
	if err := tx.NewRaw("DELETE FROM login_failures WHERE key = ? RETURNING key, failures, window_start, locked_until, refused", userKey).
		Scan(ctx, &gone); err != nil && !store.IsNoRows(err) {
		return err
	}
	for _, f := range gone {
		if err := s.auditRefused(ctx, tx, f); err != nil {
			return err
		}
	}
	return nil
}

// Logout ends the caller's session. A caller using an API token has no
// session to end: that is a mistake to report, not a silent success.
func (s *Service) Logout(ctx context.Context, id *Identity) error {
	if id.Method != MethodSession {
		return errMsg(store.Invalid, "", "đăng xuất chỉ dùng cho phiên đăng nhập bằng cookie; để ngừng một API token, hãy thu hồi nó (revokeApiToken)",
			"logout ends a cookie session; to stop an API token, revoke it (revokeApiToken)")
	}
	defer s.ids.drop() // a token's refusal changes nothing to forget
	return s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().Table("sessions").Set("revoked_at = ?", s.now()).Where("id = ? AND revoked_at IS NULL", id.SessionID).Exec(ctx); err != nil {
			return err
		}
		return s.audit(ctx, tx, id, "logout", "Session", id.SessionID, id.User.UnitPath, nil)
	})
}

// revokeSessions ends every open session of a user.
func (s *Service) revokeSessions(ctx context.Context, tx bun.IDB, userID int64) error {
	_, err := tx.NewUpdate().Table("sessions").Set("revoked_at = ?", s.now()).Where("user_id = ? AND revoked_at IS NULL", userID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("auth: ending sessions: %w", err)
	}
	return nil
}

var (
	errSessionEnded = errMsg(store.Unauthenticated, "", "phiên đăng nhập đã hết hạn hoặc đã kết thúc; hãy đăng nhập lại",
		"your session has expired or ended; please sign in again")
	errBadToken = errMsg(store.Unauthenticated, "", "API token không hợp lệ, đã hết hạn hoặc đã bị thu hồi",
		"the API token is invalid, expired or revoked")
)

// sessionIdentity returns the caller of a session cookie value: from the
// sessions this process looked up within the last IdentityTTL, or from
// the database.
func (s *Service) sessionIdentity(ctx context.Context, token, csrfHeader, ip string) (*Identity, error) {
	now := s.now()
	k := idKey{hash: sha256.Sum256([]byte(token))}
	e, cached, err := s.ids.lookup(k, func() (*idEntry, error) {
		// The session and its user in one statement.
		row := new(struct {
			User       `bun:",extend"`
			SessionID  int64     `bun:"se_id"`
			CSRFToken  string    `bun:"se_csrf_token"`
			ExpiresAt  time.Time `bun:"se_expires_at"`
			LastSeenAt time.Time `bun:"se_last_seen_at"`
			RevokedAt  time.Time `bun:"se_revoked_at,nullzero"`
		})
		err := userQuery(s.db, row).Join("JOIN sessions AS se ON se.user_id = us.id").
			ColumnExpr("se.id AS se_id, se.csrf_token AS se_csrf_token, se.expires_at AS se_expires_at").
			ColumnExpr("se.last_seen_at AS se_last_seen_at, se.revoked_at AS se_revoked_at").
			Where("se.token_hash = ?", hex.EncodeToString(k.hash[:])).Scan(ctx)
		if err != nil {
			if store.IsNoRows(err) {
				return nil, errSessionEnded
			}
			return nil, err
		}
		if !row.RevokedAt.IsZero() || !now.Before(row.ExpiresAt) || row.Disabled {
			return nil, errSessionEnded
		}
		e := &idEntry{user: row.User, sessionID: row.SessionID, csrf: row.CSRFToken, expiresAt: row.ExpiresAt}
		e.lastSeen.Store(unixNano(row.LastSeenAt))
		return e, nil
	})
	if err != nil {
		return nil, err
	}
	if cached && !now.Before(e.expiresAt) {
		return nil, errSessionEnded
	}
	if err := s.seen(ctx, e, now, "sessions", "last_seen_at", e.sessionID); err != nil {
		return nil, err
	}
	ok := csrfHeader != "" && subtle.ConstantTimeCompare([]byte(csrfHeader), []byte(e.csrf)) == 1
	u := e.user
	return &Identity{User: &u, Method: MethodSession, SessionID: e.sessionID, CSRFToken: e.csrf, CSRFOK: ok, ClientIP: ip}, nil
}

// seen writes now into column of the row id of table (a session's
// last_seen_at, a token's last_used_at) when what is stored is more than a
// minute older; of requests arriving at once with the same credential, one
// writes it.
func (s *Service) seen(ctx context.Context, e *idEntry, now time.Time, table, column string, id int64) error {
	last := e.lastSeen.Load()
	if last != 0 && now.Sub(time.Unix(0, last)) <= time.Minute {
		return nil
	}
	if !e.lastSeen.CompareAndSwap(last, unixNano(now)) {
		return nil // another request is writing it
	}
	if _, err := s.db.NewUpdate().Table(table).Set(column+" = ?", now).Where("id = ?", id).Exec(ctx); err != nil {
		e.lastSeen.CompareAndSwap(unixNano(now), last)
		return err
	}
	return nil
}

// unixNano is t in Unix nanoseconds, 0 for the zero time.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}
