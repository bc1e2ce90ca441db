package storefront_test

import (
	"context"
	"testing"

	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
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
