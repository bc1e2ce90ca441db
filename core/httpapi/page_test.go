package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/jishi-dev/jishi/core/authz"
	"github.com/jishi-dev/jishi/core/db"
	"github.com/jishi-dev/jishi/core/db/dbtest"
	"github.com/jishi-dev/jishi/core/merchant"
)

type shopPage struct {
	Shops   []merchant.Shop `json:"shops"`
	Limit   int             `json:"limit"`
	Offset  int             `json:"offset"`
	HasMore bool            `json:"has_more"`
}

// TestHTTPListsArePaged: admin and storefront lists answer in windows of
// ?limit= and ?offset= with has_more; a region manager's window holds only
// their region's shops; bad windows are field errors.
func TestHTTPListsArePaged(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, d *db.DB) {
		a, h := newMarketServer(t, d)
		s := newMarket(t, a, h)
		var yuelu []string
		for _, slug := range []string{"veg-a", "veg-b", "veg-c"} {
			sh, _ := s.openShop(slug)
			yuelu = append(yuelu, sh.ID)
		}
		// One shop in 芙蓉区.
		in := s.input("furong-fruit")
		in.RegionID = s.furong.ID
		owner := s.user("furong-owner", "", "")
		var ap merchant.Application
		owner.want(http.StatusCreated, "POST", "/api/v1/merchant/applications", in, &ap)
		s.admin.want(http.StatusOK, "POST", "/api/v1/admin/applications/"+ap.ID+"/approve", nil, &ap)

		// Flagship + 4 shops, in pages of 2: 2, 2, 1.
		var seen []string
		for i, want := range []struct {
			n    int
			more bool
		}{{2, true}, {2, true}, {1, false}} {
			var pg shopPage
			s.admin.want(200, "GET", "/api/v1/admin/shops?limit=2&offset="+[]string{"0", "2", "4"}[i], nil, &pg)
			if len(pg.Shops) != want.n || pg.HasMore != want.more || pg.Limit != 2 || pg.Offset != 2*i {
				t.Fatalf("page %d: %d shops, has_more %v, window %d+%d", i, len(pg.Shops), pg.HasMore, pg.Offset, pg.Limit)
			}
			for _, sh := range pg.Shops {
				seen = append(seen, sh.ID)
			}
		}
		if len(seen) != 5 || seen[0] == seen[2] {
			t.Errorf("pages overlap or miss shops: %v", seen)
		}
		var all shopPage
		s.admin.want(200, "GET", "/api/v1/admin/shops", nil, &all)
		if len(all.Shops) != 5 || all.HasMore || all.Limit != 50 {
			t.Errorf("default window: %d shops, has_more %v, limit %d", len(all.Shops), all.HasMore, all.Limit)
		}

		// The region manager of 岳麓区 pages through its 3 shops only.
		manager := s.user("manager", authz.RegionManager, authz.RegionDomain(s.tenant.ID, s.yuelu.ID))
		var mp shopPage
		manager.want(200, "GET", "/api/v1/admin/shops?limit=2&offset=2", nil, &mp)
		if len(mp.Shops) != 1 || mp.HasMore || mp.Shops[0].ID != yuelu[2] {
			t.Errorf("region manager's second page = %+v", mp)
		}
		var apps struct {
			Applications []merchant.Application `json:"applications"`
			HasMore      bool                   `json:"has_more"`
		}
		manager.want(200, "GET", "/api/v1/admin/applications?status=approved&limit=2", nil, &apps)
		if len(apps.Applications) != 2 || !apps.HasMore {
			t.Errorf("region manager's applications, first page: %d, has_more %v", len(apps.Applications), apps.HasMore)
		}
		manager.want(200, "GET", "/api/v1/admin/applications?status=approved&limit=2&offset=2", nil, &apps)
		if len(apps.Applications) != 1 || apps.HasMore {
			t.Errorf("region manager's applications, second page: %d, has_more %v (the 芙蓉区 one must not show)", len(apps.Applications), apps.HasMore)
		}

		// A shopper reaches no console list.
		buyer := s.user("buyer", "", "")
		for _, path := range []string{"/api/v1/admin/shops", "/api/v1/admin/applications"} {
			if code, body := buyer.do("GET", path, nil); code != http.StatusForbidden {
				t.Errorf("shopper GET %s: %d %s, want 403", path, code, body)
			}
		}

		// The storefront list pages too.
		var pub shopPage
		s.anonymous().want(200, "GET", "/api/v1/shops?limit=3", nil, &pub)
		if len(pub.Shops) != 3 || !pub.HasMore {
			t.Errorf("storefront shops, first page: %d, has_more %v", len(pub.Shops), pub.HasMore)
		}

		for _, q := range []string{"limit=0", "limit=201", "limit=abc", "offset=-1", "offset=x", "status=open"} {
			code, body := s.admin.do("GET", "/api/v1/admin/shops?"+q, nil)
			var e apiError
			_ = json.Unmarshal(body, &e)
			if code != 400 || len(e.Error.Fields) != 1 {
				t.Errorf("?%s: %d %s, want 400 with one field error", q, code, body)
			}
		}
	})
}
