package httpapi_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/dispatch"
	"github.com/jishi-dev/jishi/core/dispatch/dispatchtest"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/order"
	"github.com/jishi-dev/jishi/core/order/ordertest"
	"github.com/uptrace/bun"
)

// dispatchShop is a shop with one stocked SKU and a shopper who buys it.
type dispatchShop struct {
	sh    *merchant.Shop
	owner *shopper
	buyer *shopper
	sku   string
}

func (s *market) dispatchShop(slug string) *dispatchShop {
	s.t.Helper()
	sh, owner := s.openShop(slug)
	sku := s.stockedSKU(owner, sh, strings.ToUpper(slug)+"-1")
	var w inventory.Warehouse
	owner.want(http.StatusCreated, "POST", "/api/v1/merchant/shops/"+sh.ID+"/warehouses", map[string]any{"name": "冷库 " + slug}, &w)
	owner.want(http.StatusCreated, "POST", "/api/v1/merchant/shops/"+sh.ID+"/lots", map[string]any{"sku_id": sku,
		"warehouse_id": w.ID, "quantity": 100, "best_before": s.stockDay(5), "producer": "李大爷", "base": "岳麓山基地"}, nil)
	return &dispatchShop{sh: sh, owner: owner, buyer: s.user("buyer-"+slug, "", ""), sku: sku}
}

func (s *market) placeAt(ds *dispatchShop, at time.Time) *order.Order {
	s.t.Helper()
	o, err := dispatchtest.Place(s.ctx, s.a, dispatchtest.Spec{ShopID: ds.sh.ID, UserID: ds.buyer.userID,
		Delivery: ordertest.Courier(s.yuelu.ID, 800, 0), Lines: []order.LineInput{ordertest.Line(ds.sku, 2, 500)}, PlacedAt: at})
	if err != nil {
		s.t.Fatal(err)
	}
	return o
}

