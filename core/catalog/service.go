package catalog

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/uuid"
	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Deps are the services the catalog's product side uses.
type Deps struct {
	DB        *db.DB
	Authz     *authz.Enforcer
	Merchants *merchant.Service
	// Storage keeps product images; nil means the merchant service's.
	Storage merchant.Storage
}

// Service is the product side of the catalog: a shop's products, their
// SKUs and images, for the merchant console and the storefront.
//
// Every method works in the tenant carried by ctx. Product and shop ids
// of other tenants, and of shops the caller may not see, answer NotFound.
type Service struct {
	Deps
	mu         sync.RWMutex
	hooks      []ChangeHook
	coverHooks []CoverHook
}

// New returns the service.
func New(d Deps) *Service {
	if d.Storage == nil && d.Merchants != nil {
		d.Storage = d.Merchants.Storage
	}
	return &Service{Deps: d}
}

// PermManage is the permission to create, edit, archive and list a
// shop's products, checked in the shop's domain (owners, staff, and
// tenant admins, who run the flagship store).
const PermManage = "product:manage"

// ChangeHook is called inside the transaction that changed product
// productID (created, updated, archived, restored, images changed); its
// error rolls the change back.
type ChangeHook func(ctx context.Context, tx bun.IDB, productID string) error

// OnChange registers h to run after every product change, inside the
// same transaction (the search index keeps itself in step this way).
func (s *Service) OnChange(h ChangeHook) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks = append(s.hooks, h)
}

// CoverHook is called inside the transaction that changed the images of
// product productID, with its new cover ("" for none).
type CoverHook func(ctx context.Context, tx bun.IDB, productID, coverPath string) error

// OnCoverChange registers h to run, instead of the change hooks, when
// only a product's images changed.
func (s *Service) OnCoverChange(h CoverHook) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.coverHooks = append(s.coverHooks, h)
}

// coverChanged runs the cover hooks for productID in tx, or the change
// hooks when none is registered.
func (s *Service) coverChanged(ctx context.Context, tx bun.IDB, productID, coverPath string) error {
	s.mu.RLock()
	hooks := append([]CoverHook(nil), s.coverHooks...)
	s.mu.RUnlock()
	if len(hooks) == 0 {
		return s.changed(ctx, tx, productID)
	}
	for _, h := range hooks {
		if err := h(ctx, tx, productID, coverPath); err != nil {
			return fmt.Errorf("product %s cover hook: %w", productID, err)
		}
	}
	return nil
}

// changed runs the change hooks for productID in tx.
func (s *Service) changed(ctx context.Context, tx bun.IDB, productID string) error {
	s.mu.RLock()
	hooks := append([]ChangeHook(nil), s.hooks...)
	s.mu.RUnlock()
	for _, h := range hooks {
		if err := h(ctx, tx, productID); err != nil {
			return fmt.Errorf("product %s change hook: %w", productID, err)
		}
	}
	return nil
}

var (
	errNotFound   = core.Errorf(core.NotFound, "error.not_found")
	errShopClosed = core.Errorf(core.Conflict, "catalog.error.shop_closed")
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

// loadShop reads shop id of the tenant in ctx, with its host filled.
func loadShop(ctx context.Context, tx bun.IDB, id string) (*merchant.Shop, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	sh := new(merchant.Shop)
	if err := db.Select(ctx, tx, sh).Where("s.id = ?", id).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	sh.Host = merchant.ShopHost(tenants.MustFromContext(ctx), sh.Slug)
	return sh, nil
}

// authorize returns nil when p may manage products of sh; Forbidden when
// p may see the shop (shop:view or shop:list there) but not this;
// NotFound otherwise, so that shops outside p's reach do not exist for p.
func (s *Service) authorize(ctx context.Context, p *identity.Principal, sh *merchant.Shop) error {
	dom := sh.AuthzDomain()
	if s.Authz.Allowed(ctx, p, dom, PermManage) {
		return nil
	}
	if s.Authz.Allowed(ctx, p, dom, merchant.PermViewShop) || s.Authz.Allowed(ctx, p, dom, merchant.PermListShops) {
		return s.Authz.Check(ctx, p, dom, PermManage)
	}
	return errNotFound
}

// shopFor loads shop id and authorises p to manage its products.
func (s *Service) shopFor(ctx context.Context, tx bun.IDB, p *identity.Principal, id string) (*merchant.Shop, error) {
	sh, err := loadShop(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, p, sh); err != nil {
		return nil, err
	}
	return sh, nil
}

func loadProduct(ctx context.Context, tx bun.IDB, id string) (*Product, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	pr := new(Product)
	if err := db.Select(ctx, tx, pr).Where("p.id = ?", id).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return pr, nil
}

// productFor loads product id and its shop and authorises p to manage it.
func (s *Service) productFor(ctx context.Context, tx bun.IDB, p *identity.Principal, id string) (*Product, *merchant.Shop, error) {
	pr, err := loadProduct(ctx, tx, id)
	if err != nil {
		return nil, nil, err
	}
	sh, err := s.shopFor(ctx, tx, p, pr.ShopID)
	if err != nil {
		return nil, nil, err
	}
	return pr, sh, nil
}

// CanManage reports whether p may manage the products of sh (for showing
// links and buttons; the methods check again).
func (s *Service) CanManage(ctx context.Context, p *identity.Principal, sh *merchant.Shop) bool {
	return p != nil && s.Authz.Allowed(ctx, p, sh.AuthzDomain(), PermManage)
}
