package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/core/promo"
)

// promoWindow is starts_at/ends_at from now+from to now+to.
func promoWindow(from, to time.Duration) (string, string) {
	now := time.Now()
	return now.Add(from).Format(time.RFC3339), now.Add(to).Format(time.RFC3339)
}

// with returns a copy of m with the given keys replaced.
func with(m map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

type listed struct {
	Promotions     []promo.Promotion     `json:"promotions"`
	Coupons        []promo.Coupon        `json:"coupons"`
	FlashSales     []promo.FlashSale     `json:"flash_sales"`
	PriceLists     []promo.PriceList     `json:"price_lists"`
	CustomerGroups []promo.CustomerGroup `json:"customer_groups"`
	Members        []promo.Member        `json:"members"`
	HasMore        bool                  `json:"has_more"`
}

func TestHTTPPromoFlow(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		s := newMarket(t, a, h)
		sh, owner := s.openShop("promo-veg")
		sku := s.stockedSKU(owner, sh, "PROMO-1") // 5.00
		start, end := promoWindow(-time.Hour, 72*time.Hour)
		base := "/api/v1/merchant/shops/" + sh.ID

		// The tenant admin makes a VIP group with a member.
		vip := s.user("vip", "", "")
		var g promo.CustomerGroup
		s.admin.want(http.StatusCreated, "POST", "/api/v1/admin/customer-groups", map[string]any{"name": "会员", "kind": "vip"}, &g)
		s.admin.want(http.StatusCreated, "POST", "/api/v1/admin/customer-groups/"+g.ID+"/members", map[string]any{"login": vip.email}, nil)
		var l listed
		s.admin.want(http.StatusOK, "GET", "/api/v1/admin/customer-groups/"+g.ID+"/members", nil, &l)
		if len(l.Members) != 1 || l.Members[0].UserID != vip.userID {
			t.Fatalf("members %+v", l)
		}
		s.admin.want(http.StatusOK, "GET", "/api/v1/admin/customer-groups/"+g.ID, nil, &g)
		if g.Members != 1 {
			t.Fatalf("group %+v", g)
		}
		owner.want(http.StatusOK, "GET", base+"/customer-groups", nil, &l)
		if len(l.CustomerGroups) != 1 {
			t.Fatalf("shop sees groups %+v", l)
		}

		// The shop sets up a 满减, a coupon, a flash sale and a price list.
		var pr promo.Promotion
		owner.want(http.StatusCreated, "POST", base+"/promotions", map[string]any{"kind": "threshold", "name": "满100减10",
			"starts_at": start, "ends_at": end, "tiers": []map[string]any{{"min_fen": 10000, "off_fen": 1000}, {"min_fen": 20000, "off_fen": 2500}}}, &pr)
		var cp promo.Coupon
		owner.want(http.StatusCreated, "POST", base+"/coupons", map[string]any{"code": "veg5", "name": "满50减5",
			"starts_at": start, "ends_at": end, "min_spend_fen": 5000, "amount_off_fen": 500}, &cp)
		if cp.Code != "VEG5" {
			t.Fatalf("coupon %+v", cp)
		}
		var fl promo.FlashSale
		owner.want(http.StatusCreated, "POST", base+"/flash-sales", map[string]any{"sku_id": sku, "name": "秒杀",
			"starts_at": start, "ends_at": end, "price_fen": 400, "qty_cap": 20}, &fl)
		var pl promo.PriceList
		owner.want(http.StatusCreated, "POST", base+"/price-lists", map[string]any{"group_id": g.ID, "name": "会员价",
			"entries": []map[string]any{{"sku_id": sku, "price_fen": 450}}}, &pl)
		if len(pl.Entries) != 1 || pl.Entries[0].MinQty != 1 {
			t.Fatalf("price list %+v", pl)
		}
		// The code is unique in the tenant whatever its case, platform coupons included.
		var e apiError
		s.admin.want(http.StatusBadRequest, "POST", "/api/v1/admin/coupons", map[string]any{"code": "VEG5", "name": "x",
			"starts_at": start, "ends_at": end, "min_spend_fen": 10000, "amount_off_fen": 500}, &e)
		if e.Error.Fields["code"] == "" {
			t.Fatalf("fields %+v", e.Error)
		}
		var plat promo.Promotion
		s.admin.want(http.StatusCreated, "POST", "/api/v1/admin/promotions", map[string]any{"kind": "threshold", "name": "跨店满300减30",
			"starts_at": start, "ends_at": end, "tiers": []map[string]any{{"min_fen": 30000, "off_fen": 3000}}}, &plat)
		if plat.ShopID != nil {
			t.Fatalf("platform promotion %+v", plat)
		}

		// Lists, gets, updates.
		owner.want(http.StatusOK, "GET", base+"/promotions?limit=1", nil, &l)
		if len(l.Promotions) != 1 || l.HasMore || l.Promotions[0].ID != pr.ID {
			t.Fatalf("promotions %+v", l)
		}
		owner.want(http.StatusOK, "GET", base+"/coupons/"+cp.ID, nil, &cp)
		owner.want(http.StatusOK, "PUT", base+"/flash-sales/"+fl.ID, map[string]any{"sku_id": sku, "name": "秒杀",
			"starts_at": start, "ends_at": end, "price_fen": 380, "qty_cap": 30}, &fl)
		if fl.PriceFen != 380 || fl.QtyCap != 30 {
			t.Fatalf("flash sale %+v", fl)
		}
		owner.want(http.StatusOK, "PUT", base+"/price-lists/"+pl.ID, map[string]any{"group_id": g.ID, "name": "会员价",
			"entries": []map[string]any{{"sku_id": sku, "price_fen": 440}}}, nil)
		owner.want(http.StatusOK, "GET", base+"/price-lists/"+pl.ID, nil, &pl)
		if len(pl.Entries) != 1 || pl.Entries[0].PriceFen != 440 {
			t.Fatalf("price list after update %+v", pl)
		}
		owner.want(http.StatusOK, "PUT", base+"/coupons/"+cp.ID, map[string]any{"code": "veg-5", "name": "满50减5",
			"starts_at": start, "ends_at": end, "min_spend_fen": 6000, "amount_off_fen": 500, "total_limit": 100}, &cp)
		if cp.Code != "VEG-5" || cp.MinSpendFen != 6000 || cp.TotalLimit != 100 {
			t.Fatalf("coupon after update %+v", cp)
		}
		s.admin.want(http.StatusOK, "PUT", "/api/v1/admin/customer-groups/"+g.ID, map[string]any{"name": "金卡会员", "kind": "vip"}, &g)
		if g.Name != "金卡会员" || g.Members != 1 {
			t.Fatalf("group after update %+v", g)
		}
		s.admin.want(http.StatusOK, "GET", "/api/v1/admin/promotions", nil, &l)
		if len(l.Promotions) != 1 || l.Promotions[0].ID != plat.ID {
			t.Fatalf("admin promotions %+v", l)
		}

		// The storefront shows what runs, coupons not.
		var offers promo.ShopOffers
		body := s.anonymous().want(http.StatusOK, "GET", "/api/v1/shops/promo-veg/promotions", nil, &offers)
		if len(offers.Promotions) != 2 || len(offers.FlashSales) != 1 || offers.FlashSales[0].Left != 30 || strings.Contains(string(body), "VEG-5") {
			t.Fatalf("offers %s", body)
		}
		s.anonymous().want(http.StatusNotFound, "GET", "/api/v1/shops/no-such-shop/promotions", nil, nil)

		// Ending early and deleting.
		off := false
		owner.want(http.StatusOK, "PUT", base+"/promotions/"+pr.ID, map[string]any{"kind": "threshold", "name": "满100减10",
			"starts_at": start, "ends_at": end, "active": off, "tiers": []map[string]any{{"min_fen": 10000, "off_fen": 1000}}}, &pr)
		if pr.Active || len(pr.Tiers) != 1 {
			t.Fatalf("deactivated %+v", pr)
		}
		s.anonymous().want(http.StatusOK, "GET", "/api/v1/shops/promo-veg/promotions", nil, &offers)
		if len(offers.Promotions) != 1 {
			t.Fatalf("offers after deactivation %+v", offers)
		}
		for _, p := range []string{"/promotions/" + pr.ID, "/coupons/" + cp.ID, "/flash-sales/" + fl.ID, "/price-lists/" + pl.ID} {
			owner.want(http.StatusNoContent, "DELETE", base+p, nil, nil)
			owner.want(http.StatusNotFound, "GET", base+p, nil, nil)
		}
		s.admin.want(http.StatusNoContent, "DELETE", "/api/v1/admin/customer-groups/"+g.ID+"/members/"+vip.userID, nil, nil)
		s.admin.want(http.StatusNotFound, "DELETE", "/api/v1/admin/customer-groups/"+g.ID+"/members/"+vip.userID, nil, nil)
		s.admin.want(http.StatusNoContent, "DELETE", "/api/v1/admin/customer-groups/"+g.ID, nil, nil)

		// Staff may not manage promotions (403), shoppers may not reach them (404).
		staff := s.user("staff", authz.MerchantStaff, merchant.OwnerDomain(s.tenant.ID, sh.ID))
		staff.want(http.StatusForbidden, "GET", base+"/promotions", nil, nil)
		owner.want(http.StatusForbidden, "GET", "/api/v1/admin/promotions", nil, nil)
		owner.want(http.StatusForbidden, "GET", "/api/v1/admin/customer-groups", nil, nil)
	})
}

