package storefront

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/i18n"
	"github.com/jishi-dev/jishi/core/search"
	"github.com/jishi-dev/jishi/core/web"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// PageSize is how many products a search or category page shows.
const PageSize = 20

// maxPage is the last page the search service can reach.
const maxPage = search.MaxOffset/PageSize + 1

// The sort orders a shopper picks, in the order the page offers them.
// "price" is price_asc (the JSON API's name is accepted too).
var sortOrders = []string{search.SortRelevance, search.SortSales, "price", search.SortPriceDesc, search.SortNewest}

// listingParams are the query parameters of the search and category pages
// (the category page takes its category from the path).
var listingParams = []string{"q", "category", "shop", "region", "min", "max", "in_stock", "sort"}

// listing is a parsed search or category page request.
type listing struct {
	Query search.Query
	// Values are the page's parameters as the shopper sent them (unknown
	// sorts and pages dropped), for the form and the links.
	Values url.Values
	Page   int
	// path is the page's own tenant-relative path ("/search", "/c/{id}").
	path string
}

// parseListing reads the parameters of r. Typed input that cannot be
// used (a price that is not an amount of yuan, a price range upside down,
// an over-long query, an id that is no id) is a field error named after
// its parameter; link-only parameters fall back instead: an unknown sort
// is relevance, a page that is not a number from 1 to maxPage is page 1.
// category overrides the category parameter (the category page).
func parseListing(r *http.Request, path, category string) (*listing, error) {
	v := r.URL.Query()
	l := &listing{Values: url.Values{}, Page: 1, path: path}
	for _, k := range listingParams {
		if x := strings.TrimSpace(v.Get(k)); x != "" {
			l.Values.Set(k, x)
		}
	}
	if category != "" {
		l.Values.Del("category")
	}
	var fe core.FieldErrors
	q := &l.Query
	q.Text = l.Values.Get("q")
	if utf8.RuneCountInString(q.Text) > search.MaxQueryLen {
		fe.Add("q", "search.field.query_too_long")
	}
	q.CategoryID = l.Values.Get("category")
	if category != "" {
		q.CategoryID = category
	}
	q.ShopID, q.RegionID = l.Values.Get("shop"), l.Values.Get("region")
	for field, id := range map[string]string{"category": q.CategoryID, "shop": q.ShopID, "region": q.RegionID} {
		if id != "" && !isID(id) {
			fe.Add(field, "field.invalid")
		}
	}
	price := func(field string) *int64 {
		s := l.Values.Get(field)
		if s == "" {
			return nil
		}
		fen, ok := catalog.ParseYuan(s)
		if !ok {
			fe.Add(field, "sf.search.price_invalid")
			return nil
		}
		return &fen
	}
	q.PriceMin, q.PriceMax = price("min"), price("max")
	if q.PriceMin != nil && q.PriceMax != nil && *q.PriceMin > *q.PriceMax {
		fe.Add("max", "search.field.price_range")
	}
	switch l.Values.Get("in_stock") {
	case "1", "true", "on":
		q.InStock = true
		l.Values.Set("in_stock", "1")
	default:
		l.Values.Del("in_stock")
	}
	switch s := l.Values.Get("sort"); s {
	case "price", search.SortPriceAsc:
		q.Sort = search.SortPriceAsc
		l.Values.Set("sort", "price")
	case search.SortSales, search.SortPriceDesc, search.SortNewest:
		q.Sort = s
	default: // relevance, and anything unknown
		q.Sort = search.SortRelevance
		l.Values.Del("sort")
	}
	if n, err := strconv.Atoi(v.Get("page")); err == nil && n >= 1 && n <= maxPage {
		l.Page = n
	}
	q.Limit, q.Offset = PageSize, (l.Page-1)*PageSize
	return l, fe.Err()
}

func isID(s string) bool {
	_, err := uuid.Parse(s)
	return err == nil
}

// href is the page's link with the parameters changed by kv (name, value;
// an empty value removes the parameter), back on page 1.
func (l *listing) href(r *http.Request, kv ...string) string {
	v := url.Values{}
	for k, x := range l.Values {
		v[k] = x
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			v.Del(kv[i])
		} else {
			v.Set(kv[i], kv[i+1])
		}
	}
	return l.link(r, v)
}

