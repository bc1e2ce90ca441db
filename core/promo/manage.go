package promo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Methods on promotions and coupons take a shopID: a shop's own (p needs
// PermManage in the shop's domain), or "" for the tenant's (p needs
// PermPlatform in the tenant's domain). Ids of another tenant or shop
// answer NotFound.

// scope authorises p for the promotions of shopID ("" for the tenant's).
func (s *Service) scope(ctx context.Context, tx bun.IDB, p *identity.Principal, shopID string, write bool) error {
	if shopID == "" {
		return s.tenantAdmin(ctx, p, PermPlatform)
	}
	_, err := s.shopFor(ctx, tx, p, shopID, PermManage, write)
	return err
}

// inScope narrows q (a table with alias a and a shop_id column) to
// shopID's rows, or the tenant's (shop_id NULL) for "".
func inScope(q *bun.SelectQuery, a, shopID string) *bun.SelectQuery {
	if shopID == "" {
		return q.Where(a + ".shop_id IS NULL")
	}
	return q.Where(a+".shop_id = ?", shopID)
}

func page(q *bun.SelectQuery, pg merchant.Page) *bun.SelectQuery {
	if pg.Offset > 0 {
		q = q.Offset(int64(pg.Offset))
	}
	if pg.Limit > 0 {
		q = q.Limit(int64(pg.Limit))
	}
	return q
}

func (s *Service) read(ctx context.Context, fn db.TxFunc) error  { return s.DB.RunInReadTx(ctx, fn) }
func (s *Service) write(ctx context.Context, fn db.TxFunc) error { return s.DB.RunInTx(ctx, fn) }

// ---- Promotions ----

// Promotions lists the promotions of shopID ("" for the tenant's), the
// latest start first.
func (s *Service) Promotions(ctx context.Context, p *identity.Principal, shopID string, pg merchant.Page) ([]*Promotion, error) {
	out := []*Promotion{}
	err := s.read(ctx, func(ctx context.Context, tx bun.IDB) error {
		if err := s.scope(ctx, tx, p, shopID, false); err != nil {
			return err
		}
		return page(inScope(db.Select(ctx, tx, &out), "pr", shopID), pg).Order("pr.starts_at DESC", "pr.id").Scan(ctx)
	})
	return out, err
}

func loadPromotion(ctx context.Context, tx bun.IDB, shopID, id string) (*Promotion, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	pr := new(Promotion)
	if err := inScope(db.Select(ctx, tx, pr), "pr", shopID).Where("pr.id = ?", id).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return pr, nil
}

// Promotion returns promotion id of shopID ("" for the tenant's).
func (s *Service) Promotion(ctx context.Context, p *identity.Principal, shopID, id string) (*Promotion, error) {
	var out *Promotion
	err := s.read(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		if err = s.scope(ctx, tx, p, shopID, false); err != nil {
			return err
		}
		out, err = loadPromotion(ctx, tx, shopID, id)
		return err
	})
	return out, err
}

// CreatePromotion adds a promotion to shopID ("" for the tenant's).
// Returns Invalid with field errors for bad input, including a 满减 tier
// that breaks the discount floor (the message names the largest discount
// allowed, in yuan).
func (s *Service) CreatePromotion(ctx context.Context, p *identity.Principal, shopID string, in PromotionInput) (*Promotion, error) {
	var out *Promotion
	err := s.write(ctx, func(ctx context.Context, tx bun.IDB) error {
		if err := s.scope(ctx, tx, p, shopID, true); err != nil {
			return err
		}
		pr, err := checkPromotion(ctx, tx, in, shopID)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		pr.TenantID, pr.ID, pr.CreatedAt, pr.UpdatedAt = db.TenantID(ctx), tenants.NewID(), now, now
		if _, err := tx.NewInsert().Model(pr).Exec(ctx); err != nil {
			return fmt.Errorf("create promotion: %w", err)
		}
		out = pr
		return nil
	})
	return out, err
}

