package groupbuy_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/plugins/groupbuy/internal/groupbuy"
	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
)

const (
	storefront = pluginv1.RouteArea_ROUTE_AREA_STOREFRONT
	admin      = pluginv1.RouteArea_ROUTE_AREA_ADMIN
)

func header(resp *pluginv1.HandleHTTPResponse, name string) string {
	for _, h := range resp.GetHeaders() {
		if strings.EqualFold(h.GetName(), name) && len(h.GetValues()) > 0 {
			return h.GetValues()[0]
		}
	}
	return ""
}

// mustContain fails the test for each of subs the page does not contain.
func mustContain(t *testing.T, what string, resp *pluginv1.HandleHTTPResponse, subs ...string) {
	t.Helper()
	body := string(resp.GetBody())
	for _, s := range subs {
		if !strings.Contains(body, s) {
			t.Errorf("%s lacks %q:\n%s", what, s, body)
		}
	}
}

func TestStorefrontPages(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		camp := e.createCampaign(t, campaignSpec{})
		e.buy(t, "o-leader", "leader", 1790, attrs(camp, "", ""))
		gid := e.groupOf(t, "o-leader")
		tc := tenantWide(regionID)

		today := e.get(t, tc, storefront, "/today", "", "", false)
		if today.GetStatus() != http.StatusOK || header(today, "X-Jishi-Layout") != "page" || header(today, "X-Jishi-Title") != "今日拼团" {
			t.Fatalf("today: %d %v", today.GetStatus(), today.GetHeaders())
		}
		mustContain(t, "today", today, "五常大米拼团", "¥19.90", "¥29.90", "3人团", "/p/groupbuy/campaigns/"+camp)

		page := e.get(t, tc, storefront, "/campaigns/"+camp, "", "amy", false)
		open := "/checkout?sku=" + sku + "&amp;qty=1&amp;attr.groupbuy.campaign=" + camp
		mustContain(t, "campaign page", page, "¥17.90", "开团", open+`"`, open+"&amp;attr.groupbuy.group="+gid, "还差 2 人", "顾*******")

		// A friend arrives through the leader's invite link.
		grp := e.get(t, tc, storefront, "/groups/"+gid, "inviter=leader", "amy", false)
		mustContain(t, "group page", grp, "已拼 1/3 人", "参团",
			open+"&amp;attr.groupbuy.group="+gid+"&amp;attr.groupbuy.inviter=leader",
			"data-gb-expires-at=\""+e.clock.Now().Add(24*time.Hour).Format(time.RFC3339)+"\"",
			"/p/groupbuy/groups/"+gid+"?inviter=amy")
		if strings.Contains(string(grp.GetBody()), "leader</") || strings.Contains(string(grp.GetBody()), "顾客leader") {
			t.Errorf("group page shows a shopper's nickname unmasked:\n%s", grp.GetBody())
		}

		// The leader sees no join button on their own group.
		own := e.get(t, tc, storefront, "/groups/"+gid, "", "leader", true)
		var body struct {
			Group groupbuy.GroupView
		}
		if err := json.Unmarshal(own.GetBody(), &body); err != nil || body.Group.JoinURL != "" || !body.Group.Joined ||
			body.Group.Paid != 1 || body.Group.Need != 2 || len(body.Group.Members) != 1 || body.Group.Members[0].Role != "leader" {
			t.Errorf("group as its leader: %s (%v)", own.GetBody(), err)
		}

		// English.
		en := tenantWide(regionID)
		en.Locale = "en"
		mustContain(t, "today in English", e.get(t, en, storefront, "/today", "", "", false), "3-person group", "Start a group")
	})
}

