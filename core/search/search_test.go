package search_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/jishi-dev/jishi/core"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/search"
	"github.com/uptrace/bun"
)

func (m *market) search(q search.Query) *search.Result {
	m.t.Helper()
	res, err := m.svc.Search(m.ctx, q)
	if err != nil {
		m.t.Fatalf("search %+v: %v", q, err)
	}
	return res
}

func names(res *search.Result) []string {
	var out []string
	for _, h := range res.Products {
		out = append(out, h.Name)
	}
	return out
}

func ptr(n int64) *int64 { return &n }

// TestSearchQuality: for each query, the product that must come first.
func TestSearchQuality(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := catalogFixture(t, d)
		cases := []struct{ q, first string }{
			{"草莓", "有机草莓"},
			{"caomei", "有机草莓"},
			{"caom", "有机草莓"},
			{"cm", "有机草莓"},
			{"CAOMEI", "有机草莓"},
			{"ｃａｏｍｅｉ", "有机草莓"},
			{"有机 草莓", "有机草莓"},
			{"有机草莓", "有机草莓"},
			{"有机 caomei", "有机草莓"},
			{"有机caomei", "有机草莓"},
			{"youjicaomei", "有机草莓"},
			{"草莓干", "草莓干"},
			{"caomeigan", "草莓干"},
			{"长沙 草莓", "长沙草莓"},
			{"changsha", "长沙草莓"},
			{"huangtao", "炎陵黄桃"},
			{"黄桃", "炎陵黄桃"},
			{"ht", "炎陵黄桃"},
			{"dami", "东北大米"},
			{"大米", "东北大米"},
			{"mi", "东北大米"},
			{"dbdm", "东北大米"},
			{"稻花香", "五常稻花香大米"},
			{"rice", "东北大米"},
			{"honey", "土蜂蜜"},
			{"蜂蜜", "土蜂蜜"},
			{"fengmi", "土蜂蜜"},
			{"茶", "安化黑茶"},
			{"cha", "安化黑茶"},
			{"hc", "安化黑茶"},
			{"黑茶", "安化黑茶"},
			{"heicha", "安化黑茶"},
			{"anhua", "安化黑茶"},
			{"茶油", "茶油"},
			{"chayou", "茶油"},
			{"xianggu", "香菇"},
			{"香菇", "香菇"},
			{"pinggu", "平菇"},
			{"mushroom", "香菇"},
			{"tujidan", "土鸡蛋"},
			{"鸡蛋", "土鸡蛋"},
			{"bingtangcheng", "麻阳冰糖橙"},
			{"冰糖橙", "麻阳冰糖橙"},
			{"mayang", "麻阳冰糖橙"},
			{"strawberry", "有机草莓"},
			{"strawberries", "有机草莓"},
			{"apple", "富士苹果"},
			{"blueberry", "Organic Blueberry 蓝莓"},
			{"organic", "Organic Blueberry 蓝莓"},
			{"腊肉", "腊肉"},
			{"larou", "腊肉"},
			{"辣椒", "剁辣椒"},
			{"xigua", "麒麟西瓜"},
			{"瓜", "麒麟西瓜"},
			{"望城", "望城香米"},
			{"200元", "提货卡 200元"},
		}
		failed := 0
		for _, c := range cases {
			res := m.search(search.Query{Text: c.q})
			if len(res.Products) == 0 || res.Products[0].Name != c.first {
				t.Errorf("%q: want %s first, got %v", c.q, c.first, names(res))
				failed++
			}
			for _, n := range names(res) {
				if strings.Contains(n, "停业") || n == "草莓预售" || n == "归档草莓" {
					t.Errorf("%q found %s", c.q, n)
				}
			}
		}
		if failed > 0 {
			t.Logf("%d of %d queries ranked wrong", failed, len(cases))
		}

		// Substrings: 草莓 finds every strawberry product, and only those.
		got := names(m.search(search.Query{Text: "草莓"}))
		want := []string{"有机草莓", "长沙草莓", "奶油草莓", "草莓干"}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("草莓: got %v, want %v", got, want)
		}
		if got := names(m.search(search.Query{Text: "cm"})); !slices.Contains(got, "草莓干") || slices.Contains(got, "香菇") {
			t.Errorf("cm: %v", got)
		}
		// Nothing to find.
		for _, q := range []string{"榴莲", "durian", "草莓 榴莲", "vvvv", "🍓", "!!!"} {
			res := m.search(search.Query{Text: q})
			if q == "🍓" || q == "!!!" { // nothing indexable: the newest products
				if len(res.Products) == 0 {
					t.Errorf("%q: want the newest products", q)
				}
				continue
			}
			if len(res.Products) != 0 {
				t.Errorf("%q: want nothing, got %v", q, names(res))
			}
		}
	})
}

