// Package model holds the GraphQL-only types: generated inputs, payloads and
// connections, and the Date scalar's marshalling.
package model

import (
	"fmt"
	"io"
	"strconv"

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

// UnmarshalDate reads "YYYY-MM-DD".
func UnmarshalDate(v any) (store.Date, error) {
	s, ok := v.(string)
	if !ok {
		return store.Date{}, fmt.Errorf("ngày phải là chuỗi dạng YYYY-MM-DD, nhận được %v", v)
	}
	return store.ParseDate(s)
}

// Node is any object with a global ID. The domain types stay free of GraphQL
// methods; the id field of each type is resolved in graph/.
type Node interface{}
