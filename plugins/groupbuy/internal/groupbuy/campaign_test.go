package groupbuy_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/plugins/groupbuy/internal/groupbuy"
	"github.com/jishi-dev/jishi/plugins/groupbuy/migrations"
	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk/sdktest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// validCampaign is a campaign input every rule accepts.
func validCampaign(now time.Time) map[string]any {
	return map[string]any{
		"title": "大米拼团", "product_id": product, "sku_id": sku, "group_price_fen": 1990, "leader_price_fen": 1790,
		"group_size": 3, "fill_hours": 24, "starts_at": now, "ends_at": now.Add(48 * time.Hour),
		"per_shopper_limit": 2, "quota": 100,
	}
}

type fieldErr struct {
	Field      string `json:"field"`
	MessageKey string `json:"message_key"`
	Message    string `json:"message"`
}

func fieldErrors(t *testing.T, resp *pluginv1.HandleHTTPResponse) []fieldErr {
	t.Helper()
	var body struct{ Errors []fieldErr }
	if err := json.Unmarshal(resp.GetBody(), &body); err != nil {
		t.Fatalf("body %s: %v", resp.GetBody(), err)
	}
	return body.Errors
}

func TestCreateCampaignValidation(t *testing.T) {
	e := newEnv(t, sdktest.Store(t, migrations.FS))
	now := e.clock.Now()
	e.host.SetProduct(&pluginv1.Product{Id: "prod-other-shop", ShopId: "shop-2", Skus: []*pluginv1.Sku{{Id: "sku-x", PriceFen: 5000, StockAvailable: 10}}})
	tests := []struct {
		name   string
		change map[string]any
		locale string
		want   []fieldErr
	}{
		{"group size 1", map[string]any{"group_size": 1}, "zh-CN",
			[]fieldErr{{"/group_size", "groupbuy.group_size.range", "成团人数须在 2 到 50 人之间"}}},
		{"group size 51", map[string]any{"group_size": 51}, "en",
			[]fieldErr{{"/group_size", "groupbuy.group_size.range", "Group size must be between 2 and 50"}}},
		{"leader price above group price", map[string]any{"leader_price_fen": 1991}, "zh-CN",
			[]fieldErr{{"/leader_price_fen", "groupbuy.leader_price_fen.max", "团长价不能高于拼团价"}}},
		{"end before start", map[string]any{"ends_at": now.Add(-time.Minute)}, "en",
			[]fieldErr{{"/ends_at", "groupbuy.ends_at.after_start", "End time must be after the start time"}}},
		{"quota above stock", map[string]any{"quota": stock + 1}, "zh-CN",
			[]fieldErr{{"/quota", "groupbuy.quota.stock", "活动限量不能超过可售库存 500 件"}}},
		{"group price not below regular", map[string]any{"group_price_fen": regular, "leader_price_fen": regular}, "en",
			[]fieldErr{{"/group_price_fen", "groupbuy.group_price_fen.below_regular", "Group price must be below the regular price of ¥29.90"}}},
		{"zero prices", map[string]any{"group_price_fen": 0, "leader_price_fen": 0}, "en",
			[]fieldErr{{"/group_price_fen", "groupbuy.group_price_fen.min", "Group price must be above zero"}, {"/leader_price_fen", "groupbuy.leader_price_fen.min", "Leader price must be above zero"}}},
		{"fill hours", map[string]any{"fill_hours": 73}, "en",
			[]fieldErr{{"/fill_hours", "groupbuy.fill_hours.range", "Time to fill must be between 1 and 72 hours"}}},
		{"limit and quota", map[string]any{"per_shopper_limit": 0, "quota": 0}, "en",
			[]fieldErr{{"/per_shopper_limit", "groupbuy.per_shopper_limit.min", "The per-shopper limit must be at least 1"}, {"/quota", "groupbuy.quota.min", "The quota must be at least 1"}}},
		{"virtual success", map[string]any{"virtual_success_pct": 101}, "en",
			[]fieldErr{{"/virtual_success_pct", "groupbuy.virtual_success_pct.range", "Virtual success must be between 0 and 100 percent"}}},
		{"SKU of another shop", map[string]any{"product_id": "prod-other-shop", "sku_id": "sku-x"}, "zh-CN",
			[]fieldErr{{"/sku_id", "groupbuy.sku_id.not_found", "本店没有这个商品规格"}}},
		{"unknown SKU", map[string]any{"sku_id": "sku-nope"}, "en",
			[]fieldErr{{"/sku_id", "groupbuy.sku_id.not_found", "This shop has no such SKU"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validCampaign(now)
			for k, v := range tt.change {
				in[k] = v
			}
			tc := shop("{}", 1)
			tc.Locale = tt.locale
			resp := e.post(t, tc, "/campaigns", in)
			if resp.GetStatus() != http.StatusBadRequest {
				t.Fatalf("status %d: %s", resp.GetStatus(), resp.GetBody())
			}
			got := fieldErrors(t, resp)
			if len(got) != len(tt.want) {
				t.Fatalf("errors = %+v, want %+v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("error %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
	// The valid input passes, with the regular price and image from the catalog.
	resp := e.post(t, shop("{}", 1), "/campaigns", validCampaign(now))
	var c groupbuy.Campaign
	if resp.GetStatus() != http.StatusCreated || json.Unmarshal(resp.GetBody(), &c) != nil ||
		c.RegularPriceFen != regular || c.Status != groupbuy.CampaignActive || !c.SoloAllowed || c.ShopID != shopID || c.RegionID != regionID {
		t.Fatalf("valid campaign: %d %s", resp.GetStatus(), resp.GetBody())
	}
}

// Each shop gets the month's included campaigns; beyond them creating one
// is refused, or billed as usage when extra campaigns are allowed. With
// approval required a campaign waits, is billed once approved, and a
// rejected one gives its slot back.
func TestMonthlyCampaigns(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		now := e.clock.Now()
		create := func(tc *pluginv1.TenantContext) *pluginv1.HandleHTTPResponse {
			t.Helper()
			return e.post(t, tc, "/campaigns", validCampaign(now))
		}
		for i := range 2 {
			if r := create(shop("{}", 1)); r.GetStatus() != http.StatusCreated {
				t.Fatalf("included campaign %d: %d %s", i+1, r.GetStatus(), r.GetBody())
			}
		}
		r := create(shop("{}", 1))
		if errs := fieldErrors(t, r); r.GetStatus() != http.StatusBadRequest || len(errs) != 1 || errs[0].Field != "" ||
			errs[0].Message != "本月赠送的 2 场拼团已用完" {
			t.Fatalf("third campaign: %d %s", r.GetStatus(), r.GetBody())
		}
		if n := len(e.host.CallsTo("RecordUsage")); n != 0 {
			t.Fatalf("%d usage records for included campaigns", n)
		}

		extra := shop(`{"extra_campaigns_allowed": true}`, 2)
		r = create(extra)
		var c groupbuy.Campaign
		if r.GetStatus() != http.StatusCreated || json.Unmarshal(r.GetBody(), &c) != nil || !c.Billable {
			t.Fatalf("extra campaign: %d %s", r.GetStatus(), r.GetBody())
		}
		usage := callsTo[*pluginv1.RecordUsageRequest](e.host, "RecordUsage")
		if len(usage) != 1 || usage[0].GetMetric() != "groupbuy.campaign" || usage[0].GetQuantity() != 1 || usage[0].GetIdempotencyKey() != "campaign-"+c.ID {
			t.Fatalf("usage = %v", usage)
		}

		// Approval: waits, rejected gives the slot back, approved is billed.
		approval := shop(`{"extra_campaigns_allowed": true, "require_approval": true}`, 3)
		var waiting [2]groupbuy.Campaign
		for i := range waiting {
			r := create(approval)
			if r.GetStatus() != http.StatusCreated || json.Unmarshal(r.GetBody(), &waiting[i]) != nil || waiting[i].Status != groupbuy.CampaignPendingApproval {
				t.Fatalf("campaign needing approval: %d %s", r.GetStatus(), r.GetBody())
			}
		}
		if n := len(e.host.CallsTo("RecordUsage")); n != 1 {
			t.Fatalf("%d usage records before approval, want 1", n)
		}
		admin := tenantWide(regionID)
		list := e.get(t, admin, pluginv1.RouteArea_ROUTE_AREA_ADMIN, "/approvals", "", "admin-1", false)
		if !strings.Contains(string(list.GetBody()), waiting[0].ID) || !strings.Contains(string(list.GetBody()), "csrf-123") {
			t.Errorf("approvals page lacks the campaign or the CSRF token:\n%s", list.GetBody())
		}
		if r := e.post(t, admin, "/campaigns/"+waiting[0].ID+"/reject", nil); r.GetStatus() != http.StatusOK {
			t.Fatalf("reject: %d %s", r.GetStatus(), r.GetBody())
		}
		if r := e.post(t, admin, "/campaigns/"+waiting[1].ID+"/approve", nil); r.GetStatus() != http.StatusOK {
			t.Fatalf("approve: %d %s", r.GetStatus(), r.GetBody())
		}
		if r := e.post(t, admin, "/campaigns/"+waiting[1].ID+"/approve", nil); r.GetStatus() != http.StatusConflict {
			t.Errorf("approving twice: %d", r.GetStatus())
		}
		usage = callsTo[*pluginv1.RecordUsageRequest](e.host, "RecordUsage")
		if len(usage) != 2 || usage[1].GetIdempotencyKey() != "campaign-"+waiting[1].ID {
			t.Errorf("usage after approval = %v", usage)
		}
		if got := e.campaign(t, waiting[0].ID).Status; got != groupbuy.CampaignRejected {
			t.Errorf("rejected campaign: %s", got)
		}
		// 2 included + 1 extra + 2 waiting - 1 rejected.
		var month struct {
			Used int `json:"month_used"`
		}
		r = e.get(t, shop("{}", 1), pluginv1.RouteArea_ROUTE_AREA_ADMIN, "/campaigns", "", "merchant-1", true)
		if json.Unmarshal(r.GetBody(), &month) != nil || month.Used != 4 {
			t.Errorf("campaigns this month: %s, want 4", r.GetBody())
		}
	})
}

// The host answers NOT_FOUND for another shop's product: a field error, not
// a failure.
func TestCreateCampaignForeignProduct(t *testing.T) {
	e := newEnv(t, sdktest.Store(t, migrations.FS))
	e.host.Handle("GetProducts", func(context.Context, proto.Message) (proto.Message, error) {
		return nil, status.Error(codes.NotFound, "product of another shop")
	})
	resp := e.post(t, shop("{}", 1), "/campaigns", validCampaign(e.clock.Now()))
	if errs := fieldErrors(t, resp); resp.GetStatus() != http.StatusBadRequest || len(errs) != 1 || errs[0].Field != "/sku_id" {
		t.Fatalf("foreign product: %d %s", resp.GetStatus(), resp.GetBody())
	}
	e.host.Handle("GetProducts", func(context.Context, proto.Message) (proto.Message, error) {
		return nil, status.Error(codes.Unavailable, "catalog is restarting")
	})
	if resp := e.post(t, shop("{}", 1), "/campaigns", validCampaign(e.clock.Now())); resp.GetStatus() != http.StatusServiceUnavailable {
		t.Fatalf("catalog down: %d %s", resp.GetStatus(), resp.GetBody())
	}
}
