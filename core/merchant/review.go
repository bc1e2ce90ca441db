package merchant

import (
	"context"
	"fmt"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/validate"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// ReviewNoteMax is the longest rejection reason or change request.
const ReviewNoteMax = 500

// Applications returns the applications p may review, newest first: every
// application for a tenant admin, those of their regions for a region
// manager (PermListApps in the application's region domain), none for
// others; f.Page picks a window. Returns Unauthenticated without a tenant
// principal.
func (s *Service) Applications(ctx context.Context, p *identity.Principal, f ApplicationFilter) ([]*Application, error) {
	t, err := tenantPrincipal(ctx, p)
	if err != nil {
		return nil, err
	}
	as := []*Application{}
	err = s.read(ctx, func(ctx context.Context, tx bun.IDB) error {
		q := db.Select(ctx, tx, &as).Order("a.created_at DESC", "a.id DESC")
		if f.Status != "" {
			q = q.Where("a.status = ?", f.Status)
		}
		if f.RegionID != "" {
			if !validID(f.RegionID) {
				return nil
			}
			q = q.Where("a.region_id = ?", f.RegionID)
		}
		all, mine, err := s.reach(ctx, tx, t, p, PermListApps)
		if err != nil {
			return err
		}
		if !all {
			q = q.Where("a.region_id IN (?)", bun.List(mine))
		}
		q = f.Page.apply(q)
		return q.Scan(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("list applications: %w", err)
	}
	return as, nil
}

// visibleApplication loads application id for reviewer p; NotFound when it
// is absent or outside p's regions.
func (s *Service) visibleApplication(ctx context.Context, tx bun.IDB, t *tenants.Tenant, p *identity.Principal, id string) (*Application, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	a := new(Application)
	if err := db.Select(ctx, tx, a).Where("a.id = ?", id).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	dom := authz.RegionDomain(t.ID, a.RegionID)
	if !s.allowed(ctx, p, dom, PermListApps) && !s.allowed(ctx, p, dom, PermReview) {
		return nil, errNotFound
	}
	return a, nil
}

// ApplicationForReview returns application id for reviewer p. Returns
// NotFound when it is absent, another tenant's, or outside p's regions.
func (s *Service) ApplicationForReview(ctx context.Context, p *identity.Principal, id string) (*Application, error) {
	t, err := tenantPrincipal(ctx, p)
	if err != nil {
		return nil, err
	}
	var a *Application
	err = s.read(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		a, err = s.visibleApplication(ctx, tx, t, p, id)
		return err
	})
	return a, err
}

// review runs decide on submitted application id inside one transaction,
// after checking that p may review it, then stores the decision.
func (s *Service) review(ctx context.Context, p *identity.Principal, id string,
	decide func(ctx context.Context, tx bun.IDB, t *tenants.Tenant, a *Application) error) (*Application, error) {
	t, err := tenantPrincipal(ctx, p)
	if err != nil {
		return nil, err
	}
	var a *Application
	err = s.write(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		if a, err = s.visibleApplication(ctx, tx, t, p, id); err != nil {
			return err
		}
		if err := s.check(ctx, p, authz.RegionDomain(t.ID, a.RegionID), PermReview); err != nil {
			return err
		}
		if a.ApplicantID == p.UserID {
			return core.Errorf(core.Forbidden, "merchant.error.own_application")
		}
		if a.Status != ApplicationSubmitted {
			return core.Errorf(core.Conflict, "merchant.error.application_state")
		}
		now := time.Now().UTC()
		a.ReviewedBy, a.ReviewedAt, a.UpdatedAt = &p.UserID, &now, now
		// Claim the application first: a concurrent reviewer waits on the
		// row and then finds it no longer submitted.
		res, err := db.Update(ctx, tx, a).Column("updated_at").WherePK().Where("a.status = ?", ApplicationSubmitted).Exec(ctx)
		if err != nil {
			return fmt.Errorf("claim application %s: %w", a.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return core.Errorf(core.Conflict, "merchant.error.application_state")
		}
		if err := decide(ctx, tx, t, a); err != nil {
			return err
		}
		res, err = db.Update(ctx, tx, a).Column("status", "review_note", "reviewed_by", "reviewed_at", "shop_id", "updated_at").
			WherePK().Where("a.status = ?", ApplicationSubmitted).Exec(ctx)
		if err != nil {
			return fmt.Errorf("store review of %s: %w", a.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return core.Errorf(core.Conflict, "merchant.error.application_state")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Approve approves submitted application id, in one transaction: the
// application becomes approved and, unless it chose ViaFlagship, an active
// shop opens with its name, slug (the storefront's subdomain), region and
// contacts, owned by the applicant, who gets authz.MerchantOwner on
// "t/{tenant}/s/{shop}". A ViaFlagship applicant is recorded as a supplier
// of the flagship store instead and gets no shop.
//
// p needs PermReview in the application's region domain. Returns NotFound
// when the application is absent or outside p's regions; Forbidden when p
// may see but not review it, and always for p's own application; Conflict
// when it is not submitted, or when its slug was taken meanwhile.
func (s *Service) Approve(ctx context.Context, p *identity.Principal, id string) (*Application, error) {
	return s.review(ctx, p, id, func(ctx context.Context, tx bun.IDB, t *tenants.Tenant, a *Application) error {
		a.Status = ApplicationApproved
		now := *a.ReviewedAt
		if a.ViaFlagship {
			n, err := db.Select(ctx, tx, (*FlagshipSupplier)(nil)).Where("fs.user_id = ?", a.ApplicantID).Count(ctx)
			if err != nil {
				return fmt.Errorf("check flagship supplier: %w", err)
			}
			if n > 0 {
				return nil
			}
			fs := &FlagshipSupplier{TenantID: t.ID, ID: tenants.NewID(), UserID: a.ApplicantID, ApplicationID: a.ID, CreatedAt: now}
			if _, err := tx.NewInsert().Model(fs).Exec(ctx); err != nil {
				return fmt.Errorf("add flagship supplier: %w", err)
			}
			return nil
		}
		if taken, err := s.slugTaken(ctx, tx, a.Slug, a.ID); err != nil {
			return err
		} else if taken {
			return core.Errorf(core.Conflict, "merchant.error.slug_taken")
		}
		region, owner := a.RegionID, a.ApplicantID
		sh := &Shop{
			TenantID: t.ID, ID: tenants.NewID(), Slug: a.Slug, Name: a.ShopName, RegionID: &region, OwnerID: &owner,
			Status: ShopActive, ContactPhone: a.ContactPhone, ContactEmail: a.ContactEmail,
			CreatedAt: now, UpdatedAt: now,
		}
		if _, err := tx.NewInsert().Model(sh).Exec(ctx); err != nil {
			if db.IsUniqueViolation(err) {
				return core.Errorf(core.Conflict, "merchant.error.slug_taken")
			}
			return fmt.Errorf("open shop %s: %w", sh.Slug, err)
		}
		if err := s.addStaff(ctx, tx, sh, a.ApplicantID, authz.MerchantOwner, now); err != nil {
			return err
		}
		a.ShopID = &sh.ID
		return nil
	})
}

// Reject rejects submitted application id with reason, which the applicant
// sees. Returns the errors of Approve, checked first, then Invalid (field
// "reason") without a reason.
func (s *Service) Reject(ctx context.Context, p *identity.Principal, id, reason string) (*Application, error) {
	return s.review(ctx, p, id, func(ctx context.Context, tx bun.IDB, t *tenants.Tenant, a *Application) error {
		var fe core.FieldErrors
		a.Status, a.ReviewNote = ApplicationRejected, validate.Text(&fe, "reason", reason, 1, ReviewNoteMax)
		return fe.Err()
	})
}

// RequestChanges sends submitted application id back to the applicant with
// note saying what to change; the applicant resubmits with
// UpdateApplication. Returns the errors of Approve, checked first, then
// Invalid (field "note") without a note.
func (s *Service) RequestChanges(ctx context.Context, p *identity.Principal, id, note string) (*Application, error) {
	return s.review(ctx, p, id, func(ctx context.Context, tx bun.IDB, t *tenants.Tenant, a *Application) error {
		var fe core.FieldErrors
		a.Status, a.ReviewNote = ApplicationChangesRequested, validate.Text(&fe, "note", note, 1, ReviewNoteMax)
		return fe.Err()
	})
}

// reach says where p holds perm: in the whole tenant (all), or only in
// the regions listed. Returns Forbidden when p holds it nowhere.
func (s *Service) reach(ctx context.Context, tx bun.IDB, t *tenants.Tenant, p *identity.Principal, perm string) (all bool, regions []string, err error) {
	if s.allowed(ctx, p, authz.TenantDomain(t.ID), perm) {
		return true, nil, nil
	}
	var ids []string
	if err := db.Select(ctx, tx, (*tenants.Region)(nil)).ColumnExpr("?TableAlias.id").Scan(ctx, &ids); err != nil {
		return false, nil, fmt.Errorf("list regions: %w", err)
	}
	for _, id := range ids {
		if s.allowed(ctx, p, authz.RegionDomain(t.ID, id), perm) {
			regions = append(regions, id)
		}
	}
	if len(regions) == 0 {
		return false, nil, errForbidden
	}
	return false, regions, nil
}

// ApplicationCounts returns how many applications p may review are in
// each status.
func (s *Service) ApplicationCounts(ctx context.Context, p *identity.Principal) (map[string]int, error) {
	t, err := tenantPrincipal(ctx, p)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	err = s.read(ctx, func(ctx context.Context, tx bun.IDB) error {
		all, mine, err := s.reach(ctx, tx, t, p, PermListApps)
		if err != nil {
			return err
		}
		q := db.Select(ctx, tx, (*Application)(nil)).Column("a.status").ColumnExpr("count(*)").Group("a.status")
		if !all {
			q = q.Where("a.region_id IN (?)", bun.List(mine))
		}
		return countByStatus(ctx, q, out)
	})
	if err != nil {
		return nil, fmt.Errorf("count applications: %w", err)
	}
	return out, nil
}

// countByStatus scans (status, count) rows into out.
func countByStatus(ctx context.Context, q *bun.SelectQuery, out map[string]int) error {
	rows, err := q.Rows(ctx)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return err
		}
		out[st] = n
	}
	return rows.Err()
}
