package order

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
)

// Hold returns hold id of the tenant in ctx. NotFound when there is none.
func (s *Service) Hold(ctx context.Context, idb bun.IDB, id string) (*Hold, error) {
	h := new(Hold)
	if !validID(id) {
		return nil, errNotFound
	}
	if err := db.Select(ctx, idb, h).Where("oh.id = ?", id).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return h, nil
}

// RefundRest refunds everything of order id not yet refunded (lines, and
// shipping), restocking the units, as actor a (a plugin: the system). It
// returns the refund; Conflict when nothing is left to refund or the order
// is not paid.
func (s *Service) RefundRest(ctx context.Context, tx bun.IDB, id string, a Actor, reason string) (*Refund, error) {
	if err := lock(ctx, tx, id); err != nil {
		return nil, err
	}
	o, err := loadOrder(ctx, tx, id, partLines)
	if err != nil {
		return nil, err
	}
	switch o.PaymentStatus {
	case PaymentPaid, PaymentPartiallyRefunded:
	default:
		return nil, core.Errorf(core.Conflict, "order.error.not_refundable", o.PaymentStatus)
	}
	var lines []lineRefund
	for _, l := range o.Lines {
		if left := l.Qty - l.RefundedQty; left > 0 {
			lines = append(lines, lineRefund{line: l, qty: left})
		}
	}
	if len(lines) == 0 && (o.ShippingRefunded || o.ShippingNetFen() == 0) {
		return nil, core.Errorf(core.Conflict, "order.error.not_refundable", o.PaymentStatus)
	}
	rf, err := s.refund(ctx, tx, o, refundSpec{lines: lines, whole: true, restock: true, reason: reason, actor: a})
	if err != nil {
		return nil, fmt.Errorf("refund order %s: %w", o.Number, err)
	}
	return rf, nil
}
