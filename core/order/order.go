// Package order holds what a checkout produces and what happens to it
// afterwards: checkout groups (one payment over many shops) and their shop
// orders with lines and the stored discount allocation of every line; the
// order state machine with every transition recorded; named holds;
// cancellation (by the shopper, the shop or the unpaid-order sweep) that
// gives back stock, the delivery slot, coupon uses and money; refunds of
// whole orders or single lines; the pickup handover; and the public order
// lookup.
//
// Order numbers are yyMMdd (in the tenant's zone) followed by 6 random
// digits, e.g. 260310482913: short enough to read out on the phone,
// lock-free to make (no counter row every checkout would queue on), and
// unique per tenant by a unique index; a number already taken is drawn
// again inside a savepoint. Pickup codes are 6 random digits.
//
// Every status change is one conditional UPDATE (… WHERE status = the
// status read), so of two concurrent transitions exactly one wins and the
// other answers Conflict naming the status it found. Refunds raise a
// line's refunded_qty the same way (… WHERE refunded_qty = the value
// read), so concurrent refunds can never return more than was paid.
//
// The package depends on stock, delivery slots, coupon redemptions and
// money through the small interfaces below, declared here and implemented
// over core/inventory, core/fulfil, core/promo and core/payment+billing by
// the application (core/app); none may be nil.
//
// Every method works in the tenant carried by ctx and answers NotFound for
// ids of other tenants, and for orders outside the caller's reach.
package order

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/uptrace/bun"
)

// Stock is what orders need of the inventory: the units of an order's
// reservation go back when the order is cancelled or refunded with
// restock.
type Stock interface {
	// Release gives back the units of a reservation that was never
	// committed. Releasing one already released or expired is a no-op.
	Release(ctx context.Context, tx bun.IDB, reservationID string) error
	// Committed reports whether the reservation was committed: its units
	// left stock when the order was paid.
	Committed(ctx context.Context, idb bun.IDB, reservationID string) (bool, error)
	// Restock puts qty units of skuID sold under the committed reservation
	// back into stock (the lots they came from). ref names the order and
	// refund; actor is the user who asked, nil for the system.
	Restock(ctx context.Context, tx bun.IDB, reservationID, skuID string, qty int, ref string, actor *string) error
}

// Slots is what orders need of delivery (core/fulfil): a cancelled
// order's booked slot capacity is freed.
type Slots interface {
	// Unbook frees the slot booked under ref; unknown refs are a no-op.
	Unbook(ctx context.Context, tx bun.IDB, ref string) error
}

// Redemptions is what orders need of promotions (core/promo): when every
// order of a checkout group is cancelled, the coupon and flash-sale uses
// it took are given back.
type Redemptions interface {
	// Unredeem gives back every use redeemed under owner (the group's
	// RedemptionOwner); a second call is a no-op.
	Unredeem(ctx context.Context, tx bun.IDB, owner string) error
}

// Money is what orders need of payment and the ledger: a refund goes back
// to the tender it was paid with and is posted in the ledger, in tx.
type Money interface {
	// Refund returns r.AmountFen to r.Tender and posts it. For a due
	// (offline, not yet collected) payment nothing was collected: the
	// receivable is reduced instead.
	Refund(ctx context.Context, tx bun.IDB, r RefundMoney) error
	// Collect records that the cash due for order orderID (paid on pickup
	// or delivery) of group groupID was collected by actorID ("" for the
	// system) when the goods were handed over.
	Collect(ctx context.Context, tx bun.IDB, groupID, orderID, actorID string) error
}

// PickupAuth decides whether a principal operates a pickup point
// (core/fulfil implements it).
type PickupAuth interface {
	// CanOperate returns nil when p may hand over orders at pointID;
	// NotFound when the point is not the tenant's or not p's; Forbidden
	// when p may see it but not operate it.
	CanOperate(ctx context.Context, p *identity.Principal, pointID string) error
}

// RefundMoney is one refund as Money sees it.
type RefundMoney struct {
	RefundID    string
	OrderID     string
	OrderNumber string
	GroupID     string
	ShopID      string
	UserID      string
	// Tender is the payment provider of the group (offline, balance, …).
	Tender string
	// PaymentStatus is the order's payment status before the refund:
	// paid, partially_refunded or due.
	PaymentStatus string
	// AmountFen is the whole refund: lines plus ShippingFen.
	AmountFen   int64
	ShippingFen int64
	Lines       []RefundMoneyLine
	Reason      string
	// Cancel is true when the refund comes from cancelling the order.
	Cancel bool
}

// RefundMoneyLine is one line's part of a refund. PlatformFundedFen is the
// share of the platform-funded discounts the refunded units carried (the
// ledger reverses that much of the platform's contribution).
type RefundMoneyLine struct {
	LineID            string
	SKUID             string
	Qty               int
	AmountFen         int64
	PlatformFundedFen int64
}

