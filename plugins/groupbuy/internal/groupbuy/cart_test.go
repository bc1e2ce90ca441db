package groupbuy_test

import (
	"context"
	"testing"
	"time"

	"github.com/jishi-dev/jishi/plugins/groupbuy/internal/groupbuy"
	"github.com/jishi-dev/jishi/plugins/groupbuy/migrations"
	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk/sdktest"
)

// AdjustCart refuses group-buy lines it cannot honour, each with a field
// error on its line.
func TestAdjustCartErrors(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		pair := e.createCampaign(t, campaignSpec{GroupSize: 2, Limit: 1})
		e.buy(t, "o-leader", "leader", 1790, attrs(pair, "", ""))
		gid := e.groupOf(t, "o-leader")
		e.event(t, groupbuy.EventOrderPlaced, order("o-amy", "amy", 1, 1990, attrs(pair, gid, ""))) // the last seat, unpaid

		small := e.createCampaign(t, campaignSpec{Quota: 3, Limit: 5})
		e.buy(t, "o-q1", "cat", 1790, attrs(small, "", ""))
		e.event(t, groupbuy.EventOrderPlaced, order("o-q2", "dan", 1, 1790, attrs(small, "", ""))) // pending units count too

		groupOnly := e.createCampaign(t, campaignSpec{SoloAllowed: ptr(false)})
		other := e.createCampaign(t, campaignSpec{})

		tests := []struct {
			name     string
			customer string
			line     *pluginv1.CartLine
			msg      string
		}{
			{"guest", "", line("l", 1, attrs(other, "", "")), "请先登录再参加拼团"},
			{"unknown campaign", "bob", line("l", 1, attrs("no-such", "", "")), "该拼团活动不存在或已下架"},
			{"full group", "bob", line("l", 1, attrs(pair, gid, "")), "该团已满员，请另开一团"},
			{"already joined", "amy", line("l", 1, attrs(pair, gid, "")), "您已在该团中"},
			{"unknown group", "bob", line("l", 1, attrs(other, "no-such-group", "")), "该团已结束，请另开一团"},
			{"group of another campaign", "bob", line("l", 1, attrs(other, gid, "")), "该团已结束，请另开一团"},
			{"limit with quantity", "bob", line("l", 2, attrs(pair, "", "")), "每人限购 1 件"},
			{"limit with earlier orders", "leader", line("l", 1, attrs(pair, "", "")), "每人限购 1 件"},
			{"quota", "eve", line("l", 2, attrs(small, "", "")), "拼团仅剩 1 件"},
			{"solo not allowed", "bob", line("l", 1, nil), "该商品仅限拼团购买"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp := e.adjust(t, tt.customer, tt.line)
				if len(resp.GetErrors()) != 1 {
					t.Fatalf("errors = %v, want one", resp.GetErrors())
				}
				if fe := resp.GetErrors()[0]; fe.GetField() != "/lines/l" || fe.GetMessage() != tt.msg {
					t.Errorf("error = %s %q, want /lines/l %q", fe.GetField(), fe.GetMessage(), tt.msg)
				}
				if len(resp.GetHolds()) != 0 || len(resp.GetAdjustments()) != 0 {
					t.Errorf("a refused line got %v and %v", resp.GetHolds(), resp.GetAdjustments())
				}
			})
		}

		// The shopper's other campaign in the cart keeps its price and hold.
		resp := e.adjust(t, "bob", line("ok", 1, attrs(groupOnly, "", "")), line("bad", 1, attrs(pair, gid, "")))
		if len(resp.GetErrors()) != 1 || resp.GetErrors()[0].GetField() != "/lines/bad" ||
			len(resp.GetHolds()) != 1 || resp.GetHolds()[0].GetLineId() != "ok" {
			t.Errorf("mixed cart = %v", resp)
		}

		// English, and the campaign's window.
		e.clock.Advance(8 * 24 * time.Hour)
		req := &pluginv1.AdjustCartRequest{Tenant: shop("{}", 1), CustomerId: "bob", Lines: []*pluginv1.CartLine{line("l", 1, attrs(other, "", ""))}}
		req.Tenant.Locale = "en"
		r, err := e.c.AdjustCart(context.Background(), req)
		if err != nil || len(r.GetErrors()) != 1 || r.GetErrors()[0].GetMessage() != "This group buy has ended" || r.GetErrors()[0].GetMessageKey() != "groupbuy.cart.ended" {
			t.Errorf("ended campaign = %v, %v", r, err)
		}
		// Past its end a campaign no longer keeps the SKU from being bought alone.
		if r := e.adjust(t, "bob", line("l", 1, nil)); len(r.GetErrors()) != 0 {
			t.Errorf("ended group-only campaign still refuses solo: %v", r.GetErrors())
		}
	})
}

