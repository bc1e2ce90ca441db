package groupbuy

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jishi-dev/jishi/plugins/sdk"
)

// hotTTL is how long a shop's summary serves AdjustCart for carts without
// group-buy lines. A campaign changed or a coupon issued by this process
// shows at once; by another server instance's process, within hotTTL.
const hotTTL = 3 * time.Second

// shopSummary is what a cart without group-buy lines can hit in a shop:
// the SKUs that live campaigns sell in groups only, and the shoppers who
// hold an unused rebate coupon there.
type shopSummary struct {
	at       time.Time
	soloOnly map[string]bool
	holders  map[string]bool
}

// hotCache keeps a summary per tenant and shop.
type hotCache struct {
	mu sync.Mutex
	m  map[string]*shopSummary
}

func hotKey(tenantID, shopID string) string { return tenantID + "/" + shopID }

// forget drops the summary of a shop (its campaigns or coupons changed).
func (h *hotCache) forget(tenantID, shopID string) {
	h.mu.Lock()
	delete(h.m, hotKey(tenantID, shopID))
	h.mu.Unlock()
}

// summary returns the shop's summary, read again when older than hotTTL.
func (p *Plugin) summary(ctx context.Context, t *sdk.Tenant, now time.Time) (*shopSummary, error) {
	key := hotKey(t.ID, t.ShopID)
	p.hot.mu.Lock()
	s := p.hot.m[key]
	p.hot.mu.Unlock()
	if s != nil && p.clock().Sub(s.at) < hotTTL {
		return s, nil
	}
	s = &shopSummary{at: p.clock(), soloOnly: map[string]bool{}, holders: map[string]bool{}}
	var rows []struct {
		Kind string `bun:"kind"`
		ID   string `bun:"id"`
	}
	err := p.st.DB.NewRaw("SELECT 'sku' AS kind, sku_id AS id FROM groupbuy_campaigns"+
		" WHERE tenant_id = ? AND shop_id = ? AND status = ? AND solo_allowed = ? AND starts_at <= ? AND ends_at > ?"+
		" UNION SELECT 'holder' AS kind, customer_id AS id FROM groupbuy_coupons"+
		" WHERE tenant_id = ? AND shop_id = ? AND used_order_id = '' AND pending_order_id = ''",
		t.ID, t.ShopID, CampaignActive, false, now.Add(hotTTL), now, t.ID, t.ShopID).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("adjust cart: shop summary: %w", err)
	}
	for _, r := range rows {
		if r.Kind == "sku" {
			s.soloOnly[r.ID] = true
		} else {
			s.holders[r.ID] = true
		}
	}
	p.hot.mu.Lock()
	if p.hot.m == nil || len(p.hot.m) > 100_000 {
		p.hot.m = map[string]*shopSummary{}
	}
	p.hot.m[key] = s
	p.hot.mu.Unlock()
	return s, nil
}
