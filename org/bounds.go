package org

import (
	"context"
	"fmt"
)

// Bounds are the sizes of the tree's lists, for pricing queries: how many
// units there are (a task may be assigned to each at most once), and the
// most children, working groups and members any one unit or group has;
// and how many units there are of each kind (what a table by level lists).
type Bounds struct {
	Units, Children, Groups, Members int
	Kinds                            map[Kind]int
}

// Bounds measures the whole tree, whatever any caller's scope: the figures
// price queries and are never shown.
func (s *Store) Bounds(ctx context.Context) (Bounds, error) {
	var b Bounds
	err := s.db.NewRaw(`SELECT
		(SELECT COUNT(*) FROM org_units),
		(SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM org_units WHERE parent_id IS NOT NULL GROUP BY parent_id) c),
		(SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM working_groups GROUP BY org_unit_id) g),
		(SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM working_group_members GROUP BY working_group_id) m)`).
		Scan(ctx, &b.Units, &b.Children, &b.Groups, &b.Members)
	if err != nil {
		return Bounds{}, fmt.Errorf("org: measuring the tree: %w", err)
	}
	var kinds []struct {
		Kind Kind `bun:"kind"`
		N    int  `bun:"n"`
	}
	if err := s.db.NewRaw("SELECT kind, COUNT(*) AS n FROM org_units GROUP BY kind").Scan(ctx, &kinds); err != nil {
		return Bounds{}, fmt.Errorf("org: measuring the tree: %w", err)
	}
	b.Kinds = map[Kind]int{}
	for _, k := range kinds {
		b.Kinds[k.Kind] = k.N
	}
	return b, nil
}
