package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/uptrace/bun"
)

// category returns the id of the category with code in s's tenant.
func (s *market) category(code string) string {
	s.t.Helper()
	var id string
	err := s.a.DB.RunInReadTx(s.ctx, func(ctx context.Context, tx bun.IDB) error {
		tree, err := catalog.Tree(ctx, tx)
		for _, c := range tree {
			for _, k := range append([]*catalog.Category{c}, c.Children...) {
				if k.Code == code {
					id = k.ID
				}
			}
		}
		return err
	})
	if err != nil || id == "" {
		s.t.Fatalf("category %s: %v", code, err)
	}
	return id
}

func (s *market) product(name string, codes ...string) map[string]any {
	skus := []map[string]any{}
	for i, c := range codes {
		skus = append(skus, map[string]any{"code": c, "spec": []string{"500g", "1kg", "5kg"}[i%3],
			"price_fen": 1000 * (i + 1), "list_price_fen": 1200 * (i + 1), "cost_fen": 300 * (i + 1), "weight_g": 500})
	}
	return map[string]any{"category_id": s.category("vegetables"), "name": name, "status": "active", "origin": "长沙岳麓",
		"certifications": []string{"green"}, "attributes": map[string]string{"保存": "冷藏"}, "skus": skus}
}

func TestHTTPProductFlow(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		s := newMarket(t, a, h)
		sh, owner := s.openShop("flow-farm")
		anon := s.anonymous()

		var pr catalog.Product
		owner.want(http.StatusCreated, "POST", "/api/v1/merchant/shops/"+sh.ID+"/products", s.product("有机小白菜 & \"精选\"", "veg-1", "veg-2"), &pr)
		if pr.ID == "" || len(pr.SKUs) != 2 || pr.SKUs[0].Code != "VEG-1" || pr.SKUs[0].CostFen != 300 {
			t.Fatalf("created %+v", pr)
		}
		var list struct {
			Products []catalog.Product
			HasMore  bool `json:"has_more"`
		}
		owner.want(http.StatusOK, "GET", "/api/v1/merchant/shops/"+sh.ID+"/products?status=active&q=白菜&limit=1", nil, &list)
		if len(list.Products) != 1 || list.Products[0].ID != pr.ID || list.HasMore {
			t.Fatalf("list %+v", list)
		}
		owner.want(http.StatusBadRequest, "GET", "/api/v1/merchant/shops/"+sh.ID+"/products?status=sold", nil, nil)

		// Staff of the shop manage products too.
		staff := s.user("staff", authz.MerchantStaff, merchant.OwnerDomain(s.tenant.ID, sh.ID))
		in := s.product("有机小白菜", "veg-1", "veg-3")
		staff.want(http.StatusOK, "PUT", "/api/v1/merchant/products/"+pr.ID, in, &pr)
		if len(pr.SKUs) != 2 || pr.SKUs[1].Code != "VEG-3" || pr.Name != "有机小白菜" {
			t.Fatalf("updated %+v", pr)
		}

		// Images: upload two, put the second first, delete one.
		for range 2 {
			code, body := owner.upload("/api/v1/merchant/products/"+pr.ID+"/images", "image/png", pngImage)
			if code != http.StatusCreated || json.Unmarshal(body, &pr) != nil {
				t.Fatalf("image upload: %d %s", code, body)
			}
		}
		if len(pr.Images) != 2 || pr.CoverPath != pr.Images[0].Path {
			t.Fatalf("images %+v", pr.Images)
		}
		if code, body := owner.upload("/api/v1/merchant/products/"+pr.ID+"/images", "text/html", []byte("<html>")); code != http.StatusBadRequest ||
			!strings.Contains(string(body), `"file"`) {
			t.Fatalf("html image: %d %s", code, body)
		}
		second, first := *pr.Images[1], *pr.Images[0]
		owner.want(http.StatusOK, "PUT", "/api/v1/merchant/products/"+pr.ID+"/images/order",
			map[string]any{"image_ids": []string{second.ID, first.ID}}, &pr)
		if pr.CoverPath != second.Path {
			t.Fatalf("cover after reorder: %q", pr.CoverPath)
		}
		owner.want(http.StatusNoContent, "DELETE", "/api/v1/merchant/products/"+pr.ID+"/images/"+second.ID, nil, nil)
		owner.want(http.StatusOK, "GET", "/api/v1/merchant/products/"+pr.ID, nil, &pr)
		if len(pr.Images) != 1 || pr.CoverPath == second.Path {
			t.Fatalf("after delete %+v", pr.Images)
		}
		if code, _ := anon.send("GET", pr.CoverPath, nil, ""); code != http.StatusOK {
			t.Fatalf("cover not served: %d", code)
		}

		// Shoppers see it, without costs.
		var pub map[string]any
		body := anon.want(http.StatusOK, "GET", "/api/v1/products/"+pr.ID, nil, &pub)
		if pub["selling"] != true || strings.Contains(string(body), "cost_fen") || !strings.Contains(string(body), `"flow-farm"`) {
			t.Fatalf("public product: %s", body)
		}
		body = anon.want(http.StatusOK, "GET", "/api/v1/shops/FLOW-FARM/products?limit=10", nil, &list)
		if len(list.Products) != 1 || strings.Contains(string(body), "cost_fen") {
			t.Fatalf("public list: %s", body)
		}
		anon.want(http.StatusBadRequest, "GET", "/api/v1/shops/flow-farm/products?limit=0", nil, nil)
		anon.want(http.StatusNotFound, "GET", "/api/v1/shops/no-such-shop/products", nil, nil)

		// Archive: gone for shoppers; restore: a draft.
		owner.want(http.StatusOK, "POST", "/api/v1/merchant/products/"+pr.ID+"/archive", nil, &pr)
		if pr.Status != catalog.ProductArchived {
			t.Fatalf("archived %+v", pr)
		}
		anon.want(http.StatusNotFound, "GET", "/api/v1/products/"+pr.ID, nil, nil)
		anon.want(http.StatusOK, "GET", "/api/v1/shops/flow-farm/products", nil, &list)
		if len(list.Products) != 0 {
			t.Fatalf("archived product listed: %+v", list)
		}
		owner.want(http.StatusOK, "POST", "/api/v1/merchant/products/"+pr.ID+"/restore", nil, &pr)
		owner.want(http.StatusConflict, "POST", "/api/v1/merchant/products/"+pr.ID+"/restore", nil, nil)
		if pr.Status != catalog.ProductDraft {
			t.Fatalf("restored %+v", pr)
		}
	})
}

