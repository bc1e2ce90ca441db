package web

import (
	"context"
	"strings"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// ConsoleAccess is what the tenant console shows an account: everything
// for a tenant admin, the regions they manage for a region manager,
// nothing for shoppers and merchants.
type ConsoleAccess struct {
	// Admin: the account reviews applications and lists shops tenant-wide.
	Admin bool
	// Regions manages settings of the whole tenant (regions).
	Regions bool
	// Managed are the ids of the regions the account manages (region
	// managers), when not Admin.
	Managed []string
}

// Any reports whether the account may open the tenant console.
func (c ConsoleAccess) Any() bool { return c.Admin || c.Regions || len(c.Managed) > 0 }

// Console returns the console access of p in the tenant of ctx (none for
// a nil principal or another tenant's).
func Console(ctx context.Context, a *app.App, p *identity.Principal) (ConsoleAccess, error) {
	var c ConsoleAccess
	t, ok := tenants.FromContext(ctx)
	if p == nil || !ok || p.Kind != identity.KindTenant || p.TenantID != t.ID {
		return c, nil
	}
	dom := authz.TenantDomain(t.ID)
	c.Admin = a.Authz.Allowed(ctx, p, dom, "application:list") || a.Authz.Allowed(ctx, p, dom, "shop:list")
	c.Regions = a.Authz.Allowed(ctx, p, dom, "region:manage")
	if c.Admin {
		return c, nil
	}
	var as []authz.Assignment
	err := a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		as, err = a.Authz.Assignments(ctx, tx, p.UserID)
		return err
	})
	if err != nil {
		return c, err
	}
	for _, x := range as {
		_, rest, ok := strings.Cut(x.Domain, "/r/")
		if !ok || strings.Contains(rest, "/") {
			continue
		}
		if a.Authz.Allowed(ctx, p, x.Domain, "application:list") || a.Authz.Allowed(ctx, p, x.Domain, "shop:list") {
			c.Managed = append(c.Managed, rest)
		}
	}
	return c, nil
}