func TestAdminPages(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		tc := shop("{}", 1)
		// A path the mux cleans is redirected below the mount.
		if r := e.get(t, tc, admin, "//campaigns", "", "merchant-1", false); r.GetStatus()/100 != 3 || header(r, "Location") != "/p/groupbuy/campaigns" {
			t.Errorf("//campaigns: %d %v", r.GetStatus(), r.GetHeaders())
		}
		form := e.get(t, tc, admin, "/campaigns/new", "", "merchant-1", false)
		mustContain(t, "form", form, `name="csrf_token" value="csrf-123"`, `action="/p/groupbuy/campaigns"`, `name="group_size"`)

		post := func(values url.Values) *pluginv1.HandleHTTPResponse {
			t.Helper()
			return e.http(t, &pluginv1.HandleHTTPRequest{
				Tenant: tc, Method: "POST", Path: "/campaigns", Area: admin, Mount: "/merchant/shops/shop-1/p/groupbuy", CsrfToken: "csrf-123",
				Headers:  []*pluginv1.Header{{Name: "Content-Type", Values: []string{"application/x-www-form-urlencoded"}}},
				Body:     []byte(values.Encode()),
				Identity: &pluginv1.Identity{Authenticated: true, UserId: "merchant-1", Kind: "merchant"},
			})
		}
		values := url.Values{
			"product_id": {product}, "sku_id": {sku}, "group_price": {"19.90"}, "leader_price": {"20.50"},
			"group_size": {"3"}, "fill_hours": {"24"}, "per_shopper_limit": {"1"}, "quota": {"50"},
			"starts_at": {"2025-06-10T10:00"}, "ends_at": {"2025-06-17T10:00"}, "solo_allowed": {"on"}, "daily_special": {"on"},
		}
		bad := post(values)
		if bad.GetStatus() != http.StatusBadRequest {
			t.Fatalf("leader price above group price: %d", bad.GetStatus())
		}
		mustContain(t, "re-rendered form", bad, "团长价不能高于拼团价", `value="19.90"`, `value="20.50"`, `name="csrf_token" value="csrf-123"`)

		values.Set("leader_price", "")
		ok := post(values)
		loc := header(ok, "Location")
		if ok.GetStatus() != http.StatusSeeOther || !strings.HasPrefix(loc, "/merchant/shops/shop-1/p/groupbuy/campaigns/") {
			t.Fatalf("create: %d %q %s", ok.GetStatus(), loc, ok.GetBody())
		}
		id := loc[strings.LastIndex(loc, "/")+1:]
		c := e.campaign(t, id)
		wantStart := time.Date(2025, 6, 10, 2, 0, 0, 0, time.UTC) // 10:00 in Shanghai
		if c.GroupPriceFen != 1990 || c.LeaderPriceFen != 1990 || !c.StartsAt.Equal(wantStart) || !c.DailySpecial || c.WeeklyDeal ||
			c.Title != "五常大米 5kg" || c.CreatedBy != "merchant-1" {
			t.Errorf("campaign from the form = %+v", c)
		}

		// A group fills: the results show it and its revenue.
		e.buy(t, "o-1", "leader", 1990, attrs(id, "", ""))
		gid := e.groupOf(t, "o-1")
		e.buy(t, "o-2", "amy", 1990, attrs(id, gid, ""))
		e.buy(t, "o-3", "bob", 1990, attrs(id, gid, ""))
		list := e.get(t, tc, admin, "/campaigns", "", "merchant-1", false)
		mustContain(t, "list", list, "五常大米 5kg", "3/50", "0/1/0", "/campaigns/"+id+"/pause")
		detail := e.get(t, tc, admin, "/campaigns/"+id, "", "merchant-1", false)
		mustContain(t, "results", detail, "¥59.70", "o-1", "o-2", "o-3", "已成团")

		// Pause and resume.
		pause := e.http(t, &pluginv1.HandleHTTPRequest{Tenant: tc, Method: "POST", Path: "/campaigns/" + id + "/pause", Area: admin, Mount: "/m"})
		if pause.GetStatus() != http.StatusSeeOther || header(pause, "Location") != "/m/campaigns/"+id || e.campaign(t, id).Status != groupbuy.CampaignPaused {
			t.Fatalf("pause: %d %v", pause.GetStatus(), pause.GetHeaders())
		}
		if r := e.adjust(t, "cat", line("l", 1, attrs(id, "", ""))); len(r.GetErrors()) != 1 {
			t.Errorf("a paused campaign still sells: %v", r)
		}
		if r := e.post(t, tc, "/campaigns/"+id+"/pause", nil); r.GetStatus() != http.StatusConflict {
			t.Errorf("pausing twice: %d", r.GetStatus())
		}
		if r := e.post(t, tc, "/campaigns/"+id+"/resume", nil); r.GetStatus() != http.StatusOK || e.campaign(t, id).Status != groupbuy.CampaignActive {
			t.Errorf("resume: %d %s", r.GetStatus(), r.GetBody())
		}
	})
}

