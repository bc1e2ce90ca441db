package sdk_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk"
	"github.com/jishi-dev/jishi/plugins/sdk/sdktest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// cartPlugin adjusts carts and can be told to fail or panic.
type cartPlugin struct {
	sdk.Unimplemented
	health error
}

func (p *cartPlugin) Health(context.Context) error { return p.health }

func (p *cartPlugin) AdjustCart(_ context.Context, t *sdk.Tenant, req *pluginv1.AdjustCartRequest) (*pluginv1.AdjustCartResponse, error) {
	switch req.GetCodes()[0] {
	case "panic":
		panic("boom")
	case "invalid":
		return nil, sdk.Invalid("bad code")
	case "plain-error":
		return nil, errors.New("database is down")
	}
	return &pluginv1.AdjustCartResponse{Adjustments: []*pluginv1.Adjustment{{
		Code: "t." + t.ID + "." + t.ShopID, Label: t.Locale, AmountFen: -t.ConfigVersion,
	}}}, nil
}

func cartManifest() *pluginv1.Manifest {
	return &pluginv1.Manifest{
		Name:    "cart-test",
		Version: "1.0.0",
		Hooks:   []*pluginv1.HookSpec{{Name: pluginv1.HookName_HOOK_NAME_ADJUST_CART, DeadlineMs: 100}},
	}
}

func tenantCtx(id string) *pluginv1.TenantContext {
	return &pluginv1.TenantContext{TenantId: id, ShopId: "shop-1", ConfigJson: []byte(`{}`), ConfigVersion: 7, Locale: "en", RequestId: "req-1"}
}

func TestDescribeNegotiatesProtocolVersion(t *testing.T) {
	c := sdktest.Serve(t, cartManifest(), &cartPlugin{})
	ctx := context.Background()

	tests := []struct {
		name     string
		min, max uint32
		want     uint32
		code     codes.Code
	}{
		{"same range", pluginv1.MinProtocolVersion, pluginv1.ProtocolVersion, pluginv1.ProtocolVersion, codes.OK},
		{"newer host", pluginv1.ProtocolVersion, pluginv1.ProtocolVersion + 1, pluginv1.ProtocolVersion, codes.OK},
		{"host too new", pluginv1.ProtocolVersion + 1, pluginv1.ProtocolVersion + 2, 0, codes.FailedPrecondition},
		{"empty range", 0, 0, 0, codes.FailedPrecondition},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.Describe(ctx, &pluginv1.DescribeRequest{MinProtocolVersion: tt.min, MaxProtocolVersion: tt.max})
			if got := status.Code(err); got != tt.code {
				t.Fatalf("code = %v (%v), want %v", got, err, tt.code)
			}
			if err != nil {
				return
			}
			m := resp.GetManifest()
			if m.GetName() != "cart-test" || m.GetVersion() != "1.0.0" || len(m.GetHooks()) != 1 {
				t.Errorf("manifest = %v", m)
			}
			if m.GetProtocolVersion() != tt.want {
				t.Errorf("protocol version = %d, want %d", m.GetProtocolVersion(), tt.want)
			}
		})
	}
}

func TestHooksNotImplementedAnswerUnimplemented(t *testing.T) {
	c := sdktest.Serve(t, cartManifest(), &cartPlugin{})
	ctx := context.Background()
	tc := tenantCtx("tenant-a")
	calls := map[string]func() error{
		"AuthorizeTender": func() error {
			_, err := c.AuthorizeTender(ctx, &pluginv1.AuthorizeTenderRequest{Tenant: tc})
			return err
		},
		"CaptureTender": func() error { _, err := c.CaptureTender(ctx, &pluginv1.CaptureTenderRequest{Tenant: tc}); return err },
		"VoidTender":    func() error { _, err := c.VoidTender(ctx, &pluginv1.VoidTenderRequest{Tenant: tc}); return err },
		"RefundTender":  func() error { _, err := c.RefundTender(ctx, &pluginv1.RefundTenderRequest{Tenant: tc}); return err },
		"HandleEvent":   func() error { _, err := c.HandleEvent(ctx, &pluginv1.HandleEventRequest{Tenant: tc}); return err },
		"RunJob":        func() error { _, err := c.RunJob(ctx, &pluginv1.RunJobRequest{Tenant: tc, JobName: "x"}); return err },
		"HandleHTTP":    func() error { _, err := c.HandleHTTP(ctx, &pluginv1.HandleHTTPRequest{Tenant: tc}); return err },
		"SlotContent": func() error {
			_, err := c.SlotContent(ctx, &pluginv1.SlotContentRequest{Tenant: tc, Slot: "x"})
			return err
		},
	}
	for name, call := range calls {
		if err := call(); status.Code(err) != codes.Unimplemented {
			t.Errorf("%s: %v, want Unimplemented", name, err)
		}
	}

	// Without a ConfigValidator every config that passed the schema is valid.
	resp, err := c.ValidateConfig(ctx, &pluginv1.ValidateConfigRequest{Tenant: tc, ConfigJson: []byte(`{"x":1}`)})
	if err != nil || len(resp.GetErrors()) != 0 {
		t.Errorf("ValidateConfig = %v, %v; want no errors", resp, err)
	}
}

