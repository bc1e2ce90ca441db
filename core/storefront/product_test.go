package storefront_test

import (
	"context"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/web/webtest"
	"github.com/uptrace/bun"
)

// TestProductPage: an active product shows its SKUs with prices, origin
// and certifications in both languages; drafts and other shops' paths are
// 404; a suspended shop's product shows and says it does not sell.
func TestProductPage(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := e.NewMarket("网上供销社")
		owner := m.Account("张老板", "", "")
		sh := m.Shop(owner, "xiangguo-fruit", "湘果鲜果园", m.Yuelu)
		m.Shop(m.Account("王场长", "", ""), "yuelu-veg", "岳麓蔬菜基地", m.Yuelu)
		var cat string
		err := m.App.DB.RunInReadTx(m.Ctx, func(ctx context.Context, tx bun.IDB) error {
			tree, err := catalog.Tree(ctx, tx)
			for _, c := range tree {
				for _, k := range c.Children {
					if k.Code == "strawberries" {
						cat = k.ID
					}
				}
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		in := catalog.ProductInput{CategoryID: cat, Name: "长沙有机草莓 <礼盒> & 鲜", Status: catalog.ProductActive, Origin: "长沙望城",
			Certifications: []string{"organic"}, Description: "当日现摘",
			SKUs: []catalog.SKUInput{{Spec: "500g", PriceFen: 3980, ListPriceFen: 4980, CostFen: 1000, WeightG: 500},
				{Spec: "1kg", PriceFen: 6980, WeightG: 1000, PurchaseLimit: 5}}}
		in.Name = "长沙有机草莓 & 鲜"
		pr, err := m.App.Catalog.Create(m.Ctx, owner.Principal, sh.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		in.Status = catalog.ProductDraft
		draft, err := m.App.Catalog.Create(m.Ctx, owner.Principal, sh.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		b := m.Anonymous()
		path := "/s/xiangguo-fruit/p/" + pr.ID
		r := webtest.Want(t, b.Get(path), 200, "product")
		webtest.Contains(t, r, "product", "长沙有机草莓 &amp; 鲜", "¥39.80", "¥49.80", "¥69.80", "长沙望城", "有机", "每单限购 5 件", "当日现摘", `lang="zh-CN"`)
		webtest.Lacks(t, r, "product", "10.00")
		r = webtest.Want(t, b.Get(path+"?lang=en"), 200, "product en")
		webtest.Contains(t, r, "product en", "Organic", "At most 5 per order", `lang="en"`)
		webtest.Want(t, b.Get("/s/xiangguo-fruit/p/"+draft.ID), 404, "draft")
		webtest.Want(t, b.Get("/s/yuelu-veg/p/"+pr.ID), 404, "other shop's path")
		webtest.Want(t, b.Get("/s/xiangguo-fruit/p/nonsense"), 404, "bad id")
		admin := m.Account("admin", "tenant_admin", "t/"+m.Tenant.ID)
		if _, err := m.App.Merchants.SetStatus(m.Ctx, admin.Principal, sh.ID, merchant.ShopSuspended, "抽检"); err != nil {
			t.Fatal(err)
		}
		r = webtest.Want(t, b.Get(path+"?lang=zh-CN"), 200, "suspended")
		webtest.Contains(t, r, "suspended", "本店暂停营业")
	})
}

// TestProductTraceStockAndPromise: the variants table says which SKU is in
// stock and offers an add-to-cart form (with the CSRF token) for it; the
// lots of the SKU with stock show their traceability facts, never the
// cost price, the lot's internal note or who received it; the delivery
// promise shows for the chosen region and is remembered; another
// tenant's product and region are refused.
func TestProductTraceStockAndPromise(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := e.NewMarket("网上供销社")
		owner := m.Account("张老板", "", "")
		sh := m.Shop(owner, "xiangguo-fruit", "湘果鲜果园", m.Yuelu)
		cats := categories(t, m)
		pr, err := m.App.Catalog.Create(m.Ctx, owner.Principal, sh.ID, catalog.ProductInput{
			CategoryID: cats["strawberries"], Name: "长沙有机草莓", Status: catalog.ProductActive,
			SKUs: []catalog.SKUInput{{Spec: "500g 装", PriceFen: 3980, ListPriceFen: 4980, CostFen: 1234, WeightG: 500, PurchaseLimit: 5},
				{Spec: "1kg 礼盒", PriceFen: 6980, CostFen: 2345, WeightG: 1000}},
		})
		if err != nil {
			t.Fatal(err)
		}
		wh, err := m.App.Inventory.CreateShopWarehouse(m.Ctx, owner.Principal, sh.ID, inventory.WarehouseInput{Name: "果园冷库", Address: "望城区"})
		if err != nil {
			t.Fatal(err)
		}
		today := time.Now().In(m.Tenant.Location())
		day := func(n int) string { return today.AddDate(0, 0, n).Format("2006-01-02") }
		lot, err := m.App.Inventory.Receive(m.Ctx, owner.Principal, sh.ID, inventory.LotInput{
			SKUID: pr.SKUs[0].ID, WarehouseID: wh.ID, Quantity: 20, ReceivedOn: day(0), BestBefore: day(5),
			Producer: "李大爷", Base: "望城草莓基地", SownOn: day(-90), FertilisedOn: day(-60), PesticideOn: day(-30),
			HarvestedOn: day(-1), ResidueTest: "农残快检合格", Note: "内部备注：进价偏高",
		})
		if err != nil {
			t.Fatal(err)
		}
		b := m.Anonymous()
		path := "/s/xiangguo-fruit/p/" + pr.ID
		r := webtest.Want(t, b.Get(path), 200, "product")
		webtest.Contains(t, r, "product", "500g 装", "1kg 礼盒", "¥39.80", "¥49.80", "¥69.80", "有货", "缺货",
			"产品追溯", "李大爷", "望城草莓基地", day(-90), day(-60), day(-30), day(-1), "农残快检合格", "保质期至", day(5),
			`action="/t/`+m.Tenant.Slug+`/cart/lines"`, `name="sku_id" value="`+pr.SKUs[0].ID+`"`, `name="csrf_token" value="`+b.Cookies["jishi_csrf"],
			`max="5"`, "选择所在地区")
		// The cost (1234 fen) in any form a page could carry it; a bare
		// "1234" may occur inside a random id.
		webtest.Lacks(t, r, "product", "12.34", ">1234<", `"1234"`, ":1234", "=1234", "23.45", "内部备注", owner.ID, wh.ID, lot.ID,
			`name="sku_id" value="`+pr.SKUs[1].ID+`"`)
		r = webtest.Want(t, b.Get(path+"?lang=en"), 200, "product en")
		webtest.Contains(t, r, "product en", "In stock", "Out of stock", "Traceability", "Residue test", "Add to cart")

		// The delivery promise for 岳麓区: courier (and pickup when there is
		// a point) with its text and fee; remembered for the next page.
		r = webtest.Want(t, b.Get(path+"?lang=zh-CN&region="+m.Yuelu.ID), 200, "promise")
		webtest.Contains(t, r, "promise", "快递配送", "送达", "¥8.00", `<option value="`+m.Yuelu.ID+`" selected>`)
		r = webtest.Want(t, b.Get(path), 200, "promise remembered")
		webtest.Contains(t, r, "promise remembered", "快递配送", "¥8.00")
		// Another tenant's region shows no promise and is forgotten.
		other := e.NewMarket("株洲供销社")
		r = webtest.Want(t, b.Get(path+"?region="+other.Yuelu.ID), 200, "other tenant's region")
		webtest.Lacks(t, r, "other tenant's region", "快递配送")
		webtest.Contains(t, r, "other tenant's region", "选择所在地区，查看")
		webtest.Lacks(t, webtest.Want(t, b.Get(path), 200, "forgotten"), "forgotten", "快递配送")

		// In stock: the search's in-stock filter keeps the product; once
		// the lot is written off it is out of stock everywhere, and its
		// lots and buy form go.
		webtest.Contains(t, b.Get("/search?q=caomei&in_stock=1"), "in stock", "长沙有机草莓")
		if _, err := m.App.Inventory.Adjust(m.Ctx, owner.Principal, sh.ID, inventory.AdjustInput{LotID: lot.ID, Delta: -20, Reason: inventory.ReasonDamage}); err != nil {
			t.Fatal(err)
		}
		r = webtest.Want(t, b.Get("/search?q=caomei&in_stock=1"), 200, "written off")
		webtest.Lacks(t, r, "written off", "长沙有机草莓")
		webtest.Contains(t, b.Get("/search?q=caomei"), "without in_stock", "长沙有机草莓")
		r = webtest.Want(t, b.Get(path), 200, "sold out")
		webtest.Contains(t, r, "sold out", "缺货")
		webtest.Lacks(t, r, "sold out", "有货", "李大爷", `name="sku_id"`)

		// Another tenant's browser cannot see the product, on any shop path.
		ob := other.Anonymous()
		webtest.Want(t, ob.Get(path), 404, "other tenant")
		osh := other.Shop(other.Account("吴先生", "", ""), "xiangguo-fruit", "株洲湘果", other.Yuelu)
		if osh.Slug != "xiangguo-fruit" {
			t.Fatalf("slug %q", osh.Slug)
		}
		webtest.Want(t, ob.Get(path), 404, "other tenant, same shop slug")
		webtest.Want(t, ob.Get("/s/flagship/p/"+pr.ID), 404, "other tenant's flagship")
	})
}
