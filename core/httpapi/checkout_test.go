package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/app"
	"github.com/jishi-dev/jishi/core/billing/billingtest"
	"github.com/jishi-dev/jishi/core/checkout"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/httpx"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// checkoutMarket is a market with a main warehouse serving Yuelu and
// Furong, a pickup point in Yuelu, and shops with one stocked SKU each.
type checkoutMarket struct {
	*market
	main  inventory.Warehouse
	point struct {
		ID string `json:"id"`
	}
	shops []*checkoutShop
}

type checkoutShop struct {
	shop  *merchant.Shop
	owner *shopper
	sku   string
}

func newCheckoutMarket(t *testing.T, d *db.DB, shops, units int) *checkoutMarket {
	t.Helper()
	a, h := newMarketServer(t, d)
	return newCheckoutMarketOn(t, a, h, shops, units)
}

// newCheckoutMarketOn is newCheckoutMarket on an app of the caller's.
func newCheckoutMarketOn(t *testing.T, a *app.App, h http.Handler, shops, units int) *checkoutMarket {
	t.Helper()
	m := &checkoutMarket{market: newMarket(t, a, h)}
	m.admin.want(http.StatusCreated, "POST", "/api/v1/admin/warehouses", map[string]any{"kind": "main", "name": "总仓",
		"region_id": m.yuelu.ID, "cold": true, "serves_region_ids": []string{m.yuelu.ID, m.furong.ID}}, &m.main)
	m.admin.want(http.StatusCreated, "POST", "/api/v1/admin/pickup-points", map[string]any{"name": "麓山社区服务中心",
		"address": "麓山路 1 号", "region_id": m.yuelu.ID, "hours": "08:00–20:00", "phone": "0731-88886666"}, &m.point)
	for i := 0; i < shops; i++ {
		m.addShop(fmt.Sprintf("co-shop-%d", i), units)
	}
	return m
}

// addShop opens a shop with one SKU (5.00 yuan) and units of it in the
// main warehouse.
func (m *checkoutMarket) addShop(slug string, units int) *checkoutShop {
	m.t.Helper()
	sh, owner := m.openShop(slug)
	c := &checkoutShop{shop: sh, owner: owner, sku: m.stockedSKU(owner, sh, "SKU-"+slug)}
	owner.want(http.StatusCreated, "POST", "/api/v1/merchant/shops/"+sh.ID+"/lots", map[string]any{"sku_id": c.sku,
		"warehouse_id": m.main.ID, "quantity": units, "best_before": m.stockDay(10), "producer": "李大爷"}, nil)
	m.shops = append(m.shops, c)
	return c
}

// place posts a checkout with an Idempotency-Key and returns the status,
// the body and whether the answer was a replay.
func (b *shopper) place(key string, in any) (int, []byte, bool) {
	b.t.Helper()
	body, _ := json.Marshal(in)
	r := httptest.NewRequest("POST", b.base+"/api/v1/checkout", bytes.NewReader(body))
	r.Host = "localhost"
	r.Header.Set("Content-Type", "application/json")
	if key != "" {
		r.Header.Set("Idempotency-Key", key)
	}
	for k, v := range b.cookies {
		r.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	if c := b.cookies[httpx.CSRFCookie]; c != "" {
		r.Header.Set("X-CSRF-Token", c)
	}
	w := httptest.NewRecorder()
	b.h.ServeHTTP(w, r)
	return w.Code, w.Body.Bytes(), w.Header().Get("Idempotent-Replayed") == "true"
}

type quoteOut struct {
	TotalFen    int64 `json:"total_fen"`
	DiscountFen int64 `json:"discount_fen"`
	ShippingFen int64 `json:"shipping_fen"`
	Complete    bool  `json:"complete"`
	Shops       []struct {
		ShopID   string `json:"shop_id"`
		TotalFen int64  `json:"total_fen"`
		Options  []struct {
			Method string `json:"method"`
			FeeFen int64  `json:"fee_fen"`
		} `json:"options"`
		Lines []struct {
			SKUID       string `json:"sku_id"`
			TotalFen    int64  `json:"total_fen"`
			DiscountFen int64  `json:"discount_fen"`
			Allocations []struct {
				AmountFen int64  `json:"amount_fen"`
				FundedBy  string `json:"funded_by"`
			} `json:"allocations"`
		} `json:"lines"`
	} `json:"shops"`
}

type placedOut struct {
	Group   order.Group `json:"group"`
	Payment string      `json:"payment"`
}

func (m *checkoutMarket) available(sku string) int {
	m.t.Helper()
	n, err := m.a.Inventory.Available(m.ctx, sku)
	if err != nil {
		m.t.Fatal(err)
	}
	return n
}

func (m *checkoutMarket) count(table string) int {
	m.t.Helper()
	var n int
	err := m.a.DB.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) error {
		c, err := tx.NewSelect().Table(table).Where("tenant_id = ?", m.tenant.ID).Count(ctx)
		n = int(c)
		return err
	})
	if err != nil {
		m.t.Fatal(err)
	}
	return n
}