// UpdatePromotion replaces promotion id of shopID with in (set active
// false to end it early). Errors as CreatePromotion; NotFound for ids
// outside the scope.
func (s *Service) UpdatePromotion(ctx context.Context, p *identity.Principal, shopID, id string, in PromotionInput) (*Promotion, error) {
	var out *Promotion
	err := s.write(ctx, func(ctx context.Context, tx bun.IDB) error {
		if err := s.scope(ctx, tx, p, shopID, true); err != nil {
			return err
		}
		old, err := loadPromotion(ctx, tx, shopID, id)
		if err != nil {
			return err
		}
		pr, err := checkPromotion(ctx, tx, in, shopID)
		if err != nil {
			return err
		}
		pr.TenantID, pr.ID, pr.CreatedAt, pr.UpdatedAt = old.TenantID, old.ID, old.CreatedAt, time.Now().UTC()
		if _, err := db.Update(ctx, tx, pr).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("update promotion: %w", err)
		}
		out = pr
		return nil
	})
	return out, err
}

// DeletePromotion removes promotion id of shopID. Orders keep the label
// and amount of what it took off.
func (s *Service) DeletePromotion(ctx context.Context, p *identity.Principal, shopID, id string) error {
	return s.write(ctx, func(ctx context.Context, tx bun.IDB) error {
		if err := s.scope(ctx, tx, p, shopID, true); err != nil {
			return err
		}
		pr, err := loadPromotion(ctx, tx, shopID, id)
		if err != nil {
			return err
		}
		_, err = db.Delete(ctx, tx, pr).WherePK().Exec(ctx)
		return err
	})
}

// ---- Coupons ----

// Coupons lists the coupons of shopID ("" for the tenant's), newest first.
func (s *Service) Coupons(ctx context.Context, p *identity.Principal, shopID string, pg merchant.Page) ([]*Coupon, error) {
	out := []*Coupon{}
	err := s.read(ctx, func(ctx context.Context, tx bun.IDB) error {
		if err := s.scope(ctx, tx, p, shopID, false); err != nil {
			return err
		}
		return page(inScope(db.Select(ctx, tx, &out), "cp", shopID), pg).Order("cp.created_at DESC", "cp.id").Scan(ctx)
	})
	return out, err
}

func loadCoupon(ctx context.Context, tx bun.IDB, shopID, id string) (*Coupon, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	c := new(Coupon)
	if err := inScope(db.Select(ctx, tx, c), "cp", shopID).Where("cp.id = ?", id).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return c, nil
}

// Coupon returns coupon id of shopID ("" for the tenant's).
func (s *Service) Coupon(ctx context.Context, p *identity.Principal, shopID, id string) (*Coupon, error) {
	var out *Coupon
	err := s.read(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		if err = s.scope(ctx, tx, p, shopID, false); err != nil {
			return err
		}
		out, err = loadCoupon(ctx, tx, shopID, id)
		return err
	})
	return out, err
}

// CreateCoupon adds a coupon to shopID ("" for a tenant coupon). Returns
// Invalid with field errors for bad input: a code taken in the tenant,
// an amount off above what the discount floor allows for the minimum
// spend (the message names the largest amount, in yuan), …
func (s *Service) CreateCoupon(ctx context.Context, p *identity.Principal, shopID string, in CouponInput) (*Coupon, error) {
	var out *Coupon
	err := s.write(ctx, func(ctx context.Context, tx bun.IDB) error {
		if err := s.scope(ctx, tx, p, shopID, true); err != nil {
			return err
		}
		c, err := checkCoupon(ctx, tx, in, shopID, nil)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		c.TenantID, c.ID, c.CreatedAt, c.UpdatedAt = db.TenantID(ctx), tenants.NewID(), now, now
		if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
			if db.IsUniqueViolation(err) {
				return (core.FieldErrors{"code": "promo.field.code_taken"}).Err()
			}
			return fmt.Errorf("create coupon: %w", err)
		}
		out = c
		return nil
	})
	return out, err
}

