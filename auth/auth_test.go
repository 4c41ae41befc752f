package auth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"p06/auth"
	"p06/rbac"
	"p06/seeds"
	"p06/store"
	"p06/store/storetest"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	t     *testing.T
	db    *store.DB
	svc   *auth.Service
	clock *clock
	user  *auth.User
	srv   *httptest.Server
}

const password = "a-good-long-password"

// newFixture gives a database with the reference data, one user (hue-editor,
// PROVINCE_EDITOR on 46), and an HTTP server that answers with the caller
// the middleware found.
func newFixture(t *testing.T, d store.Dialect) *fixture {
	t.Helper()
	return newFixtureWith(t, d, auth.DefaultConfig)
}

// newFixtureWith is newFixture with other sign-in settings.
func newFixtureWith(t *testing.T, d store.Dialect, cfg auth.Config) *fixture {
	t.Helper()
	ctx := context.Background()
	db := storetest.Fresh(t, d)
	if _, err := seeds.Load(ctx, db, seeds.Reference, seeds.Options{}); err != nil {
		t.Fatal(err)
	}
	authz, err := rbac.NewAuthorizer(ctx, db, 0)
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 12, 1, 9, 0, 0, 0, store.VN)}
	svc := auth.NewService(db, authz, c.now, cfg)
	u, err := svc.CreateUser(ctx, nil, auth.NewUser{Username: "Hue-Editor", DisplayName: "Cán bộ Huế", OrgUnit: "46", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GrantRole(ctx, nil, u.ID, rbac.ProvinceEditor, "46"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := auth.IdentityFrom(r.Context())
		switch {
		case id != nil:
			csrf := "csrf-bad"
			if id.CSRFOK {
				csrf = "csrf-ok"
			}
			w.Write([]byte(id.User.Username + " " + string(id.Method) + " " + csrf))
		case auth.FailureFrom(r.Context()) != nil:
			w.Write([]byte("refused: " + auth.FailureFrom(r.Context()).Error()))
		default:
			w.Write([]byte("anonymous"))
		}
	})))
	t.Cleanup(srv.Close)
	return &fixture{t: t, db: db, svc: svc, clock: c, user: u, srv: srv}
}

// whoAmI calls the echo server with the given headers.
func (f *fixture) whoAmI(headers ...string) string {
	f.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 512)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

func (f *fixture) auditCount(action string) int {
	f.t.Helper()
	n, err := f.db.NewSelect().Table("audit_log").Where("action = ?", action).Count(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return int(n)
}

// lockedRows returns, per key, the refused count of each login.locked audit
// row (failing the test if a key has two).
func (f *fixture) lockedRows() map[string]int {
	f.t.Helper()
	var details []string
	if err := f.db.NewSelect().Table("audit_log").Column("detail").Where("action = 'login.locked'").Scan(context.Background(), &details); err != nil {
		f.t.Fatal(err)
	}
	out := map[string]int{}
	for _, d := range details {
		var v struct {
			Key     string `json:"key"`
			Refused int    `json:"refused"`
		}
		if err := json.Unmarshal([]byte(d), &v); err != nil {
			f.t.Fatal(err)
		}
		if _, dup := out[v.Key]; dup {
			f.t.Fatalf("two login.locked rows for %s", v.Key)
		}
		out[v.Key] = v.Refused
	}
	return out
}

func (f *fixture) login(pw string) (*auth.LoginResult, error) {
	return f.svc.Login(context.Background(), "hue-editor", pw, auth.Client{IP: "203.0.113.7"})
}

// eachDialect runs fn as a parallel subtest per database.
func eachDialect(t *testing.T, fn func(t *testing.T, d store.Dialect)) {
	for _, d := range storetest.Dialects() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fn(t, d)
		})
	}
}

func cookie(token string) string { return auth.SessionCookie + "=" + token }

func TestLoginFailsTheSameWayAndLocksOut(t *testing.T) {
	t.Parallel()
	eachDialect(t, func(t *testing.T, d store.Dialect) {
		f := newFixture(t, d)
		ctx := context.Background()
		_, errUnknown := f.svc.Login(ctx, "nobody", password, auth.Client{IP: "198.51.100.1"})
		_, errWrong := f.svc.Login(ctx, "hue-editor", "wrong-password", auth.Client{IP: "198.51.100.1"})
		if errUnknown == nil || errWrong == nil || errUnknown.Error() != errWrong.Error() {
			t.Fatalf("unknown user: %v; wrong password: %v; want the same message", errUnknown, errWrong)
		}
		if store.ErrorCode(errWrong) != store.Unauthenticated {
			t.Fatalf("code = %s", store.ErrorCode(errWrong))
		}
		// Four more failures for this username (five in all) lock it.
		for i := 0; i < 4; i++ {
			if _, err := f.login("wrong-password"); err == nil {
				t.Fatal("wrong password accepted")
			}
		}
		if f.auditCount("login.lockout") != 1 {
			t.Fatalf("lockout audited %d times, want 1", f.auditCount("login.lockout"))
		}
		_, err := f.login(password)
		if err == nil || !strings.Contains(err.Error(), "khóa") {
			t.Fatalf("right password while locked: %v, want the lockout message", err)
		}
		// A locked name that does not exist answers the same: no way to
		// tell which usernames exist.
		for i := 0; i < 5; i++ {
			_, _ = f.svc.Login(ctx, "ghost", "x", auth.Client{IP: "192.0.2.9"})
		}
		_, ghost := f.svc.Login(ctx, "ghost", "x", auth.Client{IP: "192.0.2.9"})
		if ghost == nil || !strings.Contains(ghost.Error(), "khóa") {
			t.Fatalf("locked unknown name: %v", ghost)
		}
		f.clock.add(16 * time.Minute)
		res, err := f.login(password)
		if err != nil {
			t.Fatalf("after the lock expired: %v", err)
		}
		// The refused attempts are not a row each: when the locks ended, one
		// login.locked row per key says how many attempts each refused.
		if res.User.Username != "hue-editor" || f.auditCount("login") != 1 || f.auditCount("login.failed") < 6 || f.auditCount("login.locked") != 2 {
			t.Fatalf("audit: login %d, failed %d, locked %d", f.auditCount("login"), f.auditCount("login.failed"), f.auditCount("login.locked"))
		}
		if got := f.lockedRows(); got["user:hue-editor"] != 1 || got["user:ghost"] != 1 {
			t.Fatalf("login.locked rows: %v, want one refused attempt for each name", got)
		}
	})
}

