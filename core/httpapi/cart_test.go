package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jishi-dev/jishi/core/cart"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// cartShop is an open shop of s with a main warehouse serving Yuelu and
// Furong, and a SKU with units in it.
type cartShop struct {
	shop  *merchant.Shop
	owner *shopper
	sku   string
	lot   inventory.Lot
	main  inventory.Warehouse
}

func (s *market) cartShop(slug string, units int) *cartShop {
	s.t.Helper()
	sh, owner := s.openShop(slug)
	c := &cartShop{shop: sh, owner: owner, sku: s.stockedSKU(owner, sh, strings.ToUpper(slug)+"-1")}
	s.admin.want(http.StatusCreated, "POST", "/api/v1/admin/warehouses", map[string]any{"kind": "main", "name": "总仓 " + slug,
		"region_id": s.yuelu.ID, "serves_region_ids": []string{s.yuelu.ID, s.furong.ID}}, &c.main)
	owner.want(http.StatusCreated, "POST", "/api/v1/merchant/shops/"+sh.ID+"/lots", map[string]any{"sku_id": c.sku,
		"warehouse_id": c.main.ID, "quantity": units, "best_before": s.stockDay(10), "producer": "李大爷"}, &c.lot)
	return c
}

// cartOf reads the caller's cart.
func (b *shopper) cartOf(query string) cart.View {
	b.t.Helper()
	var v cart.View
	b.want(http.StatusOK, "GET", "/api/v1/cart"+query, nil, &v)
	return v
}

