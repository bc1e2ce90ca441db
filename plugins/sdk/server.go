package sdk

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// server serves the Plugin service: it decodes the tenant, answers
// UNIMPLEMENTED for hooks that are not declared and implemented, turns
// errors into gRPC statuses and keeps a panicking hook from taking the
// process (and every tenant's calls) down.
type server struct {
	pluginv1.UnimplementedPluginServer

	manifest *pluginv1.Manifest
	impl     Plugin
	declared map[pluginv1.HookName]bool
	slots    map[string]bool
	jobs     map[string]bool
}

func newServer(m *pluginv1.Manifest, impl Plugin) *server {
	s := &server{manifest: m, impl: impl, declared: map[pluginv1.HookName]bool{}, slots: map[string]bool{}, jobs: map[string]bool{}}
	for _, h := range m.GetHooks() {
		s.declared[h.GetName()] = true
	}
	for _, sl := range m.GetSlots() {
		s.slots[sl.GetName()] = true
	}
	for _, j := range m.GetJobs() {
		s.jobs[j.GetName()] = true
	}
	return s
}

// Invalid returns an INVALID_ARGUMENT error for a hook to return on bad input.
func Invalid(format string, args ...any) error {
	return status.Errorf(codes.InvalidArgument, format, args...)
}

// Unavailable returns an UNAVAILABLE error for a hook to return on a
// transient failure the host may retry.
func Unavailable(format string, args ...any) error {
	return status.Errorf(codes.Unavailable, format, args...)
}

// toStatus turns a hook's error into a gRPC status error: status errors pass
// through, context errors keep their meaning, anything else is INTERNAL.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if s, ok := status.FromError(err); ok {
		return s.Err()
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	}
	return status.Error(codes.Internal, err.Error())
}

func unimplemented(hook string) error {
	return status.Errorf(codes.Unimplemented, "plugin does not implement %s", hook)
}

// call runs one hook for the tenant in tc.
func call[Req, Resp any](ctx context.Context, name string, tc *pluginv1.TenantContext, req Req,
	fn func(context.Context, *Tenant, Req) (Resp, error)) (resp Resp, err error) {
	t, terr := NewTenant(tc)
	if terr != nil {
		return resp, status.Errorf(codes.InvalidArgument, "%s: %v", name, terr)
	}
	defer func() {
		if r := recover(); r != nil {
			t.Logger().Error("hook panicked", "hook", name, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			var zero Resp
			resp, err = zero, status.Errorf(codes.Internal, "%s panicked: %v", name, r)
		}
	}()
	resp, err = fn(ctx, t, req)
	if err != nil {
		t.Logger().Debug("hook failed", "hook", name, "error", err)
		var zero Resp
		return zero, toStatus(err)
	}
	return resp, nil
}

func (s *server) hook(h pluginv1.HookName) bool { return s.declared[h] && implements(s.impl, h) }

// Describe answers the manifest with the newest protocol version both the
// host and this SDK speak, or FAILED_PRECONDITION when there is none.
func (s *server) Describe(_ context.Context, req *pluginv1.DescribeRequest) (*pluginv1.DescribeResponse, error) {
	v, err := pluginv1.NegotiateVersion(req.GetMinProtocolVersion(), req.GetMaxProtocolVersion(),
		pluginv1.MinProtocolVersion, pluginv1.ProtocolVersion)
	if err != nil {
		logger.Error("host protocol refused", "host_version", req.GetHostVersion(), "error", err)
		return nil, status.Error(codes.FailedPrecondition, err.Error())
	}
	m := proto.Clone(s.manifest).(*pluginv1.Manifest)
	m.ProtocolVersion = v
	return &pluginv1.DescribeResponse{Manifest: m}, nil
}

func (s *server) ValidateConfig(ctx context.Context, req *pluginv1.ValidateConfigRequest) (*pluginv1.ValidateConfigResponse, error) {
	v, ok := s.impl.(ConfigValidator)
	if !ok {
		if _, err := NewTenant(req.GetTenant()); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "ValidateConfig: %v", err)
		}
		return &pluginv1.ValidateConfigResponse{}, nil
	}
	return call(ctx, "ValidateConfig", req.GetTenant(), req.GetConfigJson(),
		func(ctx context.Context, t *Tenant, cfg []byte) (*pluginv1.ValidateConfigResponse, error) {
			errs, err := v.ValidateConfig(ctx, t, cfg)
			if err != nil {
				return nil, err
			}
			return &pluginv1.ValidateConfigResponse{Errors: errs}, nil
		})
}

func (s *server) AdjustCart(ctx context.Context, req *pluginv1.AdjustCartRequest) (*pluginv1.AdjustCartResponse, error) {
	if !s.hook(pluginv1.HookName_HOOK_NAME_ADJUST_CART) {
		return nil, unimplemented("AdjustCart")
	}
	return call(ctx, "AdjustCart", req.GetTenant(), req, s.impl.(CartAdjuster).AdjustCart)
}

