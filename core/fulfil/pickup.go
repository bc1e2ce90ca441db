package fulfil

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/validate"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

var (
	mobileRE   = regexp.MustCompile(`^1[3-9][0-9]{9}$`)
	landlineRE = regexp.MustCompile(`^0[1-9][0-9]{8,10}$`) // area code and number, e.g. 0731-88886666
)

// pointPhone checks a pickup point's phone: a mainland mobile number or a
// landline with its area code. It returns it trimmed.
func pointPhone(fe *core.FieldErrors, s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	n := validate.NormalizePhone(s)
	if !mobileRE.MatchString(n) && !landlineRE.MatchString(n) {
		fe.Add("phone", "fulfil.field.point_phone_invalid")
	}
	if len([]rune(s)) > 30 {
		fe.Add("phone", "field.too_long")
	}
	return s
}

// checkPoint validates in; the region is checked against the database by
// the caller.
func checkPoint(fe *core.FieldErrors, in PickupPointInput) *PickupPoint {
	pt := &PickupPoint{Active: in.Active == nil || *in.Active}
	pt.Name = validate.Text(fe, "name", in.Name, 1, NameMax)
	pt.Address = validate.Text(fe, "address", in.Address, 1, AddressMax)
	pt.Hours = validate.Text(fe, "hours", in.Hours, 0, HoursMax)
	pt.Phone = pointPhone(fe, in.Phone)
	pt.RegionID = strings.TrimSpace(in.RegionID)
	if pt.RegionID == "" {
		fe.Add("region_id", "field.required")
	} else if !validID(pt.RegionID) {
		fe.Add("region_id", "fulfil.field.region_invalid")
	}
	return pt
}

// pointRegionAndName checks pt's region and that its name is free (other
// than for the point itself).
func pointRegionAndName(ctx context.Context, tx bun.IDB, fe core.FieldErrors, pt *PickupPoint) error {
	if fe["region_id"] == "" {
		if _, err := tenants.RegionByID(ctx, tx, pt.RegionID); core.IsNotFound(err) {
			fe.Add("region_id", "fulfil.field.region_invalid")
		} else if err != nil {
			return err
		}
	}
	if fe["name"] == "" {
		q := db.Select(ctx, tx, (*PickupPoint)(nil)).Where("pp.name = ?", pt.Name)
		if pt.ID != "" {
			q = q.Where("pp.id <> ?", pt.ID)
		}
		taken, err := q.Exists(ctx)
		if err != nil {
			return fmt.Errorf("look up pickup point name: %w", err)
		}
		if taken {
			fe.Add("name", "fulfil.field.name_taken")
		}
	}
	return fe.Err()
}

// tenantAdmin checks that p may manage the tenant's pickup points.
func (s *Service) tenantAdmin(ctx context.Context, p *identity.Principal) error {
	t, err := identity.TenantOf(ctx, p)
	if err != nil {
		return err
	}
	return s.Authz.Check(ctx, p, authz.TenantDomain(t.ID), PermPickupManage)
}

// loadPoint reads pickup point id of the tenant in ctx.
func loadPoint(ctx context.Context, tx bun.IDB, id string) (*PickupPoint, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	pt := new(PickupPoint)
	if err := db.Select(ctx, tx, pt).Where("pp.id = ?", id).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return pt, nil
}

// PickupPoints lists every pickup point of the tenant, active or not, by
// name. p needs PermPickupManage in the tenant's domain.
func (s *Service) PickupPoints(ctx context.Context, p *identity.Principal) ([]*PickupPoint, error) {
	if err := s.tenantAdmin(ctx, p); err != nil {
		return nil, err
	}
	pts := []*PickupPoint{}
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		return db.Select(ctx, tx, &pts).Order("pp.name", "pp.id").Scan(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("list pickup points: %w", err)
	}
	return pts, nil
}

