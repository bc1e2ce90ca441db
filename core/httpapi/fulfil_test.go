package httpapi_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/fulfil"
	"github.com/jishi-dev/jishi/core/inventory"
	"github.com/jishi-dev/jishi/tenants"
)

type deliveryOptions struct {
	ShopID   string                 `json:"shop_id"`
	Options  []fulfil.Option        `json:"options"`
	Promises []fulfil.MethodPromise `json:"promises"`
}

func (o deliveryOptions) method(m string) *fulfil.Option {
	for i := range o.Options {
		if o.Options[i].Method == m {
			return &o.Options[i]
		}
	}
	return nil
}

var deliveryAllOn = map[string]any{
	"courier":   map[string]any{"enabled": true, "base_fen": 1000, "per_kg_fen": 300, "rules": []any{}},
	"express":   map[string]any{"enabled": true, "fee_fen": 800},
	"scheduled": map[string]any{"enabled": true, "fee_fen": 500, "days": 7},
	"pickup":    map[string]any{"enabled": true},
}

// with returns a copy of deliveryAllOn with method's key set to v.
func deliveryWith(method, key string, v any) map[string]any {
	out := map[string]any{}
	for m, x := range deliveryAllOn {
		c := map[string]any{}
		for k, y := range x.(map[string]any) {
			c[k] = y
		}
		out[m] = c
	}
	out[method].(map[string]any)[key] = v
	return out
}

