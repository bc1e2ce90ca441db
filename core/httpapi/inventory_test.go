package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/uptrace/bun"
)

// stockDay is today plus n days in the market's time zone.
func (s *market) stockDay(n int) string {
	return string(inventory.DateOf(time.Now().In(s.tenant.Location())).AddDays(n))
}

// stockedSKU creates an active product with one SKU in shop sh and
// returns the SKU's id.
func (s *market) stockedSKU(owner *shopper, sh *merchant.Shop, code string) string {
	s.t.Helper()
	var cat string
	err := s.a.DB.RunInReadTx(s.ctx, func(ctx context.Context, tx bun.IDB) error {
		tree, err := catalog.Tree(ctx, tx)
		for _, c := range tree {
			for _, k := range c.Children {
				if k.Code == "vegetables" {
					cat = k.ID
				}
			}
		}
		return err
	})
	if err != nil || cat == "" {
		s.t.Fatalf("category: %v", err)
	}
	var pr catalog.Product
	owner.want(http.StatusCreated, "POST", "/api/v1/merchant/shops/"+sh.ID+"/products", map[string]any{
		"category_id": cat, "name": "小白菜 " + code, "status": "active",
		"skus": []map[string]any{{"code": code, "spec": "500g", "price_fen": 500}},
	}, &pr)
	return pr.SKUs[0].ID
}

type stockPage struct {
	SKUID     string           `json:"sku_id"`
	Available int              `json:"available"`
	Threshold int              `json:"threshold"`
	Lots      []*inventory.Lot `json:"lots"`
	HasMore   bool             `json:"has_more"`
}

