package search

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"time"

	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Doc is a searchable product: one row of search_docs. Only active
// products with an active SKU in an active shop have one.
type Doc struct {
	bun.BaseModel `bun:"table:search_docs,alias:d"`

	TenantID     string    `bun:"tenant_id,pk"`
	ProductID    string    `bun:"product_id,pk"`
	ShopID       string    `bun:"shop_id,notnull"`
	CategoryID   string    `bun:"category_id,notnull"`
	RegionID     *string   `bun:"region_id"` // the shop's district; nil for the flagship store
	IsFlagship   bool      `bun:"is_flagship,notnull"`
	Name         string    `bun:"name,notnull"`
	CoverPath    string    `bun:"cover_path,notnull"`
	PriceFen     int64     `bun:"price_fen,notnull"`      // lowest active SKU price
	ListPriceFen int64     `bun:"list_price_fen,notnull"` // that SKU's list price
	InStock      bool      `bun:"in_stock,notnull"`       // inventory keeps it (SetInStock); see stockOf for a new entry
	SalesCount   int64     `bun:"sales_count,notnull"`
	CreatedAt    time.Time `bun:"created_at,notnull"`
	IndexedAt    time.Time `bun:"indexed_at,notnull"`
}

// tokenRow is one row of search_tokens.
type tokenRow struct {
	bun.BaseModel `bun:"table:search_tokens,alias:t"`

	TenantID  string `bun:"tenant_id,pk"`
	Token     string `bun:"token,pk"`
	ProductID string `bun:"product_id,pk"`
	Weight    int    `bun:"weight,notnull"`
}

// Field weights: a token's weight is the sum of the weights of the
// fields it occurs in (each field once), so a word in the name and the
// category outweighs one in the name alone.
const (
	weightName        = 16
	weightSubtitle    = 6
	weightSeries      = 6
	weightCategory    = 4 // the product's category, zh and en
	weightAncestor    = 2 // the categories above it
	weightShop        = 3
	weightOrigin      = 3
	weightCertificate = 3
	weightAttribute   = 2
	weightDescription = 1
)

// maxDescription bounds the description text indexed (runes).
const maxDescription = 300

// certLabels are the words a certification is found by.
var certLabels = map[string]string{
	catalog.CertGreen:   "绿色食品 green",
	catalog.CertOrganic: "有机 organic",
	catalog.CertGeo:     "地理标志 geo",
}

// world is what building a doc needs besides the product: the tenant's
// categories and shops.
type world struct {
	cats  map[string]*catalog.Category
	shops map[string]*merchant.Shop
}

func loadCategories(ctx context.Context, tx bun.IDB) (map[string]*catalog.Category, error) {
	var cs []*catalog.Category
	if err := db.Select(ctx, tx, &cs).Scan(ctx); err != nil {
		return nil, fmt.Errorf("search: load categories: %w", err)
	}
	m := make(map[string]*catalog.Category, len(cs))
	for _, c := range cs {
		m[c.ID] = c
	}
	return m, nil
}

// build returns the doc and tokens of pr, or nil when pr is not to be
// found: not active, no active SKU, or its shop not active.
func (w *world) build(pr *catalog.Product, skus []*catalog.SKU, now time.Time) (*Doc, []tokenRow) {
	sh := w.shops[pr.ShopID]
	if pr.Status != catalog.ProductActive || sh == nil || sh.Status != merchant.ShopActive {
		return nil, nil
	}
	var best *catalog.SKU
	for _, k := range skus {
		if k.Status == catalog.SKUActive && (best == nil || k.PriceFen < best.PriceFen) {
			best = k
		}
	}
	if best == nil {
		return nil, nil
	}
	d := &Doc{TenantID: pr.TenantID, ProductID: pr.ID, ShopID: pr.ShopID, CategoryID: pr.CategoryID,
		RegionID: sh.RegionID, IsFlagship: sh.IsFlagship, Name: pr.Name, CoverPath: pr.CoverPath,
		PriceFen: best.PriceFen, ListPriceFen: best.ListPriceFen, InStock: true,
		SalesCount: pr.SalesCount, CreatedAt: pr.CreatedAt, IndexedAt: now}

	weights := map[string]int{}
	field := func(text string, weight int, withPinyin bool) {
		seen := map[string]bool{}
		docTokens(text, withPinyin, func(tok string) {
			if !seen[tok] {
				seen[tok] = true
				weights[tok] += weight
			}
		})
	}
	field(pr.Name, weightName, true)
	field(pr.Subtitle, weightSubtitle, true)
	field(pr.Series, weightSeries, true)
	if c := w.cats[pr.CategoryID]; c != nil {
		field(c.Name+" "+c.NameEn, weightCategory, true)
		var above string
		for p, n := c.ParentID, 0; p != nil && n < 8; n++ {
			pc := w.cats[*p]
			if pc == nil {
				break
			}
			above += " " + pc.Name + " " + pc.NameEn
			p = pc.ParentID
		}
		field(above, weightAncestor, true)
	}
	field(sh.Name, weightShop, true)
	field(pr.Origin, weightOrigin, true)
	var certs string
	for _, c := range pr.Certifications {
		certs += " " + certLabels[c]
	}
	field(certs, weightCertificate, true)
	keys := make([]string, 0, len(pr.Attributes))
	for k := range pr.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var attrs string
	for _, k := range keys {
		attrs += " " + pr.Attributes[k]
	}
	field(attrs, weightAttribute, true)
	desc := []rune(pr.Description)
	if len(desc) > maxDescription {
		desc = desc[:maxDescription]
	}
	field(string(desc), weightDescription, false)

	toks := make([]tokenRow, 0, len(weights))
	for tok, wt := range weights {
		toks = append(toks, tokenRow{TenantID: pr.TenantID, Token: tok, ProductID: pr.ID, Weight: wt})
	}
	sort.Slice(toks, func(i, j int) bool { return toks[i].Token < toks[j].Token })
	return d, toks
}