func (s *server) AuthorizeTender(ctx context.Context, req *pluginv1.AuthorizeTenderRequest) (*pluginv1.TenderResponse, error) {
	if !s.hook(pluginv1.HookName_HOOK_NAME_TENDER) {
		return nil, unimplemented("AuthorizeTender")
	}
	return call(ctx, "AuthorizeTender", req.GetTenant(), req, s.impl.(TenderProvider).AuthorizeTender)
}

func (s *server) CaptureTender(ctx context.Context, req *pluginv1.CaptureTenderRequest) (*pluginv1.TenderResponse, error) {
	if !s.hook(pluginv1.HookName_HOOK_NAME_TENDER) {
		return nil, unimplemented("CaptureTender")
	}
	return call(ctx, "CaptureTender", req.GetTenant(), req, s.impl.(TenderProvider).CaptureTender)
}

func (s *server) VoidTender(ctx context.Context, req *pluginv1.VoidTenderRequest) (*pluginv1.TenderResponse, error) {
	if !s.hook(pluginv1.HookName_HOOK_NAME_TENDER) {
		return nil, unimplemented("VoidTender")
	}
	return call(ctx, "VoidTender", req.GetTenant(), req, s.impl.(TenderProvider).VoidTender)
}

func (s *server) RefundTender(ctx context.Context, req *pluginv1.RefundTenderRequest) (*pluginv1.TenderResponse, error) {
	if !s.hook(pluginv1.HookName_HOOK_NAME_TENDER) {
		return nil, unimplemented("RefundTender")
	}
	return call(ctx, "RefundTender", req.GetTenant(), req, s.impl.(TenderProvider).RefundTender)
}

func (s *server) HandleEvent(ctx context.Context, req *pluginv1.HandleEventRequest) (*pluginv1.HandleEventResponse, error) {
	if !s.hook(pluginv1.HookName_HOOK_NAME_HANDLE_EVENT) {
		return nil, unimplemented("HandleEvent")
	}
	return call(ctx, "HandleEvent", req.GetTenant(), req, s.impl.(EventHandler).HandleEvent)
}

func (s *server) RunJob(ctx context.Context, req *pluginv1.RunJobRequest) (*pluginv1.RunJobResponse, error) {
	if !s.hook(pluginv1.HookName_HOOK_NAME_RUN_JOB) {
		return nil, unimplemented("RunJob")
	}
	if !s.jobs[req.GetJobName()] {
		return nil, status.Errorf(codes.InvalidArgument, "RunJob: job %q is not in the manifest", req.GetJobName())
	}
	return call(ctx, "RunJob", req.GetTenant(), req, s.impl.(JobRunner).RunJob)
}

func (s *server) HandleHTTP(ctx context.Context, req *pluginv1.HandleHTTPRequest) (*pluginv1.HandleHTTPResponse, error) {
	if !s.hook(pluginv1.HookName_HOOK_NAME_HANDLE_HTTP) {
		return nil, unimplemented("HandleHTTP")
	}
	return call(ctx, "HandleHTTP", req.GetTenant(), req, s.impl.(RouteHandler).HandleHTTP)
}

func (s *server) SlotContent(ctx context.Context, req *pluginv1.SlotContentRequest) (*pluginv1.SlotContentResponse, error) {
	if !s.hook(pluginv1.HookName_HOOK_NAME_SLOT_CONTENT) {
		return nil, unimplemented("SlotContent")
	}
	if !s.slots[req.GetSlot()] {
		return nil, status.Errorf(codes.InvalidArgument, "SlotContent: slot %q is not in the manifest", req.GetSlot())
	}
	return call(ctx, "SlotContent", req.GetTenant(), req, s.impl.(SlotFiller).SlotContent)
}

// Health answers SERVING unless the implementation's Health returns an error.
func (s *server) Health(ctx context.Context, _ *pluginv1.HealthRequest) (resp *pluginv1.HealthResponse, err error) {
	defer func() {
		if r := recover(); r != nil {
			logger.Error("health check panicked", "panic", fmt.Sprint(r))
			resp, err = &pluginv1.HealthResponse{Status: pluginv1.HealthStatus_HEALTH_STATUS_NOT_SERVING, Message: fmt.Sprint(r)}, nil
		}
	}()
	if err := s.impl.Health(ctx); err != nil {
		return &pluginv1.HealthResponse{Status: pluginv1.HealthStatus_HEALTH_STATUS_NOT_SERVING, Message: err.Error()}, nil
	}
	return &pluginv1.HealthResponse{Status: pluginv1.HealthStatus_HEALTH_STATUS_SERVING}, nil
}