func TestLoginLocksOutAnAddress(t *testing.T) {
	t.Parallel()
	f := newFixture(t, store.SQLite)
	ctx := context.Background()
	// Twenty failures from one address over many names lock the address.
	for i := 0; i < 20; i++ {
		_, _ = f.svc.Login(ctx, "guess"+string(rune('a'+i)), "x", auth.Client{IP: "203.0.113.99"})
	}
	if _, err := f.svc.Login(ctx, "hue-editor", password, auth.Client{IP: "203.0.113.99"}); err == nil || !strings.Contains(err.Error(), "khóa") {
		t.Fatalf("from the locked address: %v", err)
	}
	if _, err := f.svc.Login(ctx, "hue-editor", password, auth.Client{IP: "203.0.113.100"}); err != nil {
		t.Fatalf("from another address: %v", err)
	}
}

// Once an address is locked, its attempts are refused before any username is
// counted: one source cannot lock out the accounts it names. The refused
// flood leaves no audit row per attempt, but one row with its size when the
// lock ends.
func TestLockedAddressCannotLockAccounts(t *testing.T) {
	t.Parallel()
	eachDialect(t, func(t *testing.T, d store.Dialect) {
		f := newFixture(t, d)
		ctx := context.Background()
		attacker := auth.Client{IP: "203.0.113.66"}
		for i := 0; i < auth.DefaultConfig.IPFailures; i++ {
			_, _ = f.svc.Login(ctx, fmt.Sprintf("guess-%d", i), "wrong-password", attacker)
		}
		rows := func(table string) int {
			n, err := f.db.NewSelect().Table(table).Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return int(n)
		}
		auditBefore, countersBefore := rows("audit_log"), rows("login_failures")
		const flood = 200
		for i := 0; i < flood; i++ {
			name := "hue-editor"
			if i%2 == 1 {
				name = fmt.Sprintf("victim-%d", i)
			}
			if _, err := f.svc.Login(ctx, name, "wrong-password", attacker); err == nil || !strings.Contains(err.Error(), "khóa") {
				t.Fatalf("attempt %d from the locked address: %v, want the lockout", i, err)
			}
		}
		if n := rows("audit_log"); n != auditBefore {
			t.Fatalf("the refused flood wrote %d audit rows", n-auditBefore)
		}
		if n := rows("login_failures"); n != countersBefore {
			t.Fatalf("the refused flood added %d counters", n-countersBefore)
		}
		// The names it tried are not locked: their owner signs in from
		// elsewhere at once.
		if _, err := f.svc.Login(ctx, "hue-editor", password, auth.Client{IP: "198.51.100.20"}); err != nil {
			t.Fatalf("hue-editor from another address during the flood: %v", err)
		}
		// When the lock is over, one row tells an administrator how big the
		// flood was.
		f.clock.add(auth.DefaultConfig.LockFor + time.Minute)
		if _, err := f.svc.Login(ctx, "hue-editor", password, auth.Client{IP: "198.51.100.20"}); err != nil {
			t.Fatal(err)
		}
		if got := f.lockedRows(); len(got) != 1 || got["ip:203.0.113.66"] != flood {
			t.Fatalf("login.locked rows %v, want ip:203.0.113.66 refused %d", got, flood)
		}
		var ip, org string
		if err := f.db.NewSelect().Table("audit_log").Column("client_ip", "org_path").Where("action = 'login.locked'").Scan(ctx, &ip, &org); err != nil {
			t.Fatal(err)
		}
		if ip != "203.0.113.66" || org != rbac.RootPath {
			t.Fatalf("login.locked row: client_ip %q, org_path %q; want the address, for national administrators", ip, org)
		}
	})
}

