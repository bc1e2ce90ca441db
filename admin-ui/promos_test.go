package adminui_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/promo"
	"github.com/jishi-dev/jishi/core/web/webtest"
)

// TestPromoConsole: the owner creates a coupon through the form (amounts
// in yuan, stored in fen), a 满减 and a flash sale; a coupon or tier
// beyond the discount floor is refused next to the field with the
// largest discount allowed in yuan, and nothing is written; an amount
// that is not one is refused too; the owner edits and deactivates; every
// page in both languages; another shop's owner and another tenant get
// 404.
func TestPromoConsole(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		fx := newShopFixture(t, d)
		m := fx.m
		b := m.SignedIn(fx.owner)
		base := "/merchant/shops/" + fx.sh.ID + "/promotions"
		coupons := func() []*promo.Coupon {
			t.Helper()
			cs, err := fx.e.App.Promo.Coupons(m.Ctx, fx.owner.Principal, fx.sh.ID, merchant.Page{})
			if err != nil {
				t.Fatal(err)
			}
			return cs
		}
		loc := m.Tenant.Location()
		start := time.Now().In(loc).Add(time.Hour).Format("2006-01-02T15:04")
		end := time.Now().In(loc).AddDate(0, 0, 7).Format("2006-01-02T15:04")

		r := webtest.Want(t, b.Get(base), 200, "promotions")
		webtest.Contains(t, r, "promotions", "促销管理", `id="new-threshold"`, `id="new-coupon"`, `id="new-flash"`)
		r = webtest.Want(t, b.Get(base+"/coupon/new"), 200, "new coupon")
		webtest.Contains(t, r, "new coupon", `id="promo-form"`, `name="amount_off_fen"`, `type="datetime-local"`, `id="f-active" type="checkbox" name="active" value="1" checked`)
		webtest.Want(t, b.Get(base+"/bogus/new"), 404, "unknown kind")

		// Beyond the floor (70% by default): 满100减40 may take at most 30.
		form := url.Values{"code": {"deep40"}, "name": {"深度折扣"}, "starts_at": {start}, "ends_at": {end},
			"min_spend_fen": {"100"}, "amount_off_fen": {"40"}, "active": {"1"}}
		r = webtest.Want(t, b.Post(base+"/coupon", form), 400, "coupon below floor")
		webtest.Contains(t, r, "coupon below floor", `<p class="field-error" id="e-amount_off_fen">超出折扣底线（不低于原价的 70%）：满 100.00 元最多减 30.00 元</p>`,
			`value="deep40"`, `value="40"`)
		if n := len(coupons()); n != 0 {
			t.Fatalf("a refused coupon was written: %d", n)
		}
		form.Set("amount_off_fen", "1O")
		r = webtest.Want(t, b.Post(base+"/coupon", form), 400, "coupon bad amount")
		webtest.Contains(t, r, "coupon bad amount", `id="e-amount_off_fen">请输入金额`)
		form.Set("amount_off_fen", "10")
		form.Set("starts_at", "明天")
		r = webtest.Want(t, b.Post(base+"/coupon", form), 400, "coupon bad time")
		webtest.Contains(t, r, "coupon bad time", `id="e-starts_at">请输入日期和时间`)
		if n := len(coupons()); n != 0 {
			t.Fatalf("a refused coupon was written: %d", n)
		}
		form.Set("starts_at", start)
		form.Set("code", "save10")
		r = webtest.Want(t, b.Post(base+"/coupon", form), 303, "coupon")
		if !strings.HasSuffix(r.Location(), base+"#coupon") {
			t.Fatalf("coupon: Location %q", r.Location())
		}
		cs := coupons()
		if len(cs) != 1 || cs[0].Code != "SAVE10" || cs[0].MinSpendFen != 10000 || cs[0].AmountOffFen != 1000 || !cs[0].Active {
			t.Fatalf("coupon: %+v", cs)
		}
		if want := time.Now().In(loc).Add(time.Hour).Truncate(time.Minute); !cs[0].StartsAt.Equal(want) {
			t.Fatalf("starts at %v, want %v", cs[0].StartsAt, want)
		}
		r = webtest.Want(t, b.Get(base), 200, "promotions with coupon")
		webtest.Contains(t, r, "promotions with coupon", `id="coupon-`+cs[0].ID+`"`, "SAVE10", "满 100.00 元减 10.00 元", "未开始", "已创建")

		// 满减: the second row breaks the floor; its error is next to it.
		tiers := url.Values{"name": {"满减"}, "starts_at": {start}, "ends_at": {end}, "active": {"1"},
			"tiers.1.min_fen": {"100"}, "tiers.1.off_fen": {"50"}}
		r = webtest.Want(t, b.Post(base+"/threshold", tiers), 400, "tier below floor")
		webtest.Contains(t, r, "tier below floor", `id="e-tiers.1.off_fen">超出折扣底线（不低于原价的 70%）：满 100.00 元最多减 30.00 元`)
		tiers.Set("tiers.1.off_fen", "10")
		tiers.Set("tiers.3.min_fen", "200")
		tiers.Set("tiers.3.off_fen", "30")
		webtest.Want(t, b.Post(base+"/threshold", tiers), 303, "threshold")
		prs, err := fx.e.App.Promo.Promotions(m.Ctx, fx.owner.Principal, fx.sh.ID, merchant.Page{})
		if err != nil || len(prs) != 1 || len(prs[0].Tiers) != 2 || prs[0].Tiers[1] != (promo.Tier{MinFen: 20000, OffFen: 3000}) {
			t.Fatalf("promotions %+v %v", prs, err)
		}

		// A flash sale must be cheaper than the price (¥5.00).
		flash := url.Values{"sku_id": {fx.sku}, "name": {"早市特卖"}, "starts_at": {start}, "ends_at": {end}, "active": {"1"},
			"price_fen": {"6"}, "qty_cap": {"20"}}
		r = webtest.Want(t, b.Post(base+"/flash", flash), 400, "flash above price")
		webtest.Contains(t, r, "flash above price", `id="e-price_fen">特卖价须低于商品售价 5.00 元`)
		flash.Set("price_fen", "4.50")
		webtest.Want(t, b.Post(base+"/flash", flash), 303, "flash")
		fss, err := fx.e.App.Promo.FlashSales(m.Ctx, fx.owner.Principal, fx.sh.ID, merchant.Page{})
		if err != nil || len(fss) != 1 || fss[0].PriceFen != 450 {
			t.Fatalf("flash sales %+v %v", fss, err)
		}

		// Edit the coupon; then deactivate it.
		edit := base + "/coupon/" + cs[0].ID
		r = webtest.Want(t, b.Get(edit), 200, "edit coupon")
		webtest.Contains(t, r, "edit coupon", `value="SAVE10"`, `value="100.00"`, `value="10.00"`, `id="promo-deactivate"`)
		form.Set("code", "SAVE10")
		form.Set("amount_off_fen", "40")
		r = webtest.Want(t, b.Post(edit, form), 400, "edit below floor")
		webtest.Contains(t, r, "edit below floor", "满 100.00 元最多减 30.00 元")
		if c := coupons()[0]; c.AmountOffFen != 1000 {
			t.Fatalf("a refused edit was written: %d", c.AmountOffFen)
		}
		form.Set("amount_off_fen", "20")
		webtest.Want(t, b.Post(edit, form), 303, "edit")
		webtest.Want(t, b.Post(edit+"/deactivate", nil), 303, "deactivate")
		if c := coupons()[0]; c.Active || c.AmountOffFen != 2000 {
			t.Fatalf("after deactivate: active %v, %d", c.Active, c.AmountOffFen)
		}
		r = webtest.Want(t, b.Get(base), 200, "after deactivate")
		webtest.Contains(t, r, "after deactivate", "已停用")
		webtest.Lacks(t, r, "after deactivate", `id="deactivate-`+cs[0].ID+`"`)

		checkLanguages(t, b, base, base+"/threshold/new", base+"/coupon/new", base+"/flash/new", edit,
			base+"/threshold/"+prs[0].ID, base+"/flash/"+fss[0].ID)

		// Another shop's owner and another tenant: 404; nothing changes.
		other := m.Account("李经理", "", "")
		otherShop := m.Shop(other, "wangcheng-rice", "望城稻香米油", m.Yuelu)
		ob := m.SignedIn(other)
		webtest.Want(t, ob.Get(base), 404, "other's promotions")
		webtest.Want(t, ob.Get(base+"/coupon/new"), 404, "other's new coupon")
		webtest.Want(t, ob.Get(edit), 404, "other's coupon")
		webtest.Want(t, ob.Post(edit, form), 404, "other edits")
		webtest.Want(t, ob.Post(edit+"/deactivate", nil), 404, "other deactivates")
		webtest.Want(t, ob.Post(base+"/coupon", url.Values{"code": {"OTHER1"}}), 404, "other creates")
		webtest.Want(t, ob.Get("/merchant/shops/"+otherShop.ID+"/promotions/coupon/"+cs[0].ID), 404, "coupon under another shop")
		m2 := fx.e.NewMarket("网上供销社·株洲")
		owner2 := m2.Account("赵场长", "", "")
		sh2 := m2.Shop(owner2, "zz-veg", "株洲蔬菜", m2.Yuelu)
		b2 := m2.SignedIn(owner2)
		webtest.Want(t, b2.Get(base), 404, "this shop from another tenant")
		webtest.Want(t, b2.Get("/merchant/shops/"+sh2.ID+"/promotions/coupon/"+cs[0].ID), 404, "coupon from another tenant")
		webtest.Want(t, b.Get("/merchant/shops/"+sh2.ID+"/promotions"), 404, "another tenant's shop")
		if c := coupons()[0]; c.Active || c.AmountOffFen != 2000 || !strings.EqualFold(c.Code, "save10") {
			t.Fatalf("others changed the coupon: %+v", c)
		}
	})
}