// pickupAll is a checkout body with every shop's part collected at the
// market's pickup point, paid on pickup.
func (m *checkoutMarket) pickupAll(lines []map[string]any, total *int64) map[string]any {
	var shops []map[string]any
	for _, c := range m.shops {
		shops = append(shops, map[string]any{"shop_id": c.shop.ID, "method": "pickup", "pickup_point_id": m.point.ID})
	}
	in := map[string]any{"region_id": m.yuelu.ID, "lines": lines, "shops": shops, "recipient": "王小明",
		"phone": "13800138000", "provider": "offline"}
	if total != nil {
		in["expected_total_fen"] = *total
	}
	return in
}

func TestHTTPCheckoutJourney(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := newCheckoutMarket(t, d, 3, 50)
		start, end := promoWindow(-time.Hour, 72*time.Hour)
		// The platform funds 满100减10 across shops; shop 0 has a coupon.
		m.admin.want(http.StatusCreated, "POST", "/api/v1/admin/promotions", map[string]any{"kind": "threshold", "name": "满100减10",
			"starts_at": start, "ends_at": end, "tiers": []map[string]any{{"min_fen": 10000, "off_fen": 1000}}}, nil)
		s0 := m.shops[0]
		s0.owner.want(http.StatusCreated, "POST", "/api/v1/merchant/shops/"+s0.shop.ID+"/coupons", map[string]any{"code": "VEG5",
			"name": "满50减5", "starts_at": start, "ends_at": end, "min_spend_fen": 5000, "amount_off_fen": 500}, nil)

		buyer := m.user("buyer", "", "")
		// Into the cart: 10 units (50 yuan) from each of the three shops.
		for _, c := range m.shops {
			buyer.want(http.StatusCreated, "POST", "/api/v1/cart/lines", map[string]any{"sku_id": c.sku, "qty": 10}, nil)
		}
		// Shop 0's coupon needs 50 yuan after the 满减: two more units there.
		buyer.want(http.StatusCreated, "POST", "/api/v1/cart/lines", map[string]any{"sku_id": s0.sku, "qty": 2}, nil)
		body := m.pickupAll(nil, nil)
		body["coupons"] = []string{"veg5"}
		var q quoteOut
		buyer.want(http.StatusOK, "POST", "/api/v1/checkout/quote", body, &q)
		// 160 yuan of goods, 10 off platform-wide, 5 off shop 0's coupon, free pickup.
		if !q.Complete || len(q.Shops) != 3 || q.TotalFen != 16000-1000-500 || q.DiscountFen != 1500 || q.ShippingFen != 0 {
			t.Fatalf("quote %+v", q)
		}
		var allocated int64
		for _, sq := range q.Shops {
			for _, l := range sq.Lines {
				for _, a := range l.Allocations {
					allocated += a.AmountFen
				}
			}
		}
		if allocated != 1500 {
			t.Fatalf("allocations sum to %d, want 1500", allocated)
		}

		// Place: the key is required, the total must be the quote's.
		if code, b, _ := buyer.place("", body); code != http.StatusBadRequest || !bytes.Contains(b, []byte("Idempotency-Key")) {
			t.Fatalf("no key: %d %s", code, b)
		}
		wrong := q.TotalFen - 1
		body["expected_total_fen"] = wrong
		if code, b, _ := buyer.place("k-wrong", body); code != http.StatusConflict || !bytes.Contains(b, []byte("expected_total_fen")) {
			t.Fatalf("changed total: %d %s", code, b)
		}
		if n := m.count("checkout_groups"); n != 0 {
			t.Fatalf("refused checkouts wrote %d groups", n)
		}
		body["expected_total_fen"] = q.TotalFen
		code, b, replayed := buyer.place("k-1", body)
		if code != http.StatusCreated || replayed {
			t.Fatalf("place: %d %s", code, b)
		}
		var out placedOut
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		if out.Payment != "due" || len(out.Group.Orders) != 3 || out.Group.TotalFen != q.TotalFen {
			t.Fatalf("placed %+v", out)
		}
		var sum int64
		for _, o := range out.Group.Orders {
			sum += o.TotalFen
			if o.Status != order.StatusPaid || o.PaymentStatus != "due" || o.PickupCode == "" || o.DeliveryMethod != "pickup" {
				t.Fatalf("order %+v", o)
			}
		}
		if sum != q.TotalFen {
			t.Fatalf("orders sum to %d, quote %d", sum, q.TotalFen)
		}
		for _, c := range m.shops {
			want := 40
			if c == s0 {
				want = 38
			}
			if n := m.available(c.sku); n != want {
				t.Fatalf("available after checkout %d, want %d", n, want)
			}
		}
		if v := buyer.cartOf(""); len(v.Shops) != 0 {
			t.Fatalf("cart not emptied: %+v", v)
		}
		billingtest.AssertBalanced(t, m.a.DB)

		// A replay answers the first answer; the key with another request is refused.
		code, b2, replayed := buyer.place("k-1", body)
		if code != http.StatusCreated || !replayed || !bytes.Equal(b, b2) {
			t.Fatalf("replay: %d %v %s", code, replayed, b2)
		}
		other := m.pickupAll([]map[string]any{{"sku_id": s0.sku, "qty": 1}}, nil)
		other["shops"] = []map[string]any{{"shop_id": s0.shop.ID, "method": "pickup", "pickup_point_id": m.point.ID}}
		other["expected_total_fen"] = 500
		if code, b, _ := buyer.place("k-1", other); code != http.StatusConflict {
			t.Fatalf("key reused: %d %s", code, b)
		}
		if n := m.count("checkout_groups"); n != 1 {
			t.Fatalf("%d groups, want 1", n)
		}

		// Shop 0 refunds one unit of its line with restock: stock, order and books agree.
		o0 := out.Group.Orders[slicesIndex(out.Group.Orders, s0.shop.ID)]
		var refunded order.Order
		s0.owner.want(http.StatusCreated, "POST", "/api/v1/merchant/shops/"+s0.shop.ID+"/orders/"+o0.ID+"/refunds",
			map[string]any{"lines": []map[string]any{{"line_id": o0.Lines[0].ID, "qty": 1}}, "restock": true, "reason": "坏了一个"}, &refunded)
		if n := m.available(s0.sku); n != 39 {
			t.Fatalf("available after refund %d, want 39", n)
		}
		var after order.Order
		s0.owner.want(http.StatusOK, "GET", "/api/v1/merchant/shops/"+s0.shop.ID+"/orders/"+o0.ID, nil, &after)
		unit := o0.Lines[0].TotalFen / int64(o0.Lines[0].Qty)
		if after.RefundedFen < unit || after.RefundedFen > unit+1 || after.Lines[0].RefundedQty != 1 {
			t.Fatalf("after refund %+v (line total %d)", after, o0.Lines[0].TotalFen)
		}
		billingtest.AssertBalanced(t, m.a.DB)

		// Shop 1 gets its order ready at the pickup point; the operator hands it
		// over against the pickup code and the shopper's name, collecting the cash.
		s1 := m.shops[1]
		o1 := out.Group.Orders[slicesIndex(out.Group.Orders, s1.shop.ID)]
		for _, to := range []string{"accepted", "packed", "ready_for_pickup"} {
			s1.owner.want(http.StatusOK, "POST", "/api/v1/merchant/shops/"+s1.shop.ID+"/orders/"+o1.ID+"/transitions", map[string]any{"to": to}, nil)
		}
		op := m.user("operator", "", "")
		m.admin.want(http.StatusCreated, "POST", "/api/v1/admin/pickup-points/"+m.point.ID+"/operators", map[string]any{"login": op.email}, nil)
		hand := "/api/v1/pickup/points/" + m.point.ID + "/handover"
		op.want(http.StatusBadRequest, "POST", hand, map[string]any{"number": o1.Number, "pickup_code": o1.PickupCode, "name": "李四"}, nil)
		op.want(http.StatusOK, "POST", hand, map[string]any{"number": o1.Number, "pickup_code": o1.PickupCode, "name": "王小明"}, nil)
		var got order.Order
		buyer.want(http.StatusOK, "GET", "/api/v1/me/orders/"+o1.ID, nil, &got)
		if got.Status != order.StatusPickedUp || got.PaymentStatus != "paid" || got.HandedOverBy == nil || *got.HandedOverBy != op.userID {
			t.Fatalf("after handover %+v", got)
		}
		billingtest.AssertBalanced(t, m.a.DB)

		// Another shopper cannot see the order; another shop cannot refund it.
		m.user("nosy", "", "").want(http.StatusNotFound, "GET", "/api/v1/me/orders/"+o0.ID, nil, nil)
		m.shops[1].owner.want(http.StatusNotFound, "GET", "/api/v1/merchant/shops/"+s0.shop.ID+"/orders/"+o0.ID, nil, nil)
	})
}

