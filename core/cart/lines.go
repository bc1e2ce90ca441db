package cart

import (
	"context"
	"fmt"
	"strings"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// AddInput is a SKU and how many units of it to add.
type AddInput struct {
	SKUID string `json:"sku_id"`
	Qty   int    `json:"qty"`
}

// fieldMsg is an Invalid error on field whose message needs args (a
// limit): the message is rendered in the locale of ctx here, because
// field errors carry no args of their own.
func fieldMsg(ctx context.Context, field, key string, args ...any) error {
	msg := i18n.T(i18n.FromContext(ctx), key, args...)
	return &core.Error{Code: core.Invalid, Message: "error.invalid_input", Fields: map[string]string{field: msg}}
}

// checkQty returns the field error for qty units of k on one line: more
// than MaxQty, or more than the SKU's purchase limit (naming it). had is
// what the line held before an addition (0 otherwise).
func checkQty(ctx context.Context, k *skuInfo, qty, had int) error {
	if k.PurchaseLimit > 0 && qty > k.PurchaseLimit {
		if had > 0 {
			return fieldMsg(ctx, "qty", "cart.field.purchase_limit_had", k.PurchaseLimit, had)
		}
		return fieldMsg(ctx, "qty", "cart.field.purchase_limit", k.PurchaseLimit)
	}
	if qty > MaxQty {
		return fieldMsg(ctx, "qty", "cart.field.line_max", MaxQty, had)
	}
	return nil
}

// validQty adds the field error of a quantity outside 1..MaxQty to fe.
func validQty(fe *core.FieldErrors, qty int) {
	if qty < 1 || qty > MaxQty {
		fe.Add("qty", "cart.field.qty_range")
	}
}

// Add puts in.Qty units of SKU in.SKUID in the cart ref names, creating
// the cart when there is none (a visitor's new cart comes back in the
// returned Ref, Issued set: send its token in the cookie). Units of a SKU
// already in the cart are added to its line.
//
// Returns Invalid with field errors and writes nothing for a quantity
// outside 1..MaxQty ("qty"), a line that would exceed MaxQty or the SKU's
// purchase limit ("qty", naming the limit), and a SKU that is absent,
// another tenant's ("sku_id", catalog.field.sku_invalid's wording) or not
// sold — archived, of a product not active, or of a shop that is not
// open ("sku_id"); Conflict cart.error.full when a new line would exceed
// MaxLines.
func (s *Service) Add(ctx context.Context, ref Ref, in AddInput) (Ref, error) {
	var fe core.FieldErrors
	validQty(&fe, in.Qty)
	in.SKUID = strings.TrimSpace(in.SKUID)
	switch {
	case in.SKUID == "":
		fe.Add("sku_id", "field.required")
	case !validID(in.SKUID):
		fe.Add("sku_id", "cart.field.sku_invalid")
	}
	if err := fe.Err(); err != nil {
		return ref, err
	}
	out := ref
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		skus, err := loadSKUs(ctx, tx, []string{in.SKUID})
		if err != nil {
			return err
		}
		k := skus[in.SKUID]
		if k == nil {
			fe.Add("sku_id", "cart.field.sku_invalid")
			return fe.Err()
		}
		if !k.Selling() {
			fe.Add("sku_id", "cart.field.sku_not_sold")
			return fe.Err()
		}
		c, r, err := s.openCart(ctx, tx, ref)
		if err != nil {
			return err
		}
		out = r
		if err := s.lock(ctx, tx, c); err != nil {
			return err
		}
		ln := new(lineRow)
		err = db.Select(ctx, tx, ln).Where("cl.cart_id = ?", c.ID).Where("cl.sku_id = ?", k.SKUID).Scan(ctx)
		if err != nil && !core.IsNotFound(db.NotFound(err, errNotFound)) {
			return fmt.Errorf("read cart line: %w", err)
		}
		now := s.now().UTC()
		if err == nil { // the SKU has a line: add to it
			if err := checkQty(ctx, k, ln.Qty+in.Qty, ln.Qty); err != nil {
				return err
			}
			_, err := db.Update(ctx, tx, (*lineRow)(nil)).Set("qty = ?", ln.Qty+in.Qty).Set("updated_at = ?", now).
				Where("cl.id = ?", ln.ID).Exec(ctx)
			if err != nil {
				return fmt.Errorf("update cart line %s: %w", ln.ID, err)
			}
			return nil
		}
		if err := checkQty(ctx, k, in.Qty, 0); err != nil {
			return err
		}
		n, err := db.Select(ctx, tx, (*lineRow)(nil)).Where("cl.cart_id = ?", c.ID).Count(ctx)
		if err != nil {
			return fmt.Errorf("count cart lines: %w", err)
		}
		if n >= MaxLines {
			return errFull
		}
		userID := ""
		if c.UserID != nil {
			userID = *c.UserID
		}
		// The price the shopper is adding at is the one they saw: the
		// next view compares with it.
		pr, err := s.prices(ctx, tx, userID, skus, map[string]int{k.SKUID: in.Qty})
		if err != nil {
			return err
		}
		ln = &lineRow{TenantID: c.TenantID, ID: tenants.NewID(), CartID: c.ID, SKUID: k.SKUID, Qty: in.Qty,
			SeenPriceFen: pr[k.SKUID].UnitFen, SeenState: StateOK, CreatedAt: now, UpdatedAt: now}
		if _, err := tx.NewInsert().Model(ln).Exec(ctx); err != nil {
			return fmt.Errorf("add cart line: %w", err)
		}
		return nil
	})
	if err != nil {
		return ref, err
	}
	return out, nil
}

