package fulfil

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/validate"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// skuRow is the part of a catalog SKU fulfil reads.
type skuRow struct {
	bun.BaseModel `bun:"table:skus,alias:k"`

	TenantID string `bun:"tenant_id,pk"`
	ID       string `bun:"id,pk"`
	ShopID   string `bun:"shop_id"`
}

// delivery is what Options and Check share: the shop, its settings and
// the tenant.
type delivery struct {
	shop   *merchant.Shop
	set    *Settings
	tenant *tenants.Tenant
	loc    *time.Location
	skus   []string
	idb    bun.IDB // the caller's transaction, for stock reads
}

// prepare checks req and loads the shop, its settings and the SKUs. It
// collects field errors for the request in fe; NotFound for a shop, or a
// SKU, that is not the tenant's (a SKU of another shop is not found
// either).
func (s *Service) prepare(ctx context.Context, idb bun.IDB, fe *core.FieldErrors, req Request) (*delivery, error) {
	t := tenants.MustFromContext(ctx)
	sh, err := prefetchedShop(ctx, idb, strings.TrimSpace(req.ShopID))
	if err != nil {
		return nil, err
	}
	if req.WeightG < 0 || req.WeightG > MaxWeightG {
		fe.Add("weight_g", "fulfil.field.weight_range")
	}
	if req.SubtotalFen < 0 {
		fe.Add("subtotal_fen", "field.invalid")
	}
	if len(req.SKUIDs) > MaxSKUs {
		fe.Add("sku_ids", "fulfil.field.skus_count")
	}
	var skus []string
	for _, id := range req.SKUIDs {
		id = strings.TrimSpace(id)
		if !validID(id) {
			return nil, errNotFound
		}
		if !slices.Contains(skus, id) {
			skus = append(skus, id)
		}
	}
	if known, ours := prefetchedSKUs(ctx, sh.ID, skus); known {
		if !ours {
			return nil, errNotFound
		}
	} else if len(skus) > 0 && len(skus) <= MaxSKUs {
		n, err := db.Select(ctx, idb, (*skuRow)(nil)).Where("k.id IN (?)", bun.List(skus)).Where("k.shop_id = ?", sh.ID).Count(ctx)
		if err != nil {
			return nil, fmt.Errorf("look up skus: %w", err)
		}
		if int(n) != len(skus) {
			return nil, errNotFound
		}
	}
	set, err := prefetchedSettings(ctx, idb, sh.ID)
	if err != nil {
		return nil, err
	}
	return &delivery{shop: sh, set: set, tenant: t, loc: t.Location(), skus: skus, idb: idb}, nil
}

// region loads region id for field, adding a field error when it is not
// the tenant's.
func region(ctx context.Context, idb bun.IDB, fe *core.FieldErrors, field, id string) (*tenants.Region, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		fe.Add(field, "field.required")
		return nil, nil
	}
	r, err := tenants.RegionByID(ctx, idb, id)
	if core.IsNotFound(err) {
		fe.Add(field, "fulfil.field.region_invalid")
		return nil, nil
	}
	return r, err
}

// inStock reports whether every SKU of d can be sold from a warehouse
// serving region r (or its city). No SKUs: false, since there is nothing
// to vouch for.
func (s *Service) inStock(ctx context.Context, d *delivery, r *tenants.Region) (bool, error) {
	if len(d.skus) == 0 || s.Inventory == nil {
		return false, nil
	}
	avail, err := s.Inventory.AvailableIn(ctx, d.idb, d.skus, r.ID)
	if err != nil {
		return false, fmt.Errorf("stock of region %s: %w", r.ID, err)
	}
	for _, id := range d.skus {
		if avail[id] < 1 {
			return false, nil
		}
	}
	return true, nil
}

