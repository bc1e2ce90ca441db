package sdktest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Call is one request a FakeHost received.
type Call struct {
	// Method is the HostCallback method's name ("PlaceOrderHold").
	Method string
	// Capability is the request's capability field as it arrived.
	Capability string
	// Request is the request as it arrived (*pluginv1.PlaceOrderHoldRequest, …).
	Request proto.Message
}

// Handler answers one HostCallback method in place of the FakeHost's
// default. It returns the method's response message
// (*pluginv1.PlaceOrderHoldResponse for PlaceOrderHold) or an error, best a
// gRPC status (status.Error(codes.NotFound, …)).
type Handler func(ctx context.Context, req proto.Message) (proto.Message, error)

// FakeHost is the host's HostCallback service for plugin tests: a real gRPC
// server on a unix socket, speaking the real wire format, so a plugin
// reaches it through sdk.Host as it reaches the host.
//
// It records every request (Calls) and refuses one without a capability
// with PERMISSION_DENIED, as the host does, so a test catches a call that
// forgot it. Each method has a default answer, replaced with Handle:
//
//   - GetOrders, GetProducts, GetCustomers answer, in request order, what
//     SetOrder, SetProduct and SetCustomer stored, leaving unknown ids out.
//   - PlaceOrderHold answers a new hold id and adds it to the order's
//     hold_ids when the order is known; ReleaseOrderHold removes it.
//   - CancelOrder answers the order cancelled (marking a known order so).
//   - RefundOrder answers a refund of the amount asked; for a known order it
//     refuses more than is paid and not refunded (INVALID_ARGUMENT) and adds
//     the amount to refunded_fen.
//   - CreateOrder stores and answers a new pending_payment order.
//   - RecordUsage and SendEmail succeed; IssueStoredValue answers cards
//     with made-up codes.
//
// Default answers to requests with an idempotency key are remembered per
// method and key: a retry gets the first answer and changes nothing, as on
// the host. A FakeHost is safe for concurrent use.
type FakeHost struct {
	tb     testing.TB
	target string

	mu        sync.Mutex
	calls     []Call
	handlers  map[string]Handler
	orders    map[string]*pluginv1.Order
	products  map[string]*pluginv1.Product
	customers map[string]*pluginv1.Customer
	answered  map[string]proto.Message // method + "\x00" + idempotency key → answer
	seq       int
}

// hostService describes the HostCallback service: method names and their
// response types.
var hostService = pluginv1.File_jishi_plugin_v1_plugin_proto.Services().ByName("HostCallback")

// unanswered only satisfies the service's registration: the FakeHost's
// interceptor answers every call before it is reached.
type unanswered struct {
	pluginv1.UnimplementedHostCallbackServer
}

