package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/merchant"
	"github.com/jishi-dev/jishi/tenants"
)

// TestHTTPTenantFactsRegionsCategories: the public facts, regions and
// categories of a marketplace are its own; another marketplace's region id
// answers 404 and says nothing about it.
func TestHTTPTenantFactsRegionsCategories(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		cs, other := newMarket(t, a, h), newMarket(t, a, h)
		b := cs.anonymous()

		var facts map[string]any
		b.want(200, "GET", "/api/v1/tenant", nil, &facts)
		if facts["id"] != cs.tenant.ID || facts["currency"] != "CNY" || facts["time_zone"] != "Asia/Shanghai" || facts["default_locale"] != "zh-CN" {
			t.Errorf("tenant facts = %v", facts)
		}

		var regions struct{ Regions []*tenants.Region }
		b.want(200, "GET", "/api/v1/regions", nil, &regions)
		if len(regions.Regions) != 1 || regions.Regions[0].Name != "长沙市" || len(regions.Regions[0].Children) != 2 {
			t.Fatalf("regions = %+v", regions.Regions)
		}
		var one tenants.Region
		b.want(200, "GET", "/api/v1/regions/"+cs.yuelu.ID, nil, &one)
		if one.Name != "岳麓区" || one.ParentID == nil {
			t.Errorf("region = %+v", one)
		}
		for _, id := range []string{other.yuelu.ID, "not-a-uuid", tenants.NewID()} {
			code, body := b.do("GET", "/api/v1/regions/"+id, nil)
			if code != http.StatusNotFound {
				t.Errorf("region %s of another marketplace (or none): %d, want 404", id, code)
			}
			if containsAny(string(body), other.yuelu.ID, other.tenant.Slug) {
				t.Errorf("404 body reveals the other marketplace: %s", body)
			}
		}

		var cats struct {
			Categories []struct {
				Code, Name string
				Children   []struct{ Code, Name string }
			}
		}
		b.want(200, "GET", "/api/v1/categories", nil, &cats)
		if len(cats.Categories) != 5 || cats.Categories[0].Name != "生鲜食材" || len(cats.Categories[0].Children) == 0 {
			t.Errorf("categories = %+v", cats.Categories)
		}
	})
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if sub != "" && strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// TestHTTPCreateRegion: the tenant admin adds a district; a region manager,
// a merchant and a shopper may not; another marketplace's city is not a
// parent here; bad input gets field errors and writes nothing.
func TestHTTPCreateRegion(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		cs, other := newMarket(t, a, h), newMarket(t, a, h)
		city := *cs.yuelu.ParentID
		count := func() int { return countRows(t, &env{t: t, a: a}, cs.tenant, (*tenants.Region)(nil)) }
		before := count()

		var r tenants.Region
		cs.admin.want(201, "POST", "/api/v1/regions", tenants.RegionInput{ParentID: city, Code: "tianxin", Name: "天心区"}, &r)
		if r.Name != "天心区" || r.ParentID == nil || *r.ParentID != city || r.Level != "district" {
			t.Errorf("created region = %+v", r)
		}
		before++

		manager := cs.user("经理", authz.RegionManager, authz.RegionDomain(cs.tenant.ID, cs.yuelu.ID))
		owner := cs.user("店主", authz.MerchantOwner, merchant.OwnerDomain(cs.tenant.ID, tenants.NewID()))
		buyer := cs.user("顾客", "", "")
		for name, who := range map[string]*shopper{"region manager": manager, "merchant owner": owner, "shopper": buyer} {
			code, _ := who.do("POST", "/api/v1/regions", tenants.RegionInput{ParentID: city, Code: "kaifu", Name: "开福区"})
			if code != http.StatusForbidden {
				t.Errorf("%s creating a region: %d, want 403", name, code)
			}
		}
		if code, _ := cs.anonymous().do("POST", "/api/v1/regions", tenants.RegionInput{ParentID: city, Code: "kaifu", Name: "开福区"}); code != http.StatusUnauthorized {
			t.Errorf("anonymous creating a region: %d, want 401", code)
		}

		var e apiError
		code, body := cs.admin.do("POST", "/api/v1/regions", tenants.RegionInput{ParentID: *other.yuelu.ParentID, Code: "kaifu", Name: "开福区"})
		if code != http.StatusBadRequest && code != http.StatusNotFound {
			t.Errorf("parent from another marketplace: %d, want 400 or 404: %s", code, body)
		}
		for _, c := range []struct {
			name  string
			in    tenants.RegionInput
			field string
		}{
			{"empty name", tenants.RegionInput{ParentID: city, Code: "kaifu", Name: " "}, "name"},
			{"long name", tenants.RegionInput{ParentID: city, Code: "kaifu", Name: string(make([]rune, 200))}, "name"},
			{"bad code", tenants.RegionInput{ParentID: city, Code: "开福'; DROP TABLE regions;--", Name: "开福区"}, "code"},
			{"taken code", tenants.RegionInput{ParentID: city, Code: "YUELU", Name: "岳麓"}, "code"},
		} {
			code, body := cs.admin.do("POST", "/api/v1/regions", c.in)
			if code != http.StatusBadRequest {
				t.Errorf("%s: %d, want 400: %s", c.name, code, body)
				continue
			}
			e = apiError{}
			_ = json.Unmarshal(body, &e)
			if e.Error.Fields[c.field] == "" {
				t.Errorf("%s: no error on field %s: %s", c.name, c.field, body)
			}
		}
		if n := count(); n != before {
			t.Errorf("regions after refused writes = %d, want %d", n, before)
		}
	})
}