func TestSessionExpiryRotationAndRevocation(t *testing.T) {
	t.Parallel()
	eachDialect(t, func(t *testing.T, d store.Dialect) {
		f := newFixture(t, d)
		ctx := context.Background()
		first, err := f.login(password)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.whoAmI("Cookie", cookie(first.Token)); got != "hue-editor SESSION csrf-bad" {
			t.Fatalf("with the cookie: %q", got)
		}
		if got := f.whoAmI("Cookie", cookie(first.Token), auth.CSRFHeader, first.CSRFToken); got != "hue-editor SESSION csrf-ok" {
			t.Fatalf("with the CSRF header: %q", got)
		}
		// Signing in again from the same browser replaces the session.
		second, err := f.svc.Login(ctx, "hue-editor", password, auth.Client{IP: "203.0.113.7", PreviousSession: first.Token})
		if err != nil {
			t.Fatal(err)
		}
		if got := f.whoAmI("Cookie", cookie(first.Token)); !strings.HasPrefix(got, "refused:") {
			t.Fatalf("the replaced session still works: %q", got)
		}
		// Expiry: the session lives SessionTTL.
		f.clock.add(auth.DefaultConfig.SessionTTL - time.Minute)
		if got := f.whoAmI("Cookie", cookie(second.Token)); got != "hue-editor SESSION csrf-bad" {
			t.Fatalf("just before expiry: %q", got)
		}
		f.clock.add(2 * time.Minute)
		if got := f.whoAmI("Cookie", cookie(second.Token)); !strings.Contains(got, "hết hạn") {
			t.Fatalf("after expiry: %q", got)
		}
		// Logout ends the session.
		third, _ := f.login(password)
		id := &auth.Identity{User: third.User, Method: auth.MethodSession, SessionID: third.Session.ID}
		if err := f.svc.Logout(ctx, id); err != nil {
			t.Fatal(err)
		}
		if got := f.whoAmI("Cookie", cookie(third.Token)); !strings.HasPrefix(got, "refused:") {
			t.Fatalf("after logout: %q", got)
		}
		// Changing the password ends every session of the user.
		a, _ := f.login(password)
		b, _ := f.login(password)
		if err := f.svc.ChangePassword(ctx, &auth.Identity{User: a.User, Method: auth.MethodSession, SessionID: a.Session.ID}, password, "another-long-password"); err != nil {
			t.Fatal(err)
		}
		for _, s := range []*auth.LoginResult{a, b} {
			if got := f.whoAmI("Cookie", cookie(s.Token)); !strings.HasPrefix(got, "refused:") {
				t.Fatalf("a session survived the password change: %q", got)
			}
		}
		if _, err := f.login(password); err == nil {
			t.Fatal("the old password still works")
		}
		if _, err := f.login("another-long-password"); err != nil {
			t.Fatalf("the new password: %v", err)
		}
		if f.auditCount("logout") != 1 || f.auditCount("user.password_change") != 1 {
			t.Fatal("logout or password change not audited")
		}
	})
}

func TestAPITokens(t *testing.T) {
	t.Parallel()
	eachDialect(t, func(t *testing.T, d store.Dialect) {
		f := newFixture(t, d)
		ctx := context.Background()
		res, err := f.login(password)
		if err != nil {
			t.Fatal(err)
		}
		me := &auth.Identity{User: res.User, Method: auth.MethodSession}
		tok, raw, err := f.svc.CreateToken(ctx, me, 0, "Đồng bộ số liệu", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(raw, auth.TokenPrefix) || !strings.HasPrefix(raw, tok.Prefix) || tok.Name != "Đồng bộ số liệu" {
			t.Fatalf("token %q, prefix %q", raw, tok.Prefix)
		}
		var stored string
		if err := f.db.NewSelect().Table("api_tokens").Column("token_hash").Where("id = ?", tok.ID).Scan(ctx, &stored); err != nil || strings.Contains(stored, raw) || stored == "" {
			t.Fatalf("stored %q (%v): the token must be kept only as a hash", stored, err)
		}
		if got := f.whoAmI("Authorization", "Bearer "+raw); got != "hue-editor API_TOKEN csrf-bad" {
			t.Fatalf("with the token: %q", got)
		}
		var used time.Time
		if err := f.db.NewSelect().Table("api_tokens").Column("last_used_at").Where("id = ?", tok.ID).Scan(ctx, &used); err != nil || used.IsZero() {
			t.Fatalf("last_used_at = %v, %v", used, err)
		}
		if got := f.whoAmI("Authorization", "Bearer p06_not-a-token"); !strings.Contains(got, "API token") {
			t.Fatalf("a made-up token: %q", got)
		}
		if got := f.whoAmI("Authorization", "Basic abc"); !strings.HasPrefix(got, "refused:") {
			t.Fatalf("another scheme: %q", got)
		}
		if _, err := f.svc.RevokeToken(ctx, me, tok.ID); err != nil {
			t.Fatal(err)
		}
		if got := f.whoAmI("Authorization", "Bearer "+raw); !strings.Contains(got, "thu hồi") {
			t.Fatalf("a revoked token: %q", got)
		}
		// Expiry.
		short, raw2, err := f.svc.CreateToken(ctx, me, 0, "ngắn hạn", f.clock.now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		f.clock.add(2 * time.Hour)
		if got := f.whoAmI("Authorization", "Bearer "+raw2); !strings.HasPrefix(got, "refused:") {
			t.Fatalf("an expired token (%d): %q", short.ID, got)
		}
		// Input mistakes name their field.
		if _, _, err := f.svc.CreateToken(ctx, me, 0, "", time.Time{}); !isField(err, "name") {
			t.Fatalf("empty name: %v", err)
		}
		if _, _, err := f.svc.CreateToken(ctx, me, 0, "x", f.clock.now().Add(400*24*time.Hour)); !isField(err, "expiresAt") {
			t.Fatalf("too long: %v", err)
		}
		// A disabled user's tokens stop at once.
		_, raw3, _ := f.svc.CreateToken(ctx, me, 0, "lần cuối", time.Time{})
		if _, err := f.svc.SetDisabled(ctx, nil, res.User.ID, true); err != nil {
			t.Fatal(err)
		}
		if got := f.whoAmI("Authorization", "Bearer "+raw3); !strings.HasPrefix(got, "refused:") {
			t.Fatalf("a disabled user's token: %q", got)
		}
		// Disabling revoked the token (audited): enabling the user again does
		// not bring it back.
		if _, err := f.svc.SetDisabled(ctx, nil, res.User.ID, false); err != nil {
			t.Fatal(err)
		}
		if got := f.whoAmI("Authorization", "Bearer "+raw3); !strings.Contains(got, "thu hồi") {
			t.Fatalf("a token from before the disabling, after enabling: %q", got)
		}
		if f.auditCount("token.create") != 3 || f.auditCount("token.revoke") != 2 || f.auditCount("user.disable") != 1 {
			t.Fatal("token changes not audited")
		}
	})
}

func isField(err error, field string) bool {
	e, ok := err.(*store.Error)
	return ok && e.Code == store.Invalid && e.Field == field
}

func TestCreateUserValidatesInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t, store.SQLite)
	ctx := context.Background()
	for field, n := range map[string]auth.NewUser{
		"username":    {Username: "a b", DisplayName: "x", OrgUnit: "46", Password: password},
		"displayName": {Username: "ok-name", DisplayName: " ", OrgUnit: "46", Password: password},
		"email":       {Username: "ok-name", DisplayName: "x", Email: "not an email", OrgUnit: "46", Password: password},
		"password":    {Username: "ok-name", DisplayName: "x", OrgUnit: "46", Password: "short"},
		"orgUnit":     {Username: "ok-name", DisplayName: "x", OrgUnit: "99", Password: password},
	} {
		_, err := f.svc.CreateUser(ctx, nil, n)
		if e, ok := err.(*store.Error); !ok || e.Field != field {
			t.Errorf("%s: %v", field, err)
		}
	}
	if _, err := f.svc.CreateUser(ctx, nil, auth.NewUser{Username: "HUE-EDITOR", DisplayName: "x", OrgUnit: "46", Password: password}); store.ErrorCode(err) != store.Conflict {
		t.Errorf("taken username (any case): %v", err)
	}
	if n, _ := f.db.NewSelect().Table("users").Count(ctx); n != 1 {
		t.Errorf("%d users stored after refused creations", n)
	}
}

