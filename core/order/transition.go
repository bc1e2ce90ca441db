package order

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/validate"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// next is the state machine: the statuses each status may move to.
var next = map[string][]string{
	StatusPendingPayment: {StatusPaid, StatusCancelled},
	StatusPaid:           {StatusAccepted, StatusCancelled},
	StatusAccepted:       {StatusPacked, StatusCancelled},
	StatusPacked:         {StatusShipped, StatusReadyForPickup, StatusCancelled},
	StatusShipped:        {StatusDelivered},
	StatusReadyForPickup: {StatusPickedUp},
	StatusDelivered:      {StatusCompleted},
	StatusPickedUp:       {StatusCompleted},
}

// CanMove reports whether the state machine allows from → to.
func CanMove(from, to string) bool { return slices.Contains(next[from], to) }

// held are the statuses a standing hold keeps an order from reaching.
var held = []string{StatusAccepted, StatusPacked, StatusShipped, StatusReadyForPickup}

// stamp is the timestamp column a status sets.
var stamp = map[string]string{
	StatusPaid: "paid_at", StatusAccepted: "accepted_at", StatusPacked: "packed_at",
	StatusShipped: "shipped_at", StatusReadyForPickup: "shipped_at",
	StatusDelivered: "delivered_at", StatusPickedUp: "delivered_at",
	StatusCompleted: "completed_at", StatusCancelled: "cancelled_at",
}

// shopTargets are the statuses shop staff move orders to (cancelling
// included).
var shopTargets = []string{StatusAccepted, StatusPacked, StatusShipped, StatusReadyForPickup, StatusDelivered,
	StatusCompleted, StatusCancelled}

// TransitionInput is a shop's request to move an order on.
type TransitionInput struct {
	To         string `json:"to"`
	Courier    string `json:"courier,omitempty"`     // shipped: the courier (顺丰, 京东…)
	TrackingNo string `json:"tracking_no,omitempty"` // shipped: the waybill number
	Note       string `json:"note,omitempty"`        // recorded on the event; the reason when cancelling
}

// check validates in for order o.
func (in *TransitionInput) check(fe *core.FieldErrors) {
	if !slices.Contains(shopTargets, in.To) {
		fe.Add("to", "order.field.to_invalid")
	}
	in.Courier = validate.Text(fe, "courier", in.Courier, 0, CourierMax)
	in.TrackingNo = validate.Text(fe, "tracking_no", in.TrackingNo, 0, TrackingMax)
	in.Note = validate.Text(fe, "note", in.Note, 0, NoteMax)
	if in.To == StatusShipped {
		if in.Courier == "" {
			fe.Add("courier", "field.required")
		}
		if in.TrackingNo == "" {
			fe.Add("tracking_no", "field.required")
		}
	} else if in.Courier != "" || in.TrackingNo != "" {
		fe.Add("courier", "order.field.courier_only_shipped")
	}
}

// Transition moves order id of shop shopID to in.To for shop staff: p
// needs PermManage in the shop's domain. Accepted, packed, shipped (with
// courier and tracking number; not for pickup orders), ready_for_pickup
// (pickup orders only), delivered, completed, and cancelled (with the
// note as reason; see Cancel for what cancelling gives back).
//
// Returns Invalid with field errors for bad input; NotFound for orders of
// other shops or tenants; Conflict order.error.transition naming the
// current status when the state machine does not allow the move (also
// when another transition won the race), order.error.held naming the
// standing hold, or order.error.method for shipping a pickup order.
func (s *Service) Transition(ctx context.Context, p *identity.Principal, shopID, id string, in TransitionInput) (*Order, error) {
	var fe core.FieldErrors
	in.To = strings.TrimSpace(in.To)
	in.check(&fe)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var o *Order
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		if err := lock(ctx, tx, id); err != nil {
			return err
		}
		if _, o, err = s.shopOrder(ctx, tx, p, shopID, id, PermManage, partLines); err != nil {
			return err
		}
		a := actorOf(p, RoleShop)
		if in.To == StatusCancelled {
			o, err = s.cancel(ctx, tx, o, a, in.Note)
			return err
		}
		o, err = s.move(ctx, tx, o, in.To, a, in.Note, func(q *bun.UpdateQuery) *bun.UpdateQuery {
			if in.To == StatusShipped {
				q = q.Set("courier = ?", in.Courier).Set("tracking_no = ?", in.TrackingNo)
			}
			return q
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.reread(ctx, o.ID)
}

func (s *Service) reread(ctx context.Context, id string) (*Order, error) {
	var o *Order
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		o, err = loadOrder(ctx, tx, id, partAll)
		return err
	})
	return o, err
}

