package catalog

import (
	"context"
	"fmt"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// PublicProduct is what shoppers see of a product: no cost prices and no
// supplier account, with the shop it belongs to. Selling is false while
// the shop is suspended: the product shows and cannot be bought.
type PublicProduct struct {
	*Product
	Shop    merchant.PublicShop `json:"shop"`
	Selling bool                `json:"selling"`
}

// PublicFilter narrows a storefront's product list.
type PublicFilter struct {
	// CategoryID keeps products of that category or any category below it.
	CategoryID string
	// Query matches the name (substring, case-insensitive) or a SKU code.
	Query string
	merchant.Page
}

// public strips what shoppers may not see from pr.
func public(pr *Product) *Product {
	pr.SupplierID = nil
	for _, k := range pr.SKUs {
		k.CostFen = 0
	}
	return pr
}

// storefrontShop reads shop id in tx when its storefront shows (active or
// suspended).
func storefrontShop(ctx context.Context, tx bun.IDB, id string) (*merchant.Shop, error) {
	sh, err := loadShop(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if sh.Status != merchant.ShopActive && sh.Status != merchant.ShopSuspended {
		return nil, errNotFound
	}
	return sh, nil
}

// PublicProduct returns product id for the storefront: an active product
// of an active or suspended shop, with its active SKUs and images.
// Returns NotFound for anything else (drafts, archived products, pending
// or closed shops, other tenants' ids). Needs no principal.
func (s *Service) PublicProduct(ctx context.Context, id string) (*PublicProduct, error) {
	tenants.MustFromContext(ctx)
	var out *PublicProduct
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		pr, err := productWithParts(ctx, tx, id)
		if err != nil {
			return err
		}
		if pr.Status != ProductActive {
			return errNotFound
		}
		sh, err := storefrontShop(ctx, tx, pr.ShopID)
		if err != nil {
			return err
		}
		out = &PublicProduct{Product: public(pr), Shop: sh.Public(), Selling: sh.Selling()}
		return nil
	})
	return out, err
}

// ShopProducts returns the active products of the shop whose storefront
// is at slug (active or suspended; see merchant.StorefrontShop) that
// match f, best sellers first, each with its active SKUs, and the shop.
// Returns NotFound when the storefront does not show.
func (s *Service) ShopProducts(ctx context.Context, slug string, f PublicFilter) ([]*Product, *merchant.Shop, error) {
	sh, err := s.Merchants.StorefrontShop(ctx, slug)
	if err != nil {
		return nil, nil, err
	}
	out := []*Product{}
	err = s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		q := db.Select(ctx, tx, &out).Where("p.shop_id = ?", sh.ID).Where("p.status = ?", ProductActive)
		q, err := filterProducts(ctx, tx, q, f.CategoryID, f.Query)
		if err != nil || q == nil {
			return err
		}
		if err := pageOf(q.Order("p.sales_count DESC", "p.created_at", "p.id"), f.Page).Scan(ctx); err != nil {
			return fmt.Errorf("list products of shop %s: %w", sh.ID, err)
		}
		return attachSKUs(ctx, tx, out)
	})
	if err != nil {
		return nil, nil, err
	}
	for _, pr := range out {
		public(pr)
	}
	return out, sh, nil
}

// PriceRange returns the lowest price and the highest list price of pr's
// SKUs (0, 0 without SKUs).
func (pr *Product) PriceRange() (minPrice, maxList int64) {
	for i, k := range pr.SKUs {
		if i == 0 || k.PriceFen < minPrice {
			minPrice = k.PriceFen
		}
		if k.ListPriceFen > maxList {
			maxList = k.ListPriceFen
		}
	}
	return minPrice, maxList
}
