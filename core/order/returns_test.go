package order_test

import (
	"errors"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/tenants"
)

// delivered places a paid checkout and takes shop 1's order to delivered
// at the env's clock; it returns that order.
func (e *env) delivered() *order.Order {
	e.t.Helper()
	g := e.place(order.PaymentPaid, tenants.NewID())
	var id string
	for _, o := range g.Orders {
		if o.ShopID == e.shop.ID {
			id = o.ID
		}
	}
	for _, in := range []order.TransitionInput{{To: order.StatusAccepted}, {To: order.StatusPacked},
		{To: order.StatusShipped, Courier: "顺丰", TrackingNo: "SF1"}, {To: order.StatusDelivered}} {
		if _, err := e.svc.Transition(e.ctx, e.owner, e.shop.ID, id, in); err != nil {
			e.t.Fatal(err)
		}
	}
	return e.order(id)
}

// setReturnDays sets shop 1's own returns window (nil: the tenant's).
func (e *env) setReturnDays(days *int) {
	e.t.Helper()
	in := merchant.ProfileInput{Name: e.shop.Name, ContactPhone: "13800138000", ReturnDays: days}
	if _, err := e.a.Merchants.UpdateProfile(e.ctx, e.owner, e.shop.ID, in); err != nil {
		e.t.Fatal(err)
	}
}

func wantClosed(t *testing.T, err error, key string, args ...any) {
	t.Helper()
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Code != core.Conflict || ce.Message != key || len(ce.Args) != len(args) {
		t.Fatalf("want conflict %s %v, got %v", key, args, err)
	}
	for i := range args {
		if ce.Args[i] != args[i] {
			t.Fatalf("want conflict %s %v, got args %v", key, args, ce.Args)
		}
	}
}

// TestShopReturnsWindow: a shop's own returns window replaces the
// tenant's (7 days): with 15 days the owner refunds on day 10 and is
// refused on day 16 (naming 15 days), when the admin still refunds; with
// 0 days (no returns without reason) the owner is refused right after
// delivery and the admin refunds; cleared, the tenant's 7 days hold
// again.
func TestShopReturnsWindow(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		fifteen, zero := 15, 0
		unit := func(o *order.Order) order.RefundInput {
			return order.RefundInput{Lines: []order.RefundLineInput{{LineID: o.Lines[1].ID, Qty: 1}}, Reason: "不想要了"}
		}
		refund := func(who *identity.Principal, o *order.Order) error {
			_, err := e.svc.Refund(e.ctx, who, e.shop.ID, o.ID, unit(o))
			return err
		}

		e.setReturnDays(&fifteen)
		o := e.delivered()
		e.advance(10 * 24 * time.Hour) // past the tenant's 7 days, inside the shop's 15
		if err := refund(e.owner, o); err != nil {
			t.Fatalf("day 10 of 15: %v", err)
		}
		e.advance(6 * 24 * time.Hour) // day 16
		wantClosed(t, refund(e.owner, o), "order.error.returns_closed", 15)
		if got := e.order(o.ID); got.Lines[1].RefundedQty != 1 {
			t.Fatalf("a refused refund was written: %d units refunded", got.Lines[1].RefundedQty)
		}
		if err := refund(e.admin, o); err != nil {
			t.Fatalf("admin after the shop's window: %v", err)
		}
		if got := e.order(o.ID); got.Lines[1].RefundedQty != 2 {
			t.Fatalf("after the admin's refund: %d units refunded", got.Lines[1].RefundedQty)
		}

		// 0 days: no returns without reason; before delivery refunds go on.
		e.setReturnDays(&zero)
		o = e.delivered()
		e.advance(time.Minute)
		wantClosed(t, refund(e.owner, o), "order.error.returns_none")
		if err := refund(e.admin, o); err != nil {
			t.Fatalf("admin with no returns: %v", err)
		}
		g := e.place(order.PaymentPaid, tenants.NewID())
		for _, x := range g.Orders {
			if x.ShopID == e.shop.ID {
				if err := refund(e.owner, e.order(x.ID)); err != nil {
					t.Fatalf("refund before delivery with 0 days: %v", err)
				}
			}
		}

		// Cleared: the tenant's 7 days again.
		e.setReturnDays(nil)
		o = e.delivered()
		e.advance(6 * 24 * time.Hour)
		if err := refund(e.owner, o); err != nil {
			t.Fatalf("day 6 of the tenant's 7: %v", err)
		}
		e.advance(2 * 24 * time.Hour)
		wantClosed(t, refund(e.owner, o), "order.error.returns_closed", tenants.DefaultReturnDays)
	})
}
