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

// TestProductReturnsWindow: the product page shows the shop's returns
// window: the tenant's 7 days by default, the shop's own when it set one,
// 不支持无理由退货 for 0 days; in both languages.
func TestProductReturnsWindow(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := e.NewMarket("网上供销社")
		owner := m.Account("张老板", "", "")
		sh := m.Shop(owner, "xiangguo-fruit", "湘果鲜果园", m.Yuelu)
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
		pr, err := m.App.Catalog.Create(m.Ctx, owner.Principal, sh.ID, catalog.ProductInput{CategoryID: cat, Name: "草莓",
			Status: catalog.ProductActive, SKUs: []catalog.SKUInput{{Spec: "500g", PriceFen: 3980}}})
		if err != nil {
			t.Fatal(err)
		}
		set := func(days *int) {
			t.Helper()
			in := merchant.ProfileInput{Name: sh.Name, ContactPhone: "13800138000", ReturnDays: days}
			if _, err := m.App.Merchants.UpdateProfile(m.Ctx, owner.Principal, sh.ID, in); err != nil {
				t.Fatal(err)
			}
		}
		b := m.Anonymous()
		path := "/s/xiangguo-fruit/p/" + pr.ID
		r := webtest.Want(t, b.Get(path), 200, "default window")
		webtest.Contains(t, r, "default window", `<p class="returns small" id="returns">7天无理由退货</p>`)
		fifteen, zero := 15, 0
		set(&fifteen)
		r = webtest.Want(t, b.Get(path), 200, "15 days")
		webtest.Contains(t, r, "15 days", `id="returns">15天无理由退货</p>`)
		webtest.Lacks(t, r, "15 days", "7天无理由退货")
		r = webtest.Want(t, b.Get(path+"?lang=en"), 200, "15 days en")
		webtest.Contains(t, r, "15 days en", `id="returns">15-day returns, no reason needed</p>`)
		set(&zero)
		r = webtest.Want(t, b.Get(path+"?lang=zh-CN"), 200, "no returns")
		webtest.Contains(t, r, "no returns", `id="returns">不支持无理由退货</p>`)
		r = webtest.Want(t, b.Get(path+"?lang=en"), 200, "no returns en")
		webtest.Contains(t, r, "no returns en", `id="returns">No returns without reason</p>`)
	})
}