// UpdateCoupon replaces coupon id of shopID with in; its use count stays
// (the total limit may not fall below it). Errors as CreateCoupon.
func (s *Service) UpdateCoupon(ctx context.Context, p *identity.Principal, shopID, id string, in CouponInput) (*Coupon, error) {
	var out *Coupon
	err := s.write(ctx, func(ctx context.Context, tx bun.IDB) error {
		if err := s.scope(ctx, tx, p, shopID, true); err != nil {
			return err
		}
		old, err := loadCoupon(ctx, tx, shopID, id)
		if err != nil {
			return err
		}
		c, err := checkCoupon(ctx, tx, in, shopID, old)
		if err != nil {
			return err
		}
		c.TenantID, c.ID, c.CreatedAt, c.UpdatedAt = old.TenantID, old.ID, old.CreatedAt, time.Now().UTC()
		res, err := db.Update(ctx, tx, c).WherePK().ExcludeColumn("used_count").
			Where("(? = 0 OR cp.used_count <= ?)", c.TotalLimit, c.TotalLimit).Exec(ctx)
		if err != nil {
			if db.IsUniqueViolation(err) {
				return (core.FieldErrors{"code": "promo.field.code_taken"}).Err()
			}
			return fmt.Errorf("update coupon: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return (core.FieldErrors{"total_limit": "promo.field.total_range"}).Err()
		}
		c.UsedCount = old.UsedCount
		out = c
		return nil
	})
	return out, err
}

// DeleteCoupon removes coupon id of shopID. Returns Conflict once it has
// been used (disable it instead: active false).
func (s *Service) DeleteCoupon(ctx context.Context, p *identity.Principal, shopID, id string) error {
	return s.write(ctx, func(ctx context.Context, tx bun.IDB) error {
		if err := s.scope(ctx, tx, p, shopID, true); err != nil {
			return err
		}
		c, err := loadCoupon(ctx, tx, shopID, id)
		if err != nil {
			return err
		}
		used, err := db.Select(ctx, tx, (*redemption)(nil)).Where("rd.coupon_id = ?", c.ID).Exists(ctx)
		if err != nil {
			return fmt.Errorf("look up coupon uses: %w", err)
		}
		if used {
			return core.Errorf(core.Conflict, "promo.error.coupon_used")
		}
		_, err = db.Delete(ctx, tx, c).WherePK().Exec(ctx)
		return err
	})
}

// ---- Flash sales (shops only; PermManage) ----

// FlashSales lists the flash sales of shop shopID, the latest start first.
func (s *Service) FlashSales(ctx context.Context, p *identity.Principal, shopID string, pg merchant.Page) ([]*FlashSale, error) {
	out := []*FlashSale{}
	err := s.read(ctx, func(ctx context.Context, tx bun.IDB) error {
		if _, err := s.shopFor(ctx, tx, p, shopID, PermManage, false); err != nil {
			return err
		}
		return page(db.Select(ctx, tx, &out).Where("fs.shop_id = ?", shopID), pg).Order("fs.starts_at DESC", "fs.id").Scan(ctx)
	})
	return out, err
}

func loadFlashSale(ctx context.Context, tx bun.IDB, shopID, id string) (*FlashSale, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	f := new(FlashSale)
	if err := db.Select(ctx, tx, f).Where("fs.shop_id = ?", shopID).Where("fs.id = ?", id).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return f, nil
}

// FlashSale returns flash sale id of shop shopID.
func (s *Service) FlashSale(ctx context.Context, p *identity.Principal, shopID, id string) (*FlashSale, error) {
	var out *FlashSale
	err := s.read(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		if _, err = s.shopFor(ctx, tx, p, shopID, PermManage, false); err != nil {
			return err
		}
		out, err = loadFlashSale(ctx, tx, shopID, id)
		return err
	})
	return out, err
}

// CreateFlashSale adds a flash sale to shop shopID. Returns Invalid with
// field errors for bad input: a SKU not of the shop, a price not below
// the catalog price or below the discount floor (the message names the
// lowest price allowed, in yuan), a window overlapping another active
// flash sale of the SKU.
func (s *Service) CreateFlashSale(ctx context.Context, p *identity.Principal, shopID string, in FlashSaleInput) (*FlashSale, error) {
	var out *FlashSale
	err := s.write(ctx, func(ctx context.Context, tx bun.IDB) error {
		if _, err := s.shopFor(ctx, tx, p, shopID, PermManage, true); err != nil {
			return err
		}
		f, err := checkFlashSale(ctx, tx, in, shopID, nil)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		f.TenantID, f.ID, f.CreatedAt, f.UpdatedAt = db.TenantID(ctx), tenants.NewID(), now, now
		if _, err := tx.NewInsert().Model(f).Exec(ctx); err != nil {
			return fmt.Errorf("create flash sale: %w", err)
		}
		out = f
		return nil
	})
	return out, err
}