// move is one transition of o to status to: checked against the state
// machine, the delivery method and standing holds, then written with a
// conditional UPDATE on o's status and recorded as an event. set adds
// columns to the UPDATE.
func (s *Service) move(ctx context.Context, tx bun.IDB, o *Order, to string, a Actor, note string, set func(*bun.UpdateQuery) *bun.UpdateQuery) (*Order, error) {
	if !CanMove(o.Status, to) {
		return nil, errConflictStatus(o.Status, to)
	}
	pickup := o.DeliveryMethod == MethodPickup
	if (to == StatusShipped || to == StatusDelivered) && pickup || (to == StatusReadyForPickup || to == StatusPickedUp) && !pickup {
		return nil, core.Errorf(core.Conflict, "order.error.method", o.DeliveryMethod, to)
	}
	if slices.Contains(held, to) {
		var names []string
		err := db.Select(ctx, tx, (*Hold)(nil)).Column("oh.name").Where("oh.order_id = ?", o.ID).
			Where("oh.released_at IS NULL").Order("oh.name").Scan(ctx, &names)
		if err != nil {
			return nil, fmt.Errorf("read holds of order %s: %w", o.ID, err)
		}
		if len(names) > 0 {
			return nil, core.Errorf(core.Conflict, "order.error.held", strings.Join(names, ", "))
		}
	}
	now := s.now().UTC()
	q := db.Update(ctx, tx, (*Order)(nil)).Set("status = ?", to).Set("updated_at = ?", now).
		Where("o.id = ?", o.ID).Where("o.status = ?", o.Status)
	if col := stamp[to]; col != "" {
		q = q.Set("? = ?", bun.Ident(col), now)
	}
	if set != nil {
		q = set(q)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("move order %s to %s: %w", o.ID, to, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		cur, err := loadOrder(ctx, tx, o.ID, 0)
		if err != nil {
			return nil, err
		}
		return nil, errConflictStatus(cur.Status, to)
	}
	if err := s.event(ctx, tx, o.ID, o.Status, to, a, note, now); err != nil {
		return nil, err
	}
	switch to {
	case StatusCancelled:
		err = s.notify(ctx, tx, happened(EventCancelled, o, now))
	case StatusCompleted:
		err = s.notify(ctx, tx, happened(EventCompleted, o, now))
	}
	if err != nil {
		return nil, err
	}
	o.Status, o.UpdatedAt = to, now
	// Paid on pickup or delivery: the goods leave against the cash.
	if (to == StatusPickedUp || to == StatusDelivered) && o.PaymentStatus == PaymentDue {
		actor := ""
		if a.UserID != nil {
			actor = *a.UserID
		}
		if err := s.Money.Collect(ctx, tx, o.GroupID, o.ID, actor); err != nil {
			return nil, err
		}
		_, err := db.Update(ctx, tx, (*Order)(nil)).Set("payment_status = ?", PaymentPaid).
			Where("o.id = ?", o.ID).Where("o.payment_status = ?", PaymentDue).Exec(ctx)
		if err != nil {
			return nil, fmt.Errorf("mark order %s collected: %w", o.ID, err)
		}
		o.PaymentStatus = PaymentPaid
	}
	return o, nil
}

// CancelMine cancels p's own order id while it awaits payment or is paid
// but not yet accepted by the shop; see Cancel for what it gives back.
// Returns NotFound for another shopper's order; Conflict
// order.error.transition naming the current status otherwise; Invalid for
// an over-long reason.
func (s *Service) CancelMine(ctx context.Context, p *identity.Principal, id, reason string) (*Order, error) {
	if _, err := identity.TenantOf(ctx, p); err != nil {
		return nil, err
	}
	var fe core.FieldErrors
	reason = validate.Text(&fe, "reason", reason, 0, ReasonMax)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var o *Order
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		if err := lock(ctx, tx, id); err != nil {
			return err
		}
		if o, err = s.mine(ctx, tx, p, id); err != nil {
			return err
		}
		if o.Status != StatusPendingPayment && o.Status != StatusPaid {
			return errConflictStatus(o.Status, StatusCancelled)
		}
		o, err = s.cancel(ctx, tx, o, actorOf(p, RoleShopper), reason)
		return err
	})
	if err != nil {
		return nil, err
	}
	o, err = s.reread(ctx, o.ID)
	if o != nil {
		o.Holds = nil
	}
	return o, err
}

