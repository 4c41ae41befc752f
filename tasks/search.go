package tasks

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"p06/rbac"
	"p06/store"
)

// SearchKinds are the kinds of object the global search finds, in the order
// that breaks ties between equal ranks.
var SearchKinds = []store.SearchKind{store.SearchDocument, store.SearchTask, store.SearchOrgUnit, store.SearchReport}

// SnippetLength is the most characters of a hit's snippet.
const SnippetLength = 160

// Hit is one object found by Search.
type Hit struct {
	bun.BaseModel `bun:"table:h,alias:h"`

	Kind     store.SearchKind `bun:"kind"`
	ObjectID int64            `bun:"object_id"`
	// Rank orders hits, highest first: for each query word, 16 when it is
	// in the title (name) and 0 when only in the body, plus 1 for a whole
	// word rather than the start of one.
	Rank  int    `bun:"score"`
	Title string `bun:"title"`
	// Body is the text the snippet is cut from.
	Body    string `bun:"body"`
	Snippet string `bun:"-"`
	store.SortKey
}

// searchOrder: rank descending (as -rank ascending), then kind, then id.
var searchOrder = store.Order{Name: "search", Selected: true, Keys: []store.Key{
	{Expr: "-h.score"},
	{Expr: "CASE h.kind WHEN 'DOCUMENT' THEN 1 WHEN 'TASK' THEN 2 WHEN 'ORG_UNIT' THEN 3 ELSE 4 END"},
	{Expr: "h.object_id"}}}

// ErrBlankSearch is the INVALID error of a search without text.
var ErrBlankSearch = &store.Error{Code: store.Invalid, Field: "query",
	Message: "chuỗi tìm kiếm (query) không được để trống", English: "the search query must not be blank"}

// Search finds the documents, tasks, org units and progress reports of the
// given kinds (all when none) that sc may read and whose text has every
// word of query, as a word or the start of one, ignoring case, diacritics
// and Unicode form; best first (see Hit.Rank), then by kind and id. A
// blank query is INVALID; one with no letters or digits finds nothing.
func (s *Store) Search(ctx context.Context, sc rbac.Scope, query string, kinds []store.SearchKind, p store.Page) ([]*Hit, store.PageInfo, error) {
	if strings.TrimSpace(query) == "" {
		return nil, store.PageInfo{}, ErrBlankSearch
	}
	words, err := store.SearchTerms(query, "query")
	if err != nil {
		return nil, store.PageInfo{}, err
	}
	if len(kinds) == 0 {
		kinds = SearchKinds
	}
	var hits []*Hit
	q := s.db.NewSelect().With("h", store.SearchMatches(s.db, kinds, words)).Model(&hits).
		ColumnExpr("h.kind, h.object_id, h.score").
		ColumnExpr("COALESCE(d.number || ' ' || d.title, t.title, u.name, pt.title, '') AS title").
		ColumnExpr("COALESCE(t.description, pr.text, '') AS body").
		Join("LEFT JOIN documents AS d ON h.kind = 'DOCUMENT' AND d.id = h.object_id").
		Join("LEFT JOIN tasks AS t ON h.kind = 'TASK' AND t.id = h.object_id").
		Join("LEFT JOIN org_units AS u ON h.kind = 'ORG_UNIT' AND u.id = h.object_id").
		Join("LEFT JOIN progress_reports AS pr ON h.kind = 'PROGRESS_REPORT' AND pr.id = h.object_id").
		Join("LEFT JOIN assignments AS pa ON pa.id = pr.assignment_id").
		Join("LEFT JOIN tasks AS pt ON pt.id = pa.task_id").
		Join("LEFT JOIN org_units AS pu ON pu.id = pa.org_unit_id")
	q = searchScope(q, sc)
	info, err := store.List(ctx, q, &hits, searchOrder, p)
	if err != nil {
		return nil, info, fmt.Errorf("tasks: search: %w", err)
	}
	for _, h := range hits {
		h.Snippet = store.Snippet(h.Body, words, SnippetLength)
	}
	return hits, info, nil
}

// searchScope keeps the hits sc may read, exactly as the lists do: tasks
// through their assignments, documents through their visible tasks (both
// all of them for a caller who reads the whole country), units by path,
// reports by their assignment's unit.
func searchScope(q *bun.SelectQuery, sc rbac.Scope) *bun.SelectQuery {
	ucond, uargs := sc.ReadFilter("u.path")
	rcond, rargs := sc.ReadFilter("pu.path")
	if sc.ReadsAll() {
		return q.Where("(h.kind IN ('DOCUMENT', 'TASK') OR (h.kind = 'ORG_UNIT' AND "+ucond+") OR (h.kind = 'PROGRESS_REPORT' AND "+rcond+"))",
			append(uargs, rargs...)...)
	}
	vcond, vargs := sc.ReadFilter("vu.path")
	args := append(append(append(append([]any{}, vargs...), vargs...), uargs...), rargs...)
	return q.Where("((h.kind = 'DOCUMENT' AND EXISTS (SELECT 1 FROM tasks AS vt JOIN assignments AS va ON va.task_id = vt.id"+
		" JOIN org_units AS vu ON vu.id = va.org_unit_id WHERE vt.document_id = h.object_id AND "+vcond+"))"+
		" OR (h.kind = 'TASK' AND EXISTS (SELECT 1 FROM assignments AS va JOIN org_units AS vu ON vu.id = va.org_unit_id"+
		" WHERE va.task_id = h.object_id AND "+vcond+"))"+
		" OR (h.kind = 'ORG_UNIT' AND "+ucond+")"+
		" OR (h.kind = 'PROGRESS_REPORT' AND "+rcond+"))", args...)
}