func TestHTTPBadProductInput(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		s := newMarket(t, a, h)
		away := newMarket(t, a, h)
		sh, owner := s.openShop("bad-farm")
		var first catalog.Product
		owner.want(http.StatusCreated, "POST", "/api/v1/merchant/shops/"+sh.ID+"/products", s.product("小白菜", "ab-1"), &first)
		sku := func(in map[string]any, i int) map[string]any { return in["skus"].([]map[string]any)[i] }
		cases := []struct {
			name       string
			mod        func(map[string]any)
			field, msg string
		}{
			{"zero price", func(in map[string]any) { sku(in, 0)["price_fen"] = 0 }, "skus.0.price_fen", "价格须在"},
			{"negative price", func(in map[string]any) { sku(in, 1)["price_fen"] = -100 }, "skus.1.price_fen", "价格须在"},
			{"huge price", func(in map[string]any) { sku(in, 0)["price_fen"] = int64(catalog.MaxPriceFen) + 1 }, "skus.0.price_fen", "价格须在"},
			{"negative cost", func(in map[string]any) { sku(in, 0)["cost_fen"] = -1 }, "skus.0.cost_fen", "价格须在"},
			{"list below price", func(in map[string]any) { sku(in, 1)["list_price_fen"] = 1999 }, "skus.1.list_price_fen", "划线价不能低于售价"},
			{"code taken in another case and width", func(in map[string]any) { sku(in, 0)["code"] = "ＡＢ－１" }, "skus.0.code", "本店其他商品已使用"},
			{"code twice", func(in map[string]any) { sku(in, 1)["code"] = "x-1" }, "skus.1.code", "重复"},
			{"unknown category", func(in map[string]any) { in["category_id"] = "01900000-0000-7000-8000-000000000000" }, "category_id", "请选择本市集的商品分类"},
			{"other tenant's category", func(in map[string]any) { in["category_id"] = away.category("vegetables") }, "category_id", "请选择本市集的商品分类"},
			{"html name", func(in map[string]any) { in["name"] = `<script>alert(1)</script>` }, "name", "HTML"},
			{"unknown certification", func(in map[string]any) { in["certifications"] = []string{"halal"} }, "certifications", "绿色食品"},
		}
		for _, c := range cases {
			in := s.product("菠菜", "X-1", "X-2")
			c.mod(in)
			code, body := owner.do("POST", "/api/v1/merchant/shops/"+sh.ID+"/products", in)
			var e apiError
			if code != http.StatusBadRequest || json.Unmarshal(body, &e) != nil || !strings.Contains(e.Error.Fields[c.field], c.msg) {
				t.Errorf("%s: %d %s", c.name, code, body)
			}
			if strings.Contains(string(body), "<script>") {
				t.Errorf("%s: echoes HTML unescaped: %s", c.name, body)
			}
		}
		// In English too.
		in := s.product("菠菜", "X-1")
		sku(in, 0)["price_fen"] = 0
		code, body := owner.do("POST", "/api/v1/merchant/shops/"+sh.ID+"/products?lang=en", in)
		if code != http.StatusBadRequest || !strings.Contains(string(body), "Prices run from 0.01") {
			t.Errorf("english: %d %s", code, body)
		}
		// Names with HTML-significant characters are kept and escaped in JSON.
		var pr catalog.Product
		body = owner.want(http.StatusCreated, "POST", "/api/v1/merchant/shops/"+sh.ID+"/products", s.product(`菠菜 & "甜" 'A'`, "Y-1"), &pr)
		if pr.Name != `菠菜 & "甜" 'A'` || strings.Contains(string(body), "& ") {
			t.Errorf("escaped name: %s", body)
		}
		// Only the first product and this one exist.
		var list struct{ Products []catalog.Product }
		owner.want(http.StatusOK, "GET", "/api/v1/merchant/shops/"+sh.ID+"/products", nil, &list)
		if len(list.Products) != 2 {
			t.Fatalf("products after bad input: %d", len(list.Products))
		}
	})
}

