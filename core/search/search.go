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
	"sync"
	"time"
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
//
// It keeps recent results in memory (cache.go): CacheTTL bounds how long
// a result is reused, and every change to the tenant's index through this
// Service makes the tenant's kept results stale at once.
type Service struct {
	DB *db.DB
	// CacheTTL is how long a search result, and the tenant's categories
	// and regions it was found with, may be reused; zero or less keeps
	// nothing. Set it before the first search.
	CacheTTL time.Duration

	cacheOnce sync.Once
	cache     *resultCache
}

// DefaultCacheTTL is New's CacheTTL, as long as the storefront home keeps
// a tenant's shops and categories.
const DefaultCacheTTL = 3 * time.Second

// New returns the service, keeping results for DefaultCacheTTL.
func New(d *db.DB) *Service { return &Service{DB: d, CacheTTL: DefaultCacheTTL} }

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
//
// The answer may be one found up to CacheTTL before (see cache.go); a
// change to the index through this Service shows at once.
func (s *Service) Search(ctx context.Context, q Query) (*Result, error) {
	q, err := q.check()
	if err != nil {
		return nil, err
	}
	var f *found
	if c := s.resultCache(); c != nil {
		f, err = c.search(ctx, q, s.find)
	} else {
		f, err = s.find(ctx, q, nil)
	}
	if err != nil {
		return nil, err
	}
	return f.result(q, i18n.FromContext(ctx)), nil
}

// found is what a search finds, in no locale: the caller's copy is made
// by result. Cached values are shared and read only.
type found struct {
	hits    []Hit
	hasMore bool
	cats    []Facet // per top-level category, without names
	shops   []Facet
	dir     *directory // the categories the facets name
}

// result returns a Result of its own for q, naming the category facets
// in locale.
func (f *found) result(q Query, locale string) *Result {
	res := &Result{Products: slices.Clone(f.hits), Limit: q.Limit, Offset: q.Offset, HasMore: f.hasMore,
		Facets: Facets{Categories: make([]Facet, len(f.cats)), Shops: slices.Clone(f.shops)}}
	if res.Products == nil {
		res.Products = []Hit{}
	}
	if res.Facets.Shops == nil {
		res.Facets.Shops = []Facet{}
	}
	for i, c := range f.cats {
		if cat := f.dir.cats[c.ID]; cat != nil {
			c.Name = cat.Label(locale)
		}
		res.Facets.Categories[i] = c
	}
	return res
}

// cost is the size of f in rows, for the cache's budget.
func (f *found) cost() int { return 1 + len(f.hits) + len(f.cats) + len(f.shops) }

// directory is what queries name by id besides shops: the tenant's
// categories and regions.
type directory struct {
	cats     map[string]*catalog.Category
	subcats  map[string][]string // category id → its children's ids
	regions  map[string]*tenants.Region
	subareas map[string][]string // region id → its children's ids
}

// loadDirectory reads the tenant's categories and regions in tx.
func loadDirectory(ctx context.Context, tx bun.IDB) (*directory, error) {
	cats, err := loadCategories(ctx, tx)
	if err != nil {
		return nil, err
	}
	var rs []*tenants.Region
	if err := db.Select(ctx, tx, &rs).Scan(ctx); err != nil {
		return nil, fmt.Errorf("search: read regions: %w", err)
	}
	d := &directory{cats: cats, subcats: map[string][]string{}, regions: make(map[string]*tenants.Region, len(rs)),
		subareas: map[string][]string{}}
	for _, c := range cats {
		if c.ParentID != nil {
			d.subcats[*c.ParentID] = append(d.subcats[*c.ParentID], c.ID)
		}
	}
	for _, r := range rs {
		d.regions[r.ID] = r
		if r.ParentID != nil {
			d.subareas[*r.ParentID] = append(d.subareas[*r.ParentID], r.ID)
		}
	}
	return d, nil
}