func TestHTTPPromoBadInput(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		s := newMarket(t, a, h)
		sh, owner := s.openShop("promo-bad")
		sku := s.stockedSKU(owner, sh, "BAD-1") // 5.00, list 5.00: the floor is 3.50
		start, end := promoWindow(-time.Hour, 72*time.Hour)
		base := "/api/v1/merchant/shops/" + sh.ID
		var g promo.CustomerGroup
		s.admin.want(http.StatusCreated, "POST", "/api/v1/admin/customer-groups", map[string]any{"name": "会员", "kind": "vip"}, &g)

		tiers := func(min, off any) []map[string]any { return []map[string]any{{"min_fen": min, "off_fen": off}} }
		threshold := map[string]any{"kind": "threshold", "name": "满减", "starts_at": start, "ends_at": end, "tiers": tiers(10000, 1000)}
		coupon := map[string]any{"code": "GOOD1", "name": "券", "starts_at": start, "ends_at": end, "min_spend_fen": 5000, "amount_off_fen": 500}
		flash := map[string]any{"sku_id": sku, "name": "秒杀", "starts_at": start, "ends_at": end, "price_fen": 400, "qty_cap": 10}
		list := map[string]any{"group_id": g.ID, "name": "会员价", "entries": []map[string]any{{"sku_id": sku, "price_fen": 450}}}
		cases := []struct {
			path     string
			body     map[string]any
			field    string
			contains string
		}{
			{"/promotions", with(threshold, "tiers", tiers(10000, 4000)), "tiers.0.off_fen", "30.00"},
			{"/promotions", with(threshold, "tiers", tiers(-100, 10)), "tiers.0.min_fen", ""},
			{"/promotions", with(threshold, "tiers", tiers(0, 0)), "tiers.0.off_fen", ""},
			{"/promotions", with(threshold, "tiers", tiers(100.5, 10)), "tiers.min_fen", ""},
			{"/promotions", with(threshold, "tiers", tiers(1e15, 10)), "tiers.0.min_fen", ""},
			{"/promotions", with(threshold, "ends_at", start, "starts_at", end), "ends_at", ""},
			{"/promotions", with(threshold, "kind", "bogo"), "kind", ""},
			{"/promotions", map[string]any{"kind": "addon", "name": "换购", "starts_at": start, "ends_at": end, "threshold_fen": 0, "sku_id": sku, "price_fen": 600}, "price_fen", "5.00"},
			{"/coupons", with(coupon, "amount_off_fen", 2000), "amount_off_fen", "15.00"},
			{"/coupons", with(coupon, "amount_off_fen", -5), "amount_off_fen", ""},
			{"/coupons", with(coupon, "amount_off_fen", 1.5), "amount_off_fen", ""},
			{"/coupons", with(coupon, "amount_off_fen", 0, "percent_off", 40), "percent_off", "30%"},
			{"/coupons", with(coupon, "min_spend_fen", 1e12), "min_spend_fen", ""},
			{"/coupons", with(coupon, "code", "x!"), "code", ""},
			{"/coupons", with(coupon, "total_limit", -1), "total_limit", ""},
			{"/flash-sales", with(flash, "price_fen", 300), "price_fen", "3.50"},
			{"/flash-sales", with(flash, "price_fen", 0), "price_fen", ""},
			{"/flash-sales", with(flash, "qty_cap", 0), "qty_cap", ""},
			{"/flash-sales", with(flash, "qty_cap", 2.5), "qty_cap", ""},
			{"/flash-sales", with(flash, "sku_id", g.ID), "sku_id", ""},
			{"/flash-sales", with(flash, "starts_at", "yesterday"), "starts_at", ""},
			{"/price-lists", with(list, "entries", []map[string]any{{"sku_id": sku, "price_fen": 300}}), "entries.0.price_fen", "3.50"},
			{"/price-lists", with(list, "entries", []map[string]any{{"sku_id": sku, "min_qty": 10, "price_fen": 450}}), "entries.0.min_qty", ""},
			{"/price-lists", with(list, "group_id", sku), "group_id", ""},
		}
		for _, c := range cases {
			var e apiError
			owner.want(http.StatusBadRequest, "POST", base+c.path, c.body, &e)
			if e.Error.Fields[c.field] == "" || !strings.Contains(e.Error.Fields[c.field], c.contains) {
				t.Errorf("POST %s %v: want field %s containing %q, got %+v", c.path, c.body, c.field, c.contains, e.Error)
			}
		}
		// The same rules hold for the marketplace's own.
		var e apiError
		s.admin.want(http.StatusBadRequest, "POST", "/api/v1/admin/promotions", with(threshold, "tiers", tiers(10000, 3001)), &e)
		if !strings.Contains(e.Error.Fields["tiers.0.off_fen"], "30.00") {
			t.Errorf("admin promotion floor: %+v", e.Error)
		}
		s.admin.want(http.StatusBadRequest, "POST", "/api/v1/admin/promotions", with(threshold, "kind", "free_shipping", "threshold_fen", 100), &e)
		if e.Error.Fields["kind"] == "" {
			t.Errorf("admin free shipping: %+v", e.Error)
		}
		s.admin.want(http.StatusBadRequest, "POST", "/api/v1/admin/customer-groups", map[string]any{"name": "会员", "kind": "boss"}, &e)
		if e.Error.Fields["name"] == "" || e.Error.Fields["kind"] == "" {
			t.Errorf("group: %+v", e.Error)
		}
		s.admin.want(http.StatusBadRequest, "POST", "/api/v1/admin/customer-groups/"+g.ID+"/members", map[string]any{"login": "nobody@example.com"}, &e)
		if e.Error.Fields["login"] == "" {
			t.Errorf("member: %+v", e.Error)
		}
		// Nothing was written.
		var l listed
		for _, p := range []string{"/promotions", "/coupons", "/flash-sales", "/price-lists"} {
			body := owner.want(http.StatusOK, "GET", base+p, nil, &l)
			if len(l.Promotions)+len(l.Coupons)+len(l.FlashSales)+len(l.PriceLists) != 0 {
				t.Fatalf("%s written: %s", p, body)
			}
		}
		s.admin.want(http.StatusOK, "GET", "/api/v1/admin/promotions", nil, &l)
		s.admin.want(http.StatusOK, "GET", "/api/v1/admin/customer-groups/"+g.ID+"/members", nil, &l)
		if len(l.Promotions) != 0 || len(l.Members) != 0 {
			t.Fatalf("admin lists written: %+v", l)
		}
		// An update with bad input leaves the record as it was.
		var cp promo.Coupon
		owner.want(http.StatusCreated, "POST", base+"/coupons", coupon, &cp)
		owner.want(http.StatusBadRequest, "PUT", base+"/coupons/"+cp.ID, with(coupon, "amount_off_fen", 4000, "name", "改了"), nil)
		owner.want(http.StatusOK, "GET", base+"/coupons/"+cp.ID, nil, &cp)
		if cp.AmountOffFen != 500 || cp.Name != "券" {
			t.Fatalf("coupon changed: %+v", cp)
		}
	})
}

