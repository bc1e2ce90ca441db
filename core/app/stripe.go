package app

import (
	"context"

	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/core/payment"
	"github.com/jishi-dev/jishi/core/stripepay"
	"github.com/uptrace/bun"
)

// wireStripe registers the Stripe provider and what Stripe's settlements
// do: a checkout paid by webhook marks its orders paid and posts them to
// the ledger, in the transaction that records the event.
func (a *App) wireStripe() {
	a.Stripe = stripepay.New(stripepay.Deps{
		DB: a.DB, Authz: a.Authz, Billing: a.Billing, Payments: a.Payments, Jobs: a.Jobs,
	}, a.Config.Stripe)
	a.Stripe.Paid = func(ctx context.Context, tx bun.IDB, p *payment.Payment) error {
		g, err := a.Orders.Group(ctx, tx, p.GroupRef)
		if err != nil {
			return err
		}
		// The units held since checkout are sold now.
		for _, o := range g.Orders {
			if o.ReservationID != nil {
				if _, err := a.Inventory.Commit(ctx, tx, *o.ReservationID); err != nil {
					return err
				}
			}
		}
		if err := a.Orders.MarkGroupPaid(ctx, tx, g, order.PaymentPaid); err != nil {
			return err
		}
		ms := make([]billing.OrderMoney, len(g.Orders))
		for i, o := range g.Orders {
			ms[i] = orderMoney(g, o)
		}
		return a.Billing.OrdersPaid(ctx, tx, ms)
	}
	a.Stripe.Cancelled = func(ctx context.Context, tx bun.IDB, groupRef string) (bool, error) {
		g, err := a.Orders.Group(ctx, tx, groupRef)
		if err != nil {
			return false, err
		}
		if g.Status == order.GroupCancelled {
			return true, nil
		}
		for _, o := range g.Orders {
			if o.Status != order.StatusPendingPayment {
				return o.Status == order.StatusCancelled, nil
			}
		}
		return false, nil
	}
	a.Stripe.ShopUsable = func(ctx context.Context, idb bun.IDB, shopID string) (bool, error) {
		var status string
		err := idb.NewSelect().Model((*merchant.Shop)(nil)).Column("status").Where("tenant_id = ?", db.TenantID(ctx)).
			Where("id = ?", shopID).Scan(ctx, &status)
		if err != nil {
			return false, err
		}
		return status == merchant.ShopActive, nil
	}
}
