package adminui_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/checkout"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/dispatch/dispatchtest"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/core/web/webtest"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

var untranslatedShopping = regexp.MustCompile(`\b(?:ui|web|error|field|order|promo|inventory|catalog|fulfil)\.[a-z_]+(?:\.[a-z_]+)*\b`)

// shopFixture is a market with a shop selling one SKU with stock in the
// tenant's main warehouse, its owner, a shopper and a tenant admin.
type shopFixture struct {
	e                     *webtest.Env
	m                     *webtest.Market
	owner, shopper, admin *webtest.Account
	sh                    *merchant.Shop
	sku                   string
	wh                    *inventory.Warehouse
	credited              bool
}

func newShopFixture(t *testing.T, d *db.DB) *shopFixture {
	t.Helper()
	e := webtest.New(t, d)
	m := e.NewMarket("网上供销社")
	fx := &shopFixture{e: e, m: m}
	fx.owner = m.Account("王场长", "", "")
	fx.sh = m.Shop(fx.owner, "yuelu-veg", "岳麓蔬菜基地", m.Yuelu)
	fx.admin = m.Account("管理员", authz.TenantAdmin, authz.TenantDomain(m.Tenant.ID))
	fx.shopper = m.Account("顾客", "", "")
	pr, err := e.App.Catalog.Create(m.Ctx, fx.owner.Principal, fx.sh.ID, catalog.ProductInput{
		CategoryID: leafCategory(t, m, "vegetables"), Name: "小白菜", Status: catalog.ProductActive,
		SKUs: []catalog.SKUInput{{Code: "XBC-500", Spec: "500g", PriceFen: 500, ListPriceFen: 500}},
	})
	if err != nil {
		t.Fatal(err)
	}
	fx.sku = pr.SKUs[0].ID
	fx.wh, err = e.App.Inventory.CreateWarehouse(m.Ctx, fx.admin.Principal, inventory.WarehouseInput{Kind: "main", Name: "长沙总仓", RegionID: m.City.ID})
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(m.Tenant.Location())
	if _, err := e.App.Inventory.Receive(m.Ctx, fx.owner.Principal, fx.sh.ID, inventory.LotInput{SKUID: fx.sku, WarehouseID: fx.wh.ID,
		Quantity: 50, ReceivedOn: today.Format("2006-01-02"), BestBefore: today.AddDate(0, 0, 5).Format("2006-01-02"),
		Producer: "李大爷", Base: "岳麓山基地"}); err != nil {
		t.Fatal(err)
	}
	return fx
}

// place places an order of qty units through the real checkout (stock
// reserved, the shopper's balance paid): method courier, or pickup at
// pointID.
func (fx *shopFixture) place(t *testing.T, qty int, method, pointID string) *order.Order {
	t.Helper()
	if !fx.credited {
		if _, err := fx.e.App.Payments.Balance.CreditCustomer(fx.m.Ctx, fx.admin.Principal, fx.shopper.ID, 1_000_000, "测试"); err != nil {
			t.Fatal(err)
		}
		fx.credited = true
	}
	in := checkout.Input{RegionID: fx.m.Yuelu.ID, Lines: []checkout.LineInput{{SKUID: fx.sku, Qty: qty}},
		Shops:     []checkout.ShopChoice{{ShopID: fx.sh.ID, Method: method, PickupPointID: pointID}},
		Recipient: "王芳", Phone: "13800138000", Provider: "balance"}
	if method != order.MethodPickup {
		in.Address = "岳麓区麓山南路 1 号"
	}
	q, err := fx.e.App.Checkout.Quote(fx.m.Ctx, fx.shopper.Principal, in)
	if err != nil {
		t.Fatal(err)
	}
	in.ExpectedTotalFen = &q.TotalFen
	pl, err := fx.e.App.Checkout.Place(fx.m.Ctx, fx.shopper.Principal, tenants.NewID(), in)
	if err != nil {
		t.Fatal(err)
	}
	return fx.order(t, pl.Group.Orders[0].ID)
}

