package order

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/validate"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// GroupInput is a placed checkout as core/checkout computed it: who, the
// idempotency facts, the payment provider, and one ShopInput per shop.
type GroupInput struct {
	// ID is the group's id when the caller needs it before Create (as the
	// owner of reservations, bookings and redemptions); "" makes one.
	ID     string
	UserID string
	// IdempotencyKey and RequestHash identify the request for replay
	// (FindByKey); the pair (user, key) is unique.
	IdempotencyKey string
	RequestHash    string
	// Provider is the payment provider's name (offline, balance, …).
	Provider string
	// RedemptionOwner is the owner promo.Redeem was called with; Unredeem
	// gets it back when every order of the group is cancelled ("" when
	// nothing was redeemed).
	RedemptionOwner string
	Shops           []ShopInput
}

// ShopInput is one shop's part of a checkout.
type ShopInput struct {
	ShopID   string
	Delivery Delivery
	// ReservationID is the inventory reservation of this shop's lines
	// alone ("" when none); cancelling the order releases or restocks it.
	ReservationID string
	Lines         []LineInput
}

// Delivery is the delivery chosen and priced for one shop (core/fulfil).
type Delivery struct {
	Method        string // courier, express, scheduled or pickup
	RegionID      string
	Recipient     string
	Phone         string
	Address       string // required unless Method is pickup
	SlotID        string
	PickupPointID string // required when Method is pickup
	// BookingRef is the ref fulfil.Book was called with; Unbook gets it
	// when the order is cancelled ("" when nothing was booked).
	BookingRef          string
	FeeFen              int64
	ShippingDiscountFen int64
	PromiseText         string
	PromiseLatest       time.Time
}

// LineInput is one priced line (core/promo's LineResult). The product,
// name, spec and code are snapshot from the catalog.
type LineInput struct {
	SKUID       string
	Qty         int
	UnitFen     int64 // after member, tier or flash price
	ListFen     int64
	PriceLabel  string
	SubtotalFen int64 // UnitFen × Qty
	DiscountFen int64 // sum of Allocations
	TotalFen    int64 // SubtotalFen − DiscountFen
	Allocations []Allocation
	// Attributes a plugin set on the line ("groupbuy.group" → id).
	Attributes map[string]string
}

// Allocation is a discount allocated to a line.
type Allocation struct {
	PromotionID, CouponID, Kind, Label string
	AmountFen                          int64
	FundedBy                           string // shop or platform
}

var methods = []string{MethodCourier, MethodExpress, MethodScheduled, MethodPickup}