func TestSearchFiltersSortsFacets(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := catalogFixture(t, d)

		// Empty query, no filters: the newest active products first.
		res := m.search(search.Query{Limit: 200})
		if len(res.Products) != findable || res.HasMore {
			t.Fatalf("empty query: %d products (has_more %v), want %d", len(res.Products), res.HasMore, findable)
		}
		if res.Products[0].Name != "五常稻花香大米" || res.Products[1].Name != "Organic Blueberry 蓝莓" {
			t.Errorf("newest first: %v", names(res)[:3])
		}
		h := res.Products[0]
		if h.ShopName != "株洲山货" || h.PriceFen != 8990 || h.ListPriceFen != 10788 || h.CoverPath == "" || h.SalesCount != 90 || h.ShopID != m.shops["株洲山货"] {
			t.Errorf("hit: %+v", h)
		}

		// Paging.
		p1 := m.search(search.Query{Limit: 10})
		p4 := m.search(search.Query{Limit: 10, Offset: 30})
		if len(p1.Products) != 10 || !p1.HasMore || len(p4.Products) != findable-30 || p4.HasMore {
			t.Errorf("paging: %d %v / %d %v", len(p1.Products), p1.HasMore, len(p4.Products), p4.HasMore)
		}

		// Category subtree: the top-level 新鲜水果 holds its children's products.
		got := names(m.search(search.Query{CategoryID: m.cats["fruit"], Limit: 200}))
		for _, n := range []string{"有机草莓", "炎陵黄桃", "富士苹果", "麒麟西瓜"} {
			if !slices.Contains(got, n) {
				t.Errorf("fruit: %s missing from %v", n, got)
			}
		}
		if slices.Contains(got, "草莓干") || len(got) != 9 {
			t.Errorf("fruit: %v", got)
		}
		got = names(m.search(search.Query{Text: "草莓", CategoryID: m.cats["fruit"]}))
		if len(got) != 3 || slices.Contains(got, "草莓干") {
			t.Errorf("草莓 in fruit: %v", got)
		}

		// Shop.
		got = names(m.search(search.Query{Text: "草莓", ShopID: m.shops["岳麓农场"]}))
		if !slices.Equal(got, []string{"长沙草莓", "草莓干"}) {
			t.Errorf("草莓 at 岳麓农场: %v", got)
		}

		// Region: a 长沙 district gets 长沙's shops and the flagship store,
		// not 株洲's; a 株洲 district the other way round.
		for _, c := range []struct {
			region   string
			has, not []string
		}{
			{"yuelu", []string{"有机草莓", "东北大米", "茶油", "香菇"}, []string{"腊肉", "野山茶油"}},
			{"changsha", []string{"有机草莓", "茶油"}, []string{"腊肉"}},
			{"hetang", []string{"腊肉", "野山茶油", "茶油"}, []string{"有机草莓", "东北大米", "香菇"}},
		} {
			got := names(m.search(search.Query{RegionID: m.regions[c.region], Limit: 200}))
			for _, n := range c.has {
				if !slices.Contains(got, n) {
					t.Errorf("region %s: %s missing", c.region, n)
				}
			}
			for _, n := range c.not {
				if slices.Contains(got, n) {
					t.Errorf("region %s: %s found", c.region, n)
				}
			}
		}

		// Price range (fen, inclusive) and price sorts.
		res = m.search(search.Query{PriceMin: ptr(2990), PriceMax: ptr(3990), Sort: search.SortPriceAsc, Limit: 200})
		for i, h := range res.Products {
			if h.PriceFen < 2990 || h.PriceFen > 3990 || (i > 0 && h.PriceFen < res.Products[i-1].PriceFen) {
				t.Errorf("price range asc: %+v", h)
			}
		}
		if len(res.Products) != 6 {
			t.Errorf("price range: %v", names(res))
		}
		res = m.search(search.Query{Text: "草莓", Sort: search.SortPriceDesc})
		if !slices.Equal(names(res), []string{"奶油草莓", "有机草莓", "长沙草莓", "草莓干"}) {
			t.Errorf("price desc: %v", names(res))
		}
		res = m.search(search.Query{Sort: search.SortSales, Limit: 3})
		if !slices.Equal(names(res), []string{"东北大米", "土鸡蛋", "有机草莓"}) && !slices.Equal(names(res), []string{"东北大米", "土鸡蛋", "剁辣椒"}) {
			t.Errorf("sales: %v", names(res))
		}
		res = m.search(search.Query{Text: "草莓", Sort: search.SortNewest})
		if !slices.Equal(names(res), []string{"奶油草莓", "长沙草莓", "草莓干", "有机草莓"}) {
			t.Errorf("newest: %v", names(res))
		}

		// In stock: inventory's flag filters, and survives reindexing.
		m.tx(func(ctx context.Context, tx bun.IDB) error {
			if err := m.svc.SetInStock(ctx, tx, m.products["长沙草莓"], false); err != nil {
				return err
			}
			return m.svc.IndexProduct(ctx, tx, m.products["长沙草莓"])
		})
		if got := names(m.search(search.Query{Text: "草莓", InStock: true})); slices.Contains(got, "长沙草莓") || len(got) != 3 {
			t.Errorf("in stock: %v", got)
		}
		if got := names(m.search(search.Query{Text: "草莓"})); !slices.Contains(got, "长沙草莓") {
			t.Errorf("out of stock still listed without the filter: %v", got)
		}
		if err := m.svc.Reindex(m.ctx); err != nil {
			t.Fatal(err)
		}
		if got := names(m.search(search.Query{Text: "草莓", InStock: true})); slices.Contains(got, "长沙草莓") {
			t.Errorf("in stock after Reindex: %v", got)
		}

		// Facets: per top-level category and per shop, for the query and filters.
		res = m.search(search.Query{Text: "草莓"})
		wantCats := []search.Facet{{ID: m.cats["fruit"], Name: "新鲜水果", Count: 3}, {ID: m.cats["specialty"], Name: "名优特产", Count: 1}}
		if !slices.Equal(res.Facets.Categories, wantCats) {
			t.Errorf("category facets: %+v", res.Facets.Categories)
		}
		wantShops := []search.Facet{{ID: m.shops["岳麓农场"], Name: "岳麓农场", Count: 2}, {ID: m.shops["芙蓉果园"], Name: "芙蓉果园", Count: 2}}
		if len(res.Facets.Shops) != 2 || !slices.ContainsFunc(res.Facets.Shops, func(f search.Facet) bool { return f == wantShops[0] }) ||
			!slices.ContainsFunc(res.Facets.Shops, func(f search.Facet) bool { return f == wantShops[1] }) {
			t.Errorf("shop facets: %+v", res.Facets.Shops)
		}
		res = m.search(search.Query{Text: "草莓", ShopID: m.shops["芙蓉果园"]})
		if len(res.Facets.Shops) != 1 || res.Facets.Shops[0].Count != 2 || len(res.Facets.Categories) != 1 {
			t.Errorf("facets with a shop filter: %+v", res.Facets)
		}
	})
}

