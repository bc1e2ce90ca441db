package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Host callback scopes a manifest may declare.
const (
	ScopeCatalogRead   = "catalog:read"
	ScopeOrdersRead    = "orders:read"
	ScopeCustomersRead = "customers:read"
	ScopeOrdersHold    = "orders:hold"
	ScopeOrdersCancel  = "orders:cancel"
	ScopeOrdersRefund  = "orders:refund"
	ScopeOrdersCreate  = "orders:create"
	ScopeUsageRecord   = "usage:record"
	ScopeEmailSend     = "email:send"
	ScopeStoredValue   = "stored_value:issue"
)

// Reach is what a callback may touch: the capability's tenant, and either
// its one shop or (tenant-wide calls) the shops where the plugin is active.
type Reach struct {
	Plugin   string
	TenantID string
	ShopID   string
	// Admits reports whether a shop in a region is within reach.
	Admits func(regionID, shopID string) bool
	// Call is the hook and request id the capability was issued for.
	Call string
}

// Services is what the host callback API does, implemented by the app on
// the core's services. Each method acts inside reach only: ids outside it
// answer ErrNotFound (left out of list answers).
type Services interface {
	Products(ctx context.Context, r Reach, ids []string) ([]*pluginv1.Product, error)
	Orders(ctx context.Context, r Reach, ids []string) ([]*pluginv1.Order, error)
	Customers(ctx context.Context, r Reach, ids []string) ([]*pluginv1.Customer, error)
	PlaceHold(ctx context.Context, r Reach, orderID, reason, key string) (holdID string, err error)
	ReleaseHold(ctx context.Context, r Reach, holdID, key string) error
	CancelOrder(ctx context.Context, r Reach, orderID, reason string, refund bool, key string) (*pluginv1.Order, error)
	RefundOrder(ctx context.Context, r Reach, orderID string, amountFen int64, reason, key string) (refundID string, refunded int64, err error)
	RecordUsage(ctx context.Context, r Reach, metric string, qty int64, key string) error
	SendEmail(ctx context.Context, r Reach, customerID string, shopStaff bool, subject, text, key string) (string, error)
	CreateOrder(ctx context.Context, r Reach, customerID string, lines []*pluginv1.CreateOrderLine, key string) (*pluginv1.Order, error)
	IssueStoredValue(ctx context.Context, r Reach, req *pluginv1.IssueStoredValueRequest) ([]*pluginv1.StoredValueCard, error)
}

// ErrNotFound is what Services answer for an id outside the reach or
// unknown; the callback answers NOT_FOUND.
var ErrNotFound = errors.New("not found")

// CallbackError is a refusal with a gRPC code (FAILED_PRECONDITION for an
// order in the wrong state, INVALID_ARGUMENT for bad input).
type CallbackError struct {
	Code    codes.Code
	Message string
}

func (e *CallbackError) Error() string { return e.Message }

// maxCallbackIDs bounds the ids of one read.
const maxCallbackIDs = 100

// Callbacks serves the HostCallback service to plugin processes, one unix
// socket per plugin in a private directory.
type Callbacks struct {
	Signer   *Signer
	Services Services
	// Admits returns the reach filter of a tenant-wide capability.
	Admits func(ctx context.Context, tenantID, plugin string) (func(regionID, shopID string) bool, error)
	// Declared returns the scopes plugin's manifest declared.
	Declared func(plugin string) []string
	Logger   *slog.Logger

	mu      sync.Mutex
	dir     string
	servers map[string]*grpc.Server
}

// Target returns the gRPC target of plugin's socket ("unix:///…"),
// starting its server on first use.
func (cb *Callbacks) Target(plugin string) (string, error) {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	if cb.dir == "" {
		d, err := os.MkdirTemp("", "jishi-host-")
		if err != nil {
			return "", fmt.Errorf("host callback directory: %w", err)
		}
		if err := os.Chmod(d, 0o700); err != nil {
			return "", err
		}
		cb.dir = d
		cb.servers = map[string]*grpc.Server{}
	}
	path := filepath.Join(cb.dir, plugin+".sock")
	if _, ok := cb.servers[plugin]; !ok {
		_ = os.Remove(path)
		l, err := net.Listen("unix", path)
		if err != nil {
			return "", fmt.Errorf("host callback socket for %s: %w", plugin, err)
		}
		srv := grpc.NewServer()
		pluginv1.RegisterHostCallbackServer(srv, &callbackServer{cb: cb, plugin: plugin})
		cb.servers[plugin] = srv
		go func() { _ = srv.Serve(l) }()
	}
	return "unix://" + path, nil
}

// Close stops every callback server and removes the sockets.
func (cb *Callbacks) Close() {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	for _, s := range cb.servers {
		s.Stop()
	}
	cb.servers = nil
	if cb.dir != "" {
		_ = os.RemoveAll(cb.dir)
		cb.dir = ""
	}
}