// Cancel cancels order id for the system (a sweep, a plugin), in tx; see
// cancel for what it gives back. Conflict order.error.transition naming
// the current status once it is shipped, ready for pickup or later.
func (s *Service) Cancel(ctx context.Context, tx bun.IDB, id string, a Actor, reason string) (*Order, error) {
	if err := lock(ctx, tx, id); err != nil {
		return nil, err
	}
	o, err := loadOrder(ctx, tx, id, partLines)
	if err != nil {
		return nil, err
	}
	return s.cancel(ctx, tx, o, a, reason)
}

// cancel moves o (with its lines) to cancelled and gives back what it
// took: the units of its reservation (released when never committed;
// otherwise the units not yet refunded are restocked), its delivery slot,
// the group's coupon and flash-sale uses once every order of the group is
// cancelled, and the money paid and not yet refunded (to the tender, in
// one refund). A due payment becomes void.
func (s *Service) cancel(ctx context.Context, tx bun.IDB, o *Order, a Actor, reason string) (*Order, error) {
	before := o.PaymentStatus
	o, err := s.move(ctx, tx, o, StatusCancelled, a, reason, func(q *bun.UpdateQuery) *bun.UpdateQuery {
		return q.Set("cancel_reason = ?", reason)
	})
	if err != nil {
		return nil, err
	}
	ref := "order:" + o.Number + " cancel"
	if o.ReservationID != nil {
		committed, err := s.Stock.Committed(ctx, tx, *o.ReservationID)
		if err != nil {
			return nil, fmt.Errorf("cancel order %s: reservation: %w", o.Number, err)
		}
		if !committed {
			if err := s.Stock.Release(ctx, tx, *o.ReservationID); err != nil {
				return nil, fmt.Errorf("cancel order %s: release stock: %w", o.Number, err)
			}
		} else {
			for _, l := range o.Lines {
				if left := l.Qty - l.RefundedQty; left > 0 {
					if err := s.Stock.Restock(ctx, tx, *o.ReservationID, l.SKUID, left, ref, a.UserID); err != nil {
						return nil, fmt.Errorf("cancel order %s: restock: %w", o.Number, err)
					}
				}
			}
		}
	}
	if o.BookingRef != "" {
		if err := s.Slots.Unbook(ctx, tx, o.BookingRef); err != nil {
			return nil, fmt.Errorf("cancel order %s: free the slot: %w", o.Number, err)
		}
	}
	switch before {
	case PaymentPaid, PaymentPartiallyRefunded, PaymentDue:
		var lines []lineRefund
		for _, l := range o.Lines {
			if left := l.Qty - l.RefundedQty; left > 0 {
				lines = append(lines, lineRefund{line: l, qty: left})
			}
		}
		if len(lines) == 0 && (o.ShippingRefunded || o.ShippingNetFen() == 0) {
			break
		}
		if _, err := s.refund(ctx, tx, o, refundSpec{lines: lines, whole: true, restock: true, reason: reason, actor: a, cancel: true}); err != nil {
			return nil, err
		}
	}
	// The group: cancelled, and its redemptions given back, once no order
	// of it stands.
	n, err := db.Select(ctx, tx, (*Order)(nil)).Where("o.group_id = ?", o.GroupID).
		Where("o.status <> ?", StatusCancelled).Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("count orders of group %s: %w", o.GroupID, err)
	}
	if n == 0 {
		g := new(Group)
		if err := db.Select(ctx, tx, g).Where("g.id = ?", o.GroupID).Scan(ctx); err != nil {
			return nil, fmt.Errorf("read group %s: %w", o.GroupID, err)
		}
		res, err := db.Update(ctx, tx, (*Group)(nil)).Set("status = ?", GroupCancelled).Set("updated_at = ?", s.now().UTC()).
			Where("g.id = ?", g.ID).Where("g.status <> ?", GroupCancelled).Exec(ctx)
		if err != nil {
			return nil, fmt.Errorf("cancel group %s: %w", g.ID, err)
		}
		if k, _ := res.RowsAffected(); k == 1 && g.RedemptionOwner != "" {
			if err := s.Redemptions.Unredeem(ctx, tx, g.RedemptionOwner); err != nil {
				return nil, fmt.Errorf("cancel group %s: give back coupon uses: %w", g.Number, err)
			}
		}
	}
	return o, nil
}

// sweepBatch is how many unpaid orders a sweep reads at a time.
const sweepBatch = 200