func slicesIndex(os []*order.Order, shopID string) int {
	for i, o := range os {
		if o.ShopID == shopID {
			return i
		}
	}
	return -1
}

func TestHTTPCheckoutBadInput(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := newCheckoutMarket(t, d, 1, 20)
		c := m.shops[0]
		buyer := m.user("buyer", "", "")
		// Another marketplace with its own SKU, coupon and pickup point.
		o := newCheckoutMarket(t, d, 0, 0)
		foreign := o.addShop("foreign-shop", 10)
		start, end := promoWindow(-time.Hour, 72*time.Hour)
		o.admin.want(http.StatusCreated, "POST", "/api/v1/admin/coupons", map[string]any{"code": "THEIRS", "name": "券",
			"starts_at": start, "ends_at": end, "min_spend_fen": 100, "amount_off_fen": 10}, nil)

		line := func(sku string, qty any) []map[string]any { return []map[string]any{{"sku_id": sku, "qty": qty}} }
		cases := []struct {
			name  string
			edit  func(map[string]any)
			field string
		}{
			{"zero qty", func(in map[string]any) { in["lines"] = line(c.sku, 0) }, "lines.0.qty"},
			{"negative qty", func(in map[string]any) { in["lines"] = line(c.sku, -3) }, "lines.0.qty"},
			{"fractional qty", func(in map[string]any) { in["lines"] = line(c.sku, 1.5) }, "lines.qty"},
			{"huge qty", func(in map[string]any) { in["lines"] = line(c.sku, 1e12) }, "lines.0.qty"},
			{"qty beyond int64", func(in map[string]any) { in["lines"] = line(c.sku, 1e30) }, "lines.qty"},
			{"over 999", func(in map[string]any) { in["lines"] = line(c.sku, 1000) }, "lines.0.qty"},
			{"more than stock", func(in map[string]any) { in["lines"] = line(c.sku, 21) }, "lines.0.qty"},
			{"unknown sku", func(in map[string]any) { in["lines"] = line(tenants.NewID(), 1) }, "lines.0.sku_id"},
			{"another tenant's sku", func(in map[string]any) { in["lines"] = line(foreign.sku, 1) }, "lines.0.sku_id"},
			{"another tenant's coupon", func(in map[string]any) { in["coupons"] = []string{"THEIRS"} }, "coupons.0"},
			{"another tenant's pickup point", func(in map[string]any) {
				in["shops"] = []map[string]any{{"shop_id": c.shop.ID, "method": "pickup", "pickup_point_id": o.point.ID}}
			}, "shops.0.pickup_point_id"},
			{"unknown region", func(in map[string]any) { in["region_id"] = o.yuelu.ID }, "region_id"},
			{"no provider", func(in map[string]any) { delete(in, "provider") }, "provider"},
			{"bad phone", func(in map[string]any) { in["phone"] = "12345" }, "phone"},
		}
		for _, tc := range cases {
			total := int64(500)
			in := m.pickupAll(line(c.sku, 1), &total)
			tc.edit(in)
			code, b, _ := buyer.place("bad-"+tc.name, in)
			var e apiError
			_ = json.Unmarshal(b, &e)
			if code != http.StatusBadRequest || e.Error.Fields[tc.field] == "" {
				t.Errorf("%s: want 400 on %s, got %d %s", tc.name, tc.field, code, b)
			}
			// The quote refuses the same input the same way (the provider is
			// only needed to place).
			if tc.field != "provider" {
				code, b = buyer.do("POST", "/api/v1/checkout/quote", in)
				var qe apiError
				_ = json.Unmarshal(b, &qe)
				if code != http.StatusBadRequest || qe.Error.Fields[tc.field] == "" {
					t.Errorf("quote, %s: want 400 on %s, got %d %s", tc.name, tc.field, code, b)
				}
			}
		}
		if n := m.count("checkout_groups"); n != 0 {
			t.Fatalf("bad input wrote %d groups", n)
		}
		if n := m.available(c.sku); n != 20 {
			t.Fatalf("bad input took stock: %d left", n)
		}
		// Signed out: 401.
		if code, _, _ := m.anonymous().place("anon", m.pickupAll(line(c.sku, 1), nil)); code != http.StatusUnauthorized {
			t.Fatalf("anonymous checkout: %d", code)
		}
	})
}