// UpdateFlashSale replaces flash sale id of shop shopID with in; units
// sold stay (the cap may not fall below them). Errors as CreateFlashSale.
func (s *Service) UpdateFlashSale(ctx context.Context, p *identity.Principal, shopID, id string, in FlashSaleInput) (*FlashSale, error) {
	var out *FlashSale
	err := s.write(ctx, func(ctx context.Context, tx bun.IDB) error {
		if _, err := s.shopFor(ctx, tx, p, shopID, PermManage, true); err != nil {
			return err
		}
		old, err := loadFlashSale(ctx, tx, shopID, id)
		if err != nil {
			return err
		}
		f, err := checkFlashSale(ctx, tx, in, shopID, old)
		if err != nil {
			return err
		}
		f.TenantID, f.ID, f.CreatedAt, f.UpdatedAt = old.TenantID, old.ID, old.CreatedAt, time.Now().UTC()
		res, err := db.Update(ctx, tx, f).WherePK().ExcludeColumn("sold").Where("fs.sold <= ?", f.QtyCap).Exec(ctx)
		if err != nil {
			return fmt.Errorf("update flash sale: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return (core.FieldErrors{"qty_cap": "promo.field.cap_range"}).Err()
		}
		f.Sold = old.Sold
		out = f
		return nil
	})
	return out, err
}

// DeleteFlashSale removes flash sale id of shop shopID. Returns Conflict
// once units were sold (deactivate it instead).
func (s *Service) DeleteFlashSale(ctx context.Context, p *identity.Principal, shopID, id string) error {
	return s.write(ctx, func(ctx context.Context, tx bun.IDB) error {
		if _, err := s.shopFor(ctx, tx, p, shopID, PermManage, true); err != nil {
			return err
		}
		f, err := loadFlashSale(ctx, tx, shopID, id)
		if err != nil {
			return err
		}
		sold, err := db.Select(ctx, tx, (*flashUnits)(nil)).Where("fu.flash_sale_id = ?", f.ID).Exists(ctx)
		if err != nil {
			return fmt.Errorf("look up flash units: %w", err)
		}
		if sold {
			return core.Errorf(core.Conflict, "promo.error.flash_sold")
		}
		_, err = db.Delete(ctx, tx, f).WherePK().Exec(ctx)
		return err
	})
}

// ---- Price lists (shops; PermPrices) ----

func withEntries(ctx context.Context, tx bun.IDB, pls ...*PriceList) error {
	if len(pls) == 0 {
		return nil
	}
	ids := make([]string, 0, len(pls))
	byID := map[string]*PriceList{}
	for _, pl := range pls {
		pl.Entries = []*PriceEntry{}
		ids = append(ids, pl.ID)
		byID[pl.ID] = pl
	}
	var es []*PriceEntry
	if err := db.Select(ctx, tx, &es).Where("pe.price_list_id IN (?)", bun.List(ids)).
		Order("pe.price_list_id", "pe.sku_id", "pe.min_qty").Scan(ctx); err != nil {
		return fmt.Errorf("read price list entries: %w", err)
	}
	for _, e := range es {
		byID[e.PriceListID].Entries = append(byID[e.PriceListID].Entries, e)
	}
	return nil
}

// PriceLists lists the price lists of shop shopID by name, with entries.
func (s *Service) PriceLists(ctx context.Context, p *identity.Principal, shopID string, pg merchant.Page) ([]*PriceList, error) {
	out := []*PriceList{}
	err := s.read(ctx, func(ctx context.Context, tx bun.IDB) error {
		if _, err := s.shopFor(ctx, tx, p, shopID, PermPrices, false); err != nil {
			return err
		}
		if err := page(db.Select(ctx, tx, &out).Where("pl.shop_id = ?", shopID), pg).Order("pl.name", "pl.id").Scan(ctx); err != nil {
			return err
		}
		return withEntries(ctx, tx, out...)
	})
	return out, err
}

func loadPriceList(ctx context.Context, tx bun.IDB, shopID, id string) (*PriceList, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	pl := new(PriceList)
	if err := db.Select(ctx, tx, pl).Where("pl.shop_id = ?", shopID).Where("pl.id = ?", id).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return pl, withEntries(ctx, tx, pl)
}

// PriceList returns price list id of shop shopID with its entries.
func (s *Service) PriceList(ctx context.Context, p *identity.Principal, shopID, id string) (*PriceList, error) {
	var out *PriceList
	err := s.read(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		if _, err = s.shopFor(ctx, tx, p, shopID, PermPrices, false); err != nil {
			return err
		}
		out, err = loadPriceList(ctx, tx, shopID, id)
		return err
	})
	return out, err
}

