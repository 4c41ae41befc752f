package graph

import (
	"encoding/base64"
	"strconv"

	"p06/graph/model"
	"p06/store"
)

// Cursors are opaque: base64url of the offset of the item in its ordered
// list. Every list has a stable order (see the stores), so a cursor keeps its
// place while the data does not change.

func cursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(offset)))
}

// maxOffset bounds the offset a cursor may carry.
const maxOffset = 1 << 30

// pageOf reads first/after into a page: first must be 1–100.
func pageOf(first *int, after *string) (store.Page, error) {
	p := store.Page{Limit: 50}
	if first != nil {
		if *first < 1 || *first > store.MaxPage {
			return p, &store.Error{Code: store.Invalid, Field: "first",
				Message: "first phải từ 1 đến 100, nhận được " + strconv.Itoa(*first),
				English: "first must be between 1 and 100, got " + strconv.Itoa(*first)}
		}
		p.Limit = *first
	}
	if after != nil && *after != "" {
		b, err := base64.RawURLEncoding.DecodeString(*after)
		n, err2 := strconv.Atoi(string(b[min(2, len(b)):]))
		if err != nil || err2 != nil || len(b) < 2 || string(b[:2]) != "o:" || n < 0 || n > maxOffset {
			return p, &store.Error{Code: store.Invalid, Field: "after",
				Message: "con trỏ after không hợp lệ: " + *after, English: "invalid after cursor: " + *after}
		}
		p.Offset = n + 1
	}
	return p, nil
}

// connection builds the edges and page info of a page of items.
func connection[T any, E any](items []T, total int, p store.Page, edge func(cursor string, node T) E) ([]E, *model.PageInfo) {
	edges := make([]E, len(items))
	for i, it := range items {
		edges[i] = edge(cursor(p.Offset+i), it)
	}
	info := &model.PageInfo{HasNextPage: p.Offset+len(items) < total, HasPreviousPage: p.Offset > 0}
	if len(items) > 0 {
		s, e := cursor(p.Offset), cursor(p.Offset+len(items)-1)
		info.StartCursor, info.EndCursor = &s, &e
	}
	return edges, info
}
