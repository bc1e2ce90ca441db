package catalog

import (
	"context"
	"time"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/uptrace/bun"
)

// Sellable is a SKU as the cart and checkout see it: its price, its
// product's name, category and cover, and whether it can be bought now (an
// active SKU of an active product of an active shop).
type Sellable struct {
	SKUID         string    `bun:"sku_id"`
	Code          string    `bun:"code"`
	Spec          string    `bun:"spec"`
	PriceFen      int64     `bun:"price_fen"`
	ListPriceFen  int64     `bun:"list_price_fen"`
	WeightG       int       `bun:"weight_g"`
	PurchaseLimit int       `bun:"purchase_limit"`
	SKUStatus     string    `bun:"sku_status"`
	ProductID     string    `bun:"product_id"`
	ProductName   string    `bun:"product_name"`
	ProductStatus string    `bun:"product_status"`
	CategoryID    string    `bun:"category_id"`
	CoverPath     string    `bun:"cover_path"`
	ShopID        string    `bun:"shop_id"`
	ShopName      string    `bun:"shop_name"`
	ShopSlug      string    `bun:"shop_slug"`
	ShopStatus    string    `bun:"shop_status"`
	ShopRegionID  string    `bun:"shop_region_id"` // "" for the flagship store
	UpdatedAt     time.Time `bun:"updated_at"`
}

// Selling reports whether the SKU can be bought now.
func (s *Sellable) Selling() bool {
	return s.SKUStatus == SKUActive && s.ProductStatus == ProductActive && s.ShopStatus == merchant.ShopActive
}

// Sellables reads the SKUs ids of the tenant in ctx with their product and
// shop, keyed by SKU id. Ids that are not the tenant's SKUs are absent from
// the map; the caller decides what that means (a field error, a 404).
func Sellables(ctx context.Context, idb bun.IDB, ids []string) (map[string]*Sellable, error) {
	out := make(map[string]*Sellable, len(ids))
	var valid []string
	for _, id := range ids {
		if validID(id) {
			valid = append(valid, id)
		}
	}
	if len(valid) == 0 {
		return out, nil
	}
	var rows []*Sellable
	tid := db.TenantID(ctx)
	err := idb.NewSelect().
		ColumnExpr("k.id AS sku_id, k.code, k.spec, k.price_fen, k.list_price_fen, k.weight_g, k.purchase_limit, k.status AS sku_status").
		ColumnExpr("p.id AS product_id, p.name AS product_name, p.status AS product_status, p.category_id, p.cover_path, k.updated_at").
		ColumnExpr("s.id AS shop_id, s.name AS shop_name, s.slug AS shop_slug, s.status AS shop_status").
		ColumnExpr("coalesce(CAST(s.region_id AS text), '') AS shop_region_id").
		TableExpr("skus AS k").
		Join("JOIN products AS p ON p.tenant_id = k.tenant_id AND p.id = k.product_id").
		Join("JOIN shops AS s ON s.tenant_id = k.tenant_id AND s.id = k.shop_id").
		Where("k.tenant_id = ?", tid).
		Where("k.id IN (?)", bun.List(valid)).
		Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.SKUID] = r
	}
	return out, nil
}
