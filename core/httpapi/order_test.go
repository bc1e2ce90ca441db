package httpapi_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/core/order/ordertest"
	"github.com/jishi-dev/jishi/tenants"
	"github.com/uptrace/bun"
)

// orderMarket is a market whose order service runs on recording fakes,
// with two shops, a product in each, a shopper and a pickup operator.
type orderMarket struct {
	*market
	f             *ordertest.Fakes
	shop, shop2   *merchant.Shop
	owner, owner2 *shopper
	sku, sku2     string
	buyer, op     *shopper
	point         string
}

func newOrderMarket(t *testing.T, s *market) *orderMarket {
	t.Helper()
	m := &orderMarket{market: s, f: ordertest.NewFakes(), point: tenants.NewID()}
	s.a.Orders = m.f.Service(s.a.DB, s.a.Authz)
	m.shop, m.owner = s.openShop("ord-" + tenants.NewID()[30:])
	m.shop2, m.owner2 = s.openShop("ord-" + tenants.NewID()[30:])
	m.sku = s.stockedSKU(m.owner, m.shop, "ORD-1")
	m.sku2 = s.stockedSKU(m.owner2, m.shop2, "ORD-2")
	m.buyer = s.user("买家", "", "")
	m.op = s.user("站长", authz.PickupOperator, authz.TenantDomain(s.tenant.ID))
	m.f.Operate(m.point, m.op.userID)
	return m
}

// place has who buy 3 × sku (courier, 300 fen each, 800 shipping less
// 300) and 1 × sku2 (pickup at the point, 1990 fen).
func (m *orderMarket) place(who *shopper, paymentStatus string) (courier, pickup *order.Order) {
	m.t.Helper()
	in := ordertest.Input(who.userID,
		ordertest.Shop(m.shop.ID, ordertest.Courier(m.yuelu.ID, 800, 300), ordertest.Line(m.sku, 3, 300)),
		ordertest.Shop(m.shop2.ID, ordertest.Pickup(m.yuelu.ID, m.point), ordertest.Line(m.sku2, 1, 1990)))
	g, err := ordertest.Place(m.ctx, m.a.Orders, m.a.DB, m.f, in, paymentStatus)
	if err != nil {
		m.t.Fatal(err)
	}
	for _, o := range g.Orders {
		if o.ShopID == m.shop.ID {
			courier = o
		} else {
			pickup = o
		}
	}
	return courier, pickup
}

func (m *orderMarket) count(model any) int {
	m.t.Helper()
	var n int
	err := m.a.DB.RunInReadTx(m.ctx, func(ctx context.Context, tx bun.IDB) error {
		k, err := db.Select(ctx, tx, model).Count(ctx)
		n = int(k)
		return err
	})
	if err != nil {
		m.t.Fatal(err)
	}
	return n
}

type orderPage struct {
	Orders  []order.Order `json:"orders"`
	HasMore bool          `json:"has_more"`
}

