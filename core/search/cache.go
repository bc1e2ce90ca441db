package search

import (
	"container/list"
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/uptrace/bun"
)

// Kept results. A storefront asks the same few searches over and over (a
// category page, its filters, the popular words), and each costs one
// statement over every product it matches; so a Service keeps what it
// found per tenant and query for up to CacheTTL, with the tenant's
// categories and regions the queries name.
//
// Staleness. Each tenant has a generation, read before a search reads
// the database; a kept result is used only while the generation is the
// one it was found under. Every change to the tenant's index through the
// Service (IndexProduct, IndexShop, Reindex, SetInStock and SetCover when
// they change a row) moves the generation on at once and again when the
// caller's transaction commits (db.AfterCommit), so a search that starts
// after the commit never gets a result found before it, and one that
// read the database in between is not kept past the commit. What is not
// seen this way shows within CacheTTL: changes through another process
// or another Service, writes outside db.RunInTx (where AfterCommit runs
// at once, before the commit), and edits of categories and regions that
// no index change follows (a category or region a query names that the
// kept ones lack is read afresh at once).
//
// Load. Concurrent searches for a query not kept wait for the first one
// rather than each asking the database; a kept result used after
// refreshAfter of its life is found again by the search that used it,
// while the others go on using the kept one, so a popular query does not
// make every searcher wait when it expires. The cache holds at most
// cacheRows rows (hits and facets), dropping the least recently used.

// cacheRows bounds the rows kept (about 300 bytes each).
const cacheRows = 50000

type resultCache struct {
	ttl          time.Duration
	refreshAfter time.Duration

	mu      sync.Mutex
	gens    map[string]uint64 // tenant → generation
	entries map[string]*list.Element
	lru     list.List // of *cacheEntry, most recently used first
	rows    int
	flights map[flightKey]*flight
	dirs    map[string]*dirEntry // tenant → its categories and regions
}

type cacheEntry struct {
	key        string
	gen        uint64
	at         time.Time // when the search that found it started
	found      *found
	refreshing bool
}

type flightKey struct {
	key string
	gen uint64
}

// flight is a search under way that others wait for.
type flight struct {
	done  chan struct{}
	found *found
	err   error
}

type dirEntry struct {
	gen uint64
	at  time.Time
	dir *directory
}

func (s *Service) resultCache() *resultCache {
	s.cacheOnce.Do(func() {
		if s.CacheTTL > 0 {
			s.cache = &resultCache{ttl: s.CacheTTL, refreshAfter: s.CacheTTL * 2 / 3, gens: map[string]uint64{},
				entries: map[string]*list.Element{}, flights: map[flightKey]*flight{}, dirs: map[string]*dirEntry{}}
		}
	})
	return s.cache
}

// changed marks the index of the tenant in ctx changed by the caller's
// transaction: its kept results are stale now and again after the
// commit.
func (s *Service) changed(ctx context.Context) {
	c := s.resultCache()
	if c == nil {
		return
	}
	tenant := db.TenantID(ctx)
	c.bump(tenant)
	db.AfterCommit(ctx, func() { c.bump(tenant) })
}

func (c *resultCache) bump(tenant string) {
	c.mu.Lock()
	c.gens[tenant]++
	delete(c.dirs, tenant)
	c.mu.Unlock()
}

// finder runs a query against the database; dir gives the directory.
type finder func(ctx context.Context, q Query, dir func(ctx context.Context, tx bun.IDB) (*directory, error)) (*found, error)

