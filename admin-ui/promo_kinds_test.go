package adminui_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/promo"
	"github.com/jishi-dev/jishi/core/web/webtest"
)

// TestAddonAndFreeShippingConsole: the owner makes a 换购 (满59加1元换购,
// amounts in yuan, stored in fen) and 包邮 promotions by threshold and by
// product through the forms; bad input (an amount that is not one, no
// add-on price, an add-on price not below the SKU's, both or neither
// free-shipping condition) is refused next to the field and writes
// nothing; the owner edits and deactivates; a promotion is edited only
// under its own kind; every page in both languages; another shop's owner
// and another tenant get 404.
func TestAddonAndFreeShippingConsole(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		fx := newShopFixture(t, d)
		m := fx.m
		b := m.SignedIn(fx.owner)
		base := "/merchant/shops/" + fx.sh.ID + "/promotions"
		promotions := func(kind string) []*promo.Promotion {
			t.Helper()
			prs, err := fx.e.App.Promo.Promotions(m.Ctx, fx.owner.Principal, fx.sh.ID, merchant.Page{})
			if err != nil {
				t.Fatal(err)
			}
			var out []*promo.Promotion
			for _, pr := range prs {
				if pr.Kind == kind {
					out = append(out, pr)
				}
			}
			return out
		}
		ps, err := fx.e.App.Catalog.Products(m.Ctx, fx.owner.Principal, fx.sh.ID, catalog.ProductFilter{})
		if err != nil || len(ps) != 1 {
			t.Fatalf("products %v %v", ps, err)
		}
		product := ps[0].ID
		loc := m.Tenant.Location()
		start := time.Now().In(loc).Add(-time.Hour).Format("2006-01-02T15:04")
		end := time.Now().In(loc).AddDate(0, 0, 7).Format("2006-01-02T15:04")

		r := webtest.Want(t, b.Get(base), 200, "promotions")
		webtest.Contains(t, r, "promotions", `<section class="card" id="addon">`, `id="new-addon"`, `<section class="card" id="free_shipping">`, `id="new-free_shipping"`)
		r = webtest.Want(t, b.Get(base+"/addon/new"), 200, "new addon")
		webtest.Contains(t, r, "new addon", `id="promo-form"`, `name="threshold_fen"`, `name="price_fen"`, `<select id="f-sku_id" name="sku_id"`,
			`<option value="`+fx.sku+`">小白菜 500g（XBC-500） ¥5.00</option>`)
		r = webtest.Want(t, b.Get(base+"/free_shipping/new"), 200, "new free shipping")
		webtest.Contains(t, r, "new free shipping", `name="threshold_fen"`, `<select id="f-product_id" name="product_id"`,
			`<option value="`+product+`">小白菜</option>`)

		// 换购: bad input, nothing written.
		addon := url.Values{"name": {"满59换购"}, "starts_at": {start}, "ends_at": {end}, "active": {"1"},
			"threshold_fen": {"59"}, "sku_id": {fx.sku}, "price_fen": {"1元"}}
		r = webtest.Want(t, b.Post(base+"/addon", addon), 400, "addon bad price")
		webtest.Contains(t, r, "addon bad price", `id="e-price_fen">请输入金额`, `value="1元"`)
		addon.Set("price_fen", "")
		r = webtest.Want(t, b.Post(base+"/addon", addon), 400, "addon no price")
		webtest.Contains(t, r, "addon no price", `id="e-price_fen">必填`)
		addon.Set("price_fen", "5")
		addon.Set("threshold_fen", "0")
		r = webtest.Want(t, b.Post(base+"/addon", addon), 400, "addon price not below")
		webtest.Contains(t, r, "addon price not below", `id="e-price_fen">换购价须低于商品原价 5.00 元`, `id="e-threshold_fen">`)
		addon.Set("sku_id", "")
		r = webtest.Want(t, b.Post(base+"/addon", addon), 400, "addon no sku")
		webtest.Contains(t, r, "addon no sku", `id="e-sku_id">必填`)
		if n := len(promotions(promo.KindAddon)); n != 0 {
			t.Fatalf("a refused addon was written: %d", n)
		}
		addon.Set("sku_id", fx.sku)
		addon.Set("threshold_fen", "59")
		addon.Set("price_fen", "1")
		r = webtest.Want(t, b.Post(base+"/addon", addon), 303, "addon")
		if !strings.HasSuffix(r.Location(), base+"#addon") {
			t.Fatalf("addon: Location %q", r.Location())
		}
		adds := promotions(promo.KindAddon)
		if len(adds) != 1 || adds[0].ThresholdFen != 5900 || adds[0].PriceFen != 100 || adds[0].SKUID == nil || *adds[0].SKUID != fx.sku || !adds[0].Active {
			t.Fatalf("addon %+v", adds)
		}

		// 包邮: neither or both conditions are refused.
		free := url.Values{"name": {"满39包邮"}, "starts_at": {start}, "ends_at": {end}, "active": {"1"}}
		r = webtest.Want(t, b.Post(base+"/free_shipping", free), 400, "free shipping neither")
		webtest.Contains(t, r, "free shipping neither", `id="e-threshold_fen">请填写满多少元包邮，或选择单品包邮的商品`)
		free.Set("threshold_fen", "39")
		free.Set("product_id", product)
		r = webtest.Want(t, b.Post(base+"/free_shipping", free), 400, "free shipping both")
		webtest.Contains(t, r, "free shipping both", `id="e-product_id">单品包邮和满额包邮只能选一种`, `<option value="`+product+`" selected>`)
		free.Set("threshold_fen", "3 9")
		free.Del("product_id")
		r = webtest.Want(t, b.Post(base+"/free_shipping", free), 400, "free shipping bad amount")
		webtest.Contains(t, r, "free shipping bad amount", `id="e-threshold_fen">请输入金额`)
		if n := len(promotions(promo.KindFreeShipping)); n != 0 {
			t.Fatalf("a refused free shipping was written: %d", n)
		}
		free.Set("threshold_fen", "39")
		webtest.Want(t, b.Post(base+"/free_shipping", free), 303, "free shipping by threshold")
		single := url.Values{"name": {"小白菜包邮"}, "starts_at": {start}, "ends_at": {end}, "active": {"1"}, "product_id": {product}}
		webtest.Want(t, b.Post(base+"/free_shipping", single), 303, "free shipping by product")
		frees := promotions(promo.KindFreeShipping)
		if len(frees) != 2 {
			t.Fatalf("free shipping %+v", frees)
		}
		var byThreshold, byProduct *promo.Promotion
		for _, pr := range frees {
			if pr.ProductID != nil {
				byProduct = pr
			} else {
				byThreshold = pr
			}
		}
		if byThreshold == nil || byThreshold.ThresholdFen != 3900 || byProduct == nil || *byProduct.ProductID != product || byProduct.ThresholdFen != 0 {
			t.Fatalf("free shipping %+v / %+v", byThreshold, byProduct)
		}
		r = webtest.Want(t, b.Get(base), 200, "list")
		webtest.Contains(t, r, "list", `id="promo-`+adds[0].ID+`"`, "满 59.00 元加 1.00 元换购 小白菜 500g（XBC-500）",
			`id="promo-`+byThreshold.ID+`"`, "满 39.00 元包邮", "单品包邮：小白菜", "进行中",
			base+"/addon/"+adds[0].ID, base+"/free_shipping/"+byProduct.ID)

		// Edit the addon; a promotion answers only under its own kind.
		edit := base + "/addon/" + adds[0].ID
		r = webtest.Want(t, b.Get(edit), 200, "edit addon")
		webtest.Contains(t, r, "edit addon", `value="59.00"`, `value="1.00"`, `<option value="`+fx.sku+`" selected>`, `id="promo-deactivate"`)
		webtest.Want(t, b.Get(base+"/threshold/"+adds[0].ID), 404, "addon as threshold")
		webtest.Want(t, b.Get(base+"/free_shipping/"+adds[0].ID), 404, "addon as free shipping")
		webtest.Want(t, b.Post(base+"/free_shipping/"+adds[0].ID, free), 404, "addon saved as free shipping")
		addon.Set("price_fen", "6")
		r = webtest.Want(t, b.Post(edit, addon), 400, "edit addon above price")
		webtest.Contains(t, r, "edit addon above price", `id="e-price_fen">换购价须低于商品原价 5.00 元`)
		if got := promotions(promo.KindAddon); len(got) != 1 || got[0].PriceFen != 100 {
			t.Fatalf("a refused edit was written: %+v", got)
		}
		addon.Set("price_fen", "1.50")
		webtest.Want(t, b.Post(edit, addon), 303, "edit addon")
		if got := promotions(promo.KindAddon); len(got) != 1 || got[0].PriceFen != 150 || got[0].ThresholdFen != 5900 {
			t.Fatalf("edited addon %+v", got)
		}
		r = webtest.Want(t, b.Get(base+"/free_shipping/"+byProduct.ID), 200, "edit free shipping")
		webtest.Contains(t, r, "edit free shipping", `<option value="`+product+`" selected>`, `id="f-threshold_fen" type="text" name="threshold_fen" value=""`)

		checkLanguages(t, b, base, base+"/addon/new", base+"/free_shipping/new", edit, base+"/free_shipping/"+byThreshold.ID)

		// Another shop's owner and another tenant: 404; nothing changes.
		other := m.Account("李经理", "", "")
		otherShop := m.Shop(other, "wangcheng-rice", "望城稻香米油", m.Yuelu)
		ob := m.SignedIn(other)
		webtest.Want(t, ob.Get(base+"/addon/new"), 404, "other's new addon")
		webtest.Want(t, ob.Get(edit), 404, "other's addon")
		webtest.Want(t, ob.Post(edit, addon), 404, "other edits")
		webtest.Want(t, ob.Post(edit+"/deactivate", nil), 404, "other deactivates")
		webtest.Want(t, ob.Post(base+"/free_shipping", free), 404, "other creates")
		webtest.Want(t, ob.Get("/merchant/shops/"+otherShop.ID+"/promotions/addon/"+adds[0].ID), 404, "addon under another shop")
		m2 := fx.e.NewMarket("网上供销社·株洲")
		owner2 := m2.Account("赵场长", "", "")
		sh2 := m2.Shop(owner2, "zz-veg", "株洲蔬菜", m2.Yuelu)
		b2 := m2.SignedIn(owner2)
		webtest.Want(t, b2.Get(edit), 404, "this shop's addon from another tenant")
		webtest.Want(t, b2.Get("/merchant/shops/"+sh2.ID+"/promotions/addon/"+adds[0].ID), 404, "addon from another tenant")
		webtest.Want(t, b2.Post("/merchant/shops/"+sh2.ID+"/promotions/addon/"+adds[0].ID, addon), 404, "save from another tenant")
		if got := promotions(promo.KindAddon); len(got) != 1 || got[0].PriceFen != 150 || !got[0].Active {
			t.Fatalf("others changed the addon: %+v", got)
		}

		// Deactivate the free shipping by product.
		webtest.Want(t, b.Post(base+"/free_shipping/"+byProduct.ID+"/deactivate", nil), 303, "deactivate")
		for _, pr := range promotions(promo.KindFreeShipping) {
			if pr.Active == (pr.ID == byProduct.ID) {
				t.Fatalf("after deactivate: %+v", pr)
			}
		}
		r = webtest.Want(t, b.Get(base+"?lang=zh-CN"), 200, "after deactivate")
		webtest.Contains(t, r, "after deactivate", "已停用")
		webtest.Lacks(t, r, "after deactivate", `id="deactivate-`+byProduct.ID+`"`)
	})
}
