package payment

import (
	"context"
	"fmt"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/billing"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/uptrace/bun"
)

// ProviderOffline is the name of the offline provider.
const ProviderOffline = billing.TenderOffline

var errNotDue = core.Errorf(core.Conflict, "payment.error.not_due")

// Offline is payment on pickup or on delivery: nothing is taken at
// checkout (Pay answers due, and the ledger's order_paid entry puts what
// the shopper owes on the shop's offline receivable); the shop or its
// pickup point collects the cash and keeps it (Collect: the platform owes
// the shop that much less). A refund before collection just lowers what
// is due (the ledger's order_refunded entry credits the receivable); a
// refund of collected money is cash the shop gives back (CashReturned in
// the ledger).
type Offline struct{ s *Service }

// Name implements Provider.
func (*Offline) Name() string { return ProviderOffline }

// Pay implements Provider: the money is due on pickup or delivery.
func (*Offline) Pay(context.Context, bun.IDB, *Payment) (string, error) { return StatusDue, nil }

// Refund implements Provider: before collection nothing moves at the
// tender (less is due); after it the shop hands amountFen back in cash,
// which the ledger records.
func (o *Offline) Refund(ctx context.Context, tx bun.IDB, p *Payment, orderID string, amountFen int64, ref string) error {
	pt := p.part(orderID)
	if pt == nil {
		return errNotFound
	}
	if pt.CollectedAt == nil {
		return nil
	}
	return o.s.Billing.CashReturned(ctx, tx, billing.Collection{OrderID: orderID, OrderNumber: ref, ShopID: pt.ShopID, AmountFen: amountFen})
}

// Collect records that the shop (or its pickup point) collected the cash
// due for order orderID of offline payment paymentID: everything not
// refunded by then. It posts the collection to the ledger (billing.Collected)
// and marks the payment paid once no part is due. actorID is who collected
// ("" for the system). Returns NotFound for an unknown payment or order,
// Conflict payment.error.not_due when the payment is not offline or the
// part was collected or fully refunded already.
func (o *Offline) Collect(ctx context.Context, tx bun.IDB, paymentID, orderID, actorID string) (*Part, error) {
	s := o.s
	p, err := load(ctx, tx, s.DB.Engine, paymentID, true)
	if err != nil {
		return nil, err
	}
	pt := p.part(orderID)
	if pt == nil {
		return nil, errNotFound
	}
	if p.Provider != ProviderOffline || p.Status == StatusPending || p.Status == StatusFailed {
		return nil, errNotDue
	}
	now := s.now().UTC()
	res, err := db.Update(ctx, tx, (*Part)(nil)).Set("collected_fen = pp.amount_fen - pp.refunded_fen").Set("collected_at = ?", now).
		Where("pp.payment_id = ?", p.ID).Where("pp.order_ref = ?", orderID).
		Where("pp.collected_at IS NULL").Where("pp.refunded_fen < pp.amount_fen").Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("collect payment part: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, errNotDue
	}
	if err := db.Select(ctx, tx, pt).WherePK().Scan(ctx); err != nil {
		return nil, fmt.Errorf("read payment part: %w", err)
	}
	err = s.Billing.Collected(ctx, tx, billing.Collection{OrderID: orderID, ShopID: pt.ShopID, AmountFen: pt.CollectedFen, ActorID: actorID})
	if err != nil {
		return nil, err
	}
	if _, err := s.restatus(ctx, tx, p.ID); err != nil {
		return nil, err
	}
	return pt, nil
}
