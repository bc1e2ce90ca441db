// Package authz decides who may do what where: casbin RBAC with domains.
package authz

// CONTRACT STUB: the authz work replaces this file. Signatures other
// packages rely on are listed here and must keep their shape.

import (
	"context"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/uptrace/bun"
)

// The role templates.
const (
	PlatformAdmin  = "platform_admin"
	TenantAdmin    = "tenant_admin"
	RegionManager  = "region_manager"
	MerchantOwner  = "merchant_owner"
	MerchantStaff  = "merchant_staff"
	PickupOperator = "pickup_operator"
	Shopper        = "shopper"
)

// Domains: "platform"; "t/{tenant}"; "t/{tenant}/r/{region}";
// "t/{tenant}/r/{region}/s/{shop}". An assignment in domain D holds in
// every request domain that contains all of D's key/value pairs (so a
// tenant admin's "t/T" covers T's regions and shops, and a shop owner's
// "t/T/s/S" covers the shop wherever its region is).

// TenantDomain returns "t/{tenantID}".
func TenantDomain(tenantID string) string { return "t/" + tenantID }

// RegionDomain returns "t/{tenantID}/r/{regionID}".
func RegionDomain(tenantID, regionID string) string { return "t/" + tenantID + "/r/" + regionID }

// ShopDomain returns "t/{tenantID}/r/{regionID}/s/{shopID}" ("t/{tenantID}/s/{shopID}"
// when regionID is empty).
func ShopDomain(tenantID, regionID, shopID string) string {
	if regionID == "" {
		return "t/" + tenantID + "/s/" + shopID
	}
	return "t/" + tenantID + "/r/" + regionID + "/s/" + shopID
}

// Enforcer holds the casbin enforcer.
type Enforcer struct{}

// New loads the model and the role templates.
func New(ctx context.Context, d *db.DB) (*Enforcer, error) { return &Enforcer{}, nil }

// Check implements httpx.Authorizer: nil when p holds perm in domain,
// Forbidden otherwise.
func (e *Enforcer) Check(ctx context.Context, p *identity.Principal, domain, perm string) error {
	return nil
}

// Allowed is Check as a boolean.
func (e *Enforcer) Allowed(ctx context.Context, p *identity.Principal, domain, perm string) bool {
	return e.Check(ctx, p, domain, perm) == nil
}

// Assign gives userID role in domain inside tx (tenant from ctx); the
// in-memory enforcer learns it after commit.
func (e *Enforcer) Assign(ctx context.Context, tx bun.IDB, userID, role, domain string) error {
	return nil
}