func TestSearchBadInput(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := newTenant(t, d)
		for _, c := range []struct {
			q     search.Query
			field string
		}{
			{search.Query{Text: strings.Repeat("草", 65)}, "q"},
			{search.Query{PriceMin: ptr(500), PriceMax: ptr(100)}, "price_max"},
			{search.Query{PriceMin: ptr(-1)}, "price_min"},
			{search.Query{Limit: 201}, "limit"},
			{search.Query{Limit: -1}, "limit"},
			{search.Query{Offset: -1}, "offset"},
			{search.Query{Sort: "cheapest"}, "sort"},
			{search.Query{CategoryID: "1 OR 1=1"}, "category"},
			{search.Query{ShopID: "x"}, "shop"},
			{search.Query{RegionID: "'"}, "region"},
		} {
			_, err := m.svc.Search(m.ctx, c.q)
			var ce *core.Error
			if core.ErrorCode(err) != core.Invalid || !asError(err, &ce) || ce.Fields[c.field] == "" {
				t.Errorf("%+v: want a field error on %s, got %v", c.q, c.field, err)
			}
		}
		// 64 characters is fine; so are SQL-looking and odd queries.
		for _, q := range []string{strings.Repeat("草", 64), "'; DROP TABLE search_tokens; --", "%_\\", "a\x00b", "ÿ", "\U0010FFFF"} {
			if _, err := m.svc.Search(m.ctx, search.Query{Text: q}); err != nil {
				t.Errorf("%q: %v", q, err)
			}
		}
	})
}