func TestHTTPDeliverySettingsAndSlots(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		s := newMarket(t, a, h)
		sh, owner := s.openShop("deliver-veg")
		base := "/api/v1/merchant/shops/" + sh.ID

		var st fulfil.Settings
		owner.want(http.StatusOK, "GET", base+"/delivery", nil, &st)
		if st.Configured || !st.Courier.Enabled || !st.Pickup.Enabled || st.Express.Enabled || st.Courier.BaseFen != fulfil.DefaultCourierBaseFen {
			t.Fatalf("defaults %+v", st)
		}
		// Bad input: the field named, nothing written.
		for _, c := range []struct {
			body  any
			field string
		}{
			{deliveryWith("courier", "base_fen", -1), "courier.base_fen"},
			{deliveryWith("courier", "per_kg_fen", 1.5), "courier.per_kg_fen"},
			{deliveryWith("express", "fee_fen", 1e12), "express.fee_fen"},
			{deliveryWith("express", "fee_fen", 1e30), "express.fee_fen"},
			{deliveryWith("scheduled", "fee_fen", "5"), "scheduled.fee_fen"},
			{deliveryWith("scheduled", "days", 0.5), "scheduled.days"},
			{deliveryWith("scheduled", "days", 99), "scheduled.days"},
			{deliveryWith("courier", "rules", []any{map[string]any{"region_id": tenants.NewID(), "base_fen": 1}}), "courier.rules.0.region_id"},
			{map[string]any{"courier": map[string]any{"enabled": false}}, "methods"},
		} {
			var e apiError
			owner.want(http.StatusBadRequest, "PUT", base+"/delivery", c.body, &e)
			if e.Error.Fields[c.field] == "" {
				t.Errorf("%v: want field %s, got %+v", c.body, c.field, e.Error)
			}
		}
		owner.want(http.StatusOK, "GET", base+"/delivery", nil, &st)
		if st.Configured {
			t.Fatalf("bad input wrote %+v", st)
		}
		good := deliveryWith("courier", "rules", []any{map[string]any{"region_id": s.furong.ID, "base_fen": 1500, "per_kg_fen": 500}})
		owner.want(http.StatusOK, "PUT", base+"/delivery", good, &st)
		if !st.Configured || !st.Express.Enabled || len(st.Courier.Rules) != 1 || st.Courier.Rules[0].BaseFen != 1500 {
			t.Fatalf("saved %+v", st)
		}

		// Slots.
		a.Fulfil.Now = func() time.Time { return time.Now() }
		tomorrow := time.Now().In(s.tenant.Location()).AddDate(0, 0, 1).Format("2006-01-02")
		for _, c := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"date": tomorrow, "start": "09:00", "end": "11:00", "capacity": 0}, "capacity"},
			{map[string]any{"date": tomorrow, "start": "09:00", "end": "11:00", "capacity": -3}, "capacity"},
			{map[string]any{"date": tomorrow, "start": "09:00", "end": "11:00", "capacity": 2.5}, "capacity"},
			{map[string]any{"date": tomorrow, "start": "09:00", "end": "11:00", "capacity": 1e10}, "capacity"},
			{map[string]any{"date": tomorrow, "start": "09:00", "end": "11:00", "capacity": 100000}, "capacity"},
			{map[string]any{"date": "2020-01-01", "start": "09:00", "end": "11:00", "capacity": 5}, "date"},
			{map[string]any{"date": tomorrow, "start": "11:00", "end": "09:00", "capacity": 5}, "end"},
			{map[string]any{"date": tomorrow, "start": "25:00", "end": "26:00", "capacity": 5}, "start"},
			{map[string]any{"date": tomorrow, "start": "09:00", "end": "11:00", "capacity": 5, "days": 40}, "days"},
		} {
			var e apiError
			owner.want(http.StatusBadRequest, "POST", base+"/delivery-slots", c.body, &e)
			if e.Error.Fields[c.field] == "" {
				t.Errorf("%v: want field %s, got %+v", c.body, c.field, e.Error)
			}
		}
		var list struct{ Slots []*fulfil.Slot }
		owner.want(http.StatusOK, "GET", base+"/delivery-slots", nil, &list)
		if len(list.Slots) != 0 {
			t.Fatalf("bad slots wrote %+v", list.Slots)
		}
		owner.want(http.StatusCreated, "POST", base+"/delivery-slots",
			map[string]any{"date": tomorrow, "start": "09:00", "end": "11:00", "capacity": 5, "days": 3}, &list)
		if len(list.Slots) != 3 || list.Slots[0].Date != tomorrow || list.Slots[0].Start != "09:00" || list.Slots[2].Remaining != 5 {
			t.Fatalf("created %+v", list.Slots)
		}
		owner.want(http.StatusConflict, "POST", base+"/delivery-slots",
			map[string]any{"date": tomorrow, "start": "09:00", "end": "10:00", "capacity": 5}, nil)
		slot := list.Slots[0]
		for _, bad := range []any{0, -1, 1.5, 20000} {
			var e apiError
			owner.want(http.StatusBadRequest, "PUT", base+"/delivery-slots/"+slot.ID, map[string]any{"capacity": bad}, &e)
			if e.Error.Fields["capacity"] == "" {
				t.Errorf("capacity %v: %+v", bad, e.Error)
			}
		}
		var got fulfil.Slot
		owner.want(http.StatusOK, "PUT", base+"/delivery-slots/"+slot.ID, map[string]any{"capacity": 9}, &got)
		if got.Capacity != 9 || got.Remaining != 9 {
			t.Fatalf("capacity %+v", got)
		}
		owner.want(http.StatusNoContent, "DELETE", base+"/delivery-slots/"+slot.ID, nil, nil)
		owner.want(http.StatusNotFound, "DELETE", base+"/delivery-slots/"+slot.ID, nil, nil)
		owner.want(http.StatusOK, "GET", base+"/delivery-slots", nil, &list)
		if len(list.Slots) != 2 {
			t.Fatalf("after delete %+v", list.Slots)
		}

		// Public options for Furong: the rule's courier fee, two slots, no
		// pickup point yet; an unknown region is a field error.
		var opts deliveryOptions
		s.anonymous().want(http.StatusOK, "GET", "/api/v1/shops/"+sh.Slug+"/delivery-options?region="+s.furong.ID+"&weight_g=2500", nil, &opts)
		if c := opts.method("courier"); c == nil || c.FeeFen != 1500+2*500 {
			t.Fatalf("courier %+v", opts)
		}
		if sc := opts.method("scheduled"); sc == nil || len(sc.Slots) != 2 || opts.method("pickup") != nil || opts.method("express") != nil {
			t.Fatalf("options %+v", opts)
		}
		var e apiError
		s.anonymous().want(http.StatusBadRequest, "GET", "/api/v1/shops/"+sh.Slug+"/delivery-options?region="+tenants.NewID(), nil, &e)
		if e.Error.Fields["region"] == "" {
			t.Fatalf("unknown region %+v", e.Error)
		}
		s.anonymous().want(http.StatusBadRequest, "GET", "/api/v1/shops/"+sh.Slug+"/delivery-options", nil, &e)
		s.anonymous().want(http.StatusNotFound, "GET", "/api/v1/shops/no-such-shop/delivery-options?region="+s.furong.ID, nil, nil)
		s.anonymous().want(http.StatusNotFound, "GET", "/api/v1/shops/"+sh.Slug+"/delivery-options?region="+s.furong.ID+"&sku="+tenants.NewID(), nil, nil)

		// Anonymous callers must sign in.
		s.anonymous().want(http.StatusUnauthorized, "GET", base+"/delivery", nil, nil)
	})
}

