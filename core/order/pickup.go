package order

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/validate"
	"github.com/uptrace/bun"
	"golang.org/x/text/unicode/norm"
)

// PickupOrder is an order as a pickup point sees it: enough to find the
// bag and hand it over, and nothing of the address or the pickup code.
type PickupOrder struct {
	ID            string       `json:"id"`
	Number        string       `json:"number"`
	Status        string       `json:"status"`
	PaymentStatus string       `json:"payment_status"`
	Recipient     string       `json:"recipient"`
	PhoneLast4    string       `json:"phone_last4"`
	DueFen        int64        `json:"due_fen"` // to collect when the payment is due
	PlacedAt      time.Time    `json:"placed_at"`
	ReadyAt       *time.Time   `json:"ready_at,omitempty"`
	PickedUpAt    *time.Time   `json:"picked_up_at,omitempty"`
	HandedOverBy  *string      `json:"handed_over_by,omitempty"`
	Lines         []PickupLine `json:"lines"`
}

// PickupLine is a line to hand over.
type PickupLine struct {
	Name string `json:"name"`
	Spec string `json:"spec"`
	Qty  int    `json:"qty"` // less any refunded units
}

func last4(phone string) string {
	if len(phone) < 4 {
		return phone
	}
	return phone[len(phone)-4:]
}

func pickupView(o *Order) *PickupOrder {
	v := &PickupOrder{ID: o.ID, Number: o.Number, Status: o.Status, PaymentStatus: o.PaymentStatus,
		Recipient: o.Recipient, PhoneLast4: last4(o.Phone), PlacedAt: o.PlacedAt, ReadyAt: o.ShippedAt,
		HandedOverBy: o.HandedOverBy, Lines: []PickupLine{}}
	if o.Status == StatusPickedUp || o.Status == StatusCompleted {
		v.PickedUpAt = o.DeliveredAt
	}
	if o.PaymentStatus == PaymentDue {
		v.DueFen = o.TotalFen - o.RefundedFen
	}
	for _, l := range o.Lines {
		if q := l.Qty - l.RefundedQty; q > 0 {
			v.Lines = append(v.Lines, PickupLine{Name: l.Name, Spec: l.Spec, Qty: q})
		}
	}
	return v
}

// incoming are the statuses of orders a pickup point expects.
var incoming = []string{StatusPaid, StatusAccepted, StatusPacked, StatusReadyForPickup}

// PointOrders returns the orders for pickup point pointID that are ready
// for pickup or on their way (paid, accepted, packed), ready ones first,
// oldest first. p must operate the point (PickupAuth): NotFound or
// Forbidden otherwise.
func (s *Service) PointOrders(ctx context.Context, p *identity.Principal, pointID string, pg merchant.Page) ([]*PickupOrder, error) {
	if _, err := identity.TenantOf(ctx, p); err != nil {
		return nil, err
	}
	if !validID(pointID) {
		return nil, errNotFound
	}
	if err := s.Pickup.CanOperate(ctx, p, pointID); err != nil {
		return nil, err
	}
	var orders []*Order
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		q := db.Select(ctx, tx, &orders).Where("o.pickup_point_id = ?", pointID).Where("o.status IN (?)", bun.List(incoming)).
			OrderExpr("CASE WHEN o.status = ? THEN 0 ELSE 1 END", StatusReadyForPickup).Order("o.placed_at", "o.id")
		if pg.Offset > 0 {
			q = q.Offset(int64(pg.Offset))
		}
		if pg.Limit > 0 {
			q = q.Limit(int64(pg.Limit))
		}
		if err := q.Scan(ctx); err != nil {
			return fmt.Errorf("list orders of pickup point %s: %w", pointID, err)
		}
		return attach(ctx, tx, orders, partLines)
	})
	if err != nil {
		return nil, err
	}
	out := make([]*PickupOrder, len(orders))
	for i, o := range orders {
		out[i] = pickupView(o)
	}
	return out, nil
}