func asError(err error, ce **core.Error) bool {
	e, ok := err.(*core.Error)
	*ce = e
	return ok
}

func TestSearchTenantIsolation(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a := catalogFixture(t, d)
		b := newTenant(t, d)
		b.shop("外地果园", "yuelu", merchant.ShopActive)
		b.add(item{name: "外地草莓", cat: "strawberries", shop: "外地果园", price: 100, sales: 99999},
			item{name: "外地大米", cat: "rice", shop: "外地果园", price: 100, sales: 99999})

		for _, q := range []string{"草莓", "caomei", "大米", ""} {
			for _, n := range names(a.search(search.Query{Text: q, Limit: 200})) {
				if strings.HasPrefix(n, "外地") {
					t.Errorf("tenant A found B's %s for %q", n, q)
				}
			}
			for _, n := range names(b.search(search.Query{Text: q, Limit: 200})) {
				if !strings.HasPrefix(n, "外地") {
					t.Errorf("tenant B found A's %s for %q", n, q)
				}
			}
		}
		// A's search naming B's category, shop or region finds nothing.
		for _, q := range []search.Query{
			{CategoryID: b.cats["strawberries"]},
			{Text: "草莓", CategoryID: b.cats["fruit"]},
			{ShopID: b.shops["外地果园"]},
			{Text: "草莓", ShopID: b.shops["外地果园"]},
			{RegionID: b.regions["yuelu"]},
		} {
			res := a.search(q)
			if len(res.Products) != 0 || len(res.Facets.Categories) != 0 || len(res.Facets.Shops) != 0 {
				t.Errorf("%+v: found %v", q, names(res))
			}
		}
		// Indexing B's product id in A's transaction touches nothing.
		a.tx(func(ctx context.Context, tx bun.IDB) error {
			return a.svc.IndexProduct(ctx, tx, b.products["外地草莓"])
		})
		if got := names(b.search(search.Query{Text: "草莓"})); !slices.Equal(got, []string{"外地草莓"}) {
			t.Errorf("B after A indexed B's id: %v", got)
		}
		if got := names(a.search(search.Query{Text: "外地"})); len(got) != 0 {
			t.Errorf("A after indexing B's id: %v", got)
		}
	})
}