// TestHTTPExpressBoundaries reads 限时送's promise from the public
// delivery options around 07:00, 19:00 and midnight in Asia/Shanghai,
// on an injected clock.
func TestHTTPExpressBoundaries(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		s := newMarket(t, a, h)
		sh, owner := s.openShop("express-veg")
		sku := s.stockedSKU(owner, sh, "EXP-1")
		var wh inventory.Warehouse
		s.admin.want(http.StatusCreated, "POST", "/api/v1/admin/warehouses",
			map[string]any{"kind": "main", "name": "岳麓总仓", "region_id": s.yuelu.ID}, &wh)
		owner.want(http.StatusCreated, "POST", "/api/v1/merchant/shops/"+sh.ID+"/lots", map[string]any{"sku_id": sku,
			"warehouse_id": wh.ID, "quantity": 10, "best_before": s.stockDay(5), "producer": "李大爷"}, nil)
		owner.want(http.StatusOK, "PUT", "/api/v1/merchant/shops/"+sh.ID+"/delivery", deliveryAllOn, nil)

		sha, _ := time.LoadLocation("Asia/Shanghai")
		y, m, dd := time.Now().In(sha).Date()
		clock := func(day, h, min int) time.Time { return time.Date(y, m, dd+day, h, min, 0, 0, sha) }
		path := "/api/v1/shops/" + sh.Slug + "/delivery-options?" + url.Values{"region": {s.yuelu.ID}, "sku": {sku}}.Encode()
		for _, c := range []struct {
			now    time.Time
			text   string
			latest time.Time
		}{
			{clock(0, 6, 59), "今早08:00前送达", clock(0, 8, 0)},
			{clock(0, 7, 0), "1小时内送达（预计 08:00 前）", clock(0, 8, 0)},
			{clock(0, 10, 35), "1小时内送达（预计 11:35 前）", clock(0, 11, 35)},
			{clock(0, 18, 59), "1小时内送达（预计 19:59 前）", clock(0, 19, 59)},
			{clock(0, 19, 0), "明早08:00前送达", clock(1, 8, 0)},
			{clock(0, 23, 59), "明早08:00前送达", clock(1, 8, 0)},
			{clock(1, 0, 0), "今早08:00前送达", clock(1, 8, 0)},
		} {
			now := c.now
			a.Fulfil.Now = func() time.Time { return now.UTC() }
			var opts deliveryOptions
			s.anonymous().want(http.StatusOK, "GET", path, nil, &opts)
			ex := opts.method("express")
			if ex == nil || ex.Promise.Text != c.text || !ex.Promise.Latest.Equal(c.latest) || ex.FeeFen != 800 {
				t.Errorf("at %s: express %+v, want %q by %s", c.now.Format("15:04"), ex, c.text, c.latest)
			}
		}
		// Furong has no serving warehouse: no express there.
		var opts deliveryOptions
		s.anonymous().want(http.StatusOK, "GET", "/api/v1/shops/"+sh.Slug+"/delivery-options?region="+s.furong.ID+"&sku="+sku, nil, &opts)
		if opts.method("express") != nil {
			t.Fatalf("express in Furong %+v", opts)
		}
	})
}

