package store

import "github.com/uptrace/bun"

// MaxPage is the largest page a list returns.
const MaxPage = 100

// Page is a window over an ordered list.
type Page struct {
	Limit  int
	Offset int
}

// Clamp returns p with Limit within 1..MaxPage (default def) and Offset ≥ 0.
func (p Page) Clamp(def int) Page {
	if p.Limit <= 0 {
		p.Limit = def
	}
	if p.Limit > MaxPage {
		p.Limit = MaxPage
	}
	if p.Offset < 0 {
		p.Offset = 0
	}
	return p
}

// Apply limits q to the page.
func (p Page) Apply(q *bun.SelectQuery) *bun.SelectQuery {
	return q.Limit(int64(p.Limit)).Offset(int64(p.Offset))
}