func TestHTTPOrderFlow(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		m := newOrderMarket(t, newMarket(t, a, h))
		c, p := m.place(m.buyer, order.PaymentPaid)
		m.place(m.buyer, "")

		// The shopper's list and detail.
		var mine orderPage
		m.buyer.want(http.StatusOK, "GET", "/api/v1/me/orders?limit=3", nil, &mine)
		if len(mine.Orders) != 3 || !mine.HasMore {
			t.Fatalf("my orders %+v", mine)
		}
		m.buyer.want(http.StatusOK, "GET", "/api/v1/me/orders?status=paid", nil, &mine)
		if len(mine.Orders) != 2 || mine.HasMore {
			t.Fatalf("my paid orders %+v", mine)
		}
		var errBody apiError
		m.buyer.want(http.StatusBadRequest, "GET", "/api/v1/me/orders?status=lost", nil, &errBody)
		if errBody.Error.Fields["status"] == "" {
			t.Fatalf("fields %+v", errBody.Error)
		}
		var got order.Order
		m.buyer.want(http.StatusOK, "GET", "/api/v1/me/orders/"+c.ID, nil, &got)
		if got.Number != c.Number || len(got.Lines) != 1 || got.TotalFen != 1400 || len(got.Events) != 2 {
			t.Fatalf("my order %+v", got)
		}

		// The merchant: list with filters, transitions, illegal ones 409.
		base := "/api/v1/merchant/shops/" + m.shop.ID + "/orders"
		var shopList orderPage
		m.owner.want(http.StatusOK, "GET", base+"?status=paid&from=2020-01-01&to=2099-12-31", nil, &shopList)
		if len(shopList.Orders) != 1 || shopList.Orders[0].ID != c.ID {
			t.Fatalf("shop orders %+v", shopList)
		}
		m.owner.want(http.StatusBadRequest, "GET", base+"?from=yesterday", nil, nil)
		m.owner.want(http.StatusConflict, "POST", base+"/"+c.ID+"/transitions", map[string]any{"to": "shipped", "courier": "顺丰", "tracking_no": "SF1"}, &errBody)
		if !strings.Contains(errBody.Error.Message, "paid") {
			t.Fatalf("conflict message %q", errBody.Error.Message)
		}
		m.owner.want(http.StatusBadRequest, "POST", base+"/"+c.ID+"/transitions", map[string]any{"to": "lost"}, &errBody)
		if errBody.Error.Fields["to"] == "" {
			t.Fatalf("fields %+v", errBody.Error)
		}
		// A hold blocks.
		err := m.a.DB.RunInTx(m.ctx, func(ctx context.Context, tx bun.IDB) error {
			_, err := m.a.Orders.PlaceHold(ctx, tx, c.ID, "group_buy", "拼团中", "plugin:groupbuy")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		m.owner.want(http.StatusConflict, "POST", base+"/"+c.ID+"/transitions", map[string]any{"to": "accepted"}, &errBody)
		if !strings.Contains(errBody.Error.Message, "group_buy") {
			t.Fatalf("hold message %q", errBody.Error.Message)
		}
		err = m.a.DB.RunInTx(m.ctx, func(ctx context.Context, tx bun.IDB) error {
			return m.a.Orders.ReleaseHold(ctx, tx, c.ID, "group_buy", "plugin:groupbuy")
		})
		if err != nil {
			t.Fatal(err)
		}
		m.owner.want(http.StatusOK, "POST", base+"/"+c.ID+"/transitions", map[string]any{"to": "accepted", "note": "马上备货"}, &got)
		if got.Status != order.StatusAccepted || got.AcceptedAt == nil {
			t.Fatalf("accepted %+v", got)
		}
		// The shopper may no longer cancel.
		m.buyer.want(http.StatusConflict, "POST", "/api/v1/me/orders/"+c.ID+"/cancel", map[string]any{"reason": "不要了"}, nil)

		// Refunds: bad input is a field error and writes nothing.
		line := got.Lines[0].ID
		refunds := base + "/" + c.ID + "/refunds"
		for _, bad := range []struct {
			body  string
			field string
		}{
			{`{"lines":[{"line_id":"` + line + `","qty":0}],"reason":"坏了"}`, "lines.0.qty"},
			{`{"lines":[{"line_id":"` + line + `","qty":-1}],"reason":"坏了"}`, "lines.0.qty"},
			{`{"lines":[{"line_id":"` + line + `","qty":1.5}],"reason":"坏了"}`, "lines.qty"},
			{`{"lines":[{"line_id":"` + line + `","qty":1e30}],"reason":"坏了"}`, "lines.qty"},
			{`{"lines":[{"line_id":"` + line + `","qty":4}],"reason":"坏了"}`, "lines.0.qty"},
			{`{"lines":[{"line_id":"` + tenants.NewID() + `","qty":1}],"reason":"坏了"}`, "lines.0.line_id"},
			{`{"lines":[{"line_id":"` + line + `","qty":1}]}`, "reason"},
			{`{"whole":false,"reason":"坏了"}`, "lines"},
		} {
			code, body := m.owner.send("POST", refunds, []byte(bad.body), "application/json")
			if code != http.StatusBadRequest || !strings.Contains(string(body), `"`+bad.field+`"`) {
				t.Fatalf("%s: %d %s", bad.body, code, body)
			}
		}
		if n := m.count((*order.Refund)(nil)); n != 0 || len(m.f.Refunds) != 0 {
			t.Fatalf("bad refunds wrote %d", n)
		}
		var rf order.Refund
		m.owner.want(http.StatusCreated, "POST", refunds, map[string]any{"lines": []map[string]any{{"line_id": line, "qty": 1}}, "reason": "坏了一个"}, &rf)
		if rf.AmountFen != 300 || !rf.Restock || len(m.f.Restocked) != 1 {
			t.Fatalf("refund %+v", rf)
		}
		staff := m.user("店员", authz.MerchantStaff, merchant.OwnerDomain(m.tenant.ID, m.shop.ID))
		staff.want(http.StatusForbidden, "POST", refunds, map[string]any{"whole": true, "reason": "x"}, nil)
		staff.want(http.StatusOK, "GET", base+"/"+c.ID, nil, &got)
		if got.RefundedFen != 300 || got.PaymentStatus != order.PaymentPartiallyRefunded || len(got.Refunds) != 1 {
			t.Fatalf("after refund %+v", got)
		}

		// The tenant admin sees every order; the owner may not list them all.
		var all orderPage
		m.admin.want(http.StatusOK, "GET", "/api/v1/admin/orders?limit=200", nil, &all)
		if len(all.Orders) != 4 {
			t.Fatalf("admin orders %d", len(all.Orders))
		}
		m.owner.want(http.StatusForbidden, "GET", "/api/v1/admin/orders", nil, nil)

		// The pickup point: its queue, a refused handover writes nothing,
		// the right one hands over.
		for _, to := range []string{"accepted", "packed", "ready_for_pickup"} {
			m.owner2.want(http.StatusOK, "POST", "/api/v1/merchant/shops/"+m.shop2.ID+"/orders/"+p.ID+"/transitions", map[string]any{"to": to}, nil)
		}
		var queue struct {
			Orders []order.PickupOrder `json:"orders"`
		}
		body := m.op.want(http.StatusOK, "GET", "/api/v1/pickup/points/"+m.point+"/orders", nil, &queue)
		if len(queue.Orders) != 1 || queue.Orders[0].Status != order.StatusReadyForPickup || strings.Contains(string(body), p.PickupCode) {
			t.Fatalf("queue %s", body)
		}
		hand := "/api/v1/pickup/points/" + m.point + "/handover"
		wrong := strconv.Itoa((mustAtoi(t, p.PickupCode) + 1) % 1_000_000)
		wrong = strings.Repeat("0", 6-len(wrong)) + wrong
		for _, bad := range []map[string]any{
			{"number": p.Number, "pickup_code": wrong, "name": "李四"},
			{"number": p.Number, "pickup_code": p.PickupCode, "name": "王五"},
		} {
			m.op.want(http.StatusBadRequest, "POST", hand, bad, nil)
		}
		m.op.want(http.StatusBadRequest, "POST", hand, map[string]any{"number": p.Number, "pickup_code": "12ab", "name": "李四"}, &errBody)
		if errBody.Error.Fields["pickup_code"] == "" {
			t.Fatalf("fields %+v", errBody.Error)
		}
		m.buyer.want(http.StatusOK, "GET", "/api/v1/me/orders/"+p.ID, nil, &got)
		if got.Status != order.StatusReadyForPickup || got.HandedOverBy != nil {
			t.Fatalf("refused handover wrote %+v", got)
		}
		m.owner.want(http.StatusNotFound, "POST", hand, map[string]any{"number": p.Number, "pickup_code": p.PickupCode, "name": "李四"}, nil)
		var handed order.PickupOrder
		m.op.want(http.StatusOK, "POST", hand, map[string]any{"number": p.Number, "pickup_code": p.PickupCode, "name": "李四"}, &handed)
		if handed.Status != order.StatusPickedUp || handed.HandedOverBy == nil || *handed.HandedOverBy != m.op.userID {
			t.Fatalf("handed %+v", handed)
		}

		// The public lookup: date, paid, shipped, status; nothing else.
		anon := m.anonymous()
		var res map[string]any
		body = anon.want(http.StatusOK, "POST", "/api/v1/orders/lookup", map[string]any{"number": p.Number, "phone_last4": "9000"}, &res)
		if res["status"] != order.StatusPickedUp || res["paid"] != true || res["shipped"] != true || len(res) != 6 ||
			strings.Contains(string(body), "李四") {
			t.Fatalf("lookup %s", body)
		}
		anon.want(http.StatusNotFound, "POST", "/api/v1/orders/lookup", map[string]any{"number": p.Number, "phone_last4": "0000"}, nil)
		anon.want(http.StatusBadRequest, "POST", "/api/v1/orders/lookup", map[string]any{"number": "x", "phone_last4": "12"}, nil)
		for range order.LookupsPerIP {
			anon.do("POST", "/api/v1/orders/lookup", map[string]any{"number": p.Number, "phone_last4": "0000"})
		}
		code, _ := anon.do("POST", "/api/v1/orders/lookup", map[string]any{"number": p.Number, "phone_last4": "9000"})
		if code != http.StatusTooManyRequests {
			t.Fatalf("throttled lookup: %d", code)
		}
		// The shopper cancels the unpaid pickup order of the second checkout.
		m.buyer.want(http.StatusOK, "GET", "/api/v1/me/orders?status=pending_payment", nil, &mine)
		if len(mine.Orders) != 2 {
			t.Fatalf("unpaid %+v", mine)
		}
		m.buyer.want(http.StatusOK, "POST", "/api/v1/me/orders/"+mine.Orders[0].ID+"/cancel", nil, &got)
		if got.Status != order.StatusCancelled {
			t.Fatalf("cancelled %+v", got)
		}
	})
}

func mustAtoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestHTTPOrdersOfOthersIs404: another tenant's, another shop's and
// another shopper's callers get 404 on every order route, and learn
// nothing.
func TestHTTPOrdersOfOthersIs404(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		home, away := newMarket(t, a, h), newMarket(t, a, h)
		m := newOrderMarket(t, home)
		c, p := m.place(m.buyer, order.PaymentPaid)
		var full order.Order
		m.owner.want(http.StatusOK, "GET", "/api/v1/merchant/shops/"+m.shop.ID+"/orders/"+c.ID, nil, &full)
		secrets := []string{c.Number, p.Number, "王芳", "李四", c.ID}
		check := func(who *shopper, method, path string, v any, status int) {
			t.Helper()
			code, body := who.do(method, path, v)
			if code != status {
				t.Fatalf("%s %s: want %d, got %d: %s", method, path, status, code, body)
			}
			for _, s := range secrets {
				if strings.Contains(string(body), s) {
					t.Fatalf("%s %s: body reveals %q: %s", method, path, s, body)
				}
			}
		}
		base := "/api/v1/merchant/shops/" + m.shop.ID + "/orders/" + c.ID
		refund := map[string]any{"lines": []map[string]any{{"line_id": full.Lines[0].ID, "qty": 1}}, "reason": "x"}
		merchantRoutes := []struct {
			method, path string
			body         any
		}{
			{"GET", "/api/v1/merchant/shops/" + m.shop.ID + "/orders", nil},
			{"GET", base, nil},
			{"POST", base + "/transitions", map[string]any{"to": "accepted"}},
			{"POST", base + "/refunds", refund},
		}
		stranger := home.user("路人", "", "")
		for _, who := range []*shopper{away.admin, away.user("mallory", "", ""), m.owner2, stranger} {
			for _, r := range merchantRoutes {
				check(who, r.method, r.path, r.body, http.StatusNotFound)
			}
		}
		// Another shop's routes with this shop's order.
		ob := "/api/v1/merchant/shops/" + m.shop2.ID + "/orders/" + c.ID
		check(m.owner2, "GET", ob, nil, http.StatusNotFound)
		check(m.owner2, "POST", ob+"/transitions", map[string]any{"to": "accepted"}, http.StatusNotFound)
		check(m.owner2, "POST", ob+"/refunds", refund, http.StatusNotFound)
		// Another shopper's order, another tenant's shopper.
		for _, who := range []*shopper{stranger, away.user("mallory2", "", "")} {
			check(who, "GET", "/api/v1/me/orders/"+c.ID, nil, http.StatusNotFound)
			check(who, "POST", "/api/v1/me/orders/"+c.ID+"/cancel", nil, http.StatusNotFound)
		}
		var list orderPage
		stranger.want(http.StatusOK, "GET", "/api/v1/me/orders", nil, &list)
		if len(list.Orders) != 0 {
			t.Fatalf("stranger sees %+v", list)
		}
		away.admin.want(http.StatusOK, "GET", "/api/v1/admin/orders", nil, &list)
		if len(list.Orders) != 0 {
			t.Fatalf("another tenant's admin sees %+v", list)
		}
		// Pickup routes: another tenant's operator, an operator of another point.
		awayOp := away.user("外站长", authz.PickupOperator, authz.TenantDomain(away.tenant.ID))
		otherOp := home.user("别站长", authz.PickupOperator, authz.TenantDomain(home.tenant.ID))
		for _, who := range []*shopper{awayOp, otherOp} {
			check(who, "GET", "/api/v1/pickup/points/"+m.point+"/orders", nil, http.StatusNotFound)
			check(who, "POST", "/api/v1/pickup/points/"+m.point+"/handover",
				map[string]any{"number": p.Number, "pickup_code": p.PickupCode, "name": "李四"}, http.StatusNotFound)
		}
		// Another tenant's lookup does not find it.
		away.anonymous().want(http.StatusNotFound, "POST", "/api/v1/orders/lookup", map[string]any{"number": p.Number, "phone_last4": "9000"}, nil)
		// Nothing changed.
		m.owner.want(http.StatusOK, "GET", "/api/v1/merchant/shops/"+m.shop.ID+"/orders/"+c.ID, nil, &full)
		if full.Status != order.StatusPaid || full.RefundedFen != 0 || len(m.f.Refunds) != 0 {
			t.Fatalf("order changed %+v", full)
		}
	})
}
