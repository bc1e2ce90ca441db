package storefront_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/cart"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/fulfil"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/payment"
	"github.com/jishi-dev/jishi/core/web/webtest"
	"github.com/uptrace/bun"
)

// shoppingMarket is a market with a main warehouse serving 岳麓区 and
// 芙蓉区, a pickup point in 岳麓区, and a shop selling one SKU (5.00 yuan)
// with 50 units in the main warehouse.
type shoppingMarket struct {
	*webtest.Market
	admin *webtest.Account
	owner *webtest.Account
	shop  *merchant.Shop
	sku   string
	main  *inventory.Warehouse
	point *fulfil.PickupPoint
}

func newShoppingMarket(t *testing.T, e *webtest.Env, name, slug string) *shoppingMarket {
	t.Helper()
	m := &shoppingMarket{Market: e.NewMarket(name)}
	m.admin = m.Account("admin", authz.TenantAdmin, authz.TenantDomain(m.Tenant.ID))
	var err error
	m.main, err = m.App.Inventory.CreateWarehouse(m.Ctx, m.admin.Principal, inventory.WarehouseInput{Kind: "main", Name: "总仓",
		RegionID: m.Yuelu.ID, Cold: true, ServesRegionIDs: []string{m.Yuelu.ID, m.Furong.ID}})
	if err != nil {
		t.Fatal(err)
	}
	m.point, err = m.App.Fulfil.CreatePickupPoint(m.Ctx, m.admin.Principal, fulfil.PickupPointInput{Name: "麓山社区服务中心",
		Address: "麓山路 1 号", RegionID: m.Yuelu.ID, Hours: "08:00–20:00", Phone: "0731-88886666"})
	if err != nil {
		t.Fatal(err)
	}
	m.owner = m.Account("王场长", "", "")
	m.shop = m.Shop(m.owner, slug, "岳麓蔬菜基地", m.Yuelu)
	pr, err := m.App.Catalog.Create(m.Ctx, m.owner.Principal, m.shop.ID, catalog.ProductInput{
		CategoryID: categories(t, m.Market)["strawberries"], Name: "长沙有机草莓", Status: catalog.ProductActive,
		SKUs: []catalog.SKUInput{{Spec: "500g 装", PriceFen: 500, WeightG: 500}},
	})
	if err != nil {
		t.Fatal(err)
	}
	m.sku = pr.SKUs[0].ID
	// 限时送 on: offered where the main warehouse has the stock.
	set, err := m.App.Fulfil.ShopSettings(m.Ctx, m.owner.Principal, m.shop.ID)
	if err != nil {
		t.Fatal(err)
	}
	set.Express.Enabled, set.Express.FeeFen = true, 800
	if _, err := m.App.Fulfil.SetSettings(m.Ctx, m.owner.Principal, m.shop.ID, *set); err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(m.Tenant.Location())
	_, err = m.App.Inventory.Receive(m.Ctx, m.owner.Principal, m.shop.ID, inventory.LotInput{SKUID: m.sku, WarehouseID: m.main.ID,
		Quantity: 50, BestBefore: today.AddDate(0, 0, 10).Format("2006-01-02"), Producer: "李大爷"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// count counts the market's rows of table.
func (m *shoppingMarket) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	err := m.App.DB.RunInReadTx(m.Ctx, func(ctx context.Context, tx bun.IDB) error {
		c, err := tx.NewSelect().Table(table).Where("tenant_id = ?", m.Tenant.ID).Count(ctx)
		n = int(c)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// cartOf returns the lines of user's cart.
func (m *shoppingMarket) cartOf(t *testing.T, ref cart.Ref) *cart.Cart {
	t.Helper()
	var c *cart.Cart
	err := m.App.DB.RunInReadTx(m.Ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		c, err = m.App.Cart.Load(ctx, tx, ref)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var lineIDRE = regexp.MustCompile(`id="line-([0-9a-f-]{36})"`)

// find returns the first submatch of re in r's body.
func find(t *testing.T, r *webtest.Response, re string) string {
	t.Helper()
	mm := regexp.MustCompile(re).FindStringSubmatch(r.Body)
	if mm == nil {
		t.Fatalf("body lacks %s\n%s", re, r.Body)
	}
	return mm[1]
}

// TestCartPages: a visitor adds to the cart (a cookie carries it), sees
// it grouped by shop with the price and the header count, changes the
// quantity (bad quantities show the error at the line), signs in and
// finds the lines in the account's cart; removing and emptying work;
// another marketplace's SKU, and changes without the CSRF token, are
// refused and change nothing.
func TestCartPages(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := newShoppingMarket(t, e, "网上供销社", "yuelu-veg")
		other := newShoppingMarket(t, e, "株洲供销社", "zz-veg")
		acc := m.Account("周女士", "", "")

		b := m.Anonymous()
		r := webtest.Want(t, b.Get("/cart"), 200, "empty cart")
		webtest.Contains(t, r, "empty cart", "购物车还是空的", `id="cart-link"`)
		webtest.Lacks(t, r, "empty cart", `id="to-checkout"`, `class="cart-count"`)

		// Without the CSRF token: refused, no cart made.
		webtest.Want(t, b.PostNoCSRF("/cart/lines", url.Values{"sku_id": {m.sku}, "qty": {"2"}}), http.StatusForbidden, "no csrf")
		if n := m.count(t, "carts"); n != 0 {
			t.Fatalf("a refused addition made %d carts", n)
		}
		// Another marketplace's SKU is unknown here.
		r = webtest.Want(t, b.Post("/cart/lines", url.Values{"sku_id": {other.sku}, "qty": {"1"}}), http.StatusBadRequest, "foreign sku")
		webtest.Contains(t, r, "foreign sku", "找不到这个规格", `id="cart-errors"`)
		// Bad quantities.
		for _, q := range []string{"0", "-1", "1.5", "99999999999999999999", "abc"} {
			r = webtest.Want(t, b.Post("/cart/lines", url.Values{"sku_id": {m.sku}, "qty": {q}}), http.StatusBadRequest, "qty "+q)
			webtest.Contains(t, r, "qty "+q, "数量须为 1 到 999 之间的整数")
		}
		if n := m.count(t, "cart_lines"); n != 0 {
			t.Fatalf("refused additions wrote %d lines", n)
		}

		r = webtest.Want(t, b.Post("/cart/lines", url.Values{"sku_id": {m.sku}, "qty": {"2"}}), http.StatusSeeOther, "add")
		if r.Location() != "/t/"+m.Tenant.Slug+"/cart" {
			t.Fatalf("add: Location %q", r.Location())
		}
		token := b.Cookies[cart.CookieName]
		if token == "" {
			t.Fatal("no cart cookie for the visitor")
		}
		r = webtest.Want(t, b.Get("/cart"), 200, "cart")
		webtest.Contains(t, r, "cart", "已加入购物车", "岳麓蔬菜基地", "长沙有机草莓", "500g 装", "¥5.00", "¥10.00",
			`data-shop-id="`+m.shop.ID+`"`, `class="cart-count"`, `>2</span>`, `id="to-checkout"`, `name="csrf_token"`)
		line := find(t, r, lineIDRE.String())

		r = webtest.Want(t, b.Post("/cart/lines/"+line, url.Values{"qty": {"1000"}}), http.StatusBadRequest, "qty too big")
		webtest.Contains(t, r, "qty too big", `id="e-qty.`+line+`"`, "数量须为 1 到 999 之间的整数")
		webtest.Want(t, b.Post("/cart/lines/"+line, url.Values{"qty": {"3"}}), http.StatusSeeOther, "set qty")
		webtest.Contains(t, b.Get("/cart"), "cart after qty", "¥15.00", "数量已修改")
		// A line of another cart is not found.
		webtest.Want(t, b.Post("/cart/lines/"+m.Tenant.ID, url.Values{"qty": {"1"}}), http.StatusNotFound, "unknown line")
		webtest.Want(t, b.PostNoCSRF("/cart/lines/"+line+"/remove", nil), http.StatusForbidden, "remove without csrf")

		// The region selector sets the cart's region; another marketplace's is refused.
		r = webtest.Want(t, b.Post("/cart/region", url.Values{"region_id": {other.Yuelu.ID}}), http.StatusBadRequest, "foreign region")
		webtest.Contains(t, r, "foreign region", "请选择本市集的一个区域")
		webtest.Want(t, b.Post("/cart/region", url.Values{"region_id": {m.Yuelu.ID}}), http.StatusSeeOther, "region")
		if c := m.cartOf(t, cart.Ref{Token: token}); c.RegionID != m.Yuelu.ID || len(c.Lines) != 1 || c.Lines[0].Qty != 3 {
			t.Fatalf("visitor's cart %+v", c)
		}

		// Sign in: the visitor's cart joins the account's, the cookie goes.
		webtest.Want(t, b.Post("/login", url.Values{"login": {acc.Email}, "password": {webtest.Password}, "next": {"/cart"}}), http.StatusSeeOther, "login")
		if b.Cookies[cart.CookieName] != "" {
			t.Fatal("the cart cookie outlived the sign-in")
		}
		if c := m.cartOf(t, cart.Ref{UserID: acc.ID}); len(c.Lines) != 1 || c.Lines[0].SKUID != m.sku || c.Lines[0].Qty != 3 {
			t.Fatalf("account's cart after sign-in %+v", c)
		}
		r = webtest.Want(t, b.Get("/cart"), 200, "signed-in cart")
		webtest.Contains(t, r, "signed-in cart", "长沙有机草莓", "¥15.00")
		line = find(t, r, lineIDRE.String())
		webtest.Want(t, b.Post("/cart/lines/"+line+"/remove", nil), http.StatusSeeOther, "remove")
		webtest.Contains(t, b.Get("/cart"), "after remove", "购物车还是空的", "商品已从购物车删除")

		// Registering merges too.
		v := m.Anonymous()
		webtest.Want(t, v.Post("/cart/lines", url.Values{"sku_id": {m.sku}, "qty": {"4"}}), http.StatusSeeOther, "visitor adds")
		webtest.Want(t, v.Post("/register", url.Values{"name": {"吴先生"}, "phone": {"13800000123"}, "password": {"jishi-demo-2026"}}), http.StatusSeeOther, "register")
		r = webtest.Want(t, v.Get("/cart"), 200, "registered cart")
		webtest.Contains(t, r, "registered cart", "长沙有机草莓", "¥20.00")
		webtest.Want(t, v.Post("/cart/empty", nil), http.StatusSeeOther, "empty")
		webtest.Contains(t, v.Get("/cart"), "emptied", "购物车已清空", "购物车还是空的")
		// The other marketplace's carts are untouched by all this.
		if n := other.count(t, "carts"); n != 0 {
			t.Fatalf("other marketplace has %d carts", n)
		}
	})
}

// keyRE finds the checkout page's idempotency key.
const keyRE = `name="idempotency_key" value="([^"]+)"`

// TestCheckoutPages: the checkout page offers each shop's delivery
// (courier, 限时送 with stock in the main warehouse, pickup at the point)
// with fees and promises; a bad phone shows its error and writes nothing;
// a changed total shows the new quote; placing twice with the page's key
// makes one checkout group and lands on its page; the orders then show in
// the list and detail, 404 for another shopper; the shopper cancels.
func TestCheckoutPages(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := newShoppingMarket(t, e, "网上供销社", "yuelu-veg")
		b, acc := m.User("周女士", "", "")

		// Anonymous: to the sign-in page and back.
		r := webtest.Want(t, m.Anonymous().Get("/checkout"), http.StatusSeeOther, "anonymous checkout")
		if !strings.Contains(r.Location(), "/login?next=%2Fcheckout") {
			t.Fatalf("anonymous checkout: Location %q", r.Location())
		}
		// An empty cart goes back to the cart.
		r = webtest.Want(t, b.Get("/checkout"), http.StatusSeeOther, "empty checkout")
		if !strings.HasSuffix(r.Location(), "/cart") {
			t.Fatalf("empty checkout: Location %q", r.Location())
		}

		webtest.Want(t, b.Post("/cart/lines", url.Values{"sku_id": {m.sku}, "qty": {"4"}}), http.StatusSeeOther, "add")
		webtest.Want(t, b.Post("/cart/region", url.Values{"region_id": {m.Yuelu.ID}}), http.StatusSeeOther, "region")
		r = webtest.Want(t, b.Get("/checkout"), 200, "checkout")
		webtest.Contains(t, r, "checkout", `id="checkout"`, "岳麓蔬菜基地", "长沙有机草莓", "¥20.00",
			`name="shops.0.method" value="courier"`, `name="shops.0.method" value="express"`, `name="shops.0.method" value="pickup"`,
			"快递配送", "限时送", "到店自提", "麓山社区服务中心", `name="shops.0.pickup_point_id"`, `value="`+m.point.ID+`"`,
			`name="shops.0.shop_id" value="`+m.shop.ID+`"`, "货到付款", "惠农通余额", `id="balance">¥0.00`,
			`name="action" value="place"`, `name="action" value="quote"`, `for="f-phone"`, `for="f-recipient"`)
		key := find(t, r, keyRE)

		form := url.Values{"region_id": {m.Yuelu.ID}, "shops.0.shop_id": {m.shop.ID}, "shops.0.method": {"pickup"},
			"shops.0.pickup_point_id": {m.point.ID}, "recipient": {"周女士"}, "phone": {"13800138000"}, "provider": {"offline"}}
		// Update: pickup is free.
		form.Set("action", "quote")
		r = webtest.Want(t, b.Post("/checkout", form), 200, "quote pickup")
		webtest.Contains(t, r, "quote pickup", `value="pickup" checked`, `id="checkout-total" class="price">¥20.00`, `name="expected_total_fen" value="2000"`)
		form.Set("action", "place")
		form.Set("idempotency_key", key)
		form.Set("expected_total_fen", "2000")

		// A bad phone: the error at the field, nothing written.
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("phone", "12345")
		r = webtest.Want(t, b.Post("/checkout", bad), http.StatusBadRequest, "bad phone")
		webtest.Contains(t, r, "bad phone", `id="e-phone"`, "请输入有效的中国大陆手机号", `value="12345"`, "麓山社区服务中心")
		// A total that is not the quote's: the new quote with a note.
		bad = url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set("expected_total_fen", "1999")
		r = webtest.Want(t, b.Post("/checkout", bad), http.StatusConflict, "changed total")
		webtest.Contains(t, r, "changed total", `id="total-changed"`, "订单金额已变化", "19.99", "20.00", `name="expected_total_fen" value="2000"`)
		// Without the CSRF token.
		webtest.Want(t, b.PostNoCSRF("/checkout", form), http.StatusForbidden, "no csrf")
		if n := m.count(t, "checkout_groups"); n != 0 {
			t.Fatalf("refused checkouts wrote %d groups", n)
		}
		if n := m.count(t, "orders"); n != 0 {
			t.Fatalf("refused checkouts wrote %d orders", n)
		}
		if c := m.cartOf(t, cart.Ref{UserID: acc.ID}); len(c.Lines) != 1 {
			t.Fatalf("refused checkouts changed the cart: %+v", c)
		}

		// Place, twice with the same key (a double click): one group.
		r = webtest.Want(t, b.Post("/checkout", form), http.StatusSeeOther, "place")
		loc := r.Location()
		if !strings.HasPrefix(loc, "/t/"+m.Tenant.Slug+"/orders/group/") {
			t.Fatalf("place: Location %q", loc)
		}
		r = webtest.Want(t, b.Post("/checkout", form), http.StatusSeeOther, "place again")
		if r.Location() != loc {
			t.Fatalf("second place: Location %q, first %q", r.Location(), loc)
		}
		if n := m.count(t, "checkout_groups"); n != 1 {
			t.Fatalf("%d groups after placing twice", n)
		}
		if c := m.cartOf(t, cart.Ref{UserID: acc.ID}); len(c.Lines) != 0 {
			t.Fatalf("cart not emptied: %+v", c)
		}
		groupPath := strings.TrimPrefix(loc, "/t/"+m.Tenant.Slug)
		r = webtest.Want(t, b.Get(groupPath), 200, "group")
		webtest.Contains(t, r, "group", "下单成功", "岳麓蔬菜基地", "到店自提", "取货码", `class="pickup-code code"`,
			"麓山社区服务中心", "¥20.00", "货到/到店付款")
		orderID := find(t, r, `data-order-id="([0-9a-f-]{36})"`)
		number := find(t, r, `class="order-number">([0-9]+)<`)

		// The order list and detail.
		r = webtest.Want(t, b.Get("/orders"), 200, "orders")
		webtest.Contains(t, r, "orders", number, "岳麓蔬菜基地", "已下单", `href="/t/`+m.Tenant.Slug+`/orders/`+orderID+`"`)
		r = webtest.Want(t, b.Get("/orders?page=abc"), 200, "orders bad page")
		webtest.Contains(t, r, "orders bad page", number)
		r = webtest.Want(t, b.Get("/orders/"+orderID), 200, "order")
		webtest.Contains(t, r, "order", number, "到店自提", "取货码", "麓山社区服务中心", "订单进度", "已下单", "货到/到店付款",
			"长沙有机草莓", `id="cancel-order"`)

		// Another shopper: 404 for the order and the group; 404 for nonsense.
		nosy, _ := m.User("邻居", "", "")
		webtest.Want(t, nosy.Get("/orders/"+orderID), http.StatusNotFound, "nosy order")
		webtest.Want(t, nosy.Get(groupPath), http.StatusNotFound, "nosy group")
		webtest.Want(t, nosy.Post("/orders/"+orderID+"/cancel", nil), http.StatusNotFound, "nosy cancel")
		webtest.Lacks(t, webtest.Want(t, nosy.Get("/orders"), 200, "nosy orders"), "nosy orders", number)
		webtest.Want(t, b.Get("/orders/nonsense"), http.StatusNotFound, "bad id")
		// Another marketplace's shopper does not sign in here at all.
		o2 := e.NewMarket("株洲供销社")
		stranger, _ := o2.User("外人", "", "")
		stranger.Base = b.Base
		webtest.Want(t, stranger.Get("/orders/"+orderID), http.StatusSeeOther, "other marketplace's session")

		// Cancel: refused without the token, then done; the stock comes back.
		webtest.Want(t, b.PostNoCSRF("/orders/"+orderID+"/cancel", nil), http.StatusForbidden, "cancel without csrf")
		webtest.Want(t, b.Post("/orders/"+orderID+"/cancel", url.Values{"reason": {"买错了"}}), http.StatusSeeOther, "cancel")
		r = webtest.Want(t, b.Get("/orders/"+orderID), 200, "cancelled order")
		webtest.Contains(t, r, "cancelled order", "订单已取消", "已取消", "买错了")
		webtest.Lacks(t, r, "cancelled order", `id="cancel-order"`)
		r = webtest.Want(t, b.Post("/orders/"+orderID+"/cancel", nil), http.StatusConflict, "cancel twice")
		webtest.Contains(t, r, "cancel twice", "已取消")
		if n, err := m.App.Inventory.Available(m.Ctx, m.sku); err != nil || n != 50 {
			t.Fatalf("available after cancelling: %d %v", n, err)
		}
	})
}

// TestBalancePage: the account page links to the orders and the balance;
// the balance page shows what was credited; anonymous browsers sign in
// first.
func TestBalancePage(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := webtest.New(t, d)
		m := newShoppingMarket(t, e, "网上供销社", "yuelu-veg")
		b, acc := m.User("周女士", "", "")
		r := webtest.Want(t, b.Get("/account"), 200, "account")
		webtest.Contains(t, r, "account", `href="/t/`+m.Tenant.Slug+`/orders"`, `href="/t/`+m.Tenant.Slug+`/account/balance"`)
		webtest.Contains(t, webtest.Want(t, b.Get("/account/balance"), 200, "zero"), "zero", `id="balance" class="price">¥0.00`)
		err := m.App.DB.RunInTx(m.Ctx, func(ctx context.Context, tx bun.IDB) error {
			return m.App.Payments.Balance.Credit(ctx, tx, payment.Credit{UserID: acc.ID, AmountFen: 12345, Memo: "充值"})
		})
		if err != nil {
			t.Fatal(err)
		}
		r = webtest.Want(t, b.Get("/account/balance"), 200, "balance")
		webtest.Contains(t, r, "balance", "惠农通余额", "¥123.45")
		// The checkout offers it.
		webtest.Want(t, b.Post("/cart/lines", url.Values{"sku_id": {m.sku}, "qty": {"2"}}), http.StatusSeeOther, "add")
		webtest.Want(t, b.Post("/cart/region", url.Values{"region_id": {m.Furong.ID}}), http.StatusSeeOther, "region")
		r = webtest.Want(t, b.Get("/checkout"), 200, "checkout")
		webtest.Contains(t, r, "checkout", `id="balance">¥123.45`)
		r = webtest.Want(t, m.Anonymous().Get("/account/balance"), http.StatusSeeOther, "anonymous")
		if !strings.Contains(r.Location(), "/login") {
			t.Fatalf("anonymous balance: Location %q", r.Location())
		}
	})
}