func TestCORSAllowsOnlyConfiguredOrigins(t *testing.T) {
	t.Parallel()
	h := auth.CORS([]string{"https://app.de-an-06.gov.vn"}, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	pre := httptest.NewRequest(http.MethodOptions, "/query", nil)
	pre.Header.Set("Origin", "https://app.de-an-06.gov.vn")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, pre)
	if rec.Code != http.StatusNoContent || rec.Header().Get("Access-Control-Allow-Origin") != "https://app.de-an-06.gov.vn" ||
		rec.Header().Get("Access-Control-Allow-Credentials") != "true" || !strings.Contains(rec.Header().Get("Access-Control-Allow-Headers"), auth.CSRFHeader) {
		t.Fatalf("preflight from the app: %d %v", rec.Code, rec.Header())
	}
	evil := httptest.NewRequest(http.MethodPost, "/query", nil)
	evil.Header.Set("Origin", "https://evil.example")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, evil)
	if rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("another origin got CORS headers: %v", rec.Header())
	}
}

// A password stored with older argon2 parameters is re-hashed with today's
// at the next sign-in, without ending the user's other sessions.
func TestLoginRehashesStaleHash(t *testing.T) {
	t.Parallel()
	f := newFixture(t, store.SQLite)
	ctx := context.Background()
	first, err := f.login(password)
	if err != nil {
		t.Fatal(err)
	}
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte(password), salt, 1, 8*1024, 1, 32)
	old := "$argon2id$v=19$m=8192,t=1,p=1$" + base64.RawStdEncoding.EncodeToString(salt) + "$" + base64.RawStdEncoding.EncodeToString(key)
	if _, err := f.db.NewUpdate().Table("users").Set("password_hash = ?", old).Where("id = ?", f.user.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := f.login(password); err != nil {
		t.Fatalf("sign-in with an old-parameter hash: %v", err)
	}
	var stored string
	if err := f.db.NewSelect().Table("users").Column("password_hash").Where("id = ?", f.user.ID).Scan(ctx, &stored); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("stored hash %q was not re-hashed", stored)
	}
	if got := f.whoAmI("Cookie", cookie(first.Token)); got != "hue-editor SESSION csrf-bad" {
		t.Fatalf("re-hashing ended another session: %q", got)
	}
	if _, err := f.login(password); err != nil {
		t.Fatalf("sign-in after re-hash: %v", err)
	}
}