// knows reports whether every category and region q names is in d, so
// that one created since d was read is not taken for another tenant's.
func (d *directory) knows(q Query) bool {
	return (q.CategoryID == "" || d.cats[q.CategoryID] != nil) && (q.RegionID == "" || d.regions[q.RegionID] != nil)
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

// foundRow is one row of the search statement: a hit of the page (kind
// 0), a category's count (kind 1, its id in product_id) or a shop's
// count (kind 2).
type foundRow struct {
	Kind int `bun:"kind"`
	Pos  int `bun:"pos"`
	Hit
	N int `bun:"n"`
}

// find runs q in the tenant of ctx in a read transaction. dir returns
// the tenant's directory (reading it in tx when it has none); nil reads
// it every time.
func (s *Service) find(ctx context.Context, q Query, dir func(ctx context.Context, tx bun.IDB) (*directory, error)) (*found, error) {
	if dir == nil {
		dir = loadDirectory
	}
	f := &found{}
	err := s.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		d, err := dir(ctx, tx)
		if err != nil {
			return err
		}
		f.dir = d
		return s.search(ctx, tx, q, d, f)
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// search fills f with the page and the facets of q, in one statement:
// the products matching the text and the filters are found once (m),
// then the page is cut from them and both facets counted over them.
func (s *Service) search(ctx context.Context, tx bun.IDB, q Query, dir *directory, f *found) error {
	tenant := db.TenantID(ctx)
	cats := dir.cats

	// FROM … WHERE …: the products found.
	var from sqlq
	from.add(" FROM search_docs d JOIN shops s ON s.tenant_id = d.tenant_id AND s.id = d.shop_id")
	groups := dedupe(parseQuery(q.Text))
	if len(groups) > 0 {
		from.add(" JOIN (")
		matchSQL(&from, tenant, groups)
		from.add(") x ON x.product_id = d.product_id")
	}
	// The shop's status is checked here too, so that a suspended shop's
	// products vanish at once, even before its entries are rewritten.
	from.add(" WHERE d.tenant_id = ? AND s.status = ?", tenant, merchant.ShopActive)
	if q.CategoryID != "" {
		if cats[q.CategoryID] == nil {
			return nil
		}
		from.add(" AND d.category_id IN (?)", bun.List(dir.subtree(q.CategoryID)))
	}
	if q.ShopID != "" {
		from.add(" AND d.shop_id = ?", q.ShopID)
	}
	if q.RegionID != "" {
		ids := dir.deliverable(q.RegionID)
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

	score := "0"
	if len(groups) > 0 {
		score = "x.score"
	}
	var order string
	switch {
	case q.Sort == SortRelevance && len(groups) > 0:
		order = "score DESC, sales_count DESC, created_at DESC, product_id"
	case q.Sort == SortSales:
		order = "sales_count DESC, created_at DESC, product_id"
	case q.Sort == SortPriceAsc:
		order = "price_fen ASC, sales_count DESC, product_id"
	case q.Sort == SortPriceDesc:
		order = "price_fen DESC, sales_count DESC, product_id"
	default: // newest, and relevance without a query
		order = "created_at DESC, product_id DESC"
	}
	// m: the products found. With a text they are those the tokens
	// matched, read three times, so they are computed once; without
	// one they are the whole catalog (less the filters), whose page is
	// better read along an index and whose counts in one pass. c: their
	// counts per category and shop, from which both facets come.
	mat := "NOT MATERIALIZED"
	if len(groups) > 0 {
		mat = "MATERIALIZED"
	}
	var st sqlq
	st.add("WITH m AS " + mat + " (SELECT d.product_id, d.category_id, d.shop_id, d.price_fen, d.sales_count, d.created_at, " +
		score + " AS score")
	st.add(from.b.String(), from.args...)
	st.add("), p AS (SELECT * FROM m ORDER BY "+order+" LIMIT ? OFFSET ?)", q.Limit+1, q.Offset)
	st.add(", c AS MATERIALIZED (SELECT category_id, shop_id, count(*) AS n FROM m GROUP BY category_id, shop_id)")
	// The page, in its order (row_number over the page's few rows).
	st.add(" SELECT 0 AS kind, row_number() OVER (ORDER BY "+qualify("p.", order)+") AS pos,"+
		" p.product_id, d.name, p.shop_id, s.name AS shop_name, p.price_fen, d.list_price_fen, d.cover_path, p.sales_count, p.score, 0 AS n"+
		" FROM p JOIN search_docs d ON d.tenant_id = ? AND d.product_id = p.product_id"+
		" JOIN shops s ON s.tenant_id = ? AND s.id = p.shop_id", tenant, tenant)
	// Facets: per category (rolled up to the top level below), and per shop.
	st.add(" UNION ALL SELECT 1, 0, category_id, '', NULL, '', 0, 0, '', 0, 0, CAST(sum(n) AS bigint) FROM c GROUP BY category_id")
	st.add(" UNION ALL SELECT * FROM (SELECT 2 AS kind, row_number() OVER (ORDER BY sum(c.n) DESC, s.name) AS pos,"+
		" c.shop_id AS product_id, '' AS name, c.shop_id, s.name AS shop_name, 0 AS price_fen, 0 AS list_price_fen, '' AS cover_path,"+
		" 0 AS sales_count, 0 AS score, CAST(sum(c.n) AS bigint) AS n"+
		" FROM c JOIN shops s ON s.tenant_id = ? AND s.id = c.shop_id GROUP BY c.shop_id, s.name) f WHERE f.pos <= ?", tenant, maxShopFacets)
	st.add(" ORDER BY kind, pos")
	var rows []foundRow
	if err := tx.NewRaw(st.b.String(), st.args...).Scan(ctx, &rows); err != nil {
		return fmt.Errorf("search: %w", err)
	}

	top := map[string]int{}
	for _, r := range rows {
		switch r.Kind {
		case 0:
			f.hits = append(f.hits, r.Hit)
		case 1:
			top[root(cats, r.ID)] += r.N
		case 2:
			f.shops = append(f.shops, Facet{ID: r.ShopID, Name: r.ShopName, Count: r.N})
		}
	}
	if len(f.hits) > q.Limit {
		f.hits, f.hasMore = f.hits[:q.Limit], true
	}
	for id, n := range top {
		f.cats = append(f.cats, Facet{ID: id, Count: n})
	}
	sort.Slice(f.cats, func(i, j int) bool {
		a, b := f.cats[i], f.cats[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return catSort(cats, a.ID) < catSort(cats, b.ID)
	})
	return nil
}

// maxShopFacets bounds the shop facets: the shops with the most products
// found.
const maxShopFacets = 50

// qualify prefixes every column of an ORDER BY list with p.
func qualify(p, order string) string {
	parts := strings.Split(order, ", ")
	for i, x := range parts {
		parts[i] = p + x
	}
	return strings.Join(parts, ", ")
}

// matchSQL writes the subquery of the products matching every group, with
// their score: for each group the best token's weight (doubled when the
// token equals the query's word rather than extending it), summed over
// the groups. Each group is its own subquery, joined on the product, so
// that the planner can estimate each from the token's statistics.
func matchSQL(x *sqlq, tenant string, groups []group) {
	x.add("SELECT g0.product_id, ")
	for i := range groups {
		if i > 0 {
			x.add(" + ")
		}
		x.add(fmt.Sprintf("g%d.score", i))
	}
	x.add(" AS score FROM ")
	for i, g := range groups {
		if i > 0 {
			x.add(" JOIN ")
		}
		x.add("(")
		if len(g.exact) == 1 && len(g.prefix) == 0 {
			// One token: a product holds it at most once.
			x.add("SELECT t.product_id, 2 * t.weight AS score FROM search_tokens t WHERE t.tenant_id = ? AND t.token = ?", tenant, g.exact[0])
		} else {
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
		x.add(fmt.Sprintf(") g%d", i))
		if i > 0 {
			x.add(fmt.Sprintf(" ON g%d.product_id = g0.product_id", i))
		}
	}
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

// subtree returns category id and the ids of every category beneath it.
func (d *directory) subtree(id string) []string {
	out := []string{id}
	for i := 0; i < len(out) && i < len(d.cats); i++ {
		out = append(out, d.subcats[out[i]]...)
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
func (d *directory) deliverable(id string) []string {
	r := d.regions[id]
	if r == nil {
		return nil
	}
	for n := 0; n < 8 && r.Level != tenants.LevelCity && r.ParentID != nil && d.regions[*r.ParentID] != nil; n++ {
		r = d.regions[*r.ParentID]
	}
	out := []string{r.ID}
	for i := 0; i < len(out) && i < len(d.regions); i++ {
		for _, c := range d.subareas[out[i]] {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}
