// Package fulfil is how orders reach shoppers: each shop's delivery
// methods and fees — courier (快递, fee by weight and region), express
// (限时送), scheduled slots (定时送) and pickup (到店自提) at the
// tenant's pickup points (社区服务中心) — the promise each makes, and the
// delivery booked for an order.
//
// Checkout calls Options to show the methods a shop offers to a region,
// Check to price a choice, Book in its own transaction to take a slot's
// capacity and record the booking under the order's id, and Unbook to
// give it back. Slots are never overbooked: a unit is taken with a
// conditional UPDATE (… WHERE booked < capacity), so concurrent bookings
// on PostgreSQL (row locks, READ COMMITTED) and on SQLite (one writer)
// cannot exceed the capacity.
//
// Promises (times in the tenant's zone, tenants.Tenant.Location):
//   - courier: shipped within 24 h, delivered within 48 h of the order;
//   - express: ordered 07:00–19:00 (07:00 included, 19:00 not), within the
//     hour; ordered 19:00–24:00, before 08:00 the next morning; ordered
//     00:00–07:00, before 08:00 the same morning;
//   - scheduled: within the chosen slot; slots that have started, and those
//     starting beyond the shop's horizon (Scheduled.Days), are not offered
//     and not accepted;
//   - pickup: ready from 10:00 the next day when ordered before the
//     tenant's dispatch cut-off (tenants.Settings.Cutoff, 14:00 by
//     default), else from 10:00 the day after.
//
// Every method works in the tenant carried by ctx and answers NotFound
// (or a field error, for choices) for ids of other tenants and shops.
package fulfil

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/uptrace/bun"
)

// Deps are the services the fulfil context uses.
type Deps struct {
	DB        *db.DB
	Authz     *authz.Enforcer
	Merchants *merchant.Service
	Identity  *identity.Service
	// Inventory answers whether a region's warehouses hold the items
	// (express is offered only then).
	Inventory *inventory.Service
	// Now is the clock of the HTTP-facing methods; nil means time.Now.
	// Options, Check, Book and ProductPromise take the time explicitly.
	Now func() time.Time
}

// Service is the fulfil context's API.
type Service struct {
	Deps
}

// New returns the service.
func New(d Deps) *Service { return &Service{Deps: d} }

// Clock returns the current time of s's clock.
func (s *Service) Clock() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// The permissions this context checks.
const (
	// PermManage is changing a shop's delivery methods, fees and slots, in
	// the shop's domain (owners, tenant admins).
	PermManage = "fulfil:manage"
	// PermPickupManage is managing the tenant's pickup points and their
	// operators, in the tenant's domain (tenant admins).
	PermPickupManage = "pickup:manage"
	// PermPickupView is seeing a pickup point's console, in its domain
	// (its operators, tenant admins).
	PermPickupView = "pickup:view"
	// PermPickupHandover is handing orders over at a pickup point, in its
	// domain (its operators).
	PermPickupHandover = "pickup:handover"
)

// Defaults and limits.
const (
	DefaultCourierBaseFen  = 800 // ¥8 for the first kg
	DefaultCourierPerKgFen = 200 // ¥2 for each further kg begun
	DefaultExpressFeeFen   = 600
	DefaultScheduledFeeFen = 300
	DefaultScheduledDays   = 7
	MaxScheduledDays       = 30
	MaxFeeFen              = 100_000 // ¥1000: a fee above is a typo
	MaxRules               = 200
	MaxCapacity            = 10_000
	MaxSlotDays            = 31 // days one SlotInput may cover
	SlotsAheadDays         = 60 // slots may be created up to this many days ahead
	MaxWeightG             = 1_000_000
	MaxSKUs                = 200
	NameMax                = 40
	AddressMax             = 200
	HoursMax               = 100
	RecipientMax           = 40
	RefMax                 = 200
	PickupReadyHour        = 10 // pickup orders are ready from 10:00
	ExpressDayStart        = 7  // 限时送 within the hour from 07:00 …
	ExpressDayEnd          = 19 // … until 19:00
	ExpressMorningBy       = 8  // night orders arrive before 08:00
)

var (
	errNotFound   = core.Errorf(core.NotFound, "error.not_found")
	errShopClosed = core.Errorf(core.Conflict, "fulfil.error.shop_closed")
)

func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil
}

// pointDomain is the authorisation domain of a pickup point.
func pointDomain(tenantID, regionID, pointID string) string {
	return authz.PickupPointDomain(tenantID, regionID, pointID)
}

// loadShop reads shop id of the tenant in ctx.
func loadShop(ctx context.Context, tx bun.IDB, id string) (*merchant.Shop, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	sh := new(merchant.Shop)
	if err := db.Select(ctx, tx, sh).Where("s.id = ?", id).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return sh, nil
}

// shopFor loads shop id and authorises p to manage its delivery: nil when
// p holds PermManage in the shop's domain; Forbidden when p may see the
// shop but not this; NotFound otherwise, so that shops outside p's reach
// do not exist for p.
func (s *Service) shopFor(ctx context.Context, tx bun.IDB, p *identity.Principal, id string) (*merchant.Shop, error) {
	sh, err := loadShop(ctx, tx, id)
	if err != nil {
		return nil, err
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

// writableShop is shopFor for changes: a closed shop's delivery is frozen.
func (s *Service) writableShop(ctx context.Context, tx bun.IDB, p *identity.Principal, id string) (*merchant.Shop, error) {
	sh, err := s.shopFor(ctx, tx, p, id)
	if err != nil {
		return nil, err
	}
	if sh.Status == merchant.ShopClosed {
		return nil, errShopClosed
	}
	return sh, nil
}