// Deps are the services orders use. None may be nil.
type Deps struct {
	DB          *db.DB
	Authz       *authz.Enforcer
	Stock       Stock
	Slots       Slots
	Redemptions Redemptions
	Money       Money
	Pickup      PickupAuth
}

// Service is the order context's API.
type Service struct {
	Deps
	now      func() time.Time
	draw     func(n int) (string, error) // n random digits of a new number
	lookups  *limiter                    // public lookups per tenant and client IP
	handover *limiter                    // failed handovers per order
	// listeners receive order events (OnEvent).
	listeners []Listener
}

// Permissions.
const (
	PermManage = "order:manage" // a shop's orders (shop domain); every order (tenant domain)
	PermRefund = "order:refund" // refunds (shop domain); after the returns window (tenant domain)
)

// Limits of the input and of the throttles.
const (
	MaxQty          = 9999
	MaxLines        = 200
	MaxShops        = 50
	MaxDiscounts    = 20
	NoteMax         = 200
	ReasonMax       = 200
	CourierMax      = 40
	TrackingMax     = 60
	HoldNameMax     = 40
	RecipientMax    = 40
	AddressMax      = 200
	KeyMax          = 100
	LookupsPerIP    = 20 // public lookups per client IP and tenant in LookupWindow
	LookupWindow    = 10 * time.Minute
	HandoverTries   = 5 // wrong codes or names for one order before it is locked for HandoverLock
	HandoverLock    = 15 * time.Minute
	numberAttempts  = 8
	pickupCodeDigit = 6
)

// New returns the service; it refuses missing dependencies, so that a
// forgotten one fails at start rather than skipping stock or money.
func New(d Deps) (*Service, error) {
	var missing []string
	if d.DB == nil {
		missing = append(missing, "DB")
	}
	if d.Authz == nil {
		missing = append(missing, "Authz")
	}
	if d.Stock == nil {
		missing = append(missing, "Stock")
	}
	if d.Slots == nil {
		missing = append(missing, "Slots")
	}
	if d.Redemptions == nil {
		missing = append(missing, "Redemptions")
	}
	if d.Money == nil {
		missing = append(missing, "Money")
	}
	if d.Pickup == nil {
		missing = append(missing, "Pickup")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("order: missing dependencies %v", missing)
	}
	return &Service{Deps: d, now: time.Now, draw: digits,
		lookups:  newLimiter(LookupsPerIP, LookupWindow, LookupWindow),
		handover: newLimiter(HandoverTries, HandoverLock, HandoverLock),
	}, nil
}

// NotWired implements Stock, Slots, Redemptions, Money and PickupAuth by
// failing: for wiring a dependency that does not exist yet, so that its
// absence shows as an error, never as a silent skip.
type NotWired string

var errNotWired = errors.New("not wired")

// Release implements Stock.
func (n NotWired) Release(context.Context, bun.IDB, string) error { return n.err() }

// Committed implements Stock.
func (n NotWired) Committed(context.Context, bun.IDB, string) (bool, error) { return false, n.err() }

// Restock implements Stock.
func (n NotWired) Restock(context.Context, bun.IDB, string, string, int, string, *string) error {
	return n.err()
}

// Unbook implements Slots.
func (n NotWired) Unbook(context.Context, bun.IDB, string) error { return n.err() }

// Unredeem implements Redemptions.
func (n NotWired) Unredeem(context.Context, bun.IDB, string) error { return n.err() }

// Refund implements Money.
func (n NotWired) Refund(context.Context, bun.IDB, RefundMoney) error { return n.err() }

// Collect implements Money.
func (n NotWired) Collect(context.Context, bun.IDB, string, string, string) error { return n.err() }

// CanOperate implements PickupAuth.
func (n NotWired) CanOperate(context.Context, *identity.Principal, string) error { return n.err() }

func (n NotWired) err() error { return fmt.Errorf("order: %s: %w", string(n), errNotWired) }

var (
	errNotFound = core.Errorf(core.NotFound, "error.not_found")
)

func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil
}

// Actor is who makes a change: a user with the role they act in, or the
// system (UserID nil).
type Actor struct {
	UserID *string
	Role   string
}

// System is the actor of checkout and sweeps.
var System = Actor{Role: RoleSystem}

func actorOf(p *identity.Principal, role string) Actor {
	id := p.UserID
	return Actor{UserID: &id, Role: role}
}

// errConflictStatus is the Conflict for a transition the state machine
// does not allow from the order's current status.
func errConflictStatus(current, to string) error {
	return core.Errorf(core.Conflict, "order.error.transition", current, to)
}
