package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// Search is one mechanism for every text search (the global search and the
// search filters of the lists), the same on SQLite and PostgreSQL: a table
// of words, search_words (word, kind, object_id, weight), that the writers
// of searchable objects keep with IndexSearch. A word is a run of letters
// and digits of the folded text (Fold: lower case, no diacritics, đ → d),
// so "Phiếu lý lịch tư pháp" is indexed as phieu, ly, lich, tu, phap, and
// "21/CT-TTg" as 21, ct, ttg. A query is folded and split the same way;
// an object matches when every query word is a word of its text or the
// start of one ("lich" and "li" both match "lịch"), which the primary key
// (word first, byte order: COLLATE "C" on PostgreSQL) answers with one
// range scan per query word: word >= w AND word < w || U+10FFFF.

// SearchKind is the kind of a searchable object in search_words.
type SearchKind string

const (
	SearchDocument SearchKind = "DOCUMENT"
	SearchTask     SearchKind = "TASK"
	SearchOrgUnit  SearchKind = "ORG_UNIT"
	SearchReport   SearchKind = "PROGRESS_REPORT"
	SearchUser     SearchKind = "USER"
	SearchGroup    SearchKind = "WORKING_GROUP"
	// SearchIndicator is an indicator (code, Vietnamese and English names):
	// its list's search filter only, not the global search.
	SearchIndicator SearchKind = "INDICATOR"
)

const (
	// SearchMaxWords is the most words a query may have.
	SearchMaxWords = 8
	// searchWordRunes is the longest word indexed or searched: longer
	// words (addresses, hashes) are cut, and still match by their start.
	searchWordRunes = 64
	// WeightTitle is the weight of a word of an object's title (its name);
	// a word only in its body (description, report text) weighs 0. A whole
	// word adds 1, so a title match always ranks above body matches.
	WeightTitle = 16
)

// searchWord is a row of search_words.
type searchWord struct {
	bun.BaseModel `bun:"table:search_words,alias:sw"`

	Word     string     `bun:"word,pk"`
	Kind     SearchKind `bun:"kind,pk"`
	ObjectID int64      `bun:"object_id,pk"`
	Weight   int        `bun:"weight"`
}

