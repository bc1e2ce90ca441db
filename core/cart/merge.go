package cart

import (
	"context"
	"fmt"
	"time"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Merge moves the anonymous visitor's cart (anonToken, the jishi_cart
// cookie's value) into the cart of shopper userID, at sign-in. Units of a
// SKU in both carts add up, capped at MaxQty and at the SKU's purchase
// limit; the visitor's other lines join the shopper's cart while it has
// fewer than MaxLines (the rest are dropped); the shopper's cart takes the
// visitor's region when it has none. The visitor's cart is then deleted,
// so a second Merge with the same token does nothing.
//
// A token that names no cart (none, malformed, merged already) is not an
// error: there is nothing to merge. Returns NotFound when userID is not an
// account of the tenant.
func (s *Service) Merge(ctx context.Context, anonToken, userID string) error {
	if !wellFormed(anonToken) {
		return nil
	}
	return s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if !validID(userID) {
			return errNotFound
		}
		known, err := tx.NewSelect().TableExpr("users AS u").Where("u.tenant_id = ?", db.TenantID(ctx)).
			Where("u.id = ?", userID).Exists(ctx)
		if err != nil {
			return fmt.Errorf("look up user %s: %w", userID, err)
		}
		if !known {
			return errNotFound
		}
		anon, err := findCart(ctx, tx, Ref{Token: anonToken})
		if err != nil || anon == nil {
			return err
		}
		if err := s.lock(ctx, tx, anon); err != nil {
			return err
		}
		mine, _, err := s.openCart(ctx, tx, Ref{UserID: userID})
		if err != nil {
			return err
		}
		if err := s.lock(ctx, tx, mine); err != nil {
			return err
		}
		var theirs, ours []*lineRow
		if err := db.Select(ctx, tx, &theirs).Where("cl.cart_id = ?", anon.ID).Order("cl.created_at", "cl.id").Scan(ctx); err != nil {
			return fmt.Errorf("read cart lines: %w", err)
		}
		if err := db.Select(ctx, tx, &ours).Where("cl.cart_id = ?", mine.ID).Scan(ctx); err != nil {
			return fmt.Errorf("read cart lines: %w", err)
		}
		ids := make([]string, len(theirs))
		for i, ln := range theirs {
			ids[i] = ln.SKUID
		}
		skus, err := loadSKUs(ctx, tx, ids)
		if err != nil {
			return err
		}
		bySKU := map[string]*lineRow{}
		for _, ln := range ours {
			bySKU[ln.SKUID] = ln
		}
		now := s.now().UTC()
		count := len(ours)
		for _, ln := range theirs {
			k := skus[ln.SKUID]
			if k == nil {
				continue
			}
			limit := maxQty(k)
			if have := bySKU[ln.SKUID]; have != nil {
				if err := setQty(ctx, tx, have.ID, min(have.Qty+ln.Qty, limit), now); err != nil {
					return err
				}
				continue
			}
			if count >= MaxLines {
				continue
			}
			// The line moves with what the visitor last saw of it.
			_, err := db.Update(ctx, tx, (*lineRow)(nil)).Set("cart_id = ?", mine.ID).Set("qty = ?", min(ln.Qty, limit)).
				Set("updated_at = ?", now).Where("cl.id = ?", ln.ID).Exec(ctx)
			if err != nil {
				return fmt.Errorf("move cart line %s: %w", ln.ID, err)
			}
			count++
		}
		if mine.RegionID == nil && anon.RegionID != nil {
			_, err := db.Update(ctx, tx, (*cartRow)(nil)).Set("region_id = ?", *anon.RegionID).Where("c.id = ?", mine.ID).Exec(ctx)
			if err != nil {
				return fmt.Errorf("set region of cart %s: %w", mine.ID, err)
			}
		}
		if _, err := db.Delete(ctx, tx, (*cartRow)(nil)).Where("c.id = ?", anon.ID).Exec(ctx); err != nil {
			return fmt.Errorf("delete merged cart %s: %w", anon.ID, err)
		}
		return nil
	})
}

// setQty sets the quantity of line id.
func setQty(ctx context.Context, tx bun.IDB, id string, qty int, now time.Time) error {
	_, err := db.Update(ctx, tx, (*lineRow)(nil)).Set("qty = ?", qty).Set("updated_at = ?", now).Where("cl.id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("set quantity of cart line %s: %w", id, err)
	}
	return nil
}

// DeleteStale deletes the anonymous carts of the tenant in ctx (of every
// tenant when ctx carries none) that have not changed since before, with
// their lines, and returns how many it deleted. Shoppers' carts stay.
func (s *Service) DeleteStale(ctx context.Context, before time.Time) (int, error) {
	var ts []*tenants.Tenant
	if t, ok := tenants.FromContext(ctx); ok {
		ts = []*tenants.Tenant{t}
	} else {
		var err error
		if ts, err = tenants.List(ctx, s.DB.DB); err != nil {
			return 0, err
		}
	}
	total := 0
	for _, t := range ts {
		err := s.DB.RunInTx(tenants.WithTenant(ctx, t), func(ctx context.Context, tx bun.IDB) error {
			res, err := db.Delete(ctx, tx, (*cartRow)(nil)).Where("c.token_hash IS NOT NULL").Where("c.updated_at < ?", before.UTC()).Exec(ctx)
			if err != nil {
				return fmt.Errorf("delete stale carts of %s: %w", t.Slug, err)
			}
			n, _ := res.RowsAffected()
			total += int(n)
			return nil
		})
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