// An administrator of one province cannot take over a user whose roles reach
// beyond it, even if the user's home unit is in the province.
func TestUnitAdminCannotTakeOverWiderUsers(t *testing.T) {
	t.Parallel()
	f := newFixture(t, store.SQLite)
	ctx := context.Background()
	mk := func(name string, grants ...[2]string) *auth.User {
		u, err := f.svc.CreateUser(ctx, nil, auth.NewUser{Username: name, DisplayName: name, OrgUnit: "46", Password: password})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range grants {
			if _, err := f.svc.GrantRole(ctx, nil, u.ID, rbac.Role(g[0]), g[1]); err != nil {
				t.Fatal(err)
			}
		}
		return u
	}
	admin46 := &auth.Identity{User: mk("admin-46", [2]string{"ADMIN", "46"}), Method: auth.MethodSession}
	wide := mk("wide", [2]string{"VIEWER", "46"}, [2]string{"COORDINATOR", "VN"})
	narrow := mk("narrow", [2]string{"VIEWER", "46"})

	if err := f.svc.ResetPassword(ctx, admin46, wide.ID, "taken-over-password"); store.ErrorCode(err) != store.Forbidden {
		t.Errorf("reset a wider user's password: %v, want FORBIDDEN", err)
	}
	if _, _, err := f.svc.CreateToken(ctx, admin46, wide.ID, "x", time.Time{}); store.ErrorCode(err) != store.Forbidden {
		t.Errorf("make a token for a wider user: %v, want FORBIDDEN", err)
	}
	if _, err := f.svc.SetDisabled(ctx, admin46, wide.ID, true); store.ErrorCode(err) != store.Forbidden {
		t.Errorf("disable a wider user: %v, want FORBIDDEN", err)
	}
	if _, err := f.svc.RevokeRole(ctx, admin46, wide.ID, rbac.Viewer, "46"); store.ErrorCode(err) != store.Forbidden {
		t.Errorf("change a wider user's roles: %v, want FORBIDDEN", err)
	}
	if err := f.svc.ResetPassword(ctx, admin46, narrow.ID, "a-new-long-password"); err != nil {
		t.Errorf("reset a Huế-only user's password: %v", err)
	}
	if _, err := f.svc.GrantRole(ctx, admin46, narrow.ID, rbac.ProvinceEditor, "46"); err != nil {
		t.Errorf("grant a Huế role to a Huế-only user: %v", err)
	}
}

func TestUserSearchIgnoresDiacritics(t *testing.T) {
	t.Parallel()
	f := newFixture(t, store.SQLite)
	ctx := context.Background()
	if _, err := f.svc.CreateUser(ctx, nil, auth.NewUser{Username: "duc-nguyen", DisplayName: "Nguyễn Đức Thắng", OrgUnit: "46", Password: password}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"duc thang", "ĐỨC", "Nguyen Duc", "duc-nguyen", "thắng"} {
		us, n, err := f.svc.ListUsers(ctx, rbac.National(), auth.UserFilter{Search: q}, store.Page{Limit: 10})
		if err != nil || n.Total != 1 || us[0].Username != "duc-nguyen" {
			t.Errorf("search %q: %d users, %v", q, n.Total, err)
		}
	}
	if _, n, _ := f.svc.ListUsers(ctx, rbac.National(), auth.UserFilter{Search: "%"}, store.Page{Limit: 10}); n.Total != 0 {
		t.Errorf("%% is a wildcard in user search: %d users", n.Total)
	}
}

// Many attempts at once cannot all slip under the limit: each is counted
// before its password is checked.
func TestConcurrentAttemptsAreCountedFirst(t *testing.T) {
	t.Parallel()
	eachDialect(t, func(t *testing.T, d store.Dialect) {
		f := newFixture(t, d)
		ctx := context.Background()
		var wg sync.WaitGroup
		for i := 0; i < 30; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = f.svc.Login(ctx, "hue-editor", "wrong-password", auth.Client{IP: "203.0.113.7"})
			}()
		}
		wg.Wait()
		if n := f.auditCount("login.failed"); n > auth.DefaultConfig.UserFailures {
			t.Fatalf("%d passwords were checked; the limit is %d", n, auth.DefaultConfig.UserFailures)
		}
		checked := f.auditCount("login.failed")
		if _, err := f.login(password); err == nil || !strings.Contains(err.Error(), "khóa") {
			t.Fatalf("the right password after the burst: %v, want the lockout", err)
		}
		// Every attempt was either checked or refused, and the refused ones
		// are reported, all together, when the lock ends.
		f.clock.add(auth.DefaultConfig.LockFor + time.Minute)
		if _, err := f.login(password); err != nil {
			t.Fatalf("after the lock: %v", err)
		}
		// (The refused attempts checked no password: they are no failures
		// of the address, which is not locked.)
		got := f.lockedRows()
		if got["user:hue-editor"] != 31-checked || got["ip:203.0.113.7"] != 0 {
			t.Fatalf("login.locked rows %v after %d checked attempts; want %d refused by the user's lock", got, checked, 31-checked)
		}
	})
}

// Sign-ins of one person at once, with the right password, from one
// address (an office behind one NAT), again and again: some may be refused
// while the others are checked (the username's limit counts attempts before
// their passwords), but the address is never locked for them, and a
// colleague signs in from it.
func TestConcurrentRightSignInsNeverLockTheAddress(t *testing.T) {
	t.Parallel()
	eachDialect(t, func(t *testing.T, d store.Dialect) {
		f := newFixture(t, d)
		ctx := context.Background()
		office := auth.Client{IP: "203.0.113.8"}
		for range 6 {
			var wg sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, _ = f.svc.Login(ctx, "hue-editor", password, office)
				}()
			}
			wg.Wait()
		}
		var n int
		if err := f.db.NewSelect().Table("login_failures").ColumnExpr("COALESCE(SUM(failures), 0)").Where("key = ?", "ip:"+office.IP).Scan(ctx, &n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("48 right passwords left the address %d failures", n)
		}
		if _, err := f.svc.Login(ctx, "hue-editor", password, office); err != nil {
			t.Fatalf("a sign-in after the bursts: %v", err)
		}
	})
}

