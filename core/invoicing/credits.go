package invoicing

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/tenants"
)

// CreditGrant is a free quantity of a metric for an owner until it
// expires, applied to the owner's usage of that metric when invoiced.
type CreditGrant struct {
	bun.BaseModel `bun:"table:credit_grants,alias:cg"`

	TenantID  string    `bun:"tenant_id,pk" json:"-"`
	ID        string    `bun:"id,pk" json:"id"`
	OwnerKind string    `bun:"owner_kind,notnull" json:"owner_kind"`
	OwnerID   string    `bun:"owner_id,notnull" json:"owner_id"`
	Metric    string    `bun:"metric,notnull" json:"metric"`
	Quantity  int64     `bun:"quantity,notnull" json:"quantity"`
	Pack      string    `bun:"pack,notnull" json:"pack,omitempty"`
	ExpiresAt time.Time `bun:"expires_at,notnull" json:"expires_at"`
	GrantedBy *string   `bun:"granted_by" json:"granted_by,omitempty"`
	CreatedAt time.Time `bun:"created_at,notnull" json:"created_at"`

	// Used is the quantity issued invoices applied so far; Remaining what
	// is left.
	Used      int64 `bun:"-" json:"used"`
	Remaining int64 `bun:"-" json:"remaining"`
}

// Pack is a bundle of credits granted together, once per owner.
type Pack struct {
	Name  string
	Items []PackItem
	// Valid is how long the credits last from the grant.
	Valid time.Duration
}

// PackItem is one metric of a pack.
type PackItem struct {
	Metric   string
	Quantity int64
}

// OnboardingPack is the seed's onboarding gift pack (商城入驻大礼包): the
// first 100 orders free of shipping and one week of the homepage ad slot,
// for a year. Its other gift, two group-buy campaigns a month, is the
// group-buy plugin's included campaigns (included_campaigns_per_month,
// 2 by default), which are never billed, so it is not a credit here.
var OnboardingPack = Pack{
	Name:  "onboarding",
	Items: []PackItem{{Metric: MetricShippingOrder, Quantity: 100}, {Metric: MetricAdSlotDay, Quantity: 7}},
	Valid: 365 * 24 * time.Hour,
}

// consumedExpr selects, per grant, the quantity applied by invoices that
// keep their credits: open and paid ones, and void ones whose void
// reversed only part of them.
const consumedWhere = `(i.status IN ('open', 'paid') OR (i.status = 'void' AND i.credits_released = ?))`

// grants reads the tenant's grants (of owner, unless ""), oldest expiry
// first, with what issued invoices used of them.
func (s *Service) grants(ctx context.Context, tx bun.IDB, owner string) ([]*CreditGrant, error) {
	var gs []*CreditGrant
	q := db.Select(ctx, tx, &gs).OrderExpr("cg.expires_at, cg.id")
	if owner != "" {
		q = q.Where("cg.owner_id = ?", owner)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("credit grants: %w", err)
	}
	if len(gs) == 0 {
		return gs, nil
	}
	used, err := consumed(ctx, tx, owner)
	if err != nil {
		return nil, err
	}
	for _, g := range gs {
		g.Used = used[g.ID]
		g.Remaining = max(g.Quantity-g.Used, 0)
	}
	return gs, nil
}

// consumed returns, per grant id, the quantity invoices that keep their
// credits applied (of owner's grants, unless "").
func consumed(ctx context.Context, tx bun.IDB, owner string) (map[string]int64, error) {
	var rows []struct {
		GrantID string `bun:"grant_id"`
		Qty     int64  `bun:"qty"`
	}
	q := tx.NewSelect().TableExpr("invoice_lines AS il").
		ColumnExpr("CAST(il.grant_id AS text) AS grant_id, CAST(SUM(il.quantity) AS bigint) AS qty").
		Join("JOIN invoices AS i ON i.tenant_id = il.tenant_id AND i.id = il.invoice_id").
		Where("il.tenant_id = ?", db.TenantID(ctx)).Where("il.grant_id IS NOT NULL").
		Where(consumedWhere, false).GroupExpr("il.grant_id")
	if owner != "" {
		q = q.Where("i.owner_id = ?", owner)
	}
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("credits used: %w", err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.GrantID] = r.Qty
	}
	return out, nil
}

// GrantPack grants every item of pk to owner in tx (the caller's,
// bound to the tenant in ctx), expiring pk.Valid from now. Conflict
// (invoicing.error.pack_granted) when owner has had pk already. actor is
// the granting user ("" for the system).
func (s *Service) GrantPack(ctx context.Context, tx bun.IDB, ownerID string, pk Pack, actor string) ([]*CreditGrant, error) {
	o, err := loadOwner(ctx, tx, ownerID)
	if err != nil {
		return nil, err
	}
	taken, err := db.Select(ctx, tx, (*CreditGrant)(nil)).Where("cg.owner_id = ?", o.ID).Where("cg.pack = ?", pk.Name).Exists(ctx)
	if err != nil {
		return nil, err
	}
	if taken {
		return nil, errPackGranted
	}
	now := s.now().UTC()
	var gs []*CreditGrant
	for _, it := range pk.Items {
		g := &CreditGrant{TenantID: db.TenantID(ctx), ID: tenants.NewID(), OwnerKind: o.Kind, OwnerID: o.ID, Metric: it.Metric,
			Quantity: it.Quantity, Pack: pk.Name, ExpiresAt: now.Add(pk.Valid), CreatedAt: now, Remaining: it.Quantity}
		if actor != "" {
			g.GrantedBy = &actor
		}
		gs = append(gs, g)
	}
	if _, err := tx.NewInsert().Model(&gs).Exec(ctx); err != nil {
		if db.IsUniqueViolation(err) {
			return nil, errPackGranted
		}
		return nil, fmt.Errorf("grant %s pack: %w", pk.Name, err)
	}
	return gs, nil
}

// GrantOnboardingPack grants shop shopID the OnboardingPack. p needs
// PermManage in the tenant's domain. NotFound for shops of other tenants
// (and pickup points); Conflict when the shop has had it already.
func (s *Service) GrantOnboardingPack(ctx context.Context, p *identity.Principal, shopID string) ([]*CreditGrant, error) {
	if _, err := s.checkTenant(ctx, p, PermManage); err != nil {
		return nil, err
	}
	var gs []*CreditGrant
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		o, err := loadOwner(ctx, tx, shopID)
		if err != nil {
			return err
		}
		if o.Kind != OwnerShop || o.Flagship {
			return errNotFound
		}
		gs, err = s.GrantPack(ctx, tx, shopID, OnboardingPack, actorOf(p))
		return err
	})
	return gs, err
}

// Credits lists owner ownerID's grants with what is used and left. p
// needs PermRead in the tenant's domain or the shop's. NotFound for other
// tenants' owners.
func (s *Service) Credits(ctx context.Context, p *identity.Principal, ownerID string) ([]*CreditGrant, error) {
	if _, err := identity.TenantOf(ctx, p); err != nil {
		return nil, err
	}
	var gs []*CreditGrant
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if _, err := s.ownerFor(ctx, tx, p, ownerID); err != nil {
			return err
		}
		var err error
		gs, err = s.grants(ctx, tx, ownerID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if gs == nil {
		gs = []*CreditGrant{}
	}
	return gs, nil
}