// TestHTTPCheckoutRace: 200 shoppers race for 50 units; exactly 50 units
// are sold, stock ends at 0 and the ledger balances. Then one shopper
// sends the same request 50 times at once: exactly one checkout group.
func TestHTTPCheckoutRace(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := newCheckoutMarket(t, d, 1, 50)
		c := m.shops[0]
		total := int64(500)
		in := m.pickupAll([]map[string]any{{"sku_id": c.sku, "qty": 1}}, &total)
		buyers := make([]*shopper, 200)
		for i := range buyers {
			buyers[i] = m.user("racer"+strconv.Itoa(i), "", "")
		}
		var wg sync.WaitGroup
		codes := make([]int, len(buyers))
		for i, b := range buyers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], _, _ = b.place("race", in)
			}()
		}
		wg.Wait()
		won := 0
		for i, code := range codes {
			switch code {
			case http.StatusCreated:
				won++
			case http.StatusConflict, http.StatusBadRequest: // out of stock
			default:
				t.Errorf("racer %d: %d", i, code)
			}
		}
		if won != 50 || m.available(c.sku) != 0 || m.count("orders") != 50 {
			t.Fatalf("won %d, available %d, orders %d", won, m.available(c.sku), m.count("orders"))
		}
		billingtest.AssertBalanced(t, m.a.DB)

		// The same key 50 times at once.
		m.addShop("idem-shop", 100)
		in = m.pickupAll([]map[string]any{{"sku_id": m.shops[1].sku, "qty": 1}}, &total)
		in["shops"] = []map[string]any{{"shop_id": m.shops[1].shop.ID, "method": "pickup", "pickup_point_id": m.point.ID}}
		one := m.user("impatient", "", "")
		groups := map[string]int{}
		var mu sync.Mutex
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, b, _ := one.place("same-key", in)
				var out placedOut
				_ = json.Unmarshal(b, &out)
				mu.Lock()
				defer mu.Unlock()
				if code != http.StatusCreated {
					t.Errorf("same key: %d %s", code, b)
					return
				}
				groups[out.Group.ID]++
			}()
		}
		wg.Wait()
		if len(groups) != 1 || m.available(m.shops[1].sku) != 99 {
			t.Fatalf("groups %v, available %d", groups, m.available(m.shops[1].sku))
		}
		billingtest.AssertBalanced(t, m.a.DB)
	})
}

