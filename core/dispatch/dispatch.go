// Package dispatch is a shop's daily dispatch: the batch of orders to send
// out on a day, as CSV for the courier's system, pick lists per
// warehouse, printable shipping labels with the order number as QR code
// and Code128 barcode, batch mark-as-shipped, and the at-risk list of
// orders about to miss "ship within 24 h, deliver within 48 h".
//
// The day's window. Every tenant has a dispatch cut-off
// (tenants.Settings.Cutoff(), "HH:MM", the seed's 14:00) in its time zone
// (tenants.Tenant.Location()). The batch of day D holds the orders placed
// after the cut-off of day D-1 and up to and including the cut-off of day
// D: with 14:00 in Asia/Shanghai, an order placed at 13:59 (or at 14:00:00
// exactly) on 10 March is in the batch of 10 March, one placed at 14:01 is
// in the batch of 11 March. Only orders waiting to leave are in it (paid,
// accepted or packed), and not those with a standing hold (order_holds
// with released_at NULL): they are listed apart, by number, so staff know
// why they are missing. Pickup orders are in the batch too — they must be
// picked like the others — with their pickup point, so staff can sort
// them per point; they are not shipped by courier (the order service
// moves them to ready_for_pickup).
//
// The warehouse of a line is the warehouse of the lots its units were
// allocated from (core/inventory's stock_allocations of the order's
// reservation); a line whose units came from two warehouses appears in
// both pick lists with its part. Units restocked after a refund, and
// refunded units, are not picked.
//
// Every method works in the tenant carried by ctx and answers NotFound
// for shops and orders of other tenants and outside the caller's reach.
package dispatch

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Shipper is what dispatch needs of the order service (core/order
// implements it): one order moved on through the state machine, with its
// status checks, holds and events, in a transaction of its own.
type Shipper interface {
	Transition(ctx context.Context, p *identity.Principal, shopID, id string, in order.TransitionInput) (*order.Order, error)
}

// Deps are the services dispatch uses. Orders may be nil until the order
// service is wired; Ship then fails with an internal error.
type Deps struct {
	DB     *db.DB
	Authz  *authz.Enforcer
	Orders Shipper
	// Now is the clock (nil: time.Now); tests set it.
	Now func() time.Time
}

// Service is the dispatch context's API.
type Service struct{ Deps }

// New returns the service.
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{Deps: d}
}

// PermManage is the permission dispatch needs: order:manage in the shop's
// domain for a shop's dispatch, in the tenant's domain for the tenant-wide
// at-risk list.
const PermManage = order.PermManage

// Limits and defaults.
const (
	ShipWithin        = 24 * time.Hour // the promise: shipped within 24 h of the order
	DeliverWithin     = 48 * time.Hour // and delivered within 48 h
	DefaultRiskHours  = 4              // the at-risk list looks this far ahead by default
	MaxRiskHours      = 48
	MaxShip           = 200 // orders in one batch ship request
	CourierMax        = order.CourierMax
	TrackingMax       = order.TrackingMax
	DateLayout        = "2006-01-02"
	maxBatchOrders    = 5000 // a day's batch of one shop
	maxAtRiskListSize = 1000
)

var (
	errNotFound = core.Errorf(core.NotFound, "error.not_found")
)

func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil
}

// Window is the dispatch window of a day: orders placed after From, up to
// and including To (both the tenant's cut-off, on the day before and on
// the day).
type Window struct {
	Date   string    `json:"date"`   // YYYY-MM-DD in the tenant's zone
	Cutoff string    `json:"cutoff"` // HH:MM
	From   time.Time `json:"from"`   // exclusive
	To     time.Time `json:"to"`     // inclusive
}

// Contains reports whether an order placed at t belongs to w.
func (w Window) Contains(t time.Time) bool { return t.After(w.From) && !t.After(w.To) }