// check validates in; field names follow the input ("shops.0.lines.1.qty").
func (in *GroupInput) check() error {
	var fe core.FieldErrors
	if !validID(in.UserID) {
		fe.Add("user_id", "field.invalid")
	}
	if in.ID != "" && !validID(in.ID) {
		fe.Add("id", "field.invalid")
	}
	in.IdempotencyKey = strings.TrimSpace(in.IdempotencyKey)
	if in.IdempotencyKey == "" || len(in.IdempotencyKey) > KeyMax {
		fe.Add("idempotency_key", "field.invalid")
	}
	if in.RequestHash == "" {
		fe.Add("request_hash", "field.required")
	}
	if strings.TrimSpace(in.Provider) == "" {
		fe.Add("provider", "field.required")
	}
	if len(in.Shops) == 0 || len(in.Shops) > MaxShops {
		fe.Add("shops", "order.field.shops_count")
	}
	seenShop, seenRes := map[string]bool{}, map[string]bool{}
	for i := range in.Shops {
		sh := &in.Shops[i]
		p := "shops." + strconv.Itoa(i) + "."
		if !validID(sh.ShopID) || seenShop[sh.ShopID] {
			fe.Add(p+"shop_id", "field.invalid")
		}
		seenShop[sh.ShopID] = true
		if sh.ReservationID != "" {
			if !validID(sh.ReservationID) || seenRes[sh.ReservationID] {
				fe.Add(p+"reservation_id", "order.field.reservation_shared")
			}
			seenRes[sh.ReservationID] = true
		}
		d := &sh.Delivery
		if !slices.Contains(methods, d.Method) {
			fe.Add(p+"delivery.method", "field.invalid")
		}
		if d.RegionID != "" && !validID(d.RegionID) {
			fe.Add(p+"delivery.region_id", "field.invalid")
		}
		d.Recipient = validate.Text(&fe, p+"delivery.recipient", d.Recipient, 1, RecipientMax)
		d.Phone = validate.Phone(&fe, p+"delivery.phone", d.Phone, true)
		if d.Method == MethodPickup {
			if !validID(d.PickupPointID) {
				fe.Add(p+"delivery.pickup_point_id", "field.required")
			}
			d.Address = validate.Text(&fe, p+"delivery.address", d.Address, 0, AddressMax)
		} else {
			d.Address = validate.Text(&fe, p+"delivery.address", d.Address, 1, AddressMax)
			if d.PickupPointID != "" {
				fe.Add(p+"delivery.pickup_point_id", "field.invalid")
			}
		}
		if d.FeeFen < 0 || d.ShippingDiscountFen < 0 || d.ShippingDiscountFen > d.FeeFen {
			fe.Add(p+"delivery.fee_fen", "order.field.amount")
		}
		if len(sh.Lines) == 0 || len(sh.Lines) > MaxLines {
			fe.Add(p+"lines", "order.field.lines_count")
		}
		for j, ln := range sh.Lines {
			lp := p + "lines." + strconv.Itoa(j) + "."
			if !validID(ln.SKUID) {
				fe.Add(lp+"sku_id", "field.invalid")
			}
			if ln.Qty < 1 || ln.Qty > MaxQty {
				fe.Add(lp+"qty", "order.field.qty_range")
				continue
			}
			if ln.UnitFen < 0 || ln.ListFen < 0 || ln.SubtotalFen != ln.UnitFen*int64(ln.Qty) {
				fe.Add(lp+"subtotal_fen", "order.field.amount")
			}
			var sum int64
			for _, a := range ln.Allocations {
				if a.AmountFen < 0 || a.Kind == "" || (a.FundedBy != FundedByShop && a.FundedBy != FundedByPlatform) {
					fe.Add(lp+"allocations", "field.invalid")
				}
				sum += a.AmountFen
			}
			if len(ln.Allocations) > MaxDiscounts || sum != ln.DiscountFen || ln.TotalFen != ln.SubtotalFen-ln.DiscountFen || ln.TotalFen < 0 {
				fe.Add(lp+"discount_fen", "order.field.amount")
			}
		}
	}
	return fe.Err()
}

// catalogLine is the snapshot of a SKU with its product.
type catalogLine struct {
	SKUID      string  `bun:"sku_id"`
	Code       string  `bun:"code"`
	Spec       string  `bun:"spec"`
	ShopID     string  `bun:"shop_id"`
	ProductID  string  `bun:"product_id"`
	Name       string  `bun:"name"`
	CategoryID *string `bun:"category_id"`
}

func snapshot(ctx context.Context, tx bun.IDB, ids []string) (map[string]*catalogLine, error) {
	var rows []*catalogLine
	err := tx.NewSelect().
		ColumnExpr("k.id AS sku_id, k.code, k.spec, k.shop_id, p.id AS product_id, p.name, p.category_id").
		TableExpr("skus AS k").
		Join("JOIN products AS p ON p.tenant_id = k.tenant_id AND p.id = k.product_id").
		Where("k.tenant_id = ?", db.TenantID(ctx)).Where("k.id IN (?)", bun.List(ids)).
		Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("read skus: %w", err)
	}
	out := make(map[string]*catalogLine, len(rows))
	for _, r := range rows {
		out[r.SKUID] = r
	}
	return out, nil
}