func insertEntries(ctx context.Context, tx bun.IDB, pl *PriceList) error {
	if len(pl.Entries) == 0 {
		return nil
	}
	for _, e := range pl.Entries {
		e.TenantID, e.PriceListID = pl.TenantID, pl.ID
	}
	if _, err := tx.NewInsert().Model(&pl.Entries).Exec(ctx); err != nil {
		return fmt.Errorf("record price list entries: %w", err)
	}
	return nil
}

// CreatePriceList adds a price list for a customer group to shop shopID
// (one per group). Returns Invalid with field errors for bad input: an
// unknown group, SKUs not of the shop, tier prices for a group that is
// not wholesale, prices below the discount floor (the message names the
// lowest price allowed, in yuan).
func (s *Service) CreatePriceList(ctx context.Context, p *identity.Principal, shopID string, in PriceListInput) (*PriceList, error) {
	var out *PriceList
	err := s.write(ctx, func(ctx context.Context, tx bun.IDB) error {
		if _, err := s.shopFor(ctx, tx, p, shopID, PermPrices, true); err != nil {
			return err
		}
		pl, err := checkPriceList(ctx, tx, in, shopID, nil)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		pl.TenantID, pl.ID, pl.CreatedAt, pl.UpdatedAt = db.TenantID(ctx), tenants.NewID(), now, now
		if _, err := tx.NewInsert().Model(pl).Exec(ctx); err != nil {
			if db.IsUniqueViolation(err) {
				return (core.FieldErrors{"group_id": "promo.field.group_has_list"}).Err()
			}
			return fmt.Errorf("create price list: %w", err)
		}
		out = pl
		return insertEntries(ctx, tx, pl)
	})
	return out, err
}

// UpdatePriceList replaces price list id of shop shopID, entries and all.
// Errors as CreatePriceList.
func (s *Service) UpdatePriceList(ctx context.Context, p *identity.Principal, shopID, id string, in PriceListInput) (*PriceList, error) {
	var out *PriceList
	err := s.write(ctx, func(ctx context.Context, tx bun.IDB) error {
		if _, err := s.shopFor(ctx, tx, p, shopID, PermPrices, true); err != nil {
			return err
		}
		old, err := loadPriceList(ctx, tx, shopID, id)
		if err != nil {
			return err
		}
		pl, err := checkPriceList(ctx, tx, in, shopID, old)
		if err != nil {
			return err
		}
		pl.TenantID, pl.ID, pl.CreatedAt, pl.UpdatedAt = old.TenantID, old.ID, old.CreatedAt, time.Now().UTC()
		if _, err := db.Update(ctx, tx, pl).WherePK().Exec(ctx); err != nil {
			if db.IsUniqueViolation(err) {
				return (core.FieldErrors{"group_id": "promo.field.group_has_list"}).Err()
			}
			return fmt.Errorf("update price list: %w", err)
		}
		if _, err := db.Delete(ctx, tx, (*PriceEntry)(nil)).Where("pe.price_list_id = ?", pl.ID).Exec(ctx); err != nil {
			return fmt.Errorf("clear price list entries: %w", err)
		}
		out = pl
		return insertEntries(ctx, tx, pl)
	})
	return out, err
}

// DeletePriceList removes price list id of shop shopID.
func (s *Service) DeletePriceList(ctx context.Context, p *identity.Principal, shopID, id string) error {
	return s.write(ctx, func(ctx context.Context, tx bun.IDB) error {
		if _, err := s.shopFor(ctx, tx, p, shopID, PermPrices, true); err != nil {
			return err
		}
		pl, err := loadPriceList(ctx, tx, shopID, id)
		if err != nil {
			return err
		}
		if _, err := db.Delete(ctx, tx, (*PriceEntry)(nil)).Where("pe.price_list_id = ?", pl.ID).Exec(ctx); err != nil {
			return err
		}
		_, err = db.Delete(ctx, tx, pl).WherePK().Exec(ctx)
		return err
	})
}

// ---- Customer groups (tenant; PermCustomers) ----

