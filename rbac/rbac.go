package rbac

import (
	"bufio"
	"context"
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/uptrace/bun"
)

//go:embed model.conf
var modelText string

//go:embed policy.csv
var policyText string

// Grant is a role held in a domain: the org-unit path it covers.
type Grant struct {
	Role   Role
	Domain string
}

// Authorizer answers what a subject ("user:12") may do where, from the
// Casbin policies in the application database. Policy changes are made in
// the caller's transaction with GrantRole/RevokeRole and reach every process
// sharing the database: each one reloads when the policy version it last
// loaded is older than the stored one, checked at most once per interval.
type Authorizer struct {
	db       bun.IDB
	interval time.Duration

	mu       sync.RWMutex
	enforcer *casbin.Enforcer
	version  int64
	checked  time.Time
}

// NewAuthorizer loads the policies from db, adding the built-in role
// permissions that are missing. interval is how often Refresh looks for
// changes made by other processes (0: on every call).
func NewAuthorizer(ctx context.Context, db bun.IDB, interval time.Duration) (*Authorizer, error) {
	a := &Authorizer{db: db, interval: interval}
	if err := a.seedPermissions(ctx); err != nil {
		return nil, err
	}
	if err := a.Reload(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// rule is a row of casbin_rules.
type rule struct {
	bun.BaseModel `bun:"table:casbin_rules,alias:cr"`

	ID    int64  `bun:"id,pk,autoincrement"`
	PType string `bun:"ptype"`
	V0    string `bun:"v0"`
	V1    string `bun:"v1"`
	V2    string `bun:"v2"`
	V3    string `bun:"v3"`
	V4    string `bun:"v4"`
	V5    string `bun:"v5"`
}

func (r *rule) fields() []string {
	out := []string{r.PType, r.V0, r.V1, r.V2, r.V3, r.V4, r.V5}
	for len(out) > 1 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// seedPermissions stores the p rows of policy.csv that are not stored yet,
// so a permission added to the file reaches an existing database at the next
// start, and bumps the policy version when it stored any.
func (a *Authorizer) seedPermissions(ctx context.Context) error {
	var rows []*rule
	sc := bufio.NewScanner(strings.NewReader(policyText))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, ",")
		for i := range f {
			f[i] = strings.TrimSpace(f[i])
		}
		rows = append(rows, &rule{PType: f[0], V0: f[1], V1: f[2], V2: f[3]})
	}
	var stored []*rule
	if err := a.db.NewSelect().Model(&stored).Where("ptype = 'p'").Scan(ctx); err != nil {
		return fmt.Errorf("rbac: reading policies: %w", err)
	}
	have := map[[3]string]bool{}
	for _, r := range stored {
		have[[3]string{r.V0, r.V1, r.V2}] = true
	}
	added := false
	for _, r := range rows {
		if have[[3]string{r.V0, r.V1, r.V2}] {
			continue
		}
		if _, err := a.db.NewInsert().Model(r).Exec(ctx); err != nil {
			return fmt.Errorf("rbac: storing role permissions: %w", err)
		}
		added = true
	}
	if added {
		// Other processes on this database reload at their next Refresh.
		return bumpVersion(ctx, a.db)
	}
	return nil
}

func newEnforcer() (*casbin.Enforcer, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, fmt.Errorf("rbac: model: %w", err)
	}
	e, err := casbin.NewEnforcer(m)
	if err != nil {
		return nil, fmt.Errorf("rbac: enforcer: %w", err)
	}
	// A grant on /VN/46/ covers /VN/46/ and every path below it.
	e.AddNamedDomainMatchingFunc("g", "subtree", func(request, granted string) bool {
		return strings.HasPrefix(request, granted)
	})
	return e, nil
}

// Reload reads every policy from the database now.
func (a *Authorizer) Reload(ctx context.Context) error {
	version, err := storedVersion(ctx, a.db)
	if err != nil {
		return err
	}
	var rows []*rule
	if err := a.db.NewSelect().Model(&rows).OrderExpr("id").Scan(ctx); err != nil {
		return fmt.Errorf("rbac: loading policies: %w", err)
	}
	e, err := newEnforcer()
	if err != nil {
		return err
	}
	for _, r := range rows {
		f := r.fields()
		switch f[0] {
		case "p":
			_, err = e.AddPolicy(toAny(f[1:])...)
		case "g":
			_, err = e.AddGroupingPolicy(toAny(f[1:])...)
		}
		if err != nil {
			return fmt.Errorf("rbac: policy %v: %w", f, err)
		}
	}
	a.mu.Lock()
	a.enforcer, a.version, a.checked = e, version, time.Now()
	a.mu.Unlock()
	return nil
}

