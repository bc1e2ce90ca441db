package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/jishi-dev/jishi/core/catalog"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/search"
)

type searchAnswer struct {
	Products []struct {
		ID           string `json:"id"`
		Name         string `json:"name"`
		ShopID       string `json:"shop_id"`
		ShopName     string `json:"shop_name"`
		PriceFen     int64  `json:"price_fen"`
		ListPriceFen int64  `json:"list_price_fen"`
		CoverPath    string `json:"cover_path"`
		SalesCount   int64  `json:"sales_count"`
	} `json:"products"`
	Facets struct {
		Categories []search.Facet `json:"categories"`
		Shops      []search.Facet `json:"shops"`
	} `json:"facets"`
	Limit   int  `json:"limit"`
	Offset  int  `json:"offset"`
	HasMore bool `json:"has_more"`
}

func TestHTTPSearch(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		s := newMarket(t, a, h)
		sh, owner := s.openShop("search-farm")
		var strawberry struct{ ID string }
		for _, p := range []struct{ name, cat string }{
			{"长沙草莓", "strawberries"}, {"有机小白菜", "vegetables"}, {"东北大米", "rice"},
		} {
			in := s.product(p.name, "sk-"+p.cat)
			in["category_id"] = s.category(p.cat)
			owner.want(http.StatusCreated, "POST", "/api/v1/merchant/shops/"+sh.ID+"/products", in, &strawberry)
			if p.cat == "strawberries" {
				// Its image becomes the cover the search answer shows.
				if code, body := owner.upload("/api/v1/merchant/products/"+strawberry.ID+"/images", "image/png", pngImage); code != http.StatusOK && code != http.StatusCreated {
					t.Fatalf("image: %d %s", code, body)
				}
			}
		}
		// No reindex: the catalog's hooks keep the index in step.
		anon := s.anonymous()

		var res searchAnswer
		anon.want(http.StatusOK, "GET", "/api/v1/search?q=caomei", nil, &res)
		if len(res.Products) != 1 || res.Products[0].Name != "长沙草莓" || res.Products[0].ShopID != sh.ID ||
			res.Products[0].ShopName != sh.Name || res.Products[0].PriceFen != 1000 || res.Products[0].ListPriceFen != 1200 ||
			res.Limit != search.DefaultLimit || res.HasMore || !strings.HasPrefix(res.Products[0].CoverPath, "/uploads/"+sh.ID+"/p-") {
			t.Fatalf("caomei: %+v", res)
		}
		if len(res.Facets.Categories) != 1 || res.Facets.Categories[0].Name != "新鲜水果" || res.Facets.Categories[0].Count != 1 ||
			len(res.Facets.Shops) != 1 || res.Facets.Shops[0].ID != sh.ID {
			t.Fatalf("facets: %+v", res.Facets)
		}
		anon.want(http.StatusOK, "GET", "/api/v1/search?q=caomei&lang=en", nil, &res)
		if res.Facets.Categories[0].Name != "Fresh fruit" {
			t.Errorf("facet in English: %+v", res.Facets.Categories)
		}

		// Filters and paging.
		q := url.Values{"category": {s.category("grain-oil")}, "shop": {sh.ID}, "region": {s.yuelu.ID},
			"price_min": {"0"}, "price_max": {"1000"}, "in_stock": {"true"}, "sort": {"price_asc"}, "limit": {"1"}}
		anon.want(http.StatusOK, "GET", "/api/v1/search?"+q.Encode(), nil, &res)
		if len(res.Products) != 1 || res.Products[0].Name != "东北大米" || res.HasMore || res.Limit != 1 {
			t.Errorf("filters: %+v", res)
		}
		anon.want(http.StatusOK, "GET", "/api/v1/search?limit=2", nil, &res)
		if len(res.Products) != 2 || !res.HasMore || res.Products[0].Name != "东北大米" {
			t.Errorf("newest page: %+v", res)
		}
		anon.want(http.StatusOK, "GET", "/api/v1/search?limit=2&offset=2", nil, &res)
		if len(res.Products) != 1 || res.HasMore || res.Offset != 2 {
			t.Errorf("second page: %+v", res)
		}

		// Archived products leave the index through Reindex (and, once
		// wired, the change hook).
		var pr catalog.Product
		anon.want(http.StatusOK, "GET", "/api/v1/search?q=dami", nil, &res)
		owner.want(http.StatusOK, "POST", "/api/v1/merchant/products/"+res.Products[0].ID+"/archive", nil, &pr)
		if err := a.Search.Reindex(s.ctx); err != nil {
			t.Fatal(err)
		}
		anon.want(http.StatusOK, "GET", "/api/v1/search?q=dami", nil, &res)
		if len(res.Products) != 0 {
			t.Errorf("archived: %+v", res)
		}

		// Bad parameters are field errors.
		for _, c := range []struct{ query, field string }{
			{"q=" + strings.Repeat("莓", 65), "q"},
			{"price_min=500&price_max=100", "price_max"},
			{"price_min=abc", "price_min"},
			{"limit=201", "limit"},
			{"limit=0", "limit"},
			{"offset=-1", "offset"},
			{"sort=random", "sort"},
			{"in_stock=maybe", "in_stock"},
			{"category=nope", "category"},
		} {
			var e apiError
			anon.want(http.StatusBadRequest, "GET", "/api/v1/search?"+c.query, nil, &e)
			if e.Error.Code != "invalid" || e.Error.Fields[c.field] == "" {
				t.Errorf("%s: %+v", c.query, e)
			}
		}

		// Another tenant's shop, category and region find nothing here, and
		// its products are not found.
		o := newMarket(t, a, h)
		osh, oowner := o.openShop("other-farm")
		oowner.want(http.StatusCreated, "POST", "/api/v1/merchant/shops/"+osh.ID+"/products", o.product("外地草莓", "x-1"), nil)
		if err := a.Search.Reindex(o.ctx); err != nil {
			t.Fatal(err)
		}
		for _, query := range []string{"shop=" + osh.ID, "category=" + o.category("vegetables"), "region=" + o.yuelu.ID, "q=" + url.QueryEscape("外地")} {
			anon.want(http.StatusOK, "GET", "/api/v1/search?"+query, nil, &res)
			if len(res.Products) != 0 {
				t.Errorf("%s: found %+v", query, res.Products)
			}
		}
		o.anonymous().want(http.StatusOK, "GET", "/api/v1/search?q=caomei", nil, &res)
		if len(res.Products) != 1 || res.Products[0].Name != "外地草莓" {
			t.Errorf("other tenant: %+v", res.Products)
		}
	})
}
