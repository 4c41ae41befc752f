package seeds

import (
	"context"
	"fmt"
	"slices"

	"p06/auth"
	"p06/rbac"
	"p06/store"
)

// DefaultDemoPassword is every demo user's password unless P06_DEMO_PASSWORD
// says otherwise.
const DefaultDemoPassword = "demo-password"

// DemoUser is one of the demo accounts: one per role.
type DemoUser struct {
	Username, DisplayName, Home string
	Role                        rbac.Role
	On                          string // unit code the role is granted on
}

// DemoUsers are created with the demo programme (never in production).
var DemoUsers = []DemoUser{
	{"admin", "Quản trị hệ thống (demo)", "VN", rbac.Admin, "VN"},
	{"vpcp", "Văn phòng Chính phủ – theo dõi toàn quốc (demo)", "VPCP", rbac.NationalViewer, "VN"},
	{"c06", "Cục C06 Bộ Công an – cơ quan thường trực (demo)", "BCA", rbac.Coordinator, "VN"},
	{"bca", "Bộ Công an – cập nhật nhiệm vụ (demo)", "BCA", rbac.MinistryEditor, "BCA"},
	{"btp", "Bộ Tư pháp – cập nhật nhiệm vụ (demo)", "BTP", rbac.MinistryEditor, "BTP"},
	{"hanoi", "Thành phố Hà Nội – cập nhật (demo)", "01", rbac.ProvinceEditor, "01"},
	{"hue", "Thừa Thiên Huế – cập nhật (demo)", "46", rbac.ProvinceEditor, "46"},
	{"hanoi-approver", "Thành phố Hà Nội – phê duyệt (demo)", "01", rbac.ProvinceApprover, "01"},
	{"viewer-46", "Thừa Thiên Huế – chỉ xem (demo)", "46", rbac.Viewer, "46"},
}

// loadDemoUsers creates the demo users that do not exist yet, with their
// grants. Each creation is its own audited transaction (actor "seed").
func loadDemoUsers(ctx context.Context, db *store.DB, clock store.Clock, password string, rep *Report) error {
	authz, err := rbac.NewAuthorizer(ctx, db, 0)
	if err != nil {
		return err
	}
	svc := auth.NewService(db, authz, clock, auth.DefaultConfig)
	unitPaths := map[string]string{}
	var units []struct {
		Code string `bun:"code"`
		Path string `bun:"path"`
	}
	if err := db.NewSelect().Table("org_units").Column("code", "path").Scan(ctx, &units); err != nil {
		return err
	}
	for _, u := range units {
		unitPaths[u.Code] = u.Path
	}
	for _, d := range DemoUsers {
		id, err := userID(ctx, db, d.Username)
		if store.IsNoRows(err) {
			var u *auth.User
			u, err = svc.CreateUser(ctx, nil, auth.NewUser{Username: d.Username, DisplayName: d.DisplayName, OrgUnit: d.Home, Password: password})
			switch {
			case err == nil:
				id = u.ID
				rep.Users++
			case store.ErrorCode(err) == store.Conflict: // another process created it a moment ago
				id, err = userID(ctx, db, d.Username)
			}
		}
		if err != nil {
			return fmt.Errorf("demo user %s: %w", d.Username, err)
		}
		if !slices.Contains(authz.Grants(rbac.Subject(id)), rbac.Grant{Role: d.Role, Domain: unitPaths[d.On]}) {
			if _, err := svc.GrantRole(ctx, nil, id, d.Role, d.On); err != nil {
				return fmt.Errorf("demo user %s: %w", d.Username, err)
			}
		}
	}
	return nil
}

func userID(ctx context.Context, db *store.DB, username string) (int64, error) {
	var id int64
	err := db.NewSelect().Table("users").Column("id").Where("username = ?", username).Scan(ctx, &id)
	return id, err
}