func loadGroup(ctx context.Context, tx bun.IDB, id string) (*CustomerGroup, error) {
	if !validID(id) {
		return nil, errNotFound
	}
	g := new(CustomerGroup)
	if err := db.Select(ctx, tx, g).Where("cg.id = ?", id).Scan(ctx); err != nil {
		return nil, db.NotFound(err, errNotFound)
	}
	return g, nil
}

func withMemberCounts(ctx context.Context, tx bun.IDB, gs ...*CustomerGroup) error {
	for _, g := range gs {
		n, err := db.Select(ctx, tx, (*Member)(nil)).Where("gm.group_id = ?", g.ID).Count(ctx)
		if err != nil {
			return fmt.Errorf("count members: %w", err)
		}
		g.Members = int(n)
	}
	return nil
}

// Groups lists the tenant's customer groups by name. p needs
// PermCustomers in the tenant's domain.
func (s *Service) Groups(ctx context.Context, p *identity.Principal, pg merchant.Page) ([]*CustomerGroup, error) {
	if err := s.tenantAdmin(ctx, p, PermCustomers); err != nil {
		return nil, err
	}
	out := []*CustomerGroup{}
	err := s.read(ctx, func(ctx context.Context, tx bun.IDB) error {
		if err := page(db.Select(ctx, tx, &out), pg).Order("cg.name", "cg.id").Scan(ctx); err != nil {
			return err
		}
		return withMemberCounts(ctx, tx, out...)
	})
	return out, err
}

// ShopGroups lists the tenant's customer groups for the price lists of
// shop shopID (p needs PermPrices there), by name, without member counts.
func (s *Service) ShopGroups(ctx context.Context, p *identity.Principal, shopID string, pg merchant.Page) ([]*CustomerGroup, error) {
	out := []*CustomerGroup{}
	err := s.read(ctx, func(ctx context.Context, tx bun.IDB) error {
		if _, err := s.shopFor(ctx, tx, p, shopID, PermPrices, false); err != nil {
			return err
		}
		return page(db.Select(ctx, tx, &out), pg).Order("cg.name", "cg.id").Scan(ctx)
	})
	return out, err
}

// Group returns customer group id.
func (s *Service) Group(ctx context.Context, p *identity.Principal, id string) (*CustomerGroup, error) {
	if err := s.tenantAdmin(ctx, p, PermCustomers); err != nil {
		return nil, err
	}
	var out *CustomerGroup
	err := s.read(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		if out, err = loadGroup(ctx, tx, id); err != nil {
			return err
		}
		return withMemberCounts(ctx, tx, out)
	})
	return out, err
}

// CreateGroup adds a customer group. Returns Invalid with field errors
// for bad input (a name taken, an unknown kind).
func (s *Service) CreateGroup(ctx context.Context, p *identity.Principal, in GroupInput) (*CustomerGroup, error) {
	if err := s.tenantAdmin(ctx, p, PermCustomers); err != nil {
		return nil, err
	}
	var out *CustomerGroup
	err := s.write(ctx, func(ctx context.Context, tx bun.IDB) error {
		g, err := checkGroup(ctx, tx, in, nil)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		g.TenantID, g.ID, g.CreatedAt, g.UpdatedAt = db.TenantID(ctx), tenants.NewID(), now, now
		if _, err := tx.NewInsert().Model(g).Exec(ctx); err != nil {
			if db.IsUniqueViolation(err) {
				return (core.FieldErrors{"name": "promo.field.name_taken"}).Err()
			}
			return fmt.Errorf("create group: %w", err)
		}
		out = g
		return nil
	})
	return out, err
}

// UpdateGroup replaces customer group id. Errors as CreateGroup.
func (s *Service) UpdateGroup(ctx context.Context, p *identity.Principal, id string, in GroupInput) (*CustomerGroup, error) {
	if err := s.tenantAdmin(ctx, p, PermCustomers); err != nil {
		return nil, err
	}
	var out *CustomerGroup
	err := s.write(ctx, func(ctx context.Context, tx bun.IDB) error {
		old, err := loadGroup(ctx, tx, id)
		if err != nil {
			return err
		}
		g, err := checkGroup(ctx, tx, in, old)
		if err != nil {
			return err
		}
		g.TenantID, g.ID, g.CreatedAt, g.UpdatedAt = old.TenantID, old.ID, old.CreatedAt, time.Now().UTC()
		if _, err := db.Update(ctx, tx, g).WherePK().Exec(ctx); err != nil {
			if db.IsUniqueViolation(err) {
				return (core.FieldErrors{"name": "promo.field.name_taken"}).Err()
			}
			return fmt.Errorf("update group: %w", err)
		}
		out = g
		return withMemberCounts(ctx, tx, g)
	})
	return out, err
}