func (l *listing) link(r *http.Request, v url.Values) string {
	if len(v) == 0 {
		return web.Link(r, l.path)
	}
	return web.Link(r, l.path, "?", v.Encode())
}

// pageHref is the link to page n with the same parameters.
func (l *listing) pageHref(r *http.Request, n int) string {
	v := url.Values{}
	for k, x := range l.Values {
		v[k] = x
	}
	if n > 1 {
		v.Set("page", strconv.Itoa(n))
	}
	return l.link(r, v)
}

// resultsData is what the search and category pages share.
type resultsData struct {
	// Failed: the parameters had errors (shown on the form); no results.
	Failed   bool
	Query    string
	Hits     []hitView
	Empty    bool
	Sorts    []linkView
	Cats     []linkView // category facets (top level)
	Shops    []linkView // shop facets
	Active   []linkView // the filters in force, each linking to the page without it
	Regions  []regionOption
	Region   string
	MinYuan  string
	MaxYuan  string
	InStock  bool
	InStockH string // the link toggling in_stock
	Prev     string
	Next     string
	Page     int
	// Action is the form's target; Hidden the parameters the form keeps.
	Action string
	Hidden []hiddenField
}

// hitView is one product found.
type hitView struct {
	search.Hit
	Href, Price, ListPrice string
	Discounted             bool
}

// linkView is a link with a label and, for facets, a count.
type linkView struct {
	Label string
	Count int
	Href  string
	On    bool
}

// regionOption is one region of the selector.
type regionOption struct {
	ID, Name string
	District bool
}

// hiddenField is a parameter a form carries unchanged.
type hiddenField struct{ Name, Value string }

// results runs l's query and builds the shared part of the page. catName
// labels a category id (the active filter chip).
func (s *site) results(r *http.Request, l *listing, showCats bool) (*resultsData, error) {
	ctx := r.Context()
	locale := i18n.FromContext(ctx)
	d := &resultsData{Query: l.Query.Text, Page: l.Page, Region: l.Query.RegionID, MinYuan: l.Values.Get("min"),
		MaxYuan: l.Values.Get("max"), InStock: l.Query.InStock, Action: web.Link(r, l.path)}
	t := tenants.MustFromContext(ctx)
	shops, cats, err := s.homeContent(ctx, t)
	if err != nil {
		return nil, err
	}
	d.Regions, err = s.regionOptions(ctx)
	if err != nil {
		return nil, err
	}
	for _, so := range sortOrders {
		cur := l.Values.Get("sort")
		val := so
		if so == search.SortRelevance {
			val = ""
		}
		d.Sorts = append(d.Sorts, linkView{Label: i18n.T(locale, "sf.search.sort."+so), Href: l.href(r, "sort", val), On: cur == val})
	}
	if l.Query.InStock {
		d.InStockH = l.href(r, "in_stock", "")
	} else {
		d.InStockH = l.href(r, "in_stock", "1")
	}
	// The filters in force, each removable.
	if l.Values.Get("q") != "" {
		d.Active = append(d.Active, linkView{Label: "“" + l.Values.Get("q") + "”", Href: l.href(r, "q", "")})
	}
	if id := l.Values.Get("category"); id != "" {
		label := categoryLabel(cats, id, locale)
		if label == "" {
			label = i18n.T(locale, "sf.search.facet_categories")
		}
		d.Active = append(d.Active, linkView{Label: label, Href: l.href(r, "category", "")})
	}
	slugs := map[string]string{}
	names := map[string]string{}
	for _, sh := range shops {
		slugs[sh.ID], names[sh.ID] = sh.Slug, sh.Name
	}
	if id := l.Values.Get("shop"); id != "" {
		label := names[id]
		if label == "" {
			label = i18n.T(locale, "sf.search.facet_shops")
		}
		d.Active = append(d.Active, linkView{Label: label, Href: l.href(r, "shop", "")})
	}
	if id := l.Values.Get("region"); id != "" {
		for _, o := range d.Regions {
			if o.ID == id {
				d.Active = append(d.Active, linkView{Label: i18n.T(locale, "sf.search.reaches", o.Name), Href: l.href(r, "region", "")})
			}
		}
	}
	if l.Values.Get("min") != "" || l.Values.Get("max") != "" {
		d.Active = append(d.Active, linkView{Label: priceLabel(l, locale), Href: l.href(r, "min", "", "max", "")})
	}
	if l.Query.InStock {
		d.Active = append(d.Active, linkView{Label: i18n.T(locale, "sf.search.in_stock"), Href: d.InStockH})
	}
	for _, k := range []string{"sort"} {
		if x := l.Values.Get(k); x != "" {
			d.Hidden = append(d.Hidden, hiddenField{k, x})
		}
	}
	if l.Values.Get("category") != "" {
		d.Hidden = append(d.Hidden, hiddenField{"category", l.Values.Get("category")})
	}
	if l.Values.Get("shop") != "" {
		d.Hidden = append(d.Hidden, hiddenField{"shop", l.Values.Get("shop")})
	}

	res, err := s.a.Search.Search(ctx, l.Query)
	if err != nil {
		return nil, err
	}
	for _, h := range res.Products {
		slug := slugs[h.ShopID]
		if slug == "" {
			if sh, err := s.a.Merchants.ShopByID(ctx, h.ShopID); err == nil {
				slug = sh.Slug
			}
		}
		d.Hits = append(d.Hits, hitView{Hit: h, Href: web.Link(r, "/s/", slug, "/p/", h.ID),
			Price: "¥" + catalog.FormatYuan(h.PriceFen), ListPrice: "¥" + catalog.FormatYuan(h.ListPriceFen),
			Discounted: h.ListPriceFen > h.PriceFen})
	}
	d.Empty = len(d.Hits) == 0
	if showCats {
		for _, f := range res.Facets.Categories {
			on := l.Values.Get("category") == f.ID
			href := l.href(r, "category", f.ID)
			if on {
				href = l.href(r, "category", "")
			}
			d.Cats = append(d.Cats, linkView{Label: f.Name, Count: f.Count, Href: href, On: on})
		}
	}
	for _, f := range res.Facets.Shops {
		on := l.Values.Get("shop") == f.ID
		href := l.href(r, "shop", f.ID)
		if on {
			href = l.href(r, "shop", "")
		}
		d.Shops = append(d.Shops, linkView{Label: f.Name, Count: f.Count, Href: href, On: on})
	}
	if l.Page > 1 {
		d.Prev = l.pageHref(r, l.Page-1)
	}
	if res.HasMore && l.Page < maxPage {
		d.Next = l.pageHref(r, l.Page+1)
	}
	return d, nil
}

