package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// AuditEntry is one row of the append-only audit log.
type AuditEntry struct {
	bun.BaseModel `bun:"table:audit_log,alias:al"`

	ID         int64     `bun:"id,pk,autoincrement"`
	At         time.Time `bun:"at"`
	ActorID    int64     `bun:"actor_id,nullzero"`
	Actor      string    `bun:"actor"` // username, "anonymous" or "system"
	Via        string    `bun:"via"`   // "session:12", "api_token:5", "api_token:5 created_by:3"
	Action     string    `bun:"action"`
	ObjectType string    `bun:"object_type"`
	ObjectID   string    `bun:"object_id"`
	OrgPath    string    `bun:"org_path"`
	Detail     string    `bun:"detail"` // JSON
	ClientIP   string    `bun:"client_ip"`

	SortKey
}

// Audit appends e to the log on db (pass the transaction of the change it
// records, so both commit or neither). detail is stored as JSON.
func Audit(ctx context.Context, db bun.IDB, e *AuditEntry, detail any) error {
	if detail != nil {
		b, err := json.Marshal(detail)
		if err != nil {
			return fmt.Errorf("store: audit detail: %w", err)
		}
		e.Detail = string(b)
	}
	if e.Actor == "" {
		e.Actor = "anonymous"
	}
	if _, err := db.NewInsert().Model(e).Exec(ctx); err != nil {
		return fmt.Errorf("store: writing audit log: %w", err)
	}
	return nil
}