// lineOf returns line id of cart c; NotFound for ids of other carts and
// other tenants.
func lineOf(ctx context.Context, tx bun.IDB, c *cartRow, id string) (*lineRow, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	ln := new(lineRow)
	if err := db.Select(ctx, tx, ln).Where("cl.cart_id = ?", c.ID).Where("cl.id = ?", id).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return ln, nil
}

// existingCart returns the cart ref names, locked; NotFound when there is
// none.
func (s *Service) existingCart(ctx context.Context, tx bun.IDB, ref Ref) (*cartRow, error) {
	c, err := findCart(ctx, tx, ref)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errNotFound
	}
	return c, s.lock(ctx, tx, c)
}

// SetQty sets the quantity of line lineID of the cart ref names.
//
// Returns NotFound for a line of another cart or tenant (or no cart);
// Invalid with field errors and writes nothing for a quantity outside
// 1..MaxQty or above the SKU's purchase limit ("qty", naming it); Conflict
// cart.error.not_sold when the SKU is no longer sold (the line can only be
// removed).
func (s *Service) SetQty(ctx context.Context, ref Ref, lineID string, qty int) error {
	var fe core.FieldErrors
	validQty(&fe, qty)
	if err := fe.Err(); err != nil {
		return err
	}
	return s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		c, err := s.existingCart(ctx, tx, ref)
		if err != nil {
			return err
		}
		ln, err := lineOf(ctx, tx, c, lineID)
		if err != nil {
			return err
		}
		skus, err := loadSKUs(ctx, tx, []string{ln.SKUID})
		if err != nil {
			return err
		}
		k := skus[ln.SKUID]
		if k == nil || !k.Selling() {
			return errNotSold
		}
		if err := checkQty(ctx, k, qty, 0); err != nil {
			return err
		}
		_, err = db.Update(ctx, tx, (*lineRow)(nil)).Set("qty = ?", qty).Set("updated_at = ?", s.now().UTC()).
			Where("cl.id = ?", ln.ID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("set quantity of cart line %s: %w", ln.ID, err)
		}
		return nil
	})
}

// Remove deletes line lineID from the cart ref names. Returns NotFound
// for a line of another cart or tenant (or no cart).
func (s *Service) Remove(ctx context.Context, ref Ref, lineID string) error {
	return s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		c, err := s.existingCart(ctx, tx, ref)
		if err != nil {
			return err
		}
		ln, err := lineOf(ctx, tx, c, lineID)
		if err != nil {
			return err
		}
		if _, err := db.Delete(ctx, tx, (*lineRow)(nil)).Where("cl.id = ?", ln.ID).Exec(ctx); err != nil {
			return fmt.Errorf("remove cart line %s: %w", ln.ID, err)
		}
		return nil
	})
}

// Empty removes every line of the cart ref names (keeping its region). A
// ref without a cart is already empty: nil.
func (s *Service) Empty(ctx context.Context, ref Ref) error {
	return s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		c, err := findCart(ctx, tx, ref)
		if err != nil || c == nil {
			return err
		}
		if err := s.lock(ctx, tx, c); err != nil {
			return err
		}
		return deleteLines(ctx, tx, c.ID, nil)
	})
}

// deleteLines deletes lines ids (every line when ids is nil) of cart
// cartID.
func deleteLines(ctx context.Context, tx bun.IDB, cartID string, ids []string) error {
	q := db.Delete(ctx, tx, (*lineRow)(nil)).Where("cl.cart_id = ?", cartID)
	if ids != nil {
		q = q.Where("cl.id IN (?)", bun.List(ids))
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("delete lines of cart %s: %w", cartID, err)
	}
	return nil
}

// SetRegion records the region the shopper chose (availability is shown
// for it), creating the cart when there is none as Add does; "" clears
// it. Returns Invalid ("region_id", cart.field.region_invalid) for an id
// that is not a region of the tenant; nothing is written then.
func (s *Service) SetRegion(ctx context.Context, ref Ref, regionID string) (Ref, error) {
	regionID = strings.TrimSpace(regionID)
	out := ref
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		var region *string
		if regionID != "" {
			if _, err := tenants.RegionByID(ctx, tx, regionID); err != nil {
				if core.IsNotFound(err) {
					var fe core.FieldErrors
					fe.Add("region_id", "cart.field.region_invalid")
					return fe.Err()
				}
				return err
			}
			region = &regionID
		}
		c, r, err := s.openCart(ctx, tx, ref)
		if err != nil {
			return err
		}
		out = r
		_, err = db.Update(ctx, tx, (*cartRow)(nil)).Set("region_id = ?", region).Set("updated_at = ?", s.now().UTC()).
			Where("c.id = ?", c.ID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("set region of cart %s: %w", c.ID, err)
		}
		return nil
	})
	if err != nil {
		return ref, err
	}
	return out, nil
}