func TestHTTPPickupPoints(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		s := newMarket(t, a, h)
		sh, owner := s.openShop("pickup-veg")
		point := map[string]any{"name": "麓山社区服务中心", "address": "麓山路 1 号", "region_id": s.yuelu.ID,
			"hours": "08:00–20:00", "phone": "0731-88886666"}
		for field, bad := range map[string]any{"name": "", "address": "", "region_id": tenants.NewID(), "phone": "123", "active": "yes"} {
			in := map[string]any{}
			for k, v := range point {
				in[k] = v
			}
			in[field] = bad
			var e apiError
			s.admin.want(http.StatusBadRequest, "POST", "/api/v1/admin/pickup-points", in, &e)
			if e.Error.Fields[field] == "" {
				t.Errorf("%s=%v: %+v", field, bad, e.Error)
			}
		}
		var list struct {
			PickupPoints []fulfil.PickupPoint `json:"pickup_points"`
		}
		s.admin.want(http.StatusOK, "GET", "/api/v1/admin/pickup-points", nil, &list)
		if len(list.PickupPoints) != 0 {
			t.Fatalf("bad input wrote %+v", list)
		}
		var pt fulfil.PickupPoint
		s.admin.want(http.StatusCreated, "POST", "/api/v1/admin/pickup-points", point, &pt)
		if !pt.Active || pt.Name != "麓山社区服务中心" {
			t.Fatalf("point %+v", pt)
		}
		owner.want(http.StatusForbidden, "POST", "/api/v1/admin/pickup-points", point, nil)
		owner.want(http.StatusForbidden, "GET", "/api/v1/admin/pickup-points", nil, nil)

		// Operators.
		op := s.user("operator", "", "")
		var o fulfil.Operator
		s.admin.want(http.StatusCreated, "POST", "/api/v1/admin/pickup-points/"+pt.ID+"/operators", map[string]any{"login": op.email}, &o)
		if o.UserID != op.userID {
			t.Fatalf("operator %+v", o)
		}
		var e apiError
		s.admin.want(http.StatusBadRequest, "POST", "/api/v1/admin/pickup-points/"+pt.ID+"/operators", map[string]any{"user_id": tenants.NewID()}, &e)
		if e.Error.Fields["user_id"] == "" {
			t.Fatalf("unknown user %+v", e.Error)
		}
		s.admin.want(http.StatusConflict, "POST", "/api/v1/admin/pickup-points/"+pt.ID+"/operators", map[string]any{"user_id": op.userID}, nil)
		var ops struct{ Operators []fulfil.Operator }
		s.admin.want(http.StatusOK, "GET", "/api/v1/admin/pickup-points/"+pt.ID+"/operators", nil, &ops)
		if len(ops.Operators) != 1 || ops.Operators[0].Name != "operator" {
			t.Fatalf("operators %+v", ops)
		}
		var mine struct {
			PickupPoints []fulfil.OperatedPoint `json:"pickup_points"`
		}
		op.want(http.StatusOK, "GET", "/api/v1/pickup/points", nil, &mine)
		if len(mine.PickupPoints) != 1 || mine.PickupPoints[0].ID != pt.ID || !mine.PickupPoints[0].Handover {
			t.Fatalf("operator's points %+v", mine)
		}
		owner.want(http.StatusOK, "GET", "/api/v1/pickup/points", nil, &mine)
		if len(mine.PickupPoints) != 0 {
			t.Fatalf("owner's points %+v", mine)
		}
		s.anonymous().want(http.StatusUnauthorized, "GET", "/api/v1/pickup/points", nil, nil)

		// Deactivate: gone from the public list and from the options.
		var pub struct {
			PickupPoints []fulfil.PickupPoint `json:"pickup_points"`
		}
		s.anonymous().want(http.StatusOK, "GET", "/api/v1/pickup-points?region="+s.yuelu.ID, nil, &pub)
		if len(pub.PickupPoints) != 1 {
			t.Fatalf("public %+v", pub)
		}
		var opts deliveryOptions
		s.anonymous().want(http.StatusOK, "GET", "/api/v1/shops/"+sh.Slug+"/delivery-options?region="+s.yuelu.ID, nil, &opts)
		if p := opts.method("pickup"); p == nil || len(p.PickupPoints) != 1 || p.FeeFen != 0 {
			t.Fatalf("pickup option %+v", opts)
		}
		in := map[string]any{}
		for k, v := range point {
			in[k] = v
		}
		in["active"] = false
		s.admin.want(http.StatusOK, "PUT", "/api/v1/admin/pickup-points/"+pt.ID, in, &pt)
		if pt.Active {
			t.Fatalf("still active %+v", pt)
		}
		s.anonymous().want(http.StatusOK, "GET", "/api/v1/pickup-points?region="+s.yuelu.ID, nil, &pub)
		s.anonymous().want(http.StatusOK, "GET", "/api/v1/shops/"+sh.Slug+"/delivery-options?region="+s.yuelu.ID, nil, &opts)
		if len(pub.PickupPoints) != 0 || opts.method("pickup") != nil {
			t.Fatalf("inactive point offered %+v %+v", pub, opts)
		}
		s.anonymous().want(http.StatusBadRequest, "GET", "/api/v1/pickup-points?region="+tenants.NewID(), nil, &e)
		if e.Error.Fields["region"] == "" {
			t.Fatalf("unknown region %+v", e.Error)
		}

		s.admin.want(http.StatusNoContent, "DELETE", "/api/v1/admin/pickup-points/"+pt.ID+"/operators/"+op.userID, nil, nil)
		s.admin.want(http.StatusNotFound, "DELETE", "/api/v1/admin/pickup-points/"+pt.ID+"/operators/"+op.userID, nil, nil)
		op.want(http.StatusOK, "GET", "/api/v1/pickup/points", nil, &mine)
		if len(mine.PickupPoints) != 0 {
			t.Fatalf("removed operator still sees %+v", mine)
		}
	})
}