// SearchWords returns the distinct words of text, folded, in order.
func SearchWords(text string) []string {
	f := strings.FieldsFunc(Fold(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	seen := make(map[string]bool, len(f))
	out := f[:0]
	for _, w := range f {
		if utf8.RuneCountInString(w) > searchWordRunes {
			w = string([]rune(w)[:searchWordRunes])
		}
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

// SearchTerms reads a query into its words. A query with more than
// SearchMaxWords words is INVALID (field is the argument's name); one
// with none (only spaces or punctuation such as %, _ or \) has no words
// and matches nothing.
func SearchTerms(query, field string) ([]string, error) {
	ws := SearchWords(query)
	if len(ws) > SearchMaxWords {
		return nil, &Error{Code: Invalid, Field: field,
			Message: fmt.Sprintf("chuỗi tìm kiếm có tối đa %d từ, nhận được %d", SearchMaxWords, len(ws)),
			English: fmt.Sprintf("a search has at most %d words, got %d", SearchMaxWords, len(ws))}
	}
	return ws, nil
}

// IndexSearch replaces the words of one object: those of title with
// WeightTitle, those only in body with 0. Call it in the transaction that
// writes the object.
func IndexSearch(ctx context.Context, db bun.IDB, kind SearchKind, id int64, title, body string) error {
	if _, err := db.NewDelete().Model((*searchWord)(nil)).Where("kind = ? AND object_id = ?", kind, id).Exec(ctx); err != nil {
		return fmt.Errorf("store: clearing search words of %s %d: %w", kind, id, err)
	}
	rows := searchRows(kind, id, title, body)
	if len(rows) == 0 {
		return nil
	}
	if _, err := db.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return fmt.Errorf("store: indexing %s %d: %w", kind, id, err)
	}
	return nil
}

func searchRows(kind SearchKind, id int64, title, body string) []searchWord {
	var rows []searchWord
	EachSearchWord(title, body, func(w string, weight int) {
		rows = append(rows, searchWord{Word: w, Kind: kind, ObjectID: id, Weight: weight})
	})
	return rows
}

// EachSearchWord calls fn with each row of search_words an object with
// title and body has: every distinct word of title with WeightTitle, then
// every word only in body with 0. IndexSearch writes these rows; a bulk
// loader that writes search_words itself (package gen) takes them from
// here, so the rule is one.
func EachSearchWord(title, body string, fn func(word string, weight int)) {
	tw := SearchWords(title)
	inTitle := make(map[string]bool, len(tw))
	for _, w := range tw {
		inTitle[w] = true
		fn(w, WeightTitle)
	}
	for _, w := range SearchWords(body) {
		if !inTitle[w] {
			fn(w, 0)
		}
	}
}

// wordsEnd follows every text that starts with a word: U+10FFFF is the
// largest code point and its UTF-8 form the largest sequence, so in byte
// order w ≤ x < w+wordsEnd exactly when x starts with w.
const wordsEnd = "\U0010FFFF"

// SearchMatches returns the query selecting (kind, object_id, score) of
// the objects of the given kinds whose text has every word of words (as a
// word or the start of one). score is the sum, over the query's words, of
// the best match of each: WeightTitle for a title word, plus 1 for a whole
// word. words must be non-empty (see SearchTerms).
func SearchMatches(db bun.IDB, kinds []SearchKind, words []string) *bun.SelectQuery {
	inner := db.NewSelect().TableExpr("search_words AS sw").ColumnExpr("sw.kind, sw.object_id")
	ranges := make([]string, len(words))
	var rangeArgs []any
	score := make([]string, len(words))
	for i, w := range words {
		s := "s" + strconv.Itoa(i)
		inner = inner.ColumnExpr("MAX(CASE WHEN sw.word >= ? AND sw.word < ? THEN sw.weight + CASE WHEN sw.word = ? THEN 1 ELSE 0 END END) AS "+s,
			w, w+wordsEnd, w)
		ranges[i] = "(sw.word >= ? AND sw.word < ?)"
		rangeArgs = append(rangeArgs, w, w+wordsEnd)
		score[i] = "sm." + s
	}
	if len(words) == 0 {
		ranges, score = []string{"1 = 0"}, []string{"0"}
	}
	inner = inner.Where("sw.kind IN (?)", bun.In(kinds)).Where("("+strings.Join(ranges, " OR ")+")", rangeArgs...).
		GroupExpr("sw.kind, sw.object_id")
	outer := db.NewSelect().TableExpr("(?) AS sm", inner).ColumnExpr("sm.kind, sm.object_id").
		ColumnExpr("(" + strings.Join(score, " + ") + ") AS score")
	for _, s := range score[:len(words)] {
		outer = outer.Where(s + " IS NOT NULL")
	}
	return outer
}

// CheckSearch is the INVALID error of a search filter with too many words
// (see SearchTerms), or nil.
func CheckSearch(query, field string) error {
	_, err := SearchTerms(query, field)
	return err
}

// SearchFilter restricts q to the objects of kind whose id (the SQL
// expression idCol) match query, for the search filters of the lists. A
// blank query does not filter; one without words matches nothing. Check
// the query with CheckSearch first: words past SearchMaxWords are ignored.
func SearchFilter(q *bun.SelectQuery, db bun.IDB, kind SearchKind, idCol, query string) *bun.SelectQuery {
	if strings.TrimSpace(query) == "" {
		return q
	}
	ws := SearchWords(query)
	if len(ws) == 0 {
		return q.Where("1 = 0")
	}
	ws = ws[:min(len(ws), SearchMaxWords)]
	return q.Where(idCol+" IN (SELECT sf.object_id FROM (?) AS sf)", SearchMatches(db, []SearchKind{kind}, ws))
}

// Snippet returns at most max characters of text around the first place
// where a word of it starts with one of the folded words, or its start
// when none does, with "…" where it was cut.
func Snippet(text string, words []string, max int) string {
	rs := []rune(text)
	if len(rs) <= max {
		return text
	}
	// Fold rune by rune, keeping where each folded rune came from.
	var folded []rune
	var from []int
	for i, r := range rs {
		f := []rune(Fold(string(r)))
		if len(f) == 0 {
			f = []rune{' '}
		}
		for _, x := range f {
			folded = append(folded, x)
			from = append(from, i)
		}
	}
	at := -1
	for i := range folded {
		if i > 0 && (unicode.IsLetter(folded[i-1]) || unicode.IsDigit(folded[i-1])) {
			continue
		}
		for _, w := range words {
			if strings.HasPrefix(string(folded[i:min(len(folded), i+len(w))]), w) {
				at = from[i]
				break
			}
		}
		if at >= 0 {
			break
		}
	}
	start := 0
	if at > max/4 {
		start = at - max/4
		// Start at a word.
		for j := start; j < at; j++ {
			if unicode.IsSpace(rs[j]) {
				start = j + 1
				break
			}
		}
	}
	end := min(len(rs), start+max)
	out := strings.TrimSpace(string(rs[start:end]))
	if start > 0 {
		out = "…" + out
	}
	if end < len(rs) {
		out += "…"
	}
	return out
}

// SearchEntry is one object's text for IndexSearchBatch.
type SearchEntry struct {
	ID    int64  `bun:"id"`
	Title string `bun:"title"`
	Body  string `bun:"body"`
}

// IndexSearchBatch adds the words of many new objects of one kind, a
// thousand rows a statement (the backfill, bulk loads).
func IndexSearchBatch(ctx context.Context, db bun.IDB, kind SearchKind, entries []SearchEntry) error {
	var words []searchWord
	flush := func() error {
		if len(words) == 0 {
			return nil
		}
		if _, err := db.NewInsert().Model(&words).Exec(ctx); err != nil {
			return fmt.Errorf("store: indexing %s: %w", kind, err)
		}
		words = words[:0]
		return nil
	}
	for _, e := range entries {
		words = append(words, searchRows(kind, e.ID, e.Title, e.Body)...)
		if len(words) >= 1000 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// BackfillSearch indexes every searchable object of the tables that exist
// before search_words: documents (number and title), tasks (title;
// description), org units (name and code), progress reports (text),
// users (display name and username) and working groups (name), as their
// writers do. The migration
// that made the table runs it once.
func BackfillSearch(ctx context.Context, db bun.IDB) error {
	for _, s := range []struct {
		kind SearchKind
		sql  string
	}{
		{SearchDocument, "SELECT id, number || ' ' || title AS title, '' AS body FROM documents"},
		{SearchTask, "SELECT id, title, description AS body FROM tasks"},
		{SearchOrgUnit, "SELECT id, name || ' ' || code AS title, '' AS body FROM org_units"},
		{SearchReport, "SELECT id, '' AS title, text AS body FROM progress_reports"},
		{SearchUser, "SELECT id, display_name || ' ' || username AS title, '' AS body FROM users"},
		{SearchGroup, "SELECT id, name AS title, '' AS body FROM working_groups"},
	} {
		var rows []SearchEntry
		if err := db.NewRaw(s.sql).Scan(ctx, &rows); err != nil {
			return fmt.Errorf("store: reading %s for the search index: %w", s.kind, err)
		}
		if err := IndexSearchBatch(ctx, db, s.kind, rows); err != nil {
			return err
		}
	}
	return nil
}
