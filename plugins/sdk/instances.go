package sdk

import (
	"container/list"
	"fmt"
	"sync"
)

// Instances caches what a plugin builds from one tenant's config — a client,
// a parsed rule set — for the tenant, region and shop it was resolved for,
// and builds it again when the config version changes. It keeps at most the
// size given to NewInstances, dropping the least recently used. Safe for
// concurrent use; concurrent Gets for the same scope build once.
type Instances[T any] struct {
	factory func(t *Tenant) (T, error)
	max     int

	mu      sync.Mutex
	entries map[scope]*list.Element // of *instance[T]
	lru     *list.List              // front: most recently used
}

// scope is what a config is resolved for: settings may differ per region
// and shop.
type scope struct{ tenant, region, shop string }

type instance[T any] struct {
	scope   scope
	version int64
	ready   chan struct{} // closed once val and err are set
	val     T
	err     error
}

// NewInstances returns a cache that builds instances with factory and keeps
// at most size of them (at least 1).
func NewInstances[T any](size int, factory func(t *Tenant) (T, error)) *Instances[T] {
	return &Instances[T]{factory: factory, max: max(1, size), entries: map[scope]*list.Element{}, lru: list.New()}
}

// Get returns the instance for t's tenant, region and shop, building it when
// there is none or when it was built from another config version. A factory
// error is returned and not cached: the next Get builds again. Instances that
// are replaced or evicted are dropped, not closed: one may still be in use.
func (c *Instances[T]) Get(t *Tenant) (T, error) {
	k := scope{t.ID, t.RegionID, t.ShopID}
	c.mu.Lock()
	if el, ok := c.entries[k]; ok {
		in := el.Value.(*instance[T])
		if in.version == t.ConfigVersion {
			c.lru.MoveToFront(el)
			c.mu.Unlock()
			<-in.ready
			return in.val, in.err
		}
		c.lru.Remove(el)
		delete(c.entries, k)
	}
	in := &instance[T]{scope: k, version: t.ConfigVersion, ready: make(chan struct{})}
	c.entries[k] = c.lru.PushFront(in)
	for c.lru.Len() > c.max {
		oldest := c.lru.Back()
		c.lru.Remove(oldest)
		delete(c.entries, oldest.Value.(*instance[T]).scope)
	}
	c.mu.Unlock()

	in.val, in.err = c.build(t)
	close(in.ready)
	if in.err != nil {
		c.mu.Lock()
		if el, ok := c.entries[k]; ok && el.Value.(*instance[T]) == in {
			c.lru.Remove(el)
			delete(c.entries, k)
		}
		c.mu.Unlock()
	}
	return in.val, in.err
}

// build runs the factory, turning a panic into an error so waiting Gets are
// released.
func (c *Instances[T]) build(t *Tenant) (val T, err error) {
	defer func() {
		if r := recover(); r != nil {
			var zero T
			val, err = zero, &buildPanic{r}
		}
	}()
	return c.factory(t)
}

// Len returns how many instances the cache holds.
func (c *Instances[T]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

type buildPanic struct{ v any }

func (p *buildPanic) Error() string { return "instance factory panicked: " + fmt.Sprint(p.v) }