func TestHTTPFulfilOfOthersIs404(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		home, away := newMarket(t, a, h), newMarket(t, a, h)
		sh, owner := home.openShop("deliver-secret")
		_, otherOwner := home.openShop("deliver-other")
		_, awayOwner := away.openShop("deliver-away")
		base := "/api/v1/merchant/shops/" + sh.ID
		owner.want(http.StatusOK, "PUT", base+"/delivery", deliveryAllOn, nil)
		tomorrow := time.Now().In(home.tenant.Location()).AddDate(0, 0, 1).Format("2006-01-02")
		var list struct{ Slots []*fulfil.Slot }
		owner.want(http.StatusCreated, "POST", base+"/delivery-slots",
			map[string]any{"date": tomorrow, "start": "09:00", "end": "11:00", "capacity": 5}, &list)
		slot := list.Slots[0]
		var pt fulfil.PickupPoint
		home.admin.want(http.StatusCreated, "POST", "/api/v1/admin/pickup-points",
			map[string]any{"name": "秘密服务中心", "address": "x 路", "region_id": home.yuelu.ID}, &pt)
		op := home.user("op", "", "")
		home.admin.want(http.StatusCreated, "POST", "/api/v1/admin/pickup-points/"+pt.ID+"/operators", map[string]any{"user_id": op.userID}, nil)

		// Another shop's owner, in the same tenant.
		for _, c := range []struct{ method, path string }{
			{"GET", base + "/delivery"}, {"PUT", base + "/delivery"}, {"GET", base + "/delivery-slots"},
			{"POST", base + "/delivery-slots"}, {"PUT", base + "/delivery-slots/" + slot.ID}, {"DELETE", base + "/delivery-slots/" + slot.ID},
		} {
			var body any
			if c.method == "PUT" || c.method == "POST" {
				body = map[string]any{"capacity": 3}
				if c.path == base+"/delivery" {
					body = deliveryAllOn
				}
			}
			otherOwner.want(http.StatusNotFound, c.method, c.path, body, nil)
			awayOwner.want(http.StatusNotFound, c.method, c.path, body, nil)
			away.admin.want(http.StatusNotFound, c.method, c.path, body, nil)
		}
		// The slot through another shop's path.
		var mine struct{ Shops []struct{ ID string } }
		otherOwner.want(http.StatusOK, "GET", "/api/v1/merchant/shops", nil, &mine)
		if len(mine.Shops) != 1 {
			t.Fatalf("other owner's shops %+v", mine)
		}
		otherOwner.want(http.StatusNotFound, "PUT", "/api/v1/merchant/shops/"+mine.Shops[0].ID+"/delivery-slots/"+slot.ID, map[string]any{"capacity": 3}, nil)
		otherOwner.want(http.StatusNotFound, "DELETE", "/api/v1/merchant/shops/"+mine.Shops[0].ID+"/delivery-slots/"+slot.ID, nil, nil)

		// Another tenant's admin and the pickup point.
		pp := "/api/v1/admin/pickup-points/" + pt.ID
		away.admin.want(http.StatusNotFound, "GET", pp, nil, nil)
		away.admin.want(http.StatusNotFound, "PUT", pp, map[string]any{"name": "x", "address": "x", "region_id": away.yuelu.ID}, nil)
		away.admin.want(http.StatusNotFound, "GET", pp+"/operators", nil, nil)
		away.admin.want(http.StatusNotFound, "POST", pp+"/operators", map[string]any{"user_id": away.admin.userID}, nil)
		away.admin.want(http.StatusNotFound, "DELETE", pp+"/operators/"+op.userID, nil, nil)
		var apts struct {
			PickupPoints []fulfil.PickupPoint `json:"pickup_points"`
		}
		away.admin.want(http.StatusOK, "GET", "/api/v1/admin/pickup-points", nil, &apts)
		away.anonymous().want(http.StatusOK, "GET", "/api/v1/pickup-points", nil, &apts)
		if len(apts.PickupPoints) != 0 {
			t.Fatalf("another tenant sees %+v", apts)
		}
		away.anonymous().want(http.StatusNotFound, "GET", "/api/v1/shops/"+sh.Slug+"/delivery-options?region="+away.yuelu.ID, nil, nil)
		var e apiError
		home.anonymous().want(http.StatusBadRequest, "GET", "/api/v1/shops/"+sh.Slug+"/delivery-options?region="+away.yuelu.ID, nil, &e)
		if e.Error.Fields["region"] == "" {
			t.Fatalf("another tenant's region %+v", e.Error)
		}
		// Nothing was changed by the intruders.
		owner.want(http.StatusOK, "GET", base+"/delivery-slots", nil, &list)
		if len(list.Slots) != 1 || list.Slots[0].Capacity != 5 {
			t.Fatalf("slots after intruders %+v", list.Slots)
		}
	})
}