// HandoverInput is what the pickup operator checks: the order number the
// shopper gives, the pickup code the shopper shows, and the name on the
// shopper's ID.
type HandoverInput struct {
	Number     string `json:"number"`
	PickupCode string `json:"pickup_code"`
	Name       string `json:"name"`
}

var sixDigits = regexp.MustCompile(`^[0-9]{6}$`)

// NormalizeNumber folds an order number as people type it: full-width
// digits, spaces and dashes.
func NormalizeNumber(s string) string {
	s = norm.NFKC.String(strings.TrimSpace(s))
	return strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(s))
}

func sameName(a, b string) bool {
	f := func(s string) string {
		return strings.ToLower(strings.Join(strings.Fields(norm.NFKC.String(s)), ""))
	}
	return f(a) != "" && f(a) == f(b)
}

// Handover hands order in.Number over at pickup point pointID: the order
// must be for that point and ready for pickup, and the pickup code and
// the recipient's name must match. It moves the order to picked_up,
// recording p as who handed it over and when. p must operate the point
// (PickupAuth).
//
// Returns Invalid with field errors for malformed input; NotFound for an
// order number not awaiting pickup at this point; Invalid
// order.error.handover_mismatch (nothing written) for a wrong code or
// name; TooManyRequests after HandoverTries wrong attempts on one order
// within HandoverLock; Conflict naming the status when the order is not
// ready for pickup.
func (s *Service) Handover(ctx context.Context, p *identity.Principal, pointID string, in HandoverInput) (*PickupOrder, error) {
	t, err := identity.TenantOf(ctx, p)
	if err != nil {
		return nil, err
	}
	if !validID(pointID) {
		return nil, errNotFound
	}
	if err := s.Pickup.CanOperate(ctx, p, pointID); err != nil {
		return nil, err
	}
	var fe core.FieldErrors
	in.Number = NormalizeNumber(in.Number)
	if in.Number == "" || len(in.Number) > 20 {
		fe.Add("number", "field.invalid")
	}
	in.PickupCode = norm.NFKC.String(strings.TrimSpace(in.PickupCode))
	if !sixDigits.MatchString(in.PickupCode) {
		fe.Add("pickup_code", "order.field.pickup_code")
	}
	in.Name = validate.Text(&fe, "name", in.Name, 1, RecipientMax)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	key := t.ID + "|" + pointID + "|" + in.Number
	now := s.now()
	if d := s.handover.blocked(key, now); d > 0 {
		return nil, tooMany(d)
	}
	var o *Order
	err = s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		o = new(Order)
		err := db.Select(ctx, tx, o).Where("o.number = ?", in.Number).Where("o.pickup_point_id = ?", pointID).Scan(ctx)
		if err != nil {
			return db.NotFound(err, errNotFound)
		}
		codeOK := subtle.ConstantTimeCompare([]byte(o.PickupCode), []byte(in.PickupCode)) == 1
		if !codeOK || !sameName(o.Recipient, in.Name) {
			return errMismatch
		}
		_, err = s.move(ctx, tx, o, StatusPickedUp, actorOf(p, RolePickup), "", func(q *bun.UpdateQuery) *bun.UpdateQuery {
			return q.Set("handed_over_by = ?", p.UserID)
		})
		return err
	})
	if err != nil {
		if errors.Is(err, errMismatch) || core.IsNotFound(err) {
			s.handover.count(key, now)
		}
		return nil, err
	}
	var out *PickupOrder
	err = s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		o, err := loadOrder(ctx, tx, o.ID, partLines)
		if err == nil {
			out = pickupView(o)
		}
		return err
	})
	return out, err
}

var errMismatch = core.Errorf(core.Invalid, "order.error.handover_mismatch")

// RetryAfter is the cause inside a TooManyRequests error: how long the
// caller should wait (the HTTP layer sends it as Retry-After).
type RetryAfter struct{ Wait time.Duration }

func (r *RetryAfter) Error() string { return "retry after " + r.Wait.String() }

func tooMany(d time.Duration) error {
	return &core.Error{Code: core.TooManyRequests, Message: "order.error.too_many", Err: &RetryAfter{Wait: d}}
}
