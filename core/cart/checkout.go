package cart

import (
	"context"
	"fmt"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/uptrace/bun"
)

// Cart is a stored cart as checkout reads it.
type Cart struct {
	// ID is "" for a ref that has no cart yet (and no lines).
	ID string
	// UserID is the shopper's id, "" for an anonymous visitor's cart.
	UserID string
	// RegionID is the region the shopper chose, "" for none.
	RegionID string
	Lines    []*Line
}

// Line is one line of a Cart.
type Line struct {
	ID     string
	SKUID  string
	ShopID string
	Qty    int
}

// Load returns the cart ref names with its lines, in the order they were
// added, in idb (the caller's transaction, bound to the tenant in ctx). A
// ref without a cart gives an empty Cart (ID ""). Prices and availability
// are not read: checkout quotes them itself.
func (s *Service) Load(ctx context.Context, idb bun.IDB, ref Ref) (*Cart, error) {
	out := &Cart{Lines: []*Line{}}
	c, err := findCart(ctx, idb, ref)
	if err != nil || c == nil {
		return out, err
	}
	out.ID = c.ID
	if c.UserID != nil {
		out.UserID = *c.UserID
	}
	if c.RegionID != nil {
		out.RegionID = *c.RegionID
	}
	var rows []struct {
		ID     string `bun:"id"`
		SKUID  string `bun:"sku_id"`
		ShopID string `bun:"shop_id"`
		Qty    int    `bun:"qty"`
	}
	err = db.Select(ctx, idb, (*lineRow)(nil)).Column("cl.id", "cl.sku_id", "cl.qty").ColumnExpr("k.shop_id").
		Join("JOIN skus AS k ON k.tenant_id = cl.tenant_id AND k.id = cl.sku_id").
		Where("cl.cart_id = ?", c.ID).Order("cl.created_at", "cl.id").Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("read lines of cart %s: %w", c.ID, err)
	}
	for _, r := range rows {
		out.Lines = append(out.Lines, &Line{ID: r.ID, SKUID: r.SKUID, ShopID: r.ShopID, Qty: r.Qty})
	}
	return out, nil
}

// Clear removes every line of cart cartID in tx, the caller's
// transaction (checkout, once the order is placed). Returns NotFound for
// a cart id that is not the tenant's.
func (s *Service) Clear(ctx context.Context, tx bun.IDB, cartID string) error {
	c, err := cartByID(ctx, tx, cartID)
	if err != nil {
		return err
	}
	if err := s.lock(ctx, tx, c); err != nil {
		return err
	}
	return deleteLines(ctx, tx, c.ID, nil)
}

// RemoveLines removes lines lineIDs of cart cartID in tx, the caller's
// transaction (checkout, for the lines it ordered). Ids that are not lines of the cart (removed already, or of
// another cart) are left alone, so a retried checkout removes nothing
// twice. Returns NotFound for a cart id that is not the tenant's.
func (s *Service) RemoveLines(ctx context.Context, tx bun.IDB, cartID string, lineIDs []string) error {
	c, err := cartByID(ctx, tx, cartID)
	if err != nil {
		return err
	}
	if err := s.lock(ctx, tx, c); err != nil {
		return err
	}
	ids := []string{}
	for _, id := range lineIDs {
		if validID(id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return deleteLines(ctx, tx, c.ID, ids)
}
