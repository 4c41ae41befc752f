package graph

import (
	"p06/store"
)

// Global IDs are opaque to clients: base64url of "Type:id". Clients must not
// build them; they get them from the API and pass them back.

// NodeID is the global ID of the object typ id, for links made outside the
// API (the e-mail digest).
func NodeID(typ string, id int64) string { return globalID(typ, id) }

func globalID(typ string, id int64) string { return store.GlobalID(typ, id) }

// parseID splits a global ID into its type and numeric id.
func parseID(gid string) (string, int64, error) {
	if typ, id, ok := store.ParseGlobalID(gid); ok {
		return typ, id, nil
	}
	return "", 0, store.Errorf(store.NotFound, "không tìm thấy đối tượng có ID %q", "no object with ID %q", gid)
}

// idOf parses a global ID that must be of type typ; field names the input.
func idOf(gid, typ, field string) (int64, error) {
	t, id, err := parseID(gid)
	if err == nil && t != typ {
		err = store.Errorf(store.Invalid, "ID %q không phải của %s", "ID %q is not of type %s", gid, typ)
	}
	if err != nil {
		if e, ok := err.(*store.Error); ok {
			e.Field = field
		}
		return 0, err
	}
	return id, nil
}

// Type names in global IDs.
const (
	typeOrgUnit        = "OrgUnit"
	typeWorkingGroup   = "WorkingGroup"
	typeDocument       = "Document"
	typeTask           = "Task"
	typeAssignment     = "Assignment"
	typeUser           = "User"
	typeAPIToken       = "ApiToken"
	typeAuditEntry     = "AuditEntry"
	typeProgressReport = "ProgressReport"
	typeIndicatorGroup = "IndicatorGroup"
	typeIndicator      = "Indicator"
	typeDataValue      = "DataValue"
)
