package store

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// Global IDs are opaque to clients: base64url of "Type:id". The GraphQL
// API hands them out; the chart and report URLs take them back.

// GlobalID is the global ID of the object typ id.
func GlobalID(typ string, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + strconv.FormatInt(id, 10)))
}

// ParseGlobalID splits a global ID into its type and numeric id; ok is
// false when gid is not one.
func ParseGlobalID(gid string) (typ string, id int64, ok bool) {
	b, err := base64.RawURLEncoding.DecodeString(gid)
	if err != nil {
		return "", 0, false
	}
	typ, num, found := strings.Cut(string(b), ":")
	if !found {
		return "", 0, false
	}
	id, err = strconv.ParseInt(num, 10, 64)
	if err != nil || id <= 0 {
		return "", 0, false
	}
	return typ, id, true
}