var _ = checkout.MaxQty

// After the last unit is sold, attempts are turned away without a
// transaction (the gate), yet a retry of the winning request still gets
// its stored answer, and the key with another body is still a conflict.
func TestHTTPCheckoutReplayAfterSellOut(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		m := newCheckoutMarket(t, d, 1, 1)
		c := m.shops[0]
		total := int64(500)
		in := m.pickupAll([]map[string]any{{"sku_id": c.sku, "qty": 1}}, &total)
		winner, loser := m.user("winner", "", ""), m.user("loser", "", "")
		code, first, _ := winner.place("last-unit", in)
		if code != http.StatusCreated {
			t.Fatalf("winner: %d %s", code, first)
		}
		for i := 0; i < 3; i++ {
			code, body, _ := loser.place("too-late-"+strconv.Itoa(i), in)
			if code != http.StatusBadRequest || !bytes.Contains(body, []byte(`"lines.0.qty"`)) {
				t.Fatalf("after sell-out: %d %s", code, body)
			}
		}
		code, again, replayed := winner.place("last-unit", in)
		if code != http.StatusCreated || !replayed || !bytes.Equal(again, first) {
			t.Fatalf("retry of the winner: %d replayed=%v %s", code, replayed, again)
		}
		other := m.pickupAll([]map[string]any{{"sku_id": c.sku, "qty": 2}}, &total)
		if code, body, _ := winner.place("last-unit", other); code != http.StatusConflict {
			t.Fatalf("the key with another body: %d %s", code, body)
		}
		if m.count("orders") != 1 || m.available(c.sku) != 0 {
			t.Fatalf("orders %d, available %d", m.count("orders"), m.available(c.sku))
		}
	})
}
