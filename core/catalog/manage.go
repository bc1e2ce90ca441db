package catalog

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/identity"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// ProductFilter narrows a shop's product list in the merchant console.
type ProductFilter struct {
	Status string // draft, active, archived; "" for all
	// CategoryID keeps products of that category or any category below it.
	CategoryID string
	// Query matches the name (substring, case-insensitive) or a SKU code.
	Query string
	merchant.Page
}

// Create adds a product with its SKUs to shop shopID in one transaction.
// p needs PermManage in the shop's domain.
//
// Returns NotFound when the shop is absent, another tenant's, or outside
// p's reach; Forbidden when p may see the shop but not manage products;
// Invalid with field errors for bad input (SKU fields as
// "skus.{i}.{field}"); Conflict for a closed shop.
func (s *Service) Create(ctx context.Context, p *identity.Principal, shopID string, in ProductInput) (*Product, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	var fe core.FieldErrors
	c := check(&fe, in)
	supplierOK, err := s.supplierOK(ctx, c.SupplierID)
	if err != nil {
		return nil, err
	}
	var out *Product
	err = s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.shopFor(ctx, tx, p, shopID)
		if err != nil {
			return err
		}
		pr := &c.Product
		pr.TenantID, pr.ID, pr.ShopID = sh.TenantID, tenants.NewID(), sh.ID
		if err := s.checkWithDB(ctx, tx, &fe, sh, c, supplierOK); err != nil {
			return err
		}
		for i, k := range c.skus {
			if c.ids[i] != "" {
				fe.Add("skus."+strconv.Itoa(i)+".id", "catalog.field.sku_invalid")
			}
			k.ID = tenants.NewID()
			if k.Code == "" {
				k.Code = madeUpCode(pr.ID, i)
			}
		}
		if err := s.codesTaken(ctx, tx, &fe, sh.ID, pr.ID, c.skus); err != nil {
			return err
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if sh.Status == merchant.ShopClosed {
			return errShopClosed
		}
		now := time.Now().UTC()
		pr.CreatedAt, pr.UpdatedAt = now, now
		if _, err := tx.NewInsert().Model(pr).Exec(ctx); err != nil {
			return fmt.Errorf("create product: %w", err)
		}
		for i, k := range c.skus {
			fillSKU(k, pr, i, now)
			k.CreatedAt = now
		}
		if _, err := tx.NewInsert().Model(&c.skus).Exec(ctx); err != nil {
			if db.IsUniqueViolation(err) {
				return core.Errorf(core.Conflict, "catalog.error.sku_code_taken")
			}
			return fmt.Errorf("create skus of product %s: %w", pr.ID, err)
		}
		if err := s.changed(ctx, tx, pr.ID); err != nil {
			return err
		}
		out, err = productWithParts(ctx, tx, pr.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// fillSKU completes k as SKU number i of pr.
func fillSKU(k *SKU, pr *Product, i int, now time.Time) {
	k.TenantID, k.ProductID, k.ShopID, k.Sort, k.Status, k.UpdatedAt = pr.TenantID, pr.ID, pr.ShopID, i, SKUActive, now
}

// madeUpCode is the code of SKU i of product id when the merchant gives
// none: the end of the product's id and the SKU's number.
func madeUpCode(id string, i int) string {
	return strings.ToUpper(id[len(id)-8:]) + "-" + strconv.Itoa(i+1)
}

// supplierOK reports whether id (nil: none) is an approved flagship
// supplier.
func (s *Service) supplierOK(ctx context.Context, id *string) (bool, error) {
	if id == nil || !validID(*id) {
		return false, nil
	}
	return s.Merchants.IsFlagshipSupplier(ctx, *id)
}

// checkWithDB adds the field errors that need the database: the category
// must be a leaf of the tenant's tree, and a supplier is allowed only on
// the flagship store and must be an approved flagship supplier.
func (s *Service) checkWithDB(ctx context.Context, tx bun.IDB, fe *core.FieldErrors, sh *merchant.Shop, c *checkedProduct, supplierOK bool) error {
	if validID(c.CategoryID) {
		n, err := db.Select(ctx, tx, (*Category)(nil)).Where("?TableAlias.id = ?", c.CategoryID).Count(ctx)
		if err != nil {
			return fmt.Errorf("look up category: %w", err)
		}
		if n == 0 {
			fe.Add("category_id", "catalog.field.category_invalid")
		} else {
			kids, err := db.Select(ctx, tx, (*Category)(nil)).Where("?TableAlias.parent_id = ?", c.CategoryID).Count(ctx)
			if err != nil {
				return fmt.Errorf("look up category: %w", err)
			}
			if kids > 0 {
				fe.Add("category_id", "catalog.field.category_leaf")
			}
		}
	}
	if c.SupplierID != nil {
		switch {
		case !sh.IsFlagship:
			fe.Add("supplier_id", "catalog.field.supplier_flagship_only")
		case !supplierOK:
			fe.Add("supplier_id", "catalog.field.supplier_invalid")
		}
	}
	return nil
}

// codesTaken adds a field error for every SKU whose code another product
// of the shop uses (archived SKUs included: codes stay reserved).
func (s *Service) codesTaken(ctx context.Context, tx bun.IDB, fe *core.FieldErrors, shopID, productID string, skus []*SKU) error {
	var codes []string
	for _, k := range skus {
		if k.Code != "" {
			codes = append(codes, k.Code)
		}
	}
	if len(codes) == 0 {
		return nil
	}
	var taken []string
	err := db.Select(ctx, tx, (*SKU)(nil)).Column("k.code").Where("k.shop_id = ?", shopID).
		Where("k.code IN (?)", bun.List(codes)).Where("k.product_id <> ?", productID).Scan(ctx, &taken)
	if err != nil {
		return fmt.Errorf("look up sku codes: %w", err)
	}
	set := map[string]bool{}
	for _, c := range taken {
		set[c] = true
	}
	for i, k := range skus {
		if set[k.Code] {
			fe.Add("skus."+strconv.Itoa(i)+".code", "catalog.field.sku_code_taken")
		}
	}
	return nil
}

// Update replaces product id's fields and SKUs with in, in one
// transaction. SKUs are matched to existing ones by id, else by code;
// existing SKUs left out are archived. p needs PermManage in the
// product's shop. Errors as Create; NotFound also for product ids of
// other tenants and of shops outside p's reach.
func (s *Service) Update(ctx context.Context, p *identity.Principal, id string, in ProductInput) (*Product, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	var fe core.FieldErrors
	c := check(&fe, in)
	supplierOK, err := s.supplierOK(ctx, c.SupplierID)
	if err != nil {
		return nil, err
	}
	var out *Product
	err = s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		old, sh, err := s.productFor(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := s.checkWithDB(ctx, tx, &fe, sh, c, supplierOK); err != nil {
			return err
		}
		var existing []*SKU
		if err := db.Select(ctx, tx, &existing).Where("k.product_id = ?", old.ID).Scan(ctx); err != nil {
			return fmt.Errorf("load skus of product %s: %w", old.ID, err)
		}
		byID, byCode := map[string]*SKU{}, map[string]*SKU{}
		for _, k := range existing {
			byID[k.ID], byCode[k.Code] = k, k
		}
		for i, k := range c.skus {
			if k.Code == "" && c.ids[i] == "" {
				k.Code = madeUpCode(old.ID, i)
			}
		}
		matched := map[string]*SKU{} // existing id → its previous state
		var fresh []*SKU
		for i, k := range c.skus {
			var prev *SKU
			if c.ids[i] != "" {
				if prev = byID[c.ids[i]]; prev == nil {
					fe.Add("skus."+strconv.Itoa(i)+".id", "catalog.field.sku_invalid")
				}
			} else if k.Code != "" {
				prev = byCode[k.Code]
			}
			if prev != nil && matched[prev.ID] != nil {
				if c.ids[i] != "" {
					fe.Add("skus."+strconv.Itoa(i)+".id", "catalog.field.sku_invalid")
				}
				prev = nil
			}
			if prev == nil {
				k.ID = tenants.NewID()
				fresh = append(fresh, k)
				continue
			}
			matched[prev.ID] = prev
			k.ID, k.CreatedAt = prev.ID, prev.CreatedAt
			if k.Code == "" {
				k.Code = prev.Code
			}
		}
		if err := s.codesTaken(ctx, tx, &fe, sh.ID, old.ID, c.skus); err != nil {
			return err
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if sh.Status == merchant.ShopClosed {
			return errShopClosed
		}
		now := time.Now().UTC()
		pr := &c.Product
		pr.TenantID, pr.ID, pr.ShopID, pr.CoverPath, pr.SalesCount, pr.CreatedAt, pr.UpdatedAt =
			old.TenantID, old.ID, old.ShopID, old.CoverPath, old.SalesCount, old.CreatedAt, now
		if _, err := db.Update(ctx, tx, pr).Column("category_id", "name", "subtitle", "description", "status", "origin",
			"certifications", "attributes", "series", "supplier_id", "updated_at").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("update product %s: %w", pr.ID, err)
		}
		// Codes that move between SKUs of this product would collide
		// half way; park the renamed ones on their ids first.
		for i, k := range c.skus {
			fillSKU(k, pr, i, now)
			if prev := matched[k.ID]; prev != nil && prev.Code != k.Code {
				if _, err := db.Update(ctx, tx, (*SKU)(nil)).Set("code = ?", k.ID).Where("k.id = ?", k.ID).Exec(ctx); err != nil {
					return fmt.Errorf("rename sku %s: %w", k.ID, err)
				}
			}
		}
		for _, k := range existing {
			if matched[k.ID] == nil && k.Status != SKUArchived {
				if _, err := db.Update(ctx, tx, (*SKU)(nil)).Set("status = ?", SKUArchived).Set("updated_at = ?", now).
					Where("k.id = ?", k.ID).Exec(ctx); err != nil {
					return fmt.Errorf("archive sku %s: %w", k.ID, err)
				}
			}
		}
		for _, k := range c.skus {
			if matched[k.ID] == nil {
				continue
			}
			if _, err := db.Update(ctx, tx, k).Column("code", "spec", "price_fen", "list_price_fen", "cost_fen", "weight_g",
				"barcode", "purchase_limit", "status", "sort", "updated_at").WherePK().Exec(ctx); err != nil {
				if db.IsUniqueViolation(err) {
					return core.Errorf(core.Conflict, "catalog.error.sku_code_taken")
				}
				return fmt.Errorf("update sku %s: %w", k.ID, err)
			}
		}
		for _, k := range fresh {
			k.CreatedAt = now
		}
		if len(fresh) > 0 {
			if _, err := tx.NewInsert().Model(&fresh).Exec(ctx); err != nil {
				if db.IsUniqueViolation(err) {
					return core.Errorf(core.Conflict, "catalog.error.sku_code_taken")
				}
				return fmt.Errorf("add skus to product %s: %w", pr.ID, err)
			}
		}
		if err := s.changed(ctx, tx, pr.ID); err != nil {
			return err
		}
		out, err = productWithParts(ctx, tx, pr.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Archive takes product id off sale (status archived); archiving an
// archived product changes nothing. Permissions and errors as Update.
func (s *Service) Archive(ctx context.Context, p *identity.Principal, id string) (*Product, error) {
	return s.setStatus(ctx, p, id, ProductArchived)
}

// Restore brings archived product id back as a draft. Permissions and
// errors as Update; Conflict when the product is not archived.
func (s *Service) Restore(ctx context.Context, p *identity.Principal, id string) (*Product, error) {
	return s.setStatus(ctx, p, id, ProductDraft)
}

func (s *Service) setStatus(ctx context.Context, p *identity.Principal, id, status string) (*Product, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	var out *Product
	err := s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		pr, sh, err := s.productFor(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if sh.Status == merchant.ShopClosed {
			return errShopClosed
		}
		if status == ProductDraft && pr.Status != ProductArchived {
			return core.Errorf(core.Conflict, "catalog.error.not_archived")
		}
		if pr.Status != status {
			pr.Status, pr.UpdatedAt = status, time.Now().UTC()
			if _, err := db.Update(ctx, tx, pr).Column("status", "updated_at").WherePK().Exec(ctx); err != nil {
				return fmt.Errorf("set status of product %s: %w", pr.ID, err)
			}
			if err := s.changed(ctx, tx, pr.ID); err != nil {
				return err
			}
		}
		out, err = productWithParts(ctx, tx, pr.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Product returns product id with its active SKUs and its images, for
// the merchant console. p needs PermManage in the product's shop; errors
// as Update.
func (s *Service) Product(ctx context.Context, p *identity.Principal, id string) (*Product, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	var out *Product
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		if _, _, err := s.productFor(ctx, tx, p, id); err != nil {
			return err
		}
		var err error
		out, err = productWithParts(ctx, tx, id)
		return err
	})
	return out, err
}

// ShopFor returns shop id when p may manage its products. Returns
// NotFound or Forbidden as Create.
func (s *Service) ShopFor(ctx context.Context, p *identity.Principal, id string) (*merchant.Shop, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	var sh *merchant.Shop
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		sh, err = s.shopFor(ctx, tx, p, id)
		return err
	})
	return sh, err
}

// Products returns the products of shop shopID matching f, most recently
// changed first, each with its active SKUs (not its images: CoverPath
// is the first). p needs PermManage in the shop's domain; errors as
// Create.
func (s *Service) Products(ctx context.Context, p *identity.Principal, shopID string, f ProductFilter) ([]*Product, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	out := []*Product{}
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.shopFor(ctx, tx, p, shopID)
		if err != nil {
			return err
		}
		q := db.Select(ctx, tx, &out).Where("p.shop_id = ?", sh.ID)
		if f.Status != "" {
			q = q.Where("p.status = ?", f.Status)
		}
		if q, err = filterProducts(ctx, tx, q, f.CategoryID, f.Query); err != nil {
			return err
		}
		if q == nil {
			return nil
		}
		if err := pageOf(q.Order("p.updated_at DESC", "p.id DESC"), f.Page).Scan(ctx); err != nil {
			return fmt.Errorf("list products: %w", err)
		}
		return attachSKUs(ctx, tx, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ProductCounts returns how many products of shop shopID are in each
// status. Permissions and errors as Products.
func (s *Service) ProductCounts(ctx context.Context, p *identity.Principal, shopID string) (map[string]int, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	out := map[string]int{}
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.shopFor(ctx, tx, p, shopID)
		if err != nil {
			return err
		}
		var rows []struct {
			Status string `bun:"status"`
			N      int    `bun:"n"`
		}
		err = db.Select(ctx, tx, (*Product)(nil)).Column("p.status").ColumnExpr("count(*) AS n").
			Where("p.shop_id = ?", sh.ID).Group("p.status").Scan(ctx, &rows)
		for _, r := range rows {
			out[r.Status] = r.N
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("count products: %w", err)
	}
	return out, nil
}

// Supplier is an approved flagship supplier a flagship product may name.
type Supplier struct {
	UserID string `bun:"user_id" json:"user_id"`
	Name   string `bun:"name" json:"name"`
}

// FlagshipSuppliers returns the approved flagship suppliers, by name, when
// shop shopID is the flagship store (none for other shops). Permissions
// and errors as Products.
func (s *Service) FlagshipSuppliers(ctx context.Context, p *identity.Principal, shopID string) ([]Supplier, error) {
	if _, err := tenantPrincipal(ctx, p); err != nil {
		return nil, err
	}
	out := []Supplier{}
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		sh, err := s.shopFor(ctx, tx, p, shopID)
		if err != nil || !sh.IsFlagship {
			return err
		}
		return db.Select(ctx, tx, (*merchant.FlagshipSupplier)(nil)).ColumnExpr("fs.user_id, u.name").
			Join("JOIN users AS u ON u.tenant_id = fs.tenant_id AND u.id = fs.user_id").
			Order("u.name", "fs.user_id").Scan(ctx, &out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// pageOf limits q to pg.
func pageOf(q *bun.SelectQuery, pg merchant.Page) *bun.SelectQuery {
	if pg.Offset > 0 {
		q = q.Offset(int64(pg.Offset))
	}
	if pg.Limit > 0 {
		q = q.Limit(int64(pg.Limit))
	}
	return q
}

func likePattern(q string) string {
	q = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(q))
	return "%" + q + "%"
}

// filterProducts narrows q to categoryID (and its descendants) and to
// query; it returns nil when nothing can match (an unknown category).
func filterProducts(ctx context.Context, tx bun.IDB, q *bun.SelectQuery, categoryID, query string) (*bun.SelectQuery, error) {
	if categoryID != "" {
		if !validID(categoryID) {
			return nil, nil
		}
		tree, err := Tree(ctx, tx)
		if err != nil {
			return nil, err
		}
		ids := subtree(tree, categoryID, false)
		if len(ids) == 0 {
			return nil, nil
		}
		q = q.Where("p.category_id IN (?)", bun.List(ids))
	}
	if qs := strings.TrimSpace(query); qs != "" {
		code := NormalizeSKUCode(qs)
		codes := db.Select(ctx, tx, (*SKU)(nil)).Column("k.product_id").Where("k.code = ?", code)
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where(`lower(p.name) LIKE ? ESCAPE '\'`, likePattern(qs)).WhereOr("p.id IN (?)", codes)
		})
	}
	return q, nil
}

// subtree returns the ids of category id and every category below it.
func subtree(cs []*Category, id string, in bool) []string {
	var out []string
	for _, c := range cs {
		inside := in || c.ID == id
		if inside {
			out = append(out, c.ID)
		}
		out = append(out, subtree(c.Children, id, inside)...)
	}
	return out
}

// productWithParts reads product id with its active SKUs and its images.
func productWithParts(ctx context.Context, tx bun.IDB, id string) (*Product, error) {
	pr, err := loadProduct(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if err := attachSKUs(ctx, tx, []*Product{pr}); err != nil {
		return nil, err
	}
	pr.Images = []*ProductImage{}
	if err := db.Select(ctx, tx, &pr.Images).Where("pi.product_id = ?", pr.ID).Order("pi.sort", "pi.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("load images of product %s: %w", pr.ID, err)
	}
	return pr, nil
}

// attachSKUs fills the active SKUs of prs, in their order.
func attachSKUs(ctx context.Context, tx bun.IDB, prs []*Product) error {
	if len(prs) == 0 {
		return nil
	}
	ids := make([]string, len(prs))
	by := map[string]*Product{}
	for i, pr := range prs {
		ids[i], by[pr.ID] = pr.ID, pr
		pr.SKUs = []*SKU{}
	}
	var skus []*SKU
	if err := db.Select(ctx, tx, &skus).Where("k.product_id IN (?)", bun.List(ids)).Where("k.status = ?", SKUActive).
		Order("k.product_id", "k.sort", "k.id").Scan(ctx); err != nil {
		return fmt.Errorf("load skus: %w", err)
	}
	for _, k := range skus {
		by[k.ProductID].SKUs = append(by[k.ProductID].SKUs, k)
	}
	return nil
}
