package checkout

import (
	"context"
	"sync"
	"time"
)

// SoldOutTTL is how long a count of a SKU's units is trusted to turn an
// attempt away without asking the database: a SKU restocked (or a
// cancelled order's units returned) sells again within this time.
const SoldOutTTL = time.Second

// maxGates bounds the SKUs the gate remembers; beyond it, those unused
// for a minute are forgotten.
const maxGates = 10000

// gate admits "buy now" checkouts per instance by the units a SKU has
// left (of a tenant, for a region), so that when thousands of shoppers
// want the last few hundred units of a flash sale only about as many
// attempts as there are units reach the database; the others are
// answered at once. The database stays the judge — conditional updates
// on the lots decide who gets a unit — so an instance that admits too
// many only does useless work, and one that admits too few corrects
// itself at the next count.
//
// Each SKU's count is read from the database when first needed, and again
// when an attempt finds too few units left and the last count is older
// than SoldOutTTL; units held by admitted attempts still in flight are
// not counted as left.
type gate struct {
	mu sync.Mutex
	m  map[string]*skuGate
	// read answers the sellable units of skus in region; an error admits.
	read func(ctx context.Context, region string, skus []string) (map[string]int, error)
	now  func() time.Time
}

type skuGate struct {
	left, inflight int
	readAt, used   time.Time
	reading        chan struct{} // while a count is under way
}

// ticket is what admit took; its holder gives it back with done.
type ticket struct {
	g     *gate
	taken map[*skuGate]int
}

// done gives the units of t back; sold says they were sold (they stay
// gone from the count) rather than returned.
func (t *ticket) done(sold bool) {
	if t == nil {
		return
	}
	t.g.mu.Lock()
	defer t.g.mu.Unlock()
	for sg, n := range t.taken {
		sg.inflight -= n
		if !sold {
			sg.left += n
		}
	}
}

func gateKey(tenant, region, sku string) string { return tenant + "|" + region + "|" + sku }

// admit takes qty[sku] units of each SKU from the counts. It answers the
// ticket, or the SKU that has too few units left (nothing taken then).
func (g *gate) admit(ctx context.Context, tenant, region string, qty map[string]int, order []string) (*ticket, string) {
	t := &ticket{g: g, taken: map[*skuGate]int{}}
	for _, sku := range order {
		if !g.take(ctx, t, tenant, region, sku, qty[sku]) {
			t.done(false)
			return nil, sku
		}
	}
	return t, ""
}

func (g *gate) take(ctx context.Context, t *ticket, tenant, region, sku string, n int) bool {
	key := gateKey(tenant, region, sku)
	for {
		now := g.now()
		g.mu.Lock()
		if g.m == nil {
			g.m = map[string]*skuGate{}
		}
		sg := g.m[key]
		if sg == nil {
			g.forget(now)
			sg = &skuGate{}
			g.m[key] = sg
		}
		sg.used = now
		if sg.left >= n && !sg.readAt.IsZero() {
			sg.left -= n
			sg.inflight += n
			t.taken[sg] += n
			g.mu.Unlock()
			return true
		}
		if !sg.readAt.IsZero() && now.Sub(sg.readAt) < SoldOutTTL {
			g.mu.Unlock()
			return false
		}
		if wait := sg.reading; wait != nil {
			g.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return true // the checkout will notice its context
			}
		}
		done := make(chan struct{})
		sg.reading = done
		g.mu.Unlock()
		avail, err := g.read(ctx, region, []string{sku})
		g.mu.Lock()
		sg.reading = nil
		close(done)
		if err != nil {
			g.mu.Unlock()
			return true // let the database answer
		}
		sg.left, sg.readAt = avail[sku]-sg.inflight, g.now()
		g.mu.Unlock()
	}
}

// soldOut records that sku was found without a unit to sell now (by a
// checkout that read the database): attempts are turned away until the
// count is SoldOutTTL old.
func (g *gate) soldOut(tenant, region, sku string) {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m == nil {
		g.m = map[string]*skuGate{}
	}
	sg := g.m[gateKey(tenant, region, sku)]
	if sg == nil {
		g.forget(now)
		sg = &skuGate{}
		g.m[gateKey(tenant, region, sku)] = sg
	}
	// Attempts in flight give their units back as they fail: none is left.
	sg.left, sg.readAt, sg.used = -sg.inflight, now, now
}

// forget drops, when the gate is full, the SKUs unused for a minute with
// nothing in flight. g.mu is held.
func (g *gate) forget(now time.Time) {
	if len(g.m) < maxGates {
		return
	}
	for k, sg := range g.m {
		if sg.inflight == 0 && sg.reading == nil && now.Sub(sg.used) > time.Minute {
			delete(g.m, k)
		}
	}
}