// cutoff reads "HH:MM"; a stored value that does not parse falls back to
// the default, so a bad setting cannot stop dispatch.
func cutoff(s string) (h, m int, text string) {
	if hh, mm, ok := strings.Cut(s, ":"); ok && len(hh) == 2 && len(mm) == 2 {
		h, err1 := strconv.Atoi(hh)
		m, err2 := strconv.Atoi(mm)
		if err1 == nil && err2 == nil && h >= 0 && h < 24 && m >= 0 && m < 60 {
			return h, m, s
		}
	}
	return 14, 0, tenants.DefaultDispatchCutoff
}

// WindowOf returns the window of day date ("YYYY-MM-DD") for tenant t.
// Returns Invalid with a field error on "date" when date is not a day.
func WindowOf(t *tenants.Tenant, date string) (Window, error) {
	d, err := time.Parse(DateLayout, date)
	if err != nil || d.Format(DateLayout) != date {
		var fe core.FieldErrors
		fe.Add("date", "dispatch.field.date")
		return Window{}, fe.Err()
	}
	loc := t.Location()
	h, m, text := cutoff(t.Settings.Cutoff())
	to := time.Date(d.Year(), d.Month(), d.Day(), h, m, 0, 0, loc)
	from := time.Date(d.Year(), d.Month(), d.Day()-1, h, m, 0, 0, loc)
	return Window{Date: date, Cutoff: text, From: from, To: to}, nil
}

// DayOf returns the day whose batch an order placed at t belongs to, in
// tenant t's zone: the same day up to the cut-off, the next day after it.
func DayOf(tn *tenants.Tenant, t time.Time) string {
	lt := t.In(tn.Location())
	w, _ := WindowOf(tn, lt.Format(DateLayout))
	if lt.After(w.To) {
		return lt.AddDate(0, 0, 1).Format(DateLayout)
	}
	return lt.Format(DateLayout)
}

// Today is the day in the tenant's zone now: the batch staff work on
// after the cut-off (orders placed after it wait for tomorrow's).
func (s *Service) Today(ctx context.Context) string {
	return s.Now().In(tenants.MustFromContext(ctx).Location()).Format(DateLayout)
}

// window is WindowOf for the tenant in ctx; "" is today.
func (s *Service) window(ctx context.Context, date string) (Window, error) {
	date = strings.TrimSpace(date)
	if date == "" {
		date = s.Today(ctx)
	}
	return WindowOf(tenants.MustFromContext(ctx), date)
}

// shopFor loads shop id and authorises p for PermManage in its domain:
// Forbidden when p may see the shop but not manage its orders; NotFound
// otherwise, so that shops outside p's reach do not exist for p.
func (s *Service) shopFor(ctx context.Context, tx bun.IDB, p *identity.Principal, id string) (*merchant.Shop, error) {
	if _, err := identity.TenantOf(ctx, p); err != nil {
		return nil, err
	}
	if !validID(id) {
		return nil, errNotFound
	}
	sh := new(merchant.Shop)
	if err := db.Select(ctx, tx, sh).Where("s.id = ?", id).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	dom := sh.AuthzDomain()
	if s.Authz.Allowed(ctx, p, dom, PermManage) {
		return sh, nil
	}
	if s.Authz.Allowed(ctx, p, dom, merchant.PermViewShop) || s.Authz.Allowed(ctx, p, dom, merchant.PermListShops) {
		return nil, s.Authz.Check(ctx, p, dom, PermManage)
	}
	return nil, errNotFound
}

// ShopFor returns shop id when p may run its dispatch (PermManage in the
// shop's domain). NotFound for shops outside p's reach; Forbidden when p
// sees the shop but may not manage its orders.
func (s *Service) ShopFor(ctx context.Context, p *identity.Principal, id string) (*merchant.Shop, error) {
	var sh *merchant.Shop
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		sh, err = s.shopFor(ctx, tx, p, id)
		return err
	})
	return sh, err
}

// FormatYuan writes fen as yuan with two decimals ("12.80").
func FormatYuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}
