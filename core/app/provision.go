package app

import (
	"context"
	"fmt"

	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// registerProvisioning adds the core's steps to tenant provisioning, run in
// the one provisioning transaction in this order: the flagship store
// (官方旗舰店), the default category tree (the co-op tree from the seed
// plans, which the tenant admin edits afterwards), and the first admin
// account with tenant_admin on the tenant's domain. Roles themselves are
// templates (core/authz) and need no per-tenant rows.
func (a *App) registerProvisioning() {
	a.Provisioner.AddStep("flagship", a.Merchants.ProvisionFlagship)
	a.Provisioner.AddStep("categories", func(ctx context.Context, tx bun.IDB, t *tenants.Tenant, in tenants.CreateInput) error {
		return catalog.CreateTree(ctx, tx, nil, catalog.DefaultTree)
	})
	a.Provisioner.AddStep("admin", func(ctx context.Context, tx bun.IDB, t *tenants.Tenant, in tenants.CreateInput) error {
		u, err := a.Identity.ProvisionAdmin(ctx, tx, t, in)
		if err != nil || u == nil {
			return err
		}
		if err := a.Authz.ProvisionAdmin(ctx, tx, t, u.ID); err != nil {
			return fmt.Errorf("assign tenant_admin: %w", err)
		}
		return nil
	})
}
