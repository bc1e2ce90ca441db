package cart

import (
	"context"
	"fmt"

	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/uptrace/bun"
)

// PriceQuery asks for the unit price of Qty units of a SKU whose catalog
// price and list price are PriceFen and ListFen.
type PriceQuery struct {
	SKUID    string
	Qty      int
	PriceFen int64
	ListFen  int64
}

// Price is the unit price that applies to the shopper, with a label
// saying why it differs from the catalog's ("member", "tier", "flash"; ""
// for the catalog price).
type Price struct {
	UnitFen int64
	Label   string
}

// Pricer gives the unit prices that apply to a shopper (userID "" for an
// anonymous visitor), by SKU id. core/promo implements it with member,
// tier and flash prices; a SKU missing from the answer is sold at its
// catalog price. idb is the cart's transaction, read-only when the cart
// is shown (View), so Prices must only read.
type Pricer interface {
	Prices(ctx context.Context, idb bun.IDB, userID string, q []PriceQuery) (map[string]Price, error)
}

// CatalogPrices is the Pricer without promotions: every SKU at its
// catalog price.
type CatalogPrices struct{}

// Prices implements Pricer.
func (CatalogPrices) Prices(_ context.Context, _ bun.IDB, _ string, q []PriceQuery) (map[string]Price, error) {
	out := make(map[string]Price, len(q))
	for _, x := range q {
		out[x.SKUID] = Price{UnitFen: x.PriceFen}
	}
	return out, nil
}

// prices asks the Pricer for the units of qty (by SKU id) of skus and
// checks the answer: a missing SKU gets its catalog price, a price out of
// 0..catalog.MaxPriceFen is an error (it would break the int64 bound).
func (s *Service) prices(ctx context.Context, tx bun.IDB, userID string, skus map[string]*skuInfo, qty map[string]int) (map[string]Price, error) {
	q := make([]PriceQuery, 0, len(qty))
	for id, n := range qty {
		k := skus[id]
		if k == nil {
			continue
		}
		q = append(q, PriceQuery{SKUID: id, Qty: n, PriceFen: k.PriceFen, ListFen: k.ListPriceFen})
	}
	if len(q) == 0 {
		return map[string]Price{}, nil
	}
	got, err := s.Pricer.Prices(ctx, tx, userID, q)
	if err != nil {
		return nil, fmt.Errorf("price cart: %w", err)
	}
	out := make(map[string]Price, len(q))
	for _, x := range q {
		p, ok := got[x.SKUID]
		if !ok {
			p = Price{UnitFen: x.PriceFen}
		}
		if p.UnitFen < 0 || p.UnitFen > catalog.MaxPriceFen {
			return nil, fmt.Errorf("price cart: sku %s priced at %d fen, outside 0..%d", x.SKUID, p.UnitFen, int64(catalog.MaxPriceFen))
		}
		out[x.SKUID] = p
	}
	return out, nil
}

// skuInfo is what the cart reads of a SKU, its product and its shop:
// catalog.Sellable, so that cart and checkout agree on what can be sold.
type skuInfo = catalog.Sellable

// maxQty is the most units a line of SKU k may hold: MaxQty, or the
// purchase limit when it is lower.
func maxQty(k *skuInfo) int {
	if k.PurchaseLimit > 0 && k.PurchaseLimit < MaxQty {
		return k.PurchaseLimit
	}
	return MaxQty
}

// loadSKUs reads SKUs ids of the tenant with their products and shops, by
// id; ids of other tenants are simply absent.
func loadSKUs(ctx context.Context, tx bun.IDB, ids []string) (map[string]*skuInfo, error) {
	out, err := catalog.Sellables(ctx, tx, ids)
	if err != nil {
		return nil, fmt.Errorf("read skus: %w", err)
	}
	return out, nil
}