func TestHTTPPromoOfOthersIs404(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		home, away := newMarket(t, a, h), newMarket(t, a, h)
		sh, owner := home.openShop("promo-secret")
		sku := home.stockedSKU(owner, sh, "SECRET-P")
		start, end := promoWindow(-time.Hour, 72*time.Hour)
		base := "/api/v1/merchant/shops/" + sh.ID
		var g promo.CustomerGroup
		home.admin.want(http.StatusCreated, "POST", "/api/v1/admin/customer-groups", map[string]any{"name": "秘密会员", "kind": "vip"}, &g)
		member := home.user("member", "", "")
		home.admin.want(http.StatusCreated, "POST", "/api/v1/admin/customer-groups/"+g.ID+"/members", map[string]any{"user_id": member.userID}, nil)
		threshold := map[string]any{"kind": "threshold", "name": "秘密满减", "starts_at": start, "ends_at": end,
			"tiers": []map[string]any{{"min_fen": 10000, "off_fen": 1000}}}
		coupon := map[string]any{"code": "SECRET", "name": "秘密券", "starts_at": start, "ends_at": end, "min_spend_fen": 5000, "amount_off_fen": 500}
		flash := map[string]any{"sku_id": sku, "name": "秘密秒杀", "starts_at": start, "ends_at": end, "price_fen": 400, "qty_cap": 10}
		list := map[string]any{"group_id": g.ID, "name": "秘密价", "entries": []map[string]any{{"sku_id": sku, "price_fen": 450}}}
		var pr, plat promo.Promotion
		var cp, pcp promo.Coupon
		var fl promo.FlashSale
		var pl promo.PriceList
		owner.want(http.StatusCreated, "POST", base+"/promotions", threshold, &pr)
		owner.want(http.StatusCreated, "POST", base+"/coupons", coupon, &cp)
		owner.want(http.StatusCreated, "POST", base+"/flash-sales", flash, &fl)
		owner.want(http.StatusCreated, "POST", base+"/price-lists", list, &pl)
		home.admin.want(http.StatusCreated, "POST", "/api/v1/admin/promotions", threshold, &plat)
		home.admin.want(http.StatusCreated, "POST", "/api/v1/admin/coupons", with(coupon, "code", "SECRET-P"), &pcp)

		secrets := []string{sh.ID, pr.ID, cp.ID, fl.ID, pl.ID, plat.ID, pcp.ID, g.ID, "秘密"}
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
		type route struct {
			method, path string
			body         any
		}
		var shopRoutes []route
		for _, r := range []struct {
			list, id string
			body     map[string]any
		}{{"/promotions", pr.ID, threshold}, {"/coupons", cp.ID, with(coupon, "code", "OTHER")}, {"/flash-sales", fl.ID, flash}, {"/price-lists", pl.ID, list}} {
			shopRoutes = append(shopRoutes, route{"GET", base + r.list, nil}, route{"POST", base + r.list, r.body},
				route{"GET", base + r.list + "/" + r.id, nil}, route{"PUT", base + r.list + "/" + r.id, r.body}, route{"DELETE", base + r.list + "/" + r.id, nil})
		}
		shopRoutes = append(shopRoutes, route{"GET", base + "/customer-groups", nil})
		otherShop, otherOwner := home.openShop("promo-next-door")
		buyer := home.user("shopper", "", "")
		for _, who := range []*shopper{away.admin, away.user("mallory", "", ""), otherOwner, buyer} {
			for _, r := range shopRoutes {
				check(who, r.method, r.path, r.body, http.StatusNotFound)
			}
		}
		// The other shop's own routes with this shop's ids.
		ob := "/api/v1/merchant/shops/" + otherShop.ID
		for _, p := range []string{"/promotions/" + pr.ID, "/coupons/" + cp.ID, "/flash-sales/" + fl.ID, "/price-lists/" + pl.ID} {
			check(otherOwner, "GET", ob+p, nil, http.StatusNotFound)
			check(otherOwner, "DELETE", ob+p, nil, http.StatusNotFound)
		}
		check(otherOwner, "POST", ob+"/flash-sales", flash, http.StatusBadRequest) // this shop's SKU is unknown there
		// The tenant routes with this tenant's ids, from another tenant's admin.
		for _, r := range []route{
			{"GET", "/api/v1/admin/promotions/" + plat.ID, nil}, {"PUT", "/api/v1/admin/promotions/" + plat.ID, threshold},
			{"DELETE", "/api/v1/admin/promotions/" + plat.ID, nil},
			{"GET", "/api/v1/admin/coupons/" + pcp.ID, nil}, {"DELETE", "/api/v1/admin/coupons/" + pcp.ID, nil},
			{"GET", "/api/v1/admin/customer-groups/" + g.ID, nil}, {"DELETE", "/api/v1/admin/customer-groups/" + g.ID, nil},
			{"GET", "/api/v1/admin/customer-groups/" + g.ID + "/members", nil},
			{"POST", "/api/v1/admin/customer-groups/" + g.ID + "/members", map[string]any{"user_id": member.userID}},
			{"DELETE", "/api/v1/admin/customer-groups/" + g.ID + "/members/" + member.userID, nil},
		} {
			check(away.admin, r.method, r.path, r.body, http.StatusNotFound)
		}
		// A shop's promotion is not the tenant's: the admin routes do not find it.
		check(home.admin, "GET", "/api/v1/admin/promotions/"+pr.ID, nil, http.StatusNotFound)
		check(home.admin, "GET", "/api/v1/admin/coupons/"+cp.ID, nil, http.StatusNotFound)
		// Shoppers cannot reach the tenant routes.
		check(buyer, "GET", "/api/v1/admin/promotions", nil, http.StatusForbidden)
		check(buyer, "GET", "/api/v1/admin/customer-groups", nil, http.StatusForbidden)
		// Another tenant's storefront does not show this shop.
		check(away.anonymous(), "GET", "/api/v1/shops/promo-secret/promotions", nil, http.StatusNotFound)
		// Nothing changed at home.
		var l listed
		owner.want(http.StatusOK, "GET", base+"/coupons", nil, &l)
		if len(l.Coupons) != 1 || l.Coupons[0].Name != "秘密券" {
			t.Fatalf("home coupons changed: %+v", l)
		}
		home.admin.want(http.StatusOK, "GET", "/api/v1/admin/customer-groups/"+g.ID+"/members", nil, &l)
		if len(l.Members) != 1 {
			t.Fatalf("home members changed: %+v", l)
		}
	})
}
