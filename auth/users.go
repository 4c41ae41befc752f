package auth

import (
	"context"
	"fmt"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"p06/rbac"
	"p06/store"
)

// NewUser is what creating a user takes.
type NewUser struct {
	Username    string
	DisplayName string
	Email       string
	OrgUnit     string // code of the home unit
	Password    string
}

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,39}$`)

// normUsername lower-cases and trims a username.
func normUsername(s string) string { return strings.ToLower(store.NFC(s)) }

func (n *NewUser) validate() error {
	n.Username, n.DisplayName, n.Email, n.OrgUnit = normUsername(n.Username), store.NFC(n.DisplayName), store.NFC(n.Email), store.NFC(n.OrgUnit)
	switch {
	case !usernameRE.MatchString(n.Username):
		return errMsg(store.Invalid, "username", fmt.Sprintf("tên đăng nhập %q không hợp lệ: 2–40 ký tự a-z, 0-9, dấu chấm, gạch nối, gạch dưới", n.Username),
			fmt.Sprintf("username %q is invalid: 2–40 of a-z, 0-9, dot, dash, underscore", n.Username))
	case n.DisplayName == "":
		return errMsg(store.Invalid, "displayName", "họ tên không được để trống", "display name is required")
	case n.Email != "" && !validEmail(n.Email):
		return errMsg(store.Invalid, "email", fmt.Sprintf("địa chỉ thư %q không hợp lệ", n.Email), fmt.Sprintf("email %q is invalid", n.Email))
	case n.OrgUnit == "":
		return errMsg(store.Invalid, "orgUnit", "cần đơn vị công tác", "home org unit is required")
	}
	return validatePassword(n.Password, "password")
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

func validatePassword(p, field string) error {
	switch {
	case len([]rune(p)) < MinPasswordLength:
		return errMsg(store.Invalid, field, fmt.Sprintf("mật khẩu phải có ít nhất %d ký tự", MinPasswordLength),
			fmt.Sprintf("the password must have at least %d characters", MinPasswordLength))
	case len(p) > MaxPasswordLength:
		return errMsg(store.Invalid, field, fmt.Sprintf("mật khẩu dài quá %d byte", MaxPasswordLength),
			fmt.Sprintf("the password is longer than %d bytes", MaxPasswordLength))
	}
	return nil
}

// unitRow is what auth needs of an org unit.
type unitRow struct {
	ID   int64  `bun:"id"`
	Kind string `bun:"kind"`
	Path string `bun:"path"`
}

// unitByCode reads the unit with code; field names the input for the error.
func unitByCode(ctx context.Context, db bun.IDB, code, field string) (unitRow, error) {
	var row unitRow
	err := db.NewSelect().Table("org_units").Column("id", "kind", "path").Where("code = ?", code).Scan(ctx, &row)
	if store.IsNoRows(err) {
		return row, errMsg(store.NotFound, field, fmt.Sprintf("không tìm thấy đơn vị %q", code), fmt.Sprintf("no org unit %q", code))
	}
	return row, err
}

var errUserNotFound = errMsg(store.NotFound, "user", "không tìm thấy người dùng", "user not found")

func (s *Service) audit(ctx context.Context, db bun.IDB, actor *Identity, action, objType string, objID int64, orgPath string, detail any) error {
	return store.Audit(ctx, db, AuditEntry(actor, s.now(), action, objType, objID, orgPath), detail)
}

// AuditEntry is the audit-log row of a change made by actor (nil: the
// system, i.e. the command line or the seed loader) at time at, to the
// object objType objID of the unit at orgPath: who, how they signed in, and
// from where. Write it with store.Audit in the change's transaction.
func AuditEntry(actor *Identity, at time.Time, action, objType string, objID int64, orgPath string) *store.AuditEntry {
	e := &store.AuditEntry{At: at, Action: action, ObjectType: objType, OrgPath: orgPath}
	if objID != 0 {
		e.ObjectID = strconv.FormatInt(objID, 10)
	}
	if actor != nil {
		e.ActorID, e.Actor, e.Via, e.ClientIP = actor.User.ID, actor.User.Username, actor.Via(), actor.ClientIP
	} else {
		e.Actor = "system"
	}
	return e
}

// can checks that actor holds perm on the unit at path.
// Administering users and roles needs a person at a session: a stolen or
// leaked API token must not be able to create accounts or grant roles.
func (s *Service) can(actor *Identity, path string, perm rbac.Permission) error {
	if actor == nil {
		return errMsg(store.Unauthenticated, "", "cần đăng nhập", "sign-in required")
	}
	if actor.Method == MethodToken && (perm == rbac.AdminUsers || perm == rbac.AdminPolicy) {
		return errAdminNeedsSession
	}
	if !s.authz.Can(actor.Subject(), path, perm) {
		return errForbidden
	}
	return nil
}

var errAdminNeedsSession = errMsg(store.Forbidden, "", "quản trị người dùng và phân quyền cần đăng nhập bằng phiên, không dùng API token",
	"user and role administration needs a signed-in session, not an API token")

// CreateUser creates a user whose home unit is in the actor's user-admin
// domain. actor nil means the command line (the first administrator).
func (s *Service) CreateUser(ctx context.Context, actor *Identity, n NewUser) (*User, error) {
	if err := n.validate(); err != nil {
		return nil, err
	}
	hash, err := hashPassword(n.Password)
	if err != nil {
		return nil, err
	}
	u := &User{Username: n.Username, DisplayName: n.DisplayName, SearchName: store.Fold(n.DisplayName + " " + n.Username),
		Email: n.Email, PasswordHash: hash}
	err = s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		unit, err := unitByCode(ctx, tx, n.OrgUnit, "orgUnit")
		if err != nil {
			return err
		}
		id, path := unit.ID, unit.Path
		if actor != nil {
			if err := s.can(actor, path, rbac.AdminUsers); err != nil {
				return err
			}
		}
		now := s.now()
		u.OrgUnitID, u.UnitPath, u.CreatedAt, u.UpdatedAt, u.PasswordChangedAt = id, path, now, now, now
		u.AlertDigest = true
		if _, err := tx.NewInsert().Model(u).Exec(ctx); err != nil {
			if store.IsUniqueViolation(err) {
				return errMsg(store.Conflict, "username", fmt.Sprintf("tên đăng nhập %q đã có người dùng", u.Username),
					fmt.Sprintf("username %q is taken", u.Username))
			}
			return fmt.Errorf("auth: creating user: %w", err)
		}
		if err := store.IndexSearch(ctx, tx, store.SearchUser, u.ID, u.DisplayName+" "+u.Username, ""); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "user.create", "User", u.ID, path,
			map[string]any{"username": u.Username, "displayName": u.DisplayName, "orgUnit": n.OrgUnit})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// userQuery selects users with their unit path.
func userQuery(db bun.IDB, users any) *bun.SelectQuery {
	return db.NewSelect().Model(users).ColumnExpr("us.*").ColumnExpr("u.path AS unit_path").
		Join("JOIN org_units AS u ON u.id = us.org_unit_id")
}

// UsersByIDs returns the users among ids whose home unit is in scope.
func (s *Service) UsersByIDs(ctx context.Context, sc rbac.Scope, ids []int64) ([]*User, error) {
	var us []*User
	if len(ids) == 0 {
		return us, nil
	}
	cond, args := sc.ReadFilter("u.path")
	if err := userQuery(s.db, &us).Where("us.id IN (?)", bun.In(ids)).Where(cond, args...).Scan(ctx); err != nil {
		return nil, fmt.Errorf("auth: users by id: %w", err)
	}
	return us, nil
}

// UserFilter narrows a list of users.
type UserFilter struct {
	OrgUnit  string // home unit or below
	Search   string // username or name, ignoring diacritics
	Disabled *bool
}

// userOrder is the order of the users list: username, then id.
var userOrder = store.Order{Name: "users", Selected: true,
	Keys: []store.Key{{Expr: "us.username", Kind: store.KeyText}, {Expr: "us.id"}}}

// ListUsers returns a page of the users whose home unit is in scope, by
// username, and the page's info.
func (s *Service) ListUsers(ctx context.Context, sc rbac.Scope, f UserFilter, p store.Page) ([]*User, store.PageInfo, error) {
	var us []*User
	cond, args := sc.ReadFilter("u.path")
	q := userQuery(s.db, &us).Where(cond, args...)
	if f.OrgUnit != "" {
		q = q.Where("u.path LIKE (SELECT p.path FROM org_units AS p WHERE p.code = ?) || '%'", f.OrgUnit)
	}
	if err := store.CheckSearch(f.Search, "filter.search"); err != nil {
		return nil, store.PageInfo{}, err
	}
	q = store.SearchFilter(q, s.db, store.SearchUser, "us.id", f.Search)
	if f.Disabled != nil {
		q = q.Where("us.disabled = ?", *f.Disabled)
	}
	info, err := store.List(ctx, q, &us, userOrder, p)
	if err != nil {
		return nil, info, fmt.Errorf("auth: listing users: %w", err)
	}
	return us, info, nil
}

// SetDisabled disables or re-enables a user; disabling ends their sessions
// and revokes their API tokens and the tokens they made for others, so that
// enabling the user again brings none of them back.
func (s *Service) SetDisabled(ctx context.Context, actor *Identity, userID int64, disabled bool) (*User, error) {
	defer s.ids.drop() // once the change is over: see identities
	var u *User
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if u, err = s.lockUser(ctx, tx, actor, userID); err != nil {
			return err
		}
		if disabled && actor != nil && actor.User.ID == u.ID {
			return errMsg(store.Invalid, "user", "không thể tự khóa tài khoản của mình", "you cannot disable yourself")
		}
		u.Disabled, u.UpdatedAt = disabled, s.now()
		if _, err := tx.NewUpdate().Model(u).Column("disabled", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		if disabled {
			if err := s.revokeSessions(ctx, tx, u.ID); err != nil {
				return err
			}
			ts, err := s.liveTokens(ctx, tx, "tk.user_id = ? OR tk.created_by = ?", u.ID, u.ID)
			if err != nil {
				return err
			}
			if err := s.revokeAll(ctx, tx, actor, ts, "user.disable"); err != nil {
				return err
			}
		}
		action := "user.enable"
		if disabled {
			action = "user.disable"
		}
		return s.audit(ctx, tx, actor, action, "User", u.ID, u.UnitPath, map[string]any{"username": u.Username})
	})
	return u, err
}

// lockUser reads a user the actor may administer (any user for the system,
// actor nil).
func (s *Service) lockUser(ctx context.Context, tx bun.IDB, actor *Identity, userID int64) (*User, error) {
	u := new(User)
	if err := userQuery(tx, u).Where("us.id = ?", userID).Scan(ctx); err != nil {
		if store.IsNoRows(err) {
			return nil, errUserNotFound
		}
		return nil, err
	}
	if actor == nil {
		return u, nil
	}
	if err := s.administers(ctx, tx, actor, u); err != nil {
		// Someone who may not administer the user may not learn it exists.
		if !s.authz.ScopeOf(actor.Subject()).CanRead(u.UnitPath) {
			return nil, errUserNotFound
		}
		return nil, err
	}
	return u, nil
}

// administers checks that actor may administer u: ADMIN_USERS on u's home
// unit and on every unit where u holds a role. An administrator of a
// ministry cannot reset the password of, or make tokens for, someone whose
// roles reach beyond that ministry.
// The user's grants are read from the database in the caller's transaction,
// not from this process's cache, so a grant just made elsewhere counts.
func (s *Service) administers(ctx context.Context, tx bun.IDB, actor *Identity, u *User) error {
	if err := s.can(actor, u.UnitPath, rbac.AdminUsers); err != nil {
		return err
	}
	grants, err := rbac.StoredGrants(ctx, tx, rbac.Subject(u.ID))
	if err != nil {
		return err
	}
	if !s.reaches(actor.Subject(), u.UnitPath, grants) {
		return errForbidden
	}
	return nil
}

// reaches reports whether sub holds ADMIN_USERS on the unit at path (a
// user's home unit) and on every domain of grants (that user's roles): the
// rule of administers, on grants the caller supplies (stored ones in a
// transaction, or the authorizer's in memory when a token is used).
func (s *Service) reaches(sub, path string, grants []rbac.Grant) bool {
	if !s.authz.Can(sub, path, rbac.AdminUsers) {
		return false
	}
	for _, g := range grants {
		if !s.authz.Can(sub, g.Domain, rbac.AdminUsers) {
			return false
		}
	}
	return true
}

// ResetPassword sets another user's password (an administrator's act) and
// ends that user's sessions and API tokens.
func (s *Service) ResetPassword(ctx context.Context, actor *Identity, userID int64, password string) error {
	defer s.ids.drop() // once the change is over: see identities
	if err := validatePassword(password, "password"); err != nil {
		return err
	}
	if actor != nil && actor.User.ID == userID {
		// Your own password takes the current one (changePassword): a
		// stolen session or token must not set it.
		return errMsg(store.Invalid, "user", "hãy đổi mật khẩu của chính mình bằng changePassword (cần mật khẩu hiện tại)",
			"change your own password with changePassword (it needs the current one)")
	}
	return s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		u, err := s.lockUser(ctx, tx, actor, userID)
		if err != nil {
			return err
		}
		if err := s.setPassword(ctx, tx, u, password); err != nil {
			return err
		}
		// A reset is what an administrator does after a compromise: the
		// user's API tokens stop too.
		if _, err := tx.NewUpdate().Table("api_tokens").Set("revoked_at = ?", s.now()).
			Where("user_id = ? AND revoked_at IS NULL", u.ID).Exec(ctx); err != nil {
			return fmt.Errorf("auth: revoking tokens: %w", err)
		}
		return s.audit(ctx, tx, actor, "user.password_reset", "User", u.ID, u.UnitPath, map[string]any{"username": u.Username})
	})
}

// ChangePassword changes the caller's own password, given the current one,
// and ends every session of theirs but none other.
// Wrong current passwords count against the username like failed sign-ins,
// so a stolen session cannot be used to guess the password.
func (s *Service) ChangePassword(ctx context.Context, id *Identity, current, next string) error {
	defer s.ids.drop() // once the change is over: see identities
	if err := validatePassword(next, "newPassword"); err != nil {
		return err
	}
	now := s.now()
	key := "user:" + id.User.Username
	until, _, err := s.countAttempt(ctx, []string{key}, now)
	if err != nil {
		return err
	}
	if !until.IsZero() {
		return lockedError(until, now)
	}
	if ok, _ := checkPassword(id.User.PasswordHash, current); !ok || len(current) > MaxPasswordLength {
		_ = s.audit(ctx, s.db, id, "user.password_change_failed", "User", id.User.ID, id.User.UnitPath, nil)
		return errMsg(store.Invalid, "currentPassword", "mật khẩu hiện tại không đúng", "the current password is wrong")
	}
	return s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := s.forgetAttempt(ctx, tx, key, ""); err != nil {
			return err
		}
		if err := s.setPassword(ctx, tx, id.User, next); err != nil {
			return err
		}
		return s.audit(ctx, tx, id, "user.password_change", "User", id.User.ID, id.User.UnitPath, nil)
	})
}

func (s *Service) setPassword(ctx context.Context, tx bun.IDB, u *User, password string) error {
	hash, err := hashPassword(password)
	if err != nil {
		return err
	}
	now := s.now()
	u.PasswordHash, u.PasswordChangedAt, u.UpdatedAt = hash, now, now
	if _, err := tx.NewUpdate().Model(u).Column("password_hash", "password_changed_at", "updated_at").WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("auth: storing password: %w", err)
	}
	return s.revokeSessions(ctx, tx, u.ID)
}

// GrantRole grants role on the unit with code to a user; the actor needs
// policy administration on that unit.
func (s *Service) GrantRole(ctx context.Context, actor *Identity, userID int64, role rbac.Role, unitCode string) (*User, error) {
	return s.changeGrant(ctx, actor, userID, role, unitCode, true)
}

// RevokeRole takes a grant back.
func (s *Service) RevokeRole(ctx context.Context, actor *Identity, userID int64, role rbac.Role, unitCode string) (*User, error) {
	return s.changeGrant(ctx, actor, userID, role, unitCode, false)
}

func (s *Service) changeGrant(ctx context.Context, actor *Identity, userID int64, role rbac.Role, unitCode string, grant bool) (*User, error) {
	defer s.ids.drop() // once the change is over: see identities
	if !role.Valid() {
		return nil, errMsg(store.Invalid, "role", fmt.Sprintf("vai trò %q không hợp lệ", role), fmt.Sprintf("unknown role %q", role))
	}
	u := new(User)
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		unit, err := unitByCode(ctx, tx, unitCode, "orgUnit")
		if err != nil {
			return err
		}
		kind, path := unit.Kind, unit.Path
		if actor != nil {
			if err := s.can(actor, path, rbac.AdminPolicy); err != nil {
				return err
			}
		}
		if err := roleFitsUnit(role, kind); err != nil {
			return err
		}
		target, err := s.lockUser(ctx, tx, actor, userID)
		if err != nil {
			return err
		}
		if err := s.mayChangeGrant(actor, target, role); err != nil {
			return err
		}
		*u = *target
		change, action := rbac.GrantRole, "role.grant"
		if !grant {
			change, action = rbac.RevokeRole, "role.revoke"
		}
		changed, err := change(ctx, tx, rbac.Subject(u.ID), role, path)
		if err != nil {
			return err
		}
		if !changed {
			if grant {
				// Already held: nothing changes, but the attempt is recorded.
				return s.audit(ctx, tx, actor, action, "User", u.ID, path,
					map[string]any{"username": u.Username, "role": role, "orgUnit": unitCode, "unchanged": true})
			}
			return errMsg(store.NotFound, "role", "người dùng không có vai trò này tại đơn vị này", "the user does not hold this role on this unit")
		}
		return s.audit(ctx, tx, actor, action, "User", u.ID, path,
			map[string]any{"username": u.Username, "role": role, "orgUnit": unitCode})
	})
	if err != nil {
		return nil, err
	}
	// The change is committed. If this process cannot reload now, its next
	// Refresh sees the bumped policy version and reloads then.
	if err := s.authz.Reload(ctx); err == nil {
		// Tokens made by someone else that this change put out of their
		// maker's reach die for good (they are refused at use time anyway).
		_ = s.revokeUnreachableTokens(ctx, actor, u.ID)
	}
	return u, nil
}

// roleFitsUnit keeps roles on the kind of unit they are for.
// mayChangeGrant refuses what a unit's administrator could use to raise
// itself (outsider test: a province's ADMIN made itself COORDINATOR and
// approved its own province's deadline extensions): changing one's own
// grants, and granting or revoking ADMIN or COORDINATOR, which only an
// administrator of the whole country may do.
func (s *Service) mayChangeGrant(actor *Identity, target *User, role rbac.Role) error {
	if actor == nil {
		return nil // the admin command line
	}
	if actor.User != nil && actor.User.ID == target.ID {
		return errMsg(store.Forbidden, "user", "không tự cấp hay thu hồi vai trò của chính mình: cần một quản trị viên khác",
			"you cannot grant or revoke your own roles: another administrator must")
	}
	if role == rbac.Admin || role == rbac.Coordinator {
		if err := s.can(actor, rbac.RootPath, rbac.AdminPolicy); err != nil {
			return errMsg(store.Forbidden, "role", fmt.Sprintf("chỉ quản trị viên cấp quốc gia mới cấp hay thu hồi được vai trò %s", role),
				fmt.Sprintf("only a national administrator can grant or revoke %s", role))
		}
	}
	return nil
}

func roleFitsUnit(role rbac.Role, kind string) error {
	var ok bool
	switch role {
	case rbac.NationalViewer:
		ok = kind == "NATIONAL"
	case rbac.MinistryEditor:
		ok = kind == "MINISTRY"
	case rbac.ProvinceEditor, rbac.ProvinceApprover:
		ok = kind == "PROVINCE" || kind == "DISTRICT" || kind == "COMMUNE"
	default:
		ok = true
	}
	if !ok {
		return errMsg(store.Invalid, "orgUnit", fmt.Sprintf("vai trò %s không cấp được cho đơn vị loại %s", role, kind),
			fmt.Sprintf("role %s cannot be granted on a %s unit", role, kind))
	}
	return nil
}

// AuditFilter narrows the audit log.
type AuditFilter struct {
	Action   string // exact, or a prefix ending in "." ("login.")
	ActorID  int64
	From, To time.Time
}

// auditDomains are the units whose audit entries the actor may read.
func (s *Service) auditDomains(actor *Identity) rbac.Scope {
	if actor == nil {
		return rbac.Scope{}
	}
	return rbac.Scope{Read: s.authz.Permissions(actor.Subject())[rbac.ReadAudit]}
}

// AuditEntryByID returns one audit entry the actor may read.
func (s *Service) AuditEntryByID(ctx context.Context, actor *Identity, id int64) (*store.AuditEntry, error) {
	e := new(store.AuditEntry)
	cond, args := s.auditDomains(actor).ReadFilter("al.org_path")
	if err := s.db.NewSelect().Model(e).Where("al.id = ?", id).Where(cond, args...).Scan(ctx); err != nil {
		if store.IsNoRows(err) {
			return nil, errMsg(store.NotFound, "", "không tìm thấy mục nhật ký", "audit entry not found")
		}
		return nil, err
	}
	return e, nil
}

// auditOrder is the order of the audit log: newest (largest id) first.
var auditOrder = store.Order{Name: "auditLog", Desc: true, Keys: []store.Key{{Expr: "al.id"}}}

// AuditLog returns a page of the audit log, newest first, for entries about
// units in the caller's audit domain, and the page's info.
func (s *Service) AuditLog(ctx context.Context, actor *Identity, f AuditFilter, p store.Page) ([]*store.AuditEntry, store.PageInfo, error) {
	cond, args := s.auditDomains(actor).ReadFilter("al.org_path")
	var es []*store.AuditEntry
	q := s.db.NewSelect().Model(&es).Where(cond, args...)
	if strings.HasSuffix(f.Action, ".") {
		q = q.Where("al.action LIKE ?", f.Action+"%")
	} else if f.Action != "" {
		q = q.Where("al.action = ?", f.Action)
	}
	if f.ActorID != 0 {
		q = q.Where("al.actor_id = ?", f.ActorID)
	}
	if !f.From.IsZero() {
		q = q.Where("al.at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("al.at < ?", f.To.UTC())
	}
	info, err := store.List(ctx, q, &es, auditOrder, p)
	if err != nil {
		return nil, info, fmt.Errorf("auth: reading audit log: %w", err)
	}
	return es, info, nil
}

// SetAlertDigest turns the daily e-mail digest of alerts on or off for the
// signed-in caller (their own choice, no permission needed); audited
// (user.alert_digest).
func (s *Service) SetAlertDigest(ctx context.Context, id *Identity, on bool) (*User, error) {
	defer s.ids.drop() // once the change is over: see identities
	if id == nil {
		return nil, errMsg(store.Unauthenticated, "", "cần đăng nhập", "sign-in required")
	}
	u := new(User)
	err := s.db.InTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := userQuery(tx, u).Where("us.id = ?", id.User.ID).Scan(ctx); err != nil {
			return err
		}
		if u.AlertDigest == on {
			return nil
		}
		u.AlertDigest, u.UpdatedAt = on, s.now()
		if _, err := tx.NewUpdate().Model(u).Column("alert_digest", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		return s.audit(ctx, tx, id, "user.alert_digest", "User", u.ID, u.UnitPath, map[string]any{"alertDigest": on})
	})
	if err != nil {
		return nil, fmt.Errorf("auth: setting the alert digest: %w", err)
	}
	return u, nil
}