func (s *market) orderStatus(id string) string {
	s.t.Helper()
	var o *order.Order
	err := s.a.DB.RunInReadTx(s.ctx, func(ctx context.Context, tx bun.IDB) (err error) {
		o, err = s.a.Orders.Order(ctx, tx, id)
		return err
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return o.Status
}

// TestHTTPDispatch: the day's batch, its CSV (BOM, header, Chinese
// text), the pick list, batch shipping with a per-order report, bad
// ship requests refused field by field with nothing written, and the
// at-risk lists of the shop and of the tenant.
func TestHTTPDispatch(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		s := newMarket(t, a, h)
		ds := s.dispatchShop("dispatch-veg")
		loc := s.tenant.Location()
		in := s.placeAt(ds, time.Date(2026, 3, 10, 13, 59, 0, 0, loc))
		out := s.placeAt(ds, time.Date(2026, 3, 10, 14, 1, 0, 0, loc))
		held := s.placeAt(ds, time.Date(2026, 3, 10, 9, 0, 0, 0, loc))
		if err := dispatchtest.Hold(s.ctx, a, held.ID, "group_buy"); err != nil {
			t.Fatal(err)
		}
		base := "/api/v1/merchant/shops/" + ds.sh.ID + "/dispatch"

		var b dispatch.Batch
		ds.owner.want(http.StatusOK, "GET", base+"?date=2026-03-10", nil, &b)
		if len(b.Orders) != 1 || b.Orders[0].Number != in.Number || len(b.Held) != 1 || b.Held[0].Number != held.Number ||
			b.Cutoff != "14:00" || len(b.Orders[0].Lines) != 1 || b.Orders[0].Lines[0].Lots[0].Producer != "李大爷" {
			t.Fatalf("batch %+v", b)
		}
		ds.owner.want(http.StatusOK, "GET", base+"?date=2026-03-11", nil, &b)
		if len(b.Orders) != 1 || b.Orders[0].Number != out.Number {
			t.Fatalf("next day %+v", b)
		}
		for _, bad := range []string{"2026-02-30", "yesterday", "2026-3-1"} {
			var e apiError
			ds.owner.want(http.StatusBadRequest, "GET", base+"?date="+bad, nil, &e)
			if e.Error.Fields["date"] == "" {
				t.Fatalf("date %s: %+v", bad, e)
			}
		}

		code, body := ds.owner.do("GET", base+"/orders.csv?date=2026-03-10", nil)
		if code != http.StatusOK || !bytes.HasPrefix(body, []byte("\xEF\xBB\xBF")) {
			t.Fatalf("csv %d %q", code, body)
		}
		rows, err := csv.NewReader(bytes.NewReader(body[3:])).ReadAll()
		if err != nil || len(rows) != 2 || rows[0][0] != "订单号" || rows[1][0] != in.Number || rows[1][2] != "王芳" ||
			!strings.Contains(rows[1][7], "小白菜") || rows[1][12] != "18.00" {
			t.Fatalf("csv rows %q %v", rows, err)
		}
		code, _ = ds.owner.do("GET", base+"/orders.csv?date=2026-99-01", nil)
		if code != http.StatusBadRequest {
			t.Fatalf("csv bad date: %d", code)
		}

		var pl dispatch.PickList
		ds.owner.want(http.StatusOK, "GET", base+"/pick-list?date=2026-03-10", nil, &pl)
		if len(pl.Warehouses) != 1 || pl.Warehouses[0].Name != "冷库 dispatch-veg" || pl.Warehouses[0].Items[0].Qty != 2 ||
			pl.Warehouses[0].Items[0].Orders[0].Number != in.Number {
			t.Fatalf("pick list %+v", pl)
		}

		// Bad ship requests: a field error each, nothing shipped.
		long := strings.Repeat("8", dispatch.TrackingMax+1)
		for _, c := range []struct {
			body  any
			field string
		}{
			{map[string]any{"courier": "顺丰", "orders": []any{}}, "orders"},
			{map[string]any{"courier": "顺丰"}, "orders"},
			{map[string]any{"courier": "顺丰", "orders": []any{map[string]any{"order_id": "01900000-0000-7000-8000-000000000000", "tracking_no": "SF1"}}}, "orders.0.order_id"},
			{map[string]any{"courier": "顺丰", "orders": []any{map[string]any{"order_id": in.ID, "tracking_no": long}}}, "orders.0.tracking_no"},
			{map[string]any{"courier": "顺丰", "orders": []any{map[string]any{"order_id": in.ID, "tracking_no": 12.5}}}, "orders.tracking_no"},
			{map[string]any{"orders": []any{map[string]any{"order_id": in.ID, "tracking_no": "SF1"}}}, "orders.0.courier"},
			{map[string]any{"courier": "顺丰", "orders": "all"}, "orders"},
			{map[string]any{"courier": "顺丰", "orders": []any{map[string]any{"order_id": in.ID, "tracking_no": "SF1"},
				map[string]any{"order_id": out.ID, "tracking_no": "SF1"}}}, "orders.1.tracking_no"},
		} {
			var e apiError
			ds.owner.want(http.StatusBadRequest, "POST", base+"/ship", c.body, &e)
			if e.Error.Fields[c.field] == "" {
				t.Fatalf("%v: fields %+v", c.body, e.Error)
			}
		}
		for _, o := range []*order.Order{in, out, held} {
			if st := s.orderStatus(o.ID); st != order.StatusPaid {
				t.Fatalf("bad request moved %s to %s", o.Number, st)
			}
		}

		var rep dispatch.ShipReport
		ds.owner.want(http.StatusOK, "POST", base+"/ship", map[string]any{"courier": "顺丰", "orders": []any{
			map[string]any{"order_id": in.ID, "tracking_no": "SF2001"},
			map[string]any{"order_id": held.ID, "tracking_no": "SF2002", "courier": "京东"},
		}}, &rep)
		if rep.Shipped != 1 || rep.Failed != 1 || !rep.Results[0].Shipped || rep.Results[1].Shipped ||
			rep.Results[1].Error == nil || rep.Results[1].Error.Code != "conflict" || !strings.Contains(rep.Results[1].Error.Message, "group_buy") {
			t.Fatalf("report %+v %+v", rep, rep.Results[1].Error)
		}
		if s.orderStatus(in.ID) != order.StatusShipped || s.orderStatus(held.ID) != order.StatusPaid {
			t.Fatal("statuses after ship")
		}

		// At risk: an order placed 23 hours ago must ship within the hour.
		late := s.placeAt(ds, time.Now().Add(-23*time.Hour))
		s.placeAt(ds, time.Now().Add(-time.Hour))
		var risk dispatch.AtRisk
		ds.owner.want(http.StatusOK, "GET", base+"/at-risk", nil, &risk)
		found := false
		for _, o := range risk.Orders {
			if o.ID == late.ID {
				found = o.Risk == dispatch.RiskShip && !o.Overdue && o.Phone == "13800138000"
			}
			if o.PlacedAt.After(time.Now().Add(-20 * time.Hour)) {
				t.Fatalf("fresh order at risk: %+v", o)
			}
		}
		if !found || risk.Hours != dispatch.DefaultRiskHours {
			t.Fatalf("at risk %+v", risk)
		}
		s.admin.want(http.StatusOK, "GET", "/api/v1/admin/at-risk?hours=2", nil, &risk)
		if len(risk.Orders) == 0 || risk.Hours != 2 {
			t.Fatalf("tenant at risk %+v", risk)
		}
		for _, bad := range []string{"-1", "49", "1.5", "soon"} {
			var e apiError
			ds.owner.want(http.StatusBadRequest, "GET", base+"/at-risk?hours="+bad, nil, &e)
			if e.Error.Fields["hours"] == "" {
				t.Fatalf("hours %s: %+v", bad, e)
			}
			s.admin.want(http.StatusBadRequest, "GET", "/api/v1/admin/at-risk?hours="+bad, nil, &e)
		}
		ds.owner.want(http.StatusForbidden, "GET", "/api/v1/admin/at-risk", nil, nil)
		ds.buyer.want(http.StatusForbidden, "GET", "/api/v1/admin/at-risk", nil, nil)
	})
}

