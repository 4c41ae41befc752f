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
	Title string `bun:"-"`
	// Body is the text the snippet is cut from.
	Body    string `bun:"-"`
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
	// The page is chosen on the words table alone (with the scope as
	// semi-joins); titles and texts are read for the page only.
	q := s.db.NewSelect().With("h", store.SearchMatches(s.db, kinds, words)).Model(&hits).
		ColumnExpr("h.kind, h.object_id, h.score")
	q = searchScope(q, sc)
	info, err := store.List(ctx, q, &hits, searchOrder, p)
	if err != nil {
		return nil, info, fmt.Errorf("tasks: search: %w", err)
	}
	if err := s.hitTexts(ctx, hits); err != nil {
		return nil, info, err
	}
	for _, h := range hits {
		h.Snippet = store.Snippet(h.Body, words, SnippetLength)
	}
	return hits, info, nil
}

// hitTexts reads the title and body of each hit, one query per kind.
func (s *Store) hitTexts(ctx context.Context, hits []*Hit) error {
	ids := map[store.SearchKind][]int64{}
	for _, h := range hits {
		ids[h.Kind] = append(ids[h.Kind], h.ObjectID)
	}
	sql := map[store.SearchKind]string{
		store.SearchDocument: "SELECT d.id, d.number || ' ' || d.title AS title, '' AS body FROM documents AS d WHERE d.id IN (?)",
		store.SearchTask:     "SELECT t.id, t.title, t.description AS body FROM tasks AS t WHERE t.id IN (?)",
		store.SearchOrgUnit:  "SELECT u.id, u.name AS title, '' AS body FROM org_units AS u WHERE u.id IN (?)",
		store.SearchReport: "SELECT pr.id, t.title, pr.text AS body FROM progress_reports AS pr" +
			" JOIN assignments AS a ON a.id = pr.assignment_id JOIN tasks AS t ON t.id = a.task_id WHERE pr.id IN (?)",
	}
	texts := map[store.SearchKind]map[int64]store.SearchEntry{}
	for kind, list := range ids {
		var rows []store.SearchEntry
		if err := s.db.NewRaw(sql[kind], bun.In(list)).Scan(ctx, &rows); err != nil {
			return fmt.Errorf("tasks: search texts: %w", err)
		}
		texts[kind] = make(map[int64]store.SearchEntry, len(rows))
		for _, r := range rows {
			texts[kind][r.ID] = r
		}
	}
	for _, h := range hits {
		e := texts[h.Kind][h.ObjectID]
		h.Title, h.Body = e.Title, e.Body
	}
	return nil
}

// searchScope keeps the hits sc may read, exactly as the lists do: tasks
// through their assignments, documents through their visible tasks, units
// by path, reports by their assignment's unit. A caller who reads the whole
// country reads all of them (every unit's path is under the root), so its
// search has no check at all.
func searchScope(q *bun.SelectQuery, sc rbac.Scope) *bun.SelectQuery {
	if sc.ReadsAll() {
		return q
	}
	// Semi-joins on the scope's side (IN, which both databases hash or
	// index once), not a correlated EXISTS per hit: a province's rows are
	// few, a common word's hits many.
	cond, args := sc.ReadFilter("vu.path")
	all := make([]any, 0, 4*len(args))
	for range 4 {
		all = append(all, args...)
	}
	return q.Where("((h.kind = 'DOCUMENT' AND h.object_id IN (SELECT vt.document_id FROM tasks AS vt"+
		" JOIN assignments AS va ON va.task_id = vt.id JOIN org_units AS vu ON vu.id = va.org_unit_id WHERE "+cond+"))"+
		" OR (h.kind = 'TASK' AND h.object_id IN (SELECT va.task_id FROM assignments AS va"+
		" JOIN org_units AS vu ON vu.id = va.org_unit_id WHERE "+cond+"))"+
		" OR (h.kind = 'ORG_UNIT' AND h.object_id IN (SELECT vu.id FROM org_units AS vu WHERE "+cond+"))"+
		" OR (h.kind = 'PROGRESS_REPORT' AND h.object_id IN (SELECT vr.id FROM progress_reports AS vr"+
		" JOIN assignments AS va ON va.id = vr.assignment_id JOIN org_units AS vu ON vu.id = va.org_unit_id WHERE "+cond+")))", all...)
}