// implementedButUndeclared implements AdjustCart but its manifest does not
// declare it: the host never calls it, and a call answers Unimplemented.
func TestUndeclaredHookAnswersUnimplemented(t *testing.T) {
	m := cartManifest()
	m.Hooks = nil
	c := sdktest.Serve(t, m, &cartPlugin{})
	_, err := c.AdjustCart(context.Background(), &pluginv1.AdjustCartRequest{Tenant: tenantCtx("a"), Codes: []string{"ok"}})
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("AdjustCart = %v, want Unimplemented", err)
	}
}

func TestAdjustCartDecodesTenantAndMapsErrors(t *testing.T) {
	c := sdktest.Serve(t, cartManifest(), &cartPlugin{})
	ctx := context.Background()

	resp, err := c.AdjustCart(ctx, &pluginv1.AdjustCartRequest{Tenant: tenantCtx("tenant-a"), Codes: []string{"ok"}})
	if err != nil {
		t.Fatal(err)
	}
	a := resp.GetAdjustments()[0]
	if a.GetCode() != "t.tenant-a.shop-1" || a.GetLabel() != "en" || a.GetAmountFen() != -7 {
		t.Errorf("adjustment = %v", a)
	}

	tests := []struct {
		name   string
		tenant *pluginv1.TenantContext
		code   string
		want   codes.Code
	}{
		{"no tenant context", nil, "ok", codes.InvalidArgument},
		{"empty tenant id", &pluginv1.TenantContext{ShopId: "s"}, "ok", codes.InvalidArgument},
		{"status error passes through", tenantCtx("a"), "invalid", codes.InvalidArgument},
		{"plain error is internal", tenantCtx("a"), "plain-error", codes.Internal},
		{"panic is internal", tenantCtx("a"), "panic", codes.Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.AdjustCart(ctx, &pluginv1.AdjustCartRequest{Tenant: tt.tenant, Codes: []string{tt.code}})
			if status.Code(err) != tt.want {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}

	// The process still serves after a hook panicked.
	if _, err := c.AdjustCart(ctx, &pluginv1.AdjustCartRequest{Tenant: tenantCtx("b"), Codes: []string{"ok"}}); err != nil {
		t.Fatalf("after panic: %v", err)
	}
}

func TestHealth(t *testing.T) {
	ctx := context.Background()
	resp, err := sdktest.Serve(t, cartManifest(), &cartPlugin{}).Health(ctx, &pluginv1.HealthRequest{})
	if err != nil || resp.GetStatus() != pluginv1.HealthStatus_HEALTH_STATUS_SERVING {
		t.Errorf("healthy: %v, %v", resp, err)
	}
	resp, err = sdktest.Serve(t, cartManifest(), &cartPlugin{health: errors.New("db unreachable")}).Health(ctx, &pluginv1.HealthRequest{})
	if err != nil || resp.GetStatus() != pluginv1.HealthStatus_HEALTH_STATUS_NOT_SERVING || resp.GetMessage() != "db unreachable" {
		t.Errorf("unhealthy: %v, %v", resp, err)
	}
}

func TestManifestMustMatchImplementation(t *testing.T) {
	type bare struct{ sdk.Unimplemented }
	tests := []struct {
		name string
		edit func(m *pluginv1.Manifest)
		impl sdk.Plugin
		want string
	}{
		{"declared hook not implemented", func(m *pluginv1.Manifest) {}, &bare{}, "does not implement"},
		{"bad name", func(m *pluginv1.Manifest) { m.Name = "Cart Test" }, &cartPlugin{}, "name"},
		{"no version", func(m *pluginv1.Manifest) { m.Version = "" }, &cartPlugin{}, "version"},
		{"hook twice", func(m *pluginv1.Manifest) { m.Hooks = append(m.Hooks, m.Hooks[0]) }, &cartPlugin{}, "twice"},
		{"slots without hook", func(m *pluginv1.Manifest) {
			m.Slots = []*pluginv1.SlotSpec{{Name: "product.badge"}}
		}, &cartPlugin{}, "slots"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := cartManifest()
			tt.edit(m)
			_, err := sdk.NewGRPCPlugin(m, tt.impl)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
	if _, err := sdk.NewGRPCPlugin(cartManifest(), &cartPlugin{}); err != nil {
		t.Fatalf("valid manifest: %v", err)
	}
}

func TestNewTenant(t *testing.T) {
	exp := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	tn, err := sdk.NewTenant(&pluginv1.TenantContext{TenantId: "t1", RegionId: "r1", ShopId: "s1", ConfigVersion: 3, CapabilityExpiresAt: timestamppb.New(exp)})
	if err != nil {
		t.Fatal(err)
	}
	if string(tn.Config) != "{}" || tn.ConfigVersion != 3 || tn.RegionID != "r1" || !tn.CapabilityExpiresAt.Equal(exp) {
		t.Errorf("tenant = %+v", tn)
	}
	var v struct{ A int }
	if err := tn.DecodeConfig(&v); err != nil {
		t.Errorf("decode {}: %v", err)
	}
}

func TestMessages(t *testing.T) {
	m := sdk.Messages{"x.min": {"zh-CN": "至少 {min}", "en": "at least {min}"}}
	p := map[string]string{"min": "2"}
	for locale, want := range map[string]string{"en": "at least 2", "en-GB": "at least 2", "zh-CN": "至少 2", "zh-Hans": "至少 2", "fr": "至少 2", "": "至少 2"} {
		if got := m.Text(locale, "x.min", p); got != want {
			t.Errorf("Text(%q) = %q, want %q", locale, got, want)
		}
	}
	if got := m.Text("en", "x.unknown", nil); got != "x.unknown" {
		t.Errorf("unknown key = %q", got)
	}
	fe := m.FieldError(&sdk.Tenant{ID: "t", Locale: "en"}, "/min", "x.min", p)
	if fe.GetField() != "/min" || fe.GetMessageKey() != "x.min" || fe.GetMessage() != "at least 2" || fe.GetParams()["min"] != "2" {
		t.Errorf("field error = %v", fe)
	}
}

// TestSpawnNoisyPlugin builds a plugin that prints to stdout in init, before
// Serve and inside a hook, starts it the way the host does, and calls it.
func TestSpawnNoisyPlugin(t *testing.T) {
	p := sdktest.Spawn(t, sdktest.Build(t, "./testdata/noisy"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	d, err := p.Describe(ctx, &pluginv1.DescribeRequest{MinProtocolVersion: pluginv1.MinProtocolVersion, MaxProtocolVersion: pluginv1.ProtocolVersion})
	if err != nil || d.GetManifest().GetName() != "noisy" {
		t.Fatalf("Describe = %v, %v", d, err)
	}
	for range 3 {
		resp, err := p.AdjustCart(ctx, &pluginv1.AdjustCartRequest{Tenant: tenantCtx("tenant-n"), SubtotalFen: 1234})
		if err != nil || resp.GetAdjustments()[0].GetAmountFen() != -1234 || resp.GetAdjustments()[0].GetLabel() != "tenant-n" {
			t.Fatalf("AdjustCart = %v, %v", resp, err)
		}
	}
	h, err := p.Health(ctx, &pluginv1.HealthRequest{})
	if err != nil || h.GetStatus() != pluginv1.HealthStatus_HEALTH_STATUS_SERVING {
		t.Fatalf("Health = %v, %v", h, err)
	}
	// The stray prints reached the host's log instead of the handshake.
	deadline := time.Now().Add(2 * time.Second)
	for _, line := range []string{"stray print in init", "stray print before Serve", "stray print in AdjustCart", "stray write to descriptor 1"} {
		for !strings.Contains(p.Output(), line) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if !strings.Contains(p.Output(), line) {
			t.Errorf("output lacks %q:\n%s", line, p.Output())
		}
	}
}