// NewHost starts a FakeHost on a unix socket in a temporary directory; it
// stops when the test ends. Point a plugin at it with Use (in-process) or
// Env (a spawned binary).
func NewHost(t testing.TB) *FakeHost {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "host.sock")
	// A unix socket path is limited to 108 bytes; long test names make long
	// temporary directories.
	if len(sock) > 100 {
		dir, err := os.MkdirTemp("", "jishi-host-")
		if err != nil {
			t.Fatalf("sdktest: %v", err)
		}
		t.Cleanup(func() { _ = os.RemoveAll(dir) })
		sock = filepath.Join(dir, "host.sock")
	}
	lis, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatalf("sdktest: listen for the fake host: %v", err)
	}
	f := &FakeHost{
		tb:        t,
		target:    "unix://" + sock,
		handlers:  map[string]Handler{},
		orders:    map[string]*pluginv1.Order{},
		products:  map[string]*pluginv1.Product{},
		customers: map[string]*pluginv1.Customer{},
		answered:  map[string]proto.Message{},
	}
	srv := grpc.NewServer(grpc.UnaryInterceptor(f.serve))
	pluginv1.RegisterHostCallbackServer(srv, unanswered{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
	return f
}

// Target returns the gRPC target of the fake host ("unix:///…/host.sock").
func (f *FakeHost) Target() string { return f.target }

// Env returns the environment that points a plugin process at the fake
// host, for SpawnEnv.
func (f *FakeHost) Env() []string { return []string{sdk.HostCallbackEnv + "=" + f.target} }

// Use points sdk.Host in this test process at the fake host until the test
// ends. It sets the environment variable, so the test cannot be parallel.
func (f *FakeHost) Use(t testing.TB) {
	t.Helper()
	t.Setenv(sdk.HostCallbackEnv, f.target)
	sdk.SetHostConn(nil)
	t.Cleanup(func() { sdk.SetHostConn(nil) })
}

// Handle makes fn answer method ("PlaceOrderHold") in place of the default.
// It fails the test when the HostCallback service has no such method.
func (f *FakeHost) Handle(method string, fn Handler) {
	f.tb.Helper()
	if hostService.Methods().ByName(protoreflect.Name(method)) == nil {
		f.tb.Fatalf("sdktest: HostCallback has no method %q", method)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handlers[method] = fn
}

// Calls returns every request received so far, in order of arrival,
// including those refused.
func (f *FakeHost) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// CallsTo returns the requests to method received so far.
func (f *FakeHost) CallsTo(method string) []Call {
	var out []Call
	for _, c := range f.Calls() {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// SetOrder stores a copy of o (replacing the order with its id) for
// GetOrders and the order-changing defaults.
func (f *FakeHost) SetOrder(o *pluginv1.Order) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.orders[o.GetId()] = proto.CloneOf(o)
}

// Order returns a copy of the stored order id as the defaults have left
// it, or nil.
func (f *FakeHost) Order(id string) *pluginv1.Order {
	f.mu.Lock()
	defer f.mu.Unlock()
	if o, ok := f.orders[id]; ok {
		return proto.CloneOf(o)
	}
	return nil
}

// SetProduct stores a copy of p for GetProducts.
func (f *FakeHost) SetProduct(p *pluginv1.Product) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.products[p.GetId()] = proto.CloneOf(p)
}

// SetCustomer stores a copy of c for GetCustomers.
func (f *FakeHost) SetCustomer(c *pluginv1.Customer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.customers[c.GetId()] = proto.CloneOf(c)
}

// serve answers every HostCallback call: it records the request, refuses
// one without a capability, and answers through the test's handler or the
// default, checking that the answer is the method's response type.
func (f *FakeHost) serve(ctx context.Context, req any, info *grpc.UnaryServerInfo, _ grpc.UnaryHandler) (any, error) {
	method := path.Base(info.FullMethod)
	m, ok := req.(proto.Message)
	md := hostService.Methods().ByName(protoreflect.Name(method))
	if !ok || md == nil {
		return nil, status.Errorf(codes.Unimplemented, "fake host: unknown method %s", info.FullMethod)
	}
	capability := stringField(m, "capability")
	f.mu.Lock()
	f.calls = append(f.calls, Call{Method: method, Capability: capability, Request: m})
	h := f.handlers[method]
	f.mu.Unlock()

	if capability == "" {
		return nil, status.Errorf(codes.PermissionDenied,
			"fake host: %s without a capability: send the capability of the call being served (sdk.Host(t))", method)
	}
	var resp proto.Message
	var err error
	if h != nil {
		resp, err = h(ctx, m)
	} else {
		resp, err = f.answer(method, m)
	}
	if err != nil {
		return nil, err
	}
	if resp == nil || resp.ProtoReflect().Descriptor().FullName() != md.Output().FullName() {
		return nil, status.Errorf(codes.Internal, "fake host: the handler of %s answered %T, want %s", method, resp, md.Output().FullName())
	}
	return resp, nil
}

// answer gives the default answer, remembered per idempotency key.
func (f *FakeHost) answer(method string, req proto.Message) (proto.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := stringField(req, "idempotency_key")
	if key != "" {
		if prev, ok := f.answered[method+"\x00"+key]; ok {
			return proto.Clone(prev), nil
		}
	}
	resp, err := f.defaultAnswer(req)
	if err != nil {
		return nil, err
	}
	if key != "" {
		f.answered[method+"\x00"+key] = proto.Clone(resp)
	}
	return resp, nil
}

// defaultAnswer answers req; f.mu is held.
func (f *FakeHost) defaultAnswer(req proto.Message) (proto.Message, error) {
	switch r := req.(type) {
	case *pluginv1.GetOrdersRequest:
		resp := &pluginv1.GetOrdersResponse{}
		for _, id := range r.GetOrderIds() {
			if o, ok := f.orders[id]; ok {
				resp.Orders = append(resp.Orders, proto.CloneOf(o))
			}
		}
		return resp, nil
	case *pluginv1.GetProductsRequest:
		resp := &pluginv1.GetProductsResponse{}
		for _, id := range r.GetProductIds() {
			if p, ok := f.products[id]; ok {
				resp.Products = append(resp.Products, proto.CloneOf(p))
			}
		}
		return resp, nil
	case *pluginv1.GetCustomersRequest:
		resp := &pluginv1.GetCustomersResponse{}
		for _, id := range r.GetCustomerIds() {
			if c, ok := f.customers[id]; ok {
				resp.Customers = append(resp.Customers, proto.CloneOf(c))
			}
		}
		return resp, nil
	case *pluginv1.PlaceOrderHoldRequest:
		id := f.nextID("hold")
		if o, ok := f.orders[r.GetOrderId()]; ok {
			o.HoldIds = append(o.HoldIds, id)
		}
		return &pluginv1.PlaceOrderHoldResponse{HoldId: id}, nil
	case *pluginv1.ReleaseOrderHoldRequest:
		for _, o := range f.orders {
			ids := o.HoldIds[:0]
			for _, h := range o.HoldIds {
				if h != r.GetHoldId() {
					ids = append(ids, h)
				}
			}
			o.HoldIds = ids
		}
		return &pluginv1.ReleaseOrderHoldResponse{}, nil
	case *pluginv1.CancelOrderRequest:
		o, ok := f.orders[r.GetOrderId()]
		if !ok {
			return &pluginv1.CancelOrderResponse{Order: &pluginv1.Order{Id: r.GetOrderId(), Status: "cancelled"}}, nil
		}
		o.Status = "cancelled"
		o.HoldIds = nil
		if r.GetRefund() {
			o.RefundedFen = o.GetTotalFen()
		}
		return &pluginv1.CancelOrderResponse{Order: proto.CloneOf(o)}, nil
	case *pluginv1.RefundOrderRequest:
		if r.GetAmountFen() <= 0 {
			return nil, status.Errorf(codes.InvalidArgument, "fake host: refund of %d fen: the amount must be positive", r.GetAmountFen())
		}
		if o, ok := f.orders[r.GetOrderId()]; ok {
			if left := o.GetTotalFen() - o.GetRefundedFen(); r.GetAmountFen() > left {
				return nil, status.Errorf(codes.InvalidArgument,
					"fake host: refund of %d fen on order %s: only %d fen is paid and not refunded", r.GetAmountFen(), o.GetId(), left)
			}
			o.RefundedFen += r.GetAmountFen()
		}
		return &pluginv1.RefundOrderResponse{RefundId: f.nextID("refund"), AmountFen: r.GetAmountFen()}, nil
	case *pluginv1.CreateOrderRequest:
		o := &pluginv1.Order{Id: f.nextID("order"), CustomerId: r.GetCustomerId(), Status: "pending_payment", Currency: "CNY"}
		for _, l := range r.GetLines() {
			line := &pluginv1.OrderLine{SkuId: l.GetSkuId(), Quantity: l.GetQuantity(), UnitPriceFen: l.GetUnitPriceFen()}
			if p, sku := f.productOfSku(l.GetSkuId()); p != nil {
				line.ProductId, line.Name, o.ShopId = p.GetId(), p.GetName(), p.GetShopId()
				if line.UnitPriceFen == 0 {
					line.UnitPriceFen = sku.GetPriceFen()
				}
			}
			line.TotalFen = line.UnitPriceFen * int64(line.Quantity)
			o.TotalFen += line.TotalFen
			o.Lines = append(o.Lines, line)
		}
		f.orders[o.Id] = o
		return &pluginv1.CreateOrderResponse{Order: proto.CloneOf(o)}, nil
	case *pluginv1.RecordUsageRequest:
		return &pluginv1.RecordUsageResponse{}, nil
	case *pluginv1.IssueStoredValueRequest:
		out := &pluginv1.IssueStoredValueResponse{}
		for range r.GetCount() {
			id := f.nextID("card")
			out.Cards = append(out.Cards, &pluginv1.StoredValueCard{Id: id, Code: fmt.Sprintf("%016s", strings.ToUpper(strings.ReplaceAll(id, "-", ""))), AmountFen: r.GetAmountFen()})
		}
		return out, nil
	case *pluginv1.SendEmailRequest:
		return &pluginv1.SendEmailResponse{MessageId: f.nextID("email")}, nil
	}
	return nil, status.Errorf(codes.Unimplemented, "fake host: no default answer for %T: set one with Handle", req)
}

func (f *FakeHost) nextID(kind string) string {
	f.seq++
	return fmt.Sprintf("%s-%d", kind, f.seq)
}

func (f *FakeHost) productOfSku(skuID string) (*pluginv1.Product, *pluginv1.Sku) {
	for _, p := range f.products {
		for _, s := range p.GetSkus() {
			if s.GetId() == skuID {
				return p, s
			}
		}
	}
	return nil, nil
}

// stringField returns m's singular string field name, or "".
func stringField(m proto.Message, name protoreflect.Name) string {
	r := m.ProtoReflect()
	fd := r.Descriptor().Fields().ByName(name)
	if fd == nil || fd.Kind() != protoreflect.StringKind || fd.Cardinality() == protoreflect.Repeated {
		return ""
	}
	return r.Get(fd).String()
}
