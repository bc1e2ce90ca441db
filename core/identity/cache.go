package identity

import (
	"sync"
	"time"
)

// credCache maps a credential (session or token hash, with its tenant) to
// the principal it resolved to, for at most cacheTTL and never past the
// credential's own expiry. It is per process; see Authenticate for what
// that means with several instances.
type credCache struct {
	mu sync.RWMutex
	m  map[string]cacheEntry
}

type cacheEntry struct {
	p   Principal
	tag string // kind|tenant|user, for evicting every entry of one account
	exp time.Time
}

const cacheMaxEntries = 50000

func newCredCache() *credCache { return &credCache{m: map[string]cacheEntry{}} }

// get returns a copy of the cached principal for key, or nil.
func (c *credCache) get(key string, now time.Time) *Principal {
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if !ok || !now.Before(e.exp) {
		return nil
	}
	p := e.p
	return &p
}

func (c *credCache) put(key string, p *Principal, tag string, now, expires time.Time) {
	exp := now.Add(cacheTTL)
	if expires.Before(exp) {
		exp = expires
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= cacheMaxEntries {
		for k, e := range c.m {
			if !now.Before(e.exp) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= cacheMaxEntries {
			c.m = map[string]cacheEntry{}
		}
	}
	c.m[key] = cacheEntry{p: *p, tag: tag, exp: exp}
}

func (c *credCache) evict(key string) {
	c.mu.Lock()
	delete(c.m, key)
	c.mu.Unlock()
}

// evictTag drops every entry of one account.
func (c *credCache) evictTag(tag string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.m {
		if e.tag == tag {
			delete(c.m, k)
		}
	}
}
