package rbac_test

import (
	"context"
	"testing"

	"p06/rbac"
	"p06/store"
	"p06/store/storetest"
)

func TestGrantsCoverSubtreesAndReachOtherProcesses(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, err := rbac.NewAuthorizer(ctx, db, 0)
		if err != nil {
			t.Fatal(err)
		}
		// A second server process on the same database.
		b, err := rbac.NewAuthorizer(ctx, db, 0)
		if err != nil {
			t.Fatal(err)
		}
		hue := rbac.Subject(7)
		if a.Can(hue, "/VN/46/", rbac.UpdateAssignment) || !a.ScopeOf(hue).Empty() {
			t.Fatal("a subject with no grant can do nothing and reads nothing")
		}
		if changed, err := rbac.GrantRole(ctx, db, hue, rbac.ProvinceEditor, "/VN/46/"); err != nil || !changed {
			t.Fatalf("grant: %v %v", changed, err)
		}
		if changed, _ := rbac.GrantRole(ctx, db, hue, rbac.ProvinceEditor, "/VN/46/"); changed {
			t.Fatal("granting twice changed something")
		}
		if err := a.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		for path, want := range map[string]bool{"/VN/46/": true, "/VN/46/474/": true, "/VN/01/": false, "/VN/": false, "/VN/4/": false} {
			if got := a.Can(hue, path, rbac.UpdateAssignment); got != want {
				t.Errorf("Can(update, %s) = %v, want %v", path, got, want)
			}
		}
		if a.Can(hue, "/VN/46/", rbac.ApproveKPI) || a.Can(hue, "/VN/46/", rbac.AdminUsers) {
			t.Error("an editor cannot approve or administer")
		}
		sc := a.ScopeOf(hue)
		if len(sc.Read) != 1 || sc.Read[0] != "/VN/46/" || len(sc.Write) != 1 {
			t.Errorf("scope = %+v", sc)
		}
		// The other process sees the change on its next refresh.
		if err := b.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if !b.Can(hue, "/VN/46/", rbac.UpdateAssignment) {
			t.Fatal("the other process did not pick up the grant")
		}
		if changed, err := rbac.RevokeRole(ctx, db, hue, rbac.ProvinceEditor, "/VN/46/"); err != nil || !changed {
			t.Fatalf("revoke: %v %v", changed, err)
		}
		if err := b.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if b.Can(hue, "/VN/46/", rbac.UpdateAssignment) || !b.ScopeOf(hue).Empty() {
			t.Fatal("the revocation did not reach the other process")
		}
	})
}

func TestNationalRolesAndMinimalScopes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		sub := rbac.Subject(1)
		for _, g := range []rbac.Grant{{rbac.Viewer, "/VN/46/"}, {rbac.NationalViewer, "/VN/"}, {rbac.Coordinator, "/VN/"}} {
			if _, err := rbac.GrantRole(ctx, db, sub, g.Role, g.Domain); err != nil {
				t.Fatal(err)
			}
		}
		a, err := rbac.NewAuthorizer(ctx, db, 0)
		if err != nil {
			t.Fatal(err)
		}
		sc := a.ScopeOf(sub)
		if !sc.ReadsAll() || len(sc.Read) != 1 {
			t.Errorf("read scope = %v, want just /VN/", sc.Read)
		}
		if !a.Can(sub, "/VN/", rbac.CreateDocument) || !a.Can(sub, "/VN/01/", rbac.DecideExtension) {
			t.Error("a national coordinator decides everywhere")
		}
		if a.CanAnywhere(sub, rbac.AdminUsers) {
			t.Error("a coordinator is not an admin")
		}
		if got := len(a.Grants(sub)); got != 3 {
			t.Errorf("grants = %d", got)
		}
	})
}

// A permission added to policy.csv reaches a database that was set up
// before it (here: COORDINATOR's READ_AUDIT, removed by hand as if the
// database predated it) when the next process starts, and the processes
// already running pick it up on their next refresh.
func TestNewRolePermissionsReachExistingDatabases(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		running, err := rbac.NewAuthorizer(ctx, db, 0)
		if err != nil {
			t.Fatal(err)
		}
		c := rbac.Subject(9)
		if _, err := rbac.GrantRole(ctx, db, c, rbac.Coordinator, "/VN/"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, "DELETE FROM casbin_rules WHERE ptype = 'p' AND v0 = 'COORDINATOR' AND v1 = 'audit' AND v2 = 'read'"); err != nil {
			t.Fatal(err)
		}
		if err := running.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if running.Can(c, "/VN/46/", rbac.ReadAudit) {
			t.Fatal("the permission is still there after removing it")
		}
		started, err := rbac.NewAuthorizer(ctx, db, 0)
		if err != nil {
			t.Fatal(err)
		}
		if !started.Can(c, "/VN/46/", rbac.ReadAudit) || !started.Can(c, "/VN/", rbac.AssignTask) {
			t.Error("a new process does not give COORDINATOR READ_AUDIT")
		}
		if err := running.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		if !running.Can(c, "/VN/46/", rbac.ReadAudit) {
			t.Error("a running process did not pick up the added permission")
		}
	})
}
