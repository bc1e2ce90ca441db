package order

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/validate"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// RefundInput is a shop's refund: the whole order (what is left of it) or
// some units of some lines.
type RefundInput struct {
	Lines   []RefundLineInput `json:"lines,omitempty"`
	Whole   bool              `json:"whole"`
	Restock bool              `json:"restock"`
	Reason  string            `json:"reason"`
}

// RefundLineInput is qty units of line LineID.
type RefundLineInput struct {
	LineID string `json:"line_id"`
	Qty    int    `json:"qty"`
}

// share is round(total × m / n), half up: what m of n units of a line
// totalling total are worth. share(total, n, n) is total, so refunding a
// line unit by unit gives back exactly its total.
func share(total int64, m, n int) int64 {
	if n <= 0 {
		return 0
	}
	return (2*total*int64(m) + int64(n)) / (2 * int64(n))
}

// lineRefund is qty units of one line.
type lineRefund struct {
	line *Line
	qty  int
}

// refundSpec is one refund as the service makes it.
type refundSpec struct {
	lines   []lineRefund
	whole   bool
	restock bool // recorded, and the units restocked unless cancel
	reason  string
	actor   Actor
	cancel  bool // from cancelling: cancel has given the stock back itself
}

// Refund refunds units of lines of order id of shop shopID, or with Whole
// everything not yet refunded, for shop staff: p needs PermRefund in the
// shop's domain. Each line gives back its stored total in proportion:
// refunding k more of its n units, of which r were refunded before,
// returns round(total × (r+k) / n) − round(total × r / n), so the units
// together return exactly the line's total. Shipping (fee less its
// discount) is refunded with the last units of the order. With Restock
// the units go back to stock; refunds before the order is shipped always
// restock (the goods never left the shop).
//
// After delivery (or pickup) refunds are allowed within the shop's
// returns window (its own return days when set, else the tenant's
// Settings.Returns(); 0 days closes it at delivery); later only for a
// caller who holds PermRefund in the tenant's domain (the tenant admin).
//
// Returns Invalid with field errors ("lines.{i}.qty", "lines.{i}.line_id",
// "reason") for bad input, including more units than are left of a line;
// NotFound for orders of other shops or tenants; Conflict when the order
// is unpaid, cancelled or wholly refunded, when the returns window has
// closed, or when a concurrent refund of the same line won the race.
func (s *Service) Refund(ctx context.Context, p *identity.Principal, shopID, id string, in RefundInput) (*Refund, error) {
	var fe core.FieldErrors
	in.Reason = validate.Text(&fe, "reason", in.Reason, 1, ReasonMax)
	if in.Whole && len(in.Lines) > 0 {
		fe.Add("lines", "order.field.whole_or_lines")
	}
	if !in.Whole && len(in.Lines) == 0 {
		fe.Add("lines", "order.field.whole_or_lines")
	}
	if len(in.Lines) > MaxLines {
		fe.Add("lines", "order.field.lines_count")
	}
	seen := map[string]bool{}
	for i, l := range in.Lines {
		p := "lines." + strconv.Itoa(i) + "."
		l.LineID = strings.TrimSpace(l.LineID)
		if !validID(l.LineID) {
			fe.Add(p+"line_id", "order.field.line_unknown")
		} else if seen[l.LineID] {
			fe.Add(p+"line_id", "order.field.line_repeated")
		}
		seen[l.LineID] = true
		if l.Qty < 1 || l.Qty > MaxQty {
			fe.Add(p+"qty", "order.field.qty_range")
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var rf *Refund
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if err := lock(ctx, tx, id); err != nil {
			return err
		}
		sh, o, err := s.shopOrder(ctx, tx, p, shopID, id, PermRefund, partLines)
		if err != nil {
			return err
		}
		switch {
		case o.Status == StatusCancelled:
			return core.Errorf(core.Conflict, "order.error.refund_cancelled")
		case o.PaymentStatus == PaymentUnpaid:
			return core.Errorf(core.Conflict, "order.error.refund_unpaid")
		case o.PaymentStatus == PaymentRefunded || o.PaymentStatus == PaymentVoid:
			return core.Errorf(core.Conflict, "order.error.refunded")
		}
		t := tenants.MustFromContext(ctx)
		if err := s.returnsOpen(ctx, p, t, sh.ReturnsWindow(t.Settings), o); err != nil {
			return err
		}
		byID := map[string]*Line{}
		for _, l := range o.Lines {
			byID[l.ID] = l
		}
		var lines []lineRefund
		if in.Whole {
			for _, l := range o.Lines {
				if left := l.Qty - l.RefundedQty; left > 0 {
					lines = append(lines, lineRefund{l, left})
				}
			}
		}
		for i, li := range in.Lines {
			p := "lines." + strconv.Itoa(i) + "."
			l := byID[strings.TrimSpace(li.LineID)]
			switch {
			case l == nil:
				fe.Add(p+"line_id", "order.field.line_unknown")
			case li.Qty > l.Qty-l.RefundedQty:
				fe.Add(p+"qty", "order.field.qty_above_remaining")
			default:
				lines = append(lines, lineRefund{l, li.Qty})
			}
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if len(lines) == 0 {
			return core.Errorf(core.Conflict, "order.error.refunded")
		}
		beforeShipping := o.Status == StatusPaid || o.Status == StatusAccepted || o.Status == StatusPacked
		a := actorOf(p, RoleShop)
		if rf, err = s.refund(ctx, tx, o, refundSpec{lines: lines, whole: in.Whole, restock: in.Restock || beforeShipping,
			reason: in.Reason, actor: a}); err != nil {
			return err
		}
		// Everything refunded before shipping: nothing is left to send.
		if beforeShipping && allRefunded(o) {
			_, err = s.cancel(ctx, tx, o, a, in.Reason)
		}
		return err
	})
	return rf, err
}

// returnsOpen returns nil when a refund of o may go ahead under a
// returns window of days: before delivery, within days of it, or for a
// caller with PermRefund in tenant t's domain. Otherwise Conflict:
// order.error.returns_closed naming the days, or order.error.returns_none
// for a shop that takes no returns without reason (0 days).
func (s *Service) returnsOpen(ctx context.Context, p *identity.Principal, t *tenants.Tenant, days int, o *Order) error {
	if o.DeliveredAt == nil || !s.now().After(o.DeliveredAt.Add(time.Duration(days)*24*time.Hour)) ||
		s.Authz.Allowed(ctx, p, authz.TenantDomain(t.ID), PermRefund) {
		return nil
	}
	if days == 0 {
		return core.Errorf(core.Conflict, "order.error.returns_none")
	}
	return core.Errorf(core.Conflict, "order.error.returns_closed", days)
}

func allRefunded(o *Order) bool {
	for _, l := range o.Lines {
		if l.RefundedQty < l.Qty {
			return false
		}
	}
	return true
}

// refund gives back sp.lines of o (read with its lines and discounts) in
// tx: each line's refunded_qty and refunded_fen rise with a conditional
// UPDATE on the value read (Conflict order.error.refund_race when another
// refund got there first), shipping goes back with the last units, the
// order's refunded_fen and payment status follow, the units are
// restocked when asked, the refund is recorded with its lines and an
// event, and Money returns it to the tender. o's lines are updated.
func (s *Service) refund(ctx context.Context, tx bun.IDB, o *Order, sp refundSpec) (*Refund, error) {
	now := s.now().UTC()
	g := new(Group)
	if err := db.Select(ctx, tx, g).Column("g.id", "g.provider").Where("g.id = ?", o.GroupID).Scan(ctx); err != nil {
		return nil, fmt.Errorf("read group of order %s: %w", o.ID, err)
	}
	rf := &Refund{TenantID: o.TenantID, ID: tenants.NewID(), OrderID: o.ID, Whole: sp.whole, Restock: sp.restock,
		Reason: sp.reason, Tender: g.Provider, ActorID: sp.actor.UserID, ActorRole: sp.actor.Role, CreatedAt: now,
		Lines: []*RefundLine{}}
	money := RefundMoney{RefundID: rf.ID, OrderID: o.ID, OrderNumber: o.Number, GroupID: o.GroupID, ShopID: o.ShopID,
		UserID: o.UserID, Tender: g.Provider, PaymentStatus: o.PaymentStatus, Reason: sp.reason, Cancel: sp.cancel}
	for _, lr := range sp.lines {
		l, k := lr.line, lr.qty
		r := l.RefundedQty
		amount := share(l.TotalFen, r+k, l.Qty) - l.RefundedFen
		var platform int64
		for _, d := range l.Discounts {
			if d.FundedBy == FundedByPlatform {
				platform += d.AmountFen
			}
		}
		platformPart := share(platform, r+k, l.Qty) - share(platform, r, l.Qty)
		res, err := db.Update(ctx, tx, (*Line)(nil)).Set("refunded_qty = ?", r+k).Set("refunded_fen = refunded_fen + ?", amount).
			Where("ol.id = ?", l.ID).Where("ol.refunded_qty = ?", r).Where("ol.qty >= ?", r+k).Exec(ctx)
		if err != nil {
			return nil, fmt.Errorf("refund line %s: %w", l.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil, core.Errorf(core.Conflict, "order.error.refund_race")
		}
		l.RefundedQty, l.RefundedFen = r+k, l.RefundedFen+amount
		rf.Lines = append(rf.Lines, &RefundLine{TenantID: o.TenantID, RefundID: rf.ID, LineID: l.ID, Qty: k,
			AmountFen: amount, Restock: sp.restock})
		money.Lines = append(money.Lines, RefundMoneyLine{LineID: l.ID, SKUID: l.SKUID, Qty: k, AmountFen: amount,
			PlatformFundedFen: platformPart})
		rf.AmountFen += amount
	}
	all := allRefunded(o)
	if all && !o.ShippingRefunded && o.ShippingNetFen() > 0 {
		res, err := db.Update(ctx, tx, (*Order)(nil)).Set("shipping_refunded = ?", true).
			Where("o.id = ?", o.ID).Where("o.shipping_refunded = ?", false).Exec(ctx)
		if err != nil {
			return nil, fmt.Errorf("refund shipping of order %s: %w", o.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil, core.Errorf(core.Conflict, "order.error.refund_race")
		}
		o.ShippingRefunded = true
		rf.ShippingFen = o.ShippingNetFen()
		rf.AmountFen += rf.ShippingFen
	}
	status := PaymentPartiallyRefunded
	switch {
	case o.PaymentStatus == PaymentDue && all:
		status = PaymentVoid
	case o.PaymentStatus == PaymentDue:
		status = PaymentDue
	case all:
		status = PaymentRefunded
	}
	_, err := db.Update(ctx, tx, (*Order)(nil)).Set("refunded_fen = refunded_fen + ?", rf.AmountFen).
		Set("payment_status = ?", status).Set("updated_at = ?", now).Where("o.id = ?", o.ID).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("record refund of order %s: %w", o.ID, err)
	}
	o.RefundedFen += rf.AmountFen
	o.PaymentStatus = status
	if _, err := tx.NewInsert().Model(rf).Exec(ctx); err != nil {
		return nil, fmt.Errorf("record refund of order %s: %w", o.ID, err)
	}
	if len(rf.Lines) > 0 {
		if _, err := tx.NewInsert().Model(&rf.Lines).Exec(ctx); err != nil {
			return nil, fmt.Errorf("record refund lines of order %s: %w", o.ID, err)
		}
	}
	if sp.restock && !sp.cancel && o.ReservationID != nil {
		ref := "order:" + o.Number + " refund:" + rf.ID
		for _, lr := range rf.Lines {
			l := lineByID(o, lr.LineID)
			if err := s.Stock.Restock(ctx, tx, *o.ReservationID, l.SKUID, lr.Qty, ref, sp.actor.UserID); err != nil {
				return nil, fmt.Errorf("refund of order %s: restock: %w", o.Number, err)
			}
		}
	}
	note := "refund " + rf.ID + " " + strconv.FormatInt(rf.AmountFen, 10) + " fen"
	if err := s.event(ctx, tx, o.ID, o.Status, o.Status, sp.actor, note, now); err != nil {
		return nil, err
	}
	money.AmountFen, money.ShippingFen = rf.AmountFen, rf.ShippingFen
	if err := s.Money.Refund(ctx, tx, money); err != nil {
		return nil, fmt.Errorf("refund of order %s: %w", o.Number, err)
	}
	if !sp.cancel {
		if err := s.notify(ctx, tx, happened(EventRefunded, o, now)); err != nil {
			return nil, err
		}
	}
	return rf, nil
}

func lineByID(o *Order, id string) *Line {
	for _, l := range o.Lines {
		if l.ID == id {
			return l
		}
	}
	return nil
}