// Campaigns and groups of another tenant or another shop answer 404.
func TestOtherTenantOrShopNotFound(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		camp := e.createCampaign(t, campaignSpec{})
		e.buy(t, "o-1", "leader", 1790, attrs(camp, "", ""))
		gid := e.groupOf(t, "o-1")

		otherShop := shop("{}", 1)
		otherShop.ShopId = "shop-2"
		otherTenant := shop("{}", 1)
		otherTenant.TenantId = "tenant-2"
		otherTenantWide := tenantWide(regionID)
		otherTenantWide.TenantId = "tenant-2"
		outOfScope := tenantWide("furong")

		cases := []struct {
			name string
			tc   *pluginv1.TenantContext
			area pluginv1.RouteArea
			post bool
			path string
		}{
			{"shop console of another shop", otherShop, admin, false, "/campaigns/" + camp},
			{"pause from another shop", otherShop, admin, true, "/campaigns/" + camp + "/pause"},
			{"another tenant's console", otherTenant, admin, false, "/campaigns/" + camp},
			{"another tenant pauses", otherTenant, admin, true, "/campaigns/" + camp + "/pause"},
			{"another tenant approves", otherTenantWide, admin, true, "/campaigns/" + camp + "/approve"},
			{"another tenant's storefront", otherTenantWide, storefront, false, "/campaigns/" + camp},
			{"another tenant's group", otherTenantWide, storefront, false, "/groups/" + gid},
			{"another shop's storefront", otherShop, storefront, false, "/campaigns/" + camp},
			{"a region the plugin is off in", outOfScope, storefront, false, "/groups/" + gid},
			{"unknown campaign", shop("{}", 1), admin, false, "/campaigns/nope"},
			{"unknown route", shop("{}", 1), admin, false, "/nope"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				var resp *pluginv1.HandleHTTPResponse
				if tc.post {
					resp = e.post(t, tc.tc, tc.path, nil)
				} else {
					resp = e.get(t, tc.tc, tc.area, tc.path, "", "someone", true)
				}
				if resp.GetStatus() != http.StatusNotFound {
					t.Errorf("status %d, want 404: %s", resp.GetStatus(), resp.GetBody())
				}
			})
		}
		if c := e.campaign(t, camp); c.Status != groupbuy.CampaignActive {
			t.Errorf("campaign %s after others' requests", c.Status)
		}
		// The owner sees it.
		if r := e.get(t, shop("{}", 1), admin, "/campaigns/"+camp, "", "merchant-1", true); r.GetStatus() != http.StatusOK {
			t.Errorf("owner: %d", r.GetStatus())
		}
		// Another tenant's cart cannot use the campaign either.
		req := &pluginv1.AdjustCartRequest{Tenant: otherTenant, CustomerId: "amy", Lines: []*pluginv1.CartLine{line("l", 1, attrs(camp, gid, ""))}}
		if r, err := e.c.AdjustCart(t.Context(), req); err != nil || len(r.GetErrors()) != 1 || len(r.GetAdjustments()) != 0 {
			t.Errorf("another tenant's cart: %v, %v", r, err)
		}
	})
}
