package gen

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"
)

// Loading millions of rows into a table whose indexes and foreign keys are
// kept row by row is slow: each row's entry goes to a random place of every
// secondary B-tree (data_values by unit and by period), and on PostgreSQL
// each row's foreign keys are checked by a trigger of its own. As the
// PostgreSQL manual advises for populating a database, the generator drops
// the secondary indexes (not those of a primary key or UNIQUE constraint,
// which keep their rows unique while loading) and, on PostgreSQL, the
// foreign keys of the tables it fills in bulk, and creates them again after
// the load, inside the same transaction: CREATE INDEX sorts once, and ADD
// CONSTRAINT checks every row in one join. Their definitions are read from
// the catalog, so they come back exactly as the migrations made them.

// deferred is what deferChecks dropped, to be made again by restore.
type deferred struct {
	tables []string
	ddl    []string // statements that make them again, in order
}

// deferChecks drops the secondary indexes (and on PostgreSQL the foreign
// keys) of tables in tx.
func deferChecks(ctx context.Context, tx bun.Tx, pg bool, tables ...string) (*deferred, error) {
	d := &deferred{tables: tables}
	var drop []string
	if pg {
		var fks []struct {
			Table string `bun:"tbl"`
			Name  string `bun:"conname"`
			Def   string `bun:"def"`
		}
		if err := tx.NewRaw(`SELECT c.conrelid::regclass::text AS tbl, c.conname, pg_get_constraintdef(c.oid) AS def
			FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid::regclass::text IN (?) ORDER BY 1, 2`, bun.In(tables)).Scan(ctx, &fks); err != nil {
			return nil, fmt.Errorf("gen: reading foreign keys: %w", err)
		}
		for _, f := range fks {
			drop = append(drop, fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", f.Table, quoteIdent(f.Name)))
			d.ddl = append(d.ddl, fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s %s", f.Table, quoteIdent(f.Name), f.Def))
		}
	}
	var idx []struct {
		Name string `bun:"name"`
		Def  string `bun:"def"`
	}
	q := `SELECT name, sql AS def FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (?) ORDER BY name`
	if pg {
		q = `SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i WHERE i.schemaname = current_schema() AND i.tablename IN (?)
			AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.contype IN ('p', 'u')) ORDER BY 1`
	}
	if err := tx.NewRaw(q, bun.In(tables)).Scan(ctx, &idx); err != nil {
		return nil, fmt.Errorf("gen: reading indexes: %w", err)
	}
	for _, i := range idx {
		drop = append(drop, "DROP INDEX "+quoteIdent(i.Name))
		// indexes first, then the foreign keys (whose check uses the
		// referenced tables' keys, not these)
		d.ddl = append([]string{i.Def}, d.ddl...)
	}
	for _, s := range drop {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return nil, fmt.Errorf("gen: %s: %w", s, err)
		}
	}
	return d, nil
}

// restore makes again what deferChecks dropped.
func (d *deferred) restore(ctx context.Context, tx bun.Tx) error {
	for _, s := range d.ddl {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("gen: %s: %w", s, err)
		}
	}
	return nil
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
