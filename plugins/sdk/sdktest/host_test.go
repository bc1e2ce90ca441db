package sdktest_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk"
	"github.com/jishi-dev/jishi/plugins/sdk/sdktest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// dial connects to the fake host as a plain gRPC client, the way any
// process would reach the host's socket.
func dial(t *testing.T, h *sdktest.FakeHost) pluginv1.HostCallbackClient {
	t.Helper()
	if !strings.HasPrefix(h.Target(), "unix:///") {
		t.Fatalf("Target = %q, want a unix:/// target", h.Target())
	}
	if env := h.Env(); len(env) != 1 || env[0] != sdk.HostCallbackEnv+"="+h.Target() {
		t.Fatalf("Env = %v", env)
	}
	cc, err := grpc.NewClient(h.Target(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return pluginv1.NewHostCallbackClient(cc)
}

func TestFakeHostRefusesEmptyCapability(t *testing.T) {
	h := sdktest.NewHost(t)
	c := dial(t, h)
	ctx := context.Background()
	_, err := c.CancelOrder(ctx, &pluginv1.CancelOrderRequest{OrderId: "o1"})
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("CancelOrder without a capability = %v, want PERMISSION_DENIED", err)
	}
	calls := h.Calls()
	if len(calls) != 1 || calls[0].Method != "CancelOrder" || calls[0].Capability != "" {
		t.Fatalf("calls = %v, want the refused call recorded", calls)
	}
	if _, err := c.CancelOrder(ctx, &pluginv1.CancelOrderRequest{Capability: "c", OrderId: "o1"}); err != nil {
		t.Fatalf("CancelOrder with a capability: %v", err)
	}
}

func TestFakeHostOrderDefaults(t *testing.T) {
	h := sdktest.NewHost(t)
	c := dial(t, h)
	ctx := context.Background()
	h.SetOrder(&pluginv1.Order{Id: "o1", ShopId: "s1", Status: "paid", TotalFen: 5000})

	hold, err := c.PlaceOrderHold(ctx, &pluginv1.PlaceOrderHoldRequest{Capability: "c", OrderId: "o1", IdempotencyKey: "hold-o1"})
	if err != nil || hold.GetHoldId() == "" {
		t.Fatalf("PlaceOrderHold = %v, %v", hold, err)
	}
	again, err := c.PlaceOrderHold(ctx, &pluginv1.PlaceOrderHoldRequest{Capability: "c", OrderId: "o1", IdempotencyKey: "hold-o1"})
	if err != nil || again.GetHoldId() != hold.GetHoldId() {
		t.Fatalf("a retried PlaceOrderHold = %v, %v; want the first hold %s", again, err, hold.GetHoldId())
	}
	if got := h.Order("o1").GetHoldIds(); len(got) != 1 || got[0] != hold.GetHoldId() {
		t.Fatalf("hold_ids = %v, want the one hold", got)
	}
	if _, err := c.ReleaseOrderHold(ctx, &pluginv1.ReleaseOrderHoldRequest{Capability: "c", HoldId: hold.GetHoldId()}); err != nil {
		t.Fatal(err)
	}
	if got := h.Order("o1").GetHoldIds(); len(got) != 0 {
		t.Fatalf("hold_ids after release = %v", got)
	}

	if _, err := c.RefundOrder(ctx, &pluginv1.RefundOrderRequest{Capability: "c", OrderId: "o1", AmountFen: 5001}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("refunding more than paid = %v, want INVALID_ARGUMENT", err)
	}
	r, err := c.RefundOrder(ctx, &pluginv1.RefundOrderRequest{Capability: "c", OrderId: "o1", AmountFen: 1200, IdempotencyKey: "r1"})
	if err != nil || r.GetAmountFen() != 1200 || r.GetRefundId() == "" {
		t.Fatalf("RefundOrder = %v, %v", r, err)
	}
	if _, err := c.RefundOrder(ctx, &pluginv1.RefundOrderRequest{Capability: "c", OrderId: "o1", AmountFen: 1200, IdempotencyKey: "r1"}); err != nil {
		t.Fatal(err)
	}
	if got := h.Order("o1").GetRefundedFen(); got != 1200 {
		t.Fatalf("refunded_fen = %d, want 1200 (the retry refunds nothing more)", got)
	}
	if _, err := c.RefundOrder(ctx, &pluginv1.RefundOrderRequest{Capability: "c", OrderId: "o1", AmountFen: 3801}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("refunding more than is left = %v, want INVALID_ARGUMENT", err)
	}

	cancelled, err := c.CancelOrder(ctx, &pluginv1.CancelOrderRequest{Capability: "c", OrderId: "o1", Refund: true})
	if err != nil || cancelled.GetOrder().GetStatus() != "cancelled" || cancelled.GetOrder().GetRefundedFen() != 5000 {
		t.Fatalf("CancelOrder = %v, %v", cancelled, err)
	}

	h.SetProduct(&pluginv1.Product{Id: "p1", ShopId: "s2", Name: "Tea", Skus: []*pluginv1.Sku{{Id: "sku1", PriceFen: 350}}})
	created, err := c.CreateOrder(ctx, &pluginv1.CreateOrderRequest{Capability: "c", CustomerId: "u1",
		Lines: []*pluginv1.CreateOrderLine{{SkuId: "sku1", Quantity: 2}, {SkuId: "sku1", Quantity: 1, UnitPriceFen: 300}}})
	if err != nil {
		t.Fatal(err)
	}
	o := created.GetOrder()
	if o.GetTotalFen() != 1000 || o.GetShopId() != "s2" || o.GetStatus() != "pending_payment" || h.Order(o.GetId()) == nil {
		t.Fatalf("CreateOrder = %v", o)
	}
	got, err := c.GetOrders(ctx, &pluginv1.GetOrdersRequest{Capability: "c", OrderIds: []string{o.GetId(), "nope", "o1"}})
	if err != nil || len(got.GetOrders()) != 2 || got.GetOrders()[0].GetId() != o.GetId() || got.GetOrders()[1].GetId() != "o1" {
		t.Fatalf("GetOrders = %v, %v; want the two known orders in request order", got, err)
	}
}

func TestFakeHostReadDefaults(t *testing.T) {
	h := sdktest.NewHost(t)
	c := dial(t, h)
	ctx := context.Background()
	h.SetCustomer(&pluginv1.Customer{Id: "u1", DisplayName: "小王"})
	h.SetProduct(&pluginv1.Product{Id: "p1", Name: "Tea"})
	cs, err := c.GetCustomers(ctx, &pluginv1.GetCustomersRequest{Capability: "c", CustomerIds: []string{"u0", "u1"}})
	if err != nil || len(cs.GetCustomers()) != 1 || cs.GetCustomers()[0].GetDisplayName() != "小王" {
		t.Fatalf("GetCustomers = %v, %v", cs, err)
	}
	ps, err := c.GetProducts(ctx, &pluginv1.GetProductsRequest{Capability: "c", ProductIds: []string{"p1"}})
	if err != nil || len(ps.GetProducts()) != 1 {
		t.Fatalf("GetProducts = %v, %v", ps, err)
	}
	if _, err := c.RecordUsage(ctx, &pluginv1.RecordUsageRequest{Capability: "c", Metric: "x", Quantity: 3}); err != nil {
		t.Fatal(err)
	}
	mail, err := c.SendEmail(ctx, &pluginv1.SendEmailRequest{Capability: "c", Recipient: &pluginv1.SendEmailRequest_CustomerId{CustomerId: "u1"}, Subject: "s"})
	if err != nil || mail.GetMessageId() == "" {
		t.Fatalf("SendEmail = %v, %v", mail, err)
	}
	if n := len(h.CallsTo("RecordUsage")); n != 1 {
		t.Fatalf("CallsTo(RecordUsage) = %d calls", n)
	}
	if q := h.CallsTo("RecordUsage")[0].Request.(*pluginv1.RecordUsageRequest).GetQuantity(); q != 3 {
		t.Fatalf("recorded quantity = %d", q)
	}
}

func TestFakeHostHandlers(t *testing.T) {
	h := sdktest.NewHost(t)
	c := dial(t, h)
	ctx := context.Background()
	h.Handle("PlaceOrderHold", func(_ context.Context, req proto.Message) (proto.Message, error) {
		if req.(*pluginv1.PlaceOrderHoldRequest).GetOrderId() == "gone" {
			return nil, status.Error(codes.NotFound, "no such order")
		}
		return &pluginv1.PlaceOrderHoldResponse{HoldId: "custom"}, nil
	})
	h.Handle("SendEmail", func(context.Context, proto.Message) (proto.Message, error) {
		return &pluginv1.RecordUsageResponse{}, nil // the wrong response type
	})

	if r, err := c.PlaceOrderHold(ctx, &pluginv1.PlaceOrderHoldRequest{Capability: "c", OrderId: "o1"}); err != nil || r.GetHoldId() != "custom" {
		t.Fatalf("PlaceOrderHold = %v, %v; want the handler's answer", r, err)
	}
	if _, err := c.PlaceOrderHold(ctx, &pluginv1.PlaceOrderHoldRequest{Capability: "c", OrderId: "gone"}); status.Code(err) != codes.NotFound {
		t.Fatalf("PlaceOrderHold = %v, want the handler's NOT_FOUND", err)
	}
	if _, err := c.SendEmail(ctx, &pluginv1.SendEmailRequest{Capability: "c"}); status.Code(err) != codes.Internal || !strings.Contains(err.Error(), "SendEmailResponse") {
		t.Fatalf("SendEmail with a handler answering the wrong type = %v, want INTERNAL naming SendEmailResponse", err)
	}
	// The capability check comes before the handler.
	if _, err := c.PlaceOrderHold(ctx, &pluginv1.PlaceOrderHoldRequest{OrderId: "o1"}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("PlaceOrderHold without a capability = %v, want PERMISSION_DENIED", err)
	}
}

func TestFakeHostConcurrentCalls(t *testing.T) {
	h := sdktest.NewHost(t)
	c := dial(t, h)
	var mu sync.Mutex
	holds := map[string]bool{}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			r, err := c.PlaceOrderHold(context.Background(), &pluginv1.PlaceOrderHoldRequest{Capability: "c", OrderId: "o1"})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			holds[r.GetHoldId()] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	if n := len(h.CallsTo("PlaceOrderHold")); n != 20 || len(holds) != 20 {
		t.Fatalf("%d calls recorded and %d distinct holds, want 20 and 20", n, len(holds))
	}
}