// failed builds the shared part of a page whose parameters had errors:
// the form with the values and the errors, no results.
func (s *site) failed(r *http.Request, l *listing) (*resultsData, error) {
	d := &resultsData{Failed: true, Empty: true, Query: l.Values.Get("q"), Page: 1, Region: l.Values.Get("region"),
		MinYuan: l.Values.Get("min"), MaxYuan: l.Values.Get("max"), InStock: l.Query.InStock, Action: web.Link(r, l.path)}
	var err error
	d.Regions, err = s.regionOptions(r.Context())
	return d, err
}

func priceLabel(l *listing, locale string) string {
	lo, hi := l.Values.Get("min"), l.Values.Get("max")
	switch {
	case lo != "" && hi != "":
		return "¥" + lo + "–¥" + hi
	case lo != "":
		return i18n.T(locale, "sf.search.from", "¥"+lo)
	default:
		return i18n.T(locale, "sf.search.upto", "¥"+hi)
	}
}

// categoryLabel is the name of category id in locale, "" when unknown.
func categoryLabel(cats []*catalog.Category, id, locale string) string {
	if c := findCategory(cats, id); c != nil {
		return c.Label(locale)
	}
	return ""
}

// findCategory finds id in the forest cats.
func findCategory(cats []*catalog.Category, id string) *catalog.Category {
	for _, c := range cats {
		if c.ID == id {
			return c
		}
		if f := findCategory(c.Children, id); f != nil {
			return f
		}
	}
	return nil
}

// categoryPath returns the categories from the top down to id (id last),
// nil when id is not in cats.
func categoryPath(cats []*catalog.Category, id string) []*catalog.Category {
	for _, c := range cats {
		if c.ID == id {
			return []*catalog.Category{c}
		}
		if p := categoryPath(c.Children, id); p != nil {
			return append([]*catalog.Category{c}, p...)
		}
	}
	return nil
}

