package org_test

import (
	"context"
	"testing"

	"p06/org"
	"p06/rbac"
	"p06/seeds/seedtest"
	"p06/store"
	"p06/store/storetest"
)

func TestMain(m *testing.M) { seedtest.Main(m) }

func TestUnitsTreeAndSearch(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := org.NewStore(db)
		sc := rbac.National()

		hue, err := s.UnitByCode(ctx, sc, "46")
		if err != nil {
			t.Fatal(err)
		}
		if hue.Name != "Thừa Thiên Huế" || hue.Kind != org.Province || hue.Path != "/VN/46/" || hue.Depth != 1 || hue.Source != store.SourceReference {
			t.Fatalf("46 = %+v", hue)
		}
		for q, want := range map[string]string{"ha noi": "01", "THUA THIEN": "46", "dak lak": "66", "Bộ Công an": "BCA", "bca": "BCA"} {
			units, n, err := s.ListUnits(ctx, sc, org.UnitFilter{Search: q}, store.Page{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if n.Total == 0 || units[0].Code != want {
				t.Errorf("search %q: %d results, first %v; want %s", q, n.Total, units, want)
			}
		}
		_, n, err := s.ListUnits(ctx, sc, org.UnitFilter{Kinds: []org.Kind{org.Province}}, store.Page{Limit: 1})
		if err != nil || n.Total != 63 {
			t.Fatalf("provinces = %d, %v", n.Total, err)
		}
		_, n, err = s.ListUnits(ctx, sc, org.UnitFilter{Kinds: []org.Kind{org.Ministry}, ParentCode: "VN"}, store.Page{Limit: 1})
		if err != nil || n.Total != 31 {
			t.Fatalf("central bodies = %d, %v", n.Total, err)
		}
		_, n, err = s.ListUnits(ctx, sc, org.UnitFilter{Region: "Tây Nguyên"}, store.Page{Limit: 1})
		if err != nil || n.Total != 5 {
			t.Fatalf("Tây Nguyên = %d provinces, %v; want 5", n.Total, err)
		}
		root, err := s.UnitByCode(ctx, sc, "VN")
		if err != nil {
			t.Fatal(err)
		}
		children, err := s.ChildrenOf(ctx, sc, []int64{root.ID})
		if err != nil || len(children) != 94 {
			t.Fatalf("children of VN = %d, %v", len(children), err)
		}
		// Out of scope is exactly like not there.
		hueOnly := rbac.Scope{Read: []string{"/VN/46/"}}
		if _, err := s.UnitByCode(ctx, hueOnly, "01"); store.ErrorCode(err) != store.NotFound {
			t.Fatalf("Hà Nội from a Huế scope: %v, want NOT_FOUND", err)
		}
		if _, err := s.UnitByCode(ctx, sc, "XX"); store.ErrorCode(err) != store.NotFound {
			t.Fatalf("unknown code: %v, want NOT_FOUND", err)
		}
		if _, n, _ := s.ListUnits(ctx, rbac.Scope{}, org.UnitFilter{}, store.Page{Limit: 10}); n.Total != 0 {
			t.Fatalf("empty scope sees %d units", n.Total)
		}
		groups, n, err := s.ListGroups(ctx, sc, org.GroupFilter{OrgUnit: "46"}, store.Page{Limit: 10})
		if err != nil || n.Total != 1 || groups[0].Level != org.LevelProvince {
			t.Fatalf("groups of 46 = %v, %d, %v", groups, n.Total, err)
		}
		ms, err := s.MembersOf(ctx, []int64{groups[0].ID})
		if err != nil || len(ms) != 3 || ms[0].Role != org.RoleLeader {
			t.Fatalf("members = %v, %v", ms, err)
		}
		if n, err := s.CountGroups(ctx, hueOnly); err != nil || n != 1 {
			t.Fatalf("groups in Huế scope = %d, %v", n, err)
		}
	})
}

func TestCreateUnitValidates(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := org.NewStore(db)
		for _, u := range []*org.Unit{
			{Code: "vn lower", Name: "x", Kind: org.National},
			{Code: "VN", Name: "  ", Kind: org.National},
			{Code: "VN", Name: "x", Kind: "STATE"},
		} {
			if err := s.CreateUnit(ctx, u, ""); store.ErrorCode(err) != store.Invalid {
				t.Errorf("%+v: %v, want INVALID", u, err)
			}
		}
		if err := s.CreateUnit(ctx, &org.Unit{Code: "01", Name: "Hà Nội", Kind: org.Province}, "VN"); store.ErrorCode(err) != store.NotFound {
			t.Errorf("missing parent: %v, want NOT_FOUND", err)
		}
		// Names are stored NFC whatever the input form.
		u := &org.Unit{Code: "VN", Name: "Toa\u0300n quô\u0301c", Kind: org.National, Source: store.SourceUser}
		if err := s.CreateUnit(ctx, u, ""); err != nil {
			t.Fatal(err)
		}
		got, err := s.UnitByCode(ctx, rbac.National(), "VN")
		if err != nil || got.Name != "Toàn quốc" || got.SearchName != "toan quoc" {
			t.Fatalf("stored %+v, %v", got, err)
		}
	})
}

// A unit read once is answered from memory afterwards, to callers who may
// read it and to no one else.
func TestCachedUnitsKeepScope(t *testing.T) {
	t.Parallel()
	seedtest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := org.NewStore(db)
		hanoi, err := s.UnitByCode(ctx, rbac.National(), "01")
		if err != nil {
			t.Fatal(err)
		}
		if s.Cached(rbac.National(), hanoi.ID) != nil {
			t.Fatal("a unit never read by id is not cached")
		}
		if _, err := s.UnitsWithAncestors(ctx, rbac.National(), []int64{hanoi.ID}); err != nil {
			t.Fatal(err)
		}
		if u := s.Cached(rbac.National(), hanoi.ID); u == nil || u.Name != "Hà Nội" {
			t.Fatalf("cached Hà Nội = %+v", u)
		}
		if u := s.Cached(rbac.Scope{Read: []string{"/VN/46/"}}, hanoi.ID); u != nil {
			t.Fatalf("a Huế reader got Hà Nội from the cache: %+v", u)
		}
		if u := s.Cached(rbac.Scope{}, hanoi.ID); u != nil {
			t.Fatal("an empty scope got a cached unit")
		}
	})
}
