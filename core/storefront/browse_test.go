package storefront_test

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/web/webtest"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// categories returns the ids of m's categories by code.
func categories(t *testing.T, m *webtest.Market) map[string]string {
	t.Helper()
	ids := map[string]string{}
	err := m.App.DB.RunInReadTx(m.Ctx, func(ctx context.Context, tx bun.IDB) error {
		tree, err := catalog.Tree(ctx, tx)
		var walk func([]*catalog.Category)
		walk = func(cs []*catalog.Category) {
			for _, c := range cs {
				ids[c.Code] = c.ID
				walk(c.Children)
			}
		}
		walk(tree)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// product creates an active product with one SKU at priceFen.
func product(t *testing.T, m *webtest.Market, owner *webtest.Account, shopID, cat, name string, priceFen int64) *catalog.Product {
	t.Helper()
	pr, err := m.App.Catalog.Create(m.Ctx, owner.Principal, shopID, catalog.ProductInput{
		CategoryID: cat, Name: name, Status: catalog.ProductActive,
		SKUs: []catalog.SKUInput{{Spec: "500g", PriceFen: priceFen, CostFen: priceFen / 4, WeightG: 500}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return pr
}

// hrefs returns the links of r's body inside the element whose opening
// tag contains marker (up to its closing tag name), unescaped, with the
// browser's base cut off.
func hrefs(t *testing.T, r *webtest.Response, b *webtest.Browser, marker, closing string) []string {
	t.Helper()
	i := strings.Index(r.Body, marker)
	if i < 0 {
		t.Fatalf("no %q in page", marker)
	}
	part := r.Body[i:]
	part = part[:strings.Index(part, closing)]
	var out []string
	for _, m := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(part, -1) {
		out = append(out, strings.TrimPrefix(html.UnescapeString(m[1]), b.Base))
	}
	return out
}

// TestCategoryAndSearchPages: a category page lists the products of its
// children; search finds a strawberry by 草莓, caomei and cm; facet links
// narrow the results and the active filter links widen them again; the
// region filter keeps what can reach the region; prices are yuan; sorts
// order; another tenant's category is 404; bad typed input is a 400 form
// with the field's message, unknown sorts and pages fall back.
func TestCategoryAndSearchPages(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := e.NewMarket("网上供销社")
		cats := categories(t, m)
		fruitOwner, vegOwner, zzOwner := m.Account("张老板", "", ""), m.Account("王场长", "", ""), m.Account("刘经理", "", "")
		fruit := m.Shop(fruitOwner, "xiangguo-fruit", "湘果鲜果园", m.Yuelu)
		veg := m.Shop(vegOwner, "yuelu-veg", "岳麓蔬菜基地", m.Yuelu)
		var tianyuan *tenants.Region
		err := m.App.DB.RunInTx(m.Ctx, func(ctx context.Context, tx bun.IDB) error {
			zz, err := tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "zhuzhou", Name: "株洲市"})
			if err != nil {
				return err
			}
			tianyuan, err = tenants.CreateRegion(ctx, tx, tenants.RegionInput{Code: "tianyuan", Name: "天元区", ParentID: zz.ID})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		zzShop := m.Shop(zzOwner, "zz-fruit", "株洲果园", tianyuan)
		berry := product(t, m, fruitOwner, fruit.ID, cats["strawberries"], "长沙有机草莓", 3980)
		cheap := product(t, m, fruitOwner, fruit.ID, cats["strawberries"], "望城奶油草莓", 1990)
		greens := product(t, m, vegOwner, veg.ID, cats["vegetables"], "岳麓小白菜", 450)
		far := product(t, m, zzOwner, zzShop.ID, cats["strawberries"], "株洲红颜草莓", 2990)
		b := m.Anonymous()

		// The category page: the top-level category lists its child's
		// products and links to its children.
		r := webtest.Want(t, b.Get("/c/"+cats["fruit"]), 200, "category")
		webtest.Contains(t, r, "category", "<h1>新鲜水果</h1>", `href="/t/`+m.Tenant.Slug+`/c/`+cats["strawberries"]+`"`,
			berry.Name, cheap.Name, far.Name, "¥39.80", "湘果鲜果园", `href="/t/`+m.Tenant.Slug+`/s/xiangguo-fruit/p/`+berry.ID+`"`)
		webtest.Lacks(t, r, "category", greens.Name)
		r = webtest.Want(t, b.Get("/c/"+cats["strawberries"]+"?sort=price"), 200, "child category")
		webtest.Contains(t, r, "child category", "<h1>草莓</h1>", `href="/t/`+m.Tenant.Slug+`/c/`+cats["fruit"]+`"`)
		if strings.Index(r.Body, cheap.Name) > strings.Index(r.Body, berry.Name) {
			t.Error("sort=price: the dearer strawberry comes first")
		}
		r = webtest.Want(t, b.Get("/c/"+cats["strawberries"]+"?sort=price_desc"), 200, "price desc")
		if strings.Index(r.Body, cheap.Name) < strings.Index(r.Body, berry.Name) {
			t.Error("sort=price_desc: the cheaper strawberry comes first")
		}
		r = webtest.Want(t, b.Get("/c/"+cats["vegetables"]+"?lang=en"), 200, "vegetables en")
		webtest.Contains(t, r, "vegetables en", "Vegetables", greens.Name)
		webtest.Lacks(t, r, "vegetables en", berry.Name)
		// The home page links its categories here.
		webtest.Contains(t, b.Get("/?lang=zh-CN"), "home", `href="/t/`+m.Tenant.Slug+`/c/`+cats["fruit"]+`"`)

		// Search: Chinese, full pinyin, initials.
		for _, q := range []string{"草莓", "caomei", "cm"} {
			r := webtest.Want(t, b.Get("/search?q="+url.QueryEscape(q)), 200, q)
			webtest.Contains(t, r, q, berry.Name, cheap.Name, "¥19.90", "湘果鲜果园", `value="`+q+`"`)
			webtest.Lacks(t, r, q, greens.Name)
		}
		// A shop facet narrows; the active filter's link widens again.
		r = webtest.Want(t, b.Get("/search?q=%E8%8D%89%E8%8E%93"), 200, "facets")
		webtest.Contains(t, r, "facets", far.Name)
		var toShop string
		for _, h := range hrefs(t, r, b, `aria-label="按分类和店铺筛选"`, "</aside>") {
			if strings.Contains(h, "shop="+fruit.ID) {
				toShop = h
			}
		}
		if toShop == "" {
			t.Fatal("no facet link to the fruit shop")
		}
		r = webtest.Want(t, b.Get(toShop), 200, "shop facet")
		webtest.Contains(t, r, "shop facet", berry.Name, cheap.Name, `class="on" aria-current="true"`)
		webtest.Lacks(t, r, "shop facet", far.Name)
		active := hrefs(t, r, b, `class="chips active-filters"`, "</ul>")
		var widen string
		for _, h := range active {
			if !strings.Contains(h, "shop=") && strings.Contains(h, "q=") {
				widen = h
			}
		}
		if widen == "" {
			t.Fatalf("no link removing the shop filter in %v", active)
		}
		webtest.Contains(t, webtest.Want(t, b.Get(widen), 200, "widened"), "widened", far.Name, berry.Name)
		// A category facet (top level) narrows too.
		r = webtest.Want(t, b.Get("/search"), 200, "everything")
		webtest.Contains(t, r, "everything", greens.Name, berry.Name)
		var toVeg string
		for _, h := range hrefs(t, r, b, `aria-label="按分类和店铺筛选"`, "</aside>") {
			if strings.Contains(h, "category="+cats["fresh"]) {
				toVeg = h
			}
		}
		if toVeg == "" {
			t.Fatal("no facet link to 生鲜食材")
		}
		r = webtest.Want(t, b.Get(toVeg), 200, "category facet")
		webtest.Contains(t, r, "category facet", greens.Name)
		webtest.Lacks(t, r, "category facet", berry.Name)

		// Region: what can reach 岳麓区 (shops of 长沙市), not 株洲.
		r = webtest.Want(t, b.Get("/search?q=caomei&region="+m.Yuelu.ID), 200, "region")
		webtest.Contains(t, r, "region", berry.Name, `<option value="`+m.Yuelu.ID+`" selected>`, "可送达岳麓区")
		webtest.Lacks(t, r, "region", far.Name)
		if b.Cookies["jishi_region"] != m.Yuelu.ID {
			t.Errorf("region not remembered: %q", b.Cookies["jishi_region"])
		}
		r = webtest.Want(t, b.Get("/search?q=caomei&region="+tianyuan.ID), 200, "region zz")
		webtest.Contains(t, r, "region zz", far.Name)
		webtest.Lacks(t, r, "region zz", berry.Name)

		// Prices in yuan.
		r = webtest.Want(t, b.Get("/search?q=caomei&min=30&max=39.8"), 200, "price range")
		webtest.Contains(t, r, "price range", berry.Name, "¥30–¥39.8")
		webtest.Lacks(t, r, "price range", cheap.Name, far.Name)
		r = webtest.Want(t, b.Get("/search?q=caomei&max=20"), 200, "up to 20")
		webtest.Contains(t, r, "up to 20", cheap.Name)
		webtest.Lacks(t, r, "up to 20", berry.Name)

		// Bad typed input: the form again (400) with the field's message.
		for _, c := range []struct{ query, msg string }{
			{"min=abc", "请输入有效的金额"},
			{"min=-1", "请输入有效的金额"},
			{"max=1.234", "请输入有效的金额"},
			{"max=99999999999", "请输入有效的金额"},
			{"min=50&max=5", "最高价不能低于最低价"},
			{"category=nonsense", "格式不正确"},
			{"q=" + strings.Repeat("莓", 65), "搜索词不能超过 64 个字"},
		} {
			r := webtest.Want(t, b.Get("/search?"+c.query), 400, c.query)
			webtest.Contains(t, r, c.query, c.msg)
			webtest.Lacks(t, r, c.query, berry.Name)
		}
		// Link-only parameters fall back.
		for _, q := range []string{"sort=bogus", "sort=%00", "page=-3", "page=abc", "page=99999", "in_stock=maybe"} {
			r := webtest.Want(t, b.Get("/search?q=caomei&"+q), 200, q)
			webtest.Contains(t, r, q, berry.Name)
		}
		// Another tenant's category and an unknown id are 404; another
		// tenant's category as a filter finds nothing.
		other := e.NewMarket("株洲供销社")
		ocats := categories(t, other)
		for _, path := range []string{"/c/" + ocats["fruit"], "/c/nonsense", "/c/" + tenants.NewID()} {
			webtest.Want(t, b.Get(path), 404, path)
		}
		r = webtest.Want(t, b.Get("/search?category="+ocats["fruit"]), 200, "other tenant's category filter")
		webtest.Lacks(t, r, "other tenant's category filter", berry.Name, greens.Name)
		webtest.Contains(t, r, "other tenant's category filter", "没有找到相关商品")
		// The other tenant's shoppers do not find this tenant's products.
		r = webtest.Want(t, other.Anonymous().Get("/search?q=caomei"), 200, "other tenant's search")
		webtest.Lacks(t, r, "other tenant's search", berry.Name)
	})
}

// TestHeaderSearchBox: every storefront page has the search box; the
// search page fills it with the query.
func TestHeaderSearchBox(t *testing.T) {
	e := webtest.New(t, dbtest.SQLite(t))
	m := e.NewMarket("网上供销社")
	m.Shop(m.Account("王场长", "", ""), "yuelu-veg", "岳麓蔬菜基地", m.Yuelu)
	b := m.Anonymous()
	box := `<form class="search-box" method="get" action="/t/` + m.Tenant.Slug + `/search" role="search">`
	for _, path := range []string{"/", "/s/yuelu-veg/", "/login", "/orders/lookup", "/c/nonsense"} {
		r := b.Get(path)
		webtest.Contains(t, r, path, box)
	}
	r := webtest.Want(t, b.Get("/search?q=%3Cb%3E"), 200, "search")
	webtest.Contains(t, r, "search", box, `value="&lt;b&gt;"`)
	webtest.Lacks(t, r, "search", "<b>")
}
