// Package ordertest helps tests that need orders: fakes of the order
// service's dependencies that record every call (and can be told what to
// answer), and Place, which creates a checkout group through
// order.Service.Create with plausible data for SKUs that exist in the
// catalog.
package ordertest

import (
	"context"
	"fmt"
	"sync"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Restock is one recorded Stock.Restock call.
type Restock struct {
	ReservationID, SKUID string
	Qty                  int
	Ref                  string
	Actor                *string
}

// Fakes implements order.Stock, Slots, Redemptions, Money and PickupAuth,
// recording every call. A reservation is committed once Commit names it.
// Pickup operators are granted per point with Operate. The zero value is
// not ready: use New.
type Fakes struct {
	mu         sync.Mutex
	committed  map[string]bool
	operators  map[string]map[string]bool // point → user ids
	Released   []string
	Restocked  []Restock
	Unbooked   []string
	Unredeemed []string
	Refunds    []order.RefundMoney
	Collected  []string // order ids collected on pickup or delivery
	// FailRefund, when set, is what Money.Refund answers.
	FailRefund error
}

// NewFakes returns empty fakes.
func NewFakes() *Fakes {
	return &Fakes{committed: map[string]bool{}, operators: map[string]map[string]bool{}}
}

// Deps returns the order service's dependencies with f for every fake.
func (f *Fakes) Deps(d *db.DB, az *authz.Enforcer) order.Deps {
	return order.Deps{DB: d, Authz: az, Stock: f, Slots: f, Redemptions: f, Money: f, Pickup: f}
}

// Service builds an order service on f.
func (f *Fakes) Service(d *db.DB, az *authz.Enforcer) *order.Service {
	s, err := order.New(f.Deps(d, az))
	if err != nil {
		panic(err)
	}
	return s
}

// Commit marks reservation id committed.
func (f *Fakes) Commit(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.committed[id] = true
}

// Operate lets userID operate pickup point pointID.
func (f *Fakes) Operate(pointID, userID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.operators[pointID] == nil {
		f.operators[pointID] = map[string]bool{}
	}
	f.operators[pointID][userID] = true
}

// Release implements order.Stock.
func (f *Fakes) Release(_ context.Context, _ bun.IDB, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.committed[id] {
		return fmt.Errorf("release of committed reservation %s", id)
	}
	f.Released = append(f.Released, id)
	return nil
}

// Committed implements order.Stock.
func (f *Fakes) Committed(_ context.Context, _ bun.IDB, id string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.committed[id], nil
}

// Restock implements order.Stock.
func (f *Fakes) Restock(_ context.Context, _ bun.IDB, id, sku string, qty int, ref string, actor *string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.committed[id] {
		return fmt.Errorf("restock of uncommitted reservation %s", id)
	}
	f.Restocked = append(f.Restocked, Restock{id, sku, qty, ref, actor})
	return nil
}

// Unbook implements order.Slots.
func (f *Fakes) Unbook(_ context.Context, _ bun.IDB, ref string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Unbooked = append(f.Unbooked, ref)
	return nil
}

// Unredeem implements order.Redemptions.
func (f *Fakes) Unredeem(_ context.Context, _ bun.IDB, owner string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Unredeemed = append(f.Unredeemed, owner)
	return nil
}

// Refund implements order.Money.
func (f *Fakes) Refund(_ context.Context, _ bun.IDB, r order.RefundMoney) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.FailRefund != nil {
		return f.FailRefund
	}
	f.Refunds = append(f.Refunds, r)
	return nil
}

// Collect implements order.Money.
func (f *Fakes) Collect(_ context.Context, _ bun.IDB, _, orderID, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Collected = append(f.Collected, orderID)
	return nil
}

// RefundedFen sums the amounts of every recorded refund of order id.
func (f *Fakes) RefundedFen(orderID string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n int64
	for _, r := range f.Refunds {
		if r.OrderID == orderID {
			n += r.AmountFen
		}
	}
	return n
}

// CanOperate implements order.PickupAuth.
func (f *Fakes) CanOperate(_ context.Context, p *identity.Principal, pointID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p != nil && f.operators[pointID][p.UserID] {
		return nil
	}
	return core.Errorf(core.NotFound, "error.not_found")
}

// Line is a line of qty units at unitFen each, listed 20% higher, with
// discounts (amount, funded by) allocated to it.
func Line(skuID string, qty int, unitFen int64, discounts ...order.Allocation) order.LineInput {
	l := order.LineInput{SKUID: skuID, Qty: qty, UnitFen: unitFen, ListFen: unitFen * 6 / 5,
		SubtotalFen: unitFen * int64(qty), Allocations: discounts}
	for _, d := range discounts {
		l.DiscountFen += d.AmountFen
	}
	l.TotalFen = l.SubtotalFen - l.DiscountFen
	return l
}

// Discount is a 满减 allocation of amount fen funded by funder.
func Discount(amount int64, funder string) order.Allocation {
	return order.Allocation{PromotionID: tenants.NewID(), Kind: "threshold", Label: "满99减10", AmountFen: amount, FundedBy: funder}
}

// Courier is a courier delivery to regionID for feeFen less discountFen.
func Courier(regionID string, feeFen, discountFen int64) order.Delivery {
	return order.Delivery{Method: order.MethodCourier, RegionID: regionID, Recipient: "王芳", Phone: "13800138000",
		Address: "岳麓区麓山南路 1 号", FeeFen: feeFen, ShippingDiscountFen: discountFen, PromiseText: "明日达",
		BookingRef: "booking:" + tenants.NewID()}
}

// Pickup is a pickup at pointID.
func Pickup(regionID, pointID string) order.Delivery {
	return order.Delivery{Method: order.MethodPickup, RegionID: regionID, PickupPointID: pointID, Recipient: "李四",
		Phone: "13900139000", PromiseText: "今日 18:00 后可取"}
}

// Shop is shopID's part with delivery and lines and a fresh reservation
// id.
func Shop(shopID string, d order.Delivery, lines ...order.LineInput) order.ShopInput {
	return order.ShopInput{ShopID: shopID, Delivery: d, ReservationID: tenants.NewID(), Lines: lines}
}

// Input is a checkout of userID over shops, with a fresh idempotency key,
// paid through the offline provider, with a redemption owner.
func Input(userID string, shops ...order.ShopInput) order.GroupInput {
	id := tenants.NewID()
	return order.GroupInput{ID: id, UserID: userID, IdempotencyKey: "key-" + id, RequestHash: "hash-" + id,
		Provider: "offline", RedemptionOwner: "checkout:" + id, Shops: shops}
}

// Place creates in through s.Create in a transaction of its own in the
// tenant of ctx; with paymentStatus ("paid" or "due") it also marks the
// group paid and commits the reservations in f.
func Place(ctx context.Context, s *order.Service, d *db.DB, f *Fakes, in order.GroupInput, paymentStatus string) (*order.Group, error) {
	var g *order.Group
	err := d.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		if g, err = s.Create(ctx, tx, in); err != nil {
			return err
		}
		if paymentStatus == "" {
			return nil
		}
		if err := s.MarkPaid(ctx, tx, g.ID, paymentStatus); err != nil {
			return err
		}
		g, err = s.Group(ctx, tx, g.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if paymentStatus != "" && f != nil {
		for _, sh := range in.Shops {
			if sh.ReservationID != "" {
				f.Commit(sh.ReservationID)
			}
		}
	}
	return g, nil
}
