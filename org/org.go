// Package org holds the org-unit tree (the nation, ministries and agencies,
// provinces, and below them districts and communes) and the working groups
// that carry out Project 06 at each level.
package org

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sync"

	"github.com/uptrace/bun"

	"p06/rbac"
	"p06/store"
)

// Kind is the level of an org unit.
type Kind string

const (
	National Kind = "NATIONAL"
	Ministry Kind = "MINISTRY"
	Province Kind = "PROVINCE"
	District Kind = "DISTRICT"
	Commune  Kind = "COMMUNE"
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	switch k {
	case National, Ministry, Province, District, Commune:
		return true
	}
	return false
}

// NationalCode is the code of the root unit.
const NationalCode = "VN"

// Unit is one org unit. Path is materialised from codes, root first:
// "/VN/46/" is Thừa Thiên Huế.
type Unit struct {
	bun.BaseModel `bun:"table:org_units,alias:u"`

	ID         int64  `bun:"id,pk,autoincrement"`
	Code       string `bun:"code"`
	Name       string `bun:"name"`
	NameEn     string `bun:"name_en"`
	SearchName string `bun:"search_name"`
	Kind       Kind   `bun:"kind"`
	// Subtype is the legal form: "thanh_pho_truc_thuoc_trung_uong" or "tinh"
	// for provinces, "bo", "co_quan_ngang_bo", "co_quan_thuoc_chinh_phu" or
	// "khac" for central bodies.
	Subtype   string       `bun:"subtype"`
	Region    string       `bun:"region"`
	ParentID  int64        `bun:"parent_id,nullzero"`
	Path      string       `bun:"path"`
	Depth     int          `bun:"depth"`
	SortOrder int          `bun:"sort_order"`
	Source    store.Source `bun:"source"`

	store.SortKey
}

