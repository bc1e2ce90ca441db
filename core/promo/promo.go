// Package promo prices baskets: customer groups (会员, 授权代理) and shops'
// price lists (member prices, wholesale tier prices), flash sales (限时特卖),
// 满减 tiers of shops and of the tenant, coupons, 满X换购 add-ons and
// free shipping (满X包邮, 单品包邮), all under the tenant's discount floor
// (不低于7折 outside a big-promotion window).
//
// The pricing core, Compute, is a pure function over a basket and the
// promotions loaded for it; Price loads them and calls it. Redeem counts
// coupon uses and flash-sale units for a checkout with conditional
// UPDATEs (… WHERE used_count < total_limit, … WHERE sold + n <= qty_cap),
// so racing checkouts never exceed a cap; Unredeem gives them back.
//
// Every method works in the tenant carried by ctx and answers NotFound for
// ids of other tenants, and for shops outside the caller's reach.
package promo

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Deps are the services the promo context uses.
type Deps struct {
	DB        *db.DB
	Authz     *authz.Enforcer
	Merchants *merchant.Service
}

// Service is the promo context's API.
type Service struct {
	Deps
	now func() time.Time
}

// New returns the service.
func New(d Deps) *Service { return &Service{Deps: d, now: time.Now} }

// Permissions.
const (
	// PermManage: a shop's promotions, coupons and flash sales (shop
	// domain: owners and tenant admins).
	PermManage = "promo:manage"
	// PermPlatform: the tenant's promotions and coupons, funded by the
	// platform (tenant domain).
	PermPlatform = "promo:platform"
	// PermPrices: a shop's price lists (shop domain).
	PermPrices = "price:manage"
	// PermCustomers: the tenant's customer groups and their members
	// (tenant domain).
	PermCustomers = "customer:manage"
)

var (
	errNotFound   = core.Errorf(core.NotFound, "error.not_found")
	errShopClosed = core.Errorf(core.Conflict, "promo.error.shop_closed")
)

func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil
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

// shopFor loads shop id and authorises p for perm there: Forbidden when p
// may see the shop but lacks perm; NotFound otherwise, so that shops
// outside p's reach do not exist for p. write refuses a closed shop.
func (s *Service) shopFor(ctx context.Context, tx bun.IDB, p *identity.Principal, id, perm string, write bool) (*merchant.Shop, error) {
	if _, err := identity.TenantOf(ctx, p); err != nil {
		return nil, err
	}
	sh, err := loadShop(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	dom := sh.AuthzDomain()
	if !s.Authz.Allowed(ctx, p, dom, perm) {
		if s.Authz.Allowed(ctx, p, dom, merchant.PermViewShop) || s.Authz.Allowed(ctx, p, dom, merchant.PermListShops) {
			return nil, s.Authz.Check(ctx, p, dom, perm)
		}
		return nil, errNotFound
	}
	if write && sh.Status == merchant.ShopClosed {
		return nil, errShopClosed
	}
	return sh, nil
}

// tenantAdmin checks that p holds perm in the tenant's domain.
func (s *Service) tenantAdmin(ctx context.Context, p *identity.Principal, perm string) error {
	t, err := identity.TenantOf(ctx, p)
	if err != nil {
		return err
	}
	return s.Authz.Check(ctx, p, authz.TenantDomain(t.ID), perm)
}

// floorFor is the discount floor for a promotion running in [start, end):
// none when the whole window lies in one big-promotion window.
func floorFor(t *tenants.Tenant, start, end time.Time) int {
	for _, w := range t.Settings.BigPromotions {
		if !start.Before(w.Start) && !end.After(w.End) {
			return 0
		}
	}
	return t.Settings.Floor()
}

// floorAt is the discount floor at instant at.
func floorAt(t *tenants.Tenant, at time.Time) int {
	if t.Settings.InBigPromotion(at) {
		return 0
	}
	return t.Settings.Floor()
}

// sku is the part of a catalog SKU promo reads.
type sku struct {
	bun.BaseModel `bun:"table:skus,alias:k"`

	TenantID     string `bun:"tenant_id,pk"`
	ID           string `bun:"id,pk"`
	ProductID    string `bun:"product_id"`
	ShopID       string `bun:"shop_id"`
	PriceFen     int64  `bun:"price_fen"`
	ListPriceFen int64  `bun:"list_price_fen"`
	Status       string `bun:"status"`
}

func (k *sku) list() int64 { return max(k.ListPriceFen, k.PriceFen) }

// product is the part of a catalog product promo reads.
type product struct {
	bun.BaseModel `bun:"table:products,alias:p"`

	TenantID string `bun:"tenant_id,pk"`
	ID       string `bun:"id,pk"`
	ShopID   string `bun:"shop_id"`
}
