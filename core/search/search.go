// Package search finds a tenant's products inside the database, on
// PostgreSQL and SQLite alike, without another service: Chinese
// substrings (草莓 finds 有机草莓 and 草莓干), pinyin in full (caomei), as a
// prefix (caom) and by initials (cm), English words (the categories'
// English names, ASCII words in names and attributes), and mixtures
// (有机 caomei); filtered by category subtree, shop, delivery region, price
// and stock; sorted by relevance, sales, price or age; with facet counts
// per top-level category and per shop.
//
// The index is two tenant tables (migration 0008): search_docs, one row
// per searchable product, and search_tokens (token, product, weight). See
// tokenize.go for the tokens and index.go for keeping them in step.
package search

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// Service searches and indexes the products of the tenant in ctx.
type Service struct {
	DB *db.DB
}

// New returns the service.
func New(d *db.DB) *Service { return &Service{DB: d} }

// Sort orders.
const (
	SortRelevance = "relevance" // score, then sales; newest first without a query
	SortSales     = "sales"
	SortPriceAsc  = "price_asc"
	SortPriceDesc = "price_desc"
	SortNewest    = "newest"
)

// Limits of a query.
const (
	MaxQueryLen  = 64 // runes; a longer query is a field error on "q"
	DefaultLimit = 20
	MaxLimit     = 200
	MaxOffset    = 10000
)

// Query is one search. The zero value lists the newest products.
type Query struct {
	Text       string // free text; empty lists products by the filters alone
	CategoryID string // the category and every category beneath it
	ShopID     string
	// RegionID: products deliverable to this region. Until inventory
	// knows warehouses, that is: products of shops in the same city as
	// the region (its district and the city's other districts), and of the
	// flagship store, which delivers everywhere.
	RegionID string
	PriceMin *int64 // fen, inclusive
	PriceMax *int64 // fen, inclusive
	InStock  bool   // only products inventory says are in stock
	Sort     string // one of the Sort constants; "" is relevance
	Limit    int    // 1–MaxLimit; 0 is DefaultLimit
	Offset   int    // 0–MaxOffset
}

// Hit is one product found.
type Hit struct {
	ID           string `bun:"product_id" json:"id"`
	Name         string `bun:"name" json:"name"`
	ShopID       string `bun:"shop_id" json:"shop_id"`
	ShopName     string `bun:"shop_name" json:"shop_name"`
	PriceFen     int64  `bun:"price_fen" json:"price_fen"`
	ListPriceFen int64  `bun:"list_price_fen" json:"list_price_fen"`
	CoverPath    string `bun:"cover_path" json:"cover_path"`
	SalesCount   int64  `bun:"sales_count" json:"sales_count"`
	Score        int64  `bun:"score" json:"-"`
}

// Facet is a count of the products found in one category or shop.
type Facet struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Count int    `json:"count"`
}

// Facets count the products found (with every filter applied) per
// top-level category and per shop, largest first.
type Facets struct {
	Categories []Facet `json:"categories"`
	Shops      []Facet `json:"shops"`
}

// Result is one page of a search.
type Result struct {
	Products []Hit  `json:"products"`
	Facets   Facets `json:"facets"`
	Limit    int    `json:"limit"`
	Offset   int    `json:"offset"`
	HasMore  bool   `json:"has_more"`
}

func validID(id string) bool {
	_, err := uuid.Parse(id)
	return err == nil
}

// check validates q and fills its defaults.
func (q Query) check() (Query, error) {
	var fe core.FieldErrors
	q.Text = strings.TrimSpace(q.Text)
	if utf8.RuneCountInString(q.Text) > MaxQueryLen {
		fe.Add("q", "search.field.query_too_long")
	}
	for field, id := range map[string]string{"category": q.CategoryID, "shop": q.ShopID, "region": q.RegionID} {
		if id != "" && !validID(id) {
			fe.Add(field, "field.invalid")
		}
	}
	if q.PriceMin != nil && (*q.PriceMin < 0 || *q.PriceMin > catalog.MaxPriceFen) {
		fe.Add("price_min", "search.field.price")
	}
	if q.PriceMax != nil && (*q.PriceMax < 0 || *q.PriceMax > catalog.MaxPriceFen) {
		fe.Add("price_max", "search.field.price")
	}
	if q.PriceMin != nil && q.PriceMax != nil && *q.PriceMin > *q.PriceMax {
		fe.Add("price_max", "search.field.price_range")
	}
	switch q.Sort {
	case "":
		q.Sort = SortRelevance
	case SortRelevance, SortSales, SortPriceAsc, SortPriceDesc, SortNewest:
	default:
		fe.Add("sort", "search.field.sort")
	}
	if q.Limit == 0 {
		q.Limit = DefaultLimit
	}
	if q.Limit < 1 || q.Limit > MaxLimit {
		fe.Add("limit", "search.field.limit")
	}
	if q.Offset < 0 || q.Offset > MaxOffset {
		fe.Add("offset", "search.field.offset")
	}
	return q, fe.Err()
}