// TestHTTPDispatchOfOthersIs404: another tenant's admin and accounts,
// another shop's owner and a shopper get 404 on every dispatch route of
// the shop, and the answers reveal nothing; another shop's orders cannot
// be shipped through one's own shop.
func TestHTTPDispatchOfOthersIs404(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		home, away := newMarket(t, a, h), newMarket(t, a, h)
		ds := home.dispatchShop("dispatch-secret")
		o := home.placeAt(ds, time.Date(2026, 3, 10, 10, 0, 0, 0, home.tenant.Location()))
		next := home.dispatchShop("dispatch-next")
		awayShop := away.dispatchShop("dispatch-away")
		base := "/api/v1/merchant/shops/" + ds.sh.ID + "/dispatch"
		ship := map[string]any{"courier": "顺丰", "orders": []any{map[string]any{"order_id": o.ID, "tracking_no": "SF1"}}}
		routes := []struct {
			method, path string
			body         any
		}{
			{"GET", base + "?date=2026-03-10", nil},
			{"GET", base + "/orders.csv?date=2026-03-10", nil},
			{"GET", base + "/pick-list?date=2026-03-10", nil},
			{"POST", base + "/ship", ship},
			{"GET", base + "/at-risk", nil},
		}
		for _, who := range []*shopper{away.admin, awayShop.owner, next.owner, ds.buyer} {
			for _, r := range routes {
				code, body := who.do(r.method, r.path, r.body)
				if code != http.StatusNotFound {
					t.Fatalf("%s %s: want 404, got %d: %s", r.method, r.path, code, body)
				}
				for _, secret := range []string{o.Number, o.ID, "王芳", "李大爷"} {
					if strings.Contains(string(body), secret) {
						t.Fatalf("%s %s reveals %q", r.method, r.path, secret)
					}
				}
			}
		}
		// Through one's own shop: another shop's order is not one's own.
		var e apiError
		next.owner.want(http.StatusBadRequest, "POST", "/api/v1/merchant/shops/"+next.sh.ID+"/dispatch/ship", ship, &e)
		if e.Error.Fields["orders.0.order_id"] == "" {
			t.Fatalf("fields %+v", e.Error)
		}
		// Another tenant's shop with a home account.
		ds.owner.want(http.StatusNotFound, "GET", "/api/v1/merchant/shops/"+awayShop.sh.ID+"/dispatch", nil, nil)
		// The other tenant's admin sees none of home's orders at risk.
		home.placeAt(ds, time.Now().Add(-30*time.Hour))
		var risk dispatch.AtRisk
		away.admin.want(http.StatusOK, "GET", "/api/v1/admin/at-risk?hours=48", nil, &risk)
		if len(risk.Orders) != 0 {
			t.Fatalf("away sees %+v", risk.Orders)
		}
		if home.orderStatus(o.ID) != order.StatusPaid {
			t.Fatal("an outsider shipped the order")
		}
	})
}