// DeleteGroup removes customer group id with its members and the shops'
// price lists for it.
func (s *Service) DeleteGroup(ctx context.Context, p *identity.Principal, id string) error {
	if err := s.tenantAdmin(ctx, p, PermCustomers); err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx bun.IDB) error {
		g, err := loadGroup(ctx, tx, id)
		if err != nil {
			return err
		}
		_, err = db.Delete(ctx, tx, g).WherePK().Exec(ctx)
		return err
	})
}

// Members lists the members of customer group id, the latest added first.
func (s *Service) Members(ctx context.Context, p *identity.Principal, id string, pg merchant.Page) ([]*Member, error) {
	if err := s.tenantAdmin(ctx, p, PermCustomers); err != nil {
		return nil, err
	}
	out := []*Member{}
	err := s.read(ctx, func(ctx context.Context, tx bun.IDB) error {
		if _, err := loadGroup(ctx, tx, id); err != nil {
			return err
		}
		if err := page(db.Select(ctx, tx, &out).Where("gm.group_id = ?", id), pg).Order("gm.created_at DESC", "gm.user_id").Scan(ctx); err != nil {
			return err
		}
		for _, m := range out {
			u := new(identity.User)
			if err := db.Select(ctx, tx, u).Where("u.id = ?", m.UserID).Scan(ctx); err != nil {
				return fmt.Errorf("read member: %w", err)
			}
			m.Name, m.Login = u.Name, u.Login()
		}
		return nil
	})
	return out, err
}

// MemberInput names a user to add to a group: by id, or by e-mail
// address or phone number (login).
type MemberInput struct {
	UserID string `json:"user_id"`
	Login  string `json:"login"`
}

// AddMember adds a user of the tenant to customer group id (adding a
// member again changes nothing). Returns Invalid with a field error for
// an unknown user.
func (s *Service) AddMember(ctx context.Context, p *identity.Principal, id string, in MemberInput) (*Member, error) {
	if err := s.tenantAdmin(ctx, p, PermCustomers); err != nil {
		return nil, err
	}
	var out *Member
	err := s.write(ctx, func(ctx context.Context, tx bun.IDB) error {
		g, err := loadGroup(ctx, tx, id)
		if err != nil {
			return err
		}
		u := new(identity.User)
		q := db.Select(ctx, tx, u)
		field := "user_id"
		switch uid, login := strings.TrimSpace(in.UserID), strings.TrimSpace(in.Login); {
		case uid != "" && validID(uid):
			q = q.Where("u.id = ?", uid)
		case uid != "":
			return (core.FieldErrors{"user_id": "promo.field.user_unknown"}).Err()
		case login != "":
			field = "login"
			q = q.Where("(lower(u.email) = lower(?) OR u.phone = ?)", login, login)
		default:
			return (core.FieldErrors{"user_id": "field.required"}).Err()
		}
		if err := q.Limit(1).Scan(ctx); err != nil {
			if core.IsNotFound(db.NotFound(err, errNotFound)) {
				return (core.FieldErrors{field: "promo.field.user_unknown"}).Err()
			}
			return fmt.Errorf("read user: %w", err)
		}
		by := p.UserID
		m := &Member{TenantID: g.TenantID, GroupID: g.ID, UserID: u.ID, AddedBy: &by, CreatedAt: time.Now().UTC(), Name: u.Name, Login: u.Login()}
		if _, err := tx.NewInsert().Model(m).On("CONFLICT DO NOTHING").Exec(ctx); err != nil {
			return fmt.Errorf("add member: %w", err)
		}
		out = m
		return nil
	})
	return out, err
}

