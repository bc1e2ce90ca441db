package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk/sdktest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func tenant(config string, version int64, locale string) *pluginv1.TenantContext {
	return &pluginv1.TenantContext{TenantId: "tenant-1", RegionId: "yuelu", ShopId: "shop-1", ConfigJson: []byte(config), ConfigVersion: version, Locale: locale}
}

func cart(tc *pluginv1.TenantContext, subtotals ...int64) *pluginv1.AdjustCartRequest {
	req := &pluginv1.AdjustCartRequest{Tenant: tc, Currency: "CNY"}
	for i, s := range subtotals {
		req.Lines = append(req.Lines, &pluginv1.CartLine{LineId: fmt.Sprint("l", i+1), Quantity: 1, UnitPriceFen: s, SubtotalFen: s})
		req.SubtotalFen += s
	}
	return req
}

func TestAdjustCart(t *testing.T) {
	c := sdktest.Serve(t, manifest, newHello())
	ctx := context.Background()
	cfg := `{"threshold_fen": 9900, "off_fen": 1000}`
	tests := []struct {
		name      string
		subtotals []int64
		locale    string
		amount    int64
		allocs    []int64
		label     string
	}{
		{"below threshold", []int64{5000, 4899}, "zh-CN", 0, nil, ""},
		{"at threshold", []int64{9900}, "zh-CN", -1000, []int64{-1000}, "满99减10"},
		{"split with remainder", []int64{3333, 3333, 3334}, "en", -1000, []int64{-334, -333, -333}, "10 off orders of 99 or more"},
		{"uneven lines", []int64{9000, 1000}, "en", -1000, []int64{-900, -100}, "10 off orders of 99 or more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.AdjustCart(ctx, cart(tenant(cfg, 1, tt.locale), tt.subtotals...))
			if err != nil {
				t.Fatal(err)
			}
			if tt.amount == 0 {
				if len(resp.GetAdjustments()) != 0 {
					t.Fatalf("adjustments = %v, want none", resp.GetAdjustments())
				}
				return
			}
			a := resp.GetAdjustments()[0]
			if a.GetAmountFen() != tt.amount || a.GetLabel() != tt.label || a.GetCode() != "hello.fixed-off" {
				t.Errorf("adjustment = %v", a)
			}
			var sum int64
			for i, al := range a.GetAllocations() {
				sum += al.GetAmountFen()
				if al.GetAmountFen() != tt.allocs[i] || al.GetLineId() != fmt.Sprint("l", i+1) {
					t.Errorf("allocation %d = %v, want %d", i, al, tt.allocs[i])
				}
			}
			if sum != a.GetAmountFen() {
				t.Errorf("allocations add up to %d, not %d", sum, a.GetAmountFen())
			}
		})
	}
}

// The rule is built once per config version: a changed config under the same
// version is not seen until the version grows.
func TestAdjustCartRebuildsOnConfigVersion(t *testing.T) {
	c := sdktest.Serve(t, manifest, newHello())
	ctx := context.Background()
	off := func(config string, version int64) int64 {
		t.Helper()
		resp, err := c.AdjustCart(ctx, cart(tenant(config, version, "en"), 20000))
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetAdjustments()[0].GetAmountFen()
	}
	if got := off(`{"threshold_fen": 1000, "off_fen": 500}`, 1); got != -500 {
		t.Fatalf("v1 = %d", got)
	}
	if got := off(`{"threshold_fen": 1000, "off_fen": 800}`, 1); got != -500 {
		t.Fatalf("same version, new config = %d; want the cached -500", got)
	}
	if got := off(`{"threshold_fen": 1000, "off_fen": 800}`, 2); got != -800 {
		t.Fatalf("v2 = %d, want -800", got)
	}
	// Another tenant has its own rule.
	other := tenant(`{"threshold_fen": 1000, "off_fen": 300}`, 1, "en")
	other.TenantId = "tenant-2"
	resp, err := c.AdjustCart(ctx, cart(other, 20000))
	if err != nil || resp.GetAdjustments()[0].GetAmountFen() != -300 {
		t.Fatalf("tenant-2 = %v, %v", resp, err)
	}
}