// Create writes a placed checkout in tx, the caller's transaction (bound
// to the tenant in ctx): the group, one order per shop in
// pending_payment with payment status unpaid, their lines with the
// catalog's snapshot of name, spec and code, the discount allocations, a
// pickup code for pickup orders, and a placement event per order.
//
// Returns Invalid with field errors for inconsistent input (amounts that
// do not add up, a reservation shared by two shops, a pickup without a
// point); NotFound when a SKU is not the tenant's or not of its shop, or
// the user or region is not the tenant's; Conflict order.error.replay when
// the user already placed a checkout with this idempotency key (the
// caller should have used FindByKey first).
func (s *Service) Create(ctx context.Context, tx bun.IDB, in GroupInput) (*Group, error) {
	if err := in.check(); err != nil {
		return nil, err
	}
	t := tenants.MustFromContext(ctx)
	var ids []string
	for _, sh := range in.Shops {
		for _, ln := range sh.Lines {
			if !slices.Contains(ids, ln.SKUID) {
				ids = append(ids, ln.SKUID)
			}
		}
	}
	snap, err := snapshot(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	for _, sh := range in.Shops {
		for _, ln := range sh.Lines {
			if c := snap[ln.SKUID]; c == nil || c.ShopID != sh.ShopID {
				return nil, errNotFound
			}
		}
	}
	now := s.now().UTC()
	g := &Group{TenantID: t.ID, ID: in.ID, UserID: in.UserID, Provider: strings.TrimSpace(in.Provider),
		Status: GroupPendingPayment, RedemptionOwner: in.RedemptionOwner, IdempotencyKey: in.IdempotencyKey,
		RequestHash: in.RequestHash, CreatedAt: now, UpdatedAt: now}
	if g.ID == "" {
		g.ID = tenants.NewID()
	}
	var orders []*Order
	var lines []*Line
	var discounts []*LineDiscount
	for _, sh := range in.Shops {
		d := sh.Delivery
		o := &Order{TenantID: t.ID, ID: tenants.NewID(), GroupID: g.ID, ShopID: sh.ShopID, UserID: in.UserID,
			Status: StatusPendingPayment, PaymentStatus: PaymentUnpaid, ShippingFen: d.FeeFen,
			ShippingDiscountFen: d.ShippingDiscountFen, DeliveryMethod: d.Method, Recipient: d.Recipient,
			Phone: d.Phone, Address: d.Address, SlotID: d.SlotID, BookingRef: d.BookingRef,
			PromiseText: d.PromiseText, PlacedAt: now, UpdatedAt: now}
		if d.RegionID != "" {
			o.RegionID = &d.RegionID
		}
		if d.Method == MethodPickup {
			o.PickupPointID = &d.PickupPointID
			if o.PickupCode, err = digits(pickupCodeDigit); err != nil {
				return nil, err
			}
		}
		if !d.PromiseLatest.IsZero() {
			pl := d.PromiseLatest.UTC()
			o.PromiseLatest = &pl
		}
		if sh.ReservationID != "" {
			o.ReservationID = &sh.ReservationID
		}
		for i, ln := range sh.Lines {
			c := snap[ln.SKUID]
			l := &Line{TenantID: t.ID, ID: tenants.NewID(), OrderID: o.ID, Position: i, SKUID: ln.SKUID,
				ProductID: c.ProductID, ShopID: sh.ShopID, CategoryID: c.CategoryID, Name: c.Name, Spec: c.Spec,
				SKUCode: c.Code, Qty: ln.Qty, UnitFen: ln.UnitFen, ListFen: ln.ListFen, PriceLabel: ln.PriceLabel,
				SubtotalFen: ln.SubtotalFen, DiscountFen: ln.DiscountFen, TotalFen: ln.TotalFen, Attributes: Attributes(ln.Attributes)}
			lines = append(lines, l)
			o.Lines = append(o.Lines, l)
			for _, a := range ln.Allocations {
				ld := &LineDiscount{TenantID: t.ID, ID: tenants.NewID(), LineID: l.ID, PromotionID: a.PromotionID,
					CouponID: a.CouponID, Kind: a.Kind, Label: a.Label, AmountFen: a.AmountFen, FundedBy: a.FundedBy}
				discounts = append(discounts, ld)
				l.Discounts = append(l.Discounts, ld)
			}
			o.SubtotalFen += ln.SubtotalFen
			o.DiscountFen += ln.DiscountFen
		}
		o.TotalFen = o.SubtotalFen - o.DiscountFen + o.ShippingNetFen()
		g.SubtotalFen += o.SubtotalFen
		g.DiscountFen += o.DiscountFen
		g.ShippingFen += o.ShippingFen
		g.ShippingDiscountFen += o.ShippingDiscountFen
		g.TotalFen += o.TotalFen
		orders = append(orders, o)
	}

	// The group and its orders in one savepoint: a number taken already
	// (unlikely) draws new numbers for all of them.
	err = s.withUniqueNumber(ctx, tx, func() error {
		if g.Number, err = s.newNumber(t, "G"); err != nil {
			return err
		}
		taken := map[string]bool{}
		for _, o := range orders {
			o.Number = "" // a new draw on every attempt
			for o.Number == "" || taken[o.Number] {
				if o.Number, err = s.newNumber(t, ""); err != nil {
					return err
				}
			}
			taken[o.Number] = true
		}
		if _, err := tx.NewInsert().Model(g).Exec(ctx); err != nil {
			if db.IsUniqueViolation(err) && !strings.Contains(err.Error(), "number") {
				return &core.Error{Code: core.Conflict, Message: "order.error.replay", Err: err}
			}
			return mapFK(err, "create checkout group")
		}
		if _, err := tx.NewInsert().Model(&orders).Exec(ctx); err != nil {
			return mapFK(err, "create orders")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if _, err := tx.NewInsert().Model(&lines).Exec(ctx); err != nil {
		return nil, mapFK(err, "create order lines")
	}
	if len(discounts) > 0 {
		if _, err := tx.NewInsert().Model(&discounts).Exec(ctx); err != nil {
			return nil, fmt.Errorf("record line discounts: %w", err)
		}
	}
	shopper := Actor{UserID: &in.UserID, Role: RoleShopper}
	events := make([]*Event, len(orders))
	for i, o := range orders {
		events[i] = newEvent(ctx, o.ID, "", StatusPendingPayment, shopper, "", now)
	}
	if err := insertEvents(ctx, tx, events); err != nil {
		return nil, err
	}
	hs := make([]Happened, len(orders))
	for i, o := range orders {
		o.pluginsKnown = true // built here with its lines and their discounts
		hs[i] = happened(EventPlaced, o, now)
	}
	if err := s.notify(ctx, tx, hs...); err != nil {
		return nil, err
	}
	g.Orders = orders
	return g, nil
}

// mapFK turns a foreign-key violation (a user or region not of the
// tenant) into NotFound.
func mapFK(err error, what string) error {
	s := err.Error()
	if strings.Contains(s, "SQLSTATE 23503") || strings.Contains(s, "FOREIGN KEY constraint failed") {
		return errNotFound
	}
	return fmt.Errorf("%s: %w", what, err)
}

// digits returns n random decimal digits.
func digits(n int) (string, error) {
	var b strings.Builder
	for range n {
		d, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			return "", fmt.Errorf("random digits: %w", err)
		}
		b.WriteByte(byte('0' + d.Int64()))
	}
	return b.String(), nil
}

// newNumber is prefix + yyMMdd in the tenant's zone + 6 random digits.
func (s *Service) newNumber(t *tenants.Tenant, prefix string) (string, error) {
	d, err := s.draw(6)
	if err != nil {
		return "", err
	}
	return prefix + s.now().In(t.Location()).Format("060102") + d, nil
}

// withUniqueNumber runs insert (which draws its numbers) until no number
// it drew was taken. Each attempt runs in a savepoint, so a unique
// violation (which aborts a PostgreSQL transaction) is rolled back alone.
// An insert failing for another reason returns that error.
func (s *Service) withUniqueNumber(ctx context.Context, tx bun.IDB, insert func() error) error {
	for attempt := 0; ; attempt++ {
		if _, err := tx.ExecContext(ctx, "SAVEPOINT order_number"); err != nil {
			return fmt.Errorf("savepoint: %w", err)
		}
		err := insert()
		if err == nil {
			_, err = tx.ExecContext(ctx, "RELEASE SAVEPOINT order_number")
			return err
		}
		if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT order_number"); rerr != nil {
			return fmt.Errorf("rollback to savepoint: %w (after %v)", rerr, err)
		}
		if !db.IsUniqueViolation(err) || !strings.Contains(err.Error(), "number") || attempt+1 >= numberAttempts {
			return err
		}
	}
}

// FindByKey returns the checkout group user userID placed with
// idempotency key key — the group alone, without its orders — for
// replay: the caller compares RequestHash and answers Response. Returns
// NotFound when there is none.
func (s *Service) FindByKey(ctx context.Context, idb bun.IDB, userID, key string) (*Group, error) {
	if !validID(userID) || key == "" {
		return nil, errNotFound
	}
	g := new(Group)
	err := db.Select(ctx, idb, g).Where("g.user_id = ?", userID).Where("g.idempotency_key = ?", key).Scan(ctx)
	if err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return g, nil
}

// KeyRef is one shopper's idempotency key.
type KeyRef struct{ UserID, Key string }

// FindByKeys is FindByKey for many keys at once (one statement): the
// groups found, by key; keys without a group are absent.
func (s *Service) FindByKeys(ctx context.Context, idb bun.IDB, refs []KeyRef) (map[KeyRef]*Group, error) {
	out := map[KeyRef]*Group{}
	var users, keys []string
	for _, r := range refs {
		if !validID(r.UserID) || r.Key == "" {
			continue
		}
		users, keys = append(users, r.UserID), append(keys, r.Key)
	}
	if len(users) == 0 {
		return out, nil
	}
	var gs []*Group
	err := db.Select(ctx, idb, &gs).Column("g.id", "g.user_id", "g.idempotency_key", "g.request_hash", "g.response").
		Where("g.user_id IN (?)", bun.List(users)).Where("g.idempotency_key IN (?)", bun.List(keys)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("find checkout groups by key: %w", err)
	}
	want := map[KeyRef]bool{}
	for _, r := range refs {
		want[r] = true
	}
	for _, g := range gs {
		if k := (KeyRef{g.UserID, g.IdempotencyKey}); want[k] {
			out[k] = g
		}
	}
	return out, nil
}

// Group returns checkout group id with its orders and their lines.
// Returns NotFound for ids that are not the tenant's.
func (s *Service) Group(ctx context.Context, idb bun.IDB, id string) (*Group, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	g := new(Group)
	if err := db.Select(ctx, idb, g).Where("g.id = ?", id).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return g, s.groupOrders(ctx, idb, g)
}

func (s *Service) groupOrders(ctx context.Context, idb bun.IDB, g *Group) error {
	g.Orders = []*Order{}
	if err := db.Select(ctx, idb, &g.Orders).Where("o.group_id = ?", g.ID).Order("o.number").Scan(ctx); err != nil {
		return fmt.Errorf("read orders of group %s: %w", g.ID, err)
	}
	return attach(ctx, idb, g.Orders, partLines)
}

// StoreResponse keeps the answer checkout gave for group id, to replay it
// on a retry with the same idempotency key.
func (s *Service) StoreResponse(ctx context.Context, tx bun.IDB, id, response string) error {
	res, err := db.Update(ctx, tx, (*Group)(nil)).Set("response = ?", response).Set("updated_at = ?", s.now().UTC()).
		Where("g.id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("store response of group %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errNotFound
	}
	return nil
}

// MarkPaid moves every order of group id still in pending_payment to
// paid, with payment status paymentStatus: "paid" (settled) or "due"
// (offline, collected on pickup or delivery), in tx; the group becomes
// paid. Marking a paid group again is a no-op. Returns Invalid for
// another payment status; NotFound for ids that are not the tenant's;
// Conflict when no order of the group awaits payment any more (cancelled
// by the sweep meanwhile).
func (s *Service) MarkPaid(ctx context.Context, tx bun.IDB, id, paymentStatus string) error {
	if err := checkPaymentStatus(paymentStatus); err != nil {
		return err
	}
	g, err := s.Group(ctx, tx, id)
	if err != nil {
		return err
	}
	return s.MarkGroupPaid(ctx, tx, g, paymentStatus)
}

func checkPaymentStatus(st string) error {
	if st != PaymentPaid && st != PaymentDue {
		var fe core.FieldErrors
		fe.Add("payment_status", "field.invalid")
		return fe.Err()
	}
	return nil
}

// MarkGroupPaid is MarkPaid for group g as the caller holds it (checkout,
// which just created it): g and its orders are updated in place, so the
// caller need not read them again.
func (s *Service) MarkGroupPaid(ctx context.Context, tx bun.IDB, g *Group, paymentStatus string) error {
	if err := checkPaymentStatus(paymentStatus); err != nil {
		return err
	}
	if g.Status == GroupPaid {
		return nil
	}
	now := s.now().UTC()
	var paid []string
	err := db.Update(ctx, tx, (*Order)(nil)).Set("status = ?", StatusPaid).
		Set("payment_status = ?", paymentStatus).Set("paid_at = ?", now).Set("updated_at = ?", now).
		Where("o.group_id = ?", g.ID).Where("o.status = ?", StatusPendingPayment).Returning("id").Scan(ctx, &paid)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("mark orders of group %s paid: %w", g.ID, err)
	}
	if len(paid) == 0 {
		return core.Errorf(core.Conflict, "order.error.not_awaiting_payment")
	}
	var events []*Event
	for _, o := range g.Orders {
		if slices.Contains(paid, o.ID) {
			o.Status, o.PaymentStatus, o.PaidAt, o.UpdatedAt = StatusPaid, paymentStatus, &now, now
			events = append(events, newEvent(ctx, o.ID, StatusPendingPayment, StatusPaid, System, paymentStatus, now))
		}
	}
	if err := insertEvents(ctx, tx, events); err != nil {
		return err
	}
	var hs []Happened
	for _, o := range g.Orders {
		if slices.Contains(paid, o.ID) {
			hs = append(hs, happened(EventPaid, o, now))
		}
	}
	if err := s.notify(ctx, tx, hs...); err != nil {
		return err
	}
	_, err = db.Update(ctx, tx, (*Group)(nil)).Set("status = ?", GroupPaid).Set("updated_at = ?", now).
		Where("g.id = ?", g.ID).Where("g.status = ?", GroupPendingPayment).Exec(ctx)
	if err != nil {
		return fmt.Errorf("mark group %s paid: %w", g.ID, err)
	}
	g.Status, g.UpdatedAt = GroupPaid, now
	return nil
}

func newEvent(ctx context.Context, orderID, from, to string, a Actor, note string, at time.Time) *Event {
	return &Event{TenantID: db.TenantID(ctx), ID: tenants.NewID(), OrderID: orderID, From: from, To: to,
		ActorID: a.UserID, ActorRole: a.Role, Note: note, At: at}
}

// insertEvents records events in one statement.
func insertEvents(ctx context.Context, tx bun.IDB, events []*Event) error {
	if len(events) == 0 {
		return nil
	}
	if _, err := tx.NewInsert().Model(&events).Exec(ctx); err != nil {
		return fmt.Errorf("record events of order %s: %w", events[0].OrderID, err)
	}
	return nil
}

// event records a transition of order orderID.
func (s *Service) event(ctx context.Context, tx bun.IDB, orderID, from, to string, a Actor, note string, at time.Time) error {
	return insertEvents(ctx, tx, []*Event{newEvent(ctx, orderID, from, to, a, note, at)})
}
