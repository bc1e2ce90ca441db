// Package merchant holds merchant applications and their review, shops,
// shop profiles and storefront settings, shop status and staff.
//
// A tenant user applies (Apply); a tenant admin, or the region manager of
// the application's district, approves, rejects or asks for changes.
// Approval opens an active shop owned by the applicant — or, for an
// applicant with too few products for a shop of their own, records them as
// a supplier of the tenant's flagship store (官方旗舰店). Shop owners edit
// their shop's profile, logo and banner and invite staff; tenant admins and
// region managers suspend, resume and close shops.
//
// Every method works in the tenant carried by ctx and answers NotFound for
// ids of other tenants, and for shops and applications the caller may not
// see.
package merchant

import (
	"context"
	"path/filepath"
	"sync/atomic"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/tenants"
)

// Deps are the services the merchant context uses.
type Deps struct {
	DB       *db.DB
	Authz    *authz.Enforcer
	Identity *identity.Service
	// Storage keeps shop logos and banners; nil means local disk under
	// ./data/uploads (NewLocalStorage).
	Storage Storage
}

// Service is the merchant context's API.
type Service struct {
	Deps
	gen atomic.Uint64
}

// New returns the service.
func New(d Deps) *Service {
	if d.Storage == nil {
		d.Storage = NewLocalStorage(filepath.Join("data", "uploads"))
	}
	return &Service{Deps: d}
}

// The permissions this context checks. Role templates in core/authz grant
// them.
const (
	PermApply       = "application:apply"  // submit and edit one's own application (checked by the route)
	PermListApps    = "application:list"   // see applications of a region
	PermReview      = "application:review" // approve, reject, request changes
	PermListShops   = "shop:list"          // see shops of a region in the admin console
	PermManageShop  = "shop:manage"        // suspend, resume, close
	PermViewShop    = "shop:view"          // open a shop's merchant console
	PermEditProfile = "shop:profile"       // edit profile, logo, banner
	PermStaff       = "shop:staff"         // list, invite and remove staff
)

var (
	errNotFound  = core.Errorf(core.NotFound, "error.not_found")
	errForbidden = core.Errorf(core.Forbidden, "error.forbidden")
)

// tenantPrincipal returns the tenant in ctx when p is a signed-in account
// of it (identity.TenantOf).
func tenantPrincipal(ctx context.Context, p *identity.Principal) (*tenants.Tenant, error) {
	return identity.TenantOf(ctx, p)
}

// allowed reports whether p holds perm in domain.
func (s *Service) allowed(ctx context.Context, p *identity.Principal, domain, perm string) bool {
	return s.Authz.Check(ctx, p, domain, perm) == nil
}

// check returns nil when p holds perm in domain and Forbidden otherwise.
func (s *Service) check(ctx context.Context, p *identity.Principal, domain, perm string) error {
	return s.Authz.Check(ctx, p, domain, perm)
}

// read runs fn in a read transaction of the tenant in ctx.
func (s *Service) read(ctx context.Context, fn db.TxFunc) error { return s.DB.RunInReadTx(ctx, fn) }

// write runs fn in a write transaction of the tenant in ctx.
func (s *Service) write(ctx context.Context, fn db.TxFunc) error {
	err := s.DB.RunInTx(ctx, fn)
	if err == nil {
		s.gen.Add(1)
	}
	return err
}

// Generation changes after every committed write of s (any tenant); a
// cache of shop data stamped with it is stale once it differs. Writes on
// other server instances are not seen: such caches also need a TTL.
func (s *Service) Generation() uint64 { return s.gen.Load() }
