package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"
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

// complete sets e's detail (detail as JSON) and names an unknown actor.
func (e *AuditEntry) complete(detail any) error {
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
	return nil
}

// Audit appends e to the log on db (pass the transaction of the change it
// records, so both commit or neither). detail is stored as JSON. The new
// row's id is not read back (e.ID stays 0): nothing needs it, and on SQLite
// an INSERT … RETURNING costs several times a plain one.
func Audit(ctx context.Context, db bun.IDB, e *AuditEntry, detail any) error {
	if err := e.complete(detail); err != nil {
		return err
	}
	if _, err := db.NewInsert().Model(e).Returning("NULL").Exec(ctx); err != nil {
		return fmt.Errorf("store: writing audit log: %w", err)
	}
	return nil
}

// AuditFrom is Audit for a change written in one statement (PostgreSQL's
// WITH … UPDATE … RETURNING): the INSERT of e into the log, for a WITH
// clause of that statement, made once for each row of from, the name of a
// query before it in the same WITH (the row the change's versioned UPDATE
// returned), so the row is written exactly when the change is.
func AuditFrom(e *AuditEntry, detail any, from string) (schema.QueryAppender, error) {
	if err := e.complete(detail); err != nil {
		return nil, err
	}
	var actorID any // NULL for nobody, as the model's nullzero writes it
	if e.ActorID != 0 {
		actorID = e.ActorID
	}
	return bun.SafeQuery("INSERT INTO audit_log (at, actor_id, actor, via, action, object_type, object_id, org_path, detail, client_ip)"+
		" SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM ?", e.At, actorID, e.Actor, e.Via, e.Action, e.ObjectType, e.ObjectID,
		e.OrgPath, e.Detail, e.ClientIP, bun.Ident(from)), nil
}

// AuditMany appends entries (with their details, index for index) to the
// log on db in one statement: Audit for a batch.
func AuditMany(ctx context.Context, db bun.IDB, entries []*AuditEntry, details []any) error {
	if len(entries) == 0 {
		return nil
	}
	for i, e := range entries {
		if err := e.complete(details[i]); err != nil {
			return err
		}
	}
	for i := 0; i < len(entries); i += 500 {
		part := entries[i:min(i+500, len(entries))]
		if _, err := db.NewInsert().Model(&part).Returning("NULL").Exec(ctx); err != nil {
			return fmt.Errorf("store: writing audit log: %w", err)
		}
	}
	return nil
}