// TestHTTPPlatformTenants: the platform admin lists and creates
// marketplaces; a tenant admin's session is no platform session; bad input
// gets field errors and creates nothing; the new marketplace answers at
// once with its flagship store and categories.
func TestHTTPPlatformTenants(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		email := "ops-" + tenants.NewID()[24:] + "@example.com"
		if err := e.a.Identity.CreatePlatformAdmin(context.Background(), email, "运营", "password1"); err != nil {
			t.Fatal(err)
		}
		anon := e.browser()
		anon.do("GET", "/api/v1/platform/tenants", nil).want(t, 401, "anonymous list")
		b := e.browser()
		b.do("GET", "/api/v1/platform/me", nil).want(t, 401, "before sign-in") // and take the CSRF cookie
		b.do("POST", "/api/v1/platform/auth/login", map[string]string{"email": email, "password": "password1"}).want(t, 200, "platform login")

		slug := "xt-" + tenants.NewID()[24:]
		r := b.do("POST", "/api/v1/platform/tenants", map[string]any{
			"slug": slug, "name": "网上供销社·湘潭", "admin_email": "boss@" + slug + ".example.com", "admin_password": "xiangtan-2026",
		}).want(t, 201, "create tenant")
		if r.body["slug"] != slug || r.body["currency"] != "CNY" {
			t.Fatalf("created = %s", r.raw)
		}
		before := len(b.do("GET", "/api/v1/platform/tenants", nil).want(t, 200, "list").body["tenants"].([]any))

		for _, c := range []struct {
			name  string
			in    map[string]any
			field string
		}{
			{"reserved slug", map[string]any{"slug": "admin", "name": "x"}, "slug"},
			{"taken slug, other width and case", map[string]any{"slug": toFullWidthUpper(slug), "name": "x"}, "slug"},
			{"empty name", map[string]any{"slug": "ok-" + tenants.NewID()[24:], "name": ""}, "name"},
			{"html name is fine but bad zone", map[string]any{"slug": "ok-" + tenants.NewID()[24:], "name": "<b>x</b>", "time_zone": "Mars/Olympus"}, "time_zone"},
			{"bad admin e-mail", map[string]any{"slug": "ok-" + tenants.NewID()[24:], "name": "x", "admin_email": "nope", "admin_password": "long-enough"}, "admin_email"},
		} {
			r := b.do("POST", "/api/v1/platform/tenants", c.in)
			if r.status != 400 || fieldErrors(r)[c.field] == nil {
				t.Errorf("%s: %d %s, want 400 with field %s", c.name, r.status, r.raw, c.field)
			}
		}
		if n := len(b.do("GET", "/api/v1/platform/tenants", nil).want(t, 200, "list").body["tenants"].([]any)); n != before {
			t.Errorf("tenants after refused creations = %d, want %d", n, before)
		}

		// The new marketplace is live: its admin signs in there, its
		// flagship store and categories exist.
		s := e.browser().start(slug)
		s.do("POST", "/t/"+slug+"/api/v1/auth/login", map[string]string{"login": "boss@" + slug + ".example.com", "password": "xiangtan-2026"}).want(t, 200, "new admin signs in")
		shops := s.do("GET", "/t/"+slug+"/api/v1/shops", nil).want(t, 200, "shops").body["shops"].([]any)
		if len(shops) != 1 || shops[0].(map[string]any)["slug"] != merchant.FlagshipSlug {
			t.Errorf("shops of the new marketplace = %v", shops)
		}
		s.do("GET", "/api/v1/platform/tenants", nil).want(t, 401, "tenant session on the platform API")
	})
}

// toFullWidthUpper writes ASCII letters, digits and '-' in full width and
// upper case (ｓｈｏｐ-style), which slug normalisation folds back.
func toFullWidthUpper(s string) string {
	var out []rune
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			out = append(out, r-'a'+'Ａ')
		case r >= '0' && r <= '9':
			out = append(out, r-'0'+'０')
		default:
			out = append(out, r)
		}
	}
	return string(out)
}