// The price adjustments: the leader price opening a group, the group price
// joining one, never a fee when the shop's price is already lower, and
// nothing for lines that are not group buys.
func TestAdjustCartPrices(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		camp := e.createCampaign(t, campaignSpec{Limit: 5})
		e.buy(t, "o-leader", "leader", 1790, attrs(camp, "", ""))
		gid := e.groupOf(t, "o-leader")

		resp := e.adjust(t, "amy", line("join", 2, attrs(camp, gid, "leader")), line("plain", 1, nil))
		if len(resp.GetErrors()) != 0 || len(resp.GetAdjustments()) != 1 || len(resp.GetHolds()) != 1 {
			t.Fatalf("resp = %v", resp)
		}
		a := resp.GetAdjustments()[0]
		want := (1990 - regular) * 2
		if a.GetCode() != groupbuy.CodeGroupPrice || a.GetAmountFen() != want || len(a.GetAllocations()) != 1 ||
			a.GetAllocations()[0].GetLineId() != "join" || a.GetAllocations()[0].GetAmountFen() != want {
			t.Errorf("adjustment = %v, want %d on line join", a, want)
		}
		if resp.GetHolds()[0].GetLineId() != "join" {
			t.Errorf("hold on %s", resp.GetHolds()[0].GetLineId())
		}

		cheap := line("cheap", 1, attrs(camp, "", ""))
		cheap.UnitPriceFen, cheap.SubtotalFen = 1500, 1500
		resp = e.adjust(t, "bob", cheap)
		if len(resp.GetErrors()) != 0 || len(resp.GetAdjustments()) != 0 || len(resp.GetHolds()) != 1 {
			t.Errorf("a line already below the leader price: %v", resp)
		}
	})
}

func TestValidateConfig(t *testing.T) {
	e := newEnv(t, sdktest.Store(t, migrations.FS))
	tests := []struct {
		config, field, msg string
	}{
		{`{}`, "", ""},
		{`{"invite_rebate_fen": 300, "invite_rebate_min_spend_fen": 2000}`, "", ""},
		{`{"invite_rebate_fen": 500, "invite_rebate_min_spend_fen": 0}`, "", ""},
		{`{"invite_rebate_fen": 2000, "invite_rebate_min_spend_fen": 2000}`, "/invite_rebate_fen", "返利金额须低于使用门槛 ¥20.00"},
		{`{"included_campaigns_per_month": 101}`, "/included_campaigns_per_month", "每月赠送场次须在 0 到 100 之间"},
		{`[1]`, "", "设置不是有效的 JSON 对象"},
	}
	for _, tt := range tests {
		resp, err := e.c.ValidateConfig(context.Background(), &pluginv1.ValidateConfigRequest{Tenant: shop("{}", 1), ConfigJson: []byte(tt.config)})
		if err != nil {
			t.Fatal(err)
		}
		if tt.msg == "" {
			if len(resp.GetErrors()) != 0 {
				t.Errorf("%s: errors %v", tt.config, resp.GetErrors())
			}
			continue
		}
		if len(resp.GetErrors()) != 1 || resp.GetErrors()[0].GetField() != tt.field || resp.GetErrors()[0].GetMessage() != tt.msg {
			t.Errorf("%s: errors %v, want %s %q", tt.config, resp.GetErrors(), tt.field, tt.msg)
		}
	}
}

func TestSlots(t *testing.T) {
	forEachStore(t, func(t *testing.T, e *env) {
		camp := e.createCampaign(t, campaignSpec{})
		ctx := context.Background()
		slot := func(tc *pluginv1.TenantContext, name, productID string) *pluginv1.SlotContentResponse {
			t.Helper()
			resp, err := e.c.SlotContent(ctx, &pluginv1.SlotContentRequest{Tenant: tc, Slot: name, ProductId: productID})
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
		badge := slot(shop("{}", 1), groupbuy.SlotBadge, product)
		if len(badge.GetItems()) != 1 || badge.GetItems()[0].GetBadge() != "3人团" || badge.GetCacheSeconds() != 5 {
			t.Errorf("badge = %v", badge)
		}
		en := tenantWide(regionID)
		en.Locale = "en"
		if b := slot(en, groupbuy.SlotBadge, product); len(b.GetItems()) != 1 || b.GetItems()[0].GetBadge() != "3-person group" {
			t.Errorf("tenant-wide badge in English = %v", b)
		}
		price := slot(shop("{}", 1), groupbuy.SlotPrice, product)
		if len(price.GetItems()) != 1 {
			t.Fatalf("price = %v", price)
		}
		it := price.GetItems()[0]
		if it.GetTitle() != "拼团价" || it.GetPriceFen() != 1990 || it.GetOriginalPriceFen() != regular ||
			it.GetLink() != "/p/groupbuy/campaigns/"+camp || !it.GetEndsAt().AsTime().Equal(e.campaign(t, camp).EndsAt) {
			t.Errorf("price item = %v", it)
		}
		if r := slot(shop("{}", 1), groupbuy.SlotBadge, "another-product"); len(r.GetItems()) != 0 {
			t.Errorf("another product: %v", r)
		}
		if r := slot(tenantWide("furong"), groupbuy.SlotBadge, product); len(r.GetItems()) != 0 {
			t.Errorf("a scope without the shop: %v", r)
		}
	})
}