// Search runs q in the tenant of ctx. Unknown (or other tenants')
// category, shop and region ids find nothing; malformed ones, an
// over-long query, a bad price range, sort or window are field errors.
func (s *Service) Search(ctx context.Context, q Query) (*Result, error) {
	q, err := q.check()
	if err != nil {
		return nil, err
	}
	res := &Result{Products: []Hit{}, Facets: Facets{Categories: []Facet{}, Shops: []Facet{}}, Limit: q.Limit, Offset: q.Offset}
	err = s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		return s.search(ctx, tx, q, res)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// sqlq is SQL text with its arguments.
type sqlq struct {
	b    strings.Builder
	args []any
}

func (x *sqlq) add(s string, args ...any) *sqlq {
	x.b.WriteString(s)
	x.args = append(x.args, args...)
	return x
}

func (s *Service) search(ctx context.Context, tx bun.IDB, q Query, res *Result) error {
	tenant := db.TenantID(ctx)
	cats, err := loadCategories(ctx, tx)
	if err != nil {
		return err
	}

	// FROM … WHERE …, shared by the page and the facets.
	var from sqlq
	from.add(" FROM search_docs d JOIN shops s ON s.tenant_id = d.tenant_id AND s.id = d.shop_id")
	groups := dedupe(parseQuery(q.Text))
	if len(groups) > 0 {
		from.add(" JOIN (")
		matchSQL(&from, tenant, groups)
		from.add(") m ON m.product_id = d.product_id")
	}
	// The shop's status is checked here too, so that a suspended shop's
	// products vanish at once, even before its entries are rewritten.
	from.add(" WHERE d.tenant_id = ? AND s.status = ?", tenant, merchant.ShopActive)
	if q.CategoryID != "" {
		if cats[q.CategoryID] == nil {
			return nil
		}
		from.add(" AND d.category_id IN (?)", bun.List(subtree(cats, q.CategoryID)))
	}
	if q.ShopID != "" {
		from.add(" AND d.shop_id = ?", q.ShopID)
	}
	if q.RegionID != "" {
		ids, err := deliverable(ctx, tx, q.RegionID)
		if err != nil {
			return err
		}
		if ids == nil {
			return nil
		}
		from.add(" AND (d.is_flagship OR d.region_id IN (?))", bun.List(ids))
	}
	if q.PriceMin != nil {
		from.add(" AND d.price_fen >= ?", *q.PriceMin)
	}
	if q.PriceMax != nil {
		from.add(" AND d.price_fen <= ?", *q.PriceMax)
	}
	if q.InStock {
		from.add(" AND d.in_stock")
	}

	var page sqlq
	score := "0"
	if len(groups) > 0 {
		score = "m.score"
	}
	page.add("SELECT d.product_id, d.name, d.shop_id, s.name AS shop_name, d.price_fen, d.list_price_fen, d.cover_path, d.sales_count, " + score + " AS score")
	page.add(from.b.String(), from.args...)
	switch {
	case q.Sort == SortRelevance && len(groups) > 0:
		page.add(" ORDER BY m.score DESC, d.sales_count DESC, d.created_at DESC, d.product_id")
	case q.Sort == SortSales:
		page.add(" ORDER BY d.sales_count DESC, d.created_at DESC, d.product_id")
	case q.Sort == SortPriceAsc:
		page.add(" ORDER BY d.price_fen ASC, d.sales_count DESC, d.product_id")
	case q.Sort == SortPriceDesc:
		page.add(" ORDER BY d.price_fen DESC, d.sales_count DESC, d.product_id")
	default: // newest, and relevance without a query
		page.add(" ORDER BY d.created_at DESC, d.product_id DESC")
	}
	page.add(" LIMIT ? OFFSET ?", q.Limit+1, q.Offset)
	var hits []Hit
	if err := tx.NewRaw(page.b.String(), page.args...).Scan(ctx, &hits); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	if len(hits) > q.Limit {
		hits, res.HasMore = hits[:q.Limit], true
	}
	if hits != nil {
		res.Products = hits
	}

	// Facets: per category rolled up to the top level, and per shop.
	var byCat []struct {
		ID    string `bun:"id"`
		Count int    `bun:"n"`
	}
	var fc sqlq
	fc.add("SELECT d.category_id AS id, count(*) AS n").add(from.b.String(), from.args...).add(" GROUP BY d.category_id")
	if err := tx.NewRaw(fc.b.String(), fc.args...).Scan(ctx, &byCat); err != nil {
		return fmt.Errorf("search: category facets: %w", err)
	}
	locale := i18n.FromContext(ctx)
	top := map[string]int{}
	for _, c := range byCat {
		top[root(cats, c.ID)] += c.Count
	}
	for id, n := range top {
		f := Facet{ID: id, Count: n}
		if c := cats[id]; c != nil {
			f.Name = c.Label(locale)
		}
		res.Facets.Categories = append(res.Facets.Categories, f)
	}
	sort.Slice(res.Facets.Categories, func(i, j int) bool {
		a, b := res.Facets.Categories[i], res.Facets.Categories[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return catSort(cats, a.ID) < catSort(cats, b.ID)
	})

	var byShop []struct {
		ID    string `bun:"id"`
		Name  string `bun:"name"`
		Count int    `bun:"n"`
	}
	var fs sqlq
	fs.add("SELECT d.shop_id AS id, s.name AS name, count(*) AS n").add(from.b.String(), from.args...).
		add(" GROUP BY d.shop_id, s.name ORDER BY n DESC, s.name LIMIT 50")
	if err := tx.NewRaw(fs.b.String(), fs.args...).Scan(ctx, &byShop); err != nil {
		return fmt.Errorf("search: shop facets: %w", err)
	}
	for _, f := range byShop {
		res.Facets.Shops = append(res.Facets.Shops, Facet{ID: f.ID, Name: f.Name, Count: f.Count})
	}
	return nil
}

// matchSQL writes the subquery of the products matching every group, with
// their score: for each group the best token's weight (doubled when the
// token equals the query's word rather than extending it), summed over
// the groups.
func matchSQL(x *sqlq, tenant string, groups []group) {
	x.add("SELECT g.product_id, sum(g.score) AS score FROM (")
	for i, g := range groups {
		if i > 0 {
			x.add(" UNION ALL ")
		}
		all := append(append([]string(nil), g.exact...), g.prefix...)
		x.add("SELECT t.product_id, max(CASE WHEN t.token IN (?) THEN 2 * t.weight ELSE t.weight END) AS score"+
			" FROM search_tokens t WHERE t.tenant_id = ? AND (", bun.List(all), tenant)
		or := ""
		if len(g.exact) > 0 {
			x.add("t.token IN (?)", bun.List(g.exact))
			or = " OR "
		}
		for _, p := range g.prefix {
			x.add(or+"(t.token >= ? AND t.token < ?)", p, prefixEnd(p))
			or = " OR "
		}
		x.add(") GROUP BY t.product_id")
	}
	x.add(") g GROUP BY g.product_id HAVING count(*) = ?", len(groups))
}

// dedupe drops repeated groups (草莓 草莓).
func dedupe(gs []group) []group {
	var out []group
	seen := map[string]bool{}
	for _, g := range gs {
		k := strings.Join(g.exact, "\x00") + "\x01" + strings.Join(g.prefix, "\x00")
		if !seen[k] {
			seen[k] = true
			out = append(out, g)
		}
	}
	return out
}

// subtree returns id and the ids of every category beneath it.
func subtree(cats map[string]*catalog.Category, id string) []string {
	children := map[string][]string{}
	for _, c := range cats {
		if c.ParentID != nil {
			children[*c.ParentID] = append(children[*c.ParentID], c.ID)
		}
	}
	out := []string{id}
	for i := 0; i < len(out) && i < len(cats); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// root returns the top-level category above id (id itself at the top).
func root(cats map[string]*catalog.Category, id string) string {
	for n := 0; n < 16; n++ {
		c := cats[id]
		if c == nil || c.ParentID == nil || cats[*c.ParentID] == nil {
			return id
		}
		id = *c.ParentID
	}
	return id
}

func catSort(cats map[string]*catalog.Category, id string) int {
	if c := cats[id]; c != nil {
		return c.Sort
	}
	return 1 << 30
}

// deliverable returns the regions whose shops deliver to region id: every
// region of id's city (the city and its districts). Nil when id is no
// region of the tenant.
//
// This is the rule until inventory knows warehouses and delivery areas:
// a shop delivers within its city; the flagship store (no region)
// delivers everywhere, which the caller adds.
func deliverable(ctx context.Context, tx bun.IDB, id string) ([]string, error) {
	var rs []*tenants.Region
	if err := db.Select(ctx, tx, &rs).Scan(ctx); err != nil {
		return nil, fmt.Errorf("search: read regions: %w", err)
	}
	byID := map[string]*tenants.Region{}
	for _, r := range rs {
		byID[r.ID] = r
	}
	r := byID[id]
	if r == nil {
		return nil, nil
	}
	for n := 0; n < 8 && r.Level != tenants.LevelCity && r.ParentID != nil && byID[*r.ParentID] != nil; n++ {
		r = byID[*r.ParentID]
	}
	out := []string{r.ID}
	for i := 0; i < len(out) && i < len(rs); i++ {
		for _, c := range rs {
			if c.ParentID != nil && *c.ParentID == out[i] && !slices.Contains(out, c.ID) {
				out = append(out, c.ID)
			}
		}
	}
	return out, nil
}