// TestIndexFollowsChanges: IndexProduct and IndexShop keep the index in
// step with product and shop writes in the caller's transaction.
func TestIndexFollowsChanges(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := catalogFixture(t, d)
		id := m.products["奶油草莓"]
		update := func(set string, args ...any) {
			m.tx(func(ctx context.Context, tx bun.IDB) error {
				if _, err := db.Update(ctx, tx, (*catalog.Product)(nil)).Set(set, args...).Where("p.id = ?", id).Exec(ctx); err != nil {
					return err
				}
				return m.svc.IndexProduct(ctx, tx, id)
			})
		}
		update("name = ?", "奶油白草莓")
		if got := names(m.search(search.Query{Text: "白草莓"})); !slices.Equal(got, []string{"奶油白草莓"}) {
			t.Errorf("renamed: %v", got)
		}
		if got := names(m.search(search.Query{Text: "baicaomei"})); !slices.Equal(got, []string{"奶油白草莓"}) {
			t.Errorf("renamed, pinyin: %v", got)
		}
		update("status = ?", catalog.ProductArchived)
		if got := names(m.search(search.Query{Text: "草莓"})); slices.Contains(got, "奶油白草莓") {
			t.Errorf("archived still found: %v", got)
		}
		update("status = ?", catalog.ProductActive)
		if got := names(m.search(search.Query{Text: "草莓"})); !slices.Contains(got, "奶油白草莓") {
			t.Errorf("restored not found: %v", got)
		}
		// A rolled-back change leaves the index as it was.
		_ = m.d.RunInTx(m.ctx, func(ctx context.Context, tx bun.IDB) error {
			if _, err := db.Update(ctx, tx, (*catalog.Product)(nil)).Set("name = ?", "榴莲").Where("p.id = ?", id).Exec(ctx); err != nil {
				return err
			}
			if err := m.svc.IndexProduct(ctx, tx, id); err != nil {
				return err
			}
			return core.Errorf(core.Conflict, "error.conflict")
		})
		if got := names(m.search(search.Query{Text: "榴莲"})); len(got) != 0 {
			t.Errorf("rolled back change is searchable: %v", got)
		}
		// Archiving every SKU hides the product; the cheapest active SKU sets the price.
		m.tx(func(ctx context.Context, tx bun.IDB) error {
			_, err := db.Update(ctx, tx, (*catalog.SKU)(nil)).Set("status = ?", catalog.SKUArchived).
				Where("k.product_id = ? AND k.price_fen = ?", id, 4590).Exec(ctx)
			if err != nil {
				return err
			}
			return m.svc.IndexProduct(ctx, tx, id)
		})
		res := m.search(search.Query{Text: "白草莓"})
		if len(res.Products) != 1 || res.Products[0].PriceFen != 3*4590 {
			t.Errorf("cheapest active SKU: %+v", res.Products)
		}
		// A suspended shop's products vanish at once, and IndexShop drops them.
		shop := m.shops["芙蓉果园"]
		m.tx(func(ctx context.Context, tx bun.IDB) error {
			_, err := db.Update(ctx, tx, (*merchant.Shop)(nil)).Set("status = ?", merchant.ShopSuspended).Where("s.id = ?", shop).Exec(ctx)
			return err
		})
		if got := names(m.search(search.Query{Text: "草莓"})); slices.Contains(got, "有机草莓") {
			t.Errorf("suspended shop's product found: %v", got)
		}
		var n int64
		count := func() {
			t.Helper()
			err := m.d.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
				n, err = db.Select(ctx, tx, (*search.Doc)(nil)).Where("d.shop_id = ?", shop).Count(ctx)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		m.tx(func(ctx context.Context, tx bun.IDB) error { return m.svc.IndexShop(ctx, tx, shop) })
		if count(); n != 0 {
			t.Errorf("IndexShop left %d docs of a suspended shop", n)
		}
		m.tx(func(ctx context.Context, tx bun.IDB) error {
			if _, err := db.Update(ctx, tx, (*merchant.Shop)(nil)).Set("status = ?", merchant.ShopActive).Where("s.id = ?", shop).Exec(ctx); err != nil {
				return err
			}
			return m.svc.IndexShop(ctx, tx, shop)
		})
		if count(); n != 8 {
			t.Errorf("IndexShop after reopening: %d docs, want 8", n)
		}
		// Reindex rebuilds the same index.
		before := names(m.search(search.Query{Text: "cm", Limit: 200}))
		if err := m.svc.Reindex(m.ctx); err != nil {
			t.Fatal(err)
		}
		if after := names(m.search(search.Query{Text: "cm", Limit: 200})); !slices.Equal(before, after) {
			t.Errorf("Reindex changed results: %v → %v", before, after)
		}
		// Unknown and malformed ids are ignored.
		m.tx(func(ctx context.Context, tx bun.IDB) error {
			if err := m.svc.IndexProduct(ctx, tx, "not-a-uuid"); err != nil {
				return err
			}
			return m.svc.IndexProduct(ctx, tx, "0190a0a0-0000-7000-8000-000000000000")
		})
	})
}
