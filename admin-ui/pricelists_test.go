package adminui_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/promo"
	"github.com/jishi-dev/jishi/core/web/webtest"
)

// TestPriceListConsole: with the tenant's customer groups made, the owner
// creates a wholesale price list through the form (a member price and a
// tier price from 10 units, in yuan, stored in fen; an empty row between
// them is left out); bad input (an amount or quantity that is not one, a
// tier price for a VIP group, a price below the discount floor, no
// group) is refused next to the field and writes nothing; the owner adds
// a row without saving, edits and deactivates; every page in both
// languages; another shop's owner and another tenant get 404.
func TestPriceListConsole(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		fx := newShopFixture(t, d)
		m := fx.m
		b := m.SignedIn(fx.owner)
		base := "/merchant/shops/" + fx.sh.ID + "/price-lists"
		lists := func() []*promo.PriceList {
			t.Helper()
			pls, err := fx.e.App.Promo.PriceLists(m.Ctx, fx.owner.Principal, fx.sh.ID, merchant.Page{})
			if err != nil {
				t.Fatal(err)
			}
			return pls
		}

		// No customer group yet: the page says so and offers no form.
		r := webtest.Want(t, b.Get(base), 200, "no groups")
		webtest.Contains(t, r, "no groups", `id="no-groups"`)
		webtest.Lacks(t, r, "no groups", `id="new-pricelist"`)
		vip, err := fx.e.App.Promo.CreateGroup(m.Ctx, fx.admin.Principal, promo.GroupInput{Name: "VIP会员", Kind: promo.GroupVIP})
		if err != nil {
			t.Fatal(err)
		}
		agents, err := fx.e.App.Promo.CreateGroup(m.Ctx, fx.admin.Principal, promo.GroupInput{Name: "授权代理", Kind: promo.GroupWholesale})
		if err != nil {
			t.Fatal(err)
		}

		r = webtest.Want(t, b.Get("/merchant/shops/"+fx.sh.ID), 200, "shop console")
		webtest.Contains(t, r, "shop console", `id="shop-price-lists"`)
		r = webtest.Want(t, b.Get("/merchant/shops/"+fx.sh.ID+"/promotions"), 200, "promotions")
		webtest.Contains(t, r, "promotions", `id="promos-price-lists"`)
		r = webtest.Want(t, b.Get(base), 200, "price lists")
		webtest.Contains(t, r, "price lists", "价格表", `id="new-pricelist"`)
		r = webtest.Want(t, b.Get(base+"/new"), 200, "new price list")
		webtest.Contains(t, r, "new price list", `id="pricelist-form"`, `<option value="`+agents.ID+`">授权代理 · 批发（授权代理）</option>`,
			`name="entries.2.price_fen"`, `name="entry_count" value="3"`, `id="f-active" type="checkbox" name="active" value="1" checked`)
		webtest.Lacks(t, r, "new price list", `name="entries.3.price_fen"`)

		// Bad amounts and quantities: the form's own messages.
		form := url.Values{"name": {"代理价"}, "group_id": {agents.ID}, "active": {"1"}, "entry_count": {"3"},
			"entries.0.sku_id": {fx.sku}, "entries.0.price_fen": {"4.5O"},
			"entries.2.sku_id": {fx.sku}, "entries.2.min_qty": {"十"}, "entries.2.price_fen": {"4"}}
		r = webtest.Want(t, b.Post(base, form), 400, "bad amounts")
		webtest.Contains(t, r, "bad amounts", `id="e-entries.0.price_fen">请输入金额`, `id="e-entries.2.min_qty">请输入整数`,
			`value="4.5O"`, `value="十"`)
		// A tier price for a VIP group; a price below the floor (70% of ¥5.00).
		form.Set("entries.0.price_fen", "3")
		form.Set("entries.2.min_qty", "10")
		form.Set("group_id", vip.ID)
		r = webtest.Want(t, b.Post(base, form), 400, "tier for VIP, below floor")
		webtest.Contains(t, r, "tier for VIP, below floor", `id="e-entries.2.min_qty">阶梯价只适用于授权代理（批发）客户组`,
			`id="e-entries.0.price_fen">低于折扣底线（不低于原价的 70%）：最低 3.50 元`)
		form.Set("group_id", "")
		r = webtest.Want(t, b.Post(base, form), 400, "no group")
		webtest.Contains(t, r, "no group", `id="e-group_id">`)
		if n := len(lists()); n != 0 {
			t.Fatalf("a refused price list was written: %d", n)
		}

		// A row more, nothing saved; the values stay.
		form.Set("op", "add_entry")
		r = webtest.Want(t, b.Post(base, form), 200, "add a row")
		webtest.Contains(t, r, "add a row", `name="entries.3.price_fen"`, `name="entry_count" value="4"`, `value="10"`)
		if n := len(lists()); n != 0 {
			t.Fatalf("adding a row saved: %d", n)
		}
		form.Del("op")

		form.Set("group_id", agents.ID)
		form.Set("entries.0.price_fen", "4.50")
		r = webtest.Want(t, b.Post(base, form), 303, "create")
		pls := lists()
		if len(pls) != 1 || !strings.HasSuffix(r.Location(), base+"#pricelist-"+pls[0].ID) {
			t.Fatalf("create: %d lists, Location %q", len(pls), r.Location())
		}
		pl := pls[0]
		if pl.GroupID != agents.ID || pl.Name != "代理价" || !pl.Active || len(pl.Entries) != 2 ||
			*pl.Entries[0] != (promo.PriceEntry{TenantID: pl.TenantID, PriceListID: pl.ID, SKUID: fx.sku, MinQty: 1, PriceFen: 450}) ||
			*pl.Entries[1] != (promo.PriceEntry{TenantID: pl.TenantID, PriceListID: pl.ID, SKUID: fx.sku, MinQty: 10, PriceFen: 400}) {
			t.Fatalf("created %+v %+v", pl, pl.Entries)
		}
		r = webtest.Want(t, b.Get(base), 200, "list with one")
		webtest.Contains(t, r, "list with one", `id="pricelist-`+pl.ID+`"`, "授权代理 · 批发（授权代理）", "2 个价格",
			"小白菜 500g（XBC-500）：¥4.50", "小白菜 500g（XBC-500）：10 件起 ¥4.00", "生效中", "已创建")
		// One list per group.
		r = webtest.Want(t, b.Post(base, url.Values{"name": {"又一张"}, "group_id": {agents.ID}, "entry_count": {"1"}}), 400, "second list")
		webtest.Contains(t, r, "second list", `id="e-group_id">本店已有该客户组的价格表`)

		// Edit: the stored values in yuan, one empty row after them.
		edit := base + "/" + pl.ID
		r = webtest.Want(t, b.Get(edit), 200, "edit")
		webtest.Contains(t, r, "edit", `value="代理价"`, `value="4.50"`, `value="4.00"`, `value="10"`, `name="entry_count" value="3"`,
			`id="pricelist-deactivate"`, `<option value="`+agents.ID+`" selected>`)
		ef := url.Values{"name": {"代理价"}, "group_id": {agents.ID}, "active": {"1"}, "entry_count": {"2"},
			"entries.0.sku_id": {fx.sku}, "entries.0.price_fen": {"4.20"},
			"entries.1.sku_id": {fx.sku}, "entries.1.min_qty": {"10"}, "entries.1.price_fen": {"3.00"}}
		r = webtest.Want(t, b.Post(edit, ef), 400, "edit below floor")
		webtest.Contains(t, r, "edit below floor", `id="e-entries.1.price_fen">低于折扣底线`)
		if got := lists()[0]; got.Entries[0].PriceFen != 450 || got.Entries[1].PriceFen != 400 {
			t.Fatalf("a refused edit was written: %+v %+v", got.Entries[0], got.Entries[1])
		}
		ef.Set("entries.1.price_fen", "3.80")
		r = webtest.Want(t, b.Post(edit, ef), 303, "edit")
		if !strings.HasSuffix(r.Location(), edit) {
			t.Fatalf("edit: Location %q", r.Location())
		}
		if got := lists()[0]; got.Entries[0].PriceFen != 420 || got.Entries[1].PriceFen != 380 || !got.Active {
			t.Fatalf("edited %+v %+v", got.Entries[0], got.Entries[1])
		}

		checkLanguages(t, b, base, base+"/new", edit)

		// Another shop's owner and another tenant: 404; nothing changes.
		other := m.Account("李经理", "", "")
		otherShop := m.Shop(other, "wangcheng-rice", "望城稻香米油", m.Yuelu)
		ob := m.SignedIn(other)
		webtest.Want(t, ob.Get(base), 404, "other's price lists")
		webtest.Want(t, ob.Get(base+"/new"), 404, "other's new price list")
		webtest.Want(t, ob.Get(edit), 404, "other's price list")
		webtest.Want(t, ob.Post(edit, ef), 404, "other edits")
		webtest.Want(t, ob.Post(edit+"/deactivate", nil), 404, "other deactivates")
		webtest.Want(t, ob.Post(base, url.Values{"name": {"x"}, "group_id": {vip.ID}}), 404, "other creates")
		webtest.Want(t, ob.Post(base, url.Values{"op": {"add_entry"}}), 404, "other adds a row")
		webtest.Want(t, ob.Get("/merchant/shops/"+otherShop.ID+"/price-lists/"+pl.ID), 404, "list under another shop")
		webtest.Want(t, ob.Post("/merchant/shops/"+otherShop.ID+"/price-lists/"+pl.ID+"/deactivate", nil), 404, "deactivate under another shop")
		m2 := fx.e.NewMarket("网上供销社·株洲")
		owner2 := m2.Account("赵场长", "", "")
		sh2 := m2.Shop(owner2, "zz-veg", "株洲蔬菜", m2.Yuelu)
		b2 := m2.SignedIn(owner2)
		webtest.Want(t, b2.Get(base), 404, "this shop from another tenant")
		webtest.Want(t, b2.Get("/merchant/shops/"+sh2.ID+"/price-lists/"+pl.ID), 404, "list from another tenant")
		webtest.Want(t, b2.Post("/merchant/shops/"+sh2.ID+"/price-lists/"+pl.ID, ef), 404, "save from another tenant")
		webtest.Want(t, b.Get("/merchant/shops/"+sh2.ID+"/price-lists"), 404, "another tenant's shop")
		if got := lists()[0]; got.Entries[0].PriceFen != 420 || !got.Active {
			t.Fatalf("others changed the price list: %+v", got)
		}

		// Deactivate: kept with its prices, off.
		webtest.Want(t, b.Post(edit+"/deactivate", nil), 303, "deactivate")
		if got := lists()[0]; got.Active || len(got.Entries) != 2 || got.Entries[0].PriceFen != 420 {
			t.Fatalf("after deactivate: %+v", got)
		}
		r = webtest.Want(t, b.Get(base+"?lang=zh-CN"), 200, "after deactivate")
		webtest.Contains(t, r, "after deactivate", "已停用")
		webtest.Lacks(t, r, "after deactivate", `id="deactivate-`+pl.ID+`"`)
	})
}