type callbackServer struct {
	pluginv1.UnimplementedHostCallbackServer
	cb     *Callbacks
	plugin string
}

func (s *callbackServer) logger() *slog.Logger {
	if s.cb.Logger != nil {
		return s.cb.Logger
	}
	return slog.Default()
}

// authorize checks token for scope and returns the reach it grants.
func (s *callbackServer) authorize(ctx context.Context, token, scope string) (Reach, error) {
	c, err := s.cb.Signer.Verify(token, s.plugin)
	if err != nil {
		s.logger().Warn("plugin callback refused", "plugin", s.plugin, "scope", scope, "error", err)
		return Reach{}, status.Errorf(codes.PermissionDenied, "%s: %v", s.plugin, err)
	}
	if !c.Has(scope) || (s.cb.Declared != nil && !contains(s.cb.Declared(s.plugin), scope)) {
		s.logger().Warn("plugin callback refused", "plugin", s.plugin, "scope", scope, "error", "scope not declared")
		return Reach{}, status.Errorf(codes.PermissionDenied, "%s: scope %s is not in the manifest's host_scopes", s.plugin, scope)
	}
	r := Reach{Plugin: s.plugin, TenantID: c.TenantID, ShopID: c.ShopID, Call: c.Call}
	if c.ShopID != "" {
		shop := c.ShopID
		r.Admits = func(_, shopID string) bool { return shopID == shop }
	} else {
		admits, err := s.cb.Admits(ctx, c.TenantID, s.plugin)
		if err != nil {
			return Reach{}, status.Errorf(codes.Unavailable, "%s: %v", s.plugin, err)
		}
		r.Admits = admits
	}
	return r, nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// answer maps a Services error to a gRPC status.
func answer(err error) error {
	if err == nil {
		return nil
	}
	var ce *CallbackError
	switch {
	case errors.Is(err, ErrNotFound):
		return status.Error(codes.NotFound, "not found")
	case errors.As(err, &ce):
		return status.Error(ce.Code, ce.Message)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	return status.Error(codes.Internal, err.Error())
}

func checkIDs(ids []string) error {
	if len(ids) > maxCallbackIDs {
		return status.Errorf(codes.InvalidArgument, "at most %d ids", maxCallbackIDs)
	}
	return nil
}

func (s *callbackServer) GetProducts(ctx context.Context, req *pluginv1.GetProductsRequest) (*pluginv1.GetProductsResponse, error) {
	r, err := s.authorize(ctx, req.GetCapability(), ScopeCatalogRead)
	if err != nil {
		return nil, err
	}
	if err := checkIDs(req.GetProductIds()); err != nil {
		return nil, err
	}
	ps, err := s.cb.Services.Products(ctx, r, req.GetProductIds())
	return &pluginv1.GetProductsResponse{Products: ps}, answer(err)
}

func (s *callbackServer) GetOrders(ctx context.Context, req *pluginv1.GetOrdersRequest) (*pluginv1.GetOrdersResponse, error) {
	r, err := s.authorize(ctx, req.GetCapability(), ScopeOrdersRead)
	if err != nil {
		return nil, err
	}
	if err := checkIDs(req.GetOrderIds()); err != nil {
		return nil, err
	}
	os, err := s.cb.Services.Orders(ctx, r, req.GetOrderIds())
	return &pluginv1.GetOrdersResponse{Orders: os}, answer(err)
}

func (s *callbackServer) GetCustomers(ctx context.Context, req *pluginv1.GetCustomersRequest) (*pluginv1.GetCustomersResponse, error) {
	r, err := s.authorize(ctx, req.GetCapability(), ScopeCustomersRead)
	if err != nil {
		return nil, err
	}
	if err := checkIDs(req.GetCustomerIds()); err != nil {
		return nil, err
	}
	cs, err := s.cb.Services.Customers(ctx, r, req.GetCustomerIds())
	return &pluginv1.GetCustomersResponse{Customers: cs}, answer(err)
}

func (s *callbackServer) PlaceOrderHold(ctx context.Context, req *pluginv1.PlaceOrderHoldRequest) (*pluginv1.PlaceOrderHoldResponse, error) {
	r, err := s.authorize(ctx, req.GetCapability(), ScopeOrdersHold)
	if err != nil {
		return nil, err
	}
	id, err := s.cb.Services.PlaceHold(ctx, r, req.GetOrderId(), req.GetReason(), req.GetIdempotencyKey())
	if err != nil {
		return nil, answer(err)
	}
	return &pluginv1.PlaceOrderHoldResponse{HoldId: id}, nil
}

func (s *callbackServer) ReleaseOrderHold(ctx context.Context, req *pluginv1.ReleaseOrderHoldRequest) (*pluginv1.ReleaseOrderHoldResponse, error) {
	r, err := s.authorize(ctx, req.GetCapability(), ScopeOrdersHold)
	if err != nil {
		return nil, err
	}
	if err := s.cb.Services.ReleaseHold(ctx, r, req.GetHoldId(), req.GetIdempotencyKey()); err != nil {
		return nil, answer(err)
	}
	return &pluginv1.ReleaseOrderHoldResponse{}, nil
}

func (s *callbackServer) CancelOrder(ctx context.Context, req *pluginv1.CancelOrderRequest) (*pluginv1.CancelOrderResponse, error) {
	scope := ScopeOrdersCancel
	r, err := s.authorize(ctx, req.GetCapability(), scope)
	if err != nil {
		return nil, err
	}
	if req.GetRefund() {
		if _, err := s.authorize(ctx, req.GetCapability(), ScopeOrdersRefund); err != nil {
			return nil, err
		}
	}
	o, err := s.cb.Services.CancelOrder(ctx, r, req.GetOrderId(), req.GetReason(), req.GetRefund(), req.GetIdempotencyKey())
	if err != nil {
		return nil, answer(err)
	}
	return &pluginv1.CancelOrderResponse{Order: o}, nil
}

func (s *callbackServer) RefundOrder(ctx context.Context, req *pluginv1.RefundOrderRequest) (*pluginv1.RefundOrderResponse, error) {
	r, err := s.authorize(ctx, req.GetCapability(), ScopeOrdersRefund)
	if err != nil {
		return nil, err
	}
	if req.GetAmountFen() <= 0 {
		return nil, status.Error(codes.InvalidArgument, "amount_fen must be above zero")
	}
	id, amt, err := s.cb.Services.RefundOrder(ctx, r, req.GetOrderId(), req.GetAmountFen(), req.GetReason(), req.GetIdempotencyKey())
	if err != nil {
		return nil, answer(err)
	}
	return &pluginv1.RefundOrderResponse{RefundId: id, AmountFen: amt}, nil
}

func (s *callbackServer) CreateOrder(ctx context.Context, req *pluginv1.CreateOrderRequest) (*pluginv1.CreateOrderResponse, error) {
	r, err := s.authorize(ctx, req.GetCapability(), ScopeOrdersCreate)
	if err != nil {
		return nil, err
	}
	if len(req.GetLines()) > maxCallbackIDs {
		return nil, status.Errorf(codes.InvalidArgument, "at most %d lines", maxCallbackIDs)
	}
	o, err := s.cb.Services.CreateOrder(ctx, r, req.GetCustomerId(), req.GetLines(), req.GetIdempotencyKey())
	if err != nil {
		return nil, answer(err)
	}
	return &pluginv1.CreateOrderResponse{Order: o}, nil
}

func (s *callbackServer) RecordUsage(ctx context.Context, req *pluginv1.RecordUsageRequest) (*pluginv1.RecordUsageResponse, error) {
	r, err := s.authorize(ctx, req.GetCapability(), ScopeUsageRecord)
	if err != nil {
		return nil, err
	}
	if req.GetQuantity() <= 0 || req.GetMetric() == "" {
		return nil, status.Error(codes.InvalidArgument, "metric and a quantity above zero are required")
	}
	if err := s.cb.Services.RecordUsage(ctx, r, req.GetMetric(), req.GetQuantity(), req.GetIdempotencyKey()); err != nil {
		return nil, answer(err)
	}
	return &pluginv1.RecordUsageResponse{}, nil
}

func (s *callbackServer) IssueStoredValue(ctx context.Context, req *pluginv1.IssueStoredValueRequest) (*pluginv1.IssueStoredValueResponse, error) {
	r, err := s.authorize(ctx, req.GetCapability(), ScopeStoredValue)
	if err != nil {
		return nil, err
	}
	cards, err := s.cb.Services.IssueStoredValue(ctx, r, req)
	if err != nil {
		return nil, answer(err)
	}
	return &pluginv1.IssueStoredValueResponse{Cards: cards}, nil
}

func (s *callbackServer) SendEmail(ctx context.Context, req *pluginv1.SendEmailRequest) (*pluginv1.SendEmailResponse, error) {
	r, err := s.authorize(ctx, req.GetCapability(), ScopeEmailSend)
	if err != nil {
		return nil, err
	}
	if req.GetSubject() == "" || req.GetText() == "" {
		return nil, status.Error(codes.InvalidArgument, "subject and text are required")
	}
	id, err := s.cb.Services.SendEmail(ctx, r, req.GetCustomerId(), req.GetShopStaff(), req.GetSubject(), req.GetText(), req.GetIdempotencyKey())
	if err != nil {
		return nil, answer(err)
	}
	return &pluginv1.SendEmailResponse{MessageId: id}, nil
}