// A lock lasts its full LockFor even when the counting window it was set in
// runs out sooner.
func TestLockOutlastsItsWindow(t *testing.T) {
	t.Parallel()
	f := newFixture(t, store.SQLite)
	_, _ = f.login("wrong-password") // opens the window at t=0
	f.clock.add(14 * time.Minute)
	for i := 0; i < 4; i++ { // the fifth attempt at t=14m locks until t=29m
		_, _ = f.login("wrong-password")
	}
	f.clock.add(90 * time.Second) // the window has run out, the lock has not
	if _, err := f.login(password); err == nil || !strings.Contains(err.Error(), "khóa") {
		t.Fatalf("right password 90 s into the lock: %v, want the lockout", err)
	}
	f.clock.add(15 * time.Minute)
	if _, err := f.login(password); err != nil {
		t.Fatalf("after the lock: %v", err)
	}
}

// A right current password with a new one that is refused does not count as
// a failed attempt; a wrong current password does. Your own password cannot
// be reset like someone else's.
func TestChangePasswordAttempts(t *testing.T) {
	t.Parallel()
	f := newFixture(t, store.SQLite)
	ctx := context.Background()
	res, err := f.login(password)
	if err != nil {
		t.Fatal(err)
	}
	id := &auth.Identity{User: res.User, Method: auth.MethodSession, SessionID: res.Session.ID}
	for i := 0; i < 6; i++ {
		if err := f.svc.ChangePassword(ctx, id, password, "short"); !isField(err, "newPassword") {
			t.Fatalf("short new password: %v", err)
		}
	}
	if _, err := f.login(password); err != nil {
		t.Fatalf("refused new passwords locked the user out: %v", err)
	}
	for i := 0; i < 5; i++ {
		_ = f.svc.ChangePassword(ctx, id, "not-the-password", "a-new-long-password")
	}
	if _, err := f.login(password); err == nil || !strings.Contains(err.Error(), "khóa") {
		t.Fatalf("after 5 wrong current passwords: %v, want the lockout", err)
	}
	if n := f.auditCount("user.password_change_failed"); n != 5 {
		t.Fatalf("%d failed changes audited, want 5", n)
	}
	admin, err := f.svc.CreateUser(ctx, nil, auth.NewUser{Username: "admin-46", DisplayName: "x", OrgUnit: "46", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.GrantRole(ctx, nil, admin.ID, rbac.Admin, "46"); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.ResetPassword(ctx, &auth.Identity{User: admin, Method: auth.MethodToken}, admin.ID, "chosen-by-a-thief"); !isField(err, "user") {
		t.Fatalf("resetting your own password: %v, want a user error", err)
	}
}

// A name no user can have is not stored: only the address is counted.
func TestImpossibleUsernamesAreNotStored(t *testing.T) {
	t.Parallel()
	f := newFixture(t, store.SQLite)
	ctx := context.Background()
	huge := strings.Repeat("x", 100_000)
	for i := 0; i < 3; i++ {
		if _, err := f.svc.Login(ctx, huge, "pw", auth.Client{IP: "198.51.100.5"}); err == nil {
			t.Fatal("accepted")
		}
	}
	var keys []string
	if err := f.db.NewSelect().Table("login_failures").Column("key").Scan(ctx, &keys); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != "ip:198.51.100.5" {
		t.Fatalf("stored keys %d: %.60v", len(keys), keys)
	}
	var longest int
	if err := f.db.NewSelect().Table("audit_log").ColumnExpr("MAX(LENGTH(detail))").Scan(ctx, &longest); err != nil || longest > 500 {
		t.Fatalf("audit detail of %d bytes (%v)", longest, err)
	}
}

// User and role administration needs a session: an administrator's API
// token cannot create accounts or grant roles.
func TestAdministrationNeedsASession(t *testing.T) {
	t.Parallel()
	f := newFixture(t, store.SQLite)
	ctx := context.Background()
	admin, err := f.svc.CreateUser(ctx, nil, auth.NewUser{Username: "quantri", DisplayName: "Quản trị", OrgUnit: "VN", Password: password})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.GrantRole(ctx, nil, admin.ID, rbac.Admin, "VN"); err != nil {
		t.Fatal(err)
	}
	byToken := &auth.Identity{User: admin, Method: auth.MethodToken, TokenID: 1}
	bySession := &auth.Identity{User: admin, Method: auth.MethodSession}
	nu := auth.NewUser{Username: "new-one", DisplayName: "Mới", OrgUnit: "46", Password: password}
	if _, err := f.svc.CreateUser(ctx, byToken, nu); store.ErrorCode(err) != store.Forbidden || !strings.Contains(err.Error(), "API token") {
		t.Fatalf("createUser with a token: %v", err)
	}
	if _, err := f.svc.GrantRole(ctx, byToken, f.user.ID, rbac.Admin, "46"); store.ErrorCode(err) != store.Forbidden {
		t.Fatalf("grantRole with a token: %v", err)
	}
	if _, err := f.svc.CreateUser(ctx, bySession, nu); err != nil {
		t.Fatalf("createUser with a session: %v", err)
	}
}

// A token an administrator made for someone else works only while its maker
// may administer its owner: it dies when the maker is disabled or loses the
// role, or the owner gains a role out of the maker's reach. Tokens people
// made for themselves are not touched.
func TestTokensMadeForSomeoneElse(t *testing.T) {
	t.Parallel()
	eachDialect(t, func(t *testing.T, d store.Dialect) {
		f := newFixture(t, d)
		ctx := context.Background()
		mk := func(name string, role rbac.Role, unit string) *auth.Identity {
			u, err := f.svc.CreateUser(ctx, nil, auth.NewUser{Username: name, DisplayName: name, OrgUnit: unit, Password: password})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.GrantRole(ctx, nil, u.ID, role, unit); err != nil {
				t.Fatal(err)
			}
			return &auth.Identity{User: u, Method: auth.MethodSession}
		}
		admin := mk("admin-46", rbac.Admin, "46")
		national := mk("quantri", rbac.Admin, "VN")
		hue := &auth.Identity{User: f.user, Method: auth.MethodSession} // PROVINCE_EDITOR on 46
		token := func(maker *auth.Identity, owner *auth.User, name string) string {
			t.Helper()
			_, raw, err := f.svc.CreateToken(ctx, maker, owner.ID, name, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			return raw
		}
		works := func(raw, owner string) bool {
			t.Helper()
			got := f.whoAmI("Authorization", "Bearer "+raw)
			if strings.HasPrefix(got, "refused:") {
				return false
			}
			if got != owner+" API_TOKEN csrf-bad" {
				t.Fatalf("token answered %q", got)
			}
			return true
		}
		revoked := func(raw string) bool {
			var at time.Time
			if err := f.db.NewSelect().Table("api_tokens").Column("revoked_at").Where("prefix = ?", raw[:len(auth.TokenPrefix)+6]).Scan(ctx, &at); err != nil && !store.IsNoRows(err) {
				t.Fatal(err)
			}
			return !at.IsZero()
		}

		// The maker loses the ADMIN role: the token dies, and getting the role
		// back does not revive it. The owner's own token keeps working.
		delegated := token(admin, f.user, "đồng bộ")
		own := token(hue, f.user, "của tôi")
		if !works(delegated, "hue-editor") || !works(own, "hue-editor") {
			t.Fatal("new tokens refused")
		}
		if _, err := f.svc.RevokeRole(ctx, national, admin.User.ID, rbac.Admin, "46"); err != nil {
			t.Fatal(err)
		}
		if works(delegated, "hue-editor") {
			t.Fatal("the token works after its maker lost ADMIN")
		}
		if _, err := f.svc.GrantRole(ctx, national, admin.User.ID, rbac.Admin, "46"); err != nil {
			t.Fatal(err)
		}
		if works(delegated, "hue-editor") || !revoked(delegated) {
			t.Fatal("the token came back with the maker's role")
		}
		if !works(own, "hue-editor") {
			t.Fatal("the owner's own token died with someone else's role")
		}

		// The maker is disabled: the token dies, and enabling the maker does
		// not revive it.
		delegated = token(admin, f.user, "đồng bộ 2")
		if _, err := f.svc.SetDisabled(ctx, national, admin.User.ID, true); err != nil {
			t.Fatal(err)
		}
		if works(delegated, "hue-editor") {
			t.Fatal("a disabled maker's token still works")
		}
		if _, err := f.svc.SetDisabled(ctx, national, admin.User.ID, false); err != nil {
			t.Fatal(err)
		}
		if works(delegated, "hue-editor") || !revoked(delegated) {
			t.Fatal("the token came back with its maker")
		}

		// The owner gains a role out of the maker's reach: the token would
		// act in Hà Nội on the word of Huế's administrator. It dies.
		delegated = token(admin, f.user, "đồng bộ 3")
		if _, err := f.svc.GrantRole(ctx, national, f.user.ID, rbac.Viewer, "01"); err != nil {
			t.Fatal(err)
		}
		if works(delegated, "hue-editor") || !revoked(delegated) {
			t.Fatal("the token kept working with the owner's new role")
		}
		if !works(own, "hue-editor") {
			t.Fatal("the owner's own token died with their new role")
		}
		if _, err := f.svc.RevokeRole(ctx, national, f.user.ID, rbac.Viewer, "01"); err != nil {
			t.Fatal(err)
		}

		// The rule holds at use time, whatever changed the grants: a grant
		// written straight into the policy tables (another process, another
		// tool) stops the token at its next request.
		delegated = token(admin, f.user, "đồng bộ 4")
		if !works(delegated, "hue-editor") {
			t.Fatal("a new delegated token refused")
		}
		if _, err := rbac.GrantRole(ctx, f.db, rbac.Subject(f.user.ID), rbac.Viewer, "/VN/01/"); err != nil {
			t.Fatal(err)
		}
		if got := f.whoAmI("Authorization", "Bearer "+delegated); !strings.Contains(got, "không còn quyền quản trị") {
			t.Fatalf("after a grant made elsewhere: %q", got)
		}

		// Each revocation is in the audit log, with its reason.
		var reasons []string
		if err := f.db.NewSelect().Table("audit_log").ColumnExpr("detail").Where("action = 'token.revoke'").OrderExpr("id").Scan(ctx, &reasons); err != nil {
			t.Fatal(err)
		}
		if len(reasons) != 3 || !strings.Contains(reasons[0], "maker_out_of_reach") || !strings.Contains(reasons[1], "user.disable") || !strings.Contains(reasons[2], "maker_out_of_reach") {
			t.Fatalf("token.revoke rows: %v", reasons)
		}

		// A disabled user gets no token made for them: it would come to life
		// when they are enabled again.
		if _, err := f.svc.SetDisabled(ctx, national, f.user.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, _, err := f.svc.CreateToken(ctx, national, f.user.ID, "khi bị khóa", time.Time{}); store.ErrorCode(err) != store.Invalid {
			t.Fatalf("a token for a disabled user: %v", err)
		}
	})
}

// A lock shorter than the counting window can end while the window runs: the
// next attempt locks the key again, and the attempts the first lock refused
// are reported then, not lost.
func TestRelockReportsTheEndedLock(t *testing.T) {
	t.Parallel()
	cfg := auth.DefaultConfig
	cfg.LockFor = 5 * time.Minute
	f := newFixtureWith(t, store.SQLite, cfg)
	for i := 0; i < cfg.UserFailures+3; i++ { // five failures, three refused
		_, _ = f.login("wrong-password")
	}
	if got := f.lockedRows(); len(got) != 0 {
		t.Fatalf("login.locked rows during the lock: %v", got)
	}
	f.clock.add(6 * time.Minute)
	_, _ = f.login("wrong-password") // checked, and locks again
	if got := f.lockedRows(); len(got) != 1 || got["user:hue-editor"] != 3 {
		t.Fatalf("login.locked rows after the re-lock: %v, want user:hue-editor refused 3", got)
	}
	if _, err := f.login(password); err == nil || !strings.Contains(err.Error(), "khóa") {
		t.Fatalf("right password in the second lock: %v", err)
	}
}

// A session or token in use is looked up once and then kept in memory
// (IdentityTTL; an hour here, so that only the changes below can end it),
// and whatever ends it in this process refuses it at the very next
// request: logout, a password change or reset, revoking the token,
// disabling the user. Expiry is judged on every request.
func TestChangesReachCachedCredentials(t *testing.T) {
	t.Parallel()
	eachDialect(t, func(t *testing.T, d store.Dialect) {
		cfg := auth.DefaultConfig
		cfg.IdentityTTL = time.Hour
		f := newFixtureWith(t, d, cfg)
		ctx := context.Background()
		counter := f.db.Counts()
		signIn := func() (*auth.LoginResult, *auth.Identity) {
			t.Helper()
			res, err := f.login(password)
			if err != nil {
				t.Fatal(err)
			}
			return res, &auth.Identity{User: res.User, Method: auth.MethodSession, SessionID: res.Session.ID}
		}
		// inUse checks the credential works and that its second use reads
		// nothing from the database.
		inUse := func(headers ...string) {
			t.Helper()
			want := "hue-editor SESSION csrf-bad"
			if headers[0] == "Authorization" {
				want = "hue-editor API_TOKEN csrf-bad"
			}
			if got := f.whoAmI(headers...); got != want {
				t.Fatalf("in use: %q", got)
			}
			before := counter.Statements()
			if got := f.whoAmI(headers...); got != want {
				t.Fatalf("in use again: %q", got)
			}
			if n := counter.Statements() - before; n != 0 {
				t.Fatalf("a credential just used cost %d statements", n)
			}
		}
		refused := func(what string, headers ...string) {
			t.Helper()
			if got := f.whoAmI(headers...); !strings.HasPrefix(got, "refused:") {
				t.Fatalf("%s: %q", what, got)
			}
		}

		s1, me := signIn()
		inUse("Cookie", cookie(s1.Token))
		if err := f.svc.Logout(ctx, me); err != nil {
			t.Fatal(err)
		}
		refused("after logout", "Cookie", cookie(s1.Token))

		s2, me := signIn()
		inUse("Cookie", cookie(s2.Token))
		replaced, err := f.svc.Login(ctx, "hue-editor", password, auth.Client{IP: "203.0.113.7", PreviousSession: s2.Token})
		if err != nil {
			t.Fatal(err)
		}
		refused("a session replaced by a new sign-in", "Cookie", cookie(s2.Token))
		inUse("Cookie", cookie(replaced.Token))
		f.clock.add(auth.DefaultConfig.SessionTTL)
		refused("an expired session", "Cookie", cookie(replaced.Token))

		s3, me := signIn()
		inUse("Cookie", cookie(s3.Token))
		if err := f.svc.ChangePassword(ctx, me, password, "another-long-password"); err != nil {
			t.Fatal(err)
		}
		refused("after a password change", "Cookie", cookie(s3.Token))
		if err := f.svc.ResetPassword(ctx, nil, f.user.ID, password); err != nil {
			t.Fatal(err)
		}

		s4, me := signIn()
		tok, raw, err := f.svc.CreateToken(ctx, me, 0, "đồng bộ", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		inUse("Authorization", "Bearer "+raw)
		if _, err := f.svc.RevokeToken(ctx, me, tok.ID); err != nil {
			t.Fatal(err)
		}
		refused("a revoked token", "Authorization", "Bearer "+raw)

		_, raw, err = f.svc.CreateToken(ctx, me, 0, "đồng bộ 2", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		inUse("Cookie", cookie(s4.Token))
		inUse("Authorization", "Bearer "+raw)
		if err := f.svc.ResetPassword(ctx, nil, f.user.ID, "a-third-long-password"); err != nil {
			t.Fatal(err)
		}
		refused("a session after a reset", "Cookie", cookie(s4.Token))
		refused("a token after a reset", "Authorization", "Bearer "+raw)

		if err := f.svc.ResetPassword(ctx, nil, f.user.ID, password); err != nil {
			t.Fatal(err)
		}
		s5, me := signIn()
		_, raw, err = f.svc.CreateToken(ctx, me, 0, "đồng bộ 3", time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		inUse("Cookie", cookie(s5.Token))
		inUse("Authorization", "Bearer "+raw)
		if _, err := f.svc.SetDisabled(ctx, nil, f.user.ID, true); err != nil {
			t.Fatal(err)
		}
		refused("a disabled user's session", "Cookie", cookie(s5.Token))
		refused("a disabled user's token", "Authorization", "Bearer "+raw)
	})
}