// PickupPoint returns pickup point id for its administration. p needs
// PermPickupManage in the tenant's domain; NotFound for other tenants'
// ids.
func (s *Service) PickupPoint(ctx context.Context, p *identity.Principal, id string) (*PickupPoint, error) {
	if err := s.tenantAdmin(ctx, p); err != nil {
		return nil, err
	}
	var pt *PickupPoint
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		pt, err = loadPoint(ctx, tx, id)
		return err
	})
	return pt, err
}

// CreatePickupPoint adds a pickup point to the tenant. p needs
// PermPickupManage in the tenant's domain. Returns Forbidden without it;
// Invalid with field errors for bad input (name 1–40 characters and
// unique, address, a region of the tenant, a mobile or landline phone).
func (s *Service) CreatePickupPoint(ctx context.Context, p *identity.Principal, in PickupPointInput) (*PickupPoint, error) {
	if err := s.tenantAdmin(ctx, p); err != nil {
		return nil, err
	}
	var fe core.FieldErrors
	pt := checkPoint(&fe, in)
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if err := pointRegionAndName(ctx, tx, fe, pt); err != nil {
			return err
		}
		now := time.Now().UTC()
		pt.TenantID, pt.ID, pt.CreatedAt, pt.UpdatedAt = db.TenantID(ctx), tenants.NewID(), now, now
		if _, err := tx.NewInsert().Model(pt).Exec(ctx); err != nil {
			if db.IsUniqueViolation(err) {
				fe.Add("name", "fulfil.field.name_taken")
				return fe.Err()
			}
			return fmt.Errorf("create pickup point: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return pt, nil
}

// UpdatePickupPoint replaces pickup point id's details (Active nil keeps
// it as it is). Permissions and errors as CreatePickupPoint; NotFound for
// other tenants' ids. Its operators keep their assignments, which do not
// name the region.
func (s *Service) UpdatePickupPoint(ctx context.Context, p *identity.Principal, id string, in PickupPointInput) (*PickupPoint, error) {
	if err := s.tenantAdmin(ctx, p); err != nil {
		return nil, err
	}
	var fe core.FieldErrors
	pt := checkPoint(&fe, in)
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		cur, err := loadPoint(ctx, tx, id)
		if err != nil {
			return err
		}
		pt.TenantID, pt.ID, pt.CreatedAt, pt.UpdatedAt = cur.TenantID, cur.ID, cur.CreatedAt, time.Now().UTC()
		if in.Active == nil {
			pt.Active = cur.Active
		}
		if err := pointRegionAndName(ctx, tx, fe, pt); err != nil {
			return err
		}
		if _, err := db.Update(ctx, tx, pt).Column("name", "address", "region_id", "hours", "phone", "active", "updated_at").
			WherePK().Exec(ctx); err != nil {
			if db.IsUniqueViolation(err) {
				fe.Add("name", "fulfil.field.name_taken")
				return fe.Err()
			}
			return fmt.Errorf("update pickup point %s: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return pt, nil
}

// PublicPickupPoints lists the active pickup points shoppers of regionID
// may use: those in the region and in its city (for a city, those in the
// city and in its districts), the region's own first, then by name; every
// active point of the tenant when regionID is "". Returns Invalid (field
// region) for a region that is not the tenant's.
func (s *Service) PublicPickupPoints(ctx context.Context, regionID string) ([]*PickupPoint, error) {
	var pts []*PickupPoint
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if strings.TrimSpace(regionID) == "" {
			pts = []*PickupPoint{}
			return db.Select(ctx, tx, &pts).Where("pp.active = ?", true).Order("pp.name", "pp.id").Scan(ctx)
		}
		r, err := tenants.RegionByID(ctx, tx, strings.TrimSpace(regionID))
		if core.IsNotFound(err) {
			var fe core.FieldErrors
			fe.Add("region", "fulfil.field.region_invalid")
			return fe.Err()
		} else if err != nil {
			return err
		}
		pts, err = pointsNear(ctx, tx, r)
		return err
	})
	if err != nil {
		return nil, err
	}
	return pts, nil
}

// pointsNear lists the active pickup points of region r and its city (for
// a city: of the city and its districts), r's own first, then by name.
func pointsNear(ctx context.Context, idb bun.IDB, r *tenants.Region) ([]*PickupPoint, error) {
	ids := []string{r.ID}
	if r.ParentID != nil {
		ids = append(ids, *r.ParentID)
	} else {
		var kids []string
		if err := db.Select(ctx, idb, (*tenants.Region)(nil)).Column("id").Where("?TableAlias.parent_id = ?", r.ID).
			Scan(ctx, &kids); err != nil {
			return nil, fmt.Errorf("districts of %s: %w", r.ID, err)
		}
		ids = append(ids, kids...)
	}
	pts := []*PickupPoint{}
	if err := db.Select(ctx, idb, &pts).Where("pp.active = ?", true).Where("pp.region_id IN (?)", bun.List(ids)).
		Order("pp.name", "pp.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("pickup points near %s: %w", r.ID, err)
	}
	slices.SortStableFunc(pts, func(a, b *PickupPoint) int {
		ah, bh := a.RegionID == r.ID, b.RegionID == r.ID
		switch {
		case ah && !bh:
			return -1
		case bh && !ah:
			return 1
		}
		return 0
	})
	return pts, nil
}

// operatorDomain is where operators of point id are assigned: without the
// region, so that moving the point keeps them.
func operatorDomain(tenantID, pointID string) string { return pointDomain(tenantID, "", pointID) }

// Operators lists the accounts operating pickup point id, oldest first.
// p needs PermPickupManage in the tenant's domain; NotFound for other
// tenants' points.
func (s *Service) Operators(ctx context.Context, p *identity.Principal, pointID string) ([]*Operator, error) {
	if err := s.tenantAdmin(ctx, p); err != nil {
		return nil, err
	}
	ops := []*Operator{}
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		pt, err := loadPoint(ctx, tx, pointID)
		if err != nil {
			return err
		}
		return operatorQuery(ctx, tx, &ops).Where("po.point_id = ?", pt.ID).Order("po.created_at", "po.user_id").Scan(ctx)
	})
	if err != nil {
		return nil, err
	}
	return ops, nil
}