func TestHTTPStockFlow(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		s := newMarket(t, a, h)
		sh, owner := s.openShop("stock-veg")
		sku := s.stockedSKU(owner, sh, "XBC-1")

		// The tenant admin sets up the main and a district warehouse.
		var main, district, own inventory.Warehouse
		s.admin.want(http.StatusCreated, "POST", "/api/v1/admin/warehouses",
			map[string]any{"kind": "main", "name": "长沙总仓", "region_id": s.yuelu.ID, "cold": true,
				"serves_region_ids": []string{s.yuelu.ID, s.furong.ID}}, &main)
		s.admin.want(http.StatusCreated, "POST", "/api/v1/admin/warehouses",
			map[string]any{"kind": "district", "name": "芙蓉分仓", "region_id": s.furong.ID}, &district)
		if !main.Cold || len(main.ServesRegionIDs) != 2 || district.Kind != "district" {
			t.Fatalf("warehouses %+v %+v", main, district)
		}
		var errBody apiError
		s.admin.want(http.StatusBadRequest, "POST", "/api/v1/admin/warehouses",
			map[string]any{"kind": "shop", "name": "", "region_id": s.yuelu.ID}, &errBody)
		if errBody.Error.Fields["kind"] == "" || errBody.Error.Fields["name"] == "" {
			t.Fatalf("fields %+v", errBody.Error)
		}
		s.admin.want(http.StatusConflict, "POST", "/api/v1/admin/warehouses",
			map[string]any{"kind": "main", "name": "第二总仓", "region_id": s.yuelu.ID}, nil)
		var all struct{ Warehouses []inventory.Warehouse }
		s.admin.want(http.StatusOK, "GET", "/api/v1/admin/warehouses", nil, &all)
		if len(all.Warehouses) != 2 {
			t.Fatalf("tenant warehouses %+v", all)
		}
		// The shop owner may not touch the tenant's warehouses.
		owner.want(http.StatusForbidden, "GET", "/api/v1/admin/warehouses", nil, nil)
		owner.want(http.StatusForbidden, "POST", "/api/v1/admin/warehouses",
			map[string]any{"kind": "district", "name": "x", "region_id": s.yuelu.ID}, nil)

		// The shop makes its own warehouse and sees all three.
		owner.want(http.StatusCreated, "POST", "/api/v1/merchant/shops/"+sh.ID+"/warehouses",
			map[string]any{"name": "菜园冷库", "cold": true}, &own)
		if own.Kind != "shop" || own.RegionID != s.yuelu.ID {
			t.Fatalf("shop warehouse %+v", own)
		}
		var mine struct{ Warehouses []inventory.Warehouse }
		owner.want(http.StatusOK, "GET", "/api/v1/merchant/shops/"+sh.ID+"/warehouses", nil, &mine)
		if len(mine.Warehouses) != 3 {
			t.Fatalf("shop warehouses %+v", mine)
		}

		// Receive, with bad input first: field errors, nothing written.
		lot := map[string]any{"sku_id": sku, "warehouse_id": own.ID, "quantity": 40, "received_on": s.stockDay(-1),
			"best_before": s.stockDay(2), "producer": "李大爷", "base": "岳麓山基地", "harvested_on": s.stockDay(-2),
			"residue_test": "合格"}
		for field, bad := range map[string]any{"quantity": 1.5, "best_before": "tomorrow", "received_on": s.stockDay(1)} {
			in := map[string]any{}
			for k, v := range lot {
				in[k] = v
			}
			in[field] = bad
			var e apiError
			owner.want(http.StatusBadRequest, "POST", "/api/v1/merchant/shops/"+sh.ID+"/lots", in, &e)
			if e.Error.Fields[field] == "" {
				t.Fatalf("%s=%v: fields %+v", field, bad, e.Error)
			}
		}
		in := map[string]any{"sku_id": sku, "warehouse_id": own.ID, "quantity": 0, "best_before": "2020-01-01", "producer": ""}
		owner.want(http.StatusBadRequest, "POST", "/api/v1/merchant/shops/"+sh.ID+"/lots", in, &errBody)
		for _, f := range []string{"quantity", "best_before", "producer"} {
			if errBody.Error.Fields[f] == "" {
				t.Fatalf("missing field error %s: %+v", f, errBody.Error)
			}
		}
		var st stockPage
		owner.want(http.StatusOK, "GET", "/api/v1/merchant/shops/"+sh.ID+"/skus/"+sku+"/lots?empty=true", nil, &st)
		if len(st.Lots) != 0 || st.Available != 0 || st.Threshold != 30 {
			t.Fatalf("bad input wrote: %+v", st)
		}
		var l inventory.Lot
		owner.want(http.StatusCreated, "POST", "/api/v1/merchant/shops/"+sh.ID+"/lots", lot, &l)
		if l.OnHand != 40 || l.Available != 40 || l.Producer != "李大爷" {
			t.Fatalf("lot %+v", l)
		}
		staff := s.user("staff", authz.MerchantStaff, merchant.OwnerDomain(s.tenant.ID, sh.ID))
		lot2 := map[string]any{"sku_id": sku, "warehouse_id": main.ID, "quantity": 5, "best_before": s.stockDay(10), "producer": "合作社"}
		staff.want(http.StatusCreated, "POST", "/api/v1/merchant/shops/"+sh.ID+"/lots", lot2, nil)
		owner.want(http.StatusOK, "GET", "/api/v1/merchant/shops/"+sh.ID+"/skus/"+sku+"/lots?limit=1", nil, &st)
		if len(st.Lots) != 1 || !st.HasMore || st.Available != 45 || st.Lots[0].ID != l.ID {
			t.Fatalf("lots %+v", st)
		}

		// Adjust: damage, then too much.
		var adj inventory.Lot
		owner.want(http.StatusOK, "POST", "/api/v1/merchant/shops/"+sh.ID+"/adjustments",
			map[string]any{"lot_id": l.ID, "delta": -3, "reason": "damage", "note": "压坏"}, &adj)
		if adj.OnHand != 37 {
			t.Fatalf("adjusted %+v", adj)
		}
		owner.want(http.StatusConflict, "POST", "/api/v1/merchant/shops/"+sh.ID+"/adjustments",
			map[string]any{"lot_id": l.ID, "delta": -38, "reason": "count"}, nil)
		owner.want(http.StatusBadRequest, "POST", "/api/v1/merchant/shops/"+sh.ID+"/adjustments",
			map[string]any{"lot_id": l.ID, "delta": 3, "reason": "damage"}, &errBody)
		if errBody.Error.Fields["delta"] == "" {
			t.Fatalf("fields %+v", errBody.Error)
		}
		var ms struct{ Movements []inventory.Movement }
		owner.want(http.StatusOK, "GET", "/api/v1/merchant/shops/"+sh.ID+"/lots/"+l.ID+"/movements", nil, &ms)
		sum := 0
		for _, m := range ms.Movements {
			sum += m.OnHandDelta
		}
		if len(ms.Movements) != 2 || sum != 37 || ms.Movements[1].Reason != "damage" {
			t.Fatalf("movements %+v", ms)
		}

		// Alerts: 42 available is above the default 30; a threshold of 50
		// puts it on the list; the 2-day lot is expiring within 3 days.
		var al inventory.Alerts
		owner.want(http.StatusOK, "GET", "/api/v1/merchant/shops/"+sh.ID+"/stock-alerts", nil, &al)
		if len(al.LowStock) != 0 || len(al.Expiring) != 1 || al.Expiring[0].ID != l.ID || al.Days != 3 {
			t.Fatalf("alerts %+v", al)
		}
		owner.want(http.StatusOK, "PUT", "/api/v1/merchant/shops/"+sh.ID+"/skus/"+sku+"/threshold", map[string]any{"threshold": 50}, nil)
		owner.want(http.StatusBadRequest, "PUT", "/api/v1/merchant/shops/"+sh.ID+"/skus/"+sku+"/threshold", map[string]any{"threshold": -1}, nil)
		owner.want(http.StatusOK, "GET", "/api/v1/merchant/shops/"+sh.ID+"/stock-alerts?days=1", nil, &al)
		if len(al.LowStock) != 1 || al.LowStock[0].Available != 42 || al.LowStock[0].Threshold != 50 || len(al.Expiring) != 0 {
			t.Fatalf("alerts %+v", al)
		}
		owner.want(http.StatusBadRequest, "GET", "/api/v1/merchant/shops/"+sh.ID+"/stock-alerts?days=x", nil, nil)
		owner.want(http.StatusBadRequest, "GET", "/api/v1/merchant/shops/"+sh.ID+"/stock-alerts?days=365", nil, nil)
	})
}

