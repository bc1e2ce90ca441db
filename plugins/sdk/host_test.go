package sdk_test

import (
	"context"
	"strings"
	"testing"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk"
	"github.com/jishi-dev/jishi/plugins/sdk/sdktest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestHostSendsTheCallsCapability(t *testing.T) {
	host := sdktest.NewHost(t)
	host.Use(t)
	host.SetOrder(&pluginv1.Order{Id: "o1", ShopId: "s1", Status: "paid", TotalFen: 1999})
	ctx := context.Background()
	tn, err := sdk.NewTenant(&pluginv1.TenantContext{TenantId: "t1", ShopId: "s1", Capability: "cap-of-this-call"})
	if err != nil {
		t.Fatal(err)
	}

	req := &pluginv1.GetOrdersRequest{OrderIds: []string{"o1", "o-unknown"}}
	resp, err := sdk.Host(tn).GetOrders(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetOrders()) != 1 || resp.GetOrders()[0].GetTotalFen() != 1999 {
		t.Fatalf("orders = %v", resp.GetOrders())
	}
	if req.GetCapability() != "" {
		t.Errorf("the caller's request was changed: capability %q", req.GetCapability())
	}
	// A capability the request names itself is sent as it is.
	if _, err := sdk.Host(tn).RecordUsage(ctx, &pluginv1.RecordUsageRequest{Capability: "explicit", Metric: "m", Quantity: 1}); err != nil {
		t.Fatal(err)
	}
	// Every method goes through the same connection.
	hold, err := sdk.Host(tn).PlaceOrderHold(ctx, &pluginv1.PlaceOrderHoldRequest{OrderId: "o1", IdempotencyKey: "k1"})
	if err != nil || hold.GetHoldId() == "" {
		t.Fatalf("PlaceOrderHold = %v, %v", hold, err)
	}

	calls := host.Calls()
	want := []struct{ method, capability string }{
		{"GetOrders", "cap-of-this-call"},
		{"RecordUsage", "explicit"},
		{"PlaceOrderHold", "cap-of-this-call"},
	}
	if len(calls) != len(want) {
		t.Fatalf("the host got %d calls, want %d: %v", len(calls), len(want), calls)
	}
	for i, w := range want {
		if calls[i].Method != w.method || calls[i].Capability != w.capability {
			t.Errorf("call %d = %s with capability %q, want %s with %q", i, calls[i].Method, calls[i].Capability, w.method, w.capability)
		}
	}
	if got := calls[0].Request.(*pluginv1.GetOrdersRequest).GetOrderIds(); len(got) != 2 {
		t.Errorf("order ids on the wire = %v", got)
	}
}

func TestHostWithoutCapabilityIsRefused(t *testing.T) {
	host := sdktest.NewHost(t)
	host.Use(t)
	_, err := sdk.Host(&sdk.Tenant{ID: "t1"}).SendEmail(context.Background(), &pluginv1.SendEmailRequest{
		Recipient: &pluginv1.SendEmailRequest_ShopStaff{ShopStaff: true}, Subject: "s", Text: "t"})
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("SendEmail without a capability = %v, want PERMISSION_DENIED", err)
	}
}

func TestHostWithoutEnvironment(t *testing.T) {
	host := sdktest.NewHost(t)
	t.Setenv(sdk.HostCallbackEnv, "")
	sdk.SetHostConn(nil)
	t.Cleanup(func() { sdk.SetHostConn(nil) })
	tn := &sdk.Tenant{ID: "t1", Capability: "c"}
	ctx := context.Background()

	for range 2 {
		_, err := sdk.Host(tn).GetProducts(ctx, &pluginv1.GetProductsRequest{ProductIds: []string{"p1"}})
		if status.Code(err) != codes.Unavailable || !strings.Contains(err.Error(), sdk.HostCallbackEnv+" is not set") {
			t.Fatalf("GetProducts without %s = %v, want UNAVAILABLE saying it is not set", sdk.HostCallbackEnv, err)
		}
	}
	// A failed dial is not remembered: once the variable is there, calls go through.
	t.Setenv(sdk.HostCallbackEnv, host.Target())
	host.SetProduct(&pluginv1.Product{Id: "p1", Name: "Tea"})
	resp, err := sdk.Host(tn).GetProducts(ctx, &pluginv1.GetProductsRequest{ProductIds: []string{"p1"}})
	if err != nil || len(resp.GetProducts()) != 1 || resp.GetProducts()[0].GetName() != "Tea" {
		t.Fatalf("GetProducts after setting %s = %v, %v", sdk.HostCallbackEnv, resp, err)
	}
}
