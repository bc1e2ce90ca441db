package sdktest_test

import (
	"context"
	"fmt"
	"testing"

	pluginv1 "github.com/jishi-dev/jishi/plugins/proto/jishi/plugin/v1"
	"github.com/jishi-dev/jishi/plugins/sdk"
	"github.com/jishi-dev/jishi/plugins/sdk/sdktest"
	"github.com/jishi-dev/jishi/plugins/sdk/store"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestSpawnedPluginUsesStoreAndHost starts a real plugin binary with the
// environment the host gives it: the plugin migrates its own store, keeps
// rows per tenant and calls the fake host with the capability of each call.
func TestSpawnedPluginUsesStoreAndHost(t *testing.T) {
	// SpawnEnv's entries win over the test process's own environment.
	t.Setenv(sdk.HostCallbackEnv, "unix:///nonexistent/host.sock")
	bin := sdktest.Build(t, "./testdata/hostcall")
	for _, driver := range []string{store.SQLite, store.Postgres} {
		t.Run(driver, func(t *testing.T) {
			host := sdktest.NewHost(t)
			p := sdktest.SpawnEnv(t, bin, append(host.Env(), sdktest.StoreEnv(t, driver)...))
			ctx := context.Background()
			runs := []struct{ tenant, capability, runID, want string }{
				{"t1", "cap-1", "r1", "1 runs"},
				{"t1", "cap-2", "r2", "2 runs"},
				{"t2", "cap-3", "r1", "1 runs"}, // another tenant's rows are not counted
				{"t1", "cap-4", "r2", "2 runs"}, // a retried run is not stored twice
			}
			for _, r := range runs {
				resp, err := p.RunJob(ctx, &pluginv1.RunJobRequest{
					Tenant:  &pluginv1.TenantContext{TenantId: r.tenant, Capability: r.capability},
					JobName: "count",
					RunId:   r.runID,
				})
				if want := driver + ": " + r.want; err != nil || resp.GetSummary() != want {
					t.Fatalf("RunJob %s/%s = %q, %v; want %q", r.tenant, r.runID, resp.GetSummary(), err, want)
				}
			}
			calls := host.CallsTo("RecordUsage")
			if len(calls) != len(runs) {
				t.Fatalf("the host got %d RecordUsage calls, want %d", len(calls), len(runs))
			}
			for i, c := range calls {
				req := c.Request.(*pluginv1.RecordUsageRequest)
				if c.Capability != runs[i].capability || fmt.Sprintf("%d runs", req.GetQuantity()) != runs[i].want {
					t.Errorf("call %d: capability %q, quantity %d; want %q, %s", i, c.Capability, req.GetQuantity(), runs[i].capability, runs[i].want)
				}
			}

			// Without a capability on the call the host refuses, and the
			// plugin's hook fails with the host's refusal.
			_, err := p.RunJob(ctx, &pluginv1.RunJobRequest{Tenant: &pluginv1.TenantContext{TenantId: "t1"}, JobName: "count", RunId: "r3"})
			if status.Code(err) != codes.PermissionDenied {
				t.Fatalf("RunJob without a capability = %v, want the host's PERMISSION_DENIED", err)
			}
		})
	}
}
