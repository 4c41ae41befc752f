package org

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"p06/rbac"
	"p06/store"
)

// Level is the level a working group works at.
type Level string

const (
	LevelCentral  Level = "CENTRAL"
	LevelProvince Level = "PROVINCE"
	LevelDistrict Level = "DISTRICT"
	LevelCommune  Level = "COMMUNE"
)

// WorkingGroup is a Project 06 working group (Tổ công tác) for one org unit.
type WorkingGroup struct {
	bun.BaseModel `bun:"table:working_groups,alias:wg"`

	ID         int64        `bun:"id,pk,autoincrement"`
	Code       string       `bun:"code"`
	Name       string       `bun:"name"`
	SearchName string       `bun:"search_name"`
	Level      Level        `bun:"level"`
	OrgUnitID  int64        `bun:"org_unit_id"`
	Source     store.Source `bun:"source"`

	store.SortKey
}

// MemberRole is a member's role in a working group.
type MemberRole string

const (
	RoleLeader       MemberRole = "LEADER"        // Tổ trưởng
	RoleDeputyLeader MemberRole = "DEPUTY_LEADER" // Tổ phó
	RoleMember       MemberRole = "MEMBER"        // Thành viên
)

// Member is a seat in a working group, named by position ("Chủ tịch Ủy ban
// nhân dân tỉnh"), since groups are constituted by office, not by person.
type Member struct {
	bun.BaseModel `bun:"table:working_group_members,alias:m"`

	ID             int64      `bun:"id,pk,autoincrement"`
	WorkingGroupID int64      `bun:"working_group_id"`
	Position       string     `bun:"position"`
	Role           MemberRole `bun:"role"`
	SortOrder      int        `bun:"sort_order"`
}

// GroupFilter narrows a list of working groups.
type GroupFilter struct {
	Levels  []Level
	OrgUnit string // code: groups of this unit and the units below it
	Search  string
}

func scopedGroups(q *bun.SelectQuery, sc rbac.Scope) *bun.SelectQuery {
	cond, args := sc.ReadFilter("u.path")
	return q.Join("JOIN org_units AS u ON u.id = wg.org_unit_id").Where(cond, args...)
}

// groupOrder is the order of the working groups list: their unit's place
// in the tree, then id.
var groupOrder = store.Order{Name: "workingGroups", Keys: []store.Key{
	{Expr: "u.depth"}, {Expr: "u.sort_order"}, {Expr: "u.code", Kind: store.KeyText}, {Expr: "wg.id"}}}

// ListGroups returns a page of the working groups in scope, ordered by their
// unit's place in the tree, and the page's info.
func (s *Store) ListGroups(ctx context.Context, sc rbac.Scope, f GroupFilter, p store.Page) ([]*WorkingGroup, store.PageInfo, error) {
	var groups []*WorkingGroup
	q := scopedGroups(s.db.NewSelect().Model(&groups), sc)
	if len(f.Levels) > 0 {
		q = q.Where("wg.level IN (?)", bun.In(f.Levels))
	}
	if f.OrgUnit != "" {
		q = q.Where("u.path LIKE (SELECT p.path FROM org_units p WHERE p.code = ?) || '%'", f.OrgUnit)
	}
	if err := store.CheckSearch(f.Search, "filter.search"); err != nil {
		return nil, store.PageInfo{}, err
	}
	q = store.SearchFilter(q, s.db, store.SearchGroup, "wg.id", f.Search)
	info, err := store.List(ctx, q, &groups, groupOrder, p)
	if err != nil {
		return nil, info, fmt.Errorf("org: listing working groups: %w", err)
	}
	return groups, info, nil
}

// GroupsByIDs returns the working groups in scope among ids.
func (s *Store) GroupsByIDs(ctx context.Context, sc rbac.Scope, ids []int64) ([]*WorkingGroup, error) {
	var groups []*WorkingGroup
	if len(ids) == 0 {
		return groups, nil
	}
	if err := scopedGroups(s.db.NewSelect().Model(&groups), sc).Where("wg.id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("org: working groups by id: %w", err)
	}
	return groups, nil
}

// MembersOf returns the members of the groups groupIDs (already known to be
// in scope), ordered by role and seat.
func (s *Store) MembersOf(ctx context.Context, groupIDs []int64) ([]*Member, error) {
	var ms []*Member
	if len(groupIDs) == 0 {
		return ms, nil
	}
	err := s.db.NewSelect().Model(&ms).Where("m.working_group_id IN (?)", bun.In(groupIDs)).
		OrderExpr("m.working_group_id, m.sort_order, m.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("org: working group members: %w", err)
	}
	return ms, nil
}

// CreateGroup stores g for the unit unitCode with its members.
func (s *Store) CreateGroup(ctx context.Context, g *WorkingGroup, unitCode string, members []*Member) error {
	g.Name = store.NFC(g.Name)
	g.SearchName = store.Fold(g.Name)
	if g.Name == "" {
		return &store.Error{Code: store.Invalid, Field: "name", Message: "tên tổ công tác không được để trống", English: "working group name is required"}
	}
	var unitID int64
	if err := s.db.NewSelect().Table("org_units").Column("id").Where("code = ?", unitCode).Scan(ctx, &unitID); err != nil {
		if store.IsNoRows(err) {
			return store.Errorf(store.NotFound, "không tìm thấy đơn vị %q", "no org unit %q", unitCode)
		}
		return fmt.Errorf("org: unit %q: %w", unitCode, err)
	}
	g.OrgUnitID = unitID
	if _, err := s.db.NewInsert().Model(g).Exec(ctx); err != nil {
		return fmt.Errorf("org: creating working group %s: %w", g.Code, err)
	}
	if err := store.IndexSearch(ctx, s.db, store.SearchGroup, g.ID, g.Name, ""); err != nil {
		return err
	}
	for i, m := range members {
		m.WorkingGroupID, m.SortOrder, m.Position = g.ID, i, store.NFC(m.Position)
	}
	if len(members) > 0 {
		if _, err := s.db.NewInsert().Model(&members).Exec(ctx); err != nil {
			return fmt.Errorf("org: working group members: %w", err)
		}
	}
	return nil
}

// GroupsOfUnits returns the working groups in scope of the units unitIDs.
func (s *Store) GroupsOfUnits(ctx context.Context, sc rbac.Scope, unitIDs []int64) ([]*WorkingGroup, error) {
	var groups []*WorkingGroup
	if len(unitIDs) == 0 {
		return groups, nil
	}
	err := scopedGroups(s.db.NewSelect().Model(&groups), sc).Where("wg.org_unit_id IN (?)", bun.In(unitIDs)).
		OrderExpr("wg.org_unit_id, wg.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("org: working groups of units: %w", err)
	}
	return groups, nil
}

// CountGroups returns how many working groups are in scope.
func (s *Store) CountGroups(ctx context.Context, sc rbac.Scope) (int, error) {
	n, err := scopedGroups(s.db.NewSelect().Model((*WorkingGroup)(nil)), sc).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("org: counting working groups: %w", err)
	}
	return int(n), nil
}
