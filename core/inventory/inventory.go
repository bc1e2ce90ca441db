// Package inventory holds the stock of a marketplace: warehouses (the
// tenant's main cold warehouse, district sub-warehouses and shops' own
// warehouses) and the regions each serves; stock per SKU and warehouse in
// lots with their traceability facts (二维码追溯); first-in-first-out
// allocation (先到先走) that never sells an expired lot; reservations that
// checkout takes inside its own transaction and then commits or releases
// (an expiry sweep releases forgotten ones); low-stock thresholds and the
// merchant's alert list; and adjustments. Every change to a lot's on_hand
// or reserved is recorded in stock_movements, so the history reconciles
// with the lots.
//
// Stock never goes below zero: the database holds on_hand >= 0,
// reserved >= 0 and reserved <= on_hand, and every change is a conditional
// UPDATE (… WHERE on_hand - reserved >= n), never a read-modify-write, so
// concurrent reservations on PostgreSQL (row locks, READ COMMITTED) and on
// SQLite (one writer) cannot oversell.
//
// Every method works in the tenant carried by ctx and answers NotFound for
// ids of other tenants, and for shops, SKUs, warehouses and lots outside
// the caller's reach.
package inventory

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

// Deps are the services the inventory context uses.
type Deps struct {
	DB        *db.DB
	Authz     *authz.Enforcer
	Merchants *merchant.Service
}

// Service is the inventory context's API.
type Service struct {
	Deps
	now     func() time.Time
	onStock []StockChange
}

// New returns the service.
func New(d Deps) *Service { return &Service{Deps: d, now: time.Now} }

// PermManage is the permission to see and change stock: in a shop's domain
// for the shop's warehouses, lots, adjustments and alerts (owners, staff,
// tenant admins); in the tenant's domain for the main and district
// warehouses (tenant admins).
const PermManage = "stock:manage"

// Limits of the input.
const (
	MaxQuantity      = 1_000_000 // units in one receipt, adjustment or reservation line
	DefaultThreshold = 30        // the seed's "keep 30–50 units of main items on hand"
	MaxLines         = 200       // lines of one reservation
	MaxServedRegions = 100
	NameMax          = 40
	AddressMax       = 200
	ProducerMax      = 60
	BaseMax          = 60
	ResidueTestMax   = 200
	NoteMax          = 200
	OwnerMax         = 200
	MaxAlertDays     = 90
	DefaultAlertDays = 3
	MaxTTL           = 7 * 24 * time.Hour
)

var (
	errNotFound   = core.Errorf(core.NotFound, "error.not_found")
	errShopClosed = core.Errorf(core.Conflict, "inventory.error.shop_closed")
)

func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil
}

// tenantPrincipal returns the tenant in ctx when p is a signed-in account
// of it (identity.TenantOf).
func tenantPrincipal(ctx context.Context, p *identity.Principal) (*tenants.Tenant, error) {
	return identity.TenantOf(ctx, p)
}

// today is the date in the tenant's time zone: lots whose best-before is
// earlier are expired.
func (s *Service) today(ctx context.Context) Date {
	return DateOf(s.now().In(tenants.MustFromContext(ctx).Location()))
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

// shopFor loads shop id and authorises p to manage its stock: nil when p
// holds PermManage in the shop's domain; Forbidden when p may see the shop
// but not its stock; NotFound otherwise, so that shops outside p's reach do
// not exist for p.
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

// writableShop is shopFor for changes: a closed shop's stock is frozen.
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

// skuActive is the status of a SKU that is sold (catalog.SKUActive).
const skuActive = "active"

// sku is the part of a catalog SKU inventory reads.
type sku struct {
	bun.BaseModel `bun:"table:skus,alias:k"`

	TenantID  string `bun:"tenant_id,pk"`
	ID        string `bun:"id,pk"`
	ProductID string `bun:"product_id"`
	ShopID    string `bun:"shop_id"`
	Code      string `bun:"code"`
	Spec      string `bun:"spec"`
	Status    string `bun:"status"`
}

// loadSKU reads SKU id; with shopID, only a SKU of that shop.
func loadSKU(ctx context.Context, tx bun.IDB, id, shopID string) (*sku, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	k := new(sku)
	q := db.Select(ctx, tx, k).Where("k.id = ?", id)
	if shopID != "" {
		q = q.Where("k.shop_id = ?", shopID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return k, nil
}