// storedVersion reads the policy version the database holds.
func storedVersion(ctx context.Context, db bun.IDB) (int64, error) {
	var version int64
	if err := db.NewSelect().Table("policy_version").Column("version").Where("id = 1").Scan(ctx, &version); err != nil {
		return 0, fmt.Errorf("rbac: policy version: %w", err)
	}
	return version, nil
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// Refresh reloads the policies if another process changed them since the
// last load, looking at most once per interval.
func (a *Authorizer) Refresh(ctx context.Context) error {
	a.mu.RLock()
	fresh := time.Since(a.checked) < a.interval
	have := a.version
	a.mu.RUnlock()
	if fresh {
		return nil
	}
	version, err := storedVersion(ctx, a.db)
	if err != nil {
		return err
	}
	if version == have {
		a.mu.Lock()
		a.checked = time.Now()
		a.mu.Unlock()
		return nil
	}
	return a.Reload(ctx)
}

// Subject is the Casbin subject of a user.
func Subject(userID int64) string { return fmt.Sprintf("user:%d", userID) }

// Grants returns the roles sub holds, by domain.
func (a *Authorizer) Grants(sub string) []Grant {
	a.mu.RLock()
	defer a.mu.RUnlock()
	rules, _ := a.enforcer.GetFilteredGroupingPolicy(0, sub)
	out := make([]Grant, 0, len(rules))
	for _, r := range rules {
		out = append(out, Grant{Role: Role(r[1]), Domain: r[2]})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Domain != out[j].Domain {
			return out[i].Domain < out[j].Domain
		}
		return out[i].Role < out[j].Role
	})
	return out
}

// StoredGrants reads the roles sub holds from the database (db may be a
// transaction), for checks that must not trust a cache a moment old.
func StoredGrants(ctx context.Context, db bun.IDB, sub string) ([]Grant, error) {
	var rows []*rule
	if err := db.NewSelect().Model(&rows).Where("ptype = 'g' AND v0 = ?", sub).OrderExpr("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("rbac: reading grants: %w", err)
	}
	out := make([]Grant, len(rows))
	for i, r := range rows {
		out[i] = Grant{Role: Role(r.V1), Domain: r.V2}
	}
	return out, nil
}

// Permissions returns, per permission, the domains where sub holds it.
func (a *Authorizer) Permissions(sub string) map[Permission][]string {
	grants := a.Grants(sub)
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := map[Permission][]string{}
	for _, g := range grants {
		perms, _ := a.enforcer.GetFilteredPolicy(0, string(g.Role))
		for _, p := range perms {
			if perm, ok := permissionOf(p[1], p[2]); ok {
				out[perm] = addDomain(out[perm], g.Domain)
			}
		}
	}
	return out
}

// addDomain adds d to a set of subtree prefixes, keeping it minimal: a
// domain under one already there adds nothing; one above others replaces them.
func addDomain(set []string, d string) []string {
	out := set[:0:0]
	for _, s := range set {
		if strings.HasPrefix(d, s) {
			return set
		}
		if !strings.HasPrefix(s, d) {
			out = append(out, s)
		}
	}
	return append(out, d)
}

// ScopeOf returns what sub may read (domains with data:read) and write
// (domains with any other permission but reading the audit log).
func (a *Authorizer) ScopeOf(sub string) Scope {
	var sc Scope
	for perm, domains := range a.Permissions(sub) {
		for _, d := range domains {
			switch {
			case perm == ReadData:
				sc.Read = addDomain(sc.Read, d)
			case !perm.readOnly():
				sc.Write = addDomain(sc.Write, d)
			}
		}
	}
	sort.Strings(sc.Read)
	sort.Strings(sc.Write)
	return sc
}

// Can reports whether sub holds perm on the unit at path.
func (a *Authorizer) Can(sub string, path string, perm Permission) bool {
	oa, ok := casbinPerm[perm]
	if !ok {
		return false
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	allowed, err := a.enforcer.Enforce(sub, path, oa[0], oa[1])
	return err == nil && allowed
}

// CanAnywhere reports whether sub holds perm on some unit.
func (a *Authorizer) CanAnywhere(sub string, perm Permission) bool {
	return len(a.Permissions(sub)[perm]) > 0
}

// GrantRole stores a grant of role to sub on the unit at path, in db (the
// caller's transaction). It reports whether anything changed. Call Reload
// after the transaction commits.
func GrantRole(ctx context.Context, db bun.IDB, sub string, role Role, path string) (bool, error) {
	n, err := db.NewSelect().Model((*rule)(nil)).Where("ptype = 'g' AND v0 = ? AND v1 = ? AND v2 = ?", sub, role, path).Count(ctx)
	if err != nil {
		return false, fmt.Errorf("rbac: reading grants: %w", err)
	}
	if n > 0 {
		return false, nil
	}
	if _, err := db.NewInsert().Model(&rule{PType: "g", V0: sub, V1: string(role), V2: path}).Exec(ctx); err != nil {
		return false, fmt.Errorf("rbac: storing grant: %w", err)
	}
	return true, bumpVersion(ctx, db)
}

// RevokeRole removes a grant; it reports whether there was one.
func RevokeRole(ctx context.Context, db bun.IDB, sub string, role Role, path string) (bool, error) {
	res, err := db.NewDelete().Model((*rule)(nil)).Where("ptype = 'g' AND v0 = ? AND v1 = ? AND v2 = ?", sub, role, path).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("rbac: removing grant: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, bumpVersion(ctx, db)
}

func bumpVersion(ctx context.Context, db bun.IDB) error {
	if _, err := db.NewUpdate().Table("policy_version").Set("version = version + 1").Where("id = 1").Exec(ctx); err != nil {
		return fmt.Errorf("rbac: bumping policy version: %w", err)
	}
	return nil
}