func TestHTTPProductsOfOthersAre404(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		home, away := newMarket(t, a, h), newMarket(t, a, h)
		sh, owner := home.openShop("secret-farm")
		_, otherOwner := home.openShop("next-farm")
		var pr catalog.Product
		owner.want(http.StatusCreated, "POST", "/api/v1/merchant/shops/"+sh.ID+"/products", home.product("秘密白菜", "S-1"), &pr)
		code, body := owner.upload("/api/v1/merchant/products/"+pr.ID+"/images", "image/png", pngImage)
		if code != http.StatusCreated || json.Unmarshal(body, &pr) != nil {
			t.Fatalf("image: %d %s", code, body)
		}
		img := pr.Images[0].ID
		buyer := home.user("shopper", "", "")
		awayUser := away.user("mallory", "", "")
		check := func(who *shopper, want int) {
			t.Helper()
			for _, r := range []struct {
				method, path string
				v            any
			}{
				{"GET", "/api/v1/merchant/shops/" + sh.ID + "/products", nil},
				{"POST", "/api/v1/merchant/shops/" + sh.ID + "/products", home.product("x", "Z-1")},
				{"GET", "/api/v1/merchant/products/" + pr.ID, nil},
				{"PUT", "/api/v1/merchant/products/" + pr.ID, home.product("x", "S-1")},
				{"POST", "/api/v1/merchant/products/" + pr.ID + "/archive", nil},
				{"POST", "/api/v1/merchant/products/" + pr.ID + "/restore", nil},
				{"PUT", "/api/v1/merchant/products/" + pr.ID + "/images/order", map[string]any{"image_ids": []string{img}}},
				{"DELETE", "/api/v1/merchant/products/" + pr.ID + "/images/" + img, nil},
			} {
				code, body := who.do(r.method, r.path, r.v)
				if code != want || strings.Contains(string(body), "秘密白菜") {
					t.Fatalf("%s %s: want %d, got %d: %s", r.method, r.path, want, code, body)
				}
			}
			if code, _ := who.upload("/api/v1/merchant/products/"+pr.ID+"/images", "image/png", pngImage); code != want {
				t.Fatalf("upload: want %d, got %d", want, code)
			}
		}
		check(away.admin, http.StatusNotFound)
		check(awayUser, http.StatusNotFound)
		check(otherOwner, http.StatusNotFound)
		check(buyer, http.StatusNotFound)
		check(home.user("region", authz.RegionManager, "t/"+home.tenant.ID+"/r/"+home.yuelu.ID), http.StatusForbidden)
		check(home.anonymous(), http.StatusUnauthorized)
		// Public reads of another tenant's product and shop.
		away.anonymous().want(http.StatusNotFound, "GET", "/api/v1/products/"+pr.ID, nil, nil)
		away.anonymous().want(http.StatusNotFound, "GET", "/api/v1/shops/secret-farm/products", nil, nil)
		// Nothing changed at home.
		owner.want(http.StatusOK, "GET", "/api/v1/merchant/products/"+pr.ID, nil, &pr)
		if pr.Name != "秘密白菜" || pr.Status != catalog.ProductActive || len(pr.Images) != 1 {
			t.Fatalf("home product changed: %+v", pr)
		}
	})
}