func TestAdjustCartRefusesBadConfig(t *testing.T) {
	c := sdktest.Serve(t, manifest, newHello())
	_, err := c.AdjustCart(context.Background(), cart(tenant(`{"threshold_fen": 100}`, 1, "en"), 20000))
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("err = %v, want InvalidArgument", err)
	}
}

func TestValidateConfig(t *testing.T) {
	c := sdktest.Serve(t, manifest, newHello())
	type fe struct{ field, key, msg string }
	tests := []struct {
		name   string
		config string
		locale string
		want   []fe
	}{
		{"valid", `{"threshold_fen": 9900, "off_fen": 1000}`, "en", nil},
		{"not json", `{"threshold_fen": `, "en", []fe{{"", "hello.config.invalid", "Settings are not a valid JSON object"}}},
		{"missing", `{}`, "zh-CN", []fe{{"/threshold_fen", "hello.threshold_fen.required", "请填写门槛金额"}, {"/off_fen", "hello.off_fen.required", "请填写优惠金额"}}},
		{"negative", `{"threshold_fen": -1, "off_fen": 0}`, "en", []fe{{"/threshold_fen", "hello.threshold_fen.min", "Threshold cannot be negative"}, {"/off_fen", "hello.off_fen.min", "Discount must be at least 1 fen"}}},
		{"off above threshold", `{"threshold_fen": 500, "off_fen": 501}`, "zh-CN", []fe{{"/off_fen", "hello.off_fen.max", "优惠金额不能超过门槛 500"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.ValidateConfig(context.Background(), &pluginv1.ValidateConfigRequest{Tenant: tenant("{}", 1, tt.locale), ConfigJson: []byte(tt.config)})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.GetErrors()) != len(tt.want) {
				t.Fatalf("errors = %v, want %v", resp.GetErrors(), tt.want)
			}
			for i, e := range resp.GetErrors() {
				if got := (fe{e.GetField(), e.GetMessageKey(), e.GetMessage()}); got != tt.want[i] {
					t.Errorf("error %d = %+v, want %+v", i, got, tt.want[i])
				}
			}
		})
	}
}

func TestSlotContentAndUnimplemented(t *testing.T) {
	c := sdktest.Serve(t, manifest, newHello())
	ctx := context.Background()
	tc := tenant(`{"threshold_fen": 9900, "off_fen": 1050}`, 1, "zh-CN")
	resp, err := c.SlotContent(ctx, &pluginv1.SlotContentRequest{Tenant: tc, Slot: badgeSlot, ProductId: "p1"})
	if err != nil || len(resp.GetItems()) != 1 || resp.GetItems()[0].GetBadge() != "满99减10.50" {
		t.Fatalf("SlotContent = %v, %v", resp, err)
	}
	if _, err := c.SlotContent(ctx, &pluginv1.SlotContentRequest{Tenant: tc, Slot: "home.banner"}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("undeclared slot: %v", err)
	}
	if _, err := c.RunJob(ctx, &pluginv1.RunJobRequest{Tenant: tc, JobName: "x"}); status.Code(err) != codes.Unimplemented {
		t.Errorf("RunJob: %v, want Unimplemented", err)
	}
	h, err := c.Health(ctx, &pluginv1.HealthRequest{})
	if err != nil || h.GetStatus() != pluginv1.HealthStatus_HEALTH_STATUS_SERVING {
		t.Errorf("Health = %v, %v", h, err)
	}
}

// TestBinary builds the real plugin and calls it the way the host does.
func TestBinary(t *testing.T) {
	p := sdktest.Spawn(t, sdktest.Build(t, "."))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d, err := p.Describe(ctx, &pluginv1.DescribeRequest{MinProtocolVersion: pluginv1.MinProtocolVersion, MaxProtocolVersion: pluginv1.ProtocolVersion})
	if err != nil || d.GetManifest().GetName() != "hello" || d.GetManifest().GetProtocolVersion() != pluginv1.ProtocolVersion {
		t.Fatalf("Describe = %v, %v", d, err)
	}
	resp, err := p.AdjustCart(ctx, cart(tenant(`{"threshold_fen": 9900, "off_fen": 1000}`, 1, "zh-CN"), 6000, 4000))
	if err != nil || resp.GetAdjustments()[0].GetAmountFen() != -1000 {
		t.Fatalf("AdjustCart = %v, %v", resp, err)
	}
}