func TestHTTPStockOfOthersIs404(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		home, away := newMarket(t, a, h), newMarket(t, a, h)
		sh, owner := home.openShop("stock-secret")
		sku := home.stockedSKU(owner, sh, "SECRET-1")
		var own inventory.Warehouse
		owner.want(http.StatusCreated, "POST", "/api/v1/merchant/shops/"+sh.ID+"/warehouses", map[string]any{"name": "秘密冷库"}, &own)
		var l inventory.Lot
		owner.want(http.StatusCreated, "POST", "/api/v1/merchant/shops/"+sh.ID+"/lots", map[string]any{"sku_id": sku,
			"warehouse_id": own.ID, "quantity": 10, "best_before": home.stockDay(5), "producer": "秘密农场"}, &l)

		secrets := []string{sh.ID, sku, own.ID, l.ID, "秘密"}
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
		base := "/api/v1/merchant/shops/" + sh.ID
		routes := []struct {
			method, path string
			body         any
		}{
			{"GET", base + "/warehouses", nil},
			{"POST", base + "/warehouses", map[string]any{"name": "偷偷建的仓"}},
			{"POST", base + "/lots", map[string]any{"sku_id": sku, "warehouse_id": own.ID, "quantity": 1, "best_before": home.stockDay(5), "producer": "x"}},
			{"GET", base + "/skus/" + sku + "/lots", nil},
			{"PUT", base + "/skus/" + sku + "/threshold", map[string]any{"threshold": 1}},
			{"POST", base + "/adjustments", map[string]any{"lot_id": l.ID, "delta": -1, "reason": "damage"}},
			{"GET", base + "/lots/" + l.ID + "/movements", nil},
			{"GET", base + "/stock-alerts", nil},
		}
		otherShop, otherOwner := home.openShop("stock-next-door")
		buyer := home.user("shopper", "", "")
		for _, who := range []*shopper{away.admin, away.user("mallory", "", ""), otherOwner, buyer} {
			for _, r := range routes {
				check(who, r.method, r.path, r.body, http.StatusNotFound)
			}
		}
		// The other shop's own routes with this shop's ids.
		ob := "/api/v1/merchant/shops/" + otherShop.ID
		check(otherOwner, "POST", ob+"/lots", map[string]any{"sku_id": sku, "warehouse_id": own.ID, "quantity": 1, "best_before": home.stockDay(5), "producer": "x"}, http.StatusNotFound)
		otherSKU := home.stockedSKU(otherOwner, otherShop, "NEXT-1")
		check(otherOwner, "POST", ob+"/lots", map[string]any{"sku_id": otherSKU, "warehouse_id": own.ID, "quantity": 1, "best_before": home.stockDay(5), "producer": "x"}, http.StatusNotFound)
		check(otherOwner, "GET", ob+"/skus/"+sku+"/lots", nil, http.StatusNotFound)
		check(otherOwner, "POST", ob+"/adjustments", map[string]any{"lot_id": l.ID, "delta": -1, "reason": "damage"}, http.StatusNotFound)
		check(otherOwner, "GET", ob+"/lots/"+l.ID+"/movements", nil, http.StatusNotFound)
		// Shoppers and another tenant's admin cannot reach the tenant
		// routes of this tenant.
		check(buyer, "GET", "/api/v1/admin/warehouses", nil, http.StatusForbidden)
		check(buyer, "POST", "/api/v1/admin/warehouses", map[string]any{"kind": "main", "name": "x", "region_id": home.yuelu.ID}, http.StatusForbidden)
		// Another tenant's admin lists its own (empty) warehouses.
		var ws struct{ Warehouses []inventory.Warehouse }
		away.admin.want(http.StatusOK, "GET", "/api/v1/admin/warehouses", nil, &ws)
		if len(ws.Warehouses) != 0 {
			t.Fatalf("away sees %+v", ws)
		}
		// Nothing changed at home.
		var st stockPage
		owner.want(http.StatusOK, "GET", base+"/skus/"+sku+"/lots", nil, &st)
		if len(st.Lots) != 1 || st.Lots[0].OnHand != 10 || st.Threshold != 30 {
			t.Fatalf("home stock changed: %+v", st)
		}
	})
}