// insert writes docs and their tokens in batches.
func insert(ctx context.Context, tx bun.IDB, docs []*Doc, toks []tokenRow) error {
	const batch = 1000
	for i := 0; i < len(docs); i += batch {
		part := docs[i:min(i+batch, len(docs))]
		if _, err := tx.NewInsert().Model(&part).Exec(ctx); err != nil {
			return fmt.Errorf("search: insert docs: %w", err)
		}
	}
	for i := 0; i < len(toks); i += batch {
		part := toks[i:min(i+batch, len(toks))]
		if _, err := tx.NewInsert().Model(&part).Exec(ctx); err != nil {
			return fmt.Errorf("search: insert tokens: %w", err)
		}
	}
	return nil
}

// IndexProduct rewrites the index entry of product productID of the
// tenant in ctx inside the caller's transaction tx: its doc and tokens
// are replaced, or removed when the product is gone, not active, has no
// active SKU, or its shop is not active. The doc's in_stock flag is kept.
// The catalog calls it (through catalog.Service.OnChange) in the
// transaction that writes the product.
func (s *Service) IndexProduct(ctx context.Context, tx bun.IDB, productID string) error {
	if !validID(productID) {
		return nil
	}
	return s.indexWhere(ctx, tx, "p.id = ?", productID)
}

// IndexShop rewrites the index entries of every product of shop shopID
// (after the shop is renamed, suspended, closed or reopened), inside tx.
func (s *Service) IndexShop(ctx context.Context, tx bun.IDB, shopID string) error {
	if !validID(shopID) {
		return nil
	}
	return s.indexWhere(ctx, tx, "p.shop_id = ?", shopID)
}

// Reindex rebuilds the whole index of the tenant in ctx in one
// transaction, keeping in_stock flags.
func (s *Service) Reindex(ctx context.Context) error {
	return s.DB.RunInTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		return s.indexWhere(ctx, tx, "", nil)
	})
}

// indexWhere rewrites the entries of the tenant's products matching
// where (all of them when where is ""), reading products in batches.
func (s *Service) indexWhere(ctx context.Context, tx bun.IDB, where string, arg any) error {
	tenant := db.TenantID(ctx)
	s.changed(ctx)
	// Remember the stock flags inventory set, then drop the old entries.
	var flags []struct {
		ProductID string `bun:"product_id"`
		InStock   bool   `bun:"in_stock"`
	}
	q := tx.NewSelect().Table("search_docs").Column("product_id", "in_stock").Where("tenant_id = ?", tenant)
	if where != "" {
		q = q.Where("product_id IN (?)", db.Select(ctx, tx, (*catalog.Product)(nil)).Column("p.id").Where(where, arg))
	}
	if err := q.Scan(ctx, &flags); err != nil {
		return fmt.Errorf("search: read stock flags: %w", err)
	}
	inStock := make(map[string]bool, len(flags))
	for _, f := range flags {
		inStock[f.ProductID] = f.InStock
	}
	for _, m := range []any{(*tokenRow)(nil), (*Doc)(nil)} {
		dq := db.Delete(ctx, tx, m)
		if where != "" {
			dq = dq.Where("product_id IN (?)", db.Select(ctx, tx, (*catalog.Product)(nil)).Column("p.id").Where(where, arg))
		}
		if _, err := dq.Exec(ctx); err != nil {
			return fmt.Errorf("search: drop entries: %w", err)
		}
	}

	cats, err := loadCategories(ctx, tx)
	if err != nil {
		return err
	}
	w := &world{cats: cats, shops: map[string]*merchant.Shop{}}
	now := time.Now().UTC()
	const batch = 500
	after := ""
	for {
		var prs []*catalog.Product
		pq := db.Select(ctx, tx, &prs).Where("p.status = ?", catalog.ProductActive).OrderExpr("p.id").Limit(batch)
		if where != "" {
			pq = pq.Where(where, arg)
		}
		if after != "" {
			pq = pq.Where("p.id > ?", after)
		}
		if err := pq.Scan(ctx); err != nil {
			return fmt.Errorf("search: read products: %w", err)
		}
		if len(prs) == 0 {
			return nil
		}
		after = prs[len(prs)-1].ID
		ids := make([]string, len(prs))
		var missing []string
		for i, pr := range prs {
			ids[i] = pr.ID
			if _, ok := w.shops[pr.ShopID]; !ok && !containsStr(missing, pr.ShopID) {
				missing = append(missing, pr.ShopID)
			}
		}
		if len(missing) > 0 {
			var shs []*merchant.Shop
			if err := db.Select(ctx, tx, &shs).Where("s.id IN (?)", bun.List(missing)).Scan(ctx); err != nil {
				return fmt.Errorf("search: read shops: %w", err)
			}
			for _, sh := range shs {
				w.shops[sh.ID] = sh
			}
		}
		var skus []*catalog.SKU
		if err := db.Select(ctx, tx, &skus).Where("k.product_id IN (?)", bun.List(ids)).
			Where("k.status = ?", catalog.SKUActive).Scan(ctx); err != nil {
			return fmt.Errorf("search: read SKUs: %w", err)
		}
		byProduct := map[string][]*catalog.SKU{}
		for _, k := range skus {
			byProduct[k.ProductID] = append(byProduct[k.ProductID], k)
		}
		var fresh []string // products without a flag: not in the index before
		for _, pr := range prs {
			if _, ok := inStock[pr.ID]; !ok {
				fresh = append(fresh, pr.ID)
			}
		}
		if err := stockOf(ctx, tx, fresh, inStock); err != nil {
			return err
		}
		var docs []*Doc
		var toks []tokenRow
		for _, pr := range prs {
			d, ts := w.build(pr, byProduct[pr.ID], now)
			if d == nil {
				continue
			}
			d.InStock = inStock[pr.ID]
			docs = append(docs, d)
			toks = append(toks, ts...)
		}
		if err := insert(ctx, tx, docs, toks); err != nil {
			return err
		}
		if len(prs) < batch {
			return nil
		}
	}
}

