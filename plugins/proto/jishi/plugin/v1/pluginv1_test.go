package pluginv1_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestProtocolVersionRange(t *testing.T) {
	if pluginv1.ProtocolVersion < 1 {
		t.Fatalf("ProtocolVersion = %d, want at least 1", pluginv1.ProtocolVersion)
	}
	want := max(1, pluginv1.ProtocolVersion-1)
	if pluginv1.MinProtocolVersion != want {
		t.Fatalf("MinProtocolVersion = %d, want %d (one before ProtocolVersion %d, never below 1)",
			pluginv1.MinProtocolVersion, want, pluginv1.ProtocolVersion)
	}
	got, err := pluginv1.NegotiateVersion(pluginv1.MinProtocolVersion, pluginv1.ProtocolVersion,
		pluginv1.MinProtocolVersion, pluginv1.ProtocolVersion)
	if err != nil || got != pluginv1.ProtocolVersion {
		t.Fatalf("NegotiateVersion(own range) = %d, %v; want %d", got, err, pluginv1.ProtocolVersion)
	}
}

func TestNegotiateVersion(t *testing.T) {
	tests := []struct {
		name                                   string
		hostMin, hostMax, pluginMin, pluginMax uint32
		want                                   uint32
		wantErr                                bool
	}{
		{name: "same range", hostMin: 1, hostMax: 2, pluginMin: 1, pluginMax: 2, want: 2},
		{name: "plugin one behind", hostMin: 2, hostMax: 3, pluginMin: 1, pluginMax: 2, want: 2},
		{name: "plugin one ahead", hostMin: 2, hostMax: 3, pluginMin: 3, pluginMax: 4, want: 3},
		{name: "plugin too old", hostMin: 3, hostMax: 4, pluginMin: 1, pluginMax: 2, wantErr: true},
		{name: "plugin too new", hostMin: 1, hostMax: 2, pluginMin: 3, pluginMax: 4, wantErr: true},
		{name: "host range unset", hostMin: 0, hostMax: 0, pluginMin: 1, pluginMax: 1, wantErr: true},
		{name: "inverted range", hostMin: 2, hostMax: 1, pluginMin: 1, pluginMax: 2, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pluginv1.NegotiateVersion(tt.hostMin, tt.hostMax, tt.pluginMin, tt.pluginMax)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got version %d, want an error", got)
				}
				if !strings.Contains(err.Error(), "no version in common") {
					t.Fatalf("error %q does not say why", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}

func TestTenantContextRoundTrip(t *testing.T) {
	deadline := time.Date(2026, 11, 27, 8, 0, 0, 500_000_000, time.UTC)
	in := &pluginv1.TenantContext{
		TenantId:            "t_changsha",
		TenantSlug:          "changsha",
		RegionId:            "r_yuelu",
		ShopId:              "s_fruit",
		ConfigJson:          []byte(`{"max_group_size":5}`),
		ConfigVersion:       7,
		RequestId:           "req-1",
		Capability:          "cap.v1.signed",
		CapabilityExpiresAt: timestamppb.New(deadline.Add(time.Minute)),
		Deadline:            timestamppb.New(deadline),
		Locale:              "zh-CN",
	}
	out := roundTrip(t, in)
	if out.GetShopId() != "s_fruit" || out.GetConfigVersion() != 7 || string(out.GetConfigJson()) != `{"max_group_size":5}` {
		t.Fatalf("fields lost: %v", out)
	}
	if !out.GetDeadline().AsTime().Equal(deadline) {
		t.Fatalf("deadline = %v, want %v", out.GetDeadline().AsTime(), deadline)
	}
}

func TestManifestRoundTrip(t *testing.T) {
	in := &pluginv1.Manifest{
		Name:            "groupbuy",
		Version:         "1.0.0",
		ProtocolVersion: pluginv1.ProtocolVersion,
		Hooks: []*pluginv1.HookSpec{
			{Name: pluginv1.HookName_HOOK_NAME_ADJUST_CART, DeadlineMs: 50, FailurePolicy: pluginv1.FailurePolicy_FAILURE_POLICY_FAIL_OPEN},
			{Name: pluginv1.HookName_HOOK_NAME_TENDER, DeadlineMs: 2000, FailurePolicy: pluginv1.FailurePolicy_FAILURE_POLICY_FAIL_CLOSED},
		},
		EventSubscriptions: []string{"order.paid", "order.cancelled"},
		Jobs: []*pluginv1.JobSpec{
			{Name: "expire-groups", Schedule: &pluginv1.JobSpec_Interval{Interval: durationpb.New(time.Minute)}},
			{Name: "daily-report", Schedule: &pluginv1.JobSpec_Cron{Cron: "0 3 * * *"}},
		},
		Routes: []*pluginv1.RouteSpec{
			{Method: "GET", Path: "/groups/{id}", Area: pluginv1.RouteArea_ROUTE_AREA_STOREFRONT},
			{Method: "POST", Path: "/campaigns", Area: pluginv1.RouteArea_ROUTE_AREA_ADMIN, Permission: "groupbuy.campaign.write"},
		},
		Slots:              []*pluginv1.SlotSpec{{Name: "product.badge", DeadlineMs: 30}},
		SettingsSchemaJson: []byte(`{"type":"object"}`),
		HostScopes:         []string{"orders:hold", "orders:refund"},
	}
	out := roundTrip(t, in)
	if got := out.GetHooks()[1].GetFailurePolicy(); got != pluginv1.FailurePolicy_FAILURE_POLICY_FAIL_CLOSED {
		t.Fatalf("tender failure policy = %v, want FAIL_CLOSED", got)
	}
	if got := out.GetJobs()[0].GetInterval().AsDuration(); got != time.Minute {
		t.Fatalf("job interval = %v, want 1m", got)
	}
	if got := out.GetJobs()[1].GetCron(); got != "0 3 * * *" {
		t.Fatalf("job cron = %q", got)
	}
	if got := out.GetRoutes()[1].GetArea(); got != pluginv1.RouteArea_ROUTE_AREA_ADMIN {
		t.Fatalf("route area = %v, want ADMIN", got)
	}
}

func TestSlotItemPriceIsOptional(t *testing.T) {
	free := roundTrip(t, &pluginv1.SlotItem{Title: "今日拼团", PriceFen: proto.Int64(0)})
	if free.PriceFen == nil {
		t.Fatalf("a zero price was lost: %v", free)
	}
	none := roundTrip(t, &pluginv1.SlotItem{Title: "拼团"})
	if none.PriceFen != nil {
		t.Fatalf("an absent price came back as %d", none.GetPriceFen())
	}
}

// roundTrip marshals m and unmarshals it into a new message, failing the test
// unless the two are equal.
func roundTrip[M proto.Message](t *testing.T, m M) M {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatalf("marshal %T: %v", m, err)
	}
	out := m.ProtoReflect().New().Interface().(M)
	if err := proto.Unmarshal(b, out); err != nil {
		t.Fatalf("unmarshal %T: %v", m, err)
	}
	if !proto.Equal(m, out) {
		t.Fatalf("%T changed in a round trip:\n in: %v\nout: %v", m, m, out)
	}
	return out
}

// describer is a plugin that answers Describe with the version it negotiates
// and refuses a host it shares no version with; everything else is unimplemented.
type describer struct {
	pluginv1.UnimplementedPluginServer
}

func (describer) Describe(_ context.Context, req *pluginv1.DescribeRequest) (*pluginv1.DescribeResponse, error) {
	v, err := pluginv1.NegotiateVersion(req.GetMinProtocolVersion(), req.GetMaxProtocolVersion(),
		pluginv1.MinProtocolVersion, pluginv1.ProtocolVersion)
	if err != nil {
		return nil, status.Error(codes.FailedPrecondition, err.Error())
	}
	return &pluginv1.DescribeResponse{Manifest: &pluginv1.Manifest{Name: "describer", Version: "0.1.0", ProtocolVersion: v}}, nil
}

func TestPluginServiceOverGRPC(t *testing.T) {
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	pluginv1.RegisterPluginServer(srv, describer{})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	client := pluginv1.NewPluginClient(conn)
	ctx := t.Context()

	resp, err := client.Describe(ctx, &pluginv1.DescribeRequest{
		MinProtocolVersion: pluginv1.MinProtocolVersion, MaxProtocolVersion: pluginv1.ProtocolVersion, HostVersion: "test",
	})
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if got := resp.GetManifest().GetProtocolVersion(); got != pluginv1.ProtocolVersion {
		t.Fatalf("negotiated version %d, want %d", got, pluginv1.ProtocolVersion)
	}

	_, err = client.Describe(ctx, &pluginv1.DescribeRequest{
		MinProtocolVersion: pluginv1.ProtocolVersion + 1, MaxProtocolVersion: pluginv1.ProtocolVersion + 2,
	})
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("Describe from a newer host: err = %v, want FailedPrecondition", err)
	}

	_, err = client.AdjustCart(ctx, &pluginv1.AdjustCartRequest{Tenant: &pluginv1.TenantContext{TenantId: "t1"}})
	if status.Code(err) != codes.Unimplemented {
		t.Fatalf("AdjustCart on a plugin without it: err = %v, want Unimplemented", err)
	}
}
