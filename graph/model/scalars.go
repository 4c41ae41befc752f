// Package model holds the GraphQL-only types: generated inputs, payloads and
// connections, and the Date and Time scalars' marshalling.
package model

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"p06/store"
)

// MarshalDate writes a store.Date as "YYYY-MM-DD", and the zero Date as null.
func MarshalDate(d store.Date) graphql.Marshaler {
	if d.IsZero() {
		return graphql.Null
	}
	return graphql.WriterFunc(func(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(d.String())) })
}

// UnmarshalDate reads "YYYY-MM-DD": a real calendar date with a four-digit
// year. Anything else is an INVALID *store.Error that shows the value and the
// expected form; the caller (graph/) prefixes the argument it came from.
func UnmarshalDate(v any) (store.Date, error) {
	s, ok := v.(string)
	if ok {
		if d, err := store.ParseDate(s); err == nil && d.Year >= MinYear {
			return d, nil
		}
	}
	shown := Shown(v)
	return store.Date{}, store.Errorf(store.Invalid,
		"%s không phải là ngày hợp lệ: cần một ngày có thật từ năm %d, dạng YYYY-MM-DD, ví dụ 2024-03-31",
		"%s is not a valid date: expected a real date from the year %d on, written YYYY-MM-DD, e.g. 2024-03-31", shown, MinYear)
}

// MinYear is the earliest year a Date or Time input may name.
const MinYear = store.MinYear

// MarshalTime writes an instant in RFC 3339 in Asia/Ho_Chi_Minh (+07:00),
// whatever zone it was read in; the zero time is null.
func MarshalTime(t time.Time) graphql.Marshaler {
	if t.IsZero() {
		return graphql.Null
	}
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.In(store.VN).Format(time.RFC3339Nano)))
	})
}

// UnmarshalTime reads an RFC 3339 instant with any offset ("Z", "+07:00",
// fractional seconds allowed). Anything else is an INVALID *store.Error.
func UnmarshalTime(v any) (time.Time, error) {
	if s, ok := v.(string); ok {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil && t.Year() >= MinYear && t.Year() <= 9999 {
			return t, nil
		}
	}
	return time.Time{}, store.Errorf(store.Invalid,
		"%s không phải là thời điểm hợp lệ: cần dạng RFC 3339 có múi giờ, từ năm %d, ví dụ 2024-03-31T17:00:00+07:00",
		"%s is not a valid time: expected RFC 3339 with a time zone offset, from the year %d on, e.g. 2024-03-31T17:00:00+07:00", Shown(v), MinYear)
}

// Shown is v as an error message quotes it: strings quoted and cut to 40
// characters, other values as JSON.
func Shown(v any) string {
	if s, ok := v.(string); ok {
		if r := []rune(s); len(r) > 40 {
			s = string(r[:40]) + "…"
		}
		return strconv.Quote(s)
	}
	b, err := json.Marshal(v)
	if err != nil || len(b) > 40 {
		return fmt.Sprintf("(%T)", v)
	}
	return string(b)
}

// Node is any object with a global ID. The domain types stay free of GraphQL
// methods; the id field of each type is resolved in graph/.
type Node interface{}