// Options lists every method shop req.ShopID offers to region req.RegionID
// at now, in the order of Methods: courier with its fee for req.WeightG;
// express when every SKU of req is in stock in a warehouse serving the
// region; scheduled when a slot within the horizon has room (its slots,
// full ones with Remaining 0, are listed; the promise is the earliest
// with room); pickup when an active point is in the region or its city
// (the points are listed). A shop that is not selling offers nothing.
//
// Returns NotFound for a shop or SKU that is not the tenant's (or a SKU of
// another shop); Invalid with field errors for a region that is not the
// tenant's ("region_id"), a weight outside 0–1000 kg ("weight_g").
func (s *Service) Options(ctx context.Context, idb bun.IDB, req Request, now time.Time) ([]Option, error) {
	var fe core.FieldErrors
	d, err := s.prepare(ctx, idb, &fe, req)
	if err != nil {
		return nil, err
	}
	r, err := region(ctx, idb, &fe, "region_id", req.RegionID)
	if err != nil {
		return nil, err
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	out := []Option{}
	if !d.shop.Selling() {
		return out, nil
	}
	for _, m := range Methods {
		if !d.set.enabled(m) {
			continue
		}
		opt := Option{Method: m, Name: MethodNames[m]}
		switch m {
		case MethodCourier:
			opt.FeeFen = d.set.courierFee(r, req.WeightG)
			opt.Promise = CourierPromise(now, d.loc)
		case MethodExpress:
			ok, err := s.inStock(ctx, d, r)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
			opt.FeeFen = d.set.Express.FeeFen
			opt.Promise = ExpressPromise(now, d.loc)
		case MethodScheduled:
			slots, err := offeredSlots(ctx, idb, d.shop.ID, d.set.Scheduled.Days, now)
			if err != nil {
				return nil, err
			}
			i := slices.IndexFunc(slots, func(sl *Slot) bool { return sl.Remaining > 0 })
			if i < 0 {
				continue
			}
			opt.FeeFen = d.set.Scheduled.FeeFen
			opt.Promise = SlotPromise(slots[i], now, d.loc)
			opt.Slots = slots
		case MethodPickup:
			pts, err := pointsNear(ctx, idb, r)
			if err != nil {
				return nil, err
			}
			if len(pts) == 0 {
				continue
			}
			opt.Promise = PickupPromise(now, d.loc, d.tenant.Settings.Cutoff())
			opt.PickupPoints = pts
		}
		out = append(out, opt)
	}
	return out, nil
}

// ProductPromise returns, for the product page, the best promise of each
// method shop shopID offers to region regionID for skuIDs at now (the
// courier's fee is that of one kg; scheduled delivery's promise is its
// earliest slot with room). Errors as Options.
func (s *Service) ProductPromise(ctx context.Context, idb bun.IDB, shopID, regionID string, skuIDs []string, now time.Time) ([]MethodPromise, error) {
	opts, err := s.Options(ctx, idb, Request{ShopID: shopID, RegionID: regionID, SKUIDs: skuIDs}, now)
	if err != nil {
		return nil, err
	}
	out := make([]MethodPromise, 0, len(opts))
	for _, o := range opts {
		out = append(out, MethodPromise{Method: o.Method, Name: o.Name, FeeFen: o.FeeFen, Promise: o.Promise})
	}
	return out, nil
}

// choice is a checked Choice.
type choice struct {
	quote                     *Quote
	slot                      *Slot
	recipient, phone, address string
	regionID                  string
}

// errSlotFull is Book's (and Check's) answer for a slot without room.
func errSlotFull() error {
	return &core.Error{Code: core.Conflict, Message: "fulfil.error.slot_full",
		Fields: map[string]string{"slot_id": "fulfil.field.slot_full"}}
}

// check validates c for req at now and prices it.
func (s *Service) check(ctx context.Context, idb bun.IDB, req Request, c Choice, now time.Time) (*choice, error) {
	var fe core.FieldErrors
	d, err := s.prepare(ctx, idb, &fe, req)
	if err != nil {
		return nil, err
	}
	method := strings.TrimSpace(c.Method)
	if !slices.Contains(Methods, method) {
		fe.Add("method", "fulfil.field.method_invalid")
	} else if !d.set.enabled(method) || !d.shop.Selling() {
		fe.Add("method", "fulfil.field.method_unavailable")
	}
	regionID := strings.TrimSpace(c.RegionID)
	if regionID == "" {
		regionID = strings.TrimSpace(req.RegionID)
	}
	ch := &choice{quote: &Quote{Method: method}}
	var r *tenants.Region
	if method == MethodPickup {
		ch.recipient = validate.Text(&fe, "recipient", c.Recipient, 0, RecipientMax)
		ch.phone = validate.Phone(&fe, "phone", c.Phone, false)
		if regionID != "" {
			if r, err = region(ctx, idb, &fe, "region_id", regionID); err != nil {
				return nil, err
			}
		}
	} else {
		ch.recipient = validate.Text(&fe, "recipient", c.Recipient, 1, RecipientMax)
		ch.phone = validate.Phone(&fe, "phone", c.Phone, true)
		ch.address = validate.Text(&fe, "address", c.Address, 1, AddressMax)
		if r, err = region(ctx, idb, &fe, "region_id", regionID); err != nil {
			return nil, err
		}
	}
	if r != nil {
		ch.regionID, ch.quote.RegionID = r.ID, r.ID
	}
	if fe["method"] == "" {
		switch method {
		case MethodCourier:
			if r != nil {
				ch.quote.FeeFen = d.set.courierFee(r, req.WeightG)
			}
			ch.quote.Promise = CourierPromise(now, d.loc)
		case MethodExpress:
			if r != nil {
				ok, err := s.inStock(ctx, d, r)
				if err != nil {
					return nil, err
				}
				if !ok {
					fe.Add("method", "fulfil.field.express_unavailable")
				}
			}
			ch.quote.FeeFen = d.set.Express.FeeFen
			ch.quote.Promise = ExpressPromise(now, d.loc)
		case MethodScheduled:
			ch.slot, err = s.checkSlot(ctx, idb, &fe, d, c.SlotID, now)
			if err != nil {
				return nil, err
			}
			ch.quote.FeeFen = d.set.Scheduled.FeeFen
			if ch.slot != nil {
				ch.quote.SlotID = ch.slot.ID
				ch.quote.Promise = SlotPromise(ch.slot, now, d.loc)
			}
		case MethodPickup:
			pt, err := choosePoint(ctx, idb, &fe, c.PickupPointID)
			if err != nil {
				return nil, err
			}
			if pt != nil {
				ch.quote.PickupPointID = pt.ID
				if ch.regionID == "" {
					ch.regionID, ch.quote.RegionID = pt.RegionID, pt.RegionID
				}
			}
			ch.quote.Promise = PickupPromise(now, d.loc, d.tenant.Settings.Cutoff())
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return ch, nil
}

// checkSlot loads the chosen slot of d's shop and checks that it may be
// chosen at now.
func (s *Service) checkSlot(ctx context.Context, idb bun.IDB, fe *core.FieldErrors, d *delivery, id string, now time.Time) (*Slot, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		fe.Add("slot_id", "field.required")
		return nil, nil
	}
	sl, err := shopSlot(ctx, idb, d.shop.ID, id)
	if core.IsNotFound(err) {
		fe.Add("slot_id", "fulfil.field.slot_unknown")
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	sl.fill(d.loc)
	switch past, beyond := inHorizon(sl, d.set.Scheduled.Days, now, d.loc); {
	case past:
		fe.Add("slot_id", "fulfil.field.slot_past")
		return nil, nil
	case beyond:
		fe.Add("slot_id", "fulfil.field.slot_beyond")
		return nil, nil
	}
	return sl, nil
}

// choosePoint loads the chosen pickup point and checks that it is active.
func choosePoint(ctx context.Context, idb bun.IDB, fe *core.FieldErrors, id string) (*PickupPoint, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		fe.Add("pickup_point_id", "field.required")
		return nil, nil
	}
	pt, err := prefetchedPoint(ctx, idb, id)
	if core.IsNotFound(err) {
		fe.Add("pickup_point_id", "fulfil.field.point_unknown")
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if !pt.Active {
		fe.Add("pickup_point_id", "fulfil.field.point_inactive")
		return nil, nil
	}
	return pt, nil
}

// Check validates choice c for req at now and returns its Quote.
//
// Returns NotFound for a shop or SKU that is not the tenant's; Invalid
// with field errors: "method" (unknown, not offered by the shop, or
// express without stock in the region), "region_id" (missing for a
// delivery method, or not the tenant's), "slot_id" (missing, not the
// shop's, started, beyond the horizon), "pickup_point_id" (missing, not
// the tenant's, inactive), "recipient", "phone" (a mainland mobile
// number), "address" (required for courier, express and scheduled);
// Conflict with field "slot_id" (fulfil.error.slot_full) for a full slot.
func (s *Service) Check(ctx context.Context, idb bun.IDB, req Request, c Choice, now time.Time) (*Quote, error) {
	ch, err := s.check(ctx, idb, req, c, now)
	if err != nil {
		return nil, err
	}
	if ch.slot != nil && ch.slot.Booked >= ch.slot.Capacity {
		return nil, errSlotFull()
	}
	return ch.quote, nil
}

// Book is Check, then, in tx (the caller's transaction, bound to the
// tenant in ctx), takes one unit of the chosen slot with a conditional
// UPDATE and records the booking under ref (an order id). Errors as
// Check, plus Invalid (field ref) for an empty or over-long ref; Conflict
// fulfil.error.already_booked when ref has a booking; Conflict with field
// "slot_id" (fulfil.error.slot_full) when the slot has no room left — tx
// then must be rolled back.
func (s *Service) Book(ctx context.Context, tx bun.IDB, req Request, c Choice, ref string, now time.Time) (*Quote, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" || len([]rune(ref)) > RefMax {
		var fe core.FieldErrors
		fe.Add("ref", "field.invalid")
		return nil, fe.Err()
	}
	ch, err := s.check(ctx, tx, req, c, now)
	if err != nil {
		return nil, err
	}
	at := now.UTC()
	if ch.slot != nil {
		res, err := db.Update(ctx, tx, (*Slot)(nil)).Set("booked = booked + 1").Set("updated_at = ?", at).
			Where("ds.id = ?", ch.slot.ID).Where("ds.booked < ds.capacity").Exec(ctx)
		if err != nil {
			return nil, fmt.Errorf("book slot %s: %w", ch.slot.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil, errSlotFull()
		}
	}
	q := ch.quote
	b := &Booking{
		TenantID: db.TenantID(ctx), ID: tenants.NewID(), Ref: ref, ShopID: strings.TrimSpace(req.ShopID), Method: q.Method,
		FeeFen: q.FeeFen, PromiseEarliest: q.Promise.Earliest.UTC(), PromiseLatest: q.Promise.Latest.UTC(),
		PromiseText: q.Promise.Text, Recipient: ch.recipient, Phone: ch.phone, Address: ch.address,
		Status: BookingBooked, CreatedAt: at,
	}
	if ch.regionID != "" {
		b.RegionID = &ch.regionID
	}
	if q.SlotID != "" {
		b.SlotID = &q.SlotID
	}
	if q.PickupPointID != "" {
		b.PickupPointID = &q.PickupPointID
	}
	// A ref booked already is a conflict; the slot's unit taken above is
	// undone with the caller's transaction.
	res, err := tx.NewInsert().Model(b).On("CONFLICT (tenant_id, ref) WHERE status = 'booked' DO NOTHING").Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("record booking %s: %w", ref, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, core.Errorf(core.Conflict, "fulfil.error.already_booked")
	}
	return q, nil
}

// Unbook cancels the booking of ref in tx and gives its slot's unit back.
// Unbooking a ref without a booking (never booked, or already unbooked)
// does nothing, so a sweep may call it again safely.
func (s *Service) Unbook(ctx context.Context, tx bun.IDB, ref string) error {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil
	}
	b := new(Booking)
	err := db.Select(ctx, tx, b).Where("bk.ref = ?", ref).Where("bk.status = ?", BookingBooked).Scan(ctx)
	if err != nil {
		if core.IsNotFound(db.NotFound(err, errNotFound)) {
			return nil
		}
		return fmt.Errorf("look up booking %s: %w", ref, err)
	}
	at := time.Now().UTC()
	res, err := db.Update(ctx, tx, (*Booking)(nil)).Set("status = ?", BookingCancelled).Set("cancelled_at = ?", at).
		Where("bk.id = ?", b.ID).Where("bk.status = ?", BookingBooked).Exec(ctx)
	if err != nil {
		return fmt.Errorf("cancel booking %s: %w", ref, err)
	}
	if n, _ := res.RowsAffected(); n != 1 || b.SlotID == nil {
		return nil
	}
	if _, err := db.Update(ctx, tx, (*Slot)(nil)).Set("booked = booked - 1").Set("updated_at = ?", at).
		Where("ds.id = ?", *b.SlotID).Where("ds.booked > 0").Exec(ctx); err != nil {
		return fmt.Errorf("give back slot %s: %w", *b.SlotID, err)
	}
	return nil
}

// Booking returns the standing booking of ref. Returns NotFound when ref
// has none (never booked, unbooked, or another tenant's).
func (s *Service) Booking(ctx context.Context, idb bun.IDB, ref string) (*Booking, error) {
	b := new(Booking)
	err := db.Select(ctx, idb, b).Where("bk.ref = ?", strings.TrimSpace(ref)).Where("bk.status = ?", BookingBooked).Scan(ctx)
	if err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return b, nil
}
