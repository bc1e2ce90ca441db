package inventory

import (
	"context"
	"fmt"
	"slices"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// StockChange is told, inside the transaction that changed stock, that
// product productID of the tenant in ctx can now (inStock) or can no
// longer be bought: whether any active SKU of it has a sellable unit (on
// hand, not reserved, in a lot not expired) in any warehouse. An error
// rolls the change back.
type StockChange func(ctx context.Context, tx bun.IDB, productID string, inStock bool) error

// OnStockChange registers f to be called whenever a product's stock
// crosses zero: a receipt (always reported, so a first lot that is
// already expired is reported too), a reservation, a release (by the
// caller or the expiry sweep), an adjustment, a restock, and lots
// expiring (Sweeper). Commit leaves the sellable units as they were and
// reports nothing. Register hooks while building the app, before the
// service is used.
func (s *Service) OnStockChange(f StockChange) { s.onStock = append(s.onStock, f) }

// stockWatch remembers which products of a change could be sold before
// it, to tell the hooks about those the change flipped.
type stockWatch struct {
	products []string
	before   map[string]bool
	// always reports every product, flipped or not.
	always bool
}

// watchStock is called before a change to the stock of skuIDs, in tx. On
// PostgreSQL it first locks the rows of their products (FOR NO KEY
// UPDATE, in id order; catalog updates wait, foreign-key checks do not),
// so that concurrent changes to one product's stock take turns and each
// sees the other's result: the flag reported last is the true one. With
// before false the products are taken to be in stock before the change
// (a reservation: it takes sellable units only). Nil without hooks.
func (s *Service) watchStock(ctx context.Context, tx bun.IDB, skuIDs []string, before bool) (*stockWatch, error) {
	if len(s.onStock) == 0 || len(skuIDs) == 0 {
		return nil, nil
	}
	tenant := db.TenantID(ctx)
	query := "SELECT p.id FROM products AS p WHERE p.tenant_id = ? AND p.id IN " +
		"(SELECT k.product_id FROM skus AS k WHERE k.tenant_id = ? AND k.id IN (?)) ORDER BY p.id"
	if tx.Dialect().Name() == dialect.PG {
		query += " FOR NO KEY UPDATE"
	}
	w := &stockWatch{before: map[string]bool{}}
	if err := tx.NewRaw(query, tenant, tenant, bun.List(skuIDs)).Scan(ctx, &w.products); err != nil {
		return nil, fmt.Errorf("lock products of skus: %w", err)
	}
	if !before {
		for _, p := range w.products {
			w.before[p] = true
		}
		return w, nil
	}
	var err error
	w.before, err = s.productsInStock(ctx, tx, w.products)
	return w, err
}

// report tells the hooks about the products of w whose stock the change
// flipped (all of them when w.always).
func (s *Service) report(ctx context.Context, tx bun.IDB, w *stockWatch) error {
	if w == nil || len(w.products) == 0 {
		return nil
	}
	after, err := s.productsInStock(ctx, tx, w.products)
	if err != nil {
		return err
	}
	for _, p := range w.products {
		if after[p] == w.before[p] && !w.always {
			continue
		}
		for _, f := range s.onStock {
			if err := f(ctx, tx, p, after[p]); err != nil {
				return fmt.Errorf("report stock of product %s: %w", p, err)
			}
		}
	}
	return nil
}

// reportProductsTaken reports which of products (in id order), whose SKUs
// a reservation took units of, it left without a sellable unit. The common case — still
// in stock — reads without locking, so checkouts of one product do not
// queue behind each other on its row; only when a product runs out are
// its rows locked as watchStock does, and the flag set from a fresh read.
// Two reservations emptying two SKUs of one product at the same moment
// may each still see the other's units and leave the flag set; the next
// change to that product's stock, or the sweeper's daily pass, sets it
// right (checkout itself never relies on the flag).
func (s *Service) reportProductsTaken(ctx context.Context, tx bun.IDB, products []string) error {
	if len(s.onStock) == 0 || len(products) == 0 {
		return nil
	}
	tenant := db.TenantID(ctx)
	after, err := s.productsInStock(ctx, tx, products)
	if err != nil {
		return err
	}
	var gone []string
	for _, p := range products {
		if !after[p] {
			gone = append(gone, p)
		}
	}
	if len(gone) == 0 {
		return nil
	}
	if tx.Dialect().Name() == dialect.PG {
		if _, err := tx.NewRaw("SELECT p.id FROM products AS p WHERE p.tenant_id = ? AND p.id IN (?) ORDER BY p.id FOR NO KEY UPDATE",
			tenant, bun.List(gone)).Exec(ctx); err != nil {
			return fmt.Errorf("lock products: %w", err)
		}
		if after, err = s.productsInStock(ctx, tx, gone); err != nil {
			return err
		}
	}
	for _, p := range gone {
		for _, f := range s.onStock {
			if err := f(ctx, tx, p, after[p]); err != nil {
				return fmt.Errorf("report stock of product %s: %w", p, err)
			}
		}
	}
	return nil
}

// productsInStock returns which of products have a sellable unit today:
// an active SKU with a lot not expired holding unreserved units.
func (s *Service) productsInStock(ctx context.Context, tx bun.IDB, products []string) (map[string]bool, error) {
	out := make(map[string]bool, len(products))
	if len(products) == 0 {
		return out, nil
	}
	var in []string
	err := tx.NewRaw(`
		SELECT DISTINCT k.product_id FROM skus AS k
		JOIN lots AS l ON l.tenant_id = k.tenant_id AND l.sku_id = k.id
		WHERE k.tenant_id = ? AND k.product_id IN (?) AND k.status = ?
		  AND l.best_before >= ? AND l.on_hand > l.reserved`,
		db.TenantID(ctx), bun.List(products), skuActive, s.today(ctx)).Scan(ctx, &in)
	if err != nil {
		return nil, fmt.Errorf("read stock of products: %w", err)
	}
	for _, p := range in {
		out[p] = true
	}
	return out, nil
}

// skuIDsOf returns the distinct SKU ids of allocations, sorted.
func skuIDsOf(as []*Allocation) []string {
	var ids []string
	for _, a := range as {
		if !slices.Contains(ids, a.SKUID) {
			ids = append(ids, a.SKUID)
		}
	}
	slices.Sort(ids)
	return ids
}