// RemoveMember removes user userID from customer group id. Returns
// NotFound when the user is not a member.
func (s *Service) RemoveMember(ctx context.Context, p *identity.Principal, id, userID string) error {
	if err := s.tenantAdmin(ctx, p, PermCustomers); err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx bun.IDB) error {
		if _, err := loadGroup(ctx, tx, id); err != nil {
			return err
		}
		if !validID(userID) {
			return errNotFound
		}
		res, err := db.Delete(ctx, tx, (*Member)(nil)).Where("gm.group_id = ?", id).Where("gm.user_id = ?", userID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("remove member: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errNotFound
		}
		return nil
	})
}

// ---- Storefront ----

// PublicFlashSale is what shoppers see of a flash sale.
type PublicFlashSale struct {
	ID       string    `json:"id"`
	SKUID    string    `json:"sku_id"`
	Name     string    `json:"name"`
	PriceFen int64     `json:"price_fen"`
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
	Left     int       `json:"left"`
	// PerUserLimit is how many units one shopper may buy (0: no limit).
	PerUserLimit int `json:"per_user_limit"`
}

// PublicPromotion is what shoppers see of a promotion.
type PublicPromotion struct {
	ID           string    `json:"id"`
	Kind         string    `json:"kind"`
	Name         string    `json:"name"`
	Platform     bool      `json:"platform"` // the marketplace's, across shops
	StartsAt     time.Time `json:"starts_at"`
	EndsAt       time.Time `json:"ends_at"`
	Tiers        []Tier    `json:"tiers,omitempty"`
	ThresholdFen int64     `json:"threshold_fen,omitempty"`
	SKUID        string    `json:"sku_id,omitempty"`
	PriceFen     int64     `json:"price_fen,omitempty"`
	ProductID    string    `json:"product_id,omitempty"`
}

// ShopOffers are the promotions running in a shop now, for its
// storefront.
type ShopOffers struct {
	ShopID     string             `json:"shop_id"`
	Promotions []*PublicPromotion `json:"promotions"`
	FlashSales []*PublicFlashSale `json:"flash_sales"`
}

// Offers returns what runs now in the shop whose storefront is at slug:
// its promotions and the tenant's, and its flash sales with units left.
// Coupons are not listed (their codes are handed out). Returns NotFound
// for shops whose storefront does not show. Needs no principal.
func (s *Service) Offers(ctx context.Context, slug string) (*ShopOffers, error) {
	sh, err := s.Merchants.StorefrontShop(ctx, slug)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	out := &ShopOffers{ShopID: sh.ID, Promotions: []*PublicPromotion{}, FlashSales: []*PublicFlashSale{}}
	err = s.read(ctx, func(ctx context.Context, tx bun.IDB) error {
		var ps []*Promotion
		if err := db.Select(ctx, tx, &ps).Where("pr.active = ?", true).Where("pr.starts_at <= ?", now).Where("pr.ends_at > ?", now).
			WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
				return q.Where("pr.shop_id = ?", sh.ID).WhereOr("pr.shop_id IS NULL")
			}).Order("pr.ends_at", "pr.id").Scan(ctx); err != nil {
			return fmt.Errorf("read promotions: %w", err)
		}
		for _, p := range ps {
			pp := &PublicPromotion{ID: p.ID, Kind: p.Kind, Name: p.Name, Platform: p.ShopID == nil, StartsAt: p.StartsAt, EndsAt: p.EndsAt,
				Tiers: p.Tiers, ThresholdFen: p.ThresholdFen, PriceFen: p.PriceFen}
			if p.SKUID != nil {
				pp.SKUID = *p.SKUID
			}
			if p.ProductID != nil {
				pp.ProductID = *p.ProductID
			}
			out.Promotions = append(out.Promotions, pp)
		}
		var fs []*FlashSale
		if err := db.Select(ctx, tx, &fs).Where("fs.shop_id = ?", sh.ID).Where("fs.active = ?", true).
			Where("fs.starts_at <= ?", now).Where("fs.ends_at > ?", now).Where("fs.sold < fs.qty_cap").
			Order("fs.ends_at", "fs.id").Scan(ctx); err != nil {
			return fmt.Errorf("read flash sales: %w", err)
		}
		for _, f := range fs {
			out.FlashSales = append(out.FlashSales, &PublicFlashSale{ID: f.ID, SKUID: f.SKUID, Name: f.Name, PriceFen: f.PriceFen,
				StartsAt: f.StartsAt, EndsAt: f.EndsAt, Left: f.Left(), PerUserLimit: f.PerUserLimit})
		}
		return nil
	})
	return out, err
}