// operatorQuery selects operator rows with their accounts' name, e-mail
// and phone.
func operatorQuery(ctx context.Context, tx bun.IDB, model any) *bun.SelectQuery {
	return db.Select(ctx, tx, model).ColumnExpr("po.*").
		ColumnExpr("u.name AS user_name, coalesce(u.email, '') AS user_email, coalesce(u.phone, '') AS user_phone").
		Join("JOIN users AS u ON u.tenant_id = po.tenant_id AND u.id = po.user_id")
}

// AddOperator makes the account named by in (its id, or its e-mail or
// phone as Login) an operator of pickup point pointID: it records it and
// assigns it the pickup_operator role in the point's domain
// ("t/T/pp/P"). p needs PermPickupManage in the tenant's domain.
//
// Returns NotFound for other tenants' points; Invalid (field user_id)
// when no account of the tenant matches; Conflict when the account
// operates the point already.
func (s *Service) AddOperator(ctx context.Context, p *identity.Principal, pointID string, in OperatorInput) (*Operator, error) {
	if err := s.tenantAdmin(ctx, p); err != nil {
		return nil, err
	}
	var op *Operator
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		pt, err := loadPoint(ctx, tx, pointID)
		if err != nil {
			return err
		}
		var u *identity.User
		switch {
		case strings.TrimSpace(in.UserID) != "":
			u, err = s.Identity.UserByID(ctx, tx, strings.TrimSpace(in.UserID))
		case strings.TrimSpace(in.Login) != "":
			u, err = s.Identity.UserByLogin(ctx, tx, strings.TrimSpace(in.Login))
		default:
			var fe core.FieldErrors
			fe.Add("user_id", "field.required")
			return fe.Err()
		}
		if core.IsNotFound(err) {
			var fe core.FieldErrors
			fe.Add("user_id", "fulfil.field.user_unknown")
			return fe.Err()
		} else if err != nil {
			return err
		}
		row := &Operator{TenantID: pt.TenantID, PointID: pt.ID, UserID: u.ID, CreatedBy: &p.UserID, CreatedAt: time.Now().UTC()}
		exists, err := db.Select(ctx, tx, (*Operator)(nil)).Where("po.point_id = ? AND po.user_id = ?", pt.ID, u.ID).Exists(ctx)
		if err != nil {
			return fmt.Errorf("look up operator: %w", err)
		}
		if exists {
			return core.Errorf(core.Conflict, "fulfil.error.already_operator")
		}
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			return fmt.Errorf("add operator to pickup point %s: %w", pt.ID, err)
		}
		if err := s.Authz.Assign(ctx, tx, u.ID, authz.PickupOperator, operatorDomain(pt.TenantID, pt.ID)); err != nil {
			return fmt.Errorf("assign pickup_operator on point %s: %w", pt.ID, err)
		}
		op = new(Operator)
		return operatorQuery(ctx, tx, op).Where("po.point_id = ? AND po.user_id = ?", pt.ID, u.ID).Scan(ctx)
	})
	if err != nil {
		return nil, err
	}
	return op, nil
}