// stockOf sets into[id] for products that enter the index (new, or back
// after their shop reopened or they were re-activated), whose flag
// inventory has not set in the index: a product inventory keeps no lot of
// is in stock (stock is not tracked for it yet, the flag's default);
// otherwise it is in stock when an active SKU of it has unreserved units
// in a lot whose best-before is not before today (the tenant's zone) —
// what inventory would report.
func stockOf(ctx context.Context, tx bun.IDB, products []string, into map[string]bool) error {
	if len(products) == 0 {
		return nil
	}
	tenant := db.TenantID(ctx)
	today := time.Now().In(tenants.MustFromContext(ctx).Location()).Format("2006-01-02")
	var rows []struct {
		ProductID string `bun:"product_id"`
		Sellable  int    `bun:"sellable"`
	}
	err := tx.NewRaw(`
		SELECT k.product_id,
		       MAX(CASE WHEN k.status = ? AND l.best_before >= ? AND l.on_hand > l.reserved THEN 1 ELSE 0 END) AS sellable
		FROM skus AS k JOIN lots AS l ON l.tenant_id = k.tenant_id AND l.sku_id = k.id
		WHERE k.tenant_id = ? AND k.product_id IN (?)
		GROUP BY k.product_id`, catalog.SKUActive, today, tenant, bun.List(products)).Scan(ctx, &rows)
	if err != nil {
		return fmt.Errorf("search: read stock: %w", err)
	}
	for _, id := range products {
		into[id] = true
	}
	for _, r := range rows {
		into[r.ProductID] = r.Sellable == 1
	}
	return nil
}

// changedRows is changed when r (an update's result) wrote a row, or
// may have.
func (s *Service) changedRows(ctx context.Context, r sql.Result) {
	if n, err := r.RowsAffected(); err != nil || n > 0 {
		s.changed(ctx)
	}
}

// SetInStock records whether product productID can be bought now (any
// stock in any warehouse). Inventory calls it (through
// inventory.Service.OnStockChange) inside the transaction that changed
// the stock; the flag survives IndexProduct, IndexShop and Reindex. A
// product without an index entry is ignored, and so is a flag that is
// already so (no row is written).
func (s *Service) SetInStock(ctx context.Context, tx bun.IDB, productID string, inStock bool) error {
	if !validID(productID) {
		return nil
	}
	r, err := db.Update(ctx, tx, (*Doc)(nil)).Set("in_stock = ?", inStock).
		Where("d.product_id = ?", productID).Where("d.in_stock <> ?", inStock).Exec(ctx)
	if err != nil {
		return fmt.Errorf("search: set in stock: %w", err)
	}
	s.changedRows(ctx, r)
	return nil
}

// SetCover sets the cover image of product productID's document, in tx
// (the catalog's transaction): an image change leaves the words alone, so
// the tokens are not rebuilt.
func (s *Service) SetCover(ctx context.Context, tx bun.IDB, productID, coverPath string) error {
	if !validID(productID) {
		return nil
	}
	r, err := db.Update(ctx, tx, (*Doc)(nil)).Set("cover_path = ?", coverPath).Where("d.product_id = ?", productID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("search: set cover: %w", err)
	}
	s.changedRows(ctx, r)
	return nil
}