// order reads order id as stored.
func (fx *shopFixture) order(t *testing.T, id string) *order.Order {
	t.Helper()
	var o *order.Order
	err := fx.e.App.DB.RunInReadTx(fx.m.Ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		o, err = fx.e.App.Orders.Order(ctx, tx, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// checkLanguages fetches each path in both languages and fails on keys
// left untranslated.
func checkLanguages(t *testing.T, b *webtest.Browser, paths ...string) {
	t.Helper()
	for _, p := range paths {
		for _, lang := range []string{"zh-CN", "en"} {
			sep := "?"
			if strings.Contains(p, "?") {
				sep = "&"
			}
			what := p + " " + lang
			r := webtest.Want(t, b.Get(p+sep+"lang="+lang), 200, what)
			webtest.Contains(t, r, what, `<html lang="`+lang+`">`, "</html>")
			if k := untranslatedShopping.FindString(r.Body); k != "" {
				t.Errorf("%s: untranslated key %q", what, k)
			}
		}
	}
}

// TestOrderConsole: the owner lists the shop's orders by status and date,
// opens one, moves it on with the buttons (an illegal move and a standing
// hold are refused with the reason in Chinese and nothing changes),
// refunds part of it through the form (more than is left is refused next
// to the line) and refunds another whole; another shop's owner, a
// shopper and another tenant get 404.
func TestOrderConsole(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		fx := newShopFixture(t, d)
		m := fx.m
		o1 := fx.place(t, 3, order.MethodCourier, "")
		o2 := fx.place(t, 2, order.MethodCourier, "")
		held := fx.place(t, 1, order.MethodCourier, "")
		if err := dispatchtest.Hold(m.Ctx, fx.e.App, held.ID, "group_buy"); err != nil {
			t.Fatal(err)
		}
		b := m.SignedIn(fx.owner)
		base := "/merchant/shops/" + fx.sh.ID + "/orders"

		r := webtest.Want(t, b.Get("/merchant/shops/"+fx.sh.ID), 200, "shop console")
		webtest.Contains(t, r, "shop console", `id="shop-orders"`, `id="shop-promotions"`, `id="shop-stock"`)

		r = webtest.Want(t, b.Get(base), 200, "orders")
		webtest.Contains(t, r, "orders", "订单管理", o1.Number, o2.Number, held.Number, `id="order-`+o1.ID+`"`, "已付款", "快递配送",
			"小白菜 500g ×3", "¥23.00")
		today := time.Now().In(m.Tenant.Location()).Format("2006-01-02")
		r = webtest.Want(t, b.Get(base+"?status=paid&from="+today+"&to="+today), 200, "orders today")
		webtest.Contains(t, r, "orders today", o1.Number)
		r = webtest.Want(t, b.Get(base+"?status=shipped"), 200, "shipped orders")
		webtest.Lacks(t, r, "shipped orders", o1.Number)
		webtest.Contains(t, r, "shipped orders", "没有符合条件的订单")
		r = webtest.Want(t, b.Get(base+"?to=2020-01-01"), 200, "orders before")
		webtest.Lacks(t, r, "orders before", o1.Number)
		webtest.Want(t, b.Get(base+"?from=2026-02-30"), 400, "bad date")

		page := base + "/" + o1.ID
		r = webtest.Want(t, b.Get(page), 200, "order")
		webtest.Contains(t, r, "order", `id="order-number">`+o1.Number, "王芳", "岳麓区麓山南路 1 号", "承诺时效", `id="action-accepted"`,
			`id="action-cancelled"`, `id="refund-form"`, `name="qty_`+o1.Lines[0].ID+`"`, "XBC-500", "订单动态")
		webtest.Lacks(t, r, "order", `id="action-shipped"`, `id="action-ready_for_pickup"`)

		// An illegal move is refused, in Chinese, and nothing changes.
		r = webtest.Want(t, b.Post(page+"/transition", url.Values{"to": {"shipped"}, "courier": {"顺丰"}, "tracking_no": {"SF1"}}), 409, "ship from paid")
		webtest.Contains(t, r, "ship from paid", `id="transition-error"`, "订单当前状态为 已付款，不能改为 已发货")
		if s := fx.order(t, o1.ID).Status; s != order.StatusPaid {
			t.Fatalf("after a refused move: %s", s)
		}
		// A standing hold keeps the order from being accepted.
		r = webtest.Want(t, b.Post(base+"/"+held.ID+"/transition", url.Values{"to": {"accepted"}}), 409, "accept held")
		webtest.Contains(t, r, "accept held", "订单被暂扣（group_buy）", `id="holds-standing"`, "hold-standing")
		if s := fx.order(t, held.ID).Status; s != order.StatusPaid {
			t.Fatalf("held order moved: %s", s)
		}

		// Accept, pack, then ship with the courier and tracking number.
		r = webtest.Want(t, b.Post(page+"/transition", url.Values{"to": {"accepted"}}), 303, "accept")
		if !strings.HasSuffix(r.Location(), page) {
			t.Fatalf("accept: Location %q", r.Location())
		}
		r = webtest.Want(t, b.Get(page), 200, "accepted")
		webtest.Contains(t, r, "accepted", "订单状态已更新", "已付款 → 已接单", `id="action-packed"`)
		webtest.Want(t, b.Post(page+"/transition", url.Values{"to": {"packed"}}), 303, "pack")
		r = webtest.Want(t, b.Post(page+"/transition", url.Values{"to": {"shipped"}, "courier": {"顺丰"}}), 400, "ship without tracking")
		webtest.Contains(t, r, "ship without tracking", `id="e-tracking_no"`, "必填", `value="顺丰"`)
		webtest.Want(t, b.Post(page+"/transition", url.Values{"to": {"shipped"}, "courier": {"顺丰"}, "tracking_no": {"SF100"}}), 303, "ship")
		if o := fx.order(t, o1.ID); o.Status != order.StatusShipped || o.TrackingNo != "SF100" || o.Courier != "顺丰" {
			t.Fatalf("shipped: %s %q %q", o.Status, o.Courier, o.TrackingNo)
		}

		// Refunds: more than is left is refused next to the line, and
		// nothing is written.
		line := o1.Lines[0].ID
		r = webtest.Want(t, b.Post(page+"/refund", url.Values{"qty_" + line: {"4"}, "reason": {"坏了"}}), 400, "refund too many")
		webtest.Contains(t, r, "refund too many", `id="e-qty_`+line+`"`, "数量超过可退数量", `value="坏了"`)
		r = webtest.Want(t, b.Post(page+"/refund", url.Values{"qty_" + line: {"1.5"}, "reason": {"坏了"}}), 400, "refund fraction")
		webtest.Contains(t, r, "refund fraction", "请输入整数")
		r = webtest.Want(t, b.Post(page+"/refund", url.Values{"reason": {"坏了"}}), 400, "refund nothing")
		webtest.Contains(t, r, "refund nothing", "请选择整单退款，或列出要退的商品")
		r = webtest.Want(t, b.Post(page+"/refund", url.Values{"qty_" + line: {"1"}}), 400, "refund without reason")
		webtest.Contains(t, r, "refund without reason", `id="e-reason"`)
		if o := fx.order(t, o1.ID); o.RefundedFen != 0 || len(o.Refunds) != 0 {
			t.Fatalf("a refused refund wrote %d fen", o.RefundedFen)
		}
		r = webtest.Want(t, b.Post(page+"/refund", url.Values{"qty_" + line: {"1"}, "restock": {"1"}, "reason": {"一棵坏了"}}), 303, "refund")
		if !strings.HasSuffix(r.Location(), page+"#refunds") {
			t.Fatalf("refund: Location %q", r.Location())
		}
		o := fx.order(t, o1.ID)
		if o.RefundedFen != 500 || o.PaymentStatus != order.PaymentPartiallyRefunded || o.Lines[0].RefundedQty != 1 || len(o.Refunds) != 1 {
			t.Fatalf("refunded %d fen, %s, %d units", o.RefundedFen, o.PaymentStatus, o.Lines[0].RefundedQty)
		}
		r = webtest.Want(t, b.Get(page), 200, "after refund")
		webtest.Contains(t, r, "after refund", "退款已完成", `id="order-refunded">¥5.00`, "部分退款", "一棵坏了", "退款 ¥5.00", `max="2"`)

		// The whole of the second order, before shipping: it is cancelled.
		webtest.Want(t, b.Post(base+"/"+o2.ID+"/refund", url.Values{"whole": {"1"}, "reason": {"缺货"}}), 303, "whole refund")
		if o := fx.order(t, o2.ID); o.Status != order.StatusCancelled || o.PaymentStatus != order.PaymentRefunded || o.RefundedFen != o.TotalFen {
			t.Fatalf("whole refund: %s %s %d of %d", o.Status, o.PaymentStatus, o.RefundedFen, o.TotalFen)
		}
		r = webtest.Want(t, b.Post(base+"/"+o2.ID+"/refund", url.Values{"whole": {"1"}, "reason": {"再退"}}), 409, "refund cancelled")
		webtest.Contains(t, r, "refund cancelled", "订单已取消")

		checkLanguages(t, b, base, base+"?status=paid", page, base+"/"+held.ID, base+"/"+o2.ID)

		// Another shop's owner, a shopper and another tenant: 404.
		other := m.Account("李经理", "", "")
		m.Shop(other, "wangcheng-rice", "望城稻香米油", m.Yuelu)
		for _, br := range []*webtest.Browser{m.SignedIn(other), m.SignedIn(fx.shopper)} {
			webtest.Want(t, br.Get(base), 404, "other's orders")
			webtest.Want(t, br.Get(base+"/"+o1.ID), 404, "other's order")
			webtest.Want(t, br.Post(base+"/"+held.ID+"/transition", url.Values{"to": {"cancelled"}}), 404, "other moves")
			webtest.Want(t, br.Post(page+"/refund", url.Values{"whole": {"1"}, "reason": {"x"}}), 404, "other refunds")
		}
		m2 := fx.e.NewMarket("网上供销社·株洲")
		owner2 := m2.Account("赵场长", "", "")
		sh2 := m2.Shop(owner2, "zz-veg", "株洲蔬菜", m2.Yuelu)
		webtest.Want(t, b.Get("/merchant/shops/"+sh2.ID+"/orders"), 404, "another tenant's shop")
		b2 := m2.SignedIn(owner2)
		webtest.Want(t, b2.Get(base), 404, "this shop from another tenant")
		webtest.Want(t, b2.Get(base+"/"+o1.ID), 404, "this order from another tenant")
		webtest.Want(t, b2.Get("/merchant/shops/"+sh2.ID+"/orders/"+o1.ID), 404, "this order under another tenant's shop")
		if s := fx.order(t, held.ID).Status; s != order.StatusPaid {
			t.Fatalf("others moved the held order: %s", s)
		}
		if o := fx.order(t, o1.ID); o.RefundedFen != 500 {
			t.Fatalf("others refunded: %d", o.RefundedFen)
		}
		// Staff manage orders but may not refund; a tenant admin may do both.
		staff := m.Account("店员", authz.MerchantStaff, fx.sh.AuthzDomain())
		sb := m.SignedIn(staff)
		r = webtest.Want(t, sb.Get(page), 200, "staff")
		webtest.Lacks(t, r, "staff", `id="refund-form"`)
		webtest.Want(t, sb.Post(page+"/refund", url.Values{"qty_" + line: {"1"}, "reason": {"x"}}), 403, "staff refunds")
		webtest.Want(t, m.SignedIn(fx.admin).Get(page), 200, "tenant admin")
	})
}
