package adminui_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/web/webtest"
)

// TestStockConsole: the owner sees the shop's SKUs with the units
// available, the threshold and the low-stock flag; receives a lot
// through the form (bad input refused next to the fields, nothing
// written), sees it among the SKU's lots, adjusts it and sets the
// threshold; every page in both languages; another shop's owner and
// another tenant get 404.
func TestStockConsole(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		fx := newShopFixture(t, d)
		m := fx.m
		b := m.SignedIn(fx.owner)
		base := "/merchant/shops/" + fx.sh.ID + "/stock"
		lots := func() *inventory.SKUStock {
			t.Helper()
			st, err := fx.e.App.Inventory.Lots(m.Ctx, fx.owner.Principal, fx.sh.ID, fx.sku, inventory.LotFilter{Empty: true, Page: merchant.Page{}})
			if err != nil {
				t.Fatal(err)
			}
			return st
		}

		r := webtest.Want(t, b.Get(base), 200, "stock")
		webtest.Contains(t, r, "stock", "库存管理", `id="sku-`+fx.sku+`"`, `<td class="available">50</td>`, `<td class="threshold">30</td>`,
			`id="receive-form"`, "长沙总仓", "XBC-500")
		webtest.Lacks(t, r, "stock", `class="low-stock"`)

		today := time.Now().In(m.Tenant.Location())
		day := func(n int) string { return today.AddDate(0, 0, n).Format("2006-01-02") }
		form := url.Values{"sku_id": {fx.sku}, "warehouse_id": {fx.wh.ID}, "quantity": {"1.5"}, "received_on": {day(0)},
			"producer": {"张阿姨"}, "base": {"橘子洲合作社"}, "harvested_on": {day(-1)}, "residue_test": {"合格"}}
		r = webtest.Want(t, b.Post(base+"/lots", form), 400, "bad receipt")
		webtest.Contains(t, r, "bad receipt", `id="e-quantity">请输入整数`, `id="e-best_before">必填`, `value="张阿姨"`)
		form.Set("quantity", "0")
		form.Set("best_before", day(-2))
		r = webtest.Want(t, b.Post(base+"/lots", form), 400, "bad receipt 2")
		webtest.Contains(t, r, "bad receipt 2", `id="e-quantity"`, `id="e-best_before"`)
		form.Set("quantity", "20")
		form.Set("best_before", day(4))
		form.Set("warehouse_id", "01900000-0000-7000-8000-000000000000")
		r = webtest.Want(t, b.Post(base+"/lots", form), 400, "unknown warehouse")
		webtest.Contains(t, r, "unknown warehouse", "请选择本店的商品规格和可用的仓库")
		if n := len(lots().Lots); n != 1 {
			t.Fatalf("a refused receipt wrote a lot: %d lots", n)
		}
		form.Set("warehouse_id", fx.wh.ID)
		r = webtest.Want(t, b.Post(base+"/lots", form), 303, "receive")
		if !strings.HasSuffix(r.Location(), base+"/"+fx.sku) {
			t.Fatalf("receive: Location %q", r.Location())
		}
		st := lots()
		if len(st.Lots) != 2 || st.Available != 70 {
			t.Fatalf("after receiving: %d lots, %d available", len(st.Lots), st.Available)
		}
		var lot *inventory.Lot
		for _, l := range st.Lots {
			if l.Producer == "张阿姨" {
				lot = l
			}
		}
		if lot == nil || lot.QtyReceived != 20 || lot.Base != "橘子洲合作社" || lot.ResidueTest != "合格" || string(lot.HarvestedOn) != day(-1) {
			t.Fatalf("received lot %+v", lot)
		}
		page := base + "/" + fx.sku
		r = webtest.Want(t, b.Get(page), 200, "lots")
		webtest.Contains(t, r, "lots", "已入库", `id="lot-`+lot.ID+`"`, "张阿姨", "橘子洲合作社", "合格", `id="sku-available">70`, `id="adjust-form"`)

		// Adjust: a positive damage is refused; a count finding fewer is not.
		r = webtest.Want(t, b.Post(page+"/adjust", url.Values{"lot_id": {lot.ID}, "delta": {"3"}, "reason": {"damage"}}), 400, "bad adjustment")
		webtest.Contains(t, r, "bad adjustment", `id="e-delta"`)
		r = webtest.Want(t, b.Post(page+"/adjust", url.Values{"lot_id": {lot.ID}, "delta": {"-30"}, "reason": {"count"}}), 409, "below zero")
		webtest.Contains(t, r, "below zero", `id="adjust-error"`)
		webtest.Want(t, b.Post(page+"/adjust", url.Values{"lot_id": {lot.ID}, "delta": {"-5"}, "reason": {"count"}, "note": {"盘点"}}), 303, "adjust")
		if st := lots(); st.Available != 65 {
			t.Fatalf("after adjusting: %d available", st.Available)
		}

		// The threshold: above the units available raises the alert.
		r = webtest.Want(t, b.Post(page+"/threshold", url.Values{"threshold": {"-1"}}), 400, "bad threshold")
		webtest.Contains(t, r, "bad threshold", `id="e-threshold"`)
		webtest.Want(t, b.Post(page+"/threshold", url.Values{"threshold": {"100"}}), 303, "threshold")
		r = webtest.Want(t, b.Get(base), 200, "stock after")
		webtest.Contains(t, r, "stock after", `<td class="available">65</td>`, `<td class="threshold">100</td>`, `class="low-stock"`, "1 个规格低于预警库存")

		checkLanguages(t, b, base, page, page+"?empty=1")

		// Another shop's owner and another tenant: 404; nothing written.
		other := m.Account("李经理", "", "")
		m.Shop(other, "wangcheng-rice", "望城稻香米油", m.Yuelu)
		ob := m.SignedIn(other)
		webtest.Want(t, ob.Get(base), 404, "other's stock")
		webtest.Want(t, ob.Get(page), 404, "other's lots")
		webtest.Want(t, ob.Post(base+"/lots", form), 404, "other receives")
		webtest.Want(t, ob.Post(page+"/adjust", url.Values{"lot_id": {lot.ID}, "delta": {"-1"}, "reason": {"count"}}), 404, "other adjusts")
		webtest.Want(t, ob.Post(page+"/threshold", url.Values{"threshold": {"1"}}), 404, "other sets the threshold")
		m2 := fx.e.NewMarket("网上供销社·株洲")
		owner2 := m2.Account("赵场长", "", "")
		sh2 := m2.Shop(owner2, "zz-veg", "株洲蔬菜", m2.Yuelu)
		b2 := m2.SignedIn(owner2)
		webtest.Want(t, b2.Get(base), 404, "this shop from another tenant")
		webtest.Want(t, b2.Get("/merchant/shops/"+sh2.ID+"/stock/"+fx.sku), 404, "this SKU under another tenant's shop")
		webtest.Want(t, b.Get("/merchant/shops/"+sh2.ID+"/stock"), 404, "another tenant's shop")
		if st := lots(); len(st.Lots) != 2 || st.Available != 65 || st.Threshold != 100 {
			t.Fatalf("others changed the stock: %d lots, %d available, threshold %d", len(st.Lots), st.Available, st.Threshold)
		}
	})
}