// rawCart sends a cart request with b's cookies, the CSRF header only
// when csrf, and returns the recorder.
func (b *shopper) rawCart(method, path, body string, csrf bool) *httptest.ResponseRecorder {
	b.t.Helper()
	r := httptest.NewRequest(method, b.base+path, strings.NewReader(body))
	r.Host = "localhost"
	r.Header.Set("Content-Type", "application/json")
	for k, v := range b.cookies {
		r.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	if csrf {
		r.Header.Set("X-CSRF-Token", b.cookies[httpx.CSRFCookie])
	}
	w := httptest.NewRecorder()
	b.h.ServeHTTP(w, r)
	return w
}

func TestHTTPCartFlow(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		s := newMarket(t, a, h)
		veg := s.cartShop("cart-veg", 20)
		var limited catalog.Product
		veg.owner.want(http.StatusCreated, "POST", "/api/v1/merchant/shops/"+veg.shop.ID+"/products", map[string]any{
			"category_id": s.category("vegetables"), "name": "限购鸡蛋", "status": "active",
			"skus": []map[string]any{{"code": "EGG-1", "spec": "30枚", "price_fen": 2590, "purchase_limit": 3}},
		}, &limited)
		egg := limited.SKUs[0].ID
		veg.owner.want(http.StatusCreated, "POST", "/api/v1/merchant/shops/"+veg.shop.ID+"/lots", map[string]any{"sku_id": egg,
			"warehouse_id": veg.main.ID, "quantity": 10, "best_before": s.stockDay(10), "producer": "养鸡场"}, nil)
		anon := s.anonymous()

		// An empty cart for a new visitor, and no cookie yet.
		if v := anon.cartOf(""); v.Lines != 0 || len(v.Shops) != 0 {
			t.Fatalf("new cart %+v", v)
		}
		if anon.cookies[cart.CookieName] != "" {
			t.Fatal("a cookie before anything was added")
		}

		// Another site cannot add to the visitor's cart: no CSRF token, 403,
		// nothing written.
		if w := anon.rawCart("POST", "/api/v1/cart/lines", `{"sku_id":"`+veg.sku+`","qty":1}`, false); w.Code != http.StatusForbidden {
			t.Fatalf("POST without CSRF token: %d %s", w.Code, w.Body)
		}
		// The first addition sets the cookie: HttpOnly, SameSite=Lax.
		w := anon.rawCart("POST", "/api/v1/cart/lines", `{"sku_id":"`+veg.sku+`","qty":2}`, true)
		if w.Code != http.StatusCreated {
			t.Fatalf("add: %d %s", w.Code, w.Body)
		}
		var set *http.Cookie
		for _, c := range w.Result().Cookies() {
			if c.Name == cart.CookieName {
				set = c
			}
		}
		if set == nil || !set.HttpOnly || set.SameSite != http.SameSiteLaxMode || set.Path != "/" || len(set.Value) != 43 {
			t.Fatalf("cart cookie %+v", set)
		}
		anon.cookies[cart.CookieName] = set.Value
		// The cookie cart is checked for CSRF like every other change.
		v := anon.cartOf("")
		line := v.Shops[0].Lines[0]
		for method, path := range map[string]string{"PATCH": "/api/v1/cart/lines/" + line.ID, "DELETE": "/api/v1/cart", "PUT": "/api/v1/cart/region"} {
			if w := anon.rawCart(method, path, `{"qty":1}`, false); w.Code != http.StatusForbidden {
				t.Fatalf("%s %s without CSRF token: %d", method, path, w.Code)
			}
		}
		if v.Lines != 1 || v.Shops[0].Slug != "cart-veg" || line.Qty != 2 || line.UnitFen != 500 || line.SubtotalFen != 1000 ||
			line.Available != 20 || line.State != cart.StateOK || v.TotalFen != 1000 {
			t.Fatalf("cart %+v", v)
		}

		// Bad quantities: field errors on qty, nothing written.
		for _, body := range []string{`{"qty":0}`, `{"qty":-1}`, `{"qty":1.5}`, `{"qty":"2"}`, `{"qty":1e12}`, `{"qty":1000}`, `{"qty":99999999999999999999}`} {
			var e apiError
			anon.want(http.StatusBadRequest, "PATCH", "/api/v1/cart/lines/"+line.ID, rawJSON(body), &e)
			if e.Error.Fields["qty"] == "" {
				t.Fatalf("PATCH %s: %+v", body, e)
			}
			in := strings.Replace(body, "{", `{"sku_id":"`+veg.sku+`",`, 1)
			anon.want(http.StatusBadRequest, "POST", "/api/v1/cart/lines", rawJSON(in), &e)
			if e.Error.Fields["qty"] == "" {
				t.Fatalf("POST %s: %+v", in, e)
			}
		}
		var e apiError
		anon.want(http.StatusBadRequest, "POST", "/api/v1/cart/lines", map[string]any{"sku_id": egg, "qty": 4}, &e)
		if !strings.Contains(e.Error.Fields["qty"], "3") {
			t.Fatalf("limit: %+v", e)
		}
		anon.want(http.StatusBadRequest, "POST", "/api/v1/cart/lines", map[string]any{"sku_id": tenants.NewID(), "qty": 1}, &e)
		if e.Error.Fields["sku_id"] == "" {
			t.Fatalf("unknown sku: %+v", e)
		}
		if v := anon.cartOf(""); v.Lines != 1 || v.Units != 2 {
			t.Fatalf("bad input wrote: %+v", v)
		}

		// Change a quantity; add the limited SKU up to its limit.
		anon.want(http.StatusOK, "PATCH", "/api/v1/cart/lines/"+line.ID, map[string]any{"qty": 5}, &v)
		anon.want(http.StatusCreated, "POST", "/api/v1/cart/lines", map[string]any{"sku_id": egg, "qty": 3}, &v)
		if v.Lines != 2 || v.Units != 8 || v.TotalFen != 5*500+3*2590 {
			t.Fatalf("cart %+v", v)
		}

		// A price change and a shortage are noted once.
		err := a.DB.RunInTx(s.ctx, func(ctx context.Context, tx bun.IDB) error {
			_, err := db.Update(ctx, tx, (*catalog.SKU)(nil)).Set("price_fen = 620").Set("list_price_fen = 620").Where("k.id = ?", veg.sku).Exec(ctx)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		veg.owner.want(http.StatusOK, "POST", "/api/v1/merchant/shops/"+veg.shop.ID+"/adjustments",
			map[string]any{"lot_id": veg.lot.ID, "delta": -17, "reason": "damage"}, nil)
		v = anon.cartOf("?lang=en")
		l := v.Shops[0].Lines[0]
		if !v.Changed || l.UnitFen != 620 || l.State != cart.StateShort || len(l.Notes) != 2 ||
			l.Notes[0].Message != "Price went up from ¥5.00 to ¥6.20" || l.Notes[1].Message != "Only 3 left" {
			t.Fatalf("notes %+v", l)
		}
		if v := anon.cartOf(""); v.Changed {
			t.Fatalf("noted twice %+v", v)
		}
		veg.owner.want(http.StatusOK, "POST", "/api/v1/merchant/shops/"+veg.shop.ID+"/adjustments",
			map[string]any{"lot_id": veg.lot.ID, "delta": -3, "reason": "damage"}, nil)
		if l := anon.cartOf("").Shops[0].Lines[0]; l.State != cart.StateOutOfStock || len(l.Notes) != 1 || l.Notes[0].Kind != cart.NoteOutOfStock {
			t.Fatalf("out of stock %+v", l)
		}

		// Region: a bad one is a field error, a good one is kept.
		anon.want(http.StatusBadRequest, "PUT", "/api/v1/cart/region", map[string]any{"region_id": tenants.NewID()}, &e)
		if e.Error.Fields["region_id"] == "" {
			t.Fatalf("region %+v", e)
		}
		anon.want(http.StatusBadRequest, "GET", "/api/v1/cart?region=x", nil, &e)
		if e.Error.Fields["region"] == "" {
			t.Fatalf("region %+v", e)
		}
		anon.want(http.StatusOK, "PUT", "/api/v1/cart/region", map[string]any{"region_id": s.furong.ID}, &v)
		if v.RegionID != s.furong.ID {
			t.Fatalf("region %+v", v)
		}

		// Remove a line, empty the cart.
		anon.want(http.StatusNoContent, "DELETE", "/api/v1/cart/lines/"+line.ID, nil, nil)
		anon.want(http.StatusNotFound, "DELETE", "/api/v1/cart/lines/"+line.ID, nil, nil)
		anon.want(http.StatusNotFound, "PATCH", "/api/v1/cart/lines/"+line.ID, map[string]any{"qty": 1}, nil)
		if v := anon.cartOf(""); v.Lines != 1 || v.RegionID != s.furong.ID {
			t.Fatalf("after remove %+v", v)
		}
		anon.want(http.StatusNoContent, "DELETE", "/api/v1/cart", nil, nil)
		if v := anon.cartOf(""); v.Lines != 0 {
			t.Fatalf("after empty %+v", v)
		}
	})
}

// rawJSON is a JSON body sent as it is.
type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

func TestHTTPCartOfOthersIs404(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		home, away := newMarket(t, a, h), newMarket(t, a, h)
		veg := home.cartShop("cart-home", 10)
		far := away.cartShop("cart-away", 10)
		alice, bob := home.user("alice", "", ""), home.user("bob", "", "")
		var v cart.View
		alice.want(http.StatusCreated, "POST", "/api/v1/cart/lines", map[string]any{"sku_id": veg.sku, "qty": 1}, &v)
		aliceLine := v.Shops[0].Lines[0].ID
		visitor := home.anonymous()
		visitor.want(http.StatusCreated, "POST", "/api/v1/cart/lines", map[string]any{"sku_id": veg.sku, "qty": 2}, &v)
		visitorLine := v.Shops[0].Lines[0].ID

		// Another shopper's and the visitor's lines do not exist for the
		// others.
		for _, c := range []struct {
			who  *shopper
			line string
		}{{bob, aliceLine}, {visitor, aliceLine}, {alice, visitorLine}, {home.anonymous(), aliceLine}} {
			c.who.want(http.StatusNotFound, "PATCH", "/api/v1/cart/lines/"+c.line, map[string]any{"qty": 3}, nil)
			c.who.want(http.StatusNotFound, "DELETE", "/api/v1/cart/lines/"+c.line, nil, nil)
		}
		// Nor for another tenant, even with the visitor's cookie.
		carol := away.user("carol", "", "")
		carol.want(http.StatusCreated, "POST", "/api/v1/cart/lines", map[string]any{"sku_id": far.sku, "qty": 1}, nil)
		carol.want(http.StatusNotFound, "PATCH", "/api/v1/cart/lines/"+aliceLine, map[string]any{"qty": 3}, nil)
		carol.want(http.StatusNotFound, "DELETE", "/api/v1/cart/lines/"+aliceLine, nil, nil)
		stray := away.anonymous()
		stray.cookies[cart.CookieName] = visitor.cookies[cart.CookieName]
		stray.want(http.StatusNotFound, "DELETE", "/api/v1/cart/lines/"+visitorLine, nil, nil)
		if v := stray.cartOf(""); v.Lines != 0 {
			t.Fatalf("another tenant's cart: %+v", v)
		}
		// Another tenant's SKU is unknown here: a field error on sku_id.
		var e apiError
		alice.want(http.StatusBadRequest, "POST", "/api/v1/cart/lines", map[string]any{"sku_id": far.sku, "qty": 1}, &e)
		if e.Error.Fields["sku_id"] == "" {
			t.Fatalf("foreign sku: %+v", e)
		}
		// Nothing changed.
		if v := alice.cartOf(""); v.Lines != 1 || v.Units != 1 {
			t.Fatalf("alice %+v", v)
		}
		if v := visitor.cartOf(""); v.Lines != 1 || v.Units != 2 {
			t.Fatalf("visitor %+v", v)
		}
	})
}