// regionOptions are the tenant's cities, each followed by its districts.
func (s *site) regionOptions(ctx context.Context) ([]regionOption, error) {
	var out []regionOption
	err := s.a.DB.RunInReadTx(ctx, func(ctx context.Context, tx bun.IDB) error {
		roots, err := tenants.Regions(ctx, tx)
		for _, c := range roots {
			out = append(out, regionOption{ID: c.ID, Name: c.Name})
			for _, d := range c.Children {
				out = append(out, regionOption{ID: d.ID, Name: d.Name, District: true})
			}
		}
		return err
	})
	return out, err
}

// searchData is the search page.
type searchData struct {
	*resultsData
}

// searchPage is /search: the products matching q (Chinese, pinyin in full
// or by initials, English) and the filters, with facet links that add or
// remove a category or shop, a region selector (what can reach that
// region), a price range in yuan, in-stock only, sorts and pages. Bad
// typed input answers 400 with the form and its field errors; unknown
// sorts and pages fall back (see parseListing). A chosen region is
// remembered for the product pages' delivery promise.
func (s *site) searchPage(w http.ResponseWriter, r *http.Request) {
	l, err := parseListing(r, "/search", "")
	s.renderListing(w, r, l, err, "search", func(d *resultsData) any { return &searchData{d} }, "")
}

// renderListing answers a search or category page: with the results, or
// with status 400 and the form's errors when perr is a field error.
func (s *site) renderListing(w http.ResponseWriter, r *http.Request, l *listing, perr error, page string, wrap func(*resultsData) any, title string) {
	locale := i18n.FromContext(r.Context())
	if title == "" {
		title = i18n.T(locale, "sf.search.title")
		if l.Query.Text != "" {
			title = l.Query.Text + " · " + title
		}
	}
	p := &web.Page{Title: title, Area: web.AreaStorefront, Console: s.console(r), Form: &web.Form{Values: l.Values}}
	if perr != nil {
		status, ok := p.Form.Fail(r, perr)
		if !ok {
			httpx.Error(w, r, perr)
			return
		}
		d, err := s.failed(r, l)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		p.Data = wrap(d)
		s.render(w, r, status, page, p)
		return
	}
	d, err := s.results(r, l, page == "search")
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if r.URL.Query().Has("region") {
		s.setRegionCookie(w, l.Query.RegionID)
	}
	p.Data = wrap(d)
	s.render(w, r, http.StatusOK, page, p)
}

// categoryData is a category page.
type categoryData struct {
	*resultsData
	Category *catalog.Category
	// Path runs from the top-level category down to Category's parent.
	Path     []*catalog.Category
	Children []*catalog.Category
}

// categoryPage is /c/{id}: the category with its parents and children,
// and the products of its subtree, with the search page's filters, sorts
// and pages. A category of another tenant, and anything that is no
// category id, answers the 404 page.
func (s *site) categoryPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	_, cats, err := s.homeContent(ctx, tenants.MustFromContext(ctx))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	path := categoryPath(cats, id)
	if path == nil {
		httpx.Error(w, r, errNotFound)
		return
	}
	c := path[len(path)-1]
	l, perr := parseListing(r, "/c/"+c.ID, c.ID)
	wrap := func(d *resultsData) any {
		return &categoryData{resultsData: d, Category: c, Path: path[:len(path)-1], Children: c.Children}
	}
	s.renderListing(w, r, l, perr, "category", wrap, c.Label(i18n.FromContext(ctx)))
}

// RegionCookie remembers the region a shopper chose (search filter,
// product page) for the product pages' delivery promise.
const RegionCookie = "jishi_region"

// setRegionCookie remembers region id for a year; "" forgets it.
func (s *site) setRegionCookie(w http.ResponseWriter, id string) {
	c := &http.Cookie{Name: RegionCookie, Value: id, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.a.Config.Secure}
	if id == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// shopperRegion is the region of the request: ?region= when it is an id,
// else the remembered one.
func shopperRegion(r *http.Request) (id string, fromQuery bool) {
	if q := strings.TrimSpace(r.URL.Query().Get("region")); q != "" && isID(q) {
		return q, true
	}
	if c, err := r.Cookie(RegionCookie); err == nil && isID(c.Value) {
		return c.Value, false
	}
	return "", false
}