// search answers checked query q of the tenant in ctx from the cache or
// through find.
func (c *resultCache) search(ctx context.Context, q Query, find finder) (*found, error) {
	tenant := db.TenantID(ctx)
	key := tenant + "\x00" + q.key()
	now := time.Now()
	c.mu.Lock()
	gen := c.gens[tenant]
	if el, ok := c.entries[key]; ok {
		e := el.Value.(*cacheEntry)
		if age := now.Sub(e.at); e.gen == gen && age < c.ttl {
			c.lru.MoveToFront(el)
			if e.refreshing || age < c.refreshAfter {
				c.mu.Unlock()
				return e.found, nil
			}
			e.refreshing = true
			c.mu.Unlock()
			f, err := c.fill(ctx, q, key, tenant, gen, now, find)
			if err != nil { // the kept result is still good
				c.mu.Lock()
				e.refreshing = false
				c.mu.Unlock()
				return e.found, nil
			}
			return f, nil
		}
		c.remove(el)
	}
	fk := flightKey{key, gen}
	if fl, ok := c.flights[fk]; ok {
		c.mu.Unlock()
		select {
		case <-fl.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if fl.err == nil {
			return fl.found, nil
		}
		// The first searcher failed (its request may have gone): try.
		return c.fill(ctx, q, key, tenant, gen, now, find)
	}
	fl := &flight{done: make(chan struct{})}
	c.flights[fk] = fl
	c.mu.Unlock()
	fl.found, fl.err = c.fill(ctx, q, key, tenant, gen, now, find)
	c.mu.Lock()
	delete(c.flights, fk)
	c.mu.Unlock()
	close(fl.done)
	return fl.found, fl.err
}

// fill runs q and keeps the result under key when the tenant's
// generation is still gen (read at start, before the search).
func (c *resultCache) fill(ctx context.Context, q Query, key, tenant string, gen uint64, start time.Time, find finder) (*found, error) {
	f, err := find(ctx, q, func(ctx context.Context, tx bun.IDB) (*directory, error) {
		return c.directory(ctx, tx, q, tenant, gen)
	})
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gens[tenant] != gen {
		return f, nil
	}
	if el, ok := c.entries[key]; ok {
		c.remove(el)
	}
	e := &cacheEntry{key: key, gen: gen, at: start, found: f}
	c.entries[key] = c.lru.PushFront(e)
	c.rows += f.cost()
	for c.rows > cacheRows && c.lru.Len() > 1 {
		c.remove(c.lru.Back())
	}
	return f, nil
}

// remove drops el; c.mu is held.
func (c *resultCache) remove(el *list.Element) {
	e := el.Value.(*cacheEntry)
	c.lru.Remove(el)
	delete(c.entries, e.key)
	c.rows -= e.found.cost()
}

// directory returns the tenant's categories and regions, kept under the
// same rules as results, read in tx when not kept or when q names one
// that the kept ones lack.
func (c *resultCache) directory(ctx context.Context, tx bun.IDB, q Query, tenant string, gen uint64) (*directory, error) {
	start := time.Now()
	c.mu.Lock()
	de := c.dirs[tenant]
	c.mu.Unlock()
	if de != nil && de.gen == gen && start.Sub(de.at) < c.ttl && de.dir.knows(q) {
		return de.dir, nil
	}
	d, err := loadDirectory(ctx, tx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gens[tenant] == gen {
		c.dirs[tenant] = &dirEntry{gen: gen, at: start, dir: d}
	}
	c.mu.Unlock()
	return d, nil
}

// key is checked query q as a cache key.
func (q Query) key() string {
	var b strings.Builder
	price := func(p *int64) {
		if p != nil {
			b.WriteString(strconv.FormatInt(*p, 10))
		}
		b.WriteByte(0)
	}
	for _, s := range []string{q.Text, q.CategoryID, q.ShopID, q.RegionID, q.Sort} {
		b.WriteString(s)
		b.WriteByte(0)
	}
	price(q.PriceMin)
	price(q.PriceMax)
	b.WriteString(strconv.FormatBool(q.InStock))
	b.WriteByte(0)
	b.WriteString(strconv.Itoa(q.Limit))
	b.WriteByte(0)
	b.WriteString(strconv.Itoa(q.Offset))
	return b.String()
}
