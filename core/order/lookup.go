package order

import (
	"context"
	"regexp"
	"strings"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
	"golang.org/x/text/unicode/norm"
)

// LookupResult is what the public order lookup (订单查询) tells anyone
// holding an order number and the last 4 digits of its phone: no names,
// no address, no contents.
type LookupResult struct {
	Number    string `json:"number"`
	PlacedOn  string `json:"placed_on"` // YYYY-MM-DD in the tenant's zone
	Paid      bool   `json:"paid"`
	Shipped   bool   `json:"shipped"` // shipped or ready for pickup
	ShippedOn string `json:"shipped_on,omitempty"`
	Status    string `json:"status"`
}

var (
	fourDigits = regexp.MustCompile(`^[0-9]{4}$`)
	numberRE   = regexp.MustCompile(`^[0-9]{12}$`)
)

// Lookup finds order number by the last 4 digits of its phone, for
// anyone: clientIP is the caller's address. Every well-formed lookup
// counts against LookupsPerIP per tenant and address in LookupWindow;
// past it, TooManyRequests (with a RetryAfter cause) until the window
// ends. Returns Invalid with field errors for a malformed number or
// phone_last4; NotFound for a wrong combination (never saying which part
// was wrong).
func (s *Service) Lookup(ctx context.Context, clientIP, number, phoneLast4 string) (*LookupResult, error) {
	t := tenants.MustFromContext(ctx)
	var fe core.FieldErrors
	number = NormalizeNumber(number)
	if !numberRE.MatchString(number) {
		fe.Add("number", "order.field.number")
	}
	phoneLast4 = norm.NFKC.String(strings.TrimSpace(phoneLast4))
	if !fourDigits.MatchString(phoneLast4) {
		fe.Add("phone_last4", "order.field.phone_last4")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	key := t.ID + "|" + clientIP
	now := s.now()
	if d := s.lookups.blocked(key, now); d > 0 {
		return nil, tooMany(d)
	}
	s.lookups.count(key, now)
	o := new(Order)
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		return db.Select(ctx, tx, o).Column("o.number", "o.phone", "o.status", "o.payment_status", "o.placed_at", "o.shipped_at").
			Where("o.number = ?", number).Scan(ctx)
	})
	if err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	if !strings.HasSuffix(o.Phone, phoneLast4) {
		return nil, errNotFound
	}
	loc := t.Location()
	r := &LookupResult{Number: o.Number, PlacedOn: o.PlacedAt.In(loc).Format("2006-01-02"), Status: o.Status}
	switch o.PaymentStatus {
	case PaymentPaid, PaymentPartiallyRefunded, PaymentRefunded:
		r.Paid = true
	}
	if o.ShippedAt != nil {
		r.Shipped = true
		r.ShippedOn = o.ShippedAt.In(loc).Format("2006-01-02")
	}
	return r, nil
}
