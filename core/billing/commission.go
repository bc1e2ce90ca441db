package billing

import (
	"context"
	"fmt"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Commission override scopes.
const (
	ScopeCategory = "category" // a category and its subtree
	ScopeShop     = "shop"     // one shop; wins over any category's rate
)

// CommissionRate is a commission override of the tenant.
type CommissionRate struct {
	bun.BaseModel `bun:"table:commission_rates,alias:cr"`

	TenantID  string    `bun:"tenant_id,pk" json:"-"`
	Scope     string    `bun:"scope,pk" json:"scope"`
	TargetID  string    `bun:"target_id,pk" json:"target_id"`
	RateBP    int       `bun:"rate_bp,notnull" json:"rate_bp"`
	UpdatedBy *string   `bun:"updated_by" json:"updated_by,omitempty"`
	UpdatedAt time.Time `bun:"updated_at,notnull" json:"updated_at"`

	// TargetName is the category's or shop's name, for display.
	TargetName string `bun:"-" json:"target_name"`
}

// CommissionRates are the tenant's default rate and its overrides.
type CommissionRates struct {
	DefaultBP int               `json:"default_bp"`
	Overrides []*CommissionRate `json:"overrides"`
}

// category is the part of a catalog category the ledger reads.
type category struct {
	bun.BaseModel `bun:"table:categories,alias:c"`

	TenantID string  `bun:"tenant_id,pk"`
	ID       string  `bun:"id,pk"`
	ParentID *string `bun:"parent_id"`
	Name     string  `bun:"name"`
}

// CommissionRates returns the tenant's default commission rate and its
// overrides (shops first, then categories, by target). p needs
// PermSettings in the tenant's domain.
func (s *Service) CommissionRates(ctx context.Context, p *identity.Principal) (*CommissionRates, error) {
	t, err := s.checkTenant(ctx, p, PermSettings)
	if err != nil {
		return nil, err
	}
	out := &CommissionRates{DefaultBP: t.Settings.Commission(), Overrides: []*CommissionRate{}}
	err = s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if err := db.Select(ctx, tx, &out.Overrides).OrderExpr("cr.scope DESC, cr.target_id").Scan(ctx); err != nil {
			return fmt.Errorf("list commission rates: %w", err)
		}
		var cats, shops []string
		for _, r := range out.Overrides {
			if r.Scope == ScopeCategory {
				cats = append(cats, r.TargetID)
			} else {
				shops = append(shops, r.TargetID)
			}
		}
		names := map[string]string{}
		var rows []struct {
			ID   string `bun:"id"`
			Name string `bun:"name"`
		}
		if len(cats) > 0 {
			if err := db.Select(ctx, tx, (*category)(nil)).Column("c.id", "c.name").Where("c.id IN (?)", bun.List(cats)).Scan(ctx, &rows); err != nil {
				return fmt.Errorf("category names: %w", err)
			}
		}
		if len(shops) > 0 {
			var more []struct {
				ID   string `bun:"id"`
				Name string `bun:"name"`
			}
			if err := tx.NewSelect().Table("shops").Column("id", "name").Where("tenant_id = ?", db.TenantID(ctx)).
				Where("id IN (?)", bun.List(shops)).Scan(ctx, &more); err != nil {
				return fmt.Errorf("shop names: %w", err)
			}
			rows = append(rows, more...)
		}
		for _, r := range rows {
			names[r.ID] = r.Name
		}
		for _, r := range out.Overrides {
			r.TargetName = names[r.TargetID]
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// target checks that targetID is a category or shop (per scope) of the
// tenant and returns its name; NotFound otherwise, and for an unknown
// scope.
func target(ctx context.Context, tx bun.IDB, scope, targetID string) (string, error) {
	if !validID(targetID) {
		return "", errNotFound
	}
	switch scope {
	case ScopeCategory:
		c := new(category)
		if err := db.Select(ctx, tx, c).Where("c.id = ?", targetID).Scan(ctx); err != nil {
			return "", db.NotFound(err, errNotFound)
		}
		return c.Name, nil
	case ScopeShop:
		sh, err := loadShop(ctx, tx, targetID)
		if err != nil {
			return "", err
		}
		return sh.Name, nil
	}
	return "", errNotFound
}

// SetCommissionRate sets the commission override of a category (and its
// subtree) or a shop to rateBP basis points (0–10000), replacing any
// override it had. p needs PermSettings in the tenant's domain. Returns
// NotFound for an unknown scope and for a category or shop that is not
// the tenant's; Invalid ("rate_bp": billing.field.rate_range) for a rate
// out of range.
func (s *Service) SetCommissionRate(ctx context.Context, p *identity.Principal, scope, targetID string, rateBP int) (*CommissionRate, error) {
	if _, err := s.checkTenant(ctx, p, PermSettings); err != nil {
		return nil, err
	}
	if scope != ScopeCategory && scope != ScopeShop {
		return nil, errNotFound
	}
	var fe core.FieldErrors
	if rateBP < 0 || rateBP > MaxRateBP {
		fe.Add("rate_bp", "billing.field.rate_range")
	}
	var r *CommissionRate
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		name, err := target(ctx, tx, scope, targetID)
		if err != nil {
			return err
		}
		if err := fe.Err(); err != nil {
			return err
		}
		uid := p.UserID
		r = &CommissionRate{TenantID: db.TenantID(ctx), Scope: scope, TargetID: targetID, RateBP: rateBP,
			UpdatedBy: &uid, UpdatedAt: s.now().UTC(), TargetName: name}
		_, err = tx.NewInsert().Model(r).
			On("CONFLICT (tenant_id, scope, target_id) DO UPDATE").
			Set("rate_bp = EXCLUDED.rate_bp").Set("updated_by = EXCLUDED.updated_by").Set("updated_at = EXCLUDED.updated_at").
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("set commission rate: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// DeleteCommissionRate removes the override of a category or shop, which
// then pays the rate of its nearest ancestor with one, or the tenant's
// default. p needs PermSettings in the tenant's domain. Returns NotFound
// when there is no such override.
func (s *Service) DeleteCommissionRate(ctx context.Context, p *identity.Principal, scope, targetID string) error {
	if _, err := s.checkTenant(ctx, p, PermSettings); err != nil {
		return err
	}
	if (scope != ScopeCategory && scope != ScopeShop) || !validID(targetID) {
		return errNotFound
	}
	return s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		res, err := db.Delete(ctx, tx, (*CommissionRate)(nil)).Where("cr.scope = ?", scope).Where("cr.target_id = ?", targetID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("delete commission rate: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errNotFound
		}
		return nil
	})
}

// rateBook answers the commission rate of lines of one shop.
type rateBook struct {
	def    int
	shop   *int
	cats   map[string]int
	parent map[string]string
}

// maxDepth bounds the walk up the category tree.
const maxDepth = 64

// rate returns the rate for a line of category categoryID: the shop's
// override, else the nearest category override on the way to the root,
// else the default.
func (b *rateBook) rate(categoryID string) int {
	if b.shop != nil {
		return *b.shop
	}
	id := categoryID
	for i := 0; id != "" && i < maxDepth; i++ {
		if r, ok := b.cats[id]; ok {
			return r
		}
		id = b.parent[id]
	}
	return b.def
}

// loadRates reads the overrides that can apply to shopID's lines.
func loadRates(ctx context.Context, tx bun.IDB, shopID string) (*rateBook, error) {
	var shops []string
	if validID(shopID) {
		shops = []string{shopID}
	}
	books, err := loadRateBooks(ctx, tx, shops)
	if err != nil {
		return nil, err
	}
	if b := books[shopID]; b != nil {
		return b, nil
	}
	return books[""], nil
}

// loadRateBooks reads the overrides that can apply to the lines of shops
// (valid ids): a book per shop, and under "" the book of a shop without
// an override.
func loadRateBooks(ctx context.Context, tx bun.IDB, shops []string) (map[string]*rateBook, error) {
	def := tenants.MustFromContext(ctx).Settings.Commission()
	var rs []*CommissionRate
	err := db.Select(ctx, tx, &rs).WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		q = q.Where("cr.scope = ?", ScopeCategory)
		if len(shops) > 0 {
			q = q.WhereOr("cr.scope = ? AND cr.target_id IN (?)", ScopeShop, bun.List(shops))
		}
		return q
	}).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("load commission rates: %w", err)
	}
	common := &rateBook{def: def, cats: map[string]int{}, parent: map[string]string{}}
	shopRate := map[string]int{}
	for _, r := range rs {
		if r.Scope == ScopeShop {
			shopRate[r.TargetID] = r.RateBP
		} else {
			common.cats[r.TargetID] = r.RateBP
		}
	}
	if len(common.cats) > 0 && len(shopRate) < len(shops) {
		var cs []*category
		if err := db.Select(ctx, tx, &cs).Column("c.id", "c.parent_id").Scan(ctx); err != nil {
			return nil, fmt.Errorf("load categories: %w", err)
		}
		for _, c := range cs {
			if c.ParentID != nil {
				common.parent[c.ID] = *c.ParentID
			}
		}
	}
	books := map[string]*rateBook{"": common}
	for _, id := range shops {
		books[id] = common
		if v, ok := shopRate[id]; ok {
			b := *common
			b.shop = &v
			books[id] = &b
		}
	}
	return books, nil
}

// RateFor returns the commission rate in basis points that a line of
// category categoryID ("" for none) sold by shop shopID pays now: the
// shop's override, else the override of the category or its nearest
// ancestor, else the tenant's default.
func (s *Service) RateFor(ctx context.Context, idb bun.IDB, shopID, categoryID string) (int, error) {
	b, err := loadRates(ctx, idb, shopID)
	if err != nil {
		return 0, err
	}
	return b.rate(categoryID), nil
}