var codeRE = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{0,19}$`)

// Validate checks u before it is stored.
func (u *Unit) Validate() error {
	if !codeRE.MatchString(u.Code) {
		return &store.Error{Code: store.Invalid, Field: "code",
			Message: fmt.Sprintf("mã đơn vị %q không hợp lệ: chỉ gồm chữ in hoa, chữ số và dấu gạch ngang, tối đa 20 ký tự", u.Code),
			English: fmt.Sprintf("org unit code %q is invalid: upper-case letters, digits and dashes, at most 20 characters", u.Code)}
	}
	if store.NFC(u.Name) == "" {
		return &store.Error{Code: store.Invalid, Field: "name", Message: "tên đơn vị không được để trống", English: "org unit name is required"}
	}
	if !u.Kind.Valid() {
		return &store.Error{Code: store.Invalid, Field: "kind",
			Message: fmt.Sprintf("loại đơn vị %q không hợp lệ", u.Kind), English: fmt.Sprintf("unknown org unit kind %q", u.Kind)}
	}
	return nil
}

// Store reads and writes org units and working groups.
type Store struct {
	db    bun.IDB
	units *unitCache
}

// NewStore returns a Store on db (a database or a transaction).
func NewStore(db bun.IDB) *Store { return &Store{db: db, units: &unitCache{byID: map[int64]*Unit{}}} }

// unitCache keeps the units a Store has read by id, for Cached. A unit row
// is never changed once created (CreateUnit is the only writer, and no API
// or migration edits one), so a unit read once stays right: the cache needs
// no invalidation, only scope checks. A change that edits or removes units
// must invalidate it.
type unitCache struct {
	mu   sync.RWMutex
	byID map[int64]*Unit
}

// Cached returns the unit id if this Store has read it before and sc may
// read it, without a query; nil otherwise (the caller loads it). Callers
// must not modify the unit.
func (s *Store) Cached(sc rbac.Scope, id int64) *Unit {
	s.units.mu.RLock()
	u := s.units.byID[id]
	s.units.mu.RUnlock()
	if u == nil || !sc.CanRead(u.Path) {
		return nil
	}
	return u
}

func (s *Store) remember(units []*Unit) {
	s.units.mu.Lock()
	for _, u := range units {
		s.units.byID[u.ID] = u
	}
	s.units.mu.Unlock()
}

// UnitFilter narrows a list of units. Zero fields do not filter.
type UnitFilter struct {
	Kinds      []Kind
	ParentCode string
	Region     string
	// Search matches the name or code, ignoring case and diacritics.
	Search string
}

// scoped restricts q (with table alias u) to the units s may read.
func scoped(q *bun.SelectQuery, s rbac.Scope) *bun.SelectQuery {
	cond, args := s.ReadFilter("u.path")
	return q.Where(cond, args...)
}

// unitOrder is the order of the units list: depth, sort order, code, id.
var unitOrder = store.Order{Name: "orgUnits", Keys: []store.Key{
	{Expr: "u.depth"}, {Expr: "u.sort_order"}, {Expr: "u.code", Kind: store.KeyText}, {Expr: "u.id"}}}

// ListUnits returns a page of the units in scope that match f, ordered by
// depth, then sort order, then code, and the page's info.
func (s *Store) ListUnits(ctx context.Context, sc rbac.Scope, f UnitFilter, p store.Page) ([]*Unit, store.PageInfo, error) {
	var units []*Unit
	q := scoped(s.db.NewSelect().Model(&units), sc)
	if len(f.Kinds) > 0 {
		q = q.Where("u.kind IN (?)", bun.In(f.Kinds))
	}
	if f.ParentCode != "" {
		q = q.Where("u.parent_id = (SELECT p.id FROM org_units p WHERE p.code = ?)", f.ParentCode)
	}
	if f.Region != "" {
		q = q.Where("u.region = ?", store.NFC(f.Region))
	}
	if err := store.CheckSearch(f.Search, "filter.search"); err != nil {
		return nil, store.PageInfo{}, err
	}
	q = store.SearchFilter(q, s.db, store.SearchOrgUnit, "u.id", f.Search)
	info, err := store.List(ctx, q, &units, unitOrder, p)
	if err != nil {
		return nil, info, fmt.Errorf("org: listing units: %w", err)
	}
	return units, info, nil
}

// CheckCode is INVALID on field when code cannot be a unit's code (see
// Validate), such as one with a control character or of 6 KB, so that it
// is refused before any lookup.
func CheckCode(field, code string) error {
	if codeRE.MatchString(code) {
		return nil
	}
	return &store.Error{Code: store.Invalid, Field: field,
		Message: fmt.Sprintf("%s: mã đơn vị %q không hợp lệ: chỉ gồm chữ in hoa, chữ số và dấu gạch ngang, tối đa 20 ký tự", field, store.Clip(code)),
		English: fmt.Sprintf("%s: org unit code %q is invalid: upper-case letters, digits and dashes, at most 20 characters", field, store.Clip(code))}
}

// UnitByCode returns the unit with code, NOT_FOUND when there is none in
// scope, INVALID (field "code") when code cannot be one.
func (s *Store) UnitByCode(ctx context.Context, sc rbac.Scope, code string) (*Unit, error) {
	if err := CheckCode("code", code); err != nil {
		return nil, err
	}
	u := new(Unit)
	err := scoped(s.db.NewSelect().Model(u), sc).Where("u.code = ?", code).Scan(ctx)
	if err != nil {
		if store.IsNoRows(err) {
			return nil, ErrNoUnit(code)
		}
		return nil, fmt.Errorf("org: unit %q: %w", code, err)
	}
	return u, nil
}

// ErrNoUnit is the NOT_FOUND error for a unit code that does not exist or
// is out of the caller's scope (the two are indistinguishable).
func ErrNoUnit(code string) error {
	return store.Errorf(store.NotFound, "không tìm thấy đơn vị có mã %q", "no org unit with code %q", store.Clip(code))
}

// UnitsByIDs returns the units in scope among ids, in no particular order.
func (s *Store) UnitsByIDs(ctx context.Context, sc rbac.Scope, ids []int64) ([]*Unit, error) {
	var units []*Unit
	if len(ids) == 0 {
		return units, nil
	}
	err := scoped(s.db.NewSelect().Model(&units), sc).Where("u.id IN (?)", bun.In(ids)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("org: units by id: %w", err)
	}
	s.remember(units)
	return units, nil
}

// UnitsByCodes returns the units in scope among codes (none for a code that
// cannot be one).
func (s *Store) UnitsByCodes(ctx context.Context, sc rbac.Scope, codes []string) ([]*Unit, error) {
	var units []*Unit
	codes = slices.DeleteFunc(slices.Clone(codes), func(c string) bool { return !codeRE.MatchString(c) })
	if len(codes) == 0 {
		return units, nil
	}
	err := scoped(s.db.NewSelect().Model(&units), sc).Where("u.code IN (?)", bun.In(codes)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("org: units by code: %w", err)
	}
	s.remember(units)
	return units, nil
}

// ChildrenOf returns the children in scope of the units parentIDs, ordered.
func (s *Store) ChildrenOf(ctx context.Context, sc rbac.Scope, parentIDs []int64) ([]*Unit, error) {
	var units []*Unit
	if len(parentIDs) == 0 {
		return units, nil
	}
	err := scoped(s.db.NewSelect().Model(&units), sc).Where("u.parent_id IN (?)", bun.In(parentIDs)).
		OrderExpr("u.sort_order, u.code").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("org: children: %w", err)
	}
	return units, nil
}

// CreateUnit stores u under the unit with parentCode ("" for the root),
// computing its path and depth.
func (s *Store) CreateUnit(ctx context.Context, u *Unit, parentCode string) error {
	u.Code = store.NFC(u.Code)
	u.Name = store.NFC(u.Name)
	u.Region = store.NFC(u.Region)
	if err := u.Validate(); err != nil {
		return err
	}
	u.SearchName = store.Fold(u.Name)
	if parentCode == "" {
		u.ParentID, u.Path, u.Depth = 0, "/"+u.Code+"/", 0
	} else {
		parent := new(Unit)
		if err := s.db.NewSelect().Model(parent).Where("u.code = ?", parentCode).Scan(ctx); err != nil {
			if store.IsNoRows(err) {
				return store.Errorf(store.NotFound, "không tìm thấy đơn vị cấp trên %q", "no parent org unit %q", parentCode)
			}
			return fmt.Errorf("org: parent %q: %w", parentCode, err)
		}
		u.ParentID, u.Path, u.Depth = parent.ID, parent.Path+u.Code+"/", parent.Depth+1
	}
	if _, err := s.db.NewInsert().Model(u).Exec(ctx); err != nil {
		return fmt.Errorf("org: creating unit %s: %w", u.Code, err)
	}
	return store.IndexSearch(ctx, s.db, store.SearchOrgUnit, u.ID, u.Name+" "+u.Code, "")
}

// UnitsWithAncestors returns the units in scope among ids together with
// their ancestors in scope, in one query, so that a client walking up the
// tree (orgUnit { parent { … } }) costs nothing more.
func (s *Store) UnitsWithAncestors(ctx context.Context, sc rbac.Scope, ids []int64) ([]*Unit, error) {
	var units []*Unit
	if len(ids) == 0 {
		return units, nil
	}
	err := scoped(s.db.NewSelect().Model(&units), sc).
		Where("EXISTS (SELECT 1 FROM org_units AS x WHERE x.id IN (?) AND x.path LIKE u.path || '%')", bun.In(ids)).
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("org: units by id: %w", err)
	}
	s.remember(units)
	return units, nil
}
