package authz

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/uptrace/bun"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/tenants"
)

var errNotFound = core.Errorf(core.NotFound, "error.not_found")

// assignable reports whether role may be stored: the implicit roles
// (platform_admin, shopper) never are.
func assignable(role string) bool {
	return role != PlatformAdmin && role != Shopper && slices.Contains(roles, role)
}

// validateAssignment checks role and domain for the tenant in ctx and
// that userID is one of its users. Returns Invalid (fields role, domain)
// or NotFound for an unknown user.
func validateAssignment(ctx context.Context, tx bun.IDB, userID, role, domain string) error {
	var fe core.FieldErrors
	if !assignable(role) {
		fe.Add("role", "field.invalid")
	}
	if tenantOf(domain) != db.TenantID(ctx) {
		fe.Add("domain", "field.invalid")
	}
	if err := fe.Err(); err != nil {
		return err
	}
	if _, err := uuid.Parse(userID); err != nil {
		return errNotFound
	}
	n, err := tx.NewSelect().Table("users").Where("tenant_id = ?", db.TenantID(ctx)).Where("id = ?", userID).Count(ctx)
	if err != nil {
		return fmt.Errorf("look up user %s: %w", userID, err)
	}
	if n == 0 {
		return errNotFound
	}
	return nil
}

// Assign gives userID role in domain, inside tx and the tenant in ctx
// (domain must be that tenant's: "t/T", "t/T/r/R", "t/T/s/S" for a shop
// whatever its region, or "t/T/r/R/s/S"). The in-memory enforcer learns
// it after tx commits (ctx must be the one RunInTx passed to its
// function), so a rolled-back transaction grants nothing. Assigning an
// assignment that exists is a no-op. Returns Invalid for an unknown or
// implicit role (platform_admin, shopper) or a domain outside the tenant,
// and NotFound when userID is not a user of the tenant.
func (e *Enforcer) Assign(ctx context.Context, tx bun.IDB, userID, role, domain string) error {
	if err := validateAssignment(ctx, tx, userID, role, domain); err != nil {
		return err
	}
	as := &Assignment{UserID: userID, Role: role, Domain: domain}
	if err := insertAssignment(ctx, tx, as); err != nil {
		return err
	}
	tid := db.TenantID(ctx)
	db.AfterCommit(ctx, func() { e.apply(tid, as.rule(), true) })
	return nil
}

// Unassign withdraws role in domain from userID, inside tx and the tenant
// in ctx; the in-memory enforcer forgets it after tx commits. Withdrawing
// an assignment that does not exist is a no-op. Returns Invalid for a
// domain outside the tenant.
func (e *Enforcer) Unassign(ctx context.Context, tx bun.IDB, userID, role, domain string) error {
	if tenantOf(domain) != db.TenantID(ctx) {
		var fe core.FieldErrors
		fe.Add("domain", "field.invalid")
		return fe.Err()
	}
	if _, err := uuid.Parse(userID); err != nil {
		return nil
	}
	found, err := deleteAssignment(ctx, tx, userID, role, domain)
	if err != nil || !found {
		return err
	}
	tid := db.TenantID(ctx)
	db.AfterCommit(ctx, func() { e.apply(tid, []string{subject(userID), role, domain}, false) })
	return nil
}

// Assignments returns the stored assignments of userID in the tenant in
// ctx, ordered by domain and role (none for an unknown user).
func (e *Enforcer) Assignments(ctx context.Context, idb bun.IDB, userID string) ([]Assignment, error) {
	if _, err := uuid.Parse(userID); err != nil {
		return nil, nil
	}
	var out []Assignment
	err := db.Select(ctx, idb, &out).Where("user_id = ?", userID).Order("domain", "role").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("assignments of %s: %w", userID, err)
	}
	return out, nil
}

// UsersWithRole returns, sorted, the ids of the users of the tenant in ctx
// who hold role in domain through a stored assignment whose domain covers
// it (the tenant admins for "t/T"; the managers of R, and those of the
// whole tenant assigned region_manager there, for "t/T/r/R"). Implicit
// roles are not listed.
func (e *Enforcer) UsersWithRole(ctx context.Context, idb bun.IDB, role, domain string) ([]string, error) {
	var rows []Assignment
	err := db.Select(ctx, idb, &rows).Column("user_id", "domain").Where("role = ?", role).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("users with %s in %s: %w", role, domain, err)
	}
	var out []string
	for _, r := range rows {
		if Covers(domain, r.Domain) && !slices.Contains(out, r.UserID) {
			out = append(out, r.UserID)
		}
	}
	slices.Sort(out)
	return out, nil
}

// ProvisionAdmin makes userID the first tenant_admin of t, inside the
// provisioning transaction tx. Wrap it in a tenants.Step once the admin
// account exists:
//
//	p.AddStep("tenant admin role", func(ctx context.Context, tx bun.IDB, t *tenants.Tenant, in tenants.CreateInput) error {
//		u, err := ids.ProvisionAdmin(ctx, tx, t, in)
//		...
//		return az.ProvisionAdmin(ctx, tx, t, u.ID)
//	})
func (e *Enforcer) ProvisionAdmin(ctx context.Context, tx bun.IDB, t *tenants.Tenant, userID string) error {
	if cur, ok := tenants.FromContext(ctx); !ok || cur.ID != t.ID {
		ctx = tenants.WithTenant(ctx, t)
	}
	return e.Assign(ctx, tx, userID, TenantAdmin, TenantDomain(t.ID))
}
