package auth

import (
	"crypto/sha256"
	"sync"
	"sync/atomic"
	"time"
)

// identities keeps the sessions and API tokens this process has recently
// looked up, with their users, by the SHA-256 of their secret, so that a
// client sending request after request costs one lookup a second rather
// than one a request. An entry is used for at most ttl after it was read
// (the staleness the policy version already accepts, rbac.Authorizer), and
// what changes with time is judged again on every use: the expiry, against
// the service's clock, and for a token made by someone else whether its
// maker still reaches its owner (the grants in memory). Only credentials
// that were good when read are kept: an unknown, revoked or disabled one is
// looked up each time.
//
// Everything this process does that ends or changes a session, a token or
// a user (logout, revocations, password changes and resets, disabling,
// role changes, a sign-in that replaces a session) drops every entry once
// its transaction is over (drop), so the next request in this process reads
// the database. Another process sharing the database sees such a change
// within ttl. A lookup that began before a drop does not store what it
// read (gen), so a row read just before a change cannot outlive it.
type identities struct {
	ttl time.Duration

	mu  sync.RWMutex
	gen uint64
	m   map[idKey]*idEntry
}

// maxIdentities bounds the entries kept: past it, the stale ones go, and
// if none is stale, all of them.
const maxIdentities = 10_000

// idKey names a credential: a session cookie's or an API token's hash (the
// same secret sent the other way is another credential).
type idKey struct {
	token bool
	hash  [sha256.Size]byte
}

// idEntry is a credential as read from the database, good when read.
type idEntry struct {
	read time.Time // on the process's own clock, for ttl
	user User

	sessionID int64
	csrf      string
	expiresAt time.Time // zero: a token that does not expire

	tokenID   int64
	createdBy int64

	// lastSeen is the stored last_seen_at (sessions) or last_used_at
	// (tokens), in Unix nanoseconds, moved on when this process writes it.
	lastSeen atomic.Int64
}

func newIdentities(ttl time.Duration) *identities {
	return &identities{ttl: ttl, m: map[idKey]*idEntry{}}
}

// lookup returns the fresh entry of k, cached (true), or else the one read
// reads from the database, kept unless something was dropped meanwhile. A
// credential read refuses is returned as read's error and not kept.
func (c *identities) lookup(k idKey, read func() (*idEntry, error)) (*idEntry, bool, error) {
	e, gen := c.get(k)
	if e != nil {
		return e, true, nil
	}
	e, err := read()
	if err != nil {
		return nil, false, err
	}
	e.read = time.Now()
	c.put(k, e, gen)
	return e, false, nil
}

// get returns the fresh entry of k (nil when there is none) and the
// generation to hand to put after a lookup in the database.
func (c *identities) get(k idKey) (*idEntry, uint64) {
	if c.ttl <= 0 {
		return nil, 0
	}
	c.mu.RLock()
	e, gen := c.m[k], c.gen
	c.mu.RUnlock()
	if e != nil && time.Since(e.read) >= c.ttl {
		e = nil
	}
	return e, gen
}

// put keeps e under k, unless something was dropped since gen was read.
func (c *identities) put(k idKey, e *idEntry, gen uint64) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if len(c.m) >= maxIdentities {
		for k, old := range c.m {
			if time.Since(old.read) >= c.ttl {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxIdentities {
			clear(c.m)
		}
	}
	c.m[k] = e
}

// drop forgets every entry, and makes lookups under way not keep theirs.
func (c *identities) drop() {
	c.mu.Lock()
	c.gen++
	clear(c.m)
	c.mu.Unlock()
}