// CancelUnpaid cancels every order still awaiting payment longer than its
// tenant's Settings.UnpaidCancelAfter() at now — of the tenant in ctx, or
// of every tenant when ctx carries none — recording the system as actor,
// and returns how many it cancelled. Each order is cancelled in a
// transaction of its own with a conditional UPDATE, so several server
// instances may sweep at once and an order paid meanwhile is left alone.
func (s *Service) CancelUnpaid(ctx context.Context, now time.Time) (int, error) {
	var ts []*tenants.Tenant
	if t, ok := tenants.FromContext(ctx); ok {
		ts = []*tenants.Tenant{t}
	} else {
		var err error
		if ts, err = tenants.List(ctx, s.DB.DB); err != nil {
			return 0, err
		}
	}
	now = now.UTC()
	total := 0
	for _, t := range ts {
		tctx := tenants.WithTenant(ctx, t)
		before := now.Add(-t.Settings.UnpaidCancelAfter())
		after := ""
		for {
			var ids []string
			err := s.DB.RunInReadTx(tctx, func(ctx context.Context, tx bun.IDB) error {
				q := db.Select(ctx, tx, (*Order)(nil)).Column("o.id").
					Where("o.status = ?", StatusPendingPayment).Where("o.placed_at < ?", before).
					Order("o.id").Limit(sweepBatch)
				if after != "" {
					q = q.Where("o.id > ?", after)
				}
				return q.Scan(ctx, &ids)
			})
			if err != nil {
				return total, fmt.Errorf("find unpaid orders of %s: %w", t.Slug, err)
			}
			for _, id := range ids {
				err := s.DB.RunInTx(tctx, func(ctx context.Context, tx bun.IDB) error {
					if err := lock(ctx, tx, id); err != nil {
						return err
					}
					o, err := loadOrder(ctx, tx, id, partLines)
					if err != nil {
						return err
					}
					if o.Status != StatusPendingPayment {
						return nil // paid or cancelled meanwhile
					}
					_, err = s.cancel(ctx, tx, o, System, "unpaid")
					return err
				})
				if core.ErrorCode(err) == core.Conflict {
					continue // paid or cancelled between the read and the update
				}
				if err != nil {
					return total, err
				}
				total++
			}
			if len(ids) < sweepBatch {
				break
			}
			after = ids[len(ids)-1]
		}
	}
	return total, nil
}

// PlaceHold places hold name on order id in tx (the plugin host: a
// group-buy order waits until its group forms). by says who placed it.
// Placing a hold that stands already is a no-op. Returns NotFound for ids
// that are not the tenant's; Conflict once the order is shipped, ready for
// pickup, done or cancelled; Invalid for a bad name or reason.
func (s *Service) PlaceHold(ctx context.Context, tx bun.IDB, id, name, reason, by string) (*Hold, error) {
	var fe core.FieldErrors
	name = validate.Text(&fe, "name", name, 1, HoldNameMax)
	reason = validate.Text(&fe, "reason", reason, 0, ReasonMax)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	o, err := loadOrder(ctx, tx, id, 0)
	if err != nil {
		return nil, err
	}
	switch o.Status {
	case StatusPendingPayment, StatusPaid, StatusAccepted, StatusPacked:
	default:
		return nil, core.Errorf(core.Conflict, "order.error.hold_state", o.Status)
	}
	now := s.now().UTC()
	h := &Hold{TenantID: o.TenantID, ID: "", OrderID: o.ID, Name: name, Reason: reason, PlacedAt: now, PlacedBy: by}
	existing := new(Hold)
	err = db.Select(ctx, tx, existing).Where("oh.order_id = ?", o.ID).Where("oh.name = ?", name).
		Where("oh.released_at IS NULL").Scan(ctx)
	if err == nil {
		return existing, nil
	}
	if db.NotFound(err, errNotFound) != errNotFound {
		return nil, fmt.Errorf("read holds of order %s: %w", o.ID, err)
	}
	h.ID = tenants.NewID()
	if _, err := tx.NewInsert().Model(h).Exec(ctx); err != nil {
		return nil, fmt.Errorf("place hold on order %s: %w", o.ID, err)
	}
	if err := s.event(ctx, tx, o.ID, o.Status, o.Status, System, "hold:"+name+" "+reason, now); err != nil {
		return nil, err
	}
	return h, nil
}

// ReleaseHold releases the standing hold name of order id in tx; by says
// who released it. Returns NotFound when no such hold stands.
func (s *Service) ReleaseHold(ctx context.Context, tx bun.IDB, id, name, by string) error {
	o, err := loadOrder(ctx, tx, id, 0)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	res, err := db.Update(ctx, tx, (*Hold)(nil)).Set("released_at = ?", now).Set("released_by = ?", by).
		Where("oh.order_id = ?", o.ID).Where("oh.name = ?", name).Where("oh.released_at IS NULL").Exec(ctx)
	if err != nil {
		return fmt.Errorf("release hold on order %s: %w", o.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errNotFound
	}
	return s.event(ctx, tx, o.ID, o.Status, o.Status, System, "release:"+name, now)
}