func TestHTTPCartMergesAtLogin(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		s := newMarket(t, a, h)
		veg := s.cartShop("cart-merge", 50)
		dora := s.user("dora", "", "")
		dora.want(http.StatusCreated, "POST", "/api/v1/cart/lines", map[string]any{"sku_id": veg.sku, "qty": 4}, nil)

		// A visitor fills a cart, then signs in as Dora.
		visitor := s.anonymous()
		visitor.want(http.StatusCreated, "POST", "/api/v1/cart/lines", map[string]any{"sku_id": veg.sku, "qty": 3}, nil)
		token := visitor.cookies[cart.CookieName]
		visitor.want(http.StatusOK, "POST", "/api/v1/auth/login", map[string]any{"login": dora.email, "password": marketPassword}, nil)
		if visitor.cookies[cart.CookieName] != "" {
			t.Fatal("the visitor's cart cookie was not cleared")
		}
		if v := visitor.cartOf(""); v.Lines != 1 || v.Units != 7 {
			t.Fatalf("merged %+v", v)
		}
		// The visitor's cart is gone.
		stale := s.anonymous()
		stale.cookies[cart.CookieName] = token
		if v := stale.cartOf(""); v.Lines != 0 {
			t.Fatalf("the visitor's cart survived: %+v", v)
		}

		// Signed in without the merge (registration): the first cart
		// request merges.
		other := s.anonymous()
		other.want(http.StatusCreated, "POST", "/api/v1/cart/lines", map[string]any{"sku_id": veg.sku, "qty": 2}, nil)
		other.want(http.StatusCreated, "POST", "/api/v1/auth/register", map[string]any{"name": "Eve", "email": "eve-" + tenants.NewID()[24:] + "@example.com",
			"password": marketPassword}, nil)
		if v := other.cartOf(""); v.Lines != 1 || v.Units != 2 {
			t.Fatalf("registered %+v", v)
		}
		if other.cookies[cart.CookieName] != "" {
			t.Fatal("the cookie outlived the merge")
		}
	})
}