// RemoveOperator withdraws userID from pickup point pointID's operators
// and the role from the point's domain. p needs PermPickupManage in the
// tenant's domain. Returns NotFound for other tenants' points and for
// accounts not operating the point.
func (s *Service) RemoveOperator(ctx context.Context, p *identity.Principal, pointID, userID string) error {
	if err := s.tenantAdmin(ctx, p); err != nil {
		return err
	}
	return s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		pt, err := loadPoint(ctx, tx, pointID)
		if err != nil {
			return err
		}
		if !validID(userID) {
			return errNotFound
		}
		res, err := db.Delete(ctx, tx, (*Operator)(nil)).Where("po.point_id = ? AND po.user_id = ?", pt.ID, userID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("remove operator of pickup point %s: %w", pt.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errNotFound
		}
		return s.Authz.Unassign(ctx, tx, userID, authz.PickupOperator, operatorDomain(pt.TenantID, pt.ID))
	})
}

// CanOperate answers whether p may hand orders over at pickup point
// pointID: nil when p holds PermPickupHandover in the point's domain (its
// operators, and operators of its whole region or tenant); Forbidden when
// p may only see it (PermPickupView: tenant admins); NotFound otherwise —
// and for other tenants' points — so that points outside p's reach do not
// exist for p. An inactive point may still be operated (orders waiting
// there are handed over).
func (s *Service) CanOperate(ctx context.Context, p *identity.Principal, pointID string) error {
	if _, err := identity.TenantOf(ctx, p); err != nil {
		return err
	}
	var pt *PickupPoint
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		pt, err = loadPoint(ctx, tx, pointID)
		return err
	})
	if err != nil {
		return err
	}
	dom := pt.AuthzDomain()
	if s.Authz.Allowed(ctx, p, dom, PermPickupHandover) {
		return nil
	}
	if s.Authz.Allowed(ctx, p, dom, PermPickupView) {
		return s.Authz.Check(ctx, p, dom, PermPickupHandover)
	}
	return errNotFound
}

// OperatedPoint is a pickup point in the pickup console, with whether the
// caller may hand orders over there.
type OperatedPoint struct {
	*PickupPoint
	Handover bool `json:"handover"`
}

// OperatedPoints lists the pickup points whose console p may open (it
// holds PermPickupView in their domain: their operators, and tenant
// admins for all), by name, inactive ones included.
func (s *Service) OperatedPoints(ctx context.Context, p *identity.Principal) ([]OperatedPoint, error) {
	if _, err := identity.TenantOf(ctx, p); err != nil {
		return nil, err
	}
	var pts []*PickupPoint
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		return db.Select(ctx, tx, &pts).Order("pp.name", "pp.id").Scan(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("list pickup points: %w", err)
	}
	out := []OperatedPoint{}
	for _, pt := range pts {
		dom := pt.AuthzDomain()
		if s.Authz.Allowed(ctx, p, dom, PermPickupView) {
			out = append(out, OperatedPoint{PickupPoint: pt, Handover: s.Authz.Allowed(ctx, p, dom, PermPickupHandover)})
		}
	}
	return out, nil
}
