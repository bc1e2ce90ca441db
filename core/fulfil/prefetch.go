package fulfil

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/uptrace/bun"
)

// prefetched is what Prefetch read for the delivery choices of one
// request: the shops, their settings, which shop each SKU belongs to, and
// the pickup points looked up so far.
type prefetched struct {
	shops    map[string]*merchant.Shop
	settings map[string]*Settings
	skuShop  map[string]string

	mu     sync.Mutex
	points map[string]*PickupPoint
}

type prefetchKey struct{}

func prefetchOf(ctx context.Context) *prefetched {
	p, _ := ctx.Value(prefetchKey{}).(*prefetched)
	return p
}

// Prefetch reads, in idb, the shops of reqs, their delivery settings and
// their SKUs at once, and returns ctx carrying them: Options, Check and
// Book for these requests under the returned ctx read none of them again
// (a checkout of three shops then reads its shops once instead of three
// times), and a pickup point chosen for several shops is read once. The
// returned ctx is for the length of one request.
func (s *Service) Prefetch(ctx context.Context, idb bun.IDB, reqs []Request) (context.Context, error) {
	var shopIDs, skuIDs []string
	for _, r := range reqs {
		id := strings.TrimSpace(r.ShopID)
		if !validID(id) {
			return ctx, nil // prepare answers NotFound as usual
		}
		if !slices.Contains(shopIDs, id) {
			shopIDs = append(shopIDs, id)
		}
		for _, k := range r.SKUIDs {
			k = strings.TrimSpace(k)
			if !validID(k) {
				return ctx, nil
			}
			if !slices.Contains(skuIDs, k) {
				skuIDs = append(skuIDs, k)
			}
		}
	}
	if len(shopIDs) == 0 {
		return ctx, nil
	}
	p := &prefetched{shops: map[string]*merchant.Shop{}, skuShop: map[string]string{}, points: map[string]*PickupPoint{}}
	var shops []*merchant.Shop
	if err := db.Select(ctx, idb, &shops).Where("s.id IN (?)", bun.List(shopIDs)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("read shops: %w", err)
	}
	for _, sh := range shops {
		p.shops[sh.ID] = sh
	}
	var err error
	if p.settings, err = loadSettingsOf(ctx, idb, shopIDs); err != nil {
		return nil, err
	}
	if len(skuIDs) > 0 {
		var rows []*skuRow
		if err := db.Select(ctx, idb, &rows).Column("k.id", "k.shop_id").Where("k.id IN (?)", bun.List(skuIDs)).Scan(ctx); err != nil {
			return nil, fmt.Errorf("look up skus: %w", err)
		}
		for _, r := range rows {
			p.skuShop[r.ID] = r.ShopID
		}
	}
	return context.WithValue(ctx, prefetchKey{}, p), nil
}

// shop answers shop id from the prefetch in ctx, else reads it.
func prefetchedShop(ctx context.Context, idb bun.IDB, id string) (*merchant.Shop, error) {
	if p := prefetchOf(ctx); p != nil {
		if sh, ok := p.shops[id]; ok {
			return sh, nil
		}
	}
	return loadShop(ctx, idb, id)
}

// prefetchedSettings answers the settings of shopID from the prefetch in
// ctx, else reads them.
func prefetchedSettings(ctx context.Context, idb bun.IDB, shopID string) (*Settings, error) {
	if p := prefetchOf(ctx); p != nil {
		if st, ok := p.settings[shopID]; ok {
			return st, nil
		}
	}
	return loadSettings(ctx, idb, shopID)
}

// prefetchedSKUs reports whether the prefetch in ctx knows every SKU of
// skus, and if so whether all are shop's.
func prefetchedSKUs(ctx context.Context, shop string, skus []string) (known, ours bool) {
	p := prefetchOf(ctx)
	if p == nil {
		return false, false
	}
	ours = true
	for _, id := range skus {
		owner, ok := p.skuShop[id]
		if !ok {
			return false, false
		}
		ours = ours && owner == shop
	}
	return true, ours
}

// prefetchedPoint answers pickup point id, read once per prefetch.
func prefetchedPoint(ctx context.Context, idb bun.IDB, id string) (*PickupPoint, error) {
	p := prefetchOf(ctx)
	if p == nil {
		return loadPoint(ctx, idb, id)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if pt, ok := p.points[id]; ok {
		return pt, nil
	}
	pt, err := loadPoint(ctx, idb, id)
	if err != nil {
		return nil, err
	}
	p.points[id] = pt
	return pt, nil
}
